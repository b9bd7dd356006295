"""The engine leaves nothing behind in a long-lived connection, refuses
what no backend could be sent, and gives a target's scope the value the KPI
itself gives it."""

from __future__ import annotations

import math
import shutil

import pytest

from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.catalog import CATALOG
from koers.kpis.compute import QueryError, compute
from koers.kpis.drill import drill
from koers.periods import parse_instant, parse_one, parse_spec
from tests.conftest import ENGINES, GOLDEN, make_workspace


def test_a_run_drops_its_temporary_tables(tmp_ws):
    import_folder(tmp_ws, GOLDEN)
    con, settings = connect(tmp_ws), tmp_ws.settings()

    def temporaries() -> int:
        sql = "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '_koers_%'"
        return con.raw_sql(sql).fetchone()[0]

    result = compute(con, settings, ["won_value", "revenue_growth", "clv"], parse_spec("2025-Q1"), [], {},
                     parse_instant("2026-01-01", settings.tz))
    assert len(result.rows) == 3
    assert temporaries() == 0


def test_a_filter_value_with_a_nul_character_is_a_query_error(tmp_ws):
    """No text holds a NUL, and the SQL sent to a backend cannot quote one:
    refused with the reason, for a figure and for its records."""
    con = connect(tmp_ws)
    try:
        with pytest.raises(QueryError, match="the value of owner holds a NUL character"):
            compute(con, tmp_ws.settings(), ["won_value"], parse_spec("2025-03"), [], {"owner": "R\x001"})
        with pytest.raises(QueryError, match="the value of owner holds a NUL character"):
            drill(con, tmp_ws.settings(), "won_value", parse_one("2025-03"), match={"owner": "\x00"})
    finally:
        close(con)


# A rep without a single record, in a team of its own; a team without reps;
# and a month before any record of the golden data.
EMPTY_SCOPES = [("owner", "R9"), ("team", "West"), ("team", "East")]
BEFORE_ALL = "2023-01"


@pytest.fixture(scope="module", params=ENGINES)
def empty_scopes(request, tmp_path_factory):
    """The golden data plus rep R9 (team West, employed since 2024) without
    records, and a target of 1 for every KPI in March 2025 for R9, West and
    East, and for the company in BEFORE_ALL."""
    tmp = tmp_path_factory.mktemp(f"empty-scopes-{request.param}")
    data = tmp / "data"
    shutil.copytree(GOLDEN, data)
    with open(data / "reps.csv", "a", encoding="utf-8") as f:
        f.write("R9,Ids Empty,ids@example.nl,West,field_sales,R5,2024-01-01,\n")
    with open(data / "targets.csv", "a", encoding="utf-8") as f:
        for k in CATALOG:
            if k.id == "target_attainment":
                continue
            f.write(f"{BEFORE_ALL},{k.id},,,1\n")
            for dim, who in EMPTY_SCOPES:
                if dim in k.dimensions:
                    f.write(f"2025-03,{k.id},{who if dim == 'owner' else ''},{who if dim == 'team' else ''},1\n")
    ws = make_workspace(request.param, data, tmp)
    return ws, connect(ws)


def _null(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _same(a, b) -> bool:
    if _null(a) or _null(b):
        return _null(a) and _null(b)
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def test_the_actual_of_a_target_scope_without_records_is_what_the_kpi_gives_it(empty_scopes):
    """kpis.md, Targets: the actual is K over P for the scope; only a K that
    cannot be measured for it is null. A rep, a team or a company without
    records then has the value `koers kpi K --where` gives it: 0 for every
    count and sum, stocks at end(P) among them (open pipeline, active
    customers, overdue activities), and for activities per rep week by rep
    (0 / w); null for ratios and means, and for a team without reps."""
    ws, con = empty_scopes
    settings = ws.settings()
    T = parse_instant("2026-01-01", settings.tz)
    asked = [(dim, who, "2025-03") for dim, who in EMPTY_SCOPES] + [(None, None, BEFORE_ALL)]
    for dim, who, period in asked:
        kpis = [k.id for k in CATALOG if k.id != "target_attainment" and (dim is None or dim in k.dimensions)]
        where = {dim: who} if dim else {}
        own = compute(con, settings, kpis, parse_spec(period), [], where, T).rows
        own = dict(zip(own["kpi"], own["value"]))
        by = [dim] if dim else []
        rows = compute(con, settings, ["target_attainment"], parse_spec(period), by, {}, T).rows.to_dict("records")
        got = {r["target_kpi"]: r for r in rows if not dim or r[dim] == who}
        assert sorted(got) == sorted(kpis), (dim, who)
        wrong = [(k, got[k]["numerator"], own[k]) for k in kpis if not _same(got[k]["numerator"], own[k])]
        assert not wrong, f"{dim}={who} {period}: (KPI, actual, the KPI's own value) {wrong}"
        for k in kpis:  # the target is 1
            assert _same(got[k]["value"], own[k]) and got[k]["denominator"] == 1
        if dim == "owner":
            zero = ["open_pipeline_value", "open_pipeline_count", "weighted_pipeline_value", "stale_opportunities",
                    "active_customers", "overdue_activities", "activities_per_rep_week", "won_value", "leads"]
            assert all(got[k]["numerator"] == 0 for k in zero), [(k, got[k]["numerator"]) for k in zero]
            assert all(got[k]["numerator"] is None for k in ("win_rate", "pipeline_age", "average_deal_size"))
        if who == "West":
            assert got["open_pipeline_value"]["numerator"] == 0 and got["activities_per_rep_week"]["numerator"] == 0
        if who == "East":  # no reps: nothing to divide the activities by
            assert got["open_pipeline_value"]["numerator"] == 0 and got["activities_per_rep_week"]["numerator"] is None
