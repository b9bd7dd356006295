"""`koers changes`: the open pipeline's walk between two import snapshots,
checked by hand on three imports of a small pipeline.

Snapshot 1, imported 2025-06-01 08:00 UTC (10:00 in Amsterdam), USD at 0.9:
  O1 R1 A 1000 EUR, close 2025-06-30   O2 R1 A 500 USD = 450
  O3 R2 B 2000                         O4 R2 A 300
  O5 R1 B no amount (counts 0)         O8 R2 A 100
  O6 R2 lost on 2025-05-01, not open
  start: 6 deals, 1000 + 450 + 2000 + 300 + 0 + 100 = 3850
Snapshot 2, 2025-06-08 08:00 UTC, USD at 0.8 since 2025-06-02:
  O1 1200, stage B, close 2025-07-31: raised +200, forward, pushed out
  O2 600 USD = 480: raised (600 − 500) × 0.8 = +80; the rate alone 500 × (0.8 − 0.9) = −50
  O3 won −2000; O4 lost −300; O8 lost −100 (but reopened in snapshot 3: today it is open)
  O5 back to stage A, still no amount
  O6 reopened at 700 (created 2025-04-01, before snapshot 1): added +700
  O7 R2 created 2025-06-03, 400: new +400
  end: 5 deals, 1200 + 480 + 0 + 700 + 400 = 2780
  walk: 3850 + 400 + 700 − 2000 − 300 − 100 + 280 − 50 = 2780
Snapshot 3, 2025-06-15 08:00 UTC: O8 open again at 100, so between 1 and 2
its leaving is neither won nor lost today: "left", not "lost".
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import koers.cli_changes
import koers.importers.canonical
from koers.cli import app
from koers.pipeline_changes import LINES, WALK, what_changed
from koers.web.i18n import column_label
from tests.conftest import pg_server

runner = CliRunner()

REPS = "rep_id,name,team,hired_on\nR1,Anna Jansen,North,2024-01-01\nR2,Bas Smit,South,2024-01-01\n"
STAGES = ("stage,sequence,probability,kind\nA,1,20,open\nB,2,50,open\nWon,3,100,won\nLost,4,0,lost\n")
RATES = "currency,valid_from,rate\nUSD,2025-01-01,0.9\nUSD,2025-06-02,0.8\n"
HEAD = "opportunity_id,owner_id,created_at,closed_at,status,stage,amount,currency,expected_close_on\n"
V1 = HEAD + """O1,R1,2025-05-01T09:00:00,,open,A,1000,,2025-06-30
O2,R1,2025-05-02T09:00:00,,open,A,500,USD,
O3,R2,2025-05-03T09:00:00,,open,B,2000,,
O4,R2,2025-05-04T09:00:00,,open,A,300,,
O5,R1,2025-05-05T09:00:00,,open,B,,,
O6,R2,2025-04-01T09:00:00,2025-05-01T09:00:00,lost,Lost,700,,
O8,R2,2025-05-06T09:00:00,,open,A,100,,
"""
V2 = HEAD + """O1,R1,2025-05-01T09:00:00,,open,B,1200,,2025-07-31
O2,R1,2025-05-02T09:00:00,,open,A,600,USD,
O3,R2,2025-05-03T09:00:00,2025-06-05T10:00:00,won,Won,2000,,
O4,R2,2025-05-04T09:00:00,2025-06-06T10:00:00,lost,Lost,300,,
O5,R1,2025-05-05T09:00:00,,open,A,,,
O6,R2,2025-04-01T09:00:00,,open,A,700,,
O7,R2,2025-06-03T09:00:00,,open,A,400,,
O8,R2,2025-05-06T09:00:00,2025-06-07T10:00:00,lost,Lost,100,,
"""
V3 = V2.replace("O8,R2,2025-05-06T09:00:00,2025-06-07T10:00:00,lost,Lost,100,,", "O8,R2,2025-05-06T09:00:00,,open,A,100,,")
TAKEN = [datetime(2025, 6, 1, 8), datetime(2025, 6, 8, 8), datetime(2025, 6, 15, 8)]


def write(folder: Path, opportunities: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("reps", REPS), ("stages", STAGES), ("exchange_rates", RATES),
                       ("opportunities", opportunities)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def import_at(ws: str, folder: Path, moment: datetime) -> str:
    """Import as if at `moment` (naive UTC), which the snapshot takes as its time."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(koers.importers.canonical, "now_utc", lambda: moment)
        result = runner.invoke(app, ["import", str(folder), "--workspace", ws])
    assert result.exit_code == 0, result.output
    return next(w for w in result.output.split() if w.startswith(moment.strftime("%Y%m%dT%H%M%S")))


@pytest.fixture(scope="module", params=["duckdb", "spark", pytest.param("postgres", marks=pytest.mark.postgres)])
def ws(request, tmp_path_factory):
    """(workspace, the three imports' ids) on every kind of workspace: a
    spark:DIR one is read without Spark, from its Parquet files; a
    PostgreSQL one a table at a time. Each must give the same walk."""
    return three_imports(tmp_path_factory.mktemp(f"changes-{request.param}"), request.param)


def three_imports(tmp: Path, kind: str) -> tuple[str, list[str]]:
    url = {"duckdb": str(tmp / "ws.duckdb"), "spark": f"spark:{tmp / 'ws'}"}.get(kind) or pg_server().new_database()
    ids = [import_at(url, write(tmp / f"v{i}", v), at) for i, (v, at) in enumerate(zip((V1, V2, V3), TAKEN), 1)]
    return url, ids


def changes(ws, *args):
    return runner.invoke(app, ["changes", *args, "--workspace", ws])


def walk(output: str, by: tuple[str, ...] = ()) -> dict:
    found = {}
    for r in csv.DictReader(io.StringIO(output)):
        key = (*(r[d] for d in by), r["line"])
        found[key if by else r["line"]] = (int(r["count"]), float(r["value"] or "nan"))
    return found


def test_the_walk_between_two_snapshots_adds_up_by_hand(ws):
    url, ids = ws
    result = changes(url, "--since", ids[0], "--until", ids[1], "--format", "csv")
    assert result.exit_code == 0, result.output
    got = walk(result.stdout)
    assert list(got) == list(LINES)
    expected = {
        "start": (6, 3850), "new": (1, 400), "added": (1, 700), "won": (1, -2000), "lost": (1, -300),
        "left": (1, -100), "increased": (2, 280), "decreased": (0, 0), "exchange_rates": (1, -50), "end": (5, 2780),
        "stage_forward": (1, 1200), "stage_back": (1, 0), "close_pushed_out": (1, 1200), "close_pulled_in": (0, 0),
    }
    for line, (count, value) in expected.items():
        assert got[line][0] == count, line
        assert got[line][1] == pytest.approx(value), line
    assert sum(got[x][1] for x in WALK[:-1]) == pytest.approx(got["end"][1])


def test_by_owner_each_rep_walks_and_the_reps_add_up(ws):
    url, ids = ws
    result = changes(url, "--since", ids[0], "--until", ids[1], "--by", "owner", "--format", "csv")
    assert result.exit_code == 0, result.output
    got = walk(result.stdout, ("owner",))
    assert got["R1", "start"] == (3, pytest.approx(1450)) and got["R1", "end"] == (3, pytest.approx(1680))
    assert got["R2", "start"] == (3, pytest.approx(2400)) and got["R2", "end"] == (2, pytest.approx(1100))
    total = walk(changes(url, "--since", ids[0], "--until", ids[1], "--format", "csv").stdout)
    for line in LINES:
        assert got["R1", line][0] + got["R2", line][0] == total[line][0], line
        assert got["R1", line][1] + got["R2", line][1] == pytest.approx(total[line][1]), line
    south = walk(changes(url, "--since", ids[0], "--until", ids[1], "--where", "team=South", "--format", "csv").stdout)
    assert south == {line: got["R2", line] for line in LINES}


def test_the_deals_behind_a_line(ws):
    url, ids = ws
    result = changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--format", "json")
    assert result.exit_code == 0, result.output
    deals = {d["opportunity_id"]: d for d in json.loads(result.stdout)}
    assert sorted(deals) == ["O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8"]
    assert deals["O1"]["line"] == "increased" and deals["O1"]["moves"] == "stage_forward,close_pushed_out"
    assert deals["O1"]["expected_close_on_before"] == "2025-06-30" and deals["O1"]["value_change"] == 200
    assert deals["O2"]["value_change"] == pytest.approx(30)  # +80 from the amount, −50 from the rate
    assert deals["O3"]["value_after"] is None and deals["O3"]["closed_at"] == "2025-06-05T10:00:00+02:00"
    assert deals["O5"]["line"] is None and deals["O5"]["moves"] == "stage_back"
    assert deals["O8"]["line"] == "left" and deals["O8"]["status"] == "open"
    won = changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--line", "won", "--format", "csv")
    assert [r["opportunity_id"] for r in csv.DictReader(io.StringIO(won.stdout))] == ["O3"]
    start = changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--line", "start", "--format", "csv")
    assert sum(float(r["value_before"]) for r in csv.DictReader(io.StringIO(start.stdout))) == pytest.approx(3850)


def test_snapshots_named_by_moment_or_by_default(ws, monkeypatch):
    url, ids = ws
    # without --since and --until: the latest two (only O8 came back, as added)
    latest = walk(changes(url, "--format", "csv").stdout)
    assert latest["added"] == (1, pytest.approx(100)) and latest["start"][0] == 5 and latest["end"][0] == 6
    # a date is its local midnight: the last snapshot at or before it
    by_date = changes(url, "--since", "2025-06-02", "--until", "2025-06-14T23:00:00", "--format", "csv")
    assert walk(by_date.stdout) == walk(changes(url, "--since", ids[0], "--until", ids[1], "--format", "csv").stdout)
    monkeypatch.setattr(koers.cli_changes, "now_utc", lambda: datetime(2025, 6, 16, 8))
    assert walk(changes(url, "--since", "2w", "--format", "csv").stdout)["start"][0] == 6  # 2 June: snapshot 1
    assert walk(changes(url, "--since", "7d", "--format", "csv").stdout) == latest  # 9 June: snapshot 2


def test_what_cannot_be_answered_exits_2_and_says_why(ws, tmp_path):
    url, ids = ws
    early = changes(url, "--since", "2025-05-31")
    assert early.exit_code == 2 and "no snapshot was taken at or before 2025-05-31" in early.output
    assert "2025-06-01 10:00" in early.output  # the first, in local time
    swapped = changes(url, "--since", ids[1], "--until", ids[0])
    assert swapped.exit_code == 2 and "swap --since and --until" in swapped.output
    assert changes(url, "--since", "last week").exit_code == 2
    assert changes(url, "--by", "region").exit_code == 2
    assert changes(url, "--line", "won").exit_code == 2  # without --deals
    lone = str(tmp_path / "lone.duckdb")
    runner.invoke(app, ["import", str(write(tmp_path / "lone", V1)), "--workspace", lone])
    one = changes(lone)
    assert one.exit_code == 2 and "no snapshot was taken before" in one.output


def test_a_snapshot_converts_at_its_own_local_day(tmp_path):
    """22:00 UTC on 1 June is midnight on 2 June in Amsterdam: the new rate."""
    url = str(tmp_path / "ws.duckdb")
    folder = write(tmp_path / "v", V1)
    ids = [import_at(url, folder, at) for at in (datetime(2025, 6, 1, 21, 59, 59), datetime(2025, 6, 1, 22, 0, 0))]
    got = walk(changes(url, "--since", ids[0], "--until", ids[1], "--format", "csv").stdout)
    assert got["start"][1] == pytest.approx(3850) and got["end"][1] == pytest.approx(3800)
    assert got["exchange_rates"] == (1, pytest.approx(-50)) and got["increased"] == (0, 0)


def test_people_read_a_table_and_a_workbook(ws, tmp_path):
    url, ids = ws
    table = changes(url, "--since", ids[0], "--until", ids[1], "--lang", "nl")
    assert table.exit_code == 0, table.output
    assert "Open bij begin" in table.output and "3.850,00" in table.output and "Wisselkoersen" in table.output
    first = changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--limit", "1")
    assert "O3" in first.output and "O6" not in first.output and "the first 1 of 8 deals" in first.output
    by = changes(url, "--since", ids[0], "--until", ids[1], "--by", "owner")
    assert "Anna" in by.output and "(R1)" in by.output  # the rep by name (wrapped in 80 columns)
    book = tmp_path / "changes.xlsx"
    made = changes(url, "--since", ids[0], "--until", ids[1], "--format", "xlsx", "--output", str(book))
    assert made.exit_code == 0, made.output
    wb = load_workbook(book)
    walk_sheet, deals_sheet = wb.worksheets
    values = {r[0]: r[3] for r in walk_sheet.iter_rows(min_row=3, values_only=True)}
    assert values["end"] == pytest.approx(2780) and values["won"] == pytest.approx(-2000)
    assert deals_sheet.max_row == 1 + 8


def test_the_demo_company_leaves_weekly_snapshots(tmp_path):
    """`koers demo` imports once, so it records the snapshots of the weekly
    imports it never had: Mondays at 08:00, each the deals open then."""
    from zoneinfo import ZoneInfo

    from koers.demo.snapshots import ID_SUFFIX, WEEKS
    from koers.store import Workspace

    url = str(tmp_path / "demo.duckdb")
    assert runner.invoke(app, ["demo", "--size", "small", "--workspace", url]).exit_code == 0
    with Workspace.open(url).reader() as con:
        taken = con.execute("SELECT import_id, min(taken_at), count(*) FROM koers_snapshots "
                            "GROUP BY import_id ORDER BY 2").fetchall()
    assert len(taken) == WEEKS + 1 and all(i.endswith(ID_SUFFIX) for i, _, _ in taken[:-1])
    ams = ZoneInfo("Europe/Amsterdam")
    for _, moment, count in (taken[0], taken[WEEKS - 1]):
        local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ams)
        assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
        # the deals open then, by the spec's own rule for a state at an instant
        kpi = runner.invoke(app, ["kpi", "open_pipeline_count", "--period", local.strftime("%Y-%m"), "--as-of",
                                  local.isoformat(), "--format", "csv", "--workspace", url])
        assert float(next(csv.DictReader(io.StringIO(kpi.stdout)))["value"]) == count
    got = walk(changes(url, "--since", taken[0][0], "--format", "csv").stdout)
    assert sum(got[x][1] for x in WALK[:-1]) == pytest.approx(got["end"][1])
    # week by week, the imports would have seen every kind of change (a revision lasts a few weeks from a deal's
    # creation, so the few deals open from the first snapshot to the last import may carry none)
    weekly = [walk(changes(url, "--since", a[0], "--until", b[0], "--format", "csv").stdout)
              for a, b in zip(taken, taken[1:])]
    for line in ("new", "won", "lost", "increased", "decreased", "stage_forward", "close_pushed_out"):
        assert sum(week[line][0] for week in weekly) > 0, line

    # made again into the same workspace, the demo adds its import's snapshot and no second of a week's
    assert runner.invoke(app, ["demo", "--size", "small", "--workspace", url]).exit_code == 0
    with Workspace.open(url).reader() as con:
        again = con.execute("SELECT import_id, min(taken_at), count(*) FROM koers_snapshots "
                            "GROUP BY import_id ORDER BY 2").fetchall()
    assert again[:WEEKS] == taken[:WEEKS] and len(again) == WEEKS + 2
    # moved through an export, the workspace keeps its snapshots: the same walks
    moved = str(tmp_path / "moved.duckdb")
    assert runner.invoke(app, ["export", str(tmp_path / "out"), "--workspace", url]).exit_code == 0
    assert runner.invoke(app, ["import", str(tmp_path / "out"), "--workspace", moved]).exit_code == 0
    for since, until in ((taken[0][0], taken[-1][0]), (taken[3][0], taken[4][0])):
        asked = ["--since", since, "--until", until, "--by", "owner", "--format", "csv"]
        assert changes(moved, *asked).stdout == changes(url, *asked).stdout


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """(the web app on a DuckDB workspace of the three imports, its url, their ids)."""
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    url, ids = three_imports(tmp_path_factory.mktemp("changes-web"), "duckdb")
    with TestClient(create_app(url)) as c:
        yield c, url, ids


def test_the_api_gives_the_cli_s_walk_and_deals(client):
    c, url, ids = client
    got = c.get("/api/v1/changes", params={"since": ids[0], "until": ids[1], "by": "owner", "deals": "true"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["since"] == {"import_id": ids[0], "taken_at": "2025-06-01T10:00:00+02:00", "open_deals": 6}
    cli = changes(url, "--since", ids[0], "--until", ids[1], "--by", "owner", "--format", "json")
    assert body["lines"] == json.loads(cli.stdout)
    deals = changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--format", "json")
    assert body["deals"] == json.loads(deals.stdout)
    assert [d["opportunity_id"] for d in body["deals"][:2]] == ["O3", "O6"]  # the biggest change first
    assert c.get("/api/v1/changes", params={"by": "region"}).status_code == 400
    assert c.get("/api/v1/changes", params={"since": "2025-05-31"}).status_code == 400
    assert c.get("/api/v1/changes").json()["deals"] is None


def test_the_page_walks_with_a_waterfall_and_lists_each_line_s_deals(client):
    c, _, ids = client
    page = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1]})
    assert page.status_code == 200, page.text
    html = page.text
    figure = json.loads(re.search(r"data-name=\"pipeline-changes\" data-figure='([^']*)'", html).group(1)
                        .replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
    trace = figure["data"][0]
    assert trace["type"] == "waterfall" and trace["measure"][0] == trace["measure"][-1] == "absolute"
    assert trace["y"][0] == pytest.approx(3850) and trace["y"][-1] == pytest.approx(2780)
    assert sum(trace["y"][:-1]) == pytest.approx(2780)
    assert "Anna Jansen" in html and "Exchange rates" in html
    won = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1], "line": "won",
                                              "export": "csv", "table": "deals"})
    assert [r["Deal"] for r in csv.DictReader(io.StringIO(won.text))] == ["O3"]
    team = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1], "team": "South",
                                               "region": "Noord", "export": "csv", "table": "walk"})
    walked = {r["Line"]: r["Deals"] for r in csv.DictReader(io.StringIO(team.text))}
    assert walked["Open at start"] == "3" and walked["Open at end"] == "2"  # R2's deals alone
    assert "data-changes-link" in c.get("/pipeline", params={"lang": "en"}).text
    assert c.get("/pipeline/changes", params={"since": "nonsense"}).status_code == 400
    june = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1], "closing": "2025-06",
                                               "export": "csv", "table": "walk"})
    walked = {r["Line"]: r["Deals"] for r in csv.DictReader(io.StringIO(june.text))}
    assert walked["Open at start"] == "1" and walked["Open at end"] == "1"  # O1, expected in June by snapshot 1
    assert c.get("/pipeline/changes", params={"closing": "June"}).status_code == 400
    kept = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1], "closing": "2025-06"})
    assert "closing=2025-06" in re.search(r'href="([^"]*line=won[^"]*)"', kept.text).group(1)  # a line keeps it


def test_the_page_of_a_workspace_imported_once_says_what_it_needs(tmp_path):
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    url = str(tmp_path / "once.duckdb")
    runner.invoke(app, ["import", str(write(tmp_path / "v", V1)), "--workspace", url])
    with TestClient(create_app(url)) as c:
        page = c.get("/pipeline/changes", params={"lang": "en"})
    assert page.status_code == 200 and "data-changes-problem" in page.text and "import again later" in page.text


def test_a_deal_without_a_rate_on_its_snapshot_s_day_empties_its_lines_never_sums_1_to_1(tmp_path):
    """A deal dated after the import (created 1 July, imported 1 June) in a
    currency whose first rate is of 15 June: on 1 June it has no value."""
    url = str(tmp_path / "ws.duckdb")
    folder = write(tmp_path / "v", HEAD + "O9,R1,2025-07-01T09:00:00,,open,A,100,USD,\nO1,R1,2025-05-01T09:00:00,,open,A,50,,\n")
    (folder / "exchange_rates.csv").write_text("currency,valid_from,rate\nUSD,2025-06-15,0.8\n", encoding="utf-8")
    ids = [import_at(url, folder, at) for at in (datetime(2025, 6, 1, 8), datetime(2025, 6, 20, 8))]
    result = changes(url, "--since", ids[0], "--until", ids[1], "--by", "owner", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "no exchange rate of USD in force on 2025-06-01" in result.stderr
    got = {r["line"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert got["start"]["count"] == "2" and got["start"]["value"] == ""  # not 50, not 150
    assert got["end"]["value"] == "130" and got["exchange_rates"]["value"] == ""


ODD_REPS = REPS + "R3,Cas de Vries,,2024-01-01\n"
ODD_STAGES = STAGES + "A2,1,20,open\n"
ODD_RATES = RATES + "GBP,2025-06-20,1.2\n"
ODD_V1 = HEAD + """P1,R3,2025-05-01T09:00:00,,open,A,100,,
P2,R1,2025-05-01T09:00:00,,open,A,1000,,
P3,R1,2025-06-25T09:00:00,,open,A,100,GBP,
P4,R2,2025-05-01T09:00:00,,open,A,50,,
P5,R3,2025-06-25T09:00:00,,open,A,0,GBP,
"""
ODD_V2 = HEAD + """P1,R3,2025-05-01T09:00:00,,open,A,100,,
P2,R1,2025-05-01T09:00:00,,open,A,1100,USD,
P3,R1,2025-06-25T09:00:00,,open,A,200,GBP,
P4,R2,2025-05-01T09:00:00,,open,A2,50,,2025-07-01
P5,R3,2025-06-25T09:00:00,,open,A,0,GBP,
"""


def test_a_currency_switch_an_unknown_rate_a_rep_without_team_and_a_change_outside_every_line(tmp_path):
    """P2 goes from 1000 EUR to 1100 USD (at 0.8: 880): its currency changed,
    −120, neither raised nor lowered. P3 (GBP, dated after the imports) has
    no rate on either day: raised, counted, of unknown value. P4 moves to a
    stage of the same sequence and gets a close date: in no line, but among
    the deals that changed. R3 has no team."""
    url = str(tmp_path / "ws.duckdb")
    ids = []
    for i, (opportunities, at) in enumerate(((ODD_V1, TAKEN[0]), (ODD_V2, TAKEN[1]))):
        folder = write(tmp_path / f"v{i}", opportunities)
        (folder / "reps.csv").write_text(ODD_REPS, encoding="utf-8")
        (folder / "stages.csv").write_text(ODD_STAGES, encoding="utf-8")
        (folder / "exchange_rates.csv").write_text(ODD_RATES, encoding="utf-8")
        ids.append(import_at(url, folder, at))
    got = walk(changes(url, "--format", "csv").stdout)
    assert got["currency_changed"] == (1, pytest.approx(-120))
    assert got["increased"][0] == 1 and math.isnan(got["increased"][1])  # P3: its amount rose; by how much is unknown
    assert got["decreased"] == (0, 0)
    assert got["exchange_rates"][0] == 1 and math.isnan(got["exchange_rates"][1])  # P3's rate: unknown, not 0
    assert math.isnan(got["start"][1]) and got["start"][0] == 5
    split = changes(url, "--by", "owner,team", "--format", "csv")
    assert split.exit_code == 0, split.output
    rows = list(csv.DictReader(io.StringIO(split.stdout)))
    assert {(r["owner"], r["team"]) for r in rows} == {("R1", "North"), ("R2", "South"), ("R3", "")}
    teams = json.loads(changes(url, "--by", "team", "--format", "json").stdout)
    assert [r["team"] for r in teams[::len(LINES)]] == ["North", "South", None]  # no team: null, and last
    r3 = walk(changes(url, "--by", "owner", "--format", "csv").stdout, ("owner",))
    assert r3["R3", "start"] == (2, pytest.approx(100))  # P5's nothing is 0 at any rate, known or not
    assert "no exchange rate" not in changes(url, "--where", "owner=R3", "--format", "csv").stderr
    r2 = changes(url, "--where", "owner=R2", "--format", "csv")
    assert "no exchange rate" not in r2.stderr  # P3's missing rate does not concern R2's deals
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    with TestClient(create_app(url)) as c:
        page = c.get("/pipeline/changes", params={"lang": "en"}).text
    assert 'data-name="pipeline-changes"' not in page  # no waterfall of an unknown start: plotly would draw it at 0
    assert "Currency changed" in page
    deals = {d["opportunity_id"]: d for d in json.loads(changes(url, "--deals", "--format", "json").stdout)}
    assert sorted(deals) == ["P2", "P3", "P4"]  # P1 did not change
    assert deals["P4"]["line"] is None and deals["P4"]["changed"] == "stage,expected_close_on"
    assert deals["P2"]["line"] == "currency_changed" and deals["P2"]["changed"] == "amount,currency"
    table = changes(url, "--deals", "--lang", "nl")
    assert "Valuta" in table.output and "Fase" in table.output  # P2 and P4, in words (wrapped in 80 columns)
    assert "€\xa0-120,00" in changes(url, "--lang", "nl").output


def test_rate_parts_are_named_and_signs_sit_where_the_locale_puts_them(ws):
    url, ids = ws
    deals = {d["opportunity_id"]: d for d in json.loads(
        changes(url, "--since", ids[0], "--until", ids[1], "--deals", "--format", "json").stdout)}
    assert deals["O2"]["rate_moved"] is True and deals["O2"]["rate_change"] == pytest.approx(-50)
    assert deals["O2"]["amount_change"] == pytest.approx(80) and deals["O1"]["rate_moved"] is False
    nl = changes(url, "--since", ids[0], "--until", ids[1], "--lang", "nl").output
    assert "€\xa0+400,00" in nl and "€\xa0-2.000,00" in nl  # Babel: a non-breaking space after €
    assert what_changed(deals["O2"], "en", column_label) == "Amounts raised, Exchange rates"  # as the table and the page say
    assert what_changed(deals["O5"], "nl", column_label) == "Terug naar een eerdere fase"


def test_the_page_s_exports_compare_the_pair_it_shows(client):
    c, _, ids = client
    page = c.get("/pipeline/changes", params={"lang": "en"}).text  # the default: the last two snapshots
    export = re.search(r'href="([^"]*export=csv[^"]*table=walk[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"since={ids[1]}" in export and f"until={ids[2]}" in export


def test_the_page_of_a_walk_without_deals_is_an_empty_walk(client):
    c, _, ids = client
    page = c.get("/pipeline/changes", params={"lang": "en", "since": ids[0], "until": ids[1], "team": "Nope"})
    assert page.status_code == 200, page.text
    assert "data-changes-problem" not in page.text


def test_closing_follows_the_deals_expected_to_close_in_a_period(ws):
    """Snapshot 1 expected O1 alone to close in June 2025 (on the 30th): it
    is still open in snapshot 2, raised to 1200 and pushed out to July."""
    url, ids = ws
    june = walk(changes(url, "--since", ids[0], "--until", ids[1], "--closing", "2025-06", "--format", "csv").stdout)
    assert june["start"] == (1, pytest.approx(1000)) and june["end"] == (1, pytest.approx(1200))
    assert june["increased"] == (1, pytest.approx(200)) and june["close_pushed_out"] == (1, pytest.approx(1200))
    assert june["won"] == (0, 0) and june["new"] == (0, 0)  # O7, new in June, was not expected by snapshot 1
    quarter = walk(changes(url, "--since", ids[0], "--until", ids[1], "--closing", "2025-Q2", "--format", "csv").stdout)
    assert quarter == june
    july = walk(changes(url, "--since", ids[0], "--until", ids[1], "--closing", "2025-07", "--format", "csv").stdout)
    assert july["start"] == (0, 0) and july["end"] == (0, 0)  # O1's July close is the later snapshot's
    bad = changes(url, "--closing", "June")
    assert bad.exit_code == 2 and "closing:" in bad.output
