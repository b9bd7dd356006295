"""Where each dimension's values live in the canonical tables: what a
filter can match, and what the web's filters offer.

A filter on a value no record holds (`--where region=Randstadt`) is not an
error, since a KPI then measures nothing, correctly; but a figure of 0 for
a typing error would be read as a fact, so the CLI warns and names the
values nearest to it.
"""

from __future__ import annotations

import difflib
from datetime import datetime

import pandas as pd

# Several tables may carry one dimension; a value in any of them can match.
PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "owner": (("reps", "rep_id"),),  # every owner_id refers to a rep
    "team": (("reps", "team"),),
    "role": (("reps", "role"),),
    "source": (("leads", "source"), ("opportunities", "source"), ("customers", "source"), ("costs", "source")),
    "channel": (("leads", "channel"),),
    "campaign": (("leads", "campaign"), ("opportunities", "campaign")),
    "region": (("leads", "region"), ("opportunities", "region"), ("customers", "region")),
    "segment": (("leads", "segment"), ("opportunities", "segment"), ("customers", "segment")),
    "industry": (("leads", "industry"), ("customers", "industry")),
    "company_size": (("leads", "company_size"), ("customers", "company_size")),
    "product": (("leads", "product"), ("opportunities", "product"), ("orders", "product")),
    "product_line": (("opportunities", "product_line"), ("orders", "product_line")),
    "deal_type": (("opportunities", "deal_type"),),
    "stage": (("stages", "stage"),),
    "type": (("activities", "type"),),
    "customer": (("customers", "customer_id"),),
}
# values a dimension has without a record writing them (data-model.md: a null deal_type is new_business)
IMPLIED = {"deal_type": {"new_business"}}
FEW = 12  # a dimension with no more values than this has them all named when none is near


def reps(con):
    """Every rep's id, team and employment dates (a DataFrame): who an
    owner can be in a period."""
    return con.table("reps").select("rep_id", "team", "hired_on", "left_on").to_pandas()


def employed(reps, period, as_of_day, where: dict[str, str] | None = None, at_end: bool = False) -> list[str]:
    """The ids of the reps (a reps() frame) employed during `period`
    (kpis.md, Time: hired_on < end(P) and (left_on null or left_on >
    start(P))) and hired before `as_of_day` (the as-of moment's ceil_date: a
    rep hired later has not started yet), in the filter's team or rep.
    `at_end`: employed at end(P) instead, or at the as-of moment if sooner
    (hired_on < t and (left_on null or left_on >= t), t's date standing for
    its first instant), as a stock measured then asks."""
    where = where or {}
    t = min(period.end, as_of_day)
    found = []
    for rep in reps.to_dict("records"):
        hired, left = _day(rep["hired_on"]), _day(rep["left_on"])
        still = left is None or (left >= t if at_end else left > period.start)
        if (hired is not None and hired < t and still
                and where.get("team", rep["team"]) == rep["team"] and where.get("owner", rep["rep_id"]) == rep["rep_id"]):
            found.append(rep["rep_id"])
    return found


def _day(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.date() if isinstance(value, datetime) else value


def held(con, dim: str, value: str) -> bool:
    """Whether a record in the workspace holds `value` for `dim` (True for a
    dimension Koers does not know the places of, such as close_month)."""
    if dim not in PLACES or value in IMPLIED.get(dim, ()):
        return True
    for table, column in PLACES[dim]:
        t = con.table(table)
        if len(t.filter(t[column] == value).select(column).limit(1).execute()):
            return True
    return False


def values(con, dim: str) -> list[str]:
    """Every value the workspace holds for `dim`, sorted."""
    seen = set(IMPLIED.get(dim, ()))
    for table, column in PLACES.get(dim, ()):
        t = con.table(table)
        seen |= {v for v in t.select(column).distinct().execute()[column] if isinstance(v, str) and v}
    return sorted(seen)


def nearest(value: str, known: list[str]) -> list[str]:
    """The values in `known` that `value` was most likely meant to be: the
    same but for case, or else up to three that read alike."""
    same_but_case = [v for v in known if v.casefold() == value.casefold()]
    return same_but_case or difflib.get_close_matches(value, known, n=3, cutoff=0.6)


def unheld_warnings(con, where: dict[str, str], what: str = "--where") -> list[str]:
    """A warning for each filter whose value no record holds, naming the values
    nearest to it (an empty value filters on null, which needs no record)."""
    warnings = []
    for dim, value in where.items():
        if value == "" or held(con, dim, value):
            continue
        known = values(con, dim)
        near = nearest(value, known)
        if near:
            hint = f"; did you mean {' or '.join(repr(v) for v in near)}?"
        elif 0 < len(known) <= FEW:
            hint = f"; the values it holds: {', '.join(known)}"
        else:
            hint = ""
        warnings.append(f"{what} {dim}={value}: no record in the workspace has {dim} {value!r}, "
                        f"so the figures cover no record{hint}")
    return warnings
