"""The other records behind a figure: rows of a table a KPI reads beside
its own population or its parts (cac's costs, a target's rows).

A KPI declares them as `records`: (table, function) pairs. A function
takes (engine, match, where): a run over the figure's one period, its split and filters, and gives the
rows as a DataFrame in the order of the table's key, with the columns of
the table and what each row adds to the figure. Each reads the rows as the
KPI's own computation does, so the records add up to what it used.
"""

from __future__ import annotations

import pandas as pd


def _split(match: dict[str, str], where: dict[str, str], dims: tuple[str, ...]) -> dict[str, str]:
    """The figure's values of the dimensions these records have (a reps
    row has no activity type: by type, every rep counts)."""
    both = {**where, **match}
    return {d: v for d, v in both.items() if d in dims}


def keep_where(df: pd.DataFrame, values: dict[str, str], columns: dict[str, str]) -> pd.DataFrame:
    """Rows whose column for each dimension holds its value; an empty value
    stands for null, as in --where."""
    for dim, value in values.items():
        col = df[columns.get(dim, dim)]
        df = df[col.isna() if value == "" else col == value]
    return df


def costs(engine, match, where) -> pd.DataFrame:
    """The costs of P's months (of the figure's source), each in the
    workspace currency as `value`: their sum is cac's numerator."""
    from koers.kpis.catalog.customers import COSTS
    from koers.kpis.compute import apply_where

    pop = apply_where(COSTS.population(engine.ctx), _split(match, where, ("source",)))
    df = pop.select("month", "category", "source", "campaign", "amount", "currency", value="_x").execute()
    df["month"] = pd.to_datetime(df["month"]).dt.strftime("%Y-%m")  # as costs.csv writes it
    return df.sort_values(["month", "category", "source", "campaign"], na_position="first", kind="stable")


def reps(engine, match, where) -> pd.DataFrame:
    """The reps activities_per_rep_week divides by: those employed during P
    (of the figure's team), or, split by rep, that rep alone."""
    from koers.kpis.catalog.activities import EMPLOYED

    ctx = engine.ctx
    columns = ["rep_id", "name", "team", "role", "hired_on", "left_on"]
    split = _split(match, where, ("owner", "team"))
    if "owner" in split:  # one rep's activities over one rep-week each week, employed or not
        df = ctx.raw("reps").select(*columns).execute()
    else:
        df = EMPLOYED.population(ctx).select(*columns).execute()
    return keep_where(df, split, {"owner": "rep_id"}).sort_values("rep_id", kind="stable")


def forecasts(engine, match, where) -> pd.DataFrame:
    """Each rep's forecast for P that forecast_accuracy takes, beside the
    rep's won_value in P: Σ (amount − won_value) / Σ won_value."""
    from koers.kpis.catalog import CATALOG_BY_ID
    from koers.kpis.catalog.revenue import chosen_forecasts

    fc = keep_where(chosen_forecasts(engine.ctx), _split(match, where, ("owner", "team")), {})
    won = engine.part(CATALOG_BY_ID["won_value"], ("owner",), ())[["owner", "value"]]
    fc = fc.merge(won.rename(columns={"value": "won_value"}), on="owner", how="left")
    fc["won_value"] = fc["won_value"].astype("float64").fillna(0.0)
    return fc[["rep_id", "team", "forecast_period", "submitted_on", "amount", "won_value"]].rename(
        columns={"forecast_period": "period"}).sort_values("rep_id", kind="stable")


def targets_of(kpi_id: str | None, shift: int = 0):
    """The target rows behind a target of `kpi_id` (None: the figure's
    target_kpi) over P, or over the period `shift` periods after P, which
    `counted_over` names; `days_overlapping` are the row's days in it."""

    def targets(engine, match, where) -> pd.DataFrame:
        from koers.kpis.catalog import CATALOG_BY_ID
        from koers.kpis.catalog.targets import _scope, _target_rows
        from koers.kpis.compute import QueryError

        target = kpi_id or match.get("target_kpi") or where.get("target_kpi")
        if not target:
            raise QueryError("the targets behind a target_attainment figure are found through its target_kpi")
        dims = {d: v for d, v in {**where, **match}.items() if d != "target_kpi"}
        scope = _scope(dims, {})
        ctx = engine.ctx
        (p,) = ctx.periods
        for _ in range(shift):
            p = p.next()
        rows = []
        for r in _target_rows(ctx, target):
            overlap = (min(r["_end"], p.end) - max(r["_start"], p.start)).days
            if r["scope"] == scope and overlap > 0:
                # a rep's row counts for the rep's team of today (its own team column is ignored)
                rows.append({"period": r["period"], "kpi": r["kpi"], "rep_id": r["rep_id"],
                             "team": r["_team_as_written"], "rep_team": r["team"] if r["rep_id"] else None,
                             "value": r["value"], "counted_over": p.label,
                             "days_in_period": (r["_end"] - r["_start"]).days, "days_overlapping": overlap})
        df = pd.DataFrame(rows, columns=["period", "kpi", "rep_id", "team", "rep_team", "value", "counted_over",
                                         "days_in_period", "days_overlapping"])
        df = keep_where(df, _split(dims, {}, ("owner", "team")),
                        {"owner": "rep_id", "team": "rep_team" if scope == "owner" else "team"})
        if CATALOG_BY_ID[target].additive:  # prorated by its days inside the period: these add up to the target
            df["prorated"] = df["value"] * df["days_overlapping"] / df["days_in_period"]
        return df.sort_values(["period", "rep_id", "team"], na_position="first", kind="stable")

    return targets
