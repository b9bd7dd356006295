"""A mail server for the tests: enough SMTP (RFC 5321) for Python's
smtplib, on a free local port in a thread, keeping what it is sent.
`password`: the one AUTH PLAIN/LOGIN accepts (None: no AUTH offered);
`refuse`: recipients it answers 550."""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    def text(self) -> str:
        for part in self.message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode()
        return ""

    def html(self) -> str:
        for part in self.message.walk():
            if part.get_content_type() == "text/html":
                return part.get_payload(decode=True).decode()
        return ""


@dataclass
class SmtpStub:
    user: str | None = None
    password: str | None = None
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def __enter__(self) -> SmtpStub:
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 stub ESMTP")
                sender, recipients = None, []
                while line := self.rfile.readline():
                    command = line.decode().rstrip("\r\n")
                    verb = command.split(" ")[0].upper()
                    if verb == "EHLO":
                        self.reply("250-stub")
                        if stub.password is not None:
                            self.reply("250-AUTH PLAIN LOGIN")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO" or verb == "NOOP" or verb == "RSET":
                        sender, recipients = (None, []) if verb == "RSET" else (sender, recipients)
                        self.reply("250 ok")
                    elif verb == "AUTH":
                        self.auth(command.split(" ")[1:])
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        to = command.split(":", 1)[1].split()[0].strip("<>")
                        if to in stub.refuse:
                            self.reply(f"550 no mailbox {to}")
                        else:
                            recipients.append(to)
                            self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        stub.received.append(Received(sender, recipients, email.message_from_bytes(b"".join(lines), policy=email.policy.default)))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

            def auth(self, args: list[str]) -> None:
                if args[0].upper() == "PLAIN":
                    given = args[1] if len(args) > 1 else self.ask("")
                    _, user, password = base64.b64decode(given).decode().split("\0")
                else:
                    user = base64.b64decode(args[1] if len(args) > 1 else self.ask("VXNlcm5hbWU6")).decode()
                    password = base64.b64decode(self.ask("UGFzc3dvcmQ6")).decode()
                if (user, password) == (stub.user, stub.password):
                    stub.logins.append(user)
                    self.reply("235 accepted")
                else:
                    self.reply("535 authentication failed")

            def ask(self, challenge: str) -> str:
                self.reply(f"334 {challenge}")
                return self.rfile.readline().decode().strip()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self, **more: str) -> dict[str, str]:
        """KOERS_SMTP_* naming this server."""
        found = {"KOERS_SMTP_HOST": "127.0.0.1", "KOERS_SMTP_PORT": str(self.port), "KOERS_SMTP_SECURITY": "none",
                 "KOERS_SMTP_FROM": "Koers <koers@example.nl>"}
        if self.user:
            found |= {"KOERS_SMTP_USER": self.user, "KOERS_SMTP_PASSWORD": self.password or ""}
        return {**found, **more}
