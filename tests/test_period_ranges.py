"""A period's figures do not depend on the other periods asked with it: the
rows of P out of a range are the rows of P asked alone. The result cache
answers a shorter question from a longer one on this (cache.py)."""

from __future__ import annotations

import math

import pytest

from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.catalog import CATALOG
from koers.kpis.compute import Engine
from koers.kpis.context import release_views
from koers.periods import parse_instant, parse_spec
from koers.store import Workspace
from tests.conftest import GOLDEN
from tests.golden.cases import T0

# The first period of the range (nothing before it is asked), both DST
# changes of 2025, and the last month before T.
RANGES = {
    "month": ("2024-12..2025-12", ["2024-12", "2025-03", "2025-10", "2025-12"]),
    "week": ("2025-W12..2025-W15", ["2025-W12", "2025-W14"]),
}


@pytest.fixture(scope="module")
def golden_duckdb(tmp_path_factory):
    ws = Workspace.open(str(tmp_path_factory.mktemp("ranges") / "ws.duckdb"))
    assert import_folder(ws, GOLDEN).rejected == 0
    con = connect(ws)
    yield ws, con
    close(con)


def same(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or a != a) and (b is None or b != b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def rows_of(result, start) -> list[dict]:
    rows = result.rows
    return rows[rows["period"] == start].to_dict("records")


@pytest.mark.parametrize("grain", sorted(RANGES))
@pytest.mark.parametrize("kpi", CATALOG, ids=lambda k: k.id)
def test_a_period_out_of_a_range_is_the_period_asked_alone(golden_duckdb, kpi, grain):
    ws, con = golden_duckdb
    settings = ws.settings()
    as_of = parse_instant(T0, settings.tz)
    spec, alone = RANGES[grain]
    by = [kpi.dimensions[0]] if kpi.dimensions else []
    shared: dict = {"_views": []}  # one session, as the result cache keeps it
    try:
        whole = Engine(con, settings, parse_spec(spec), as_of, shared=shared).compute([kpi.id], by, {})
        for label in alone:
            (period,) = parse_spec(label)
            one = Engine(con, settings, [period], as_of, shared=shared).compute([kpi.id], by, {})
            want, got = rows_of(one, period.start), rows_of(whole, period.start)
            assert len(got) == len(want), (kpi.id, label, got, want)
            for g, w in zip(got, want):
                assert g.keys() == w.keys() and all(same(g[c], w[c]) for c in g), (kpi.id, label, g, w)
    finally:
        release_views(con, shared["_views"])
