"""Invariants that hold on any data (hypothesis): splits add up, ratios
recombine from their parts, shares stay in [0, 1]."""

from __future__ import annotations

import csv
import math
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koers.engines import connect
from koers.importers.canonical import import_folder
from koers.kpis.catalog import CATALOG
from koers.kpis.compute import compute
from koers.kpis.model import Agg, Unit
from koers.periods import parse_instant, parse_spec
from koers.store import Workspace

# Instants near the edges that matter: month ends, DST changes, the as-of moment.
EDGES = [
    datetime(2025, 1, 31, 23, 59, 59), datetime(2025, 2, 1, 0, 0), datetime(2025, 3, 30, 1, 30),
    datetime(2025, 3, 30, 3, 30), datetime(2025, 3, 31, 23, 0), datetime(2025, 4, 1, 0, 0),
    datetime(2025, 5, 15, 12, 0), datetime(2025, 6, 30, 23, 59, 59),
]
AS_OF = "2025-05-15T12:00:00"
instants = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 6, 30)).map(lambda d: d.replace(microsecond=0)),
)
SOURCES = st.sampled_from(["web", "referral", "event", ""])
REPS = ["R1", "R2", "R3"]
STAGES = [("New", 1, 10, "open"), ("Quote", 2, 60, "open"), ("Won", 9, 100, "won"), ("Lost", 10, 0, "lost")]


@st.composite
def datasets(draw):
    leads = []
    for i in range(draw(st.integers(1, 12))):
        created = draw(instants)
        answered = draw(st.one_of(st.none(), st.integers(0, 6 * 3600)))
        converted = draw(st.one_of(st.none(), st.integers(0, 30 * 86400)))
        leads.append({
            "lead_id": f"L{i}", "created_at": created.isoformat(), "owner_id": draw(st.sampled_from(REPS)),
            "source": draw(SOURCES),
            "first_response_at": "" if answered is None else (created + timedelta(seconds=answered)).isoformat(),
            "converted_at": "" if converted is None else (created + timedelta(seconds=converted)).isoformat(),
        })
    opps, history = [], []
    for i in range(draw(st.integers(1, 12))):
        created = draw(instants)
        status = draw(st.sampled_from(["open", "won", "lost"]))
        closed = created + timedelta(seconds=draw(st.integers(1, 60 * 86400)))
        stage = {"open": draw(st.sampled_from(["New", "Quote"])), "won": "Won", "lost": "Lost"}[status]
        opps.append({
            "opportunity_id": f"O{i}", "lead_id": draw(st.sampled_from(["", *[x["lead_id"] for x in leads]])),
            "owner_id": draw(st.sampled_from(REPS)), "created_at": created.isoformat(),
            "closed_at": "" if status == "open" else closed.isoformat(), "status": status, "stage": stage,
            "amount": str(draw(st.integers(0, 50_000))), "source": draw(SOURCES),
            "probability": draw(st.sampled_from(["", "25", "90"])),
        })
        history.append({"opportunity_id": f"O{i}", "stage": "New", "entered_at": created.isoformat()})
        if stage != "New":
            history.append({"opportunity_id": f"O{i}", "stage": stage,
                            "entered_at": (closed if status != "open" else created + timedelta(days=3)).isoformat()})
    acts = []
    for i in range(draw(st.integers(0, 12))):
        due = draw(instants)
        done = draw(st.one_of(st.none(), st.integers(-3 * 86400, 3 * 86400)))
        acts.append({
            "activity_id": f"A{i}", "owner_id": draw(st.sampled_from(REPS)),
            "type": draw(st.sampled_from(["call", "email", "intake"])), "due_at": due.isoformat(),
            "done_at": "" if done is None else (due + timedelta(seconds=done)).isoformat(),
        })
    return leads, opps, history, acts


def write_csv(path: Path, rows: list[dict], header: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def build(data) -> Workspace:
    leads, opps, history, acts = data
    tmp = Path(tempfile.mkdtemp(prefix="koers-prop-"))
    src = tmp / "in"
    src.mkdir()
    write_csv(src / "reps.csv", [{"rep_id": r, "name": r, "team": "T" + str(i % 2), "hired_on": "2024-01-01"}
                                 for i, r in enumerate(REPS)], ["rep_id", "name", "team", "hired_on"])
    write_csv(src / "stages.csv", [dict(zip(["stage", "sequence", "probability", "kind"], s)) for s in STAGES],
              ["stage", "sequence", "probability", "kind"])
    write_csv(src / "leads.csv", leads, list(leads[0]))
    write_csv(src / "opportunities.csv", opps, list(opps[0]))
    write_csv(src / "stage_history.csv", history, ["opportunity_id", "stage", "entered_at"])
    if acts:
        write_csv(src / "activities.csv", acts, list(acts[0]))
    ws = Workspace.open(str(tmp / "ws.duckdb"))
    result = import_folder(ws, src)
    assert result.rejected == 0, open(result.rejects_path).read()
    return ws


CHECKED = [k for k in CATALOG if set(k.needs) <= {"leads", "opportunities", "stage_history", "stages", "activities", "reps"}]
SUMMABLE = [k for k in CHECKED if k.agg in (Agg.COUNT, Agg.SUM, Agg.RATIO)]
SHARES = {"lead_conversion_rate", "lead_to_customer_rate", "lead_response_sla", "win_rate", "stage_conversion_rate",
          "activity_completion_rate"}


def close(a, b) -> bool:
    return math.isclose(float(a or 0), float(b or 0), rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets(), kpi_index=st.integers(0, len(SUMMABLE) - 1), dim_index=st.integers(0, 9),
       spec=st.sampled_from(["2025-01..2025-06", "2025-Q1..2025-Q2", "2025-W13..2025-W15", "2025-03-29..2025-04-01"]))
def test_splits_add_up_and_ratios_recombine(data, kpi_index, dim_index, spec):
    kpi = SUMMABLE[kpi_index]
    dim = kpi.dimensions[dim_index % len(kpi.dimensions)]
    ws = build(data)
    con, s = connect(ws), ws.settings()
    periods, as_of = parse_spec(spec), parse_instant(AS_OF, s.tz)
    total = compute(con, s, [kpi.id], periods, [], {}, as_of).rows
    split = compute(con, s, [kpi.id], periods, [dim], {}, as_of).rows
    for row in total.to_dict("records"):
        parts = split[split["period"] == row["period"]]
        if kpi.agg == Agg.RATIO:
            assert close(parts["numerator"].sum(), row["numerator"]), (kpi.id, dim, row)
            assert close(parts["denominator"].sum(), row["denominator"]), (kpi.id, dim, row)
            if row["denominator"]:
                assert close(row["value"], row["numerator"] / row["denominator"])
        else:
            assert close(sum(v or 0 for v in parts["value"]), row["value"]), (kpi.id, dim, row)
        if kpi.id in SHARES and row["value"] is not None:
            assert 0 <= row["value"] <= 1
    for row in split.to_dict("records"):
        if kpi.unit == Unit.RATIO:
            assert row["denominator"] > 0, "a group shows only when a record is in its denominator"


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets())
def test_every_share_stays_in_range_and_durations_are_not_negative(data):
    ws = build(data)
    con, s = connect(ws), ws.settings()
    rows = compute(con, s, [k.id for k in CHECKED], parse_spec("2025-01..2025-06"), [], {},
                   parse_instant(AS_OF, s.tz)).rows
    for r in rows.to_dict("records"):
        if r["kpi"] in SHARES and r["value"] is not None:
            assert 0 <= r["value"] <= 1, r
        if r["kpi"] in ("lead_response_time", "pipeline_age", "stage_duration") and r["value"] is not None:
            assert r["value"] >= 0, r


# -- one table of every KPI's rows --------------------------------------------

def _frames(draw):
    frames = []
    for kid in draw(st.lists(st.sampled_from(["win_rate", "won_value", "activities"]), min_size=1, max_size=3)):
        n = draw(st.integers(0, 12))
        periods = draw(st.lists(st.sampled_from([datetime(2025, m, 1).date() for m in (1, 2, 10, 11)]),
                                min_size=n, max_size=n))
        owners = draw(st.lists(st.sampled_from(["R1", "R10", "R2", "ä", None]), min_size=n, max_size=n))
        values = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=n, max_size=n))
        counts = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
        frames.append(pd.DataFrame({"kpi": [kid] * n, "period": pd.Series(periods, dtype=object),
                                    "owner": pd.Series(owners, dtype=object), "value": pd.Series(values, dtype=float),
                                    "numerator": pd.Series(counts, dtype="int64"), "denominator": None}))
    return frames


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_rows_of_several_kpis_are_one_table_sorted_as_text(data):
    from koers.kpis.compute import tidy

    frames = _frames(data.draw)
    got = tidy(frames, ["owner"])
    cols = ["kpi", "period", "owner", "value", "numerator", "denominator"]
    rows = [tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in r)
            for f in frames for r in f[cols].itertuples(index=False)]
    # a stable sort on kpi, period and owner as text, missing as ''
    rows.sort(key=lambda r: tuple("" if v is None else str(v) for v in r[:3]))
    assert list(got.columns) == cols
    assert [tuple(r) for r in got.itertuples(index=False)] == rows
    assert all(type(v) in (int, type(None)) for v in got["numerator"])
