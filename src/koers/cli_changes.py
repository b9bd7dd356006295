"""`koers changes`: what changed in the open pipeline between two snapshots
(koers.pipeline_changes), as a walk from one open value to the other, or
the deals behind it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from koers import output
from koers.cli import (
    LangOpt,
    OutputOpt,
    WorkspaceOpt,
    app,
    check_choice,
    check_output,
    err,
    open_workspace,
    out,
    usage_error,
    write_out,
)
from koers.pipeline_changes import (
    BY_GROUP,
    LINES,
    MOVES,
    WALK,
    ChangesError,
    arrow,
    asked,
    closing_span,
    deal_rows,
    line_label,
    local_text,
    question,
    what_changed,
)
from koers.store import WorkspaceError, now_utc
from koers.web.i18n import column_label

WHEN = "an import id (koers imports), a moment (2025-07-01, 2025-07-01T09:00) or a span back from now (7d, 2w)"


@app.command("changes")
def changes_cmd(
    since: Annotated[str | None, typer.Option(help=f"the earlier snapshot: {WHEN}; the last one taken at or before "
                                                   "it (default: the one before the latest)")] = None,
    until: Annotated[str | None, typer.Option(help="the later snapshot, named the same way (default: the "
                                                   "latest)")] = None,
    by: Annotated[str | None, typer.Option(help="owner or team (the deal's owner today)")] = None,
    where: Annotated[list[str] | None, typer.Option(help="owner=REP or team=TEAM (repeatable)")] = None,
    closing: Annotated[str | None, typer.Option(help="only the deals the earlier snapshot expected to close in this "
                                                     "period (2025-07, 2025-Q3, ...): won, lost, or slipped")] = None,
    deals: Annotated[bool, typer.Option("--deals", help="the deals behind the walk instead of its lines")] = False,
    line: Annotated[str | None, typer.Option(help="with --deals: only the deals of this line ("
                                                  + ", ".join(LINES) + ")")] = None,
    limit: Annotated[int, typer.Option(min=0, help="with --deals: the deals the table shows, biggest change first "
                                                   "(0: all; csv, json and xlsx give all)")] = 50,
    format: Annotated[str, typer.Option("--format", help="table | csv | json | xlsx")] = "table",
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """What changed in the open pipeline between two snapshots (every import takes one): new deals, won, lost,
    amounts raised or lowered, stages moved, close dates pushed out."""
    from koers.kpis.drill import in_local_time

    check_choice("format", format, ("table", "csv", "json", "xlsx"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
    try:
        by_dims, filters = question(by, where or [], line, deals)
        span = closing_span(closing)
    except ChangesError as e:
        usage_error(str(e).replace("ask for the deals", "add --deals"))
    ws = open_workspace(workspace, read_only=True)
    try:
        settings = ws.settings()
        result, records = asked(ws, since, until, by_dims, filters, now_utc(), span)
    except (ChangesError, WorkspaceError) as e:
        usage_error(str(e))
    base, then, tz, currency = result.base, result.then, settings.tz, settings.currency
    names = {rep: name for rep, (name, _) in records.reps.items() if name}
    compared = f"{base.import_id} ({local_text(base.taken_at, tz)}) → {then.import_id} ({local_text(then.taken_at, tz)})"
    if closing:
        compared += f" · {COLUMNS['closing'][lang]} {closing}"
    if format != "table":
        err.print(f"snapshots: {compared}", highlight=False)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    if deals:
        rows = in_local_time(deal_rows(result, line), tz)
        if format == "csv":
            write_out(output.to_csv(rows), output_path)
        elif format == "json":
            write_out(output.to_json(rows) + "\n", output_path)
        elif format == "xlsx":
            from koers.workbook import changes_workbook

            write_out(changes_workbook(result.lines, rows, lang, currency, compared), output_path)
        else:
            _print_deals(rows, lang, currency, compared, line, names, limit or len(rows))
        return
    if format == "csv":
        write_out(output.to_csv(result.lines), output_path)
    elif format == "json":
        write_out(output.to_json(result.lines) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import changes_workbook

        every = in_local_time(deal_rows(result), tz)
        write_out(changes_workbook(result.lines, every, lang, currency, compared), output_path)
    elif by_dims:
        _print_walk_by(result.lines, by_dims, lang, currency, compared, names)
    else:
        _print_walk(result.lines, lang, currency, compared)


def _money(value, lang: str, currency: str, short: bool = False) -> str:
    if output.missing(value):
        return "–"
    return (output.format_short if short else output.format_value)("won_value", value, lang, currency)


def _signed(value, lang: str, currency: str, short: bool = False) -> str:
    """A change to the open value with its sign where the locale puts a
    minus (-€500.00, +€300.00; € -500,00, € +300,00); none at all a dash."""
    if not output.missing(value) and value == 0:
        return "–"
    if output.missing(value) or value < 0:
        return _money(value, lang, currency, short)
    return _money(-value, lang, currency, short).replace("-", "+", 1)


def _print_walk(lines, lang: str, currency: str, compared: str) -> None:
    out.print(f"[bold]{escape(TITLE[lang])}[/bold]: {escape(compared)}", highlight=False)
    t = Table(COLUMNS["line"][lang], COLUMNS["count"][lang], COLUMNS["value"][lang])
    for c in t.columns[1:]:
        c.justify = "right"
    for r in lines.itertuples(index=False):
        if r.line == MOVES[0]:
            t.add_section()
        ends = r.line in ("start", "end")
        value = _money(r.value, lang, currency) if ends or r.line in MOVES else _signed(r.value, lang, currency)
        name = line_label(r.line, lang)
        t.add_row(f"[bold]{escape(name)}[/bold]" if ends else escape(name), str(r.count), value,
                  end_section=r.line == "end")
    out.print(t)


def _print_walk_by(lines, by: list[str], lang: str, currency: str, compared: str, names: dict[str, str]) -> None:
    """A row per group: start, what came in, won, lost, the rest, end; a rep by name."""
    out.print(f"[bold]{escape(TITLE[lang])}[/bold]: {escape(compared)}", highlight=False)
    shown = BY_GROUP
    t = Table(*[COLUMNS.get(d, {}).get(lang, d) for d in by],
              *[COLUMNS["other"][lang] if s == "other" else line_label(s, lang) for s in shown])
    for c in t.columns[len(by):]:
        c.justify = "right"
    for key, group in lines.groupby(by, dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        v = dict(zip(group["line"], group["value"]))
        other = sum(v[x] for x in WALK if x not in shown)
        cells = ["–" if output.missing(k) else f"{names[k]} ({k})" if d == "owner" and k in names else k
                 for d, k in zip(by, key)]
        t.add_row(*[escape(str(c)) for c in cells],
                  *[_money(v[s], lang, currency, short=True) if s in ("start", "end") else
                    _signed(other if s == "other" else v[s], lang, currency, short=True) for s in shown])
    out.print(t)


def _print_deals(rows, lang: str, currency: str, compared: str, line: str | None, names: dict[str, str],
                 limit: int) -> None:
    what = line_label(line, lang) if line else COLUMNS["changed"][lang]
    out.print(f"[bold]{escape(what)}[/bold]: {escape(compared)}", highlight=False)
    if rows.empty:
        out.print(COLUMNS["none"][lang], highlight=False)
        return
    t = Table("Deal", COLUMNS["owner"][lang], COLUMNS["line"][lang], COLUMNS["change"][lang],
              column_label("stage", lang), COLUMNS["close"][lang])
    t.columns[3].justify = "right"
    for r in rows.head(limit).itertuples(index=False):
        what = what_changed(r._asdict(), lang, column_label)
        stage = arrow(r.stage_before, r.stage_after)
        close = arrow(r.expected_close_on_before, r.expected_close_on_after)
        t.add_row(escape(r.opportunity_id), escape(names.get(r.owner, output.plain(r.owner) or "–")), escape(what),
                  _signed(r.value_change, lang, currency, short=True), escape(stage), escape(close))
    out.print(t)
    if len(rows) > limit:
        out.print(COLUMNS["more"][lang].format(shown=limit, total=len(rows)), highlight=False)


TITLE = {"en": "Open pipeline changes", "nl": "Veranderingen in de open pijplijn"}
COLUMNS = {
    "line": {"en": "Line", "nl": "Regel"},
    "count": {"en": "Deals", "nl": "Deals"},
    "value": {"en": "Value", "nl": "Waarde"},
    "other": {"en": "Other", "nl": "Overig"},
    "owner": {"en": "Rep", "nl": "Verkoper"},
    "team": {"en": "Team", "nl": "Team"},
    "changed": {"en": "Deals that changed", "nl": "Gewijzigde deals"},
    "none": {"en": "no deal", "nl": "geen deal"},
    "more": {"en": "the first {shown} of {total} deals: --limit 0 or --format csv gives them all",
             "nl": "de eerste {shown} van {total} deals: --limit 0 of --format csv geeft ze alle"},
    "change": {"en": "Change", "nl": "Verandering"},
    "close": {"en": "Expected close", "nl": "Verwachte sluiting"},
    "closing": {"en": "expected to close in", "nl": "verwacht te sluiten in"},
}
