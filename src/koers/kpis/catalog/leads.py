"""Leads: volume, conversion and speed of response."""

from __future__ import annotations

import ibis

from koers.kpis.catalog._declare import kpi
from koers.kpis.context import flag, hours_between, seconds_between
from koers.kpis.model import LEAD_DIMS


def _created_in_p(ctx):
    return ctx.in_period(ctx.leads, "created_at")


def _leads(ctx):
    return _created_in_p(ctx)


def _qualified(ctx):
    return ctx.in_period(ctx.leads, "qualified_at")


def _conversion(ctx):
    t = _created_in_p(ctx)
    return t.mutate(_n=flag(t.converted_at.notnull()), _d=ibis.literal(1))


def _to_customer(ctx):
    o = ctx.opps
    won = o.filter(o.status == "won").select(_w_lead=o.lead_id).distinct()
    t = _created_in_p(ctx)
    t = t.left_join(won, t.lead_id == won._w_lead)
    return t.mutate(_n=flag(t._w_lead.notnull()), _d=ibis.literal(1)).drop("_w_lead")


def _response_seconds(t):
    return seconds_between(t.first_response_at, t.created_at)


def _response_time(ctx):
    t = _created_in_p(ctx)
    t = t.filter(t.first_response_at.notnull())
    return t.mutate(_x=hours_between(t.first_response_at, t.created_at))


def _response_sla(ctx):
    t = _created_in_p(ctx)
    sla = ctx.settings.response_sla_hours * 3600
    within = t.first_response_at.notnull() & (_response_seconds(t) <= sla)
    return t.mutate(_n=flag(within), _d=ibis.literal(1))


def _referrals(ctx):
    t = _created_in_p(ctx)
    return t.filter(t.referred_by_customer_id.notnull())


F = "leads"
KPIS = [
    kpi("leads", "Aantal leads", "New leads", F, "result", "count", "higher", LEAD_DIMS,
        "leads with created_at in P", "count", ["leads"], _leads, additive=True),
    kpi("qualified_leads", "Gekwalificeerde leads", "Qualified leads", F, "result", "count", "higher", LEAD_DIMS,
        "leads with qualified_at in P", "count", ["leads"], _qualified, additive=True),
    kpi("lead_conversion_rate", "Leadconversieratio", "Lead conversion rate", F, "insight", "ratio", "higher",
        LEAD_DIMS, "of the leads created in P, the share converted (converted_at before T)", "ratio", ["leads"],
        _conversion),
    kpi("lead_to_customer_rate", "Conversie lead naar klant", "Lead-to-customer rate", F, "insight", "ratio",
        "higher", LEAD_DIMS,
        "of the leads created in P, the share that an opportunity won before T links to (opportunities.lead_id)",
        "ratio", ["leads", "opportunities"], _to_customer),
    kpi("lead_response_time", "Reactietijd leads", "Lead response time", F, "action", "hours", "lower", LEAD_DIMS,
        "median of (first_response_at − created_at) in hours over the leads created in P that have a first response",
        "median", ["leads"], _response_time),
    kpi("lead_response_sla", "Leads binnen reactienorm", "Leads answered within SLA", F, "action", "ratio",
        "higher", LEAD_DIMS,
        "of the leads created in P, the share answered within the SLA (first_response_at − created_at <= SLA, "
        "default 2 hours); unanswered leads count as missed", "ratio", ["leads"], _response_sla),
    kpi("referrals", "Verwijzingen", "Referrals", F, "result", "count", "higher", LEAD_DIMS,
        "leads created in P with referred_by_customer_id set", "count", ["leads"], _referrals, additive=True),
]
