"""Pipeline: what is open, what is new, how old, how stuck, how covered."""

from __future__ import annotations

import ibis

from koers.kpis import records
from koers.kpis.catalog._declare import STAGE_NOW, by_id, kpi
from koers.kpis.context import days_between, seconds_between
from koers.kpis.model import OPPORTUNITY_DIMS, PIPELINE_DIMS


def _open(ctx):
    """Opportunities open at end(P), with their stage at end(P) when the
    question asks for the stage: finding it in the history is most of the
    cost of an open pipeline split by rep. Without it the rows have no
    `stage` column, so the stage at T cannot pass for it."""
    t = ctx.open_at_end()
    return ctx.stage_at(t) if ctx.wants("stage") else t.drop("stage")


def _open_with_stage(ctx):
    """Opportunities open at end(P), with their stage at end(P) and amount
    converted at the rate of P's last day (or T's day)."""
    t = ctx.stage_at(ctx.open_at_end())
    return ctx.convert(t, {"_amount": "amount"}, "currency", "_rate_day")


def _open_value(ctx):
    t = ctx.convert(_open(ctx), {"_amount": "amount"}, "currency", "_rate_day")
    return t.mutate(_x=t._amount)


def _weighted(ctx):
    t = _open_with_stage(ctx)
    p = t.probability.fill_null(t._stage_prob).fill_null(0)
    return t.mutate(_x=t._amount.cast("float64") * p.cast("float64") / ibis.literal(100.0, type="float64"))


def _new_value(ctx):
    t = ctx.in_period(ctx.opps, "created_at")
    t = ctx.convert(t, {"_amount": "amount"}, "currency", "created_at", dated=False)
    return t.mutate(_x=t._amount)


def _age(ctx):
    t = _open(ctx)
    return t.mutate(_x=days_between(t._e, t.created_at))


def _stale(ctx):
    t = ctx.stage_at(ctx.open_at_end())
    limit = ctx.settings.stale_days * 86400.0
    return t.filter(seconds_between(t._e, t._stage_entered) > limit)


def _coverage(engine, ctx, by, where):
    from koers.kpis.catalog.targets import target_frame

    value = engine.part(by_id("open_pipeline_value"), tuple(by), tuple(sorted(where.items())), ctx)
    nxt = target_frame(engine, ctx, "won_value", by, where, shift=1)
    keys = ["period", *by]
    df = value.merge(nxt, on=keys, how="outer" if by else "left")
    # a group with a target and nothing open has an open pipeline of 0, as the total has
    df["numerator"] = df["value"].fillna(0.0)
    df["denominator"] = df["target"]
    from koers.kpis.compute import divide

    df["value"] = [divide(n, d) for n, d in zip(df["numerator"], df["denominator"])]
    return df[[*keys, "value", "numerator", "denominator"]]


F = "pipeline"
KPIS = [
    kpi("open_pipeline_value", "Open pijplijn (waarde)", "Open pipeline value", F, "result", "money", "higher",
        PIPELINE_DIMS, "sum of amount over opportunities open at end(P)", "sum", ["opportunities"], _open_value,
        notes=("An amount in another currency is converted at the rate in force on the last day of P, or on "
               "T's day when P is not over at T.",)),
    kpi("open_pipeline_count", "Open pijplijn (aantal)", "Open opportunities", F, "result", "count", "higher",
        PIPELINE_DIMS, "count of opportunities open at end(P)", "count", ["opportunities"], _open),
    kpi("weighted_pipeline_value", "Gewogen pijplijn", "Weighted pipeline", F, "result", "money", "higher",
        PIPELINE_DIMS,
        "sum of amount × p / 100 over opportunities open at end(P); p = the opportunity's probability, else the "
        "probability of its stage at end(P)", "sum", ["opportunities"], _weighted,
        notes=("An amount in another currency is converted at the rate in force on the last day of P, or on "
               "T's day when P is not over at T.",
               "An open opportunity without a probability of its own and without a stage at end(P) counts 0.",)),
    kpi("new_pipeline_value", "Nieuwe pijplijn", "New pipeline", F, "result", "money", "higher", OPPORTUNITY_DIMS,
        "sum of amount over opportunities created in P", "sum", ["opportunities"], _new_value, additive=True,
        notes=(STAGE_NOW,)),
    kpi("pipeline_age", "Gemiddelde leeftijd pijplijn", "Average pipeline age", F, "insight", "days", "lower",
        PIPELINE_DIMS, "mean of (end(P) − created_at) in days over opportunities open at end(P)", "mean",
        ["opportunities"], _age),
    kpi("pipeline_coverage", "Pijplijndekking", "Pipeline coverage", F, "insight", "ratio", "higher",
        ("owner", "team"),
        "open_pipeline_value at end(P) / the won_value target of the next period (see Targets); dimensions "
        "`owner` and `team` only", "composite", ["opportunities", "targets"], combine=_coverage, parts=["open_pipeline_value"],
        records=[("targets", records.targets_of("won_value", shift=1))],
        multiple=True,
        notes=("A rep or team with open pipeline and no won_value target for the next period shows without a"
               " value, so a missing target is seen; one with a target and nothing open has a coverage of 0.",)),
    kpi("stale_opportunities", "Vastgelopen deals", "Stale deals", F, "insight", "count", "lower", PIPELINE_DIMS,
        "opportunities open at end(P) that entered their stage at end(P) more than N × 24 hours before end(P) "
        "(N a setting, default 30)", "count", ["opportunities", "stage_history", "stages"], _stale),
]


