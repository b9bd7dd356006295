"""The web app on a Spark workspace: the API and a KPI page give the figures
of the same data in a DuckDB file (Spark is slow per query, so one of each)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from koers import output
from koers.web.app import create_app
from tests.conftest import GOLDEN, make_workspace

pytestmark = pytest.mark.spark
AS_OF = "2025-06-01T00:00:00+02:00"


def test_api_kpi_page_and_drill_on_spark_equal_duckdb(tmp_path):
    answers = []
    for kind in ("duckdb", "spark"):
        (tmp_path / kind).mkdir()
        ws = make_workspace(kind, GOLDEN, tmp_path / kind)
        with TestClient(create_app(ws.url)) as client:
            values = client.get("/api/v1/values", params={"kpi": "win_rate", "period": "2025-Q1", "by": "owner",
                                                          "as_of": AS_OF})
            assert values.status_code == 200, values.text
            page = client.get("/kpi/win_rate", params={"period": "2025-03", "as_of": AS_OF, "lang": "nl"})
            assert page.status_code == 200
            drill = client.get("/api/v1/drill", params={"kpi": "win_rate", "period": "2025-03", "as_of": AS_OF})
            assert drill.status_code == 200
            month = client.get("/api/v1/values", params={"kpi": "win_rate", "period": "2025-03", "as_of": AS_OF})
            # the other records behind a figure: costs read by Ibis, target rows in Python
            costs = client.get("/api/v1/drill", params={"kpi": "cac", "period": "2025-Q1", "table": "costs",
                                                        "as_of": AS_OF})
            assert costs.status_code == 200, costs.text
            answers.append((values.json()["rows"] + month.json()["rows"], page.text,
                            drill.json()["rows"] + costs.json()["rows"]))
    (duck_rows, _, duck_drill), (spark_rows, spark_page, spark_drill) = answers
    assert spark_rows == duck_rows and duck_rows
    march = next(r for r in duck_rows if r["period"] == "2025-03-01")
    assert output.format_value("win_rate", march["value"], "nl") in spark_page
    assert spark_drill == duck_drill and duck_drill
    assert [r["month"] for r in duck_drill if "month" in r] == ["2025-01", "2025-01", "2025-02", "2025-03", "2025-03"]
