"""Reference KPIs: Customers and their upsells, from kpis.md alone.

Every KPI here collects, per period, named *parts*: lists of (dims, record)
pairs, dims being the record's dimension values in `by` order (a customer's
own; an order's, NPS answer's or upsell's those of its customer; a cost's
its source). Unsplit, the value is computed over all of them; split, over
each group that has a record in one of its parts (ratios: their parts are
the denominator's records; composite KPIs: any of their parts)."""

from __future__ import annotations

import math
from datetime import date

from tests.oracle import base

UPSELL_TYPES = {"upsell", "cross_sell"}
CAP_YEARS = 10.0


# ---------------------------------------------------------------- dimensions


def customer_dims(data: base.Data, customer: dict | None, by: list[str]) -> tuple:
    """The customer's owner, team (the owner's, as reps.csv says today),
    source, region, segment, industry, company_size."""
    if customer is None:
        return tuple(None for _ in by)
    return tuple(data.team(customer["owner_id"]) if d == "team"
                 else customer["owner_id"] if d == "owner"
                 else customer[d] for d in by)


def of_customers(data: base.Data, customers, by: list[str]) -> list[tuple]:
    return [(customer_dims(data, c, by), c) for c in customers]


def of_their_customer(data: base.Data, records, by: list[str]) -> list[tuple]:
    """Orders and NPS answers: the dimensions of their customer (attributes,
    not events: taken from the uncut table, for a customer acquired at or after T too)."""
    customers = {c["customer_id"]: c for c in data.raw["customers"]}
    return [(customer_dims(data, customers.get(r["customer_id"]), by), r) for r in records]


def of_costs(costs, by: list[str]) -> list[tuple]:
    """cac and clv_cac_ratio split by `source` only: the source the cost buys."""
    return [(tuple(c["source"] if d == "source" else None for d in by), c) for c in costs]


def _order(key: tuple) -> tuple:
    return tuple((0, "") if v is None else (1, str(v)) for v in key)


def split(kpi: str, data: base.Data, periods: list[base.Period], by: list[str], parts, value) -> list[dict]:
    """parts(P) -> {name: [(dims, record)]}; value(P, {name: [record]}) -> (value, numerator, denominator)."""
    out = []
    for p in periods:
        got = parts(p)
        if not by:
            out.append(base.row(kpi, p, {}, *value(p, {n: [r for _, r in items] for n, items in got.items()})))
            continue
        groups = {k for items in got.values() for k, _ in items}
        for key in sorted(groups, key=_order):
            sub = {n: [r for k, r in items if k == key] for n, items in got.items()}
            out.append(base.row(kpi, p, dict(zip(by, key)), *value(p, sub)))
    return out


def plain(value) -> tuple:
    return (value, None, None)


def share(numerator: float, denominator: float) -> tuple:
    return (base.ratio(numerator, denominator), numerator, denominator)


# ---------------------------------------------------------------- customer states


def active_at(customer: dict, t) -> bool:
    """acquired_on < t and (churned_on null or churned_on >= t); a date stands for its first instant."""
    churned = customer["churned_on"]
    return base.instant(customer["acquired_on"]) < t and (churned is None or base.instant(churned) >= t)


def active_during(customer: dict, start: date, end: date) -> bool:
    """Active at some instant t of [start, end): acquired_on < t <= churned_on for such a t."""
    acquired, churned = customer["acquired_on"], customer["churned_on"]
    return acquired < end and (churned is None or (churned >= start and churned > acquired))


def in_days(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day < end


def window(p: base.Period) -> tuple[date, date]:
    """W = the 12 months ending at end(P): [the same day a year before, end(P)'s day)
    (29 February falls back to the 28th)."""
    end = p.next_first
    try:
        return end.replace(year=end.year - 1), end
    except ValueError:
        return date(end.year - 1, 2, 28), end


def customers_where(data: base.Data, keep) -> list[dict]:
    return [c for c in data.t["customers"] if keep(c)]


# ---------------------------------------------------------------- money parts


def orders_in(data: base.Data, start: date, end: date) -> list[dict]:
    return [o for o in data.t["orders"] if in_days(o["ordered_on"], start, end)]


def costs_in(data: base.Data, start: date, end: date) -> list[dict]:
    """A cost is an event at its month's first day."""
    return [c for c in data.t["costs"] if in_days(base.month_first(c["month"]), start, end)]


def revenue(data: base.Data, orders) -> float:
    """Converted at the rate of the order date; a null amount counts as 0."""
    return math.fsum(data.rates.eur(o["amount"], o["currency"], o["ordered_on"]) for o in orders)


def cost_sum(data: base.Data, costs) -> float:
    """Converted at the rate of the first day of the cost's month."""
    return math.fsum(data.rates.eur(c["amount"], c["currency"], base.month_first(c["month"])) for c in costs)


# ---------------------------------------------------------------- KPIs


def new_customers(data, periods, by):
    def parts(p):
        return {"new": of_customers(data, customers_where(data, lambda c: p.contains_day(c["acquired_on"])), by)}
    return split("new_customers", data, periods, by, parts, lambda p, g: plain(len(g["new"])))


def active_customers(data, periods, by):
    """Active at end(P); for a period not over at T, at T."""
    def parts(p):
        at = data.at_end(p)
        return {"active": of_customers(data, customers_where(data, lambda c: active_at(c, at)), by)}
    return split("active_customers", data, periods, by, parts, lambda p, g: plain(len(g["active"])))


def _at_start(data, by):
    def parts(p):
        return {"base": of_customers(data, customers_where(data, lambda c: active_at(c, p.start)), by)}
    return parts


def churn_rate(data, periods, by):
    def value(p, g):
        return share(sum(1 for c in g["base"] if p.contains_day(c["churned_on"])), len(g["base"]))
    return split("churn_rate", data, periods, by, _at_start(data, by), value)


def customer_retention_rate(data, periods, by):
    def value(p, g):
        at = data.at_end(p)
        return share(sum(1 for c in g["base"] if active_at(c, at)), len(g["base"]))
    return split("customer_retention_rate", data, periods, by, _at_start(data, by), value)


def upsell_rate(data, periods, by):
    """Of the customers active at start(P), the share with an upsell or
    cross-sell won in P (closed before T; deal_type null = new_business)."""
    def value(p, g):
        won = {o["customer_id"] for o in data.t["opportunities"]
               if o["status"] == "won" and o["deal_type"] in UPSELL_TYPES and p.contains(o["closed_at"])}
        return share(sum(1 for c in g["base"] if c["customer_id"] in won), len(g["base"]))
    return split("upsell_rate", data, periods, by, _at_start(data, by), value)


def nps(data, periods, by):
    def parts(p):
        return {"answers": of_their_customer(data, [a for a in data.t["nps"] if p.contains_day(a["responded_on"])], by)}

    def value(p, g):
        answers = g["answers"]
        if not answers:
            return plain(None)
        promoters = sum(1 for a in answers if a["score"] >= 9)
        detractors = sum(1 for a in answers if a["score"] <= 6)
        return plain((promoters / len(answers) - detractors / len(answers)) * 100)
    return split("nps", data, periods, by, parts, value)


def _cac_parts(data, by, span):
    """span(P) -> (first day, first day after): the costs of the months in it and its new customers."""
    def parts(p):
        start, end = span(p)
        return {"costs": of_costs(costs_in(data, start, end), by),
                "new": of_customers(data, customers_where(data, lambda c: in_days(c["acquired_on"], start, end)), by)}
    return parts


def cac_value(data, g) -> float | None:
    return base.ratio(cost_sum(data, g["costs"]), len(g["new"]))


def cac(data, periods, by):
    return split("cac", data, periods, by, _cac_parts(data, by, lambda p: (p.first, p.next_first)),
                 lambda p, g: plain(cac_value(data, g)))


def _clv_parts(data, by):
    def parts(p):
        start, end = window(p)
        return {"orders": of_their_customer(data, orders_in(data, start, end), by),
                "active": of_customers(data, customers_where(data, lambda c: active_during(c, start, end)), by),
                "at_start": of_customers(data, customers_where(data, lambda c: active_at(c, base.instant(start))), by)}
    return parts


def clv_value(data, p, g) -> float | None:
    """a × f × L: a = revenue / orders, f = orders / customers active in W,
    L = 1 / c capped at 10 (10 when c = 0), c = share of those active at W's start churned in W."""
    start, end = window(p)
    orders = g["orders"]
    a = base.ratio(revenue(data, orders), len(orders))
    f = base.ratio(len(orders), len(g["active"]))
    c = base.ratio(sum(1 for x in g["at_start"] if in_days(x["churned_on"], start, end)), len(g["at_start"]))
    if a is None or f is None or c is None:
        return None
    return a * f * (CAP_YEARS if c == 0 else min(1 / c, CAP_YEARS))


def clv(data, periods, by):
    return split("clv", data, periods, by, _clv_parts(data, by), lambda p, g: plain(clv_value(data, p, g)))


def clv_cac_ratio(data, periods, by):
    clv_parts, cac_parts = _clv_parts(data, by), _cac_parts(data, by, window)

    def parts(p):
        return {**clv_parts(p), **cac_parts(p)}

    def value(p, g):
        lifetime, acquisition = clv_value(data, p, g), cac_value(data, g)
        if lifetime is None or acquisition is None:
            return (None, lifetime, acquisition)
        return (base.ratio(lifetime, acquisition), lifetime, acquisition)
    return split("clv_cac_ratio", data, periods, by, parts, value)


KPIS: dict = {
    "new_customers": new_customers,
    "active_customers": active_customers,
    "churn_rate": churn_rate,
    "customer_retention_rate": customer_retention_rate,
    "cac": cac,
    "clv": clv,
    "clv_cac_ratio": clv_cac_ratio,
    "nps": nps,
    "upsell_rate": upsell_rate,
}
