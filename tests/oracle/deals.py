"""Reference KPIs: Pipeline and deals, from kpis.md alone.

Every KPI is a population (the records of P it looks at, from the tables cut
at T, each with its dimension values) and a measure over a group of them.
Without `--by` one row per period over the whole population; with `--by` one
row per combination of dimension values that a record of the population has."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from tests.oracle import base
from tests.oracle.base import Data, Period

# ---------------------------------------------------------------- stages


def history(data: Data) -> dict[str, list[dict]]:
    """stage_history at T per opportunity, by entered_at (file order on ties).
    An opportunity without rows is given one: its current stage, entered at
    its created_at (data-model.md, done on import)."""
    cached = getattr(data, "_deals_history", None)
    if cached is not None:
        return cached
    with_rows = {h["opportunity_id"] for h in data.raw["stage_history"]}
    out: dict[str, list[dict]] = {o["opportunity_id"]: [] for o in data.t["opportunities"]}
    for h in data.t["stage_history"]:
        if h["opportunity_id"] in out:
            out[h["opportunity_id"]].append(h)
    for o in data.t["opportunities"]:
        if o["opportunity_id"] not in with_rows and o["stage"]:
            out[o["opportunity_id"]].append({"opportunity_id": o["opportunity_id"], "stage": o["stage"],
                                             "entered_at": o["created_at"]})
    for rows in out.values():
        rows.sort(key=lambda h: h["entered_at"])
    data._deals_history = out
    return out


def stage_row_at(data: Data, opp: dict, t: datetime) -> dict | None:
    """The last stage_history row with entered_at < t."""
    rows = [h for h in history(data)[opp["opportunity_id"]] if h["entered_at"] < t]
    return rows[-1] if rows else None


def stage_at(data: Data, opp: dict, t: datetime) -> str | None:
    found = stage_row_at(data, opp, t)
    return found["stage"] if found else None


def current_stage(data: Data, opp: dict) -> str | None:
    """The current stage as known at T: for a deal closed before T the stage
    it closed in, as its stage column says (a history may lack the won or
    lost row); else the stage at T."""
    if opp["closed_at"] is not None and opp["stage"]:
        return opp["stage"]
    return stage_at(data, opp, data.as_of)


def kind(data: Data, stage: str | None) -> str | None:
    s = data.stages.get(stage)
    return s["kind"] if s else None


def sequence(data: Data, stage: str | None):
    s = data.stages.get(stage)
    return s["sequence"] if s else None


# ---------------------------------------------------------------- dimensions


def opp_dims(data: Data, opp: dict, stage: str | None) -> dict:
    """An opportunity's dimension values; `stage` is the one the KPI uses."""
    lead = data.leads.get(opp["lead_id"]) if opp["lead_id"] else None
    out = {"owner": opp["owner_id"], "team": data.team(opp["owner_id"]),
           "product": opp["product"], "product_line": opp["product_line"],
           "deal_type": opp["deal_type"] or "new_business", "stage": stage,
           "customer": opp["customer_id"],
           "close_month": opp["expected_close_on"].strftime("%Y-%m") if opp["expected_close_on"] else None}
    for d in ("source", "campaign", "region", "segment"):
        out[d] = opp[d] if opp[d] is not None else (lead[d] if lead else None)
    return out


# ---------------------------------------------------------------- the frame

# population(data, P) -> [(dims, record)]; measure(data, P, records) -> (value, numerator, denominator)
Population = Callable[[Data, Period], list]
Measure = Callable[[Data, Period, list], tuple]


def kpi(name: str, tables: tuple[str, ...], population: Population, measure: Measure):
    def compute(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
        def groups_of(p: Period) -> dict[tuple, tuple]:
            groups: dict[tuple, list] = {(): []} if not by else {}
            for dims, record in population(data, p):
                groups.setdefault(tuple(dims[d] for d in by), []).append(record)
            return {key: measure(data, p, group) for key, group in groups.items()}

        return base.per_period(name, tables, data, periods, by, groups_of)

    compute.__name__ = name
    return compute


# ---------------------------------------------------------------- populations


def is_open(opp: dict, t: datetime) -> bool:
    return opp["created_at"] < t and (opp["closed_at"] is None or opp["closed_at"] >= t)


def open_at_end(data: Data, p: Period) -> list:
    """Opportunities open at end(P) (at T for a period not over at T), with
    the stage at that instant."""
    t = data.at_end(p)
    return [(opp_dims(data, o, stage_at(data, o, t)), o) for o in data.t["opportunities"] if is_open(o, t)]


def stale(data: Data, p: Period) -> list:
    t = data.at_end(p)
    out = []
    for dims, o in open_at_end(data, p):
        entered = stage_row_at(data, o, t)
        if entered and (t - entered["entered_at"]).total_seconds() > base.STALE_DAYS * 86400:
            out.append((dims, o))
    return out


def created_in(data: Data, p: Period) -> list:
    return [(opp_dims(data, o, current_stage(data, o)), o) for o in data.t["opportunities"]
            if p.contains(o["created_at"])]


def closed_in(statuses: tuple[str, ...]) -> Population:
    def population(data: Data, p: Period) -> list:
        return [(opp_dims(data, o, current_stage(data, o)), o) for o in data.t["opportunities"]
                if o["status"] in statuses and p.contains(o["closed_at"])]

    return population


won_in = closed_in(("won",))


def stays(data: Data, p: Period) -> list:
    """Stays in stages of kind open that ended in P; the record is the stay's length in days."""
    out = []
    opps = {o["opportunity_id"]: o for o in data.t["opportunities"]}
    for oid, rows in history(data).items():
        o = opps[oid]
        for i, h in enumerate(rows):
            if kind(data, h["stage"]) != "open":
                continue
            end = rows[i + 1]["entered_at"] if i + 1 < len(rows) else o["closed_at"]
            if p.contains(end):
                out.append((opp_dims(data, o, h["stage"]), base.days_between(h["entered_at"], end)))
    return out


def stage_entries(data: Data, p: Period) -> list:
    """Pairs (opportunity, S), S of kind open entered in P, measured from the
    first entry of S in P; the record is whether it converted."""
    out = []
    opps = {o["opportunity_id"]: o for o in data.t["opportunities"]}
    for oid, rows in history(data).items():
        o = opps[oid]
        first: dict[str, datetime] = {}
        for h in rows:
            if kind(data, h["stage"]) == "open" and p.contains(h["entered_at"]):
                first.setdefault(h["stage"], h["entered_at"])
        for s, entered in first.items():
            advanced = any(h["entered_at"] > entered and kind(data, h["stage"]) in ("open", "won")
                           and sequence(data, h["stage"]) > sequence(data, s) for h in rows)
            out.append((opp_dims(data, o, s), advanced or o["status"] == "won"))
    return out


def velocity_parts(data: Data, p: Period) -> list:
    """Every part of sales_velocity, tagged: open at start(P), closed in P."""
    t = p.start
    out = [(opp_dims(data, o, current_stage(data, o)), ("open", o)) for o in data.t["opportunities"]
           if is_open(o, t)]
    out += [(dims, ("closed", o)) for dims, o in closed_in(("won", "lost"))(data, p)]
    return out


# ---------------------------------------------------------------- measures


def count(data, p, records):
    return len(records), None, None


def pipeline_eur(data: Data, p: Period, o: dict, weighted: bool) -> float:
    """An open amount in EUR at the rate of P's last day (or T's day)."""
    amount = o["amount"]
    if weighted and amount is not None:
        prob = o["probability"]
        if prob is None:
            stage = data.stages.get(stage_at(data, o, data.at_end(p)))
            prob = stage["probability"] if stage else None
        amount = amount * (prob or 0) / 100
    return data.rates.eur(amount, o["currency"], data.moment_day(p))


def pipeline_value(weighted: bool) -> Measure:
    def measure(data, p, records):
        return math.fsum(pipeline_eur(data, p, o, weighted) for o in records), None, None

    return measure


def created_eur(data: Data, o: dict) -> float:
    return data.rates.eur(o["amount"], o["currency"], base.local_date(o["created_at"]))


def closed_eur(data: Data, o: dict) -> float:
    return data.rates.eur(o["amount"], o["currency"], base.local_date(o["closed_at"]))


def new_value(data, p, records):
    return math.fsum(created_eur(data, o) for o in records), None, None


def won_value_of(data, p, records):
    return math.fsum(closed_eur(data, o) for o in records), None, None


def age(data, p, records):
    t = data.at_end(p)
    return base.mean([base.days_between(o["created_at"], t) for o in records]), None, None


def win_share(records: list[dict]) -> tuple:
    won = sum(1 for o in records if o["status"] == "won")
    return base.ratio(won, len(records)), won, len(records)


def win_rate(data, p, records):
    return win_share(records)


def deal_size(data: Data, won: list[dict]) -> float | None:
    return base.ratio(math.fsum(closed_eur(data, o) for o in won), len(won))


def average_deal_size(data, p, records):
    return deal_size(data, records), None, None


def cycle(data: Data, won: list[dict]) -> float | None:
    def first_contact(o):
        lead = data.leads.get(o["lead_id"]) if o["lead_id"] else None
        return lead["created_at"] if lead else o["created_at"]

    return base.mean([base.days_between(first_contact(o), o["closed_at"]) for o in won])


def sales_cycle(data, p, records):
    return cycle(data, records), None, None


def mean_of(data, p, records):
    return base.mean(records), None, None


def share_true(data, p, records):
    n = sum(1 for r in records if r)
    return base.ratio(n, len(records)), n, len(records)


def velocity(data, p, records):
    opens = [o for tag, o in records if tag == "open"]
    closed = [o for tag, o in records if tag == "closed"]
    won = [o for o in closed if o["status"] == "won"]
    rate, size, length = win_share(closed)[0], deal_size(data, won), cycle(data, won)
    if rate is None or size is None or length is None or length == 0:
        return None, None, None
    return len(opens) * rate * size / length, None, None


def follow_ups(data, p, records):
    done = [a for a in data.t["activities"] if a["done_at"] is not None]

    def n(o):
        return len({a["activity_id"] for a in done if a["done_at"] <= o["closed_at"] and (
            a["opportunity_id"] == o["opportunity_id"] or (o["lead_id"] and a["lead_id"] == o["lead_id"]))})

    return base.mean([n(o) for o in records]), None, None


# ---------------------------------------------------------------- the catalogue

OPP = ("opportunities",)
STAGED = ("opportunities", "stages")

KPIS: dict = {
    "open_pipeline_value": kpi("open_pipeline_value", OPP, open_at_end, pipeline_value(False)),
    "open_pipeline_count": kpi("open_pipeline_count", OPP, open_at_end, count),
    "weighted_pipeline_value": kpi("weighted_pipeline_value", OPP, open_at_end, pipeline_value(True)),
    "new_pipeline_value": kpi("new_pipeline_value", OPP, created_in, new_value),
    "pipeline_age": kpi("pipeline_age", OPP, open_at_end, age),
    "stale_opportunities": kpi("stale_opportunities", OPP, stale, count),
    "won_deals": kpi("won_deals", OPP, won_in, count),
    "won_value": kpi("won_value", OPP, won_in, won_value_of),
    "win_rate": kpi("win_rate", OPP, closed_in(("won", "lost")), win_rate),
    "average_deal_size": kpi("average_deal_size", OPP, won_in, average_deal_size),
    "sales_cycle_length": kpi("sales_cycle_length", OPP, won_in, sales_cycle),
    "stage_duration": kpi("stage_duration", STAGED, stays, mean_of),
    "stage_conversion_rate": kpi("stage_conversion_rate", STAGED, stage_entries, share_true),
    "sales_velocity": kpi("sales_velocity", OPP, velocity_parts, velocity),
    "follow_ups_per_win": kpi("follow_ups_per_win", ("opportunities", "activities"), won_in, follow_ups),
}
