"""What `koers alerts send` and `koers review --mail-to` share: the
recipients and the mail server checked before any work, and the mails
sent or written into an outbox, each said as it goes."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from koers.cli import err, usage_error


def mail_setup(to: str | None, option: str, link: str | None, outbox: str | None):
    """The addresses of `option` and the mail server (None for an outbox),
    each checked: exit 2 naming what to set."""
    from koers import mail

    try:
        addresses = mail.addresses(to, option)
    except mail.MailError as e:
        usage_error(str(e))
    if link and not link.startswith(("http://", "https://")):
        usage_error(f"--link is the cockpit's address, starting http:// or https:// (got '{link}')")
    try:
        return addresses, None if outbox else mail.server()
    except mail.MailError as e:
        usage_error(f"{e}; or --outbox FOLDER writes the mails as files")


def deliver(messages, server, outbox: str | None, what: str, record) -> list[int]:
    """Send `messages` through `server`, or write them into `outbox`; say
    what went, and `record(indexes)` those. A refusal is said with the
    server's answer; the indexes returned are then fewer than the messages."""
    from koers import mail

    if outbox:
        written = mail.to_outbox(Path(outbox), messages)
        err.print(f"wrote {len(written)} mail(s) ({what}) into {outbox}", highlight=False)
        went = list(range(len(messages)))
    else:
        went = []
        try:
            mail.send(server, messages, went.append)
        except mail.MailError as e:
            err.print(f"[red]error:[/red] {escape(str(e))}; {len(went)} of {len(messages)} mail(s) went, and only "
                      f"they are recorded as sent", highlight=False)
        else:
            err.print(f"sent {len(messages)} mail(s) ({what}) through {server.name} to "
                      f"{', '.join(str(m['To']) for m in messages)}", highlight=False)
    record(went)
    return went
