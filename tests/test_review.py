"""The review of a period (`koers review`, `/review`), checked by hand on
the golden data (tests/golden/cases.py derives each figure):

March 2025, as it stood at its end (2025-04-01T00:00 in Amsterdam):
- won_value 12250 (O01 10000 by R1, O02 2250 by R2); February 1740 (O08);
  the company's target 365000 × 31/365 = 31000; R1's 15000, R2's 5000.
- win_rate 2/3 (O01, O02 won, O04 lost); February 1/2; the target: the
  2025 row 0.4 and the 2025-Q1 row 0.5 overlap March alike, 0.45. R1 1/2,
  R2 1/1; R3, R4, R5 closed nothing.
- every rep was employed in March (R3 from 02-03, R4 from 02-17, R2 until
  09-01); North is R1 and R2.
- the golden data is imported once, today: no snapshot from March.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from koers import alerts
from koers.cli import app
from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.compute import QueryError
from koers.periods import parse_instant, parse_one
from koers.review import review
from koers.store import Workspace
from tests.conftest import GOLDEN

runner = CliRunner()


@pytest.fixture(scope="module")
def golden_ws(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("review") / "ws.duckdb")
    ws = Workspace.open(path)
    assert import_folder(ws, GOLDEN).rejected == 0
    alerts.save(ws, alerts.make_rule("behind", "won_value", worse_than="target", when="current", by=["owner"]))
    alerts.save(ws, alerts.make_rule("co-won", "won_value", below="1000000"))  # the company's, not a team's
    return path


def reviewed(path: str, period: str, now: str = "2026-11-30T12:00", where=None):
    ws = Workspace.open(path, read_only=True)
    settings = ws.settings()
    con = connect(ws)
    try:
        return review(ws, alerts.Direct(con, settings), settings, parse_one(period),
                      parse_instant(now, settings.tz), where)
    finally:
        close(con)


def test_a_month_as_it_stood_at_its_end(golden_ws):
    found = reviewed(golden_ws, "2025-03")
    assert not found.running and found.as_of == datetime(2025, 3, 31, 22, 0)
    head = {r["kpi"]: r for r in found.headline.to_dict("records")}
    assert list(head) == ["won_value", "win_rate", "open_pipeline_value", "lead_response_time", "revenue",
                          "churn_rate"]  # the focus KPIs, in their order
    won = head["won_value"]
    assert (won["value"], won["previous_value"], won["target"]) == (12250, pytest.approx(1740), pytest.approx(31000))
    assert won["previous_change"] == pytest.approx((12250 - 1740) / 1740) and won["change_unit"] == "%"
    assert won["attainment"] == pytest.approx(12250 / 31000) and won["pace"] is None
    rate = head["win_rate"]
    assert (rate["value"], rate["previous_value"]) == (pytest.approx(2 / 3), 0.5)
    assert rate["previous_change"] == pytest.approx(100 / 6) and rate["change_unit"] == "pp"
    assert rate["target"] == pytest.approx(0.45)

    reps = {r["owner"]: r for r in found.reps.to_dict("records")}
    assert list(reps) == ["R1", "R2", "R3", "R4", "R5"]
    assert {o: r["won_value"] for o, r in reps.items()} == {"R1": 10000, "R2": 2250, "R3": 0, "R4": 0, "R5": 0}
    assert {o: r["win_rate"] for o, r in reps.items() if r["win_rate"] is not None} == {"R1": 0.5, "R2": 1.0}
    assert reps["R1"]["won_value_target"] == 15000 and reps["R1"]["won_value_attainment"] == pytest.approx(2 / 3)
    assert reps["R2"]["won_value_attainment"] == pytest.approx(0.45) and reps["R3"]["won_value_target"] is None

    # a rule on the running month looks, in a review, at the month reviewed
    fired = found.alerts.rows[found.alerts.rows["fired"] == True]  # noqa: E712
    assert list(zip(fired["rule"], fired["owner"])) == [("behind", "R1"), ("behind", "R2"), ("co-won", None)]
    assert set(fired["period"].astype(str)) == {"2025-03-01"}
    assert found.pipeline is None and found.notes_in("en")[0].startswith("pipeline: no snapshot was taken at or before")
    assert found.notes_in("nl")[0].startswith("pijplijn: geen momentopname genomen op of voor")


def test_a_team_s_review_and_a_running_month(golden_ws):
    north = reviewed(golden_ws, "2025-03", where={"team": "North"})
    assert list(north.reps["owner"]) == ["R1", "R2"]
    head = {r["kpi"]: r for r in north.headline.to_dict("records")}
    assert head["won_value"]["value"] == 12250 and "revenue" in head
    fired = north.alerts.rows[north.alerts.rows["fired"] == True]  # noqa: E712
    assert list(fired["owner"]) == ["R1", "R2"]  # the company's figure is not North's
    mine = reviewed(golden_ws, "2025-03", where={"owner": "R2"})
    assert list(mine.alerts.rows["owner"]) == ["R2"] and list(mine.reps["owner"]) == ["R2"]
    south = reviewed(golden_ws, "2025-03", where={"team": "South"})
    assert list(south.reps["owner"]) == ["R3", "R4", "R5"] and south.alerts.rows["fired"].sum() == 0
    with pytest.raises(QueryError, match="filter by owner or team, not region"):
        reviewed(golden_ws, "2025-03", where={"region": "NL"})

    # March on 15 March: so far, as of then; the rule on the running month is March's too
    running = reviewed(golden_ws, "2025-03", now="2025-03-15T12:00")
    assert running.running and running.as_of == datetime(2025, 3, 15, 11, 0)
    assert running.reps["won_value"].sum() < 12250
    head = {r["kpi"]: r for r in running.headline.to_dict("records")}
    # a flow so far has no change against a whole month; a share has
    assert head["won_value"]["previous_change"] is None and head["win_rate"]["previous_change"] is not None
    with pytest.raises(QueryError, match="2027-01 has not begun"):
        reviewed(golden_ws, "2027-01")


def test_the_cli_writes_a_table_json_and_a_workbook(golden_ws, tmp_path):
    path = str(tmp_path / "ws.duckdb")
    shutil.copy(golden_ws, path)
    got = runner.invoke(app, ["review", "--period", "2025-03", "--format", "json", "-w", path])
    assert got.exit_code == 0, got.output
    body = json.loads(got.stdout)
    assert body["period"] == "2025-03" and body["as_of"] == "2025-04-01T00:00:00+02:00" and not body["running"]
    assert body["headline"][0]["kpi"] == "won_value" and body["headline"][0]["value"] == 12250
    assert [a["owner"] for a in body["alerts"]] == ["R1", "R2", None] and body["pipeline"] is None
    table = runner.invoke(app, ["review", "--period", "2025-03", "--lang", "nl", "-w", path],
                          env={"COLUMNS": "200"}).stdout
    assert "Terugblik op 2025-03" in table and "Anna Jansen (R1)" in table and "€\xa012.250,00" in table
    assert "66,7%" in table  # R1's won value against the rep's target
    book = runner.invoke(app, ["review", "--period", "2025-03", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"),
                               "-w", path])
    assert book.exit_code == 0, book.output
    wb = load_workbook(io.BytesIO((tmp_path / "r.xlsx").read_bytes()))
    assert wb.sheetnames == ["Review", "Focus KPIs", "Reps", "Alerts", "Definitions"]
    about = {r[0].value: r[1].value for r in wb["Review"].iter_rows()}
    assert about["Period"] == "2025-03" and about["For"] == "the company" and about["Notes"].startswith("pipeline:")
    assert [c.value for c in wb["Alerts"][2]][:4] == ["behind", "Closed won value", "2025-03", "Anna Jansen"]
    first = [c.value for c in wb["Focus KPIs"][2]]
    assert first[:4] == ["won_value", "Closed won value", 12250, 1740]
    assert wb["Focus KPIs"].cell(2, 3).number_format == '#,##0.00 "EUR"'
    nope = runner.invoke(app, ["review", "--period", "2025-03", "--where", "team=Nort", "-w", path])
    assert nope.exit_code == 0 and "no record in the workspace has team 'Nort'" in nope.output
    assert "did you mean 'North'?" in nope.output
    for bad, said in ((["--period", "2025-01..2025-03"], "a review is of one period"),
                      (["--where", "region=NL"], "filter by owner or team, not region")):
        result = runner.invoke(app, ["review", *bad, "-w", path])
        assert result.exit_code == 2 and said in result.output


def test_the_page_pins_its_links_to_the_period_s_end(golden_ws):
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    with TestClient(create_app(golden_ws)) as c:
        page = c.get("/review", params={"lang": "en", "period": "2025-03"})
        assert page.status_code == 200, page.text
        text = page.text
        assert "Review of 2025-03" in text and "€12,250.00" in text and "€31,000.00" in text
        assert "data-review-note" in text and 'data-review-walk' not in text
        # the drill-downs of its figures open the records as they stood at March's end
        assert "/kpi/won_value/drill?" in text and "as_of=2025-04-01T00%3A00%2B02%3A00" in text
        # and so does the footer's moment (the page's own is today)
        assert "<span data-as-of>as of 2025-04-01 00:00 (Europe/Amsterdam)</span>" in text
        north = c.get("/review", params={"lang": "en", "period": "2025-03", "team": "North", "region": "NL"}).text
        assert "Bram de Vries" in north and "Carla Smit" not in north[north.index('data-table="reps"'):]
        assert "data-ignored" in north  # region is named as not applied
        assert c.get("/review", params={"lang": "nl", "period": "2025-03"}).status_code == 200
        # the alerts' export carries the numbers behind their text, each in its own KPI's unit
        exported = c.get("/review", params={"lang": "en", "period": "2025-03", "export": "csv", "table": "alerts"})
        fired = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(r["For"], r["Compared value"], r["Threshold"], r["Worse by (number)"]) for r in fired] == [
            ("Anna Jansen", "15000", "0", "0.3333333333333333"), ("Bram de Vries", "5000", "0", "0.55"),
            ("", "", "1000000", "987750")]
        assert c.get("/review", params={"lang": "en", "period": "2025-01..2025-03"}).status_code == 400


def test_the_review_is_mailed_with_its_workbook(golden_ws, tmp_path, monkeypatch):
    from tests.smtp_stub import SmtpStub

    monkeypatch.setenv("KOERS_CONFIG", str(tmp_path / "no-credentials.toml"))
    path = str(tmp_path / "ws.duckdb")
    shutil.copy(golden_ws, path)
    with SmtpStub() as smtp:
        result = runner.invoke(app, ["review", "--period", "2025-03", "--where", "team=North", "--mail-to",
                                     "anna@example.nl, eva@example.nl,Anna@Example.nl", "--link", "http://cockpit:8000",
                                     "-w", path],
                               env=smtp.env())
        assert result.exit_code == 0, result.output
        [got] = smtp.received
    assert got.recipients == ["anna@example.nl", "eva@example.nl"]
    assert got.message["Subject"] == "Koers: Review of 2025-03 · North"
    text = got.text()
    assert text.splitlines()[1] == "As it stood at 2025-04-01 00:00 (Europe/Amsterdam)"
    # the focus KPIs and the reps as the terminal shows them. North is Anna (R1: 10,000 of 15,000) and Bram
    # (R2: 2,250): 12,250 in March, none in February (O08 is not North's); North's 2025-Q1 target 45,000 × 31/90
    headline = next(line for line in text.splitlines() if line.startswith("Closed won value"))
    assert headline.split() == ["Closed", "won", "value", "€12,250.00", "€0.00", "–", "€0.00", "€15,500.00", "79.0%"]
    anna = next(line for line in text.splitlines() if line.startswith("Anna Jansen (R1)"))
    assert anna.split()[4] == "€10,000.00" and anna.split()[-2:] == ["€15,000.00", "66.7%"]
    assert "Carla Smit" not in text
    # the page as it stood then, whenever the mail is opened
    assert "http://cockpit:8000/review?period=2025-03&lang=en&team=North&as_of=2025-04-01T00%3A00%3A00%2B02%3A00" in text
    assert "<td" in got.html() and "Anna Jansen (R1)" in got.html()
    [book] = [p for p in got.message.walk() if p.get_filename()]
    assert book.get_filename() == "review-2025-03-North.xlsx"
    wb = load_workbook(io.BytesIO(book.get_payload(decode=True)))
    assert wb.sheetnames[:3] == ["Review", "Focus KPIs", "Reps"] and wb["Reps"]["B2"].value == "Anna Jansen"

    outbox = tmp_path / "outbox"
    nl = runner.invoke(app, ["review", "--period", "2025-03", "--mail-to", "eva@example.nl", "--lang", "nl",
                             "--outbox", str(outbox), "-w", path])
    assert nl.exit_code == 0, nl.output
    [eml] = outbox.iterdir()
    assert "Koers: Terugblik op 2025-03" in eml.read_text() and "terugblik-2025-03.xlsx" in eml.read_text()
    alone = runner.invoke(app, ["review", "--period", "2025-03", "--outbox", str(outbox), "-w", path])
    assert alone.exit_code == 2 and "--link and --outbox go with --mail-to" in alone.output
    # a refused address is named, and the others still get the review
    with SmtpStub(refuse={"eva@example.nl"}) as smtp:
        refused = runner.invoke(app, ["review", "--period", "2025-03", "--mail-to", "anna@example.nl,eva@example.nl",
                                      "-w", path], env=smtp.env())
        assert refused.exit_code == 1 and "refused eva@example.nl (550" in " ".join(refused.output.split())
        assert [m.recipients for m in smtp.received] == [["anna@example.nl"]]
