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
from koers.datalog import local_instant
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import QueryError, dim_values
from koers.periods import PeriodError, last_complete_month, parse_spec
from koers.review import CLOSING_SHOWN, WALK_SHOWN, WORDS, review, shown_walk
from koers.store import WorkspaceError


@app.command("review")
def review_cmd(
    period: Annotated[str | None, typer.Option(help="the period reviewed: 2025-10, 2025-Q3, ... (default: the last "
                                                    "complete month)")] = None,
    where: Annotated[list[str] | None, typer.Option(help="team=TEAM or owner=REP: the review of a team's meeting "
                                                        "or of one rep (repeatable)")] = None,
    format: Annotated[str, typer.Option("--format", help="table | json | xlsx")] = "table",
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """The review of a month for the sales meeting: the focus KPIs against the month before, a year earlier and
    the target; every rep; the alerts; what changed in the pipeline and what became of the deals expected."""
    check_choice("format", format, ("table", "json", "xlsx"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
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
    if format == "json":
        write_out(as_json(found, settings.tz) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import review_workbook

        write_out(review_workbook(found, lang, settings.currency, names.get("owner", {}), settings.tz), output_path)
    else:
        _print(found, lang, settings.currency, names.get("owner", {}), settings.tz)


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
    said = WORDS
    so_far = f" ({said['so_far'][lang]})" if found.running else ""
    out.print(f"[bold]{escape(said['title'][lang])} {found.period.label}{so_far}[/bold]", highlight=False)

    t = Table("KPI", said["value"][lang], said["previous"][lang], said["change"][lang], said["year"][lang],
              said["target"][lang], said["attainment"][lang], *([said["pace"][lang]] if found.running else []),
              title=said["headline"][lang], title_justify="left")
    for c in t.columns[1:]:
        c.justify = "right"
    for r in found.headline.to_dict("records"):
        k = r["kpi"]
        t.add_row(escape(CATALOG_BY_ID[k].name(lang)), output.format_value(k, r["value"], lang, currency),
                  output.format_value(k, r["previous_value"], lang, currency),
                  output.format_change(r["previous_change"], r["change_unit"], lang),
                  output.format_value(k, r["year_value"], lang, currency),
                  output.format_value(k, r["target"], lang, currency), output.format_percent(r["attainment"], lang),
                  *([output.format_percent(r["pace"], lang)] if found.running else []))
    out.print(t)

    reps = Table(said["rep"][lang], said["team"][lang], *[CATALOG_BY_ID[k].name(lang) for k in found.rep_kpis],
                 said["won_target"][lang], said["attainment"][lang], title=said["reps"][lang], title_justify="left")
    for c in reps.columns[2:]:
        c.justify = "right"
    for r in found.reps.to_dict("records"):
        reps.add_row(escape(f"{names.get(r['owner'], r['owner'])} ({r['owner']})"), escape(output.plain(r["team"]) or "–"),
                     *[output.format_value(k, r[k], lang, currency) for k in found.rep_kpis],
                     output.format_value("won_value", r["won_value_target"], lang, currency),
                     output.format_percent(r["won_value_attainment"], lang))
    out.print(reps)

    fired = found.alerts.fired
    out.print(f"\n[bold]{escape(said['alerts'][lang])}[/bold]: "
              + said["fired"][lang].format(fired=len(fired), rules=len(found.rules)), highlight=False)
    by_name = {r.name: r for r in found.rules}
    for r in fired.to_dict("records"):
        rule = by_name[r["rule"]]
        scope = alerts.scope_text(rule, r, lambda d, v: names.get(v, v) if d == "owner" else str(v))
        out.print(f"  {escape(rule.name)} · {escape(rule.period(found.as_of, tz).label)}"
                  f"{' · ' + escape(scope) if scope else ''} · "
                  f"{output.format_value(rule.kpi, r['value'], lang, currency)} · "
                  f"{escape(alerts.against_text(rule, r, lang, currency))} · "
                  f"{said['worse_by'][lang].lower()} {escape(alerts.worse_text(rule, r, lang, currency))}",
                  highlight=False)

    for note in found.notes_in(lang):
        out.print(f"\n{escape(note)}", highlight=False)
    for title, walk, shown in ((said["pipeline"][lang], found.pipeline, WALK_SHOWN),
                               (said["closing"][lang], found.closing, CLOSING_SHOWN)):
        if walk is None:
            continue
        out.print(f"\n[bold]{escape(title)}[/bold] ({escape(walk.base.import_id)} → {escape(walk.then.import_id)})",
                  highlight=False)
        p = Table(said["line"][lang], said["deals"][lang], said["value"][lang])
        p.columns[1].justify = p.columns[2].justify = "right"
        for line, count, value in shown_walk(walk.lines, shown, lang):
            p.add_row(escape(line), "" if count is None else str(count),
                      output.format_value("won_value", value, lang, currency))
        out.print(p)
