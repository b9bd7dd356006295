"""drill(): the records behind one figure.

A figure is a KPI in one period, for one combination of dimension values
(`match`) under the page's filters (`where`). Its records are the KPI's own
population, the very rows the engine aggregates, so a drill-down can never
disagree with the figure it explains. Composite KPIs have no population of
their own: they point to the catalogue KPIs they are built from.

A KPI that reads another table beside them (cac's costs, a target's rows)
shows that table's rows when asked for it by `table` (koers.kpis.records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import ibis
import pandas as pd

from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import QueryError, apply_where, check_query, check_values
from koers.kpis.context import Context
from koers.kpis.model import Agg, Kpi
from koers.model import TABLE_BY_NAME
from koers.periods import Period

# the web drill-down's parameter of a figure's split value (m_owner=R002), also in links a mail carries
MATCH_PREFIX = "m_"

# The population's own per-record contribution, under the names the tidy
# result uses for the aggregate.
CONTRIBUTION = {
    Agg.SUM: {"_x": "value"},
    Agg.MEAN: {"_x": "value"},
    Agg.MEDIAN: {"_x": "value"},
    Agg.RATIO: {"_n": "numerator", "_d": "denominator"},
}


@dataclass
class Drill:
    kpi: str
    table: str | None  # the canonical table the records are rows of
    rows: pd.DataFrame
    total: int  # records matching, of which `rows` is one page
    components: list[str] = field(default_factory=list)  # composite KPIs: where to drill on
    tables: list[str] = field(default_factory=list)  # other tables whose records `table` shows


def source_table(kpi: Kpi, columns: list[str]) -> str | None:
    """The table whose key identifies a population row: among the KPI's
    tables, the one with the longest key present (a stage stay before its
    opportunity, an NPS answer before its customer)."""
    best, best_len = None, 0
    for name in kpi.needs:
        key = TABLE_BY_NAME[name].key
        if set(key) <= set(columns) and len(key) > best_len:
            best, best_len = name, len(key)
    return best


def drill(con, settings, kpi_id: str, period: Period, match: dict[str, str] | None = None,
          where: dict[str, str] | None = None, as_of: datetime | None = None,
          limit: int = 100, offset: int = 0, shared: dict | None = None, table: str | None = None) -> Drill:
    """`shared`: base tables an open session built for the same as-of moment
    (the result cache's), used and left for the session to let go. `table`:
    one of the KPI's record tables instead of its own records."""
    from koers.store import now_utc

    match, where = dict(match or {}), dict(where or {})
    if limit < 0 or offset < 0:
        raise QueryError("limit and offset cannot be negative")
    if table:
        return _other_records(con, settings, kpi_id, table, period, match, where, as_of or now_utc(), limit,
                              offset, shared)
    others = list(CATALOG_BY_ID[kpi_id].record_tables) if kpi_id in CATALOG_BY_ID else []
    if kpi_id == "target_attainment":
        # attainment explains itself by the actuals of the KPI the target is for
        target = match.pop("target_kpi", None)
        if not target:
            raise QueryError("a target_attainment figure is drilled through its target_kpi")
        kpi_id = target
    (kpi,) = check_query([kpi_id], [d for d in match if d != "period"], where)
    check_values(match)
    if kpi.agg == Agg.COMPOSITE:
        return Drill(kpi.id, None, pd.DataFrame(), 0, list(kpi.parts), others)
    ctx = Context(con, settings, [period], as_of or now_utc(), shared=shared)
    try:
        pop = apply_where(apply_where(kpi.population(ctx), where), match)
        table = source_table(kpi, list(pop.columns))
        contribution = {k: v for k, v in CONTRIBUTION.get(kpi.agg, {}).items() if k in pop.columns}
        if kpi.agg == Agg.NPS:
            pop = pop.mutate(_v=pop._n - pop._x)  # +1 promoter, -1 detractor, 0 passive
            contribution = {"_v": "value"}
        public = [c for c in pop.columns if not c.startswith("_") and c != "period"]
        order = list(TABLE_BY_NAME[table].key) if table else public[:1]
        total = int(pop.count().execute())
        # a page by row number: Ibis' OFFSET does not compile on every backend (PySpark)
        rows = pop.select(*public, *contribution)
        if offset >= total:  # past the last record (an offset past 2^63 would not even compile)
            page = rows.limit(0).execute()
        else:
            rows = rows.mutate(_row=ibis.row_number().over(order_by=[rows[c] for c in order]))
            rows = rows.filter((rows._row >= offset) & (rows._row < offset + min(limit, total)))
            page = rows.order_by("_row").drop("_row").execute()
    finally:
        if shared is None:
            ctx.release()
    return Drill(kpi.id, table, page.rename(columns=contribution), total, tables=others)


def _other_records(con, settings, kpi_id: str, table: str, period: Period, match: dict[str, str],
                   where: dict[str, str], as_of: datetime, limit: int, offset: int, shared: dict | None) -> Drill:
    """The rows of `table` behind one figure of kpi_id, as its records declare them."""
    from koers.kpis.compute import Engine

    # target_kpi names the target a target_attainment figure is of; of any other KPI it is no dimension
    split = [d for d in match if d != "period" and not (d == "target_kpi" and kpi_id == "target_attainment")]
    (kpi,) = check_query([kpi_id], split, where)
    if "target_kpi" in split or "target_kpi" in where:
        raise QueryError(f"target_kpi is not a dimension of {kpi_id}; valid dimensions: {', '.join(kpi.dimensions)}")
    if match.get("target_kpi"):
        check_query([match["target_kpi"]], [], {})  # an unknown KPI, with the valid ones
    check_values(match)
    functions = dict(kpi.records)
    if table not in functions:
        shows = f"tables it shows: {', '.join(functions)}" if functions else \
            "a drill-down shows its parts' records" if kpi.parts else "a drill-down shows its own records only"
        raise QueryError(f"{kpi_id} has no other records in '{table}'; {shows}")
    engine = Engine(con, settings, [period], as_of, shared=shared)
    try:
        rows = functions[table](engine, match, where)
    finally:
        if shared is None:
            engine.release()
    page = rows.iloc[offset:offset + limit].reset_index(drop=True)
    return Drill(kpi.id, table, page, len(rows), tables=list(kpi.record_tables))


def in_local_time(rows: pd.DataFrame, tz) -> pd.DataFrame:
    """A drill's records as the API and the CLI give them: instants (`*_at`,
    kept as naive UTC) in the workspace's zone with its offset, and dates
    (`*_on`), which an engine may give back as midnights, as dates."""
    rows = rows.copy()
    for c in rows.columns:
        if not pd.api.types.is_datetime64_any_dtype(rows[c]):
            continue
        if c.endswith("_at"):
            rows[c] = rows[c].dt.tz_localize("UTC").dt.tz_convert(tz)
        elif c.endswith("_on"):
            rows[c] = rows[c].dt.date.astype(object).where(rows[c].notna(), None)
    return rows
