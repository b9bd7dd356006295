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
    # a table no part reads is named, with the option that shows its rows: they are behind the figure too
    cac = run(ws, "drill", "cac", "--period", "2025-03")
    assert ("cac has no records of its own: it is made of new_customers; drill on those; its costs rows: "
            "--table costs") in cac.output


def other_records(ws, kpi_id, period, *match):
    found = run(ws, "drill", kpi_id, "--period", period, "--table", TABLE_OF[kpi_id], "--limit", "0",
                "--format", "csv", *[a for m in match for a in ("--match", m)])
    assert found.exit_code == 0, found.output
    return records(found.output)


TABLE_OF = {"cac": "costs", "target_attainment": "targets", "pipeline_coverage": "targets",
            "forecast_accuracy": "forecasts", "activities_per_rep_week": "reps"}


@pytest.mark.parametrize("period", ["2025-02", "2025-03", "2025-Q1", "2025-Q2", "2025"])
def test_cac_is_its_costs_records_over_its_new_customers(ws, period):
    news = {r["source"]: float(r["value"]) for r in figures(ws, "new_customers", "--period", period, "--by", "source")}
    shown = figures(ws, "cac", "--period", period, "--by", "source")
    assert shown
    for row in shown:
        costs = other_records(ws, "cac", period, f"source={row['source']}")
        assert all(r["source"] == row["source"] for r in costs)
        spent = sum(float(r["value"]) for r in costs)  # converted at the month's first day
        if row["value"]:
            assert float(row["value"]) == pytest.approx(spent / news[row["source"]])
        else:  # costs without new customers
            assert spent > 0 and not news.get(row["source"])


@pytest.mark.parametrize("period, by", [("2025-03", "owner"), ("2025-03", "team"), ("2025-Q1", "team"),
                                        ("2025-W13", "team"), ("2025-W13", None), ("2025-03", None),
                                        ("2025-04", None), ("2025-Q1", None)])
def test_a_target_is_its_target_rows_prorated_or_weighted_by_their_days(ws, period, by):
    from koers.kpis.catalog import CATALOG_BY_ID

    shown = figures(ws, "target_attainment", "--period", period, *(["--by", by] if by else []))
    assert shown
    for row in shown:
        split = [f"{by}={row[by]}"] if by else []
        rows = other_records(ws, "target_attainment", period, f"target_kpi={row['target_kpi']}", *split)
        assert rows and all(r["kpi"] == row["target_kpi"] for r in rows)
        if by == "owner":
            assert all(r["rep_id"] == row["owner"] for r in rows)
        elif by == "team":
            assert all(r["team"] == row["team"] and not r["rep_id"] for r in rows)
        else:
            assert all(not r["rep_id"] and not r["team"] for r in rows)
        if CATALOG_BY_ID[row["target_kpi"]].additive:
            target = sum(float(r["prorated"]) for r in rows)
        else:  # the mean of the rows, weighted by their days inside P
            target = (sum(float(r["value"]) * int(r["days_overlapping"]) for r in rows)
                      / sum(int(r["days_overlapping"]) for r in rows))
        assert target == pytest.approx(float(row["denominator"]))


def test_coverage_divides_by_the_target_rows_of_the_next_period(ws):
    for period in ("2025-02", "2025-03", "2025-Q1"):
        for row in figures(ws, "pipeline_coverage", "--period", period, "--by", "team"):
            rows = other_records(ws, "pipeline_coverage", period, f"team={row['team']}")
            assert all(r["kpi"] == "won_value" and r["team"] == row["team"] for r in rows)
            assert sum(float(r["prorated"]) for r in rows) == pytest.approx(float(row["denominator"] or 0))
    (company,) = figures(ws, "pipeline_coverage", "--period", "2025-03")
    (year,) = other_records(ws, "pipeline_coverage", "2025-03")  # April's share of the year's target
    assert (year["period"], year["counted_over"], year["days_overlapping"], year["days_in_period"]) == \
        ("2025", "2025-04", "30", "365")
    assert float(company["denominator"]) == pytest.approx(365000 * 30 / 365)


@pytest.mark.parametrize("period, match", [("2025-03", []), ("2025-Q1", []), ("2025-03", ["owner=R1"]),
                                           ("2025-Q1", ["team=North"]), ("2025-04", [])])
def test_forecast_accuracy_is_its_forecast_records_against_their_won_value(ws, period, match):
    by = [m.split("=")[0] for m in match]
    (row,) = [r for r in figures(ws, "forecast_accuracy", "--period", period, *(["--by", by[0]] if by else []))
              if not match or r[by[0]] == match[0].split("=")[1]]
    rows = other_records(ws, "forecast_accuracy", period, *match)
    assert len({r["rep_id"] for r in rows}) == len(rows)  # one forecast a rep: its latest by start(P)
    assert all(r["period"] == period and r["submitted_on"] <= row["period"] for r in rows)
    assert sum(float(r["amount"]) - float(r["won_value"]) for r in rows) == pytest.approx(float(row["numerator"]))
    assert sum(float(r["won_value"]) for r in rows) == pytest.approx(float(row["denominator"]))


def test_a_rep_s_target_row_shows_its_team_as_written_and_the_team_it_counts_for(ws):
    (r1,) = other_records(ws, "target_attainment", "2025-03", "target_kpi=won_value", "owner=R1")
    assert (r1["team"], r1["rep_team"]) == ("South", "North")  # targets.csv says South; R1 is in North
    for team, found in (("North", 1), ("South", 0)):  # filtered by team, R1's row counts under North only
        asked = ["drill", "target_attainment", "--period", "2025-03", "--table", "targets", "--match",
                 "target_kpi=won_value", "--match", "owner=R1", "--where", f"team={team}", "--format", "csv"]
        assert len(records(run(ws, *asked).output)) == found
        by_team = figures(ws, "target_attainment", "--period", "2025-03", "--by", "owner", "--where", f"team={team}")
        assert len([r for r in by_team if r["owner"] == "R1" and r["target_kpi"] == "won_value"]) == found


def test_r1s_forecast_for_march_is_the_one_submitted_by_march_first(ws):
    (r1,) = other_records(ws, "forecast_accuracy", "2025-03", "owner=R1")
    assert (r1["submitted_on"], r1["amount"]) == ("2025-03-01", "14000")  # not 5 March's, after start(P)


def test_activities_per_rep_week_divides_by_its_reps_records(ws):
    from koers.periods import parse_one

    for period in ("2025-03", "2025-Q1", "2025-W10"):
        weeks = parse_one(period).days / 7
        for row in figures(ws, "activities_per_rep_week", "--period", period, "--by", "team"):
            reps = other_records(ws, "activities_per_rep_week", period, f"team={row['team']}")
            (acts,) = figures(ws, "activities", "--period", period, "--where", f"team={row['team']}")
            value = float(acts["value"]) / (len(reps) * weeks) if reps else None
            assert (float(row["value"]) if row["value"] else None) == pytest.approx(value)
    (one,) = other_records(ws, "activities_per_rep_week", "2025-03", "owner=R2")  # one rep-week a week
    assert one["rep_id"] == "R2"


def test_other_records_of_a_kpi_without_them_or_of_an_unknown_table_exit_2(ws):
    shown = run(ws, "drill", "won_value", "--period", "2025-03", "--table", "costs")
    assert shown.exit_code == 2 and ("won_value has no other records in 'costs'; a drill-down shows its own "
                                     "records only") in shown.output
    shown = run(ws, "drill", "cac", "--period", "2025-03", "--table", "targets")
    assert shown.exit_code == 2 and "tables it shows: costs" in shown.output
    shown = run(ws, "drill", "target_attainment", "--period", "2025-03", "--table", "targets")
    assert shown.exit_code == 2 and "through its target_kpi" in shown.output
    shown = run(ws, "drill", "target_attainment", "--period", "2025-03", "--table", "targets", "--match",
                "target_kpi=foo")
    assert shown.exit_code == 2 and "unknown KPI foo; valid KPIs:" in shown.output
    shown = run(ws, "drill", "cac", "--period", "2025-03", "--table", "costs", "--match", "target_kpi=leads")
    assert shown.exit_code == 2 and "target_kpi is not a dimension of cac" in shown.output.replace("'", "")


def test_the_table_of_other_records_shows_their_figure_and_what_each_adds(ws):
    shown = run(ws, "drill", "target_attainment", "--period", "2025-03", "--match", "target_kpi=won_value",
                "--table", "targets")
    assert shown.exit_code == 0, shown.output
    assert "1 records in targets" in shown.output and "Prorated" in shown.output
    own = run(ws, "drill", "target_attainment", "--period", "2025-03", "--match", "target_kpi=won_value")
    assert "also behind this figure: --table targets" in own.output


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


def test_a_drill_over_a_range_says_it_takes_one_period(ws):
    shown = run(ws, "drill", "won_value", "--period", "2025-Q1..2025-Q2")
    assert shown.exit_code == 2 and "is a range; one period is asked here" in shown.output
    assert "or a range" not in shown.output
