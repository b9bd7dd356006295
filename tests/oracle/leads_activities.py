"""Reference KPIs: Leads, activities and reps, from kpis.md alone.

Every KPI is a population (the records of P it looks at, from the tables
cut at T) and a measure over a group of them. Without `--by` one row per
period over the whole population; with `--by` one row per combination of
dimension values that a record of the population has."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tests.oracle import base
from tests.oracle.base import Data, Period

# ---------------------------------------------------------------- dimensions


def lead_dim(data: Data, lead: dict, dim: str):
    if dim == "owner":
        return lead["owner_id"]
    if dim == "team":
        return data.team(lead["owner_id"])
    return lead.get(dim)


def activity_dim(data: Data, activity: dict, dim: str):
    return {"owner": activity["owner_id"], "team": data.team(activity["owner_id"]),
            "type": activity.get("type")}[dim]


def rep_dim(data: Data, rep: dict, dim: str):
    return rep.get(dim)  # `team` and `role` are the rep's own columns


# ---------------------------------------------------------------- the frame

# measure(data, period, records, dims) -> (value, numerator, denominator)
Measure = Callable[[Data, Period, list, dict], tuple]


def kpi(name: str, tables: tuple[str, ...], dim_of: Callable, population: Callable[[Data, Period], list],
        measure: Measure, other_part: Callable | None = None):
    """A reference KPI: `population(data, P)` the records of P, `measure` the
    value over a group of them, `tables` the tables it needs (one absent or
    empty: empty values). A composite KPI has a row for a group that any of its
    parts has a record in: `other_part(data, P, by)` gives the groups of
    its other part."""

    def compute(data: Data, periods: list[Period], by: list[str]) -> list[dict]:
        def groups_of(p: Period) -> dict[tuple, tuple]:
            records = population(data, p)
            if not by:
                return {(): measure(data, p, records, {})}
            groups: dict[tuple, list] = {}
            for r in records:
                groups.setdefault(tuple(dim_of(data, r, d) for d in by), []).append(r)
            for key in other_part(data, p, by) if other_part else ():
                groups.setdefault(key, [])
            return {key: measure(data, p, group, dict(zip(by, key))) for key, group in groups.items()}

        return base.per_period(name, tables, data, periods, by, groups_of)

    compute.__name__ = name
    return compute


def count(data, p, records, dims):
    return len(records), None, None


def share(test: Callable[[Data, dict], bool]) -> Measure:
    """A ratio: the records passing `test` over all of them."""

    def measure(data, p, records, dims):
        n = sum(1 for r in records if test(data, r))
        return base.ratio(n, len(records)), n, len(records)

    return measure


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


# ---------------------------------------------------------------- leads


def leads_created(data: Data, p: Period) -> list:
    return [r for r in data.t["leads"] if p.contains(r["created_at"])]


def leads_qualified(data: Data, p: Period) -> list:
    return [r for r in data.t["leads"] if p.contains(r["qualified_at"])]


def referred(data: Data, p: Period) -> list:
    return [r for r in leads_created(data, p) if r.get("referred_by_customer_id") is not None]


def answered(data: Data, p: Period) -> list:
    return [r for r in leads_created(data, p) if r["first_response_at"] is not None]


def converted(data: Data, lead: dict) -> bool:
    return lead["converted_at"] is not None  # cut: converted before T


def won_link(data: Data, lead: dict) -> bool:
    return any(o["lead_id"] == lead["lead_id"] and o["status"] == "won" for o in data.t["opportunities"])


def within_sla(data: Data, lead: dict) -> bool:
    answer = lead["first_response_at"]
    return answer is not None and hours(lead["created_at"], answer) <= base.SLA_HOURS


def median_response(data, p, records, dims):
    return base.median([hours(r["created_at"], r["first_response_at"]) for r in records]), None, None


# ---------------------------------------------------------------- activities


def done_in(data: Data, p: Period) -> list:
    return [a for a in data.t["activities"] if p.contains(a["done_at"])]


def due_in(data: Data, p: Period) -> list:
    return [a for a in data.t["activities"] if p.contains(a["due_at"])]


def backlog(data: Data, p: Period) -> list:
    """Due before end(P) (T for a period not over at T), not done before it."""
    t = data.at_end(p)
    return [a for a in data.t["activities"]
            if a["due_at"] is not None and a["due_at"] < t and (a["done_at"] is None or a["done_at"] >= t)]


def on_time(data: Data, a: dict) -> bool:
    return a["done_at"] is not None and a["done_at"] <= a["due_at"]


def points_table(data: Data) -> dict:
    table = {r["type"]: r["points"] for r in data.raw["activity_points"]}
    return table or base.DEFAULT_POINTS


def points(data, p, records, dims):
    table = points_table(data)
    return sum(table.get(a["type"]) or 0 for a in records), None, None


def employed_during(rep: dict, p: Period) -> bool:
    return (rep["hired_on"] is not None and rep["hired_on"] < p.next_first
            and (rep["left_on"] is None or rep["left_on"] > p.first))


def per_rep_week(data, p, records, dims):
    """by owner: the rep's activities / w; otherwise over the reps employed
    during P of the group's team (by team) or all of them."""
    w = p.days / 7
    if "owner" in dims:
        reps = 1
    else:
        reps = sum(1 for r in data.t["reps"] if employed_during(r, p)
                   and ("team" not in dims or r["team"] == dims["team"]))
    return base.ratio(len(records), reps * w), None, None


def team_reps(data: Data, p: Period, by: list[str]) -> set:
    """The denominator's groups: by team, the teams of the reps employed
    during P (by owner the denominator is w alone; a rep has no type)."""
    if by != ["team"]:
        return set()
    return {(r["team"],) for r in data.t["reps"] if employed_during(r, p)}


# ---------------------------------------------------------------- reps


def employed_at(rep: dict, t: datetime) -> bool:
    return (rep["hired_on"] is not None and base.instant(rep["hired_on"]) < t
            and (rep["left_on"] is None or base.instant(rep["left_on"]) >= t))


def reps_at_start(data: Data, p: Period) -> list:
    return [r for r in data.t["reps"] if employed_at(r, p.start)]


def retention(data, p, records, dims):
    """The share of them still employed at end(P) (T for a period not over at T)."""
    kept = sum(1 for rep in records if employed_at(rep, data.at_end(p)))
    return base.ratio(kept, len(records)), kept, len(records)


def first_outreach(data: Data, rep: dict):
    done = [a["done_at"] for a in data.t["activities"]
            if a["owner_id"] == rep["rep_id"] and a["type"] in base.OUTREACH and a["done_at"] is not None]
    return base.local_date(min(done)) if done else None


def ramping(data: Data, p: Period) -> list:
    return [r for r in data.t["reps"] if p.contains_day(r["hired_on"]) and first_outreach(data, r) is not None]


def ramp_days(data, p, records, dims):
    return base.mean([(first_outreach(data, r) - r["hired_on"]).days for r in records]), None, None


KPIS: dict = {
    "leads": kpi("leads", ("leads",), lead_dim, leads_created, count),
    "qualified_leads": kpi("qualified_leads", ("leads",), lead_dim, leads_qualified, count),
    "lead_conversion_rate": kpi("lead_conversion_rate", ("leads",), lead_dim, leads_created, share(converted)),
    "lead_to_customer_rate": kpi("lead_to_customer_rate", ("leads", "opportunities"), lead_dim, leads_created,
                                  share(won_link)),
    "lead_response_time": kpi("lead_response_time", ("leads",), lead_dim, answered, median_response),
    "lead_response_sla": kpi("lead_response_sla", ("leads",), lead_dim, leads_created, share(within_sla)),
    "referrals": kpi("referrals", ("leads",), lead_dim, referred, count),
    "activities": kpi("activities", ("activities",), activity_dim, done_in, count),
    "activities_per_rep_week": kpi("activities_per_rep_week", ("activities", "reps"), activity_dim, done_in,
                                   per_rep_week, team_reps),
    "activity_points": kpi("activity_points", ("activities",), activity_dim, done_in, points),
    "activity_completion_rate": kpi("activity_completion_rate", ("activities",), activity_dim, due_in,
                                    share(on_time)),
    "overdue_activities": kpi("overdue_activities", ("activities",), activity_dim, backlog, count),
    "rep_retention": kpi("rep_retention", ("reps",), rep_dim, reps_at_start, retention),
    "rep_ramp_time": kpi("rep_ramp_time", ("reps", "activities"), rep_dim, ramping, ramp_days),
}
