"""Alert rules (`koers alerts`), checked by hand on the golden data
(tests/golden/cases.py derives every figure used here):

- won_value in March 2025 by rep against the rep's target: R1 10000 of
  15000 (a third short), R2 2250 of 5000 (55% short); R3, R4 and R5 were
  employed in March and won nothing: 0, without a target.
- win_rate in 2025-Q1 by rep: R1 1/2, R2 1/2, R5 1; R3 and R4 closed
  nothing (a ratio has no figure for them).
- revenue in March 2025 by rep: R1 1320, R5 3000; R2, R3, R4 employed and 0.
- win_rate of the company: February 1/2, March 2/3, April 1/3.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from koers import alerts
from koers.cli import app
from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.catalog import CATALOG_BY_ID
from koers.periods import parse_instant
from koers.pipeline_changes import WALK
from koers.store import Workspace
from tests.conftest import GOLDEN, pg_server

runner = CliRunner()
APRIL = "2025-04-01T00:00:00+02:00"  # the first instant of April in Amsterdam: March is the last complete month


@pytest.fixture(scope="module")
def golden_ws(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("alerts") / "ws.duckdb")
    assert import_folder(Workspace.open(path), GOLDEN).rejected == 0
    return path


@pytest.fixture
def ws(golden_ws, tmp_path) -> str:
    """A copy of the golden workspace per test, so each adds its own rules."""
    copy = str(tmp_path / "ws.duckdb")
    shutil.copy(golden_ws, copy)
    return copy


def koers(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def checked(ws: str, rules: list[alerts.Rule], as_of: str) -> list[dict]:
    w = Workspace.open(ws, read_only=True)
    settings = w.settings()
    con = connect(w)
    try:
        return alerts.check(alerts.Direct(con, settings), settings, rules, parse_instant(as_of, settings.tz)).rows.to_dict("records")
    finally:
        close(con)


def fired(rows: list[dict], dim: str = "owner") -> dict:
    return {r[dim]: r["worse_by"] for r in rows if r["fired"]}


def test_a_rule_looks_at_the_last_complete_period_or_the_running_one_in_local_time():
    tz = ZoneInfo("Europe/Amsterdam")
    at = parse_instant(APRIL, tz)  # 2025-03-31T22:00Z: already April in Amsterdam
    assert alerts.make_rule("m", "leads", above="1").period(at, tz).label == "2025-03"
    assert alerts.make_rule("m", "leads", above="1", when="current").period(at, tz).label == "2025-04"
    assert alerts.make_rule("m", "leads", above="1", grain="week").period(at, tz).label == "2025-W13"
    assert alerts.make_rule("m", "leads", above="1", grain="quarter", when="current").period(at, tz).label == "2025-Q2"
    assert alerts.make_rule("m", "leads", above="1", grain="day").period(at, tz).label == "2025-03-31"


def test_targets_previous_periods_and_thresholds_on_the_golden_data(ws):
    rows = checked(ws, [alerts.make_rule("t", "won_value", worse_than="target", by=["owner"])], APRIL)
    assert {r["owner"]: r["value"] for r in rows} == {"R1": 10000, "R2": 2250, "R3": 0, "R4": 0, "R5": 0}
    assert {r["owner"]: r["compared_value"] for r in rows if r["compared_value"] is not None} == {
        "R1": 15000, "R2": 5000}
    assert fired(rows) == pytest.approx({"R1": 1 / 3, "R2": 0.55})
    rows = checked(ws, [alerts.make_rule("t", "won_value", worse_than="target", by_more_than="40%",
                                         by=["owner"])], APRIL)
    assert fired(rows) == pytest.approx({"R2": 0.55})

    # a ratio has no figure for a rep without records: R3 and R4 are not judged
    rows = checked(ws, [alerts.make_rule("w", "win_rate", below="60%", grain="quarter", by=["owner"])], APRIL)
    assert {r["owner"] for r in rows} == {"R1", "R2", "R5"}
    assert fired(rows) == pytest.approx({"R1": 0.1, "R2": 0.1})

    # a sum has 0 for each rep employed during P without a record
    rows = checked(ws, [alerts.make_rule("r", "revenue", below="1000", by=["owner"])], APRIL)
    assert {r["owner"]: r["value"] for r in rows} == {"R1": 1320, "R2": 0, "R3": 0, "R4": 0, "R5": 3000}
    assert fired(rows) == {"R2": 1000, "R3": 1000, "R4": 1000}
    # ... hired by the as-of moment: on 10 February R4 (hired 02-17) has not started; R3 (02-03) has
    rows = checked(ws, [alerts.make_rule("r", "revenue", below="1000", when="current", by=["owner"])],
                   "2025-02-10T12:00:00+01:00")
    assert {r["owner"] for r in rows} == {"R1", "R2", "R3", "R5"} and rows[0]["period"].isoformat() == "2025-02-01"
    # ... and not after leaving: R2's left_on 2025-09-01 is the first day of September
    rows = checked(ws, [alerts.make_rule("r", "revenue", below="1000", by=["owner"])], "2025-10-01")
    assert "R2" not in {r["owner"] for r in rows} and "R1" in {r["owner"] for r in rows}
    # ... within the filter's team
    rows = checked(ws, [alerts.make_rule("r", "revenue", below="1000", by=["owner"], where={"team": "South"})], APRIL)
    assert {r["owner"] for r in rows} == {"R3", "R4", "R5"} and {r["team"] for r in rows} == {"South"}

    # the company's win rate: March 2/3 after February 1/2 is better; April 1/3 is 33.3 pp worse
    rule = alerts.make_rule("p", "win_rate", worse_than="previous")
    (march,) = checked(ws, [rule], APRIL)
    assert not march["fired"] and march["worse_by"] == pytest.approx(-100 / 6)
    (april,) = checked(ws, [rule], "2025-05-01")
    assert april["fired"] and april["worse_by"] == pytest.approx(100 / 3) and april["change_unit"] == "pp"
    for by_more, fires in (("30pp", True), ("34pp", False)):
        (april,) = checked(ws, [alerts.make_rule("p", "win_rate", worse_than="previous", by_more_than=by_more)],
                           "2025-05-01")
        assert april["fired"] is fires


def test_worse_follows_the_kpis_direction_and_a_running_flow_its_pace():
    higher, lower, zero = (CATALOG_BY_ID[k] for k in ("won_value", "lead_response_time", "forecast_accuracy"))
    rule = alerts.Rule("x", "won_value", "worse", 0.0, "previous")
    assert alerts.worse_by(higher, rule, {"value": 80, "compared_value": 100, "change": -0.2}) == pytest.approx(0.2)
    assert alerts.worse_by(lower, rule, {"value": 6, "compared_value": 4, "change": 0.5}) == 0.5
    # closer to 0: from +20% to −30% over-forecast is 10 pp further from 0
    assert alerts.worse_by(zero, rule, {"value": -0.3, "compared_value": 0.2, "change": -50.0}) == pytest.approx(10)
    assert alerts.worse_by(higher, rule, {"value": 50, "compared_value": 100, "change": -0.5, "pace": 0.8}) \
        == pytest.approx(0.2)
    # from 0 no relative change is defined: a step the wrong way is worse than any threshold, the right way better
    assert alerts.worse_by(lower, rule, {"value": 1, "compared_value": 0, "change": None}) == math.inf
    assert alerts.worse_by(higher, rule, {"value": 5, "compared_value": 0, "change": None}) == -math.inf
    assert alerts.worse_by(lower, rule, {"value": 0, "compared_value": 0, "change": None}) == 0
    assert alerts.worse_by(higher, rule, {"value": 5, "compared_value": None, "change": None}) is None


def test_rules_are_kept_listed_replaced_and_removed_through_the_cli(ws):
    assert koers("alerts", "list", "-w", ws).exit_code == 0
    made = koers("alerts", "add", "behind", "won_value", "--worse-than", "target", "--by", "owner", "-w", ws)
    assert made.exit_code == 0, made.output
    assert koers("alerts", "add", "slow", "lead_response_time", "--above", "4", "--by", "owner",
                 "--where", "team=North", "--grain", "week", "-w", ws).exit_code == 0
    again = koers("alerts", "add", "slow", "lead_response_time", "--above", "8", "-w", ws)
    assert again.exit_code == 2 and "--replace" in again.output
    assert koers("alerts", "add", "slow", "lead_response_time", "--above", "8", "--replace", "-w", ws).exit_code == 0
    listed = json.loads(koers("alerts", "list", "--format", "json", "-w", ws).stdout)
    assert [(r["rule"], r["threshold"], r["by"]) for r in listed] == [("behind", 0, "owner"), ("slow", 8, "")]
    described = list(csv.DictReader(io.StringIO(koers("alerts", "list", "--lang", "nl", "--format", "csv",
                                                      "-w", ws).stdout)))
    assert [r["description"] for r in described] == [
        "Gerealiseerde verkoop per verkoper, de laatste volle maand: slechter dan het target",
        "Reactietijd leads, de laatste volle maand: boven 8 uur"]
    assert "behind" in koers("alerts", "list", "-w", ws).stdout
    assert koers("alerts", "remove", "slow", "-w", ws).exit_code == 0
    gone = koers("alerts", "remove", "slow", "-w", ws)
    assert gone.exit_code == 2 and "no rule named slow; the rules: behind" in gone.output


def test_check_prints_csv_json_and_a_table_and_exits_1_on_request(ws):
    koers("alerts", "add", "behind", "won_value", "--worse-than", "target", "--by", "owner", "-w", ws)
    koers("alerts", "add", "rev", "revenue", "--below", "1000", "--by", "owner", "-w", ws)
    koers("alerts", "add", "quiet", "leads", "--above", "1000", "-w", ws)
    result = koers("alerts", "check", "--as-of", APRIL, "--format", "csv", "-w", ws)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["rule"], r["owner"]) for r in rows] == [("behind", "R1"), ("behind", "R2"), ("rev", "R2"),
                                                       ("rev", "R3"), ("rev", "R4")]
    assert rows[0]["period"] == "2025-03-01" and rows[0]["compared_value"] == "15000"
    every = json.loads(koers("alerts", "check", "--as-of", APRIL, "--all", "--format", "json", "-w", ws).stdout)
    assert len(every) == 5 + 5 + 1 and sum(r["fired"] for r in every) == 5
    assert koers("alerts", "check", "quiet", "--as-of", APRIL, "--exit-code", "-w", ws).exit_code == 0
    assert koers("alerts", "check", "--as-of", APRIL, "--exit-code", "-w", ws).exit_code == 1
    table = runner.invoke(app, ["alerts", "check", "--as-of", APRIL, "--lang", "nl", "-w", ws],
                          env={"COLUMNS": "200"}).stdout
    assert "5 signalen gaan af: van 11 cijfers, volgens 3 regels" in table
    assert "Anna Jansen (R1)" in table and "€\xa010.000,00" in table and "33,3%" in table
    unknown = koers("alerts", "check", "nope", "-w", ws)
    assert unknown.exit_code == 2 and "no rule named nope; the rules: behind, quiet, rev" in unknown.output


@pytest.mark.parametrize("args, said", [
    (["x", "nope", "--below", "1"], "unknown KPI nope; valid KPIs: leads"),
    (["x", "won_value"], "a rule has one test"),
    (["x", "won_value", "--below", "1", "--above", "2"], "a rule has one test"),
    (["x", "won_value", "--below", "10%"], "won_value is not a share"),
    (["x", "win_rate", "--below", "25"], "win_rate is a share: write 25% or 0.25 (a fraction), not 25"),
    (["x", "pipeline_coverage", "--below", "50%"], "a multiple: write it as 0.5x"),
    (["x", "won_value", "--worse-than", "previous", "--by-more-than", "10"], "a relative change of amounts"),
    (["x", "win_rate", "--worse-than", "previous", "--by-more-than", "5%"], "percentage points of a share, e.g. 5pp"),
    (["x", "won_value", "--worse-than", "previous", "--when", "current"], "set it against its target"),
    (["x", "won_value", "--below", "lots"], "the threshold must be a number, got 'lots'"),
    (["x", "won_value", "--below", "1", "--by", "colour"], "colour is not a dimension of won_value"),
    (["x", "won_value", "--worse-than", "target", "--by", "region"], "targets are set for a rep, a team"),
    (["x", "won_value", "--worse-than", "last"], "--worse-than must be one of: previous, year, target"),
    (["x", "won_value", "--worse-than", "previous", "--by-more-than", "-5%"], "0 or more"),
    (["x", "won_value", "--below", "1", "--by-more-than", "5%"], "--by-more-than goes with --worse-than"),
    (["x", "won_value", "--below", "1", "--when", "next"], "--when must be one of: last, current"),
    (["x", "won_value", "--below", "1", "--grain", "decade"], "--grain must be one of: day, week"),
    (["x", "target_attainment", "--below", "1"], "watch that KPI with --worse-than target"),
    (["no spaces", "won_value", "--below", "1"], "a rule's name is 1 to 40 letters"),
])
def test_a_bad_rule_is_refused_naming_the_choices(ws, args, said):
    result = koers("alerts", "add", *args, "-w", ws)
    assert result.exit_code == 2 and said in result.output.replace("\n", " ")
    assert json.loads(koers("alerts", "list", "--format", "json", "-w", ws).stdout) == []


def test_rules_live_in_a_spark_and_a_postgresql_workspace_too(tmp_path):
    rule = alerts.make_rule("behind", "won_value", worse_than="target", by=["owner"])
    for url in (f"spark:{tmp_path / 'ws'}", pg_server().new_database()):
        ws = Workspace.open(url)
        alerts.save(ws, rule)
        assert alerts.rules(Workspace.open(url)) == [rule]
        alerts.remove(ws, ["behind"])
        assert alerts.rules(ws) == []


def test_the_page_and_the_api_check_the_rules_as_the_cli_does(ws):
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    with TestClient(create_app(ws)) as c:
        empty = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00"})
        assert empty.status_code == 200 and "data-alerts-none" in empty.text and "koers alerts add" in empty.text
        koers("alerts", "add", "behind", "won_value", "--worse-than", "target", "--by", "owner", "-w", ws)
        koers("alerts", "add", "rev", "revenue", "--below", "1000", "--by", "owner", "-w", ws)
        koers("alerts", "add", "quiet", "leads", "--above", "1000", "-w", ws)
        page = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00"})
        assert page.status_code == 200, page.text
        assert 'data-alerts-count="5"' in page.text and "5 alerts fire: of 11 figures, by 3 rules" in page.text
        assert 'data-alert-rule="behind"' in page.text and 'data-alert-rule="rev"' in page.text
        assert "Anna Jansen" in page.text and "its target: €15,000.00" in page.text and "33.3%" in page.text
        quiet = page.text[page.text.index("data-alerts-quiet"):]
        assert "quiet" in quiet and "above 1,000" in quiet
        # each figure opens its records
        assert "/kpi/won_value/drill?" in page.text and "m_owner=R1" in page.text
        # the page's team filter keeps South's reps: R3, R4 (rev); North's R1, R2 go
        south = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00", "team": "South"}).text
        figures = south[south.index("data-alerts-count"):]
        assert 'data-alerts-count="2"' in south and "Anna Jansen" not in figures and "Carla Smit" in figures
        nl = c.get("/alerts", params={"lang": "nl", "as_of": "2025-04-01T00:00"}).text
        assert "Signalen" in nl and "het target: € 15.000,00" in nl.replace("\xa0", " ")
        exported = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00", "export": "csv",
                                            "table": "rev"})
        assert exported.status_code == 200, exported.text
        assert [line.split(",")[0] for line in exported.text.splitlines()[1:]] == ["Bram de Vries", "Carla Smit",
                                                                                "Daan Bakker"]
        # the numbers behind "set against" and "worse by", as the CLI's csv has them
        behind = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00", "export": "csv", "table": "behind"})
        anna = next(csv.DictReader(io.StringIO(behind.text)))
        assert anna["Set against"] == "its target: €15,000.00" and anna["Compared value"] == "15000"
        assert float(anna["Change"]) == pytest.approx(-1 / 3) and anna["Change (unit)"] == "%"
        assert float(anna["Worse by (number)"]) == pytest.approx(1 / 3) and anna["Compared period"] == "2025-03-01"
        xlsx = c.get("/alerts", params={"lang": "nl", "as_of": "2025-04-01T00:00", "export": "xlsx", "table": "behind"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        heads = [cell.value for cell in sheet[1]]
        compared, change = sheet[2][heads.index("Vergeleken waarde")], sheet[2][heads.index("Verandering")]
        assert compared.value == 15000 and compared.number_format == "#,##0.00 \"EUR\""
        assert change.value == pytest.approx(-1 / 3) and change.number_format == "+0.0%;-0.0%;0.0%"

        api = c.get("/api/v1/alerts", params={"as_of": "2025-04-01T00:00"}).json()
        cli = koers("alerts", "check", "--as-of", "2025-04-01T00:00", "--format", "json", "-w", ws)
        assert api["rows"] == json.loads(cli.stdout) and api["as_of"] == "2025-04-01T00:00:00+02:00"
        assert [r["rule"] for r in api["rules"]] == ["behind", "quiet", "rev"]
        every = c.get("/api/v1/alerts", params={"as_of": "2025-04-01T00:00", "all": "true"}).json()
        assert len(every["rows"]) == 11

        # a rule's filter goes with its figures' links; a period picked on the page checks the rules at its end
        koers("alerts", "add", "nl", "won_value", "--below", "1000000", "--by", "owner", "--where", "region=NL",
              "-w", ws)
        page = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00"}).text
        section = page[page.index('data-alert-rule="nl"'):]
        assert "m_region=NL" in section[:section.index("</section>")]
        february = c.get("/alerts", params={"lang": "en", "as_of": "2025-04-01T00:00", "period": "2025-02"}).text
        main = february[february.index("data-alerts-count"):]
        assert "2025-02</a>" in main and "2025-03</a>" not in main


def test_the_demo_company_keeps_rules_that_catch_its_reps_profiles(tmp_path):
    """koers.demo's profiles: R003 answers leads slowly, R004 loses after the
    quote, R005 over-forecasts; each breaks the demo's rule for it."""
    url = str(tmp_path / "demo.duckdb")
    assert koers("demo", "--size", "small", "--workspace", url).exit_code == 0
    kept = {r["rule"] for r in json.loads(koers("alerts", "list", "--format", "json", "-w", url).stdout)}
    assert kept == {"slow-response", "low-win-rate", "over-forecast", "behind-target", "pipeline-drop"}
    rows = json.loads(koers("alerts", "check", "--format", "json", "-w", url).stdout)
    fired = {(r["rule"], r["owner"]) for r in rows}
    assert {("slow-response", "R003"), ("low-win-rate", "R004"), ("over-forecast", "R005")} <= fired

    # the demo's review of last month: its weekly snapshots walk the pipeline, and a note says they are Mondays'
    review = json.loads(koers("review", "--format", "json", "-w", url).stdout)
    walk = {r["line"]: r["value"] for r in review["pipeline"]}
    assert sum(walk[x] for x in WALK[:-1]) == pytest.approx(walk["end"])
    assert any("the snapshots nearest the period's bounds" in n for n in review["notes"])
    assert {("slow-response", "R003")} <= {(a["rule"], a["owner"]) for a in review["alerts"]}


def test_what_the_first_audit_found(ws, tmp_path):
    """A missing table measures nothing; a lower-is-better count rising from
    0 fires; a stock's idle reps are those employed at the period's end; a
    running flow is judged against its target only once time has gone by."""
    folder = tmp_path / "no-activities"
    shutil.copytree(GOLDEN, folder)
    for name in ("activities.csv", "activity_points.csv"):
        (folder / name).unlink()
    bare = str(tmp_path / "bare.duckdb")
    import_folder(Workspace.open(bare), folder)
    assert checked(bare, [alerts.make_rule("idle", "activities", below="1", by=["owner"])], APRIL) == []

    (rose,) = checked(ws, [alerts.make_rule("od", "overdue_activities", worse_than="previous")],
                      "2025-02-01T00:00:00+01:00")
    assert (rose["value"], rose["compared_value"], rose["fired"], rose["worse_by"]) == (1, 0, True, None)
    assert alerts.worse_text(alerts.make_rule("od", "overdue_activities", worse_than="previous"), rose, "en",
                             "EUR") == "from 0"

    # R4 left on 2025-08-15: not employed at the end of August; R2 (left_on 09-01) still is at its first instant
    rows = checked(ws, [alerts.make_rule("s", "open_pipeline_count", below="1", by=["owner"])],
                   "2025-09-01T00:00:00+02:00")
    assert "R4" not in {r["owner"] for r in rows} and "R2" in {r["owner"] for r in rows}

    at_start = checked(ws, [alerts.make_rule("t", "leads", worse_than="target", grain="week", when="current")],
                       "2025-03-24T00:00:00+01:00")
    assert at_start and not any(r["fired"] for r in at_start)


def test_words_keep_the_threshold_as_typed_and_dutch_grammar():
    rule = alerts.make_rule("r", "lead_response_time", above="0.25", grain="quarter")
    assert alerts.describe(rule, "en") == "Lead response time, the last complete quarter: above 0.25 h"
    assert alerts.describe(rule, "nl") == "Reactietijd leads, het laatste volle kwartaal: boven 0,25 uur"
    win = alerts.make_rule("w", "win_rate", worse_than="previous", by_more_than="0.05pp", when="current",
                           grain="year", by=["owner"])
    assert alerts.describe(win, "nl").endswith("per verkoper, dit jaar tot nu: slechter dan de periode ervoor met "
                                               "meer dan 0,05 pp")
    low = alerts.make_rule("l", "win_rate", below="20%")
    assert alerts.worse_text(low, {"value": 0.032, "worse_by": 0.168}, "en", "EUR") == "16.8 pp"
    assert alerts.summary(1, 1, 1, "en") == "1 alert fires: of 1 figure, by 1 rule"


def test_a_rule_filtered_on_a_value_no_record_holds_is_warned_of(ws):
    added = koers("alerts", "add", "r1", "activities", "--below", "1", "--by", "owner", "--where", "owner=r1",
                  "-w", ws)
    assert added.exit_code == 0 and "did you mean 'R1'?" in added.output
    assert "did you mean 'R1'?" in koers("alerts", "check", "--as-of", APRIL, "-w", ws).output
