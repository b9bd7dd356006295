"""`koers drill KPI`: the records behind one figure, at the command line.

The same records the web's drill-down and /api/v1/drill give (koers.kpis.drill):
the KPI's own population for one period and one split, so they add up to
the figure `koers kpi` gives, which the table shows above them with the
KPI's definition.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
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
    check_kpis,
    check_output,
    connected,
    err,
    out,
    reading,
    usage_error,
    write_out,
)
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import QueryError, compute, dim_values
from koers.kpis.dimension_values import unheld_warnings
from koers.kpis.model import label
from koers.model import TABLE_BY_NAME
from koers.periods import PeriodError, default_periods, parse_one
from koers.web.i18n import column_label

ALL = 2**62  # --limit 0: every record (the drill pages by row number)


@app.command("drill")
def drill_cmd(
    kpi_id: Annotated[str, typer.Argument(help="a KPI id (koers kpis lists them)")],
    period: Annotated[str | None, typer.Option(help="one period: 2025, 2025-Q3, 2025-07, 2025-W14 or 2025-07-15 "
                                                    "(default: the last complete month)")] = None,
    match: Annotated[list[str] | None, typer.Option(help="DIM=VALUE of the figure's split, as a row of koers kpi "
                                                         "--by shows it (repeatable; an empty VALUE is a null "
                                                         "dimension; target_attainment needs target_kpi=K)")] = None,
    where: Annotated[list[str] | None, typer.Option(help="DIM=VALUE (repeatable), as koers kpi --where")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the moment the question is asked")] = None,
    table: Annotated[str | None, typer.Option(help="the rows of another table behind the figure instead of the "
                                                   "KPI's own records: cac costs, target_attainment and "
                                                   "pipeline_coverage targets, forecast_accuracy forecasts, "
                                                   "activities_per_rep_week reps")] = None,
    limit: Annotated[int, typer.Option(min=0, help="records shown (0: all)")] = 100,
    offset: Annotated[int, typer.Option(min=0, help="records skipped first, in the order of the table's key")] = 0,
    format: Annotated[str, typer.Option("--format", help="table | csv | json | xlsx")] = "table",
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """The records behind one figure: the rows a KPI counts, sums or divides for one period and split."""
    from koers.engines import close
    from koers.kpis.drill import drill, in_local_time

    check_choice("format", format, ("table", "csv", "json", "xlsx"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
    check_kpis([kpi_id])
    try:
        matched, filters = dim_values(match or [], "--match"), dim_values(where or [], "--where")
    except QueryError as e:
        usage_error(str(e))
    ws, settings, moment = reading(workspace, as_of)
    try:
        p = parse_one(period) if period else default_periods(moment, settings.tz, None)[0]
    except PeriodError as e:
        usage_error(str(e))
    con = connected(ws)
    try:
        found = drill(con, settings, kpi_id, p, matched, filters, moment, limit or ALL, offset, table=table)
        figure = _figure(con, settings, found.kpi, p, matched, filters, moment) if format == "table" else None
        unheld = unheld_warnings(con, filters) + unheld_warnings(
            con, {d: v for d, v in matched.items() if d != "target_kpi"}, "--match")
    except QueryError as e:
        usage_error(str(e))
    finally:
        close(con)
    for w in unheld:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    if found.components:
        also = "".join(f"; its {t} rows: --table {t}" for t in found.tables)
        err.print(f"{kpi_id} has no records of its own: it is made of {', '.join(found.components)}; "
                  f"drill on those{also}", highlight=False)
    elif found.tables and not table and format == "table":
        err.print(f"also behind this figure: {', '.join(f'--table {t}' for t in found.tables)}", highlight=False)
    rows = in_local_time(found.rows, settings.tz)
    if format == "csv":
        write_out(output.to_csv(rows) if len(rows.columns) else "", output_path)
    elif format == "json":
        write_out(output.to_json(rows) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import records_workbook

        write_out(records_workbook(rows, found.kpi, lang), output_path)
    elif not found.components:
        _print_records(found, rows, p, matched, figure, offset, lang, settings.currency)


def _figure(con, settings, kpi_id: str, p, matched: dict[str, str], filters: dict[str, str], moment):
    """The figure the records are behind: the KPI's row of `koers kpi` for
    this period and split (target_attainment's records are its target KPI's,
    so the figure is that KPI's actual), or None when it has no row."""
    by = [d for d in matched if d != "target_kpi"]
    # its own group alone, filtered on the split's values (an empty one is null), not every group's figure
    rows = compute(con, settings, [kpi_id], [p], by, filters | {d: matched[d] for d in by}, moment).rows
    if "target_kpi" in rows.columns:  # target_attainment's other records: the figure of that one target
        rows = rows[rows["target_kpi"] == matched.get("target_kpi")]
    return rows.iloc[0] if len(rows) else None


def _print_records(found, rows: pd.DataFrame, p, matched, figure, offset: int, lang: str, currency: str) -> None:
    kpi = CATALOG_BY_ID[found.kpi]
    split = "".join(f", {d}={v or '–'}" for d, v in matched.items() if d != "target_kpi")
    shown = f"{offset + 1}–{offset + len(rows)}" if len(rows) else "–"
    out.print(f"[bold]{escape(kpi.name(lang))}[/bold] ({kpi.id}), {p.label}{escape(split)}", highlight=False)
    out.print(escape(kpi.definition_in(lang)), highlight=False)
    if figure is None:  # no row in koers kpi: a group without records, which has the KPI's empty value
        figure = {"value": kpi.empty_value([d for d in matched if d != "target_kpi"]), "numerator": 0,
                  "denominator": 0}
    value = output.format_value(kpi.id, figure["value"], lang, currency)
    parts = ""
    if kpi.is_ratio:
        parts = (f" = {output.format_number(figure['numerator'], lang)} / "
                 f"{output.format_number(figure['denominator'], lang)}")
    out.print(f"{label('value', lang)}: {value}{parts}", highlight=False)
    out.print(SAID["records"][lang].format(total=found.total, table=found.table, shown=shown), highlight=False)
    if not len(rows):
        return
    numeric = {c for c in rows.columns if c in NUMBERS or rows[c].dtype.kind in "if"}
    texts = {c: [_text(c in numeric, v, lang) for v in rows[c]] for c in rows.columns}
    shown_columns = _fitting(_people_order(found, rows), texts, out.width)
    t = Table()
    for c in shown_columns:
        t.add_column(column_label(c, lang), justify="right" if c in numeric else "left", no_wrap=True)
    for i in range(len(rows)):
        t.add_row(*[texts[c][i] for c in shown_columns])
    out.print(t)
    left = [c for c in rows.columns if c not in shown_columns]
    if left:
        out.print(SAID["left"][lang].format(n=len(left), columns=", ".join(left)), highlight=False)


SAID = {
    "records": {"en": "{total} records in {table}; shown: {shown}", "nl": "{total} records in {table}; getoond: {shown}"},
    "left": {"en": "{n} more columns ({columns}): --format csv gives them all",
             "nl": "nog {n} kolommen ({columns}): --format csv geeft ze alle"},
}


NUMBERS = ("value", "numerator", "denominator")
# what the other records behind a figure add to it (koers.kpis.records), shown beside their value
ADDED = ("won_value", "prorated", "days_overlapping")


def _text(number: bool, v, lang: str) -> str:
    if number:
        return output.format_number(v, lang) or "–"
    if isinstance(v, pd.Timestamp) and not pd.isna(v):  # local time, as the table's reader lives it
        return v.strftime("%Y-%m-%d %H:%M:%S" if v.second or v.microsecond else "%Y-%m-%d %H:%M")
    return output.plain(v) or "–"


def _people_order(found, rows: pd.DataFrame) -> list[str]:
    """The record's key, what it adds to the figure, then the rest as the
    population has them, without the dimensions that repeat a column."""
    key = list(TABLE_BY_NAME[found.table].key) if found.table else []
    repeats = {"owner_id": "owner", "customer": "customer_id"}  # the dimension that says the same
    rest = [c for c in rows.columns if c not in key and c not in NUMBERS and c not in ADDED
            and not (c in repeats and repeats[c] in rows.columns)]
    # what definitions read first: who, when, in which state, for how much
    rest.sort(key=lambda c: 0 if c in TELLING or c.endswith(("_at", "_on")) else 1)
    return [c for c in key if c in rows.columns] + [c for c in NUMBERS + ADDED if c in rows.columns] + rest


TELLING = ("owner", "rep_id", "status", "stage", "type", "amount", "currency", "total_value", "score", "points")


def _fitting(columns: list[str], texts: dict[str, list[str]], width: int) -> list[str]:
    """The first columns, in order, that fit the terminal's width (at least the first two)."""
    chosen, used = [], 1
    for c in columns:
        need = max([len(column_label(c, "nl")), len(column_label(c, "en"))] + [len(x) for x in texts[c]]) + 3
        if len(chosen) >= 2 and used + need > width:
            break
        chosen.append(c)
        used += need
    return chosen
