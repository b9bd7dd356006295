"""Every KPI against hand-computed values (tests/golden/README.md), on every engine."""

from __future__ import annotations

import math

import pytest

from koers.kpis.compute import Engine, compute
from koers.kpis.context import release_views
from koers.periods import parse_instant, parse_spec
from tests.golden.cases import CASES

TOLERANCE = 1e-9


def _key(row: dict, by: list[str]) -> tuple:
    return (str(row["period"]), str(row.get("target_kpi") or ""), *[str(row.get(d) or "") for d in by])


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@pytest.fixture(scope="module")
def sessions():
    """(backend, as-of moment) -> the base tables its runs share, as a
    server's session shares them between pages (kpis/cache.py). Spark runs
    its cases this way: every run building its own base tables again cost a
    sixth of its time. DuckDB and PostgreSQL run each case alone."""
    made: dict = {}
    yield made
    for con, shared in made.values():
        release_views(con, shared["_views"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(golden, sessions, case):
    ws, con = golden
    settings = ws.settings()
    periods, by, where = parse_spec(case["period"], case.get("grain")), case.get("by") or [], case.get("where") or {}
    as_of = parse_instant(case["as_of"], settings.tz)
    if con.name == "pyspark":
        _, shared = sessions.setdefault((id(con), as_of), (con, {"_views": []}))
        result = Engine(con, settings, periods, as_of, shared=shared).compute([case["kpi"]], by, where)
    else:
        result = compute(con, settings, [case["kpi"]], periods, by, where, as_of)
    got = {}
    for r in result.rows.to_dict("records"):
        r["period"] = r["period"].isoformat()
        got[_key(r, by)] = r
    want = {_key(r, by): r for r in case["rows"]}
    assert sorted(got) == sorted(want), f"rows differ\n{case['derivation']}"
    for k, w in want.items():
        g = got[k]
        for field in ("value", "numerator", "denominator"):
            assert _same(g[field], w.get(field)), (
                f"{k} {field}: got {g[field]}, want {w.get(field)}\n{case['derivation']}"
            )
