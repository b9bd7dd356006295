"""Figures set against the period before or the same period a year earlier
(`koers kpi --compare previous|year`).

The compared figure is the same KPI, split and filtered the same way, over
the shifted period and asked at the same as-of moment, so it is the row
`koers kpi` gives for that period. A group the shifted period has no row
for has the value the KPI gives a group without records (Kpi.empty_value:
0 for a count or a sum, none for a ratio or a mean). The change is in the
unit a manager reads it in (output.change_of): relative for amounts and
counts, percentage points for ratios, times for a multiple.
"""

from __future__ import annotations

import pandas as pd

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import Result, compute
from koers.periods import Period

AGAINST = ("previous", "year")
COLUMNS = ("compared_period", "compared_value", "compared_numerator", "compared_denominator", "change",
           "change_unit")


def shifted(p: Period, against: str) -> Period | None:
    """The period P is compared with (an ISO week 53 has none a year earlier)."""
    return p.previous() if against == "previous" else p.year_earlier()


def compared(con, settings, result: Result, kpi_ids, periods: list[Period], by, where, as_of,
             against: str) -> Result:
    """`result` (compute()'s for `periods`) with the COLUMNS added to each row."""
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
            added[c].append(None if output.plain(v) == "" else v)
    out = rows.copy()
    for c in COLUMNS:
        out[c] = pd.Series(added[c], index=rows.index, dtype=object)
    return Result(out, warnings)


def _key_columns(rows: pd.DataFrame) -> list[str]:
    return [c for c in rows.columns if c not in ("value", "numerator", "denominator")]
