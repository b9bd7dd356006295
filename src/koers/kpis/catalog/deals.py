"""Deals: what was won and lost, how fast, through which stages."""

from __future__ import annotations

import ibis

from koers.kpis.catalog._declare import STAGE_NOW, kpi
from koers.kpis.context import days_between, flag
from koers.kpis.model import CUSTOMER_DIMS, OPPORTUNITY_DIMS


def _won_in_p(ctx):
    o = ctx.opps
    return ctx.in_period(o.filter(o.status == "won"), "closed_at")


def _won_deals(ctx):
    return _won_in_p(ctx)


def _won_amount(ctx):
    t = ctx.convert(_won_in_p(ctx), {"_amount": "amount"}, "currency", "closed_at", dated=False)
    return t.mutate(_x=t._amount)


def _win_rate(ctx):
    o = ctx.opps
    t = ctx.in_period(o.filter(o.status.isin(["won", "lost"])), "closed_at")
    return t.mutate(_n=flag(t.status == "won"), _d=ibis.literal(1))


def _cycle(ctx):
    t = _won_in_p(ctx)
    return t.mutate(_x=days_between(t.closed_at, t.first_contact_at))


def _with_opp_dims(ctx, h):
    """History rows with their opportunity's dimensions; stage is the row's."""
    o = ctx.opps.drop("stage")
    dims = [d for d in OPPORTUNITY_DIMS if d in o.columns]  # the stage is the row's; team only when asked
    o = o.select(*dims, _o_id=o.opportunity_id, _o_closed=o.closed_at, _o_status=o.status)
    return h.join(o, h.opportunity_id == o._o_id)


def _stage_duration(ctx):
    h = _with_opp_dims(ctx, ctx.history)
    h = h.filter(h._s_kind == "open")
    h = h.mutate(_stay_end=ibis.coalesce(h._next_at, h._o_closed))
    h = h.filter(h._stay_end.notnull())
    t = ctx.in_period(h, "_stay_end")
    return t.mutate(_x=days_between(t._stay_end, t.entered_at))


def _stage_conversion(ctx):
    h = ctx.history
    entries = ctx.in_period(h.filter(h._s_kind == "open"), "entered_at")
    pairs = entries.group_by(["opportunity_id", "stage", "period"]).aggregate(
        _first=entries.entered_at.min(), _seq=entries._s_seq.min()
    )
    later = h.filter(h._s_kind.isin(["open", "won"])).select(
        _a_opp=h.opportunity_id, _a_at=h.entered_at, _a_seq=h._s_seq
    )
    # each pair with the count of its later entries, in one join and one
    # grouping (not the pairs made twice, joined, made distinct, joined back)
    hits = pairs.left_join(
        later, (pairs.opportunity_id == later._a_opp) & (later._a_at > pairs._first) & (later._a_seq > pairs._seq)
    )
    p = hits.group_by(list(pairs.columns)).aggregate(_later=hits._a_opp.count())
    p = _with_opp_dims(ctx, p)
    won = p._o_status == "won"
    return p.mutate(_n=flag((p._later > 0) | won), _d=ibis.literal(1))


def _follow_ups(ctx):
    won = _won_in_p(ctx)
    a = ctx.activities
    done = a.filter(a.done_at.notnull()).select(_a_opp=a.opportunity_id, _a_lead=a.lead_id, _a_done=a.done_at)
    w = won.select(_w_opp=won.opportunity_id, _w_lead=won.lead_id, _w_closed=won.closed_at).distinct()
    # The distinct activities linked to the deal or to its lead, counted as
    # those linked to the deal, plus those linked to its lead, less those
    # linked to both: no union of (deal, activity) pairs to make distinct
    # (an activity is one row, its id unique).
    by_opp = w.join(done, (done._a_opp == w._w_opp) & (done._a_done <= w._w_closed))
    by_opp = by_opp.group_by(_o_opp=by_opp._w_opp).aggregate(
        _o_n=by_opp.count(), _o_both=flag(by_opp._a_lead == by_opp._w_lead).sum()
    )
    by_lead = w.join(done, w._w_lead.notnull() & (done._a_lead == w._w_lead) & (done._a_done <= w._w_closed))
    by_lead = by_lead.group_by(_l_opp=by_lead._w_opp).aggregate(_l_n=by_lead.count())
    t = won.left_join(by_opp, won.opportunity_id == by_opp._o_opp)
    t = t.left_join(by_lead, t.opportunity_id == by_lead._l_opp)
    count = t._o_n.fill_null(0) + t._l_n.fill_null(0) - t._o_both.fill_null(0)
    return t.mutate(_x=count.cast("float64")).drop("_o_opp", "_o_n", "_o_both", "_l_opp", "_l_n")


def _upsell(ctx):
    c, P = ctx.customers, ctx.P
    active = c.join(P, (c.acquired_on < P._d_start) & (c.churned_on.isnull() | (c.churned_on >= P._d_start)))
    won = _won_in_p(ctx)
    ups = won.filter(won.deal_type.isin(["upsell", "cross_sell"]) & won.customer_id.notnull())
    ups = ups.select(_u_cust=ups.customer_id, _u_period=ups.period).distinct()
    t = active.left_join(ups, (active.customer_id == ups._u_cust) & (active.period == ups._u_period))
    return t.mutate(_n=flag(t._u_cust.notnull()), _d=ibis.literal(1))


def _velocity(engine, ctx, by, where):
    from koers.kpis.catalog import CATALOG_BY_ID
    from koers.kpis.compute import divide

    w = tuple(sorted(where.items()))
    keys = ["period", *by]
    parts = {}
    for name in ("_open_at_start", "win_rate", "average_deal_size", "sales_cycle_length"):
        k = OPEN_AT_START if name == "_open_at_start" else CATALOG_BY_ID[name]
        parts[name] = engine.part(k, tuple(by), w, ctx)[[*keys, "value"]].rename(columns={"value": name})
    df = None
    for part in parts.values():
        df = part if df is None else df.merge(part, on=keys, how="outer")
    df = df.astype(object).where(df.notna(), None)
    if by:
        df["_open_at_start"] = [0 if v is None else v for v in df["_open_at_start"]]
    values = []
    for n, r, s, c in zip(df["_open_at_start"], df["win_rate"], df["average_deal_size"], df["sales_cycle_length"]):
        values.append(None if None in (n, r, s, c) else divide(n * r * s, c))
    df["value"] = values
    df["numerator"] = df["denominator"] = None
    return df[[*keys, "value", "numerator", "denominator"]]


def _open_at_start(ctx):
    return ctx.open_at_start()


# A part of sales_velocity, not in the catalogue: stage is the current stage.
OPEN_AT_START = kpi("_open_at_start", "", "", "deals", "result", "count", "higher", OPPORTUNITY_DIMS,
                    "count of opportunities open at start(P)", "count", ["opportunities"], _open_at_start)

F = "deals"
KPIS = [
    kpi("won_deals", "Gewonnen deals", "Deals won", F, "result", "count", "higher", OPPORTUNITY_DIMS,
        "opportunities won with closed_at in P", "count", ["opportunities"], _won_deals, additive=True,
        notes=(STAGE_NOW,)),
    kpi("won_value", "Gerealiseerde verkoop", "Closed won value", F, "result", "money", "higher", OPPORTUNITY_DIMS,
        "sum of amount over opportunities won with closed_at in P", "sum", ["opportunities"], _won_amount,
        additive=True,
        notes=(STAGE_NOW,)),
    kpi("win_rate", "Winpercentage", "Win rate", F, "insight", "ratio", "higher", OPPORTUNITY_DIMS,
        "won / (won + lost) over opportunities closed in P", "ratio", ["opportunities"], _win_rate,
        notes=(STAGE_NOW,)),
    kpi("average_deal_size", "Gemiddelde dealwaarde", "Average deal size", F, "result", "money", "higher",
        OPPORTUNITY_DIMS, "won_value / won_deals", "mean", ["opportunities"], _won_amount,
        notes=(STAGE_NOW,)),
    kpi("sales_cycle_length", "Lengte verkoopcyclus", "Sales cycle length", F, "insight", "days", "lower",
        OPPORTUNITY_DIMS,
        "mean of (closed_at − first contact) in days over opportunities won in P; first contact = the linked "
        "lead's created_at, else the opportunity's created_at", "mean", ["opportunities"], _cycle,
        notes=(STAGE_NOW,)),
    kpi("stage_duration", "Doorlooptijd per fase", "Time in stage", F, "insight", "days", "lower",
        OPPORTUNITY_DIMS,
        "mean days of the stays in stages of kind open that ended in P; a stay ends at the next stage_history "
        "row's entered_at or at closed_at; unsplit, the mean over all such stays", "mean",
        ["opportunities", "stage_history", "stages"], _stage_duration),
    kpi("stage_conversion_rate", "Faseconversie", "Stage conversion", F, "insight", "ratio", "higher",
        OPPORTUNITY_DIMS,
        "over the pairs (opportunity, S), S a stage of kind open that the opportunity entered in P, one pair per "
        "period measured from its first entry of S in P: the share that afterwards (strictly later, before T) "
        "entered a stage of kind open or won with a higher sequence than S, or were won before T", "ratio",
        ["opportunities", "stage_history", "stages"], _stage_conversion,
        notes=("\"Won before T\" counts a win at any moment before T, also one after P.",)),
    kpi("sales_velocity", "Verkoopsnelheid", "Sales velocity", F, "insight", "money per day", "higher",
        OPPORTUNITY_DIMS,
        "open_pipeline_count at start(P) × win_rate(P) × average_deal_size(P) / sales_cycle_length(P), each "
        "factor split the same way; null when a factor is null or the cycle is 0", "composite",
        ["opportunities"], combine=_velocity,
        parts=["open_pipeline_count", "win_rate", "average_deal_size", "sales_cycle_length"],
        notes=(STAGE_NOW,)),
    kpi("follow_ups_per_win", "Follow-ups per gewonnen deal", "Follow-ups per won deal", F, "insight", "count",
        "lower", OPPORTUNITY_DIMS,
        "mean, over opportunities won in P, of the number of distinct done activities linked to the opportunity "
        "or to its lead with done_at <= closed_at", "mean", ["opportunities", "activities"], _follow_ups,
        notes=(STAGE_NOW,)),
    kpi("upsell_rate", "Upsell- en cross-sellratio", "Upsell and cross-sell rate", F, "result", "ratio",
        "higher", CUSTOMER_DIMS,
        "of the customers active at start(P), the share with at least one opportunity of deal_type upsell or "
        "cross_sell won in P (customer dimensions)", "ratio", ["customers", "opportunities"], _upsell),
]


