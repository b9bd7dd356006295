"""What `koers alerts send` and `koers review --mail-to` share: the
recipients and the mail server checked before any work, and the mails
sent or written into an outbox, each said as it goes."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from koers.cli import err, usage_error


def mail_setup(to: str | None, option: str, link: str | None, outbox: str | None):
    """The addresses of `option`, the cockpit's address and the mail server
    (None for an outbox, whose folder is made), each checked: exit 2 naming
    what to set."""
    from koers import mail

    try:
        addresses = mail.addresses(to, option)
        link = mail.cockpit_link(link) if link else None
        if outbox:
            mail.outbox_folder(outbox)
    except mail.MailError as e:
        usage_error(str(e))
    try:
        return addresses, link, None if outbox else mail.server()
    except mail.MailError as e:
        usage_error(f"{e}; or --outbox FOLDER writes the mails as files")


def deliver(messages, server, outbox: str | None, what: str, record) -> bool:
    """Send `messages` through `server`, or write them into `outbox`; say
    what went, and `record(indexes)` those. False when a mail did not go
    to every recipient (each refused one named with the server's answer)."""
    from koers import mail

    went: list[int] = []
    try:
        if outbox:
            written = mail.to_outbox(Path(outbox), messages)
            went = list(range(len(messages)))
            err.print(f"wrote {len(written)} mail(s) ({what}) into {outbox}", highlight=False)
            refused = []
        else:
            refused = mail.send(server, messages, went.append)
    except mail.MailError as e:
        record(went)
        err.print(f"[red]error:[/red] {escape(str(e))}; {len(went)} of {len(messages)} mail(s) went, and only "
                  f"they are recorded as sent", highlight=False)
        return False
    record(went)
    if not outbox and went:
        err.print(f"sent {len(went)} mail(s) ({what}) through {server.name}", highlight=False)
    if refused:
        err.print(f"[red]error:[/red] the mail server {server.name} refused {escape(', '.join(refused))}; the "
                  f"mails to the others went, and only theirs are recorded as sent", highlight=False)
    return not refused
