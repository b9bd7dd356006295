"""Reference KPIs: Revenue, targets, forecasts and pipeline coverage, from kpis.md alone."""

from __future__ import annotations

import math
from collections.abc import Callable

from tests.oracle import base
from tests.oracle.base import Data, Period

# ---------------------------------------------------------------- dimensions


def customer_dims(data: Data, customer_id: str | None) -> dict:
    """The dimensions of a customer-based record: the customer's own (the
    uncut row, so that its attributes are known whatever T is)."""
    c = next((r for r in data.raw["customers"] if r["customer_id"] == customer_id), None) or {}
    owner = c.get("owner_id")
    return {"owner": owner, "team": data.team(owner), "source": c.get("source"), "region": c.get("region"),
            "segment": c.get("segment"), "industry": c.get("industry"), "company_size": c.get("company_size"),
            "customer": customer_id}


def order_dims(data: Data, order: dict) -> dict:
    return {**customer_dims(data, order["customer_id"]), "product": order["product"],
            "product_line": order["product_line"]}


def contract_dims(data: Data, contract: dict) -> dict:
    return customer_dims(data, contract["customer_id"])


def rep_dims(data: Data, rep_id: str | None) -> dict:
    return {"owner": rep_id, "team": data.team(rep_id)}


def emit(kpi: str, periods: list[Period], by: list[str], members: Callable[[Period], list[dict]],
         compute: Callable[[Period, Callable[[dict], bool]], tuple], data: Data, tables: tuple) -> list[dict]:
    """One row per period without `by`; with `by`, one per period and group
    that a member of the population in P (each carries its dims in "_dims")
    falls in. compute(P, selects) gives (value, numerator, denominator) over
    the records whose dims `selects` keeps; selects.group is the group's dims.
    When one of the KPI's tables is absent or empty: empty values, no groups."""
    if no_table(data, *tables):
        return [] if by else [base.row(kpi, p, {}, None) for p in periods]
    out = []
    for p in periods:
        for g in {tuple(m["_dims"][d] for d in by) for m in members(p)} if by else {()}:
            group = dict(zip(by, g))

            def selects(dims: dict, group=group) -> bool:
                return all(dims[d] == v for d, v in group.items())
            selects.group = group
            value, num, den = compute(p, selects)
            out.append(base.row(kpi, p, group, value, num, den))
    return out


def tagged(rows: list[dict], dims: Callable[[dict], dict]) -> list[dict]:
    return [{**r, "_dims": dims(r)} for r in rows]


# ---------------------------------------------------------------- orders


def orders(data: Data) -> list[dict]:
    """The orders known at T, amount and cost in EUR at the order date's rate."""
    out = []
    for o in data.t["orders"]:
        rate = data.rates.rate(o["currency"], o["ordered_on"])
        out.append({**o, "eur": (o["amount"] or 0.0) * rate,
                    "eur_cost": None if o["cost"] is None else o["cost"] * rate,
                    "_dims": order_dims(data, o)})
    return out


def orders_in(data: Data, p: Period | None, selects=lambda d: True) -> list[dict]:
    if p is None:
        return []
    return [o for o in orders(data) if p.contains_day(o["ordered_on"]) and selects(o["_dims"])]


def total(records: list[dict], key: str = "eur") -> float:
    return math.fsum(r[key] for r in records)


def no_table(data: Data, *tables: str) -> bool:
    return any(not data.raw[t] for t in tables)


def revenue(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    def compute(p, selects):
        return total(orders_in(data, p, selects)), None, None
    return emit("revenue", periods, by, lambda p: orders_in(data, p), compute, data, ("orders",))


def _growth(kpi: str, base_period: Callable[[Period], Period | None]):
    """(R(P) − R(B)) / R(B) for B = base_period(P); null when the base is 0 or
    absent. With `by`, a group has a row when it has an order in P or in B."""
    def kpi_fn(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
        def compute(p, selects):
            b = base_period(p)
            if b is None:
                return None, None, None
            now, then = total(orders_in(data, p, selects)), total(orders_in(data, b, selects))
            return base.ratio(now - then, then), now - then, then
        def members(p):
            return orders_in(data, p) + orders_in(data, base_period(p))
        return emit(kpi, periods, by, members, compute, data, ("orders",))
    return kpi_fn


revenue_growth = _growth("revenue_growth", Period.previous)
revenue_growth_yoy = _growth("revenue_growth_yoy", Period.year_earlier)


def average_order_value(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    def compute(p, selects):
        found = orders_in(data, p, selects)
        return (total(found) / len(found) if found else None), None, None
    return emit("average_order_value", periods, by, lambda p: orders_in(data, p), compute, data, ("orders",))


def gross_margin(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    def costed(p, selects=lambda d: True):
        return [o for o in orders_in(data, p, selects) if o["eur_cost"] is not None]

    def compute(p, selects):
        found = costed(p, selects)
        amount = total(found)
        return base.ratio(amount - total(found, "eur_cost"), amount), amount - total(found, "eur_cost"), amount
    return emit("gross_margin", periods, by, costed, compute, data, ("orders",))


def acv(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    def contracts_in(p, selects=lambda d: True):
        return [c for c in tagged(data.t["contracts"], lambda c: contract_dims(data, c))
                if p.contains_day(c["start_on"]) and selects(c["_dims"])]

    def annual(c) -> float:
        years = (c["end_on"] - c["start_on"]).days / 365.25
        return data.rates.eur(c["total_value"], c["currency"], c["start_on"]) / max(1.0, years)

    def compute(p, selects):
        return base.mean([annual(c) for c in contracts_in(p, selects)]), None, None
    return emit("acv", periods, by, contracts_in, compute, data, ("contracts",))


# ---------------------------------------------------------------- deals the revenue KPIs need


def won_in(data: Data, p: Period) -> list[dict]:
    """Opportunities won with closed_at in P (as known at T), amount in EUR at the close day's rate."""
    return [{**o, "eur": data.rates.eur(o["amount"], o["currency"], base.local_date(o["closed_at"])),
             "_dims": rep_dims(data, o["owner_id"])}
            for o in data.t["opportunities"] if o["status"] == "won" and p.contains(o["closed_at"])]


def open_value(data: Data, p: Period, selects=lambda d: True) -> list[dict]:
    """Opportunities open at end(P) (T for a period not over at T), amount in
    EUR at the last day of P (or T's day)."""
    t, day = data.at_end(p), data.moment_day(p)
    return [{**o, "eur": data.rates.eur(o["amount"], o["currency"], day), "_dims": rep_dims(data, o["owner_id"])}
            for o in data.t["opportunities"]
            if o["created_at"] < t and (o["closed_at"] is None or o["closed_at"] >= t)
            and selects(rep_dims(data, o["owner_id"]))]


# ---------------------------------------------------------------- forecasts


def forecasts_for(data: Data, p: Period) -> list[dict]:
    """Per rep, the forecast for P: of P's own notation, the latest with
    submitted_on <= start(P)'s date (forecasts known at T)."""
    latest: dict[str, dict] = {}
    for f in data.t["forecasts"]:
        if f["period"] == p.label and f["submitted_on"] <= p.first:
            if f["rep_id"] not in latest or f["submitted_on"] > latest[f["rep_id"]]["submitted_on"]:
                latest[f["rep_id"]] = f
    return tagged(list(latest.values()), lambda f: rep_dims(data, f["rep_id"]))


def forecast_accuracy(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    def compute(p, selects):
        found = [f for f in forecasts_for(data, p) if selects(f["_dims"])]
        if not found:  # ΣF and ΣA over no rep: 0 and 0, nothing to divide by
            return None, 0.0, 0.0
        reps = {f["rep_id"] for f in found}
        f_sum = math.fsum(f["amount"] for f in found)
        a_sum = total([o for o in won_in(data, p) if o["owner_id"] in reps])
        return base.ratio(f_sum - a_sum, a_sum), f_sum - a_sum, a_sum
    return emit("forecast_accuracy", periods, by, lambda p: forecasts_for(data, p), compute, data,
                ("forecasts", "opportunities"))


# ---------------------------------------------------------------- targets

ADDITIVE = {"leads": "leads", "qualified_leads": "leads", "referrals": "leads",
            "new_pipeline_value": "opportunities", "won_deals": "opportunities", "won_value": "opportunities",
            "revenue": "orders", "new_customers": "customers", "activities": "activities",
            "activity_points": "activities"}
# The KPIs whose value is a count or a sum of records (kpis.md's rows: "sum
# of", "count of", "... with X in P", "the backlog"), flows and stocks at an
# instant alike, with the table they count. A scope without a record has 0 of
# them: that is the KPI over the scope, as asked for it alone. A ratio or a
# mean over no records has nothing to divide by and is null (kpis.md,
# Values); activities_per_rep_week divides by the scope's reps, see actual().
COUNTED = {**ADDITIVE, "open_pipeline_value": "opportunities", "open_pipeline_count": "opportunities",
           "weighted_pipeline_value": "opportunities", "stale_opportunities": "opportunities",
           "active_customers": "customers", "overdue_activities": "activities"}
# The KPIs that do not split by owner / by team (kpis.md, their rows).
NOT_BY = {"owner": {"cac", "clv_cac_ratio", "rep_retention", "rep_ramp_time"},
          "team": {"cac", "clv_cac_ratio"}}


def period_of(label: str) -> Period:
    return base.parse_period(label)


def overlap_days(a: Period, b: Period) -> int:
    return max(0, (min(a.next_first, b.next_first) - max(a.first, b.first)).days)


def scope_of(target: dict) -> tuple[str, str | None]:
    """("owner", rep) when rep_id is set (team ignored), else ("team", team), else ("company", None)."""
    if target["rep_id"]:
        return "owner", target["rep_id"]
    if target["team"]:
        return "team", target["team"]
    return "company", None


def target_value(data: Data, kpi: str, scope: tuple, p: Period) -> float | None:
    """The target of `kpi` for `scope` over P; None when no row overlaps P."""
    rows = [(t, period_of(t["period"])) for t in data.raw["targets"] if t["kpi"] == kpi and scope_of(t) == scope]
    rows = [(t, tp, overlap_days(tp, p)) for t, tp in rows if overlap_days(tp, p) > 0]
    if not rows:
        return None
    if kpi in ADDITIVE:
        return math.fsum(t["value"] * days / tp.days for t, tp, days in rows)
    return math.fsum(t["value"] * days for t, _, days in rows) / sum(days for _, _, days in rows)


def scope_kind(by: list[str]) -> str:
    return "owner" if "owner" in by else "team" if "team" in by else "company"


def actual(data: Data, kpi: str, kind: str, who: str | None, p: Period) -> float | None:
    """K over P for one scope, from the reference module that implements K."""
    from tests.oracle.compare import reference_kpis

    if kind in NOT_BY and kpi in NOT_BY[kind]:
        return None
    if kpi in COUNTED and no_table(data, COUNTED[kpi]):
        return None
    rows = reference_kpis()[kpi](data, [p], [] if kind == "company" else [kind])
    found = [r for r in rows if kind == "company" or r[kind] == who]
    if found:
        return found[0]["value"]
    # the scope has no record of K in P
    if kpi == "activities_per_rep_week":  # no activities over the scope's reps x w: 0 / w for a rep
        from tests.oracle.leads_activities import per_rep_week

        return None if no_table(data, "activities", "reps") else per_rep_week(data, p, [], {kind: who})[0]
    return 0.0 if kpi in COUNTED else None


def target_attainment(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    kind = scope_kind(by)
    out = []
    for p in periods:
        scopes = {(t["kpi"], scope_of(t)) for t in data.raw["targets"]
                  if scope_of(t)[0] == kind and overlap_days(period_of(t["period"]), p) > 0}
        for kpi, scope in scopes:
            target = target_value(data, kpi, scope, p)
            got = actual(data, kpi, kind, scope[1], p)
            value = None if got is None else base.ratio(got, target)
            dims = rep_dims(data, scope[1]) if kind == "owner" else {"team": scope[1]}
            out.append(base.row("target_attainment", p, {"target_kpi": kpi, **{d: dims[d] for d in by}},
                                value, got, target))
    return out


def pipeline_coverage(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
    """open_pipeline_value at end(P) / the won_value target of the next
    period, for the scope asked (rep / team / company). With `by`, a group
    has a row when it has an open opportunity or a target (either part)."""
    kind = scope_kind(by)

    def targeted(p):
        scopes = {scope_of(t) for t in data.raw["targets"]
                  if t["kpi"] == "won_value" and overlap_days(period_of(t["period"]), next_of(p)) > 0}
        return [{"_dims": rep_dims(data, who) if k == "owner" else {"team": who}} for k, who in scopes if k == kind]

    def compute(p, selects):
        value = total(open_value(data, p, selects))
        target = target_value(data, "won_value", (kind, selects.group.get(kind)), next_of(p))
        return (None if target is None else base.ratio(value, target)), value, target

    return emit("pipeline_coverage", periods, by, lambda p: open_value(data, p) + targeted(p), compute, data,
                ("opportunities",))


def next_of(p: Period) -> Period:
    return Period(p.next_first, p.grain)


KPIS: dict = {
    "revenue": revenue,
    "revenue_growth": revenue_growth,
    "revenue_growth_yoy": revenue_growth_yoy,
    "average_order_value": average_order_value,
    "gross_margin": gross_margin,
    "acv": acv,
    "target_attainment": target_attainment,
    "forecast_accuracy": forecast_accuracy,
    "pipeline_coverage": pipeline_coverage,
}
