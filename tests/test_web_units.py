"""The pieces under the pages: the focus_kpis setting, how a change is
judged and written, pacing, the cache following the workspace, exports'
number formats."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from koers import output
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.compare import elapsed_share, pace
from koers.periods import Period
from koers.settings import DEFAULT_FOCUS_KPIS, Settings, parse_setting
from koers.store import Workspace
from koers.web.app import create_app
from koers.web.figures import change_text, judge, sparkline
from koers.web.params import BadRequest, parse_view
from koers.web.tables import Column, DataTable, to_xlsx
from tests.conftest import GOLDEN
from tests.golden.cases import T0


def test_focus_kpis_setting_is_checked_and_stored(tmp_ws):
    assert parse_setting("focus_kpis", " won_value, win_rate,won_value ") == ("won_value", "win_rate")
    with pytest.raises(ValueError, match="unknown KPI win_rat"):
        parse_setting("focus_kpis", "won_value,win_rat")
    with pytest.raises(ValueError, match="at least one"):
        parse_setting("focus_kpis", " , ")
    assert tmp_ws.settings().focus_kpis == DEFAULT_FOCUS_KPIS
    assert all(k in CATALOG_BY_ID for k in DEFAULT_FOCUS_KPIS)
    tmp_ws.set_settings(focus_kpis=("nps", "revenue", "cac"))
    assert Workspace.open(tmp_ws.url).settings().focus_kpis == ("nps", "revenue", "cac")
    assert Settings.from_strings(Settings().as_strings()) == Settings()


@pytest.mark.parametrize("kpi, now, before, judged", [
    ("won_value", 120, 100, "good"), ("won_value", 80, 100, "bad"),
    ("lead_response_time", 1.5, 2.0, "good"), ("churn_rate", 0.04, 0.02, "bad"),
    ("forecast_accuracy", -0.05, 0.2, "good"), ("forecast_accuracy", 0.3, -0.1, "bad"),
    ("win_rate", 0.3, 0.3, "flat"), ("win_rate", None, 0.3, "none"),
])
def test_a_change_is_coloured_by_the_kpis_direction(kpi, now, before, judged):
    assert judge(CATALOG_BY_ID[kpi], now, before) == judged


def test_a_change_is_written_in_points_for_ratios_and_relative_otherwise():
    assert change_text(CATALOG_BY_ID["win_rate"], 0.25, 0.20, "nl") == "+5 pp"
    assert change_text(CATALOG_BY_ID["win_rate"], 0.2, 0.225, "en") == "−2.5 pp"
    assert change_text(CATALOG_BY_ID["won_value"], 150, 120, "nl") == "+25,0%"
    assert change_text(CATALOG_BY_ID["won_value"], 90, 120, "en") == "−25.0%"
    assert change_text(CATALOG_BY_ID["won_value"], 90, 0, "en") == "–"  # no base, no relative change
    # a ratio of like amounts is a multiple: its change too
    assert change_text(CATALOG_BY_ID["pipeline_coverage"], 3.1, 2.5, "nl") == "+0,6×"


def test_coverage_and_clv_to_cac_read_as_multiples_not_shares():
    """3× pipeline coverage, a CLV:CAC of 3 or more: multiples, where a
    win rate is a share."""
    assert output.format_value("pipeline_coverage", 3.125, "nl") == "3,12×"
    assert output.format_value("clv_cac_ratio", 18.841, "en") == "18.84×"
    assert output.format_short("clv_cac_ratio", 3.0, "en") == "3.0×"
    assert output.format_value("win_rate", 0.25, "en") == "25.0%"
    assert {k.id for k in CATALOG if k.multiple} == {"pipeline_coverage", "clv_cac_ratio"}


def test_elapsed_share_of_a_period_in_the_workspace_zone():
    july = Period(date(2025, 7, 1), "month")
    tz = Settings().tz  # Europe/Amsterdam: July starts at 2025-06-30 22:00 UTC
    assert elapsed_share(july, datetime(2025, 6, 30, 21, 0), tz) == 0
    assert elapsed_share(july, datetime(2025, 6, 30, 22, 0), tz) == 0
    assert elapsed_share(july, datetime(2025, 7, 16, 22, 0), tz) == pytest.approx(16 / 31)
    assert elapsed_share(july, datetime(2025, 7, 31, 22, 0), tz) == 1
    # the spring DST day has 23 hours: at noon (10:00 UTC) 11 of them have passed
    assert elapsed_share(Period(date(2025, 3, 30), "day"), datetime(2025, 3, 30, 10, 0), tz) == pytest.approx(11 / 23)


def test_pace_is_for_a_flow_while_its_period_runs():
    won, rate, stock = (CATALOG_BY_ID[k] for k in ("won_value", "win_rate", "open_pipeline_value"))
    assert pace(won, 50.0, 200.0, 0.5) == 0.5  # a quarter of the target half-way: half the pace
    assert pace(won, 0, 200.0, 0.25) == 0
    assert pace(CATALOG_BY_ID["leads"], 30, 40, 0.5) == 1.5
    # a period over at T or not begun has its attainment, no pace
    assert pace(won, 50.0, 200.0, 1.0) is None and pace(won, 50.0, 200.0, 0.0) is None
    # no target, a target of 0, no actual
    assert pace(won, 50.0, None, 0.5) is None and pace(won, 50.0, float("nan"), 0.5) is None
    assert pace(won, 50.0, 0.0, 0.5) is None and pace(won, None, 200.0, 0.5) is None
    # a ratio or a stock is not prorated
    assert pace(rate, 0.3, 0.25, 0.5) is None and pace(stock, 100.0, 100.0, 0.5) is None


def test_sparkline_spans_the_box_and_skips_gaps():
    points = sparkline([1, None, 3], width=100, height=20).split()
    assert points == ["0.0,18.0", "100.0,2.0"]
    assert sparkline([None, None]) == ""


def test_percentages_in_both_languages():
    assert output.format_percent(0.125, "nl") == "12,5%"
    assert output.format_percent(0.125, "en") == "12.5%"
    assert output.format_percent(None, "en") == "–"
    assert output.format_value("won_value", 1234.56, "nl") == "€\xa01.234,56"
    assert output.format_short("won_value", 4875868.71, "nl") == "€\xa04,9\xa0mln."
    # British English: €4.9m from Babel 2.19 (CLDR 46) on, €4.9M before
    assert re.fullmatch(r"€4\.9[mM]", output.format_short("won_value", 4875868.71, "en"))
    assert output.format_short("won_value", 9999.5, "en") == "€9,999.50"  # small amounts in full
    assert output.format_short("win_rate", 0.125, "nl") == "12,5%"


def test_a_view_is_read_from_the_query_string():
    view = parse_view({"period": "2025-Q3", "grain": "month", "owner": "R1", "stage": "x", "lang": "en",
                       "as_of": "2025-10-01"}, Settings())
    assert [p.label for p in view.periods] == ["2025-07", "2025-08", "2025-09"]
    assert view.period.label == "2025-09" and view.where == {"owner": "R1"}  # stage is no page filter
    assert view.as_of == datetime(2025, 9, 30, 22, 0)
    assert view.url("/pipeline", split="owner") == (
        "/pipeline?period=2025-Q3&grain=month&owner=R1&stage=x&lang=en&as_of=2025-10-01&split=owner")
    default = parse_view({}, Settings(), now=datetime(2025, 8, 14, 10, 30, 59))
    assert default.period_text == "2025-07" and default.as_of == datetime(2025, 8, 14, 10, 30)
    for bad in ({"lang": "fr"}, {"grain": "hour"}, {"period": "2025-02-30"}, {"period": "2020-01-01..2025-01-01",
                                                                             "grain": "day"}):
        with pytest.raises(BadRequest):
            parse_view(bad, Settings())


def test_xlsx_keeps_numbers_as_numbers_with_the_units_format():
    table = DataTable("t", "t", [Column("name", "Name"), Column("won_value", "Won", "kpi", "won_value"),
                                 Column("win_rate", "Win rate", "kpi", "win_rate"), Column("share", "Share", "percent")],
                      [{"name": "A", "won_value": 1234.5, "win_rate": 0.25, "share": None}])
    sheet = load_workbook(io.BytesIO(to_xlsx(table, "EUR"))).active
    assert [c.value for c in sheet[1]] == ["Name", "Won", "Win rate", "Share"]
    name, won, rate, share = sheet[2]
    assert (won.value, rate.value, share.value) == (1234.5, 0.25, None)
    assert "EUR" in won.number_format and rate.number_format == "0.0%"


def test_answers_follow_the_workspace_state(tmp_ws):
    """A settings change (like an import) changes the workspace's fingerprint:
    the server's cached answers are dropped, not served stale."""
    from koers.importers.canonical import import_folder

    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    params = {"kpi": "lead_response_sla", "period": "2025-01..2025-03", "as_of": T0}
    with TestClient(create_app(tmp_ws.url)) as client:
        before = client.get("/api/v1/values", params=params).json()["rows"]
        assert client.get("/api/v1/values", params=params).json()["rows"] == before
        tmp_ws.set_settings(response_sla_hours=1000.0)
        after = client.get("/api/v1/values", params=params).json()["rows"]
    assert [r["numerator"] for r in after] != [r["numerator"] for r in before]
    assert [r["denominator"] for r in after] == [r["denominator"] for r in before]


def test_every_family_and_unit_has_words_in_both_languages():
    from koers.kpis.catalog import CATALOG
    from koers.web.i18n import WORDS

    for k in CATALOG:
        assert f"family_{k.family}" in WORDS and f"unit_{k.unit.value}" in WORDS, k.id


def test_kpi_trend_sets_the_year_before_beside_each_period(tmp_ws):
    from koers.importers.canonical import import_folder

    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    with TestClient(create_app(tmp_ws.url)) as client:
        r = client.get("/kpi/revenue", params={"period": "2025-03", "as_of": T0, "lang": "en", "export": "csv",
                                               "table": "trend"})
        rows = list(csv.DictReader(io.StringIO(r.text)))
        earlier = client.get("/api/v1/values", params={"kpi": "revenue", "period": "2024-03", "as_of": T0}).json()
    march = next(r for r in rows if r["Period"] == "2025-03")
    assert earlier["rows"][0]["value"] and float(march["Previous year"]) == earlier["rows"][0]["value"]
    assert [r["Period"] for r in rows][-1] == "2025-03" and len(rows) == 12


def test_pages_without_as_of_keep_their_moment_a_few_minutes_while_the_data_is_unchanged(tmp_ws):
    from datetime import timedelta

    from koers.importers.canonical import import_folder
    from koers.web.cockpit import PAGE_MOMENT_KEPT, Cockpit

    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    cockpit = Cockpit(tmp_ws.url, keep_open=0)
    first = datetime(2025, 6, 1, 9, 30, 27)
    at = cockpit.page_moment(first)
    assert at == datetime(2025, 6, 1, 9, 30)
    assert cockpit.page_moment(first + timedelta(minutes=4)) == at  # a new minute, the same question
    later = first + PAGE_MOMENT_KEPT + timedelta(minutes=1)
    assert cockpit.page_moment(later) == datetime(2025, 6, 1, 9, 36)
    assert cockpit.page_moment(later + timedelta(minutes=1)) == datetime(2025, 6, 1, 9, 36)
    tmp_ws.set_settings(response_sla_hours=4)  # the workspace changed: now again
    assert cockpit.page_moment(later + timedelta(minutes=2)) == datetime(2025, 6, 1, 9, 38)
    assert cockpit.page_moment(datetime(2025, 6, 1, 9, 0)) == datetime(2025, 6, 1, 9, 0)  # never a later moment
    cockpit.close()


@pytest.mark.parametrize("period, questions", [
    ("2025-03", [["2024-03", "2024-04", "2025-03"]]),  # the year earlier just before the trail: one question
    ("2025-Q1", [["2022-Q2", "2022-Q3", "2025-Q1"]]),  # among the trail
    ("2025", [["2014", "2015", "2025"]]),
    ("2025-W14", [["2025-W03", "2025-W04", "2025-W14"], ["2024-W14"]]),  # 52 weeks back: apart
    ("2026-W53", [["2026-W42", "2026-W43", "2026-W53"]]),  # no twin a year earlier
])
def test_a_card_asks_its_trail_and_year_earlier_in_as_few_questions_as_it_can(period, questions):
    from koers.periods import parse_spec
    from koers.web.figures import card_questions

    (p,) = parse_spec(period)
    asked = card_questions(p)
    assert [[q[0].label, q[1].label, q[-1].label] if len(q) > 1 else [q[0].label] for q in asked] == questions
    assert all(b == a.next() for q in asked for a, b in zip(q, q[1:]))


def test_a_card_whose_year_earlier_fails_keeps_its_trail(tmp_ws):
    from koers.importers.canonical import import_folder
    from koers.kpis.cache import ResultCache
    from koers.web.figures import Asker, _card

    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    cache = ResultCache(tmp_ws, keep_open=0)
    year = Period(date(2024, 3, 1), "month")

    class YearFails:
        def compute(self, kpi_ids, periods, *rest):
            if year in periods:
                raise RuntimeError("the year earlier cannot be computed")
            return cache.compute(kpi_ids, periods, *rest)

    view = parse_view({"period": "2025-03", "as_of": T0, "lang": "en"}, tmp_ws.settings())
    card = _card(Asker(YearFails(), view, tmp_ws.settings()), "won_value", "/kpi/won_value")
    whole = _card(Asker(cache, view, tmp_ws.settings()), "won_value", "/kpi/won_value")
    assert card.error == "2024-03..2024-03: RuntimeError: the year earlier cannot be computed"
    assert card.raw["year"] is None and card.year == "–"
    assert whole.error is None and (card.value, card.previous, card.spark) == (whole.value, whole.previous, whole.spark)
    assert card.raw["value"] is not None


def test_a_printed_sheet_s_head_is_one_css_string_whatever_the_text():
    from markupsafe import Markup

    from koers.web.render import css_string

    assert css_string('Won "big" \\ deals</style>\nnext') == '"Won \\"big\\" \\\\ deals\\3C /style> next"'
    assert css_string(Markup("R&amp;D &lt;team&gt;")) == '"R&D \\3C team>"'  # a rendered block, as it shows
