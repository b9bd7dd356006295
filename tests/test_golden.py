"""Every KPI against hand-computed values (tests/golden/README.md), on every engine."""

from __future__ import annotations

import math

import pytest

from koers.kpis.compute import compute
from koers.periods import parse_instant, parse_spec
from tests.golden.cases import CASES

TOLERANCE = 1e-9


def _key(row: dict, by: list[str]) -> tuple:
    return (str(row["period"]), str(row.get("target_kpi") or ""), *[str(row.get(d) or "") for d in by])


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(golden, case):
    ws, con = golden
    settings = ws.settings()
    result = compute(
        con, settings, [case["kpi"]], parse_spec(case["period"], case.get("grain")), case.get("by") or [],
        case.get("where") or {}, parse_instant(case["as_of"], settings.tz),
    )
    by = case.get("by") or []
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
