"""Targets (kpis.md, "Targets") and target_attainment.

A target row has a KPI, a scope (rep, else team, else company) and a period.
Additive KPIs prorate a row by the days of its period inside P; any other
KPI takes the overlap-weighted mean of the rows overlapping P.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from koers.kpis.catalog._declare import kpi
from koers.kpis.records import targets_of
from koers.periods import parse_one


def _scope(by, where) -> str:
    keys = set(by) | set(where)
    if "owner" in keys:
        return "owner"
    if "team" in keys:
        return "team"
    return "company"


def _target_rows(ctx, kpi_id: str | None = None) -> list[dict]:
    cache = ctx.__dict__.setdefault("_target_rows", None)
    if cache is None:
        t = ctx.raw("targets").to_pyarrow().to_pylist()
        bounds: dict[str, tuple] = {}  # a workspace has many targets over few periods
        for row in t:
            if row["period"] not in bounds:
                p = parse_one(row["period"])
                bounds[row["period"]] = (p.start, p.end)
            row["_start"], row["_end"] = bounds[row["period"]]
            row["scope"] = "owner" if row["rep_id"] is not None else "team" if row["team"] is not None else "company"
            row["_team_as_written"] = row["team"]  # what the drill-down shows of the row
            if row["scope"] == "owner":
                row["team"] = ctx.rep_teams.get(row["rep_id"])  # a rep target belongs to the rep's team of today
        ctx._target_rows = cache = t
    return [r for r in cache if kpi_id is None or r["kpi"] == kpi_id]


def target_frame(engine, ctx, kpi_id: str, by, where, shift: int = 0) -> pd.DataFrame:
    """period, *by, target: the target of kpi_id over P (or the period
    `shift` periods after P) for each scope that has one."""
    from koers.kpis.catalog import CATALOG_BY_ID

    additive = CATALOG_BY_ID[kpi_id].additive
    scope = _scope(by, where)
    rows = [r for r in _target_rows(ctx, kpi_id) if r["scope"] == scope]
    for dim, value in where.items():
        col = "rep_id" if dim == "owner" else dim
        rows = [r for r in rows if (r.get(col) or "") == value]
    columns = ["period", *by, "target"]
    if not rows:
        return pd.DataFrame(columns=columns)
    # Each row's overlap with each period, a period at a time over arrays of
    # the rows: a workspace holds a target per rep per month for years.
    # Summed in the rows' order, as a plain loop would.
    ids: dict[tuple, int] = {}
    group = np.array([ids.setdefault(tuple(r["rep_id"] if d == "owner" else r.get(d) for d in by), len(ids))
                      for r in rows])
    keys = list(ids)
    value = np.array([r["value"] for r in rows], dtype="float64")
    start = np.array([r["_start"].toordinal() for r in rows])
    end = np.array([r["_end"].toordinal() for r in rows])
    out = []
    for p in ctx.periods:
        q = p
        for _ in range(shift):
            q = q.next()
        overlap = np.minimum(end, q.end.toordinal()) - np.maximum(start, q.start.toordinal())
        inside = overlap > 0
        if not inside.any():
            continue
        g, o, v = group[inside], overlap[inside], value[inside]
        if additive:  # prorated by the share of the row's days inside P
            summed, weights = np.bincount(g, weights=v * o / (end - start)[inside], minlength=len(keys)), None
        else:  # the overlap-weighted mean
            summed = np.bincount(g, weights=v * o, minlength=len(keys))
            weights = np.bincount(g, weights=o.astype("float64"), minlength=len(keys))
        for k in pd.unique(g):  # in the order the rows first name them
            target = float(summed[k]) if weights is None else float(summed[k]) / float(weights[k])
            out.append({"period": p.start, **dict(zip(by, keys[k])), "target": target})
    return pd.DataFrame(out, columns=columns)


def attainment_columns(by) -> list[str]:
    """The columns of target_attainment's rows, split by `by`."""
    return ["period", "target_kpi", *by, "value", "numerator", "denominator"]


def target_rows(engine, kpi_ids, by, where) -> pd.DataFrame:
    """target_attainment's rows for the KPIs `kpi_ids` without their actuals
    (what a comparison with the target needs): period, target_kpi, *by, and
    the target as denominator."""
    targeted = {r["kpi"] for r in _target_rows(engine.ctx)}
    frames = [target_frame(engine, engine.ctx, k, by, where).assign(target_kpi=k) for k in dict.fromkeys(kpi_ids)
              if k in targeted]
    columns = attainment_columns(by)
    if not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat([f.astype(object) for f in frames], ignore_index=True).rename(columns={"target": "denominator"})
    return rows.assign(value=None, numerator=None)[columns]


def _attainment(engine, ctx, by, where):
    from koers.kpis.catalog import CATALOG_BY_ID
    from koers.kpis.compute import divide

    frames = []
    scope = _scope(by, where)
    kpi_ids = sorted({r["kpi"] for r in _target_rows(ctx) if r["scope"] == scope})
    for kid in kpi_ids:
        k = CATALOG_BY_ID[kid]
        targets = target_frame(engine, ctx, kid, by, where)
        if targets.empty:
            continue
        # A target set for target_attainment itself has no actual: it would
        # be the attainment of every target, its own among them.
        measurable = (kid != "target_attainment" and all(d in k.dimensions for d in list(by) + list(where))
                      and not engine.missing_tables(k))
        if measurable:
            actual = engine.part(k, tuple(by), tuple(sorted(where.items())), ctx)[["period", *by, "value"]]
            df = targets.merge(actual, on=["period", *by], how="left", indicator="_found")
            # A scope without records has no row in K's split: its actual is
            # what K gives for that scope asked alone (0 for a count or sum,
            # flow or stock; none for a ratio or mean). A row K gives keeps
            # its value, null or not.
            empty = k.empty_value([*by, *where])
            df["value"] = df["value"].astype(object).where(df["_found"] == "both", empty)
            df = df.drop(columns="_found")
        else:
            df = targets.assign(value=None)
        df["numerator"] = df["value"]
        df["denominator"] = df["target"]
        df["value"] = [divide(n, d) for n, d in zip(df["numerator"], df["denominator"])]
        df["target_kpi"] = kid
        frames.append(df[attainment_columns(by)])
    if not frames:
        return pd.DataFrame(columns=attainment_columns(by))
    # as objects: a frame whose values are all missing then takes no part in
    # choosing the columns' types (pandas warns it soon will)
    return pd.concat([f.astype(object) for f in frames], ignore_index=True)


KPIS = [
    kpi("target_attainment", "Targetrealisatie", "Target attainment", "revenue", "result", "ratio", "higher",
        ("owner", "team"),
        "always split by `target_kpi`, the KPI K a target is set for: actual K over P / the target of K over P, "
        "for the scope asked (`--by owner`: each rep; `--by team`: each team; neither: the company)",
        "composite", ["targets"], combine=_attainment, split=["target_kpi"], records=[("targets", targets_of(None))],
        notes=("A scope without a target for K has no row. The actual of a scope without records of K is "
               "what `koers kpi K --where owner=R` gives it: 0 for a count or sum, empty for a ratio or "
               "mean.",)),
]
