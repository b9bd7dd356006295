"""The web app through FastAPI's test client, on the small demo company:
every route answers, the API gives the CLI's numbers, pages show the
catalogue's figures in the asked language, tables export, settings stick."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from koers import output
from koers.cli import app as cli
from koers.demo import build_demo, write_folder
from koers.importers.canonical import import_folder
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.periods import last_complete_month, parse_instant
from koers.store import Workspace
from koers.web.app import create_app
from koers.web.pages.dashboards import ACTIVITY_CARDS, PERFORMANCE_CARDS, PIPELINE_CARDS
from koers.web.params import FILTER_DIMS
from koers.web.roles import PRESETS

# The demo company's year ends at UNTIL, so the same figures come out whatever day the tests run.
UNTIL = date(2026, 2, 1)
AS_OF = "2026-01-15T12:00:00+01:00"
PAGES = ["/", "/pipeline", "/activities", "/performance", "/stages", "/leaderboard", "/alerts", "/review", "/kpis",
         "/data", "/settings"]


def build_small_demo(folder: Path) -> str:
    """The small demo company (through the ordinary import), its year ending at UNTIL."""
    write_folder(build_demo("small", 42, UNTIL), folder / "csv")
    path = str(folder / "demo.duckdb")
    assert import_folder(Workspace.open(path), folder / "csv").rejected == 0
    return path


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory) -> str:
    return build_small_demo(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(demo_path):
    with TestClient(create_app(demo_path)) as c:
        yield c


@pytest.fixture
def own_client(demo_path, tmp_path):
    """An app on a copy of the demo, for tests that change settings."""
    path = str(tmp_path / "own.duckdb")
    shutil.copy(demo_path, path)
    with TestClient(create_app(path)) as c:
        yield c


def api_rows(client, **params) -> list[dict]:
    r = client.get("/api/v1/values", params=params)
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def last_month(demo_path) -> str:
    settings = Workspace.open(demo_path).settings()
    return last_complete_month(parse_instant(AS_OF, settings.tz), settings.tz).label


# -- every route ---------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_page_answers_in_its_language_without_outside_assets(client, path, lang):
    r = client.get(path, params={"lang": lang})
    assert r.status_code == 200, r.text
    html = r.text
    assert f'<html lang="{lang}">' in html
    assert ("Overzicht" if lang == "nl" else "Overview") in html
    assert 'src="/assets/plotly.min.js"' in html
    # offline: nothing is loaded from another host
    assert not re.search(r'(src|href)="(https?:)?//', html)
    other = "en" if lang == "nl" else "nl"
    assert f'data-lang="{other}"' in html and f"lang={other}" in html


@pytest.mark.parametrize("kpi", [k.id for k in CATALOG])
def test_every_kpi_has_a_page(client, kpi):
    r = client.get(f"/kpi/{kpi}", params={"lang": "en", "as_of": AS_OF})
    assert r.status_code == 200, r.text
    k = CATALOG_BY_ID[kpi]
    assert k.name("en") in r.text and "data-table=\"trend\"" in r.text
    assert ("data-insight-note" in r.text) == (k.type.value == "insight")


def test_role_presets_and_unknown_role(client):
    for role, ids in PRESETS.items():
        r = client.get("/", params={"role": role, "as_of": AS_OF})
        assert r.status_code == 200
        assert re.findall(r'data-card="([a-z_]+)"', r.text) == list(ids)
    assert client.get("/", params={"role": "ceo"}).status_code == 400


@pytest.mark.parametrize("path, kpis", [("/pipeline", PIPELINE_CARDS), ("/activities", ACTIVITY_CARDS),
                                        ("/performance", PERFORMANCE_CARDS)])
def test_dashboards_show_their_cards(client, path, kpis):
    r = client.get(path, params={"as_of": AS_OF})
    assert re.findall(r'data-card="([a-z_]+)"', r.text) == list(kpis)
    assert "data-card-error" not in r.text


def test_api_and_docs_are_described_and_work_offline(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/kpis", "/api/v1/kpis/{kpi_id}", "/api/v1/values", "/api/v1/drill",
            "/api/v1/dimensions"} <= set(spec["paths"])
    assert not any(p.startswith("/kpi/") or p == "/" for p in spec["paths"])  # pages stay out of the API docs
    assert "400" in spec["paths"]["/api/v1/values"]["get"]["responses"]
    html = client.get("/docs").text
    assert "/assets/docs/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert '"validatorUrl": null' in html  # no badge from the online validator
    assert client.get("/assets/docs/swagger-ui-bundle.js").status_code == 200


def test_plotly_is_served_from_the_installed_package(client):
    served = client.get("/assets/plotly.min.js")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript")
    assert served.content == resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


# -- the API gives the CLI's numbers ------------------------------------------------

CLI_QUESTIONS = [
    (["won_value", "win_rate"], ["--period", "2025-Q4", "--grain", "month"], {"period": "2025-Q4", "grain": "month"}),
    (["win_rate"], ["--period", "2025-12", "--by", "owner,stage"], {"period": "2025-12", "by": "owner,stage"}),
    (["target_attainment"], ["--period", "2025-12", "--by", "owner"], {"period": "2025-12", "by": "owner"}),
    (["revenue", "churn_rate"], ["--period", "2025", "--where", "segment=SMB"], {"period": "2025", "where": "segment=SMB"}),
    (["lead_response_time"], ["--period", "2025-11..2025-12", "--by", "team", "--where", "source=website"],
     {"period": "2025-11..2025-12", "by": "team", "where": "source=website"}),
    (["cac", "clv_cac_ratio"], ["--period", "2025-Q4", "--by", "source"], {"period": "2025-Q4", "by": "source"}),
    (["won_value", "win_rate"], ["--period", "2025-Q4", "--grain", "month", "--by", "owner", "--compare", "previous"],
     {"period": "2025-Q4", "grain": "month", "by": "owner", "compare": "previous"}),
    (["revenue", "nps"], ["--period", "2025-Q4", "--compare", "year"], {"period": "2025-Q4", "compare": "year"}),
    (["won_value", "qualified_leads"], ["--period", "2025-Q4", "--by", "owner", "--compare", "target"],
     {"period": "2025-Q4", "by": "owner", "compare": "target"}),
    # January runs at AS_OF: its flows are paced
    (["won_value", "leads", "win_rate"], ["--period", "2025-12..2026-01", "--by", "owner", "--compare", "target"],
     {"period": "2025-12..2026-01", "by": "owner", "compare": "target"}),
]


@pytest.mark.parametrize("kpis, cli_args, params", CLI_QUESTIONS)
def test_api_values_equal_the_cli(client, demo_path, kpis, cli_args, params):
    result = CliRunner().invoke(cli, ["kpi", *kpis, *cli_args, "--format", "json", "--as-of", AS_OF,
                                      "--workspace", demo_path])
    assert result.exit_code == 0, result.output
    want = json.loads(result.stdout)
    assert want, "a question with no rows tests nothing"
    got = api_rows(client, kpi=kpis, as_of=AS_OF, **params)
    # The server may cut a period's answer out of one over more periods
    # (cache.py): a sum of amounts then comes out of another order of
    # adding, equal up to its last bit.
    assert got == [{k: pytest.approx(v, rel=1e-12, abs=0) if isinstance(v, float) else v for k, v in row.items()}
                   for row in want]


def test_api_catalogue(client):
    listed = client.get("/api/v1/kpis", params={"lang": "nl"}).json()
    assert [k["id"] for k in listed] == [k.id for k in CATALOG]
    one = client.get("/api/v1/kpis/win_rate").json()
    assert one["name"] == "Win rate" and one["type"] == "insight" and "owner" in one["dimensions"]
    assert next(k for k in listed if k["id"] == "win_rate")["name"] == "Winpercentage"
    assert client.get("/api/v1/kpis/sales_velocity").json()["parts"] == list(CATALOG_BY_ID["sales_velocity"].parts)
    assert client.get("/api/v1/kpis/cac").json()["record_tables"] == ["costs"]
    assert one["record_tables"] == []


@pytest.mark.parametrize("params, message", [
    ({"kpi": "win_rat"}, "unknown KPI win_rat"),
    ({"kpi": "win_rate", "by": "type"}, "not a dimension of win_rate"),
    ({"kpi": "win_rate", "period": "2025-13"}, "not a valid month"),
    ({"kpi": "win_rate", "grain": "decade"}, "unknown grain"),
    ({"kpi": "win_rate", "where": "owner"}, "DIM=VALUE"),
    ({"kpi": ","}, "at least one KPI"),
    ({"kpi": "leads", "period": "2020..2025", "grain": "day"}, "at most 1000"),
    ({"kpi": "leads", "compare": "budget"}, "compare is one of previous, year, target, not 'budget'"),
    ({"kpi": "leads", "compare": "target", "by": "source"}, "compare with them split or filtered by owner or team only"),
])
def test_api_questions_that_cannot_be_asked_are_400_with_the_reason(client, params, message):
    r = client.get("/api/v1/values", params=params)
    assert r.status_code == 400 and message in r.json()["detail"]


def test_drill_records_add_up_to_the_figure(client, demo_path):
    period = last_month(demo_path)
    value = api_rows(client, kpi="won_value", period=period, by="owner", as_of=AS_OF)
    rep = max(value, key=lambda r: r["value"] or 0)
    drill = client.get("/api/v1/drill", params={"kpi": "won_value", "period": period, "match": f"owner={rep['owner']}",
                                                "as_of": AS_OF, "limit": 1000}).json()
    assert drill["table"] == "opportunities" and drill["total"] == len(drill["rows"]) > 0
    assert sum(r["value"] for r in drill["rows"]) == pytest.approx(rep["value"])
    ratio = api_rows(client, kpi="win_rate", period=period, as_of=AS_OF)[0]
    records = client.get("/api/v1/drill", params={"kpi": "win_rate", "period": period, "as_of": AS_OF,
                                                  "limit": 10000}).json()["rows"]
    assert sum(r["numerator"] for r in records) == ratio["numerator"]
    assert sum(r["denominator"] for r in records) == ratio["denominator"]
    page = client.get("/api/v1/drill", params={"kpi": "win_rate", "period": period, "as_of": AS_OF, "limit": 5,
                                               "offset": 5}).json()
    assert page["rows"] == records[5:10]
    composite = client.get("/api/v1/drill", params={"kpi": "clv_cac_ratio", "period": period}).json()
    assert composite["rows"] == [] and composite["components"] == ["clv", "cac"]


def test_the_api_warns_of_a_filter_value_no_record_holds_as_the_cli_does(client, demo_path):
    period = last_month(demo_path)
    asked = client.get("/api/v1/values", params={"kpi": "won_value", "period": period, "as_of": AS_OF,
                                                 "where": ["team=inside sales", "region=Randstad"]}).json()
    assert asked["rows"][0]["value"] == 0  # the figure stands: a filter may match nothing
    assert asked["warnings"] == ["where team=inside sales: no record in the workspace has team 'inside sales', so "
                                 "the figures cover no record; did you mean 'Inside Sales'?"]
    held = client.get("/api/v1/values", params={"kpi": "won_value", "period": period, "as_of": AS_OF,
                                                "where": "team=Inside Sales"}).json()
    assert held["warnings"] == [] and held["rows"][0]["value"] > 0
    drill = client.get("/api/v1/drill", params={"kpi": "won_value", "period": period, "as_of": AS_OF,
                                                "match": "owner=R99", "where": "region=Randstadt"}).json()
    assert drill["total"] == 0
    assert [w.split(":")[0] for w in drill["warnings"]] == ["where region=Randstadt", "match owner=R99"]
    assert "did you mean 'Randstad'?" in drill["warnings"][0]


@pytest.mark.parametrize("lang, warning", [
    ("en", "Region &#39;Randstadt&#39;: no record holds this value, so the figures count no record; did you mean "
           "&#39;Randstad&#39;?"),
    ("nl", "Regio &#39;Randstadt&#39;: geen record heeft deze waarde, dus de cijfers tellen geen enkel record; "
           "bedoelde u &#39;Randstad&#39;?"),
])
def test_a_page_filtered_on_a_value_no_record_holds_says_so_and_its_filter_shows_the_value(client, lang, warning):
    typo = client.get("/", params={"region": "Randstadt", "lang": lang, "as_of": AS_OF}).text
    assert f"<li>{warning}</li>" in typo
    # the select shows what the figures are filtered on (not "all"), and applying the form keeps it
    assert '<option value="Randstadt" selected>Randstadt</option>' in typo
    held = client.get("/", params={"region": "Randstad", "lang": lang, "as_of": AS_OF}).text
    assert "Randstadt" not in held and '<option value="Randstad" selected>Randstad</option>' in held


def test_the_api_gives_instants_in_local_time_with_their_offset(client, demo_path):
    """The as-of moment answered asks the same question given back (an offset
    typed unencoded into an address arrives as a space), and a drilled
    record's instants read as the drill page shows them, with the offset."""
    period = last_month(demo_path)
    asked = client.get("/api/v1/values", params={"kpi": "leads", "period": period, "as_of": "2025-07-01T12:00"}).json()
    assert asked["as_of"] == "2025-07-01T12:00:00+02:00"
    again = client.get(f"/api/v1/values?kpi=leads&period={period}&as_of={asked['as_of']}").json()  # + unencoded
    assert (again["as_of"], again["rows"]) == (asked["as_of"], asked["rows"])
    rows = client.get("/api/v1/drill", params={"kpi": "leads", "period": period, "as_of": AS_OF, "limit": 50}).json()["rows"]
    tz = ZoneInfo(Workspace.open(demo_path).settings().time_zone)
    created = [datetime.fromisoformat(r["created_at"]) for r in rows]
    assert created and all(c.utcoffset() == c.astimezone(tz).utcoffset() for c in created)
    start = datetime.fromisoformat(period + "-01").replace(tzinfo=tz)
    assert all(c >= start for c in created)  # each in the period, as its local time says


# -- pages show the catalogue's figures -----------------------------------------------

def test_kpi_page_shows_the_api_values_in_dutch(client, demo_path):
    period = last_month(demo_path)
    r = client.get("/kpi/won_value", params={"period": period, "split": "owner", "as_of": AS_OF})
    value = api_rows(client, kpi="won_value", period=period, as_of=AS_OF)[0]["value"]
    text = output.format_value("won_value", value, "nl")
    assert text.startswith("€") and "," in text
    assert text in r.text
    assert 'data-table="split"' in r.text and "Sanne Visser" in r.text  # reps by name, not id
    drill = re.search(r'href="(/kpi/won_value/drill\?[^"]*m_owner=R002[^"]*)"', r.text).group(1)
    followed = client.get(drill.replace("&amp;", "&"))
    assert followed.status_code == 200 and "Sanne Visser" in followed.text


def test_a_kpi_page_sets_its_figures_beside_their_targets(client, demo_path):
    period = last_month(demo_path)
    asked = {"period": period, "lang": "en", "as_of": AS_OF, "export": "csv"}
    split = list(csv.DictReader(io.StringIO(client.get("/kpi/won_value", params={
        **asked, "split": "owner", "table": "split"}).text)))
    targets = {(round(r["numerator"], 2), round(r["denominator"], 2), round(r["value"], 9))
               for r in api_rows(client, kpi="target_attainment", period=period, by="owner", as_of=AS_OF)
               if r["target_kpi"] == "won_value"}
    assert {"Target", "Attainment"} <= set(split[0])
    # each rep's value, target and attainment as target_attainment gives them (the export names reps, not ids)
    shown = {(round(float(r["Value"]), 2), round(float(r["Target"]), 2), round(float(r["Attainment"]), 9))
             for r in split if r["Target"]}
    assert shown and shown == targets  # every rep with a target, also one without a won deal (at 0)
    # each target links to the target rows that make it
    page = client.get("/kpi/won_value", params={k: v for k, v in asked.items() if k != "export"} | {"split": "owner"})
    links = re.findall(r'href="(/kpi/target_attainment/drill\?[^"]*m_owner=[^"]*records=targets[^"]*)"', page.text)
    assert len(links) == len(targets)
    rows = client.get(links[0].replace("&amp;", "&") + "&export=csv").text
    assert "Prorated" in rows.splitlines()[0] and len(rows.splitlines()) > 1
    trend = list(csv.DictReader(io.StringIO(client.get("/kpi/won_value", params={**asked, "table": "trend"}).text)))
    company = api_rows(client, kpi="won_value", period=period, compare="target", as_of=AS_OF)[0]
    assert float(trend[-1]["Target"]) == pytest.approx(company["compared_value"])
    # a split targets are not set by has no target column
    regions = client.get("/kpi/won_value", params={**asked, "split": "region", "table": "split"}).text
    assert "Target" not in regions.splitlines()[0]
    assert "on pace for" not in split[0]  # the month is over at AS_OF
    # January runs at AS_OF: each rep's pace, as koers kpi --compare target gives it
    running = list(csv.DictReader(io.StringIO(client.get("/kpi/won_value", params={
        **asked, "period": "2026-01", "split": "owner", "table": "split"}).text)))
    paces = {(round(r["value"], 2), round(r["pace"], 9))
             for r in api_rows(client, kpi="won_value", period="2026-01", by="owner", compare="target", as_of=AS_OF)
             if r["pace"] is not None}
    shown = {(round(float(r["Value"]), 2), round(float(r["on pace for"]), 9)) for r in running if r["on pace for"]}
    # (the page also lists a rep with a target and no won deal: 0, at a pace of 0)
    assert paces and paces <= shown and all(value == 0 == paced for value, paced in shown - paces)


def test_ratio_table_has_numerator_and_denominator(client):
    r = client.get("/kpi/win_rate", params={"export": "csv", "table": "trend", "lang": "en", "as_of": AS_OF,
                                            "period": "2025-07..2025-12"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    # (no "Previous year" column: the demo year has no year before it)
    assert list(rows[0]) == ["Period", "Value", "Numerator", "Denominator"]
    api = api_rows(client, kpi="win_rate", period="2025-07..2025-12", as_of=AS_OF)
    assert [r["Period"] for r in rows] == ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]
    assert [float(r["Value"]) for r in rows] == [a["value"] for a in api]
    assert [float(r["Numerator"]) for r in rows] == [a["numerator"] for a in api]


def test_filter_that_a_kpi_does_not_take_is_named_not_dropped(client):
    page = client.get("/kpi/rep_retention", params={"region": "Randstad", "lang": "en", "as_of": AS_OF}).text
    assert "Filter does not apply to this KPI" in page and "Region" in page
    overview = client.get("/performance", params={"owner": "R002", "lang": "en", "as_of": AS_OF}).text
    cac = overview[overview.index('data-card="cac"'):]
    cac = cac[:cac.index("</article>")]
    assert "Filter does not apply" in cac
    won = overview[overview.index('data-card="won_value"'):]
    assert "Filter does not apply" not in won[:won.index("</article>")]
    # a table says so above itself: pipeline coverage splits by rep and team only
    pipeline = client.get("/pipeline", params={"region": "Randstad", "lang": "en", "as_of": AS_OF}).text
    for table, named in (("coverage", True), ("by_rep", False)):
        block = pipeline[pipeline.index(f'id="table-{table}"'):]
        block = block[:block.index("</section>")]
        assert ("Filter does not apply to this KPI: Region" in block) == named, table


def test_filters_change_the_figures(client, demo_path):
    period = last_month(demo_path)
    whole = api_rows(client, kpi="won_value", period=period, as_of=AS_OF)[0]["value"]
    one = api_rows(client, kpi="won_value", period=period, where="owner=R002", as_of=AS_OF)[0]["value"]
    assert 0 < one < whole
    page = client.get("/", params={"owner": "R002", "period": period, "as_of": AS_OF, "lang": "nl"}).text
    card = page[page.index('data-card="won_value"'):]
    assert output.format_value("won_value", one, "nl") in card[:card.index("</article>")]
    assert '<option value="R002" selected>' in page  # the filter bar shows what is asked ...
    assert f"Filters: {period} · Verkoper: Sanne Visser</summary>" in page  # ... and its folded summary


def test_overview_card_compares_and_paces(client):
    # mid-January: the month runs, so a flow with a target is paced
    r = client.get("/", params={"period": "2026-01", "as_of": AS_OF, "lang": "en"}).text
    card = r[r.index('data-card="won_value"'):]
    card = card[:card.index("</article>")]
    assert "data-pace" in card and "on pace for" in card
    assert re.search(r'data-change="previous">[+−]', card)
    assert "<polyline points=" in card


def test_a_change_is_exported_as_a_number_beside_its_unit(client):
    """The page writes −28,1%; a CSV the fraction and its unit, an XLSX a
    number cell formatted as the unit."""
    params = {"kpi": "won_value", "period": "2025-Q4", "as_of": AS_OF, "lang": "nl"}
    won = list(csv.reader(io.StringIO(client.get("/leaderboard", params={**params, "export": "csv"}).text)))
    at = won[0].index("Verandering")
    assert won[0][at - 1] == "t.o.v. vorige periode" and won[0][at + 1] == "Verandering (eenheid)"
    changed = [r for r in won[1:] if r[at]]
    assert changed and all(r[at + 1] == "%" for r in changed)
    for r in changed:  # the value, the one before, the change
        assert float(r[at]) == pytest.approx((float(r[at - 2]) - float(r[at - 1])) / abs(float(r[at - 1])))
    sheet = load_workbook(io.BytesIO(client.get("/leaderboard", params={**params, "export": "xlsx"}).content)).active
    head = [c.value for c in sheet[1]]
    cells = [row[head.index("Verandering")] for row in sheet.iter_rows(min_row=2) if row[head.index("Verandering")].value]
    assert cells and all(isinstance(c.value, float) and c.number_format == "+0.0%;-0.0%;0.0%" for c in cells)
    cards = list(csv.reader(io.StringIO(client.get("/", params={**params, "export": "csv", "table": "cards"}).text)))
    assert len(set(cards[0])) == len(cards[0])  # every column named apart
    units = {r[0]: r[cards[0].index("Verandering t.o.v. vorige periode (eenheid)")] for r in cards[1:]}
    assert units["Winpercentage"] == "pp" and units["Gerealiseerde verkoop"] == "%"


def test_leaderboard_ranks_by_direction(client):
    r = client.get("/leaderboard", params={"kpi": "lead_response_time", "export": "csv", "period": "2025-Q4",
                                            "as_of": AS_OF, "lang": "en"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    values = [float(r["Lead response time"]) for r in rows if r["Lead response time"]]
    assert len(values) > 2 and values == sorted(values)  # lower is better: fastest first
    won = list(csv.DictReader(io.StringIO(client.get("/leaderboard", params={
        "kpi": "won_value", "export": "csv", "period": "2025-Q4", "as_of": AS_OF, "lang": "en"}).text)))
    assert [int(r["#"]) for r in won] == list(range(1, len(won) + 1))
    values = [float(r["Closed won value"]) for r in won]
    assert values == sorted(values, reverse=True)
    assert "Target" in won[0] and "Attainment" in won[0]  # the demo sets won_value targets per rep
    assert client.get("/leaderboard", params={"kpi": "cac"}).status_code == 400


def test_funnel_steps_are_the_catalogue_figures(client):
    r = client.get("/stages", params={"export": "csv", "table": "funnel", "period": "2025-Q4", "as_of": AS_OF,
                                      "lang": "en"})
    steps = list(csv.DictReader(io.StringIO(r.text)))
    leads = api_rows(client, kpi="leads", period="2025-Q4", as_of=AS_OF)[0]["value"]
    won = api_rows(client, kpi="won_deals", period="2025-Q4", as_of=AS_OF)[0]["value"]
    assert steps[0]["Step"] == "New leads" and float(steps[0]["Value"]) == leads
    assert steps[-1]["Step"] == "Deals won" and float(steps[-1]["Value"]) == won
    assert float(steps[0]["% of first step"]) == 1
    assert float(steps[1]["% of previous step"]) == pytest.approx(float(steps[1]["Value"]) / leads)


# -- exports ---------------------------------------------------------------------------

def test_tables_export_as_csv_and_xlsx(client):
    params = {"as_of": AS_OF, "period": "2025-Q4", "lang": "en", "table": "by_rep"}
    as_csv = list(csv.DictReader(io.StringIO(client.get("/pipeline", params={**params, "export": "csv"}).text)))
    got = client.get("/pipeline", params={**params, "export": "xlsx"})
    assert got.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(got.content)).active
    table = list(sheet.values)
    assert list(table[0]) == list(as_csv[0])
    assert len(table) - 1 == len(as_csv) > 3
    value = table[1][1]
    # the same figure: a workbook keeps a number to about 16 significant digits, CSV to the last bit
    assert isinstance(value, float) and math.isclose(value, float(as_csv[0]["Open pipeline value"]), rel_tol=1e-14)
    assert client.get("/pipeline", params={**params, "export": "pdf"}).status_code == 400
    assert client.get("/pipeline", params={**params, "export": "csv", "table": "nope"}).status_code == 400


def test_drill_page_paginates_and_exports_every_record(client):
    params = {"as_of": AS_OF, "period": "2025-Q4", "lang": "en"}
    first = client.get("/kpi/activities/drill", params=params).text
    total = int(re.search(r'data-total="(\d+)"', first).group(1))
    assert total > 100 and 'rel="next"' in first
    second = client.get("/kpi/activities/drill", params={**params, "page": 2}).text
    assert 'rel="prev"' in second
    ids = lambda html: re.findall(r"<td class=\" \">(A\d+)</td>", html)  # noqa: E731
    assert ids(first) and set(ids(first)).isdisjoint(ids(second))
    exported = list(csv.DictReader(io.StringIO(client.get("/kpi/activities/drill",
                                                          params={**params, "export": "csv"}).text)))
    assert len(exported) == total


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_exported_drill_down_has_no_two_columns_alike(client, lang):
    """A spreadsheet user finds each column by its heading: a rep's name and id, a
    customer dimension beside customer_id, a reps row's own id all once."""
    for kpi in CATALOG:
        if kpi.parts or kpi.id == "target_attainment":
            continue
        r = client.get(f"/kpi/{kpi.id}/drill", params={"export": "csv", "lang": lang, "as_of": AS_OF})
        header = next(csv.reader(io.StringIO(r.text)))
        assert len(header) == len(set(header)), (kpi.id, header)
    reps = next(csv.reader(io.StringIO(client.get("/kpi/rep_retention/drill",
                                                  params={"export": "csv", "lang": lang, "as_of": AS_OF}).text)))
    assert reps[0] == ("Verkoper-id" if lang == "nl" else "Rep id") and "Manager" in reps


def test_composite_kpi_drills_into_its_parts(client):
    r = client.get("/kpi/sales_velocity/drill", params={"as_of": AS_OF, "lang": "en"}).text
    assert re.findall(r'data-component="([a-z_]+)"', r) == list(CATALOG_BY_ID["sales_velocity"].parts)
    assert "data-other-records" not in r  # its parts read every table it does
    cac = client.get("/kpi/cac/drill", params={"as_of": AS_OF, "lang": "en"}).text
    assert re.findall(r'data-component="([a-z_]+)"', cac) == ["new_customers"]
    assert re.findall(r'data-records="([a-z_]+)"', cac) == ["costs"]  # the table only it reads, a click away


def test_the_drill_page_shows_the_other_records_behind_a_figure(client, demo_path):
    period = last_month(demo_path)
    params = {"as_of": AS_OF, "lang": "en", "period": period}
    cac = client.get("/kpi/cac/drill", params=params).text
    (costs_url,) = re.findall(r'href="([^"]+)" data-records="costs"', cac)
    costs = client.get(costs_url.replace("&amp;", "&")).text
    shown = int(re.search(r'data-total="(\d+)"', costs).group(1))
    exported = list(csv.DictReader(io.StringIO(client.get("/kpi/cac/drill", params={
        **params, "records": "costs", "export": "csv"}).text)))
    assert shown == len(exported) > 0 and {"Month", "Category", "Amount"} <= set(exported[0])
    assert "data-own-records" in costs and "data-component" not in costs
    # a target's rows beside target_attainment's actuals, and back
    asked = {**params, "m_target_kpi": "won_value"}
    own = client.get("/kpi/target_attainment/drill", params=asked).text
    assert re.findall(r'data-records="([a-z_]+)"', own) == ["targets"]
    targets = client.get("/kpi/target_attainment/drill", params={**asked, "records": "targets"}).text
    assert 'data-total="1"' in targets and "Prorated" in targets  # the company's yearly target of won value
    forecasts = client.get("/kpi/forecast_accuracy/drill", params={**params, "records": "forecasts", "export": "csv"})
    assert forecasts.text.splitlines()[0].startswith("Rep,Rep id,")  # the rep by name, then the id once
    wrong = client.get("/kpi/won_value/drill", params={**params, "records": "costs"})
    assert wrong.status_code == 400 and "won_value has no other records in" in wrong.text


def test_the_api_gives_the_other_records_behind_a_figure(client, demo_path):
    period = last_month(demo_path)
    asked = {"period": period, "as_of": AS_OF}
    coverage = api_rows(client, kpi="pipeline_coverage", period=period, by="team", as_of=AS_OF)
    assert coverage
    for row in coverage:
        found = client.get("/api/v1/drill", params={**asked, "kpi": "pipeline_coverage", "table": "targets",
                                                    "match": f"team={row['team']}"}).json()
        assert found["table"] == "targets" and found["tables"] == ["targets"]
        assert sum(r["prorated"] for r in found["rows"]) == pytest.approx(row["denominator"] or 0)
    for by in ("owner", "team", None):  # every target of the demo's month: its rows give it
        for row in api_rows(client, kpi="target_attainment", period=period, as_of=AS_OF, **({"by": by} if by else {})):
            match = [f"target_kpi={row['target_kpi']}"] + ([f"{by}={row[by]}"] if by else [])
            rows = client.get("/api/v1/drill", params={**asked, "kpi": "target_attainment", "table": "targets",
                                                       "match": match}).json()["rows"]
            if CATALOG_BY_ID[row["target_kpi"]].additive:
                target = sum(r["prorated"] for r in rows)
            else:
                target = sum(r["value"] * r["days_overlapping"] for r in rows) / sum(r["days_overlapping"] for r in rows)
            assert target == pytest.approx(row["denominator"]), (by, row)
    plain = client.get("/api/v1/drill", params={**asked, "kpi": "forecast_accuracy"}).json()
    assert plain["components"] == ["won_value"] and plain["tables"] == ["forecasts"]
    (fa,) = api_rows(client, kpi="forecast_accuracy", period=period, as_of=AS_OF)
    rows = client.get("/api/v1/drill", params={**asked, "kpi": "forecast_accuracy", "table": "forecasts"}).json()["rows"]
    assert sum(r["won_value"] for r in rows) == pytest.approx(fa["denominator"])


# -- settings ----------------------------------------------------------------------------

def test_focus_kpis_are_picked_on_the_settings_page(own_client):
    chosen = ["won_value", "win_rate", "revenue", "nps"]
    r = own_client.post("/settings", data={"focus": chosen, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    assert "data-saved" in own_client.get(r.headers["location"]).text
    overview = own_client.get("/", params={"as_of": AS_OF}).text
    assert re.findall(r'data-card="([a-z_]+)"', overview) == chosen
    assert "data-too-many" not in overview
    eight = [k.id for k in CATALOG[:8]]
    own_client.post("/settings", data={"focus": eight})
    assert "data-too-many" in own_client.get("/", params={"as_of": AS_OF}).text
    assert "data-too-many" in own_client.get("/settings").text
    own_client.post("/settings", data={"preset": "account_manager"})
    assert re.findall(r'data-card="([a-z_]+)"', own_client.get("/").text) == list(PRESETS["account_manager"])
    assert own_client.post("/settings", data={"focus": ["nope"]}).status_code == 400
    assert own_client.post("/settings", data={}).status_code == 400
    other_site = own_client.post("/settings", data={"focus": chosen}, headers={"origin": "http://example.org"})
    assert other_site.status_code == 403
    assert re.findall(r'data-card="([a-z_]+)"', own_client.get("/").text) == list(PRESETS["account_manager"])
    same_site = own_client.post("/settings", data={"focus": chosen}, headers={"origin": "http://testserver"})
    assert same_site.status_code == 200


def test_workspace_settings_read_in_the_page_language_with_the_command_that_changes_them(client):
    dutch = client.get("/settings", params={"lang": "nl"}).text
    assert "<th>Reactienorm leads</th><td>2 uur</td>" in dutch
    assert "<td>intake 5, demo 4, meeting 3, quote 3, call 2, email 1, linkedin 1, voicemail 1, other 0</td>" in dutch
    assert "<code>koers settings response_sla_hours=2</code>" in dutch
    shown = dutch.split("<main>", 1)[1]  # (the head holds the printed sheets' CSS, braces and all)
    assert "2.0" not in shown and "{" not in shown
    english = client.get("/settings", params={"lang": "en"}).text
    assert "<th>Stale after</th><td>30 days</td>" in english
    assert "<code>koers settings outreach_types=call,email,meeting,demo,linkedin</code>" in english


def test_unknown_pages_and_bad_filters_are_explained(client):
    missing = client.get("/kpi/nope")
    assert missing.status_code == 404 and "unknown KPI" in missing.text
    bad = client.get("/kpi/win_rate", params={"split": "type"})
    assert bad.status_code == 400 and "valid dimensions" in bad.text
    assert client.get("/", params={"period": "last year"}).status_code == 400
    assert client.get("/", params={"lang": "de"}).status_code == 400
    too_early = client.get("/", params={"as_of": "1000-01-05"})
    assert too_early.status_code == 400 and "last complete month before the as-of moment, 0999-12" in too_early.text


def test_odd_requests_are_refused_with_the_reason_not_a_server_error(client, own_client):
    """What a crafted link or an API client may send: a NUL character, a
    filter given twice with two values (not "either"), a page far past the
    last record, a composite KPI's records, a form that is not UTF-8."""
    for url, reason in [
        ("/?owner=%00", "NUL character"),
        ("/kpi/won_value/drill?period=2025&m_owner=%00", "NUL character"),
        ("/api/v1/values?kpi=won_value&period=2025&where=owner=%00", "where owner: a NUL character"),
        ("/kpi/won_value?owner=R002&owner=R003", "owner is given twice (&#39;R002&#39; and &#39;R003&#39;)"),
        ("/kpi/won_value/drill?period=2025&m_owner=R002&m_owner=R003", "m_owner is given twice"),
        ("/api/v1/values?kpi=won_value&period=2025&where=owner=R002&where=owner=R003", "where owner is given twice"),
        ("/kpi/sales_velocity/drill?period=2025&export=csv&lang=en", "has no records of its own: export the records of"),
    ]:
        r = client.get(url)
        assert r.status_code == 400 and reason in r.text, (url, r.status_code, r.text[:300])
    assert client.get("/kpi/won_value?owner=R002&owner=R002").status_code == 200  # the same value twice
    far = client.get("/api/v1/drill", params={"kpi": "won_value", "period": "2025", "offset": 2**63 - 1})
    assert far.status_code == 200 and far.json()["rows"] == [] and far.json()["total"] > 0
    assert client.get("/kpi/won_value/drill", params={"period": "2025", "page": 10**20}).status_code == 200
    # a filter value is trimmed on the pages as in the API
    spaced = client.get("/api/v1/values", params={"kpi": "won_value", "period": "2025", "where": "owner= R002 "})
    plain = client.get("/api/v1/values", params={"kpi": "won_value", "period": "2025", "where": "owner=R002"})
    assert spaced.json()["rows"] == plain.json()["rows"]
    page = client.get("/kpi/won_value", params={"period": "2025", "owner": " R002 ", "lang": "en"})
    assert page.text.count("R002") == client.get("/kpi/won_value", params={
        "period": "2025", "owner": "R002", "lang": "en"}).text.count("R002")
    form = own_client.post("/settings", content=b"focus=\xff\xfe",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and "not UTF-8" in form.text
    focus = own_client.post("/settings", data={"focus": ["target_attainment"]}, follow_redirects=False)
    assert focus.status_code == 400 and "leaderboard" in focus.text


def test_every_page_endpoint_and_filter_is_documented(client):
    """docs/web.md names every page, API endpoint and URL parameter: a new one
    without a line there fails here."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "web.md").read_text()
    for path in client.get("/openapi.json").json()["paths"]:
        assert f"`GET {path}`" in doc, path
    for path in PAGES + ["/kpi/{id}", "/kpi/{id}/drill", "/docs"]:
        assert f"`{path}`" in doc, path
    for param in (*FILTER_DIMS, "period", "grain", "lang", "as_of"):
        assert f"`{param}`" in doc, param
    page_routes = {p for p in page_paths(client.app.routes)
                   if not p.startswith(("/assets", "/static", "/docs", "/favicon", "/openapi"))}
    others = {"/kpi/{kpi_id}", "/kpi/{kpi_id}/drill", "/data/rejects", "/pipeline/changes"}
    assert set(PAGES) <= page_routes <= set(PAGES) | others, page_routes
    assert "`/data/rejects`" in doc and "`/pipeline/changes`" in doc


def page_paths(routes) -> set[str]:
    """The paths of the routes left out of the API schema (the HTML pages),
    looking inside included routers (FastAPI keeps their routes there)."""
    found = set()
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            found |= page_paths(inner.routes)
        elif getattr(r, "include_in_schema", True) is False and hasattr(r, "path"):
            found.add(r.path)
    return found


def test_drill_down_shows_instants_in_the_workspace_zone_and_dates_as_dates(client):
    params = {"kpi": "won_value", "period": "2025-07", "as_of": AS_OF}
    api = client.get("/api/v1/drill", params={**params, "limit": 1}).json()["rows"][0]
    page = list(csv.DictReader(io.StringIO(client.get("/kpi/won_value/drill", params={
        "period": "2025-07", "as_of": AS_OF, "lang": "en", "export": "csv"}).text)))[0]
    assert page["Deal"] == api["opportunity_id"] and float(page["Value"]) == api["value"]
    closed = datetime.fromisoformat(api["closed_at"])  # the API's: local time with its offset
    assert closed.utcoffset() == closed.astimezone(ZoneInfo("Europe/Amsterdam")).utcoffset()
    assert page["Closed"] == closed.replace(tzinfo=None).isoformat()
    assert api["expected_close_on"]  # a date, as the page shows it (the engine gives back a midnight)
    assert page["Expected close"] == api["expected_close_on"] == api["expected_close_on"][:10]
    names = {d["value"]: d["label"] for d in client.get("/api/v1/dimensions").json()["owner"]}
    assert page["Rep"] == names[api["owner"]] != api["owner"]  # the rep by name


def test_period_steps_and_the_activity_table_per_type(client):
    page = client.get("/kpi/win_rate", params={"period": "2025-10", "lang": "en", "as_of": AS_OF}).text
    assert re.search(r'href="/kpi/win_rate\?period=2025-09&amp;lang=en[^"]*" data-step="previous"', page)
    assert re.search(r'href="/kpi/win_rate\?period=2025-11&amp;lang=en[^"]*" data-step="next"', page)
    span = client.get("/kpi/win_rate", params={"period": "2025-Q3", "grain": "month", "as_of": AS_OF}).text
    assert "data-step" not in span  # a span of periods is changed in the period field
    rows = list(csv.DictReader(io.StringIO(client.get("/activities", params={
        "export": "csv", "table": "per_type", "period": "2025-10", "lang": "en", "as_of": AS_OF}).text)))
    api = api_rows(client, kpi="activities_per_rep_week", period="2025-10", by="owner,type", as_of=AS_OF)
    sanne = next(r for r in rows if r["Rep"] == "Sanne Visser")
    want = {a["type"]: a["value"] for a in api if a["owner"] == "R002"}
    assert {t: float(v) for t, v in sanne.items() if t != "Rep" and v} == want


def test_overview_cards_export_as_numbers(client, demo_path):
    period = last_month(demo_path)
    rows = list(csv.DictReader(io.StringIO(client.get("/", params={
        "export": "csv", "table": "cards", "period": period, "as_of": AS_OF, "lang": "en"}).text)))
    assert [r["KPI"] for r in rows] == [CATALOG_BY_ID[k].name("en") for k in Workspace.open(demo_path).settings()
                                        .focus_kpis]
    won = next(r for r in rows if r["KPI"] == "Closed won value")
    api = api_rows(client, kpi="won_value", period=period, as_of=AS_OF)[0]
    assert float(won["Value"]) == pytest.approx(api["value"], rel=1e-12)  # summed over other periods: float order
    target = next(r for r in api_rows(client, kpi="target_attainment", period=period, as_of=AS_OF)
                  if r["target_kpi"] == "won_value")
    assert float(won["Target"]) == pytest.approx(target["denominator"], rel=1e-12)
    assert float(won["Attainment"]) == pytest.approx(target["value"], rel=1e-12)
    # in the workbook each card's figures carry its own KPI's unit: money as money, a ratio as a percentage
    book = load_workbook(io.BytesIO(client.get("/", params={
        "export": "xlsx", "table": "cards", "period": period, "as_of": AS_OF, "lang": "en"}).content))
    sheet = book.worksheets[0]
    heads = [c.value for c in sheet[1]]
    formats = {r[0].value: {h: c.number_format for h, c in zip(heads, r)} for r in sheet.iter_rows(min_row=2)}
    assert '"EUR"' in formats["Closed won value"]["Value"] and '"EUR"' in formats["Closed won value"]["Target"]
    assert formats["Win rate"]["Value"] == "0.0%" and formats["Win rate"]["vs previous period"] == "0.0%"


def test_leaderboard_lists_every_rep_with_a_target_and_paces_a_running_period(client):
    params = {"period": "2026-01", "as_of": AS_OF, "lang": "en"}
    rows = list(csv.DictReader(io.StringIO(client.get("/leaderboard", params={
        **params, "kpi": "won_value", "export": "csv"}).text)))
    targets = [r for r in api_rows(client, kpi="target_attainment", period="2026-01", by="owner", as_of=AS_OF)
               if r["target_kpi"] == "won_value"]
    assert targets
    listed = {r["Rep"]: r for r in rows}
    reps = client.get("/api/v1/dimensions").json()["owner"]
    names = {d["value"]: d["label"] for d in reps}
    for t in targets:
        r = listed[names[t["owner"]]]
        assert float(r["Target"]) == t["denominator"] and float(r["Closed won value"]) == t["numerator"]
        # 14.5 of January's 31 days had passed at AS_OF (noon, 15 January)
        assert float(r["on pace for"]) == pytest.approx(t["value"] / (14.5 / 31))


def test_stage_analysis_sets_each_rep_beside_the_team(client):
    params = {"period": "2025-Q4", "as_of": AS_OF, "lang": "en", "export": "csv"}
    for table, kpi in (("rep_vs_team", "stage_conversion_rate"), ("rep_vs_team_duration", "stage_duration")):
        rows = list(csv.DictReader(io.StringIO(client.get("/stages", params={**params, "table": table}).text)))
        team = {a["stage"]: a["value"] for a in api_rows(client, kpi=kpi, period="2025-Q4", by="stage", as_of=AS_OF)}
        assert rows[0]["Rep"] == "Team (all reps)"
        assert {s: float(v) for s, v in rows[0].items() if s != "Rep" and v} == pytest.approx({
            s: v for s, v in team.items() if s in rows[0]}, rel=1e-12)  # float sums in another order
        joris = next(r for r in rows if r["Rep"] == "Joris Peeters")
        api = {a["stage"]: a["value"] for a in api_rows(client, kpi=kpi, period="2025-Q4", by="owner,stage",
                                                        where="owner=R004", as_of=AS_OF)}
        assert {s: float(v) for s, v in joris.items() if s != "Rep" and v} == pytest.approx(
            {s: v for s, v in api.items() if s in joris}, rel=1e-12)
    # Joris Peeters loses deals after the quote (the demo's profile): his Offerte cell is red
    page = client.get("/stages", params={"period": "2025-Q4", "as_of": AS_OF}).text
    table = page[page.index('data-table="rep_vs_team"'):]
    row = table[table.index("Joris Peeters"):]
    row = row[:row.index("</tr>")]
    stages = [r for r in rows[0] if r != "Rep"]
    assert re.findall(r'<td class="num ([a-z]*) *">', row)[stages.index("Offerte")] == "bad"


def test_an_empty_workspace_serves_every_page_and_names_what_is_missing(tmp_path):
    with TestClient(create_app(str(tmp_path / "empty.duckdb"))) as empty:
        for path in PAGES + ["/kpi/target_attainment?split=owner", "/kpi/won_value/drill"]:
            r = empty.get(path, params={"lang": "en"})
            assert r.status_code == 200, (path, r.text[-500:])
        page = empty.get("/pipeline", params={"lang": "en"}).text
        assert "needs the table opportunities" in page
        assert empty.get("/api/v1/values", params={"kpi": "nps"}).json()["warnings"]


def test_overview_splits_the_focus_kpis_by_team(own_client):
    own_client.post("/settings", data={"focus": ["won_value", "cac", "win_rate"]})
    params = {"period": "2025-Q4", "as_of": AS_OF, "lang": "en"}
    page = own_client.get("/", params=params).text
    assert "Does not split by team: Customer acquisition cost" in page
    rows = list(csv.DictReader(io.StringIO(own_client.get("/", params={**params, "export": "csv",
                                                                         "table": "by_team"}).text)))
    assert list(rows[0]) == ["Team", "Closed won value", "Win rate"]
    api = {r["team"]: r["value"] for r in api_rows(own_client, kpi="win_rate", period="2025-Q4", by="team",
                                                    as_of=AS_OF)}
    assert {r["Team"]: float(r["Win rate"]) for r in rows} == api


def test_a_drill_export_too_large_is_refused_not_cut(client, monkeypatch):
    from koers.web.pages import kpi as kpi_page

    monkeypatch.setattr(kpi_page, "EXPORT_MAX", 10)
    r = client.get("/kpi/activities/drill", params={"as_of": AS_OF, "period": "2025-Q4", "export": "csv"})
    assert r.status_code == 400 and "at most 10" in r.text


def test_pipeline_by_expected_close_month_adds_up_and_drills(client, demo_path):
    params = {"as_of": AS_OF, "period": "2025-Q4", "lang": "en", "table": "by_close_month", "export": "csv"}
    rows = list(csv.DictReader(io.StringIO(client.get("/pipeline", params=params).text)))
    months = [r["Expected close month"] for r in rows]
    dated = [m for m in months if m != "–"]
    assert dated == sorted(dated) and len(dated) > 3 and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in dated)
    assert months[-1] == "–" or "–" not in months  # deals without a date come last
    total = api_rows(client, kpi="open_pipeline_value", period="2025-Q4", as_of=AS_OF)[0]["value"]
    assert sum(float(r["Open pipeline value"]) for r in rows) == pytest.approx(total)
    month = dated[0]
    split = api_rows(client, kpi="open_pipeline_count", period="2025-Q4", by="close_month", as_of=AS_OF)
    count = next(r["value"] for r in split if r["close_month"] == month)
    drill = client.get("/api/v1/drill", params={"kpi": "open_pipeline_count", "period": "2025-Q4", "as_of": AS_OF,
                                                "match": f"close_month={month}", "limit": 1000}).json()
    assert drill["total"] == count
    assert all(str(r["expected_close_on"]).startswith(month) for r in drill["rows"])


def test_performance_shows_the_top_customers_by_revenue_named_with_the_whole_list_a_click_away(client, demo_path):
    r = client.get("/performance", params={"as_of": AS_OF, "period": "2025", "lang": "en"})
    assert "Performance · Customer (top 15 / " in r.text
    with Workspace.open(demo_path).reader() as con:
        names = dict(con.execute("SELECT customer_id, name FROM customers").fetchall())
    rows = list(csv.DictReader(io.StringIO(client.get("/performance", params={
        "as_of": AS_OF, "period": "2025", "lang": "en", "table": "by_customer", "export": "csv"}).text)))
    assert len(rows) == 15 and set(r["Customer"] for r in rows) <= set(names.values())
    revenue = [float(r["Revenue"]) for r in rows]
    assert revenue == sorted(revenue, reverse=True)
    every = api_rows(client, kpi="revenue", period="2025", by="customer", as_of=AS_OF)
    assert revenue[0] == pytest.approx(max(e["value"] for e in every))
    more = re.search(r'href="([^"]*)" data-all-customers', r.text).group(1).replace("&amp;", "&")
    whole = client.get(more)
    assert whole.status_code == 200 and 'data-table="split"' in whole.text
    assert whole.text.count('m_customer=') >= len(every)



def test_the_data_page_lists_imports_and_syncs_and_every_page_says_how_fresh_the_data_is(own_client):
    from koers.connectors.runner import SyncError, run_sync

    r = own_client.get("/data", params={"lang": "en"})
    assert r.status_code == 200 and 'data-table="imports"' in r.text and 'data-table="syncs"' in r.text
    rows = list(csv.DictReader(io.StringIO(own_client.get("/data", params={
        "lang": "en", "export": "csv", "table": "imports"}).text)))
    assert len(rows) == 1 and float(rows[0]["Rejected"]) == 0 and float(rows[0]["Written"]) > 1000
    overview = own_client.get("/", params={"lang": "en", "as_of": AS_OF})
    assert re.search(r'data-freshness href="[^"]*/data[^"]*">Last import: \d{4}-\d{2}-\d{2} \d{2}:\d{2}<', overview.text)
    assert "data-sync-failed" not in overview.text

    ws = Workspace.open(own_client.app.state.cockpit.ws.url)

    def failing(markers):
        raise SyncError("Odoo could not be reached: connection refused")

    with pytest.raises(SyncError):
        run_sync(ws, "odoo", failing)
    overview = own_client.get("/", params={"lang": "en", "as_of": AS_OF})
    assert "data-sync-failed" in overview.text and "connection refused" in overview.text
    runs = list(csv.DictReader(io.StringIO(own_client.get("/data", params={
        "lang": "en", "export": "csv", "table": "syncs"}).text)))
    assert [(r["Source"], r["Status"]) for r in runs] == [("odoo", "failed")]


def test_the_data_page_opens_the_rows_an_import_rejected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the rejects path is logged as the import named it: relative here
    src = tmp_path / "in"
    src.mkdir()
    (src / "reps.csv").write_text("rep_id,name,role,hired_on\nR1,Ann,Boss,2020-13-01\nR2,Bob,other,2020-01-01\n")
    assert CliRunner().invoke(cli, ["import", "in", "--workspace", "ws.duckdb"]).exit_code == 1
    (src / "reps.csv").write_text("rep_id,name,role,hired_on\nR2,Bob,other,2020-01-01\n")
    assert CliRunner().invoke(cli, ["import", "in", "--workspace", "ws.duckdb"]).exit_code == 0
    monkeypatch.chdir(tmp_path.parent)  # a server started elsewhere finds them beside the workspace
    with TestClient(create_app(str(tmp_path / "ws.duckdb"))) as c:
        data = c.get("/data", params={"lang": "nl"}).text
        links = re.findall(r'href="(/data/rejects\?[^"]*)"', data)
        assert len(links) == 1  # the import without rejects has no link
        shown = c.get(links[0].replace("&amp;", "&"))
        assert shown.status_code == 200 and "Afgewezen rijen" in shown.text
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", shown.text)
        assert cells[:4] == ["reps.csv", "2", "role", "Boss"]
        assert "also hired_on &#39;2020-13-01&#39;: not a date" in cells[4]
        exported = c.get(links[0].replace("&amp;", "&") + "&export=csv&table=rejects").text
        assert exported.splitlines()[0] == "Bestand,Regel,Kolom,Waarde,Reden"
        assert exported.splitlines()[1].startswith("reps.csv,2,role,Boss,")
        assert c.get("/data/rejects", params={"import_id": "nope"}).status_code == 404
        # the same through the API, for scripts that watch the imports
        logged = c.get("/api/v1/imports").json()
        assert [(i["read"], i["written"], i["rejected"]) for i in logged] == [(1, 0, 0), (2, 1, 1)]  # R2 again: unchanged
        assert logged[0]["imported_at"] > logged[1]["imported_at"] and logged[1]["imported_at"][-6:] in (
            "+01:00", "+02:00")
        found = c.get(f"/api/v1/imports/{logged[1]['import_id']}/rejects").json()
        assert found["total"] == 1 and found["rows"][0]["line"] == 2 and found["rows"][0]["column"] == "role"
        assert c.get(f"/api/v1/imports/{logged[0]['import_id']}/rejects").json()["rows"] == []
        assert c.get("/api/v1/imports/nope/rejects").status_code == 404


def test_pages_read_the_workspace_beside_another_program_that_reads_it(demo_path, tmp_path, monkeypatch):
    """The cockpit opens a DuckDB file read-only: a `koers kpi` run or an
    export in another program does not keep the pages waiting, nor they it."""
    from tests.test_cli import _holding

    path = str(tmp_path / "shared.duckdb")
    shutil.copy(demo_path, path)
    monkeypatch.setenv("KOERS_LOCK_WAIT", "0.3")
    with TestClient(create_app(path, keep_open=60)) as c:
        reader = _holding(path, "read", 30)
        try:
            assert c.get("/", params={"as_of": AS_OF}).status_code == 200
            # the pages hold the file now (keep_open): a KPI run in another program reads it too
            assert c.app.state.cockpit.cache._session is not None
            result = subprocess.run([str(Path(sys.executable).with_name("koers")), "kpi", "won_value", "--period", "2025-03",
                                     "--format", "csv", "--workspace", path], capture_output=True, text=True,
                                    env={**os.environ, "KOERS_LOCK_WAIT": "0.3"})
            assert result.returncode == 0, result.stderr
        finally:
            reader.kill()
            reader.wait()


def test_the_settings_form_writes_while_the_pages_hold_the_workspace(demo_path, tmp_path, monkeypatch):
    """The pages' read-only connection is let go for the write, and taken
    again by the next page, which shows the new settings."""
    path = str(tmp_path / "held.duckdb")
    shutil.copy(demo_path, path)
    monkeypatch.setenv("KOERS_LOCK_WAIT", "5")
    with TestClient(create_app(path, keep_open=60)) as c:
        assert c.get("/", params={"as_of": AS_OF}).status_code == 200
        assert c.app.state.cockpit.cache._session is not None  # held for the next page
        r = c.post("/settings", data={"focus": ["won_value", "nps"], "lang": "en"}, follow_redirects=False)
        assert r.status_code == 303
        assert re.findall(r'data-card="([a-z_]+)"', c.get("/", params={"as_of": AS_OF}).text) == ["won_value", "nps"]
    assert Workspace.open(path, read_only=True).settings().focus_kpis == ("won_value", "nps")


def test_an_import_waiting_for_the_pages_gets_in_while_pages_keep_coming(demo_path, tmp_path, monkeypatch):
    """A writer in another program says it waits: the server lets the file
    go at once instead of after its idle seconds, and opens it again only
    once the writer is in, so a busy cockpit does not keep a sync out."""
    from koers.store import writers_waiting

    path = str(tmp_path / "busy.duckdb")
    shutil.copy(demo_path, path)
    monkeypatch.setenv("KOERS_LOCK_WAIT", "30")
    with TestClient(create_app(path, keep_open=120)) as c:
        assert c.get("/", params={"as_of": AS_OF}).status_code == 200  # the file held for two minutes
        writer = subprocess.Popen([str(Path(sys.executable).with_name("koers")), "settings", "stale_days=40",
                                   "--workspace", path], env={**os.environ, "KOERS_LOCK_WAIT": "20"},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(200):
                if writers_waiting(path) or writer.poll() is not None:
                    break
                time.sleep(0.05)
            assert writers_waiting(path), "the writer did not wait for the server"
            minute = 0
            while writer.poll() is None:  # pages keep coming, each a new question
                minute += 1
                page = c.get("/", params={"as_of": f"2025-06-30T12:{minute % 60:02d}:00Z"})
                assert page.status_code == 200
            out, err = writer.communicate(timeout=30)
            assert writer.returncode == 0, err
        finally:
            if writer.poll() is None:
                writer.kill()
        assert not writers_waiting(path)
        assert c.app.state.cockpit.settings().stale_days == 40.0


def test_an_idle_server_lets_a_waiting_writer_in_before_its_idle_seconds_are_over(demo_path, tmp_path):
    path = str(tmp_path / "idle.duckdb")
    shutil.copy(demo_path, path)
    with TestClient(create_app(path, keep_open=120)) as c:
        assert c.get("/", params={"as_of": AS_OF}).status_code == 200
        assert c.app.state.cockpit.cache._session is not None  # held for two minutes unless a writer waits
        done = subprocess.run([str(Path(sys.executable).with_name("koers")), "settings", "stale_days=41",
                               "--workspace", path], env={**os.environ, "KOERS_LOCK_WAIT": "10"},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert c.app.state.cockpit.cache._session is None
        assert c.app.state.cockpit.settings().stale_days == 41.0


def test_pages_let_a_waiting_writer_go_first_for_a_while_not_for_as_long_as_it_waits(demo_path, tmp_path,
                                                                                      monkeypatch):
    """A writer waiting behind another program's reader: the server lets it
    go first for WRITER_FIRST_S, then reads beside that reader again, rather
    than wait with the writer once per KPI run."""
    from koers.kpis import cache
    from koers.store import writers_waiting
    from tests.test_cli import _holding

    path = str(tmp_path / "behind.duckdb")
    shutil.copy(demo_path, path)
    monkeypatch.setattr(cache, "WRITER_FIRST_S", 1.0)
    monkeypatch.setenv("KOERS_LOCK_WAIT", "30")
    reader = _holding(path, "read", 60)
    writer = subprocess.Popen([str(Path(sys.executable).with_name("koers")), "settings", "stale_days=40",
                               "--workspace", path], env={**os.environ, "KOERS_LOCK_WAIT": "30"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if writers_waiting(path):
                break
            time.sleep(0.05)
        assert writers_waiting(path)
        with TestClient(create_app(path, keep_open=5)) as c:
            start = time.monotonic()
            assert c.get("/", params={"as_of": AS_OF}).status_code == 200  # a dozen runs
            assert time.monotonic() - start < 20
            start = time.monotonic()
            assert c.get("/settings").status_code == 200
            assert time.monotonic() - start < 5
        assert writer.poll() is None  # still waiting for the other program
    finally:
        writer.kill()
        writer.wait()
        reader.kill()
        reader.wait()


def test_koers_serve_starts_beside_another_program_that_reads_the_workspace(demo_path, tmp_path):
    import socket
    import urllib.request

    from tests.test_cli import _holding

    path = str(tmp_path / "served.duckdb")
    shutil.copy(demo_path, path)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    reader = _holding(path, "read", 60)
    server = subprocess.Popen([str(Path(sys.executable).with_name("koers")), "serve", "--workspace", path,
                               "--port", str(port)], env={**os.environ, "KOERS_LOCK_WAIT": "2"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            assert server.poll() is None, server.stderr.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/settings?lang=en", timeout=10) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
    finally:
        server.kill()
        server.wait()
        reader.kill()
        reader.wait()


def test_a_page_while_another_program_writes_the_workspace_too_long_is_a_503_with_the_reason(demo_path, tmp_path,
                                                                                             monkeypatch):
    from tests.test_cli import _holding

    path = str(tmp_path / "busy.duckdb")
    shutil.copy(demo_path, path)
    with TestClient(create_app(path, keep_open=0)) as c:
        writer = _holding(path, "write", 30)  # an import that takes its time
        try:
            monkeypatch.setenv("KOERS_LOCK_WAIT", "0.3")
            r = c.get("/", params={"as_of": AS_OF})
            assert r.status_code == 503 and "is in use by another program" in r.text
        finally:
            writer.kill()
            writer.wait()
        monkeypatch.setenv("KOERS_LOCK_WAIT", "10")
        assert c.get("/", params={"as_of": AS_OF}).status_code == 200
