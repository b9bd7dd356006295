"""The engine leaves nothing behind in a long-lived connection."""

from __future__ import annotations

from koers.engines import connect
from koers.importers.canonical import import_folder
from koers.kpis.compute import compute
from koers.periods import parse_instant, parse_spec
from tests.conftest import GOLDEN


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
