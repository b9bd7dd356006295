"""Figures set against the period before, the same period a year earlier,
or their target (`koers kpi --compare previous|year|target`).

The compared figure is the same KPI, split and filtered the same way, over
the shifted period and asked at the same as-of moment, so it is the row
`koers kpi` gives for that period. A group the shifted period has no row
for has the value the KPI gives a group without records (Kpi.empty_value:
0 for a count or a sum, none for a ratio or a mean). The change is in the
unit a manager reads it in (output.change_of): relative for amounts and
counts, percentage points for ratios, times for a multiple.

Against its target, a figure is set beside the target of its KPI over the
same period for the same scope (kpis.md, Targets), the denominator of the
target_attainment row for that KPI: a rep's with `owner`, a team's with
`team`, else the company's. A figure without such a target has none. While
P runs at T, a flow (an additive KPI) also gets its pace: the figure over
the target prorated to the share of P before T, where it is heading.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import Engine, QueryError, Result, compute, needs_warning
from koers.kpis.model import Kpi
from koers.periods import Period

AGAINST = ("previous", "year", "target")
TARGET_SCOPES = ("owner", "team")  # a target is a rep's, a team's or the company's
COLUMNS = ("compared_period", "compared_value", "compared_numerator", "compared_denominator", "change",
           "change_unit")
TARGET_COLUMNS = (*COLUMNS, "pace")  # against the target


def shifted(p: Period, against: str) -> Period | None:
    """The period P is compared with (an ISO week 53 has none a year earlier)."""
    return p.previous() if against == "previous" else p.year_earlier()


def compared(con, settings, result: Result, kpi_ids, periods: list[Period], by, where, as_of,
             against: str) -> Result:
    """`result` (compute()'s for `periods`) with the COLUMNS added to each
    row, or the TARGET_COLUMNS against the target."""
    if against == "target":
        check_target_scope(by, where)
        found = targets(con, settings, kpi_ids, periods, by, where, as_of) if len(result.rows) else None
        return beside_targets(result, found, by, elapsed_shares(periods, as_of, settings.tz))
    others = compared_periods(periods, against)
    earlier = compute(con, settings, kpi_ids, others, by, where, as_of) if others and len(result.rows) else None
    return beside(result, earlier, periods, by, where, against)


def compared_periods(periods: list[Period], against: str) -> list[Period]:
    """The periods to ask for to compare `periods` with, each once."""
    return [q for q in dict.fromkeys(shifted(p, against) for p in periods) if q is not None]


def beside(result: Result, earlier: Result | None, periods: list[Period], by, where, against: str) -> Result:
    """`result` with the COLUMNS added from `earlier`, the same question's
    answer for compared_periods(periods, against)."""
    rows = result.rows
    pairs = {p.start: shifted(p, against) for p in periods}
    warnings = list(result.warnings)
    before: dict[tuple, tuple] = {}
    if earlier is not None:
        warnings += [w for w in earlier.warnings if w not in warnings]
        keys = _key_columns(earlier.rows)
        for rec in earlier.rows.to_dict("records"):
            before[tuple(rec[c] for c in keys)] = (rec["value"], rec["numerator"], rec["denominator"])
    keys = _key_columns(rows)
    scope = [*by, *(where or {})]
    added = {c: [] for c in COLUMNS}
    for rec in rows.to_dict("records"):
        kpi = CATALOG_BY_ID[rec["kpi"]]
        q = pairs.get(rec["period"])
        if q is None:
            value = numerator = denominator = None
        else:
            key = tuple(q.start if c == "period" else rec[c] for c in keys)
            empty = (kpi.empty_value(scope), 0, 0) if kpi.is_ratio else (kpi.empty_value(scope), None, None)
            value, numerator, denominator = before.get(key, empty)
        change, unit = output.change_of(kpi, rec["value"], value)
        for c, v in zip(COLUMNS, (q.start if q else None, value, numerator, denominator, change, unit)):
            added[c].append(None if output.missing(v) else v)
    out = rows.copy()
    for c in COLUMNS:
        out[c] = pd.Series(added[c], index=rows.index, dtype=object)
    return Result(out, warnings)


def check_target_scope(by, where) -> None:
    other = [d for d in [*by, *(where or {})] if d not in TARGET_SCOPES]
    if other:
        raise QueryError(f"targets are set for a rep, a team or the company: compare with them split or filtered "
                         f"by owner or team only, not {', '.join(dict.fromkeys(other))}")


def targets(con, settings, kpi_ids, periods: list[Period], by, where, as_of, shared: dict | None = None) -> Result:
    """The targets of `kpi_ids` over `periods` for the scope of `by` and
    `where`, as target_attainment's rows without their actuals: a comparison
    with the target reads no records. `shared`: as drill()'s."""
    from koers.kpis.catalog.targets import attainment_columns, target_rows

    engine = Engine(con, settings, periods, as_of, shared=shared)
    try:
        missing = engine.missing_tables(CATALOG_BY_ID["target_attainment"])
        rows = target_rows(engine, kpi_ids, by, dict(where or {})) if not missing else None
    finally:
        if shared is None:
            engine.release()
    if missing:
        return Result(pd.DataFrame(columns=attainment_columns(by)),
                      [needs_warning(CATALOG_BY_ID["target_attainment"], missing)])
    return Result(rows, [])


def elapsed_share(period: Period, as_of: datetime, tz: ZoneInfo) -> float:
    """How much of P lies before the as-of moment, 0..1, in elapsed time:
    the day of the spring DST change is 23 hours long."""
    start, end = period.start_utc(tz), period.end_utc(tz)
    if as_of <= start:
        return 0.0
    if as_of >= end:
        return 1.0
    return (as_of - start) / (end - start)


def elapsed_shares(periods: list[Period], as_of: datetime, tz: ZoneInfo) -> dict:
    """Each period's elapsed share, by the first day the rows name it by."""
    return {p.start: elapsed_share(p, as_of, tz) for p in periods}


def pace(kpi: Kpi, actual, target, share: float) -> float | None:
    """Where a figure is heading while P runs: the actual over the target
    prorated to the elapsed share of P (1 is on pace). Only a flow summed
    over P has one: half-way through a month half the won value is on pace;
    a win rate or a pipeline stock is not prorated. None too for a period
    not running at T and for a figure without a target."""
    if not kpi.additive or not 0 < share < 1 or output.missing(actual) or output.missing(target) or not target:
        return None
    return actual / (target * share)


def beside_targets(result: Result, targets: Result | None, by, shares: dict | None = None) -> Result:
    """`result` with the TARGET_COLUMNS added from `targets`,
    target_attainment's answer to the same question: each figure's target is
    the denominator of the row for its KPI, period and split. `shares`: each
    period's elapsed share (elapsed_shares), which paces its figures; none
    (for a period not in it too) sets no pace."""
    shares = shares or {}
    found: dict[tuple, object] = {}
    warnings = list(result.warnings)
    if targets is not None and "target_kpi" in targets.rows.columns:
        # of the targets alone: an actual target_attainment could not compute is not one asked for here
        warnings += [w for w in targets.warnings if w not in warnings and ": the actual of " not in w]
        for rec in targets.rows.to_dict("records"):
            found[(rec["target_kpi"], rec["period"], *(rec[d] for d in by))] = rec["denominator"]
    rows = result.rows
    added = {c: [] for c in TARGET_COLUMNS}
    for rec in rows.to_dict("records"):
        kpi = CATALOG_BY_ID[rec["kpi"]]
        target = found.get((rec["kpi"], rec["period"], *(rec[d] for d in by)))
        change, unit = output.change_of(kpi, rec["value"], target)
        paced = pace(kpi, rec["value"], target, shares.get(rec["period"], 1.0))
        for c, v in zip(TARGET_COLUMNS, (rec["period"], target, None, None, change, unit, paced)):
            added[c].append(None if output.missing(v) else v)
    out = rows.copy()
    for c in TARGET_COLUMNS:
        out[c] = pd.Series(added[c], index=rows.index, dtype=object)
    return Result(out, warnings)


def _key_columns(rows: pd.DataFrame) -> list[str]:
    return [c for c in rows.columns if c not in ("value", "numerator", "denominator")]
