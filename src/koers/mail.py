"""Sending mail: the SMTP server Koers sends through, from the environment
or the credentials file's [smtp] section (never the workspace: a password
does not travel with an export), and an outbox folder that takes the
messages as .eml files instead, for another mailer to deliver."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from koers.connectors.runner import SyncError
from koers.connectors.secrets import config_path, optional_secret

SECURITY = ("starttls", "ssl", "none")
ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
TIMEOUT = 30  # seconds a server may take to answer before the send is given up


class MailError(Exception):
    """Mail that could not be sent, or a server not set: the reason, the server named."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # starttls | ssl | none
    sender: str
    user: str | None = None
    password: str | None = None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


# (environment variable, key under [smtp] in the credentials file)
SETTINGS = {
    "host": ("KOERS_SMTP_HOST", "host"),
    "port": ("KOERS_SMTP_PORT", "port"),
    "security": ("KOERS_SMTP_SECURITY", "security"),
    "sender": ("KOERS_SMTP_FROM", "from"),
    "user": ("KOERS_SMTP_USER", "user"),
    "password": ("KOERS_SMTP_PASSWORD", "password"),
}


def server() -> Server:
    """The SMTP server to send through. Port 465 speaks TLS from the start
    (ssl), any other STARTTLS unless KOERS_SMTP_SECURITY says otherwise."""
    try:
        found = {k: optional_secret(env, "smtp", key) for k, (env, key) in SETTINGS.items()}
    except SyncError as e:
        raise MailError(str(e)) from None
    missing = [SETTINGS[k][0] for k in ("host", "sender") if not found[k]]
    if missing:
        raise MailError(f"no mail server set: set {' and '.join(missing)} (and KOERS_SMTP_PORT, KOERS_SMTP_USER, "
                        f"KOERS_SMTP_PASSWORD as your server needs), or host, from, ... under [smtp] in "
                        f"{config_path()} (chmod 600)")
    try:
        port = int(found["port"] or 587)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise MailError(f"KOERS_SMTP_PORT (or port under [smtp]) is a number from 1 to 65535, not '{found['port']}'")
    security = (found["security"] or ("ssl" if port == 465 else "starttls")).lower()
    if security not in SECURITY:
        raise MailError(f"KOERS_SMTP_SECURITY (or security under [smtp]) is one of {', '.join(SECURITY)}, "
                        f"not '{security}'")
    if not ADDRESS.fullmatch(found["sender"].split("<")[-1].rstrip(">").strip()):
        raise MailError(f"KOERS_SMTP_FROM (or from under [smtp]) is no mail address: '{found['sender']}'")
    if found["user"] and not found["password"]:
        raise MailError("KOERS_SMTP_USER is set without KOERS_SMTP_PASSWORD (or user without password under [smtp])")
    return Server(found["host"], port, security, found["sender"], found["user"], found["password"])


def sender() -> str:
    """Whom an outbox's mails are from: the server's From where one is set, else koers@localhost."""
    try:
        found = optional_secret(SETTINGS["sender"][0], "smtp", SETTINGS["sender"][1])
    except SyncError:
        found = None
    return found or "koers@localhost"


def addresses(text: str, what: str) -> list[str]:
    """The addresses of a comma-separated list, each checked (a MailError
    names one that is not), each once whatever its capitals."""
    found = [a.strip() for a in re.split(r"[,;]", text or "") if a.strip()]
    bad = [a for a in found if not ADDRESS.fullmatch(a)]
    if bad:
        raise MailError(f"{what}: {', '.join(bad)} is no mail address")
    wide = [a for a in found if not a.isascii()]
    if wide:
        raise MailError(f"{what}: {', '.join(wide)} has letters beyond ASCII, which Koers does not send to (few "
                        f"mail servers take them)")
    first: dict[str, str] = {}
    for a in found:
        first.setdefault(a.lower(), a)
    return list(first.values())


def is_address(text: str) -> bool:
    return bool(ADDRESS.fullmatch(text)) and text.isascii()


def cockpit_link(text: str) -> str:
    """The web cockpit's address as a link's base (http(s)://host[:port][/path]), checked."""
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or " " in text.strip():
        raise MailError(f"--link is the cockpit's address, such as http://koers.intern:8000, without a query or "
                        f"fragment (got '{text}')")
    return text.strip().rstrip("/")


def outbox_folder(text: str) -> Path:
    """The outbox folder, made if absent: a MailError when it cannot be (a file there, no permission)."""
    path = Path(text)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MailError(f"--outbox {text}: cannot make a folder there ({e.strerror or e})") from None
    return path


XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def message(sender: str, to: list[tuple[str | None, str]], subject: str, text: str, html: str,
            attachments: list[tuple[str, bytes, tuple[str, str]]] = ()) -> EmailMessage:
    """A mail in plain text and HTML, for readers of either, to (name,
    address) each (a name with a comma or quotes stays one); `attachments`:
    (filename, content, (maintype, subtype)) each."""
    m = EmailMessage()
    m["From"], m["Subject"] = sender, subject
    m["To"] = [Address(display_name=name or "", addr_spec=address) for name, address in to]
    m["Date"], m["Message-ID"] = formatdate(localtime=True), make_msgid(domain="koers.local")
    m.set_content(text)
    m.add_alternative(html, subtype="html")
    for filename, content, (maintype, subtype) in attachments:
        m.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return m


def send(srv: Server, messages: list[EmailMessage], on_sent=None) -> list[str]:
    """Every message through one connection. `on_sent(i)`: told each
    message the server took (for some of its recipients at least). Returns
    the recipients the server refused, each with its answer: one refused
    mailbox does not keep the others' mail back. A MailError, naming the
    server, for what stops every message (no connection, a refused login)."""
    refusals: list[str] = []
    if not messages:
        return refusals
    try:
        if srv.security == "ssl":
            smtp = smtplib.SMTP_SSL(srv.host, srv.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(srv.host, srv.port, timeout=TIMEOUT)
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"could not reach the mail server {srv.name}: {e}") from None
    try:
        with smtp:
            if srv.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise MailError(f"the mail server {srv.name} does not offer STARTTLS: set KOERS_SMTP_SECURITY=ssl "
                                    f"(port 465) or none (a server on a trusted network)")
                smtp.starttls(context=ssl.create_default_context())
            if srv.user:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    raise MailError(f"the mail server {srv.name} offers no login (SMTP AUTH) here: unset "
                                    f"KOERS_SMTP_USER, or set KOERS_SMTP_SECURITY=starttls or ssl (many servers "
                                    f"offer a login only over TLS)")
                smtp.login(srv.user, srv.password or "")
            for i, m in enumerate(messages):
                try:
                    refused = smtp.send_message(m)
                except smtplib.SMTPRecipientsRefused as e:
                    refusals += [f"{to} ({_reason(answer)})" for to, answer in e.recipients.items()]
                    continue
                except smtplib.SMTPDataError as e:  # this message's content (its size, say), not the others'
                    refusals.append(f"{m['To']} ({_reason(e.args)})")
                    smtp.rset()
                    continue
                refusals += [f"{to} ({_reason(answer)})" for to, answer in refused.items()]
                if on_sent:
                    on_sent(i)
    except smtplib.SMTPAuthenticationError as e:
        raise MailError(f"the mail server {srv.name} refused the login of {srv.user}: {_reason(e.args)}") from None
    except smtplib.SMTPSenderRefused as e:
        raise MailError(f"the mail server {srv.name} refused the sender {e.sender}: {_reason(e.args)}; set "
                        f"KOERS_SMTP_FROM to an address it sends for") from None
    except smtplib.SMTPNotSupportedError as e:
        raise MailError(f"the mail server {srv.name} cannot take this mail: {e}") from None
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"sending through the mail server {srv.name} failed: {e}") from None
    return refusals


def _reason(answer) -> str:
    """An SMTP answer (code, text) as a line."""
    try:
        code, text = answer[0], answer[1]
        return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    except (IndexError, TypeError):
        return str(answer)


def to_outbox(folder: Path, messages: list[EmailMessage]) -> list[Path]:
    """Each message as an .eml file in `folder` (made if absent), numbered
    after those already there, so a second run adds and overwrites nothing."""
    folder = outbox_folder(str(folder))
    start = max((int(p.name[:4]) for p in folder.glob("*.eml") if p.name[:4].isdigit()), default=0)
    written = []
    for i, m in enumerate(messages, start + 1):
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", str(m["To"]))[:60]
        path = folder / f"{i:04d}-{safe}.eml"
        path.write_bytes(bytes(m))
        written.append(path)
    return written
