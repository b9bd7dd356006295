"""`koers drill`: the records behind a figure of `koers kpi`, at the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from koers.cli import app
from tests.conftest import GOLDEN

runner = CliRunner()
AS_OF = "2026-01-01T00:00:00+01:00"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("drill") / "ws.duckdb")
    assert runner.invoke(app, ["import", str(GOLDEN), "--workspace", path]).exit_code == 0
    return path


def run(ws, *args):
    return runner.invoke(app, [*args, "--workspace", ws, "--as-of", AS_OF])


def records(output: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(output)))


def figures(ws, kpi_id, *args) -> list[dict]:
    return records(run(ws, "kpi", kpi_id, "--format", "csv", *args).output)


@pytest.mark.parametrize("kpi_id", ["won_value", "win_rate", "leads", "revenue"])
def test_the_records_of_each_split_add_up_to_its_figure(ws, kpi_id):
    for row in figures(ws, kpi_id, "--period", "2025-Q1", "--by", "owner"):
        found = run(ws, "drill", kpi_id, "--period", "2025-Q1", "--match", f"owner={row['owner']}",
                    "--limit", "0", "--format", "csv")
        assert found.exit_code == 0, found.output
        rows = records(found.output)
        assert rows and all(r["owner"] == row["owner"] for r in rows)
        if row["numerator"]:  # a ratio: its parts are the records' sums
            assert sum(float(r["numerator"]) for r in rows) == pytest.approx(float(row["numerator"]))
            assert sum(float(r["denominator"]) for r in rows) == pytest.approx(float(row["denominator"]))
        elif "value" in rows[0]:
            assert sum(float(r["value"]) for r in rows) == pytest.approx(float(row["value"]))
        else:  # a count: one record each
            assert len(rows) == int(row["value"])


def test_instants_are_local_with_their_offset_and_dates_are_dates(ws):
    rows = records(run(ws, "drill", "won_value", "--period", "2025-Q1", "--limit", "0", "--format", "csv").output)
    assert rows
    for r in rows:
        assert r["closed_at"][19:] in ("+01:00", "+02:00")
        assert len(r["expected_close_on"]) in (0, 10)
    as_json = json.loads(run(ws, "drill", "won_value", "--period", "2025-Q1", "--format", "json").output)
    assert [r["opportunity_id"] for r in as_json] == [r["opportunity_id"] for r in rows]


def test_limit_and_offset_page_through_the_records_in_key_order(ws):
    every = records(run(ws, "drill", "leads", "--period", "2025-Q1", "--limit", "0", "--format", "csv").output)
    assert len(every) > 3 and [r["lead_id"] for r in every] == sorted(r["lead_id"] for r in every)
    page = records(run(ws, "drill", "leads", "--period", "2025-Q1", "--limit", "2", "--offset", "1",
                       "--format", "csv").output)
    assert page == every[1:3]


def test_the_table_shows_the_figure_and_its_definition_above_its_records(ws):
    shown = run(ws, "drill", "win_rate", "--period", "2025-03", "--match", "owner=R1", "--lang", "nl")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Winpercentage (win_rate), 2025-03, owner=R1"
    assert lines[1] == "gewonnen / (gewonnen + verloren) over de deals gesloten in P"
    assert lines[2] == "Waarde: 50,0% = 1 / 2"  # koers kpi: win_rate,2025-03-01,R1,0.5,1,2
    assert lines[3] == "2 records in opportunities; getoond: 1–2"
    # a rep with no record: the KPI's value for a group without records, and no table
    none = run(ws, "drill", "won_value", "--period", "2019-03", "--match", "owner=R1")
    assert "Value: €0.00" in none.output and "0 records in opportunities; shown: –" in none.output


def test_a_target_attainment_figure_is_drilled_into_its_target_kpi_s_actual(ws):
    shown = run(ws, "drill", "target_attainment", "--period", "2025-03", "--match", "target_kpi=leads",
                "--match", "owner=R1", "--format", "csv")
    assert shown.exit_code == 0, shown.output
    # target_attainment,2025-03-01,leads,R1,0.3225806451612903,1,3.1: one lead is R1's actual
    assert [r["owner"] for r in records(shown.output)] == ["R1"]
    assert run(ws, "drill", "target_attainment", "--period", "2025-03").exit_code == 2  # which target KPI?


def test_a_composite_kpi_names_the_kpis_to_drill_on(ws):
    shown = run(ws, "drill", "sales_velocity", "--period", "2025-03")
    assert shown.exit_code == 0
    assert ("sales_velocity has no records of its own: it is made of open_pipeline_count, win_rate, "
            "average_deal_size, sales_cycle_length; drill on those") in shown.output
    # a table no part reads is named: its rows are behind the figure too
    cac = run(ws, "drill", "cac", "--period", "2025-03")
    assert ("cac has no records of its own: it is made of new_customers; drill on those; it also reads the "
            "costs table (koers export writes its rows)") in cac.output


@pytest.mark.parametrize("args, says", [
    (["nope"], "unknown KPI nope; valid KPIs: leads,"),
    (["won_value", "--match", "bogus=1"], "'bogus' is not a dimension of won_value"),
    (["won_value", "--period", "2025-13"], "'2025-13' is not a valid month"),
    (["won_value", "--match", "owner"], "--match takes DIM=VALUE"),
])
def test_a_wrong_question_exits_2_and_says_why(ws, args, says):
    shown = run(ws, "drill", *args)
    assert shown.exit_code == 2 and says in shown.output


def test_a_split_on_a_value_no_record_holds_warns(ws):
    shown = run(ws, "drill", "won_value", "--period", "2025-03", "--match", "owner=r1", "--format", "csv")
    assert "--match owner=r1: no record in the workspace has owner 'r1'" in shown.output
    assert "did you mean 'R1'?" in shown.output


def test_drill_as_a_workbook_holds_the_csv_records_in_local_time(ws, tmp_path):
    from openpyxl import load_workbook

    asked = ["won_value", "--period", "2025-03", "--limit", "0", "--workspace", ws, "--as-of", AS_OF]
    csv_rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["drill", *asked, "--format", "csv"]).output)))
    book = tmp_path / "d.xlsx"
    made = runner.invoke(app, ["drill", *asked, "--format", "xlsx", "-o", str(book)])
    assert made.exit_code == 0, made.output
    wb = load_workbook(book)
    assert wb.sheetnames == ["Records", "Definitions"]
    sheet = list(wb["Records"].iter_rows(values_only=True))
    assert len(set(sheet[0])) == len(sheet[0])  # no two columns alike
    assert len(sheet) - 1 == len(csv_rows) > 0
    created = sheet[0].index("Created")
    for line, expected in zip(sheet[1:], csv_rows):
        # local time without its offset: a spreadsheet holds none
        assert line[created].isoformat() == expected["created_at"][:19]
    assert list(wb["Definitions"].iter_rows(values_only=True))[1][0] == "won_value"
