"""`koers review`: the monthly review (koers.review) for the sales meeting,
as tables, JSON or a workbook."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from koers import alerts, output
from koers.cli import (
    LangOpt,
    OutputOpt,
    WorkspaceOpt,
    _names,
    app,
    check_choice,
    check_output,
    connected,
    err,
    out,
    reading,
    usage_error,
    warn_unheld,
    write_out,
)
from koers.cli_mail import deliver, mail_setup
from koers.datalog import local_instant
from koers.kpis.compute import QueryError, dim_values
from koers.periods import PeriodError, last_complete_month, parse_spec
from koers.review import WORDS, review
from koers.store import WorkspaceError


@app.command("review")
def review_cmd(
    period: Annotated[str | None, typer.Option(help="the period reviewed: 2025-10, 2025-Q3, ... (default: the last "
                                                    "complete month)")] = None,
    where: Annotated[list[str] | None, typer.Option(help="team=TEAM or owner=REP: the review of a team's meeting "
                                                        "or of one rep (repeatable)")] = None,
    format: Annotated[str, typer.Option("--format", help="table | json | xlsx")] = "table",
    mail_to: Annotated[str | None, typer.Option(help="mail the review to these addresses, comma-separated "
                                                     "(its workbook attached) instead of writing it")] = None,
    link: Annotated[str | None, typer.Option(help="with --mail-to: the cockpit's address (http://host:8000), "
                                                  "linked from the mail")] = None,
    outbox: Annotated[str | None, typer.Option(help="with --mail-to: write the mail into this folder as an .eml "
                                                    "file instead of sending it")] = None,
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """The review of a month for the sales meeting: the focus KPIs against the month before, a year earlier and
    the target; every rep; the alerts; what changed in the pipeline and what became of the deals expected."""
    check_choice("format", format, ("table", "json", "xlsx"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
    if (link or outbox) and not mail_to:
        usage_error("--link and --outbox go with --mail-to ADDRESS[,ADDRESS...]")
    recipients, link, server = mail_setup(mail_to, "--mail-to", link, outbox) if mail_to else ([], None, None)
    try:
        filters = dim_values(where or [], "--where")
    except QueryError as e:
        usage_error(str(e))
    ws, settings, now = reading(workspace, None)
    try:
        periods = parse_spec(period) if period else [last_complete_month(now, settings.tz)]
    except PeriodError as e:
        usage_error(str(e))
    if len(periods) != 1:
        usage_error(f"a review is of one period, not the range {period}: name a month, quarter, week or year")
    from koers.engines import close

    con = connected(ws)
    try:
        found = review(ws, alerts.Direct(con, settings), settings, periods[0], now, filters)
        names = _names(con, ["owner"])
    except (WorkspaceError, QueryError) as e:
        usage_error(str(e))
    finally:
        close(con)
    warn_unheld(ws, [(filters, "--where")])
    if found.unfiltered:
        err.print(f"left out, as they do not split by {', '.join(filters)}: {', '.join(found.unfiltered)}",
                  highlight=False)
    for w in found.warnings + found.alerts.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    if recipients:
        _mail(found, recipients, server, outbox, link, lang, settings, names.get("owner", {}))
    elif format == "json":
        write_out(as_json(found, settings.tz) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import review_workbook

        write_out(review_workbook(found, lang, settings.currency, names.get("owner", {}), settings.tz), output_path)
    else:
        _print(found, lang, settings.currency, names.get("owner", {}), settings.tz)


def _mail(found, recipients: list[str], server, outbox: str | None, link: str | None, lang: str, settings,
          names: dict[str, str]) -> None:
    """The review as one mail to `recipients`: the tables in its body, the workbook attached."""
    import re

    from koers import mail
    from koers.review_text import MAIL_WORDS, mail_body, title
    from koers.workbook import review_workbook

    text, page = mail_body(found, lang, settings.currency, names, settings.tz, link)
    book = review_workbook(found, lang, settings.currency, names, settings.tz)
    scope = "-".join(v for v in found.where.values())
    filename = f"{WORDS['review'][lang].lower()}-{found.period.label}{'-' + scope if scope else ''}"
    filename = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", filename) + ".xlsx"  # a name every system can save
    sent = mail.message(server.sender if server else mail.sender(), [(None, r) for r in recipients],
                        MAIL_WORDS["subject"][lang].format(title=title(found, lang, names)), text, page,
                        [(filename, book, mail.XLSX)])
    if not deliver([sent], server, outbox, "the review", lambda went: None):
        raise typer.Exit(1)


def as_json(found, tz) -> str:
    """The review as one object; each part as the command that gives it alone
    would write it (koers kpi --compare, koers alerts check, koers changes)."""
    def rows(frame):
        return json.loads(output.to_json(frame)) if frame is not None else None

    fired = found.alerts.fired
    return json.dumps({
        "period": found.period.label, "where": found.where, "left_out": found.unfiltered, "as_of": local_instant(found.as_of, tz).isoformat(), "running": found.running,
        "headline": rows(found.headline), "reps": rows(found.reps),
        "alerts": rows(fired),
        "pipeline": rows(found.pipeline.lines) if found.pipeline else None,
        "closing": rows(found.closing.lines) if found.closing else None,
        "snapshots": [found.pipeline.base.import_id, found.pipeline.then.import_id] if found.pipeline else None,
        "notes": found.notes_in("en"), "warnings": found.warnings + found.alerts.warnings,
    }, ensure_ascii=False)


def _print(found, lang: str, currency: str, names: dict[str, str], tz) -> None:
    from koers.review_text import sections, title

    out.print(f"[bold]{escape(title(found, lang))}[/bold]", highlight=False)
    for section in sections(found, lang, currency, names, tz):
        for line in section.lines:
            out.print(f"\n{escape(line)}", highlight=False)
        if not section.headings:
            continue
        t = Table(*section.headings, title=section.title, title_justify="left")
        for i, c in enumerate(t.columns):
            c.justify = "right" if section.right(i) else "left"
        for row in section.rows:
            t.add_row(*(escape(c) for c in row))
        out.print(t)
