"""Activities: the work reps put in, and whether it happens on time."""

from __future__ import annotations

import ibis
import pyarrow as pa

from koers.kpis import records
from koers.kpis.catalog._declare import kpi
from koers.kpis.context import FAR_FUTURE, flag, instant_span
from koers.kpis.model import ACTIVITY_DIMS


def _done_in_p(ctx):
    return ctx.in_period(ctx.activities, "done_at")


def _points_table(ctx):
    rows = ctx.raw("activity_points").to_pyarrow().to_pylist()
    points = {r["type"]: float(r["points"]) for r in rows} if rows else dict(ctx.settings.activity_points)
    return ibis.memtable(
        pa.table({"_pt_type": pa.array(list(points), pa.string()),
                  "_pt_points": pa.array(list(points.values()), pa.float64())})
    )


def _points(ctx):
    t = _done_in_p(ctx)
    pts = _points_table(ctx)
    t = t.left_join(pts, t.type == pts._pt_type)
    return t.mutate(_x=t._pt_points.fill_null(0.0)).drop("_pt_type", "_pt_points")


def _completion(ctx):
    t = ctx.in_period(ctx.activities, "due_at")
    on_time = t.done_at.notnull() & (t.done_at <= t.due_at)
    return t.mutate(_n=flag(on_time), _d=ibis.literal(1))


def _overdue(ctx):
    a, P = ctx.activities, ctx.P
    # "not done before end(P)" as one comparison (done_at is cut at T, so
    # never far off), and first the activities overdue at any `_e` of the
    # run: the years of work done long ago are not paired with every period
    span = instant_span(ctx.cut_ends(ctx.periods))
    if span is not None:
        first, last = span
        a = a.filter((a.due_at < last) & (a.done_at.fill_null(FAR_FUTURE) >= first))
    return a.join(P, (a.due_at < P._e) & (a.done_at.fill_null(FAR_FUTURE) >= P._e))


def _employed_during(ctx):
    r, P = ctx.reps, ctx.P
    return r.join(P, (r.hired_on < P._d_end) & (r.left_on.isnull() | (r.left_on > P._d_start)))


def _per_rep_week(engine, ctx, by, where):
    from koers.kpis.catalog import CATALOG_BY_ID
    from koers.kpis.compute import divide

    keys = ["period", *by]
    w = tuple(sorted(where.items()))
    acts = engine.part(CATALOG_BY_ID["activities"], tuple(by), w, ctx)[[*keys, "value"]]
    weeks = {p.start: p.days / 7 for p in ctx.periods}
    scope = set(by) | set(where)
    if "owner" in scope:
        df = acts.rename(columns={"value": "n"})
        df["reps"] = 1
    else:
        rep_dims = [d for d in by if d == "team"]
        rep_where = tuple((d, v) for d, v in w if d == "team")
        reps = engine.part(EMPLOYED, tuple(rep_dims), rep_where, ctx)[["period", *rep_dims, "value"]]
        reps = reps.rename(columns={"value": "reps"})
        # A team with reps but no activities still has a row, unless the
        # split goes finer than teams (by type: only types that occurred).
        how = "outer" if rep_dims and rep_dims == list(by) else "left"
        df = acts.rename(columns={"value": "n"}).merge(reps, on=["period", *rep_dims], how=how)
    df = df.astype(object).where(df.notna(), None)
    df["value"] = [
        divide(n or 0, (r or 0) * weeks[p]) for p, n, r in zip(df["period"], df["n"], df["reps"])
    ]
    df["numerator"] = df["denominator"] = None
    return df[[*keys, "value", "numerator", "denominator"]]


def _employed(ctx):
    r = _employed_during(ctx)
    return r.mutate(owner=r.rep_id)


EMPLOYED = kpi("_reps_employed", "", "", "activities", "result", "count", "higher", ("team", "role", "owner"),
               "reps employed during P", "count", ["reps"], _employed)

F = "activities"
KPIS = [
    kpi("activities", "Activiteiten", "Activities", F, "action", "count", "higher", ACTIVITY_DIMS,
        "activities with done_at in P", "count", ["activities"], _done_in_p, additive=True),
    kpi("activities_per_rep_week", "Activiteiten per verkoper per week", "Activities per rep per week", F,
        "action", "count", "higher", ACTIVITY_DIMS,
        "activities(P) / (reps employed during P × w), w = days in P / 7; by owner: the rep's activities(P) / w; "
        "by team: the team's activities / (its reps employed during P × w); by type: that type's activities / "
        "(all reps employed during P × w)", "composite", ["activities", "reps"], combine=_per_rep_week, parts=["activities"],
        records=[("reps", records.reps)],
        notes=("Split by or filtered to one rep, it is the rep's activities(P) / w, also for a rep not employed "
               "during P who has activities in it: a filter gives what the split shows for that rep.",),
        zero_when_empty_by=["owner"]),  # a rep without activities: 0 / w
    kpi("activity_points", "Activiteitspunten", "Activity points", F, "action", "points", "higher", ACTIVITY_DIMS,
        "Σ points of the activities done in P (a type without points scores 0)", "sum", ["activities"], _points,
        additive=True),
    kpi("activity_completion_rate", "Activiteitsvoltooiing", "Activity completion rate", F, "action", "ratio",
        "higher", ACTIVITY_DIMS,
        "of the activities with due_at in P, the share done on time (done_at <= due_at)", "ratio", ["activities"],
        _completion),
    kpi("overdue_activities", "Achterstallige activiteiten", "Overdue activities", F, "action", "count", "lower",
        ACTIVITY_DIMS,
        "the backlog at end(P): activities with due_at < end(P) not done before end(P), however old", "count",
        ["activities"], _overdue,
        notes=("For a period not over at the as-of moment T, the state at end(P) is the state at T: "
               "activities due before T and not done before T.",)),
]
