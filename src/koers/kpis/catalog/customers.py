"""Customers: acquisition, churn, lifetime value, satisfaction."""

from __future__ import annotations

import ibis

from koers.kpis import records
from koers.kpis.catalog._declare import by_id, kpi
from koers.kpis.context import flag
from koers.kpis.model import CUSTOMER_DIMS


def _active_at(ctx, start: bool):
    c, P = ctx.customers, ctx.P
    d = P._d_start if start else P._d_end
    return c.join(P, (c.acquired_on < d) & (c.churned_on.isnull() | (c.churned_on >= d)))


def _new(ctx):
    return ctx.in_period(ctx.customers, "acquired_on", dated=True)


def _active(ctx):
    return _active_at(ctx, start=False)


def _churn(ctx):
    t = _active_at(ctx, start=True)
    churned = t.churned_on.notnull() & (t.churned_on < t._d_end)
    return t.mutate(_n=flag(churned), _d=ibis.literal(1))


def _retention(ctx):
    t = _active_at(ctx, start=True)
    still = t.churned_on.isnull() | (t.churned_on >= t._d_end)
    return t.mutate(_n=flag(still), _d=ibis.literal(1))


def _active_in_window(ctx):
    """Customers active at some instant of P: acquired before its end, and
    churned (if at all) on or after its start and after their acquisition."""
    c, P = ctx.customers, ctx.P
    return c.join(
        P,
        (c.acquired_on < P._d_end)
        & (c.churned_on.isnull() | ((c.churned_on >= P._d_start) & (c.churned_on > c.acquired_on))),
    )


def _order_count(ctx):
    return ctx.in_period(ctx.orders, "ordered_on", dated=True)


def _costs(ctx):
    c = ctx.raw("costs")
    c = c.filter(c.month < ctx.Td)
    c = ctx.convert(c, {"_amount": "amount"}, "currency", "month")
    t = ctx.in_period(c, "month", dated=True)
    return t.mutate(_x=t._amount)


def _cac(engine, ctx, by, where):
    from koers.kpis.compute import divide

    w = tuple(sorted(where.items()))
    keys = ["period", *by]
    cost = engine.part(COSTS, tuple(by), w, ctx)[[*keys, "value"]].rename(columns={"value": "cost"})
    new = engine.part(by_id("new_customers"), tuple(by), w, ctx)[[*keys, "value"]].rename(columns={"value": "n"})
    df = cost.merge(new, on=keys, how="outer" if by else "left")
    df = df.astype(object).where(df.notna(), None)
    df["numerator"] = df["cost"]
    df["denominator"] = df["n"]
    df["value"] = [divide(c or 0, n) for c, n in zip(df["cost"], df["n"])]
    return df[[*keys, "value", "numerator", "denominator"]]


def _clv_parts(engine, ctx, by, where):
    """a, f and c of clv over the 12 months ending at end(P)."""
    w = tuple(sorted(where.items()))
    keys = ["period", *by]
    wctx, back = engine.shifted(ctx, "window12")
    frames = {}
    for name, k in (("rev", by_id("revenue")), ("orders", ORDERS), ("active", ACTIVE_IN_WINDOW),
                    ("churn", by_id("churn_rate"))):
        part = engine.part(k, tuple(by), w, wctx)
        cols = {"value": name} if name != "churn" else {"numerator": "churned", "denominator": "base"}
        part = part[[*keys, *cols]].rename(columns=cols)
        part["period"] = part["period"].map(back).astype(object)
        frames[name] = part
    df = None
    for part in frames.values():
        df = part if df is None else df.merge(part, on=keys, how="outer")
    return df.astype(object).where(df.notna(), None)


def _clv_value(rev, orders, active, churned, base):
    if not orders or not base:
        return None
    a = (rev or 0) / orders
    f = orders / active if active else None
    if f is None:
        return None
    c = (churned or 0) / base
    life = 10.0 if c == 0 else min(1.0 / c, 10.0)
    return a * f * life


def _clv(engine, ctx, by, where):
    df = _clv_parts(engine, ctx, by, where)
    df["value"] = [_clv_value(*v) for v in zip(df["rev"], df["orders"], df["active"], df["churned"], df["base"])]
    df["numerator"] = df["denominator"] = None
    return df[["period", *by, "value", "numerator", "denominator"]]


def _clv_cac(engine, ctx, by, where):
    from koers.kpis.compute import divide

    keys = ["period", *by]
    clv = engine.part(by_id("clv"), tuple(by), tuple(sorted(where.items())), ctx)[[*keys, "value"]]
    wctx, back = engine.shifted(ctx, "window12")
    cac = engine.part(by_id("cac"), tuple(by), tuple(sorted(where.items())), wctx)[[*keys, "value"]]
    cac = cac.assign(period=cac["period"].map(back).astype(object))
    df = clv.rename(columns={"value": "clv"}).merge(cac.rename(columns={"value": "cac"}), on=keys,
                                                     how="outer" if by else "left")
    df = df.astype(object).where(df.notna(), None)
    df["numerator"] = df["clv"]
    df["denominator"] = df["cac"]
    df["value"] = [divide(n, d) for n, d in zip(df["clv"], df["cac"])]
    return df[[*keys, "value", "numerator", "denominator"]]


def _nps(ctx):
    n = ctx.raw("nps")
    n = n.filter(n.responded_on < ctx.Td)
    n = ctx.customer_dims(n)
    t = ctx.in_period(n, "responded_on", dated=True)
    return t.mutate(_n=flag(t.score >= 9), _x=flag(t.score <= 6))


F = "customers"
# Parts of composite KPIs, not in the catalogue.
COSTS = kpi("_costs", "", "", F, "result", "money", "higher", ("source",), "costs of the months in P", "sum",
            ["costs"], _costs)
ORDERS = kpi("_orders", "", "", F, "result", "count", "higher", CUSTOMER_DIMS, "orders in P", "count", ["orders"],
             _order_count)
ACTIVE_IN_WINDOW = kpi("_active_in_window", "", "", F, "result", "count", "higher", CUSTOMER_DIMS,
                       "customers active at some instant of P", "count", ["customers"], _active_in_window)

KPIS = [
    kpi("new_customers", "Nieuwe klanten", "New customers", F, "result", "count", "higher", CUSTOMER_DIMS,
        "customers with acquired_on in P", "count", ["customers"], _new, additive=True),
    kpi("active_customers", "Actieve klanten", "Active customers", F, "result", "count", "higher", CUSTOMER_DIMS,
        "customers active at end(P)", "count", ["customers"], _active),
    kpi("churn_rate", "Klantverloop", "Churn rate", F, "insight", "ratio", "lower", CUSTOMER_DIMS,
        "of the customers active at start(P), the share with churned_on in P", "ratio", ["customers"], _churn),
    kpi("customer_retention_rate", "Klantretentie", "Customer retention rate", F, "result", "ratio", "higher",
        CUSTOMER_DIMS,
        "of the customers active at start(P), the share still active at end(P) (so churn + retention = 1)",
        "ratio", ["customers"], _retention),
    kpi("cac", "Klantacquisitiekost", "Customer acquisition cost", F, "insight", "money", "lower", ("source",),
        "Σ costs (marketing and sales) of the months in P / new_customers(P); dimension `source` only: the costs "
        "of that source / the new customers with that source", "composite", ["costs", "customers"], combine=_cac, parts=["new_customers"],
        records=[("costs", records.costs)],
        notes=("By source, a source shows when it has costs or new customers in P; costs without new "
               "customers give no value, new customers without costs a CAC of 0.",)),
    kpi("clv", "Klantlevensduurwaarde", "Customer lifetime value", F, "result", "money", "higher", CUSTOMER_DIMS,
        "a × f × L over the window W = the 12 months ending at end(P): a = revenue / orders in W; f = orders in W "
        "/ customers active at some instant of W; L = 1 / c, capped at 10 years (10 when c = 0), c = of the "
        "customers active at W's start, the share churned in W; null when a or c is undefined", "composite",
        ["orders", "customers"], combine=_clv, parts=["revenue", "active_customers", "churn_rate"],
        notes=("Customers active at some instant of W: acquired before W's end and not churned before W's "
               "start; a customer who joins and churns on one day is never active.",)),
    kpi("clv_cac_ratio", "CLV:CAC-verhouding", "CLV to CAC ratio", F, "insight", "ratio", "higher", ("source",),
        "clv / cac, both over the 12 months ending at end(P); dimension `source` only; 3 or more is healthy",
        "composite", ["orders", "customers", "costs"], combine=_clv_cac, parts=["clv", "cac"], multiple=True),
    kpi("nps", "Net Promoter Score", "Net Promoter Score", F, "result", "score", "higher", CUSTOMER_DIMS,
        "over the answers dated in P: (share scoring 9–10 − share scoring 0–6) × 100", "nps", ["nps"], _nps),
]


