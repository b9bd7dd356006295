"""`koers changes`: what changed in the open pipeline between two snapshots
(koers.pipeline_changes), as a walk from one open value to the other, or
the deals behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from koers import output
from koers.cli import (
    LangOpt,
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
    DIMENSIONS,
    LINES,
    MOVES,
    WALK,
    ChangesError,
    changes,
    deal_rows,
    line_label,
    local_text,
    pick,
    read,
    snapshots,
)
from koers.store import WorkspaceError, now_utc

WHEN = "an import id (koers imports), a moment (2025-07-01, 2025-07-01T09:00) or a span back from now (7d, 2w)"


@app.command("changes")
def changes_cmd(
    since: Annotated[str | None, typer.Option(help=f"the earlier snapshot: {WHEN}; the last one taken at or before "
                                                   "it (default: the one before the latest)")] = None,
    until: Annotated[str | None, typer.Option(help="the later snapshot, named the same way (default: the "
                                                   "latest)")] = None,
    by: Annotated[str | None, typer.Option(help="owner or team (the deal's owner today)")] = None,
    where: Annotated[list[str] | None, typer.Option(help="owner=REP or team=TEAM (repeatable)")] = None,
    deals: Annotated[bool, typer.Option("--deals", help="the deals behind the walk instead of its lines")] = False,
    line: Annotated[str | None, typer.Option(help="with --deals: only the deals of this line ("
                                                  + ", ".join(LINES) + ")")] = None,
    format: Annotated[str, typer.Option("--format", help="table | csv | json | xlsx")] = "table",
    lang: LangOpt = "en",
    output_path: Annotated[Path | None, typer.Option("--output", "-o", help="write csv, json or xlsx to this "
                                                                            "file instead of standard output")
                           ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """What changed in the open pipeline between two snapshots (every import takes one): new deals, won, lost,
    amounts raised or lowered, stages moved, close dates pushed out."""
    from koers.kpis.drill import in_local_time

    check_choice("format", format, ("table", "csv", "json", "xlsx"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
    by_dims = [d.strip() for d in by.split(",")] if by else []
    for d in by_dims:
        check_choice("by", d, DIMENSIONS)
    filters = {}
    for w in where or []:
        dim, sep, value = w.partition("=")
        if not sep:
            usage_error(f"--where takes DIM=VALUE (got '{w}')")
        check_choice("where", dim.strip(), DIMENSIONS)
        filters[dim.strip()] = value.strip()
    if line is not None:
        check_choice("line", line, LINES)
        if not deals:
            usage_error("--line picks the deals of one line: add --deals")
    ws = open_workspace(workspace, read_only=True)
    try:
        settings = ws.settings()
        with ws.reader_table_by_table() as (con, take):
            found = snapshots(con)
            if not found:
                raise ChangesError("this workspace has no snapshot yet: every import or sync takes one")
            now = now_utc()
            then = pick(found, until, settings.tz, now) if until else found[-1]
            if since:
                base = pick(found, since, settings.tz, now)
            elif found.index(then) == 0:
                raise ChangesError(f"no snapshot was taken before {then.import_id} "
                                   f"({local_text(then.taken_at, settings.tz)}): every import or sync takes one; "
                                   "import again later, or name --until")
            else:
                base = found[found.index(then) - 1]
            records = read(con, take, base, then)
        result = changes(records, settings.tz, settings.currency, base, then, by_dims, filters)
    except (ChangesError, WorkspaceError) as e:
        usage_error(str(e))
    tz, currency = settings.tz, settings.currency
    names = {rep: name for rep, (name, _) in records.reps.items() if name}
    compared = (f"{base.import_id} ({local_text(base.taken_at, tz)}, {base.deals} open) → "
                f"{then.import_id} ({local_text(then.taken_at, tz)}, {then.deals} open)")
    if format != "table":
        err.print(f"snapshots: {compared}", highlight=False)
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
            _print_deals(rows, lang, currency, compared, line, names)
        return
    if format == "csv":
        write_out(output.to_csv(result.lines), output_path)
    elif format == "json":
        write_out(output.to_json(result.lines) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import changes_workbook

        write_out(changes_workbook(result.lines, in_local_time(deal_rows(result), tz), lang, currency,
                                           compared), output_path)
    elif by_dims:
        _print_walk_by(result.lines, by_dims, lang, currency, compared, names)
    else:
        _print_walk(result.lines, lang, currency, compared)
    for cur, day in sorted(result.missing_rates):
        err.print(f"[yellow]warning:[/yellow] no exchange rate of {cur} in force on {day}: the values of its deals "
                  "are empty", highlight=False)


def _money(value, lang: str, currency: str, short: bool = False) -> str:
    if output.missing(value):
        return "–"
    return (output.format_short if short else output.format_value)("won_value", value, lang, currency)


def _signed(value, lang: str, currency: str, short: bool = False) -> str:
    """A change to the open value with its sign; none at all a dash."""
    if not output.missing(value) and value == 0:
        return "–"
    text = _money(value, lang, currency, short)
    return "+" + text if not output.missing(value) and value > 0 else text


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
    shown = ("start", "new", "won", "lost", "other", "end")
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


def _print_deals(rows, lang: str, currency: str, compared: str, line: str | None, names: dict[str, str]) -> None:
    what = line_label(line, lang) if line else COLUMNS["changed"][lang]
    out.print(f"[bold]{escape(what)}[/bold]: {escape(compared)}", highlight=False)
    if rows.empty:
        out.print(COLUMNS["none"][lang], highlight=False)
        return
    t = Table("Deal", COLUMNS["owner"][lang], COLUMNS["line"][lang], COLUMNS["change"][lang], "stage",
              COLUMNS["close"][lang])
    t.columns[3].justify = "right"
    for r in rows.itertuples(index=False):
        said = [] if output.missing(r.line) else [r.line]
        what = ", ".join(line_label(x, lang) for x in said + (r.moves.split(",") if r.moves else []))
        stage = _arrow(r.stage_before, r.stage_after)
        close = _arrow(r.expected_close_on_before, r.expected_close_on_after)
        t.add_row(escape(r.opportunity_id), escape(names.get(r.owner, output.plain(r.owner) or "–")), escape(what),
                  _signed(r.value_change, lang, currency, short=True), escape(stage), escape(close))
    out.print(t)


def _arrow(before, after) -> str:
    """before → after when both are known and differ, else the one known
    (a deal won or new is in one snapshot only)."""
    b, a = output.plain(before), output.plain(after)
    return f"{b} → {a}" if b and a and b != a else b or a or "–"


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
    "change": {"en": "Change", "nl": "Verandering"},
    "close": {"en": "Expected close", "nl": "Verwachte sluiting"},
}
