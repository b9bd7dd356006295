"""Koers in a real browser: each dashboard opens and draws its charts with no
console error and fits a laptop and a phone; a filter, a drill-down, the
language switch and the downloads work as a user clicks them."""

from __future__ import annotations

import csv
import io
import re

import pytest

pytestmark = pytest.mark.browser

PAGES = {"overview": "/", "pipeline": "/pipeline", "activities": "/activities", "performance": "/performance",
         "stages": "/stages", "leaderboard": "/leaderboard", "alerts": "/alerts", "review": "/review",
         "catalogue": "/kpis", "kpi-win-rate":
         "/kpi/win_rate?split=owner", "drill-won-value": "/kpi/won_value/drill", "settings": "/settings",
         # a split with each rep's target and attainment beside the value, and the target rows behind one
         "kpi-won-value-targets": "/kpi/won_value?split=owner",
         "drill-targets": "/kpi/target_attainment/drill?m_target_kpi=won_value&records=targets",
         # the demo's weekly snapshots, walked from the one two weeks before its import
         "pipeline-changes": "/pipeline/changes"}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_opens_draws_and_fits(tab, name):
    page = tab.open(PAGES[name])
    assert page.locator("h1").inner_text()
    assert "data-card-error" not in page.content()
    # nothing wider than the screen: wide tables scroll inside their own box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} is {width}px wide on a {tab.viewport}"
    tab.screenshot(name)


def test_a_filter_changes_the_url_and_the_figures(laptop):
    page = laptop.open("/kpi/won_value?lang=en")
    whole = page.locator('table[data-table="trend"] tbody tr').last.inner_text()
    with page.expect_navigation():
        page.select_option('form.filters select[name="owner"]', "R002")  # submits on change
    assert "owner=R002" in page.url
    laptop.charts_drawn()
    one = page.locator('table[data-table="trend"] tbody tr').last.inner_text()
    assert one != whole
    assert page.locator('form.filters select[name="owner"]').input_value() == "R002"


def test_follow_a_drill_down_and_page_through_it(laptop):
    page = laptop.open("/kpi/activities?split=owner&lang=en")
    with page.expect_navigation():
        page.locator('table[data-table="split"] tbody tr').first.locator("a").first.click()
    assert "/kpi/activities/drill" in page.url and "m_owner=" in page.url
    total = int(page.locator("[data-total]").get_attribute("data-total"))
    assert total == int(re.search(r"\d+", page.locator("[data-total]").inner_text()).group())
    assert page.locator('table[data-table="records"] tbody tr').count() == min(total, 50)
    if total > 50:
        with page.expect_navigation():
            page.locator('a[rel="next"]').click()
        assert "page=2" in page.url
    laptop.screenshot("drill-followed")


def test_from_the_nav_to_an_alert_and_the_records_behind_it(laptop):
    """The demo keeps a rule for slow responses by rep: last month, the slow
    responder (R003) breaks it, and his figure opens his leads."""
    page = laptop.open("/?lang=en")
    with page.expect_navigation():
        page.locator('[data-nav="alerts"]').click()
    rule = page.locator('[data-alert-rule="slow-response"]')
    assert "Bram de Boer" in rule.inner_text()
    with page.expect_navigation():
        rule.locator('table tbody tr', has_text="Bram de Boer").locator("a").first.click()
    assert "/kpi/lead_response_time/drill" in page.url and "m_owner=R003" in page.url
    assert int(page.locator("[data-total]").get_attribute("data-total")) > 0


def test_from_the_pipeline_to_what_changed_and_the_deals_won(laptop):
    page = laptop.open("/pipeline?lang=en")
    with page.expect_navigation():
        page.locator("[data-changes-link]").click()
    assert "/pipeline/changes" in page.url
    laptop.charts_drawn()
    earlier = page.locator('select[name="since"] option').nth(3).get_attribute("value")
    with page.expect_navigation():
        page.select_option('select[name="since"]', earlier)  # submits on change
    assert f"since={earlier}" in page.url
    walk = page.locator('table[data-table="walk"] tbody tr')
    won = walk.filter(has_text="Won").first
    count = int(won.locator("a").inner_text())
    assert count > 0
    with page.expect_navigation():
        won.locator("a").click()
    assert "line=won" in page.url
    rows = page.locator('table[data-table="deals"] tbody tr')
    assert rows.count() == min(count, 1000)
    assert all(t == "Won" for t in rows.locator("td:nth-child(3)").all_inner_texts())
    laptop.screenshot("pipeline-changes-won")


def test_switch_language_keeps_the_filters(laptop):
    page = laptop.open("/pipeline?region=Randstad&lang=nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Pijplijn"
    with page.expect_navigation():
        page.locator('a[data-lang="en"]').click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Pipeline"
    assert "region=Randstad" in page.url
    value = page.locator('[data-card="open_pipeline_value"] [data-value]')
    assert re.fullmatch(r"€\d+(\.\d)?[kKmMbB]n?", value.inner_text())  # short on the card ...
    assert re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d\d", value.get_attribute("title"))  # ... in full on hover


def test_download_a_table_as_csv_and_a_chart_as_png(laptop, tmp_path):
    page = laptop.open("/pipeline?lang=en")
    with page.expect_download() as got:
        page.locator('#table-by_rep a[data-export="csv"]').click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows and "Open pipeline value" in rows[0]
    chart = page.locator('.chart[data-name="pipeline-by-stage"]')
    chart.hover()
    with page.expect_download() as png:
        chart.locator('.modebar-btn[data-title^="Download plot"]').click()
    assert png.value.suggested_filename == "koers-pipeline-by-stage.png"
    png.value.save_as(tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing on the modebar sends a chart off this machine
    assert chart.locator('.modebar-btn[data-title^="Share"]').count() == 0


def test_api_docs_render_offline(laptop):
    page = laptop.page
    assert page.goto(laptop.base + "/docs").status == 200
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=15_000)
    assert "/api/v1/values" in page.content()
    laptop.screenshot("api-docs")


def test_pick_a_role_preset_as_focus_on_the_settings_page(laptop):
    page = laptop.open("/settings?lang=en")
    with page.expect_navigation():
        page.locator('button[name="preset"][value="account_manager"]').click()
    assert page.locator("[data-saved]").is_visible()
    assert page.locator('input[name="focus"][value="nps"]').is_checked()
    page = laptop.open("/?lang=en")
    assert page.locator('[data-card="nps"]').count() == 1


def test_a_page_prints_on_a4_with_its_figures_and_without_its_controls(laptop):
    """The review goes to the sales meeting on paper or as a PDF: the button
    prints; on paper the filter line and the footer's moment say what the
    figures are of, the menu, filters and export links are gone, and the
    widest table fits the text of an A4 page across."""
    page = laptop.open("/review?lang=en")
    button = page.locator("[data-print]")
    assert button.is_visible() and button.inner_text() == "Print or PDF"
    page.evaluate("window.print = () => { window.__printed = true; }")
    button.click()
    assert page.evaluate("window.__printed === true")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the title keeps the width
    assert not button.is_visible()

    page.set_viewport_size({"width": 1031, "height": 700})  # A4 across: 297 mm less 2 × 12 mm margin, at 96 dpi
    page.emulate_media(media="print")
    for control in ("header.top", "form.filters", "[data-print]", "span.exports", "footer .screen-only"):
        assert not page.locator(control).first.is_visible(), control
    for kept in ("details.filterbox > summary", "h1", 'table[data-table="reps"]', "footer [data-as-of]"):
        assert page.locator(kept).first.is_visible(), kept
    assert page.evaluate("document.documentElement.scrollWidth") <= 1031
    # every sheet's head: the page, its period and filters, and the moment of its figures
    head = page.locator("style[data-print-head]").text_content()
    title, moment = page.locator("h1").inner_text(), page.locator("footer [data-as-of]").inner_text()
    assert f'@top-left {{ content: "Koers · {title} · ' in head and f'@top-right {{ content: "{moment}"' in head
    pdf = page.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_a_drill_down_prints_the_page_of_records_it_shows_and_says_which(laptop):
    page = laptop.open("/kpi/activities/drill?lang=en")
    page.emulate_media(media="print")
    assert page.locator(".pager span").inner_text().startswith("Page 1 of ")
    assert not page.locator('.pager a[rel="next"]').is_visible()
    assert not page.locator("main form").first.is_visible()  # the records' own choices


def test_charts_are_drawn_a_page_wide_while_they_print(laptop):
    page = laptop.open("/kpi/won_value?split=owner&lang=en")
    widths = "Array.from(document.querySelectorAll('.plot .main-svg:first-child')).map(s => s.width.baseVal.value)"
    on_screen = page.evaluate(widths)
    assert on_screen and min(on_screen) > 1000  # the trend and the split span the laptop's page
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate(widths) == [1000] * len(on_screen)
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.wait_for_function(f"screen => JSON.stringify({widths}) === JSON.stringify(screen)", arg=on_screen,
                           timeout=5_000)
