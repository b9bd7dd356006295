"""Sending mail: the SMTP server Koers sends through, from the environment
or the credentials file's [smtp] section (never the workspace: a password
does not travel with an export), and an outbox folder that takes the
messages as .eml files instead, to read before sending or to hand to
another mailer."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

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
        raise MailError(f"KOERS_SMTP_PORT (or port under [smtp]) is a number, not '{found['port']}'") from None
    security = (found["security"] or ("ssl" if port == 465 else "starttls")).lower()
    if security not in SECURITY:
        raise MailError(f"KOERS_SMTP_SECURITY (or security under [smtp]) is one of {', '.join(SECURITY)}, "
                        f"not '{security}'")
    if not ADDRESS.fullmatch(found["sender"].split("<")[-1].rstrip(">").strip()):
        raise MailError(f"KOERS_SMTP_FROM (or from under [smtp]) is no mail address: '{found['sender']}'")
    if found["user"] and not found["password"]:
        raise MailError("KOERS_SMTP_USER is set without KOERS_SMTP_PASSWORD (or user without password under [smtp])")
    return Server(found["host"], port, security, found["sender"], found["user"], found["password"])


def addresses(text: str, what: str) -> list[str]:
    """The addresses of a comma-separated list, each checked: a MailError names the one that is not."""
    found = [a.strip() for a in re.split(r"[,;]", text or "") if a.strip()]
    bad = [a for a in found if not ADDRESS.fullmatch(a)]
    if bad:
        raise MailError(f"{what}: {', '.join(bad)} is no mail address")
    return found


XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def message(sender: str, to: str, subject: str, text: str, html: str,
            attachments: list[tuple[str, bytes, tuple[str, str]]] = ()) -> EmailMessage:
    """A mail in plain text and HTML, for readers of either; `attachments`:
    (filename, content, (maintype, subtype)) each."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"], m["Message-ID"] = formatdate(localtime=True), make_msgid(domain="koers.local")
    m.set_content(text)
    m.add_alternative(html, subtype="html")
    for filename, content, (maintype, subtype) in attachments:
        m.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return m


def send(srv: Server, messages: list[EmailMessage], on_sent=None) -> None:
    """Every message through one connection; the first refusal stops the
    rest and is raised, naming the server and the recipient. `on_sent(i)`:
    told each message the server took, so what went is known on a failure."""
    if not messages:
        return
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
                smtp.starttls(context=ssl.create_default_context())
            if srv.user:
                smtp.login(srv.user, srv.password or "")
            for i, m in enumerate(messages):
                try:
                    smtp.send_message(m)
                    if on_sent:
                        on_sent(i)
                except smtplib.SMTPRecipientsRefused as e:
                    raise MailError(f"the mail server {srv.name} refused {', '.join(e.recipients)}: "
                                    f"{_reason(next(iter(e.recipients.values())))}") from None
    except smtplib.SMTPAuthenticationError as e:
        raise MailError(f"the mail server {srv.name} refused the login of {srv.user}: {_reason(e.args)}") from None
    except smtplib.SMTPNotSupportedError as e:
        raise MailError(f"the mail server {srv.name} does not support {e}: set KOERS_SMTP_SECURITY "
                        f"(starttls, ssl or none)") from None
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"sending through the mail server {srv.name} failed: {e}") from None


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
    folder.mkdir(parents=True, exist_ok=True)
    start = max((int(p.name[:4]) for p in folder.glob("*.eml") if p.name[:4].isdigit()), default=0)
    written = []
    for i, m in enumerate(messages, start + 1):
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", str(m["To"]))[:60]
        path = folder / f"{i:04d}-{safe}.eml"
        path.write_bytes(bytes(m))
        written.append(path)
    return written
