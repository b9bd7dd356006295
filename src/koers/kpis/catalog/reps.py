"""Reps: keeping and ramping the sales team."""

from __future__ import annotations

import ibis

from koers.kpis.catalog._declare import kpi
from koers.kpis.context import flag
from koers.kpis.model import REP_DIMS


def _retention(ctx):
    r, P = ctx.reps, ctx.P
    t = r.join(P, (r.hired_on < P._d_start) & (r.left_on.isnull() | (r.left_on >= P._d_start)))
    still = t.left_on.isnull() | (t.left_on >= t._d_end)
    return t.mutate(_n=flag(still), _d=ibis.literal(1))


def _ramp(ctx):
    a = ctx.activities
    outreach = list(ctx.settings.outreach_types)
    first = (
        a.filter(a.done_at.notnull() & a.type.isin(outreach))
        .group_by("owner_id")
        .aggregate(_first=a.done_at.min())
    )
    first = ctx.local_day(first, "_first", "_first_day")
    hired = ctx.in_period(ctx.reps, "hired_on", dated=True)
    t = hired.join(first, hired.rep_id == first.owner_id)
    return t.mutate(_x=t._first_day.delta(t.hired_on, unit="day").cast("float64"))


F = "reps"
KPIS = [
    kpi("rep_retention", "Behoud verkopers", "Rep retention", F, "insight", "ratio", "higher", REP_DIMS,
        "of the reps employed at start(P), the share still employed at end(P)", "ratio", ["reps"], _retention),
    kpi("rep_ramp_time", "Inwerktijd", "Rep ramp time", F, "insight", "days", "lower", REP_DIMS,
        "mean whole days from hired_on to the date of the rep's first done activity of an outreach type, over the "
        "reps hired in P that have one", "mean", ["reps", "activities"], _ramp,
        notes=("A rep with a done outreach activity before hired_on has a negative ramp time, which the mean"
               " keeps: the data error shows rather than being hidden.",)),
]
