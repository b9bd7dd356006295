"""The engine leaves nothing behind in a long-lived connection, and refuses
what no backend could be sent."""

from __future__ import annotations

import pytest

from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.compute import QueryError, compute
from koers.kpis.drill import drill
from koers.periods import parse_instant, parse_one, parse_spec
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
