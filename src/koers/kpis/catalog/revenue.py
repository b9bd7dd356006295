"""Revenue: orders, growth, margin, contracts and forecasts."""

from __future__ import annotations

import ibis
import pandas as pd

from koers.kpis import records
from koers.kpis.catalog._declare import kpi
from koers.kpis.model import CUSTOMER_DIMS, FORECAST_DIMS, ORDER_DIMS


def _orders_in_p(ctx):
    return ctx.in_period(ctx.orders, "ordered_on", dated=True)


def _revenue(ctx):
    t = _orders_in_p(ctx)
    return t.mutate(_x=t._amount)


def _margin(ctx):
    t = _orders_in_p(ctx)
    t = t.filter(t._cost.notnull())
    return t.mutate(_n=t._amount - t._cost, _d=t._amount)


def _acv(ctx):
    c = ctx.raw("contracts")
    c = c.filter(c.start_on < ctx.Td)
    c = ctx.convert(c, {"_value": "total_value"}, "currency", "start_on")
    c = ctx.customer_dims(c.drop("owner_id"))
    t = ctx.in_period(c, "start_on", dated=True)
    years = t.end_on.delta(t.start_on, unit="day").cast("float64") / ibis.literal(365.25, type="float64")
    return t.mutate(_x=t._value.cast("float64") / ibis.greatest(ibis.literal(1.0, type="float64"), years))


def _growth(shift):
    def combine(engine, ctx, by, where):
        from koers.kpis.catalog import CATALOG_BY_ID
        from koers.kpis.compute import divide

        rev = CATALOG_BY_ID["revenue"]
        w = tuple(sorted(where.items()))
        keys = ["period", *by]
        now = engine.part(rev, tuple(by), w, ctx)[[*keys, "value"]].rename(columns={"value": "r"})
        earlier_ctx, back = engine.shifted(ctx, shift)
        before = engine.part(rev, tuple(by), w, earlier_ctx)[[*keys, "value"]].rename(columns={"value": "b"})
        before["period"] = before["period"].map(back).astype(object)  # stays object when empty
        before = before[before["period"].notna()]
        if by:
            df = now.merge(before, on=keys, how="outer")
        else:
            df = now.merge(before, on=keys, how="left")
        df = df.astype(object).where(df.notna(), None)
        has_base = [p in back.values() for p in df["period"]]
        df["numerator"] = [
            None if not ok else (r or 0) - (b or 0) for ok, r, b in zip(has_base, df["r"], df["b"])
        ]
        df["denominator"] = [None if not ok else (b or 0) for ok, b in zip(has_base, df["b"])]
        df["value"] = [divide(n, d) for n, d in zip(df["numerator"], df["denominator"])]
        return df[[*keys, "value", "numerator", "denominator"]]

    return combine


def chosen_forecasts(ctx) -> pd.DataFrame:
    """Each rep's forecast for each P that forecast_accuracy takes: the one
    for P's own notation with the latest submitted_on <= start(P)'s date,
    submitted before T. Columns period, owner, team (the rep's), rep_id,
    forecast_period (its notation), submitted_on, amount."""
    f = ctx.raw("forecasts")
    f = f.filter(f.submitted_on < ctx.Td).to_pyarrow().to_pylist()
    teams = ctx.rep_teams
    rows = []
    for p in ctx.periods:
        if p.grain not in ("month", "quarter"):
            continue
        latest: dict[str, dict] = {}
        for r in f:
            if r["period"] == p.label and r["submitted_on"] <= p.start:
                best = latest.get(r["rep_id"])
                if best is None or r["submitted_on"] > best["submitted_on"]:
                    latest[r["rep_id"]] = r
        for rep, r in latest.items():
            rows.append({"period": p.start, "owner": rep, "team": teams.get(rep), "rep_id": rep,
                         "forecast_period": r["period"], "submitted_on": r["submitted_on"], "amount": r["amount"]})
    return pd.DataFrame(rows, columns=["period", "owner", "team", "rep_id", "forecast_period", "submitted_on",
                                       "amount"])


def _forecast_accuracy(engine, ctx, by, where):
    from koers.kpis.catalog import CATALOG_BY_ID
    from koers.kpis.compute import divide

    fc = records.keep_where(chosen_forecasts(ctx), where, {}).rename(columns={"amount": "F"})
    fc = fc[["period", "owner", "team", "F"]]
    won = engine.part(CATALOG_BY_ID["won_value"], ("owner",), (), ctx)[["period", "owner", "value"]]
    fc = fc.merge(won.rename(columns={"value": "A"}), on=["period", "owner"], how="left")
    fc["A"] = fc["A"].fillna(0.0)
    keys = ["period", *by]
    g = fc.groupby(keys, dropna=False)[["F", "A"]].sum().reset_index()
    if not by:  # a period without a rep's forecast sums over no rep: ΣF = ΣA = 0, as a ratio's empty parts are
        g = pd.DataFrame({"period": [p.start for p in ctx.periods]}).merge(g, on="period", how="left")
        g[["F", "A"]] = g[["F", "A"]].astype("float64").fillna(0.0)
    g["numerator"] = g["F"] - g["A"]
    g["denominator"] = g["A"]
    g["value"] = [divide(n, d) for n, d in zip(g["numerator"], g["denominator"])]
    return g[[*keys, "value", "numerator", "denominator"]]


F = "revenue"
KPIS = [
    kpi("revenue", "Omzet", "Revenue", F, "result", "money", "higher", ORDER_DIMS,
        "sum of orders.amount with ordered_on in P (credits included)", "sum", ["orders"], _revenue, additive=True),
    kpi("revenue_growth", "Omzetgroei", "Revenue growth", F, "result", "ratio", "higher", ORDER_DIMS,
        "(revenue(P) − revenue(previous period)) / revenue(previous period); null when the base is 0 or absent",
        "composite", ["orders"], combine=_growth("previous"), parts=["revenue"],
        notes=("Split by a dimension, a group shows when it has revenue in P or in the previous period; one "
               "without revenue in the previous period has no value.",)),
    kpi("revenue_growth_yoy", "Omzetgroei j-o-j", "Revenue growth year over year", F, "result", "ratio", "higher",
        ORDER_DIMS, "the same against the period a year earlier", "composite", ["orders"],
        combine=_growth("year"), parts=["revenue"],
        notes=("Split by a dimension, a group shows when it has revenue in P or a year earlier; one without "
               "revenue a year earlier has no value.",
               "An ISO week 53 and 29 February have no period a year earlier: value, numerator and "
               "denominator are empty.",)),
    kpi("average_order_value", "Gemiddelde orderwaarde", "Average order value", F, "result", "money", "higher",
        ORDER_DIMS, "revenue(P) / number of orders in P (credits count as orders)", "mean", ["orders"], _revenue),
    kpi("gross_margin", "Brutomarge", "Gross margin", F, "result", "ratio", "higher", ORDER_DIMS,
        "(Σ amount − Σ cost) / Σ amount over the orders in P with a known cost", "ratio", ["orders"], _margin),
    kpi("acv", "Jaarlijkse contractwaarde", "Annual contract value", F, "result", "money", "higher", CUSTOMER_DIMS,
        "mean over contracts with start_on in P of total_value / max(1, years), years = (end_on − start_on) in "
        "days / 365.25", "mean", ["contracts"], _acv),
    kpi("forecast_accuracy", "Nauwkeurigheid prognose", "Forecast accuracy", F, "insight", "ratio", "closer to 0",
        FORECAST_DIMS,
        "(F − A) / A per rep: F = the rep's forecast for P (the one with the latest submitted_on <= start(P)'s "
        "date, for a period of P's own notation), A = the rep's won_value in P; grouped, ΣF and ΣA over the reps "
        "with such a forecast; positive = over-forecast", "composite", ["forecasts", "opportunities"],
        combine=_forecast_accuracy, parts=["won_value"], records=[("forecasts", records.forecasts)],
        notes=("Only forecasts written in P's own notation count (`2025-03` for a month, `2025-Q1` for a "
               "quarter). A period without such a forecast (an ISO week, or a month nobody forecast) gives "
               "numerator and denominator 0 and no value.",)),
]
