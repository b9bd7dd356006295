"""The CLI contract (../shared/spec/cli.md), through the real command."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.store import WorkspaceError
from tests.conftest import GOLDEN, SHARED

runner = CliRunner()
AS_OF = "2026-01-01T00:00:00+01:00"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "ws.duckdb")
    result = runner.invoke(app, ["import", str(GOLDEN), "--workspace", path])
    assert result.exit_code == 0, result.output
    return path


def kpi(ws, *args):
    return runner.invoke(app, ["kpi", *args, "--workspace", ws, "--as-of", AS_OF])


def rows(output: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(output)))


def test_kpis_lists_the_whole_catalogue():
    result = runner.invoke(app, ["kpis", "--format", "csv"])
    assert [r["id"] for r in rows(result.output)] == [k.id for k in CATALOG]
    nl = runner.invoke(app, ["kpis", "--format", "json", "--lang", "nl"])
    assert json.loads(nl.output)[0]["name"] == "Aantal leads"


def test_workspace_may_come_before_the_command(ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default ./koers.duckdb would be made here
    before = runner.invoke(app, ["--workspace", ws, "kpi", "leads", "--period", "2025-03", "--format", "csv",
                                 "--as-of", AS_OF])
    after = kpi(ws, "leads", "--period", "2025-03", "--format", "csv")
    assert before.exit_code == 0, before.output
    assert before.output == after.output and rows(before.output)[0]["value"] != "0"
    # the command's own --workspace wins, and the next command does not inherit the first's
    other = str(tmp_path / "other.duckdb")
    runner.invoke(app, ["-w", other, "kpi", "leads", "--period", "2025-03", "--workspace", ws, "--as-of", AS_OF])
    assert not Path(other).exists()
    runner.invoke(app, ["settings"])
    assert (tmp_path / "koers.duckdb").exists()


def test_csv_header_and_rows(ws):
    result = kpi(ws, "win_rate", "leads", "--period", "2025-02..2025-03", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "kpi,period,value,numerator,denominator"
    got = rows(result.output)
    assert [(r["kpi"], r["period"]) for r in got] == [
        ("leads", "2025-02-01"), ("leads", "2025-03-01"), ("win_rate", "2025-02-01"), ("win_rate", "2025-03-01"),
    ]
    assert all(r["numerator"] == "" for r in got if r["kpi"] == "leads")
    assert all(r["denominator"] != "" for r in got if r["kpi"] == "win_rate")


def test_by_puts_dimensions_in_order(ws):
    result = kpi(ws, "leads", "--period", "2025-03", "--by", "source,owner", "--format", "csv")
    assert result.output.splitlines()[0] == "kpi,period,source,owner,value,numerator,denominator"
    got = rows(result.output)
    assert got == sorted(got, key=lambda r: (r["source"], r["owner"]))
    total = kpi(ws, "leads", "--period", "2025-03", "--format", "csv")
    assert sum(float(r["value"]) for r in got) == float(rows(total.output)[0]["value"])


def test_target_attainment_carries_target_kpi(ws):
    result = kpi(ws, "target_attainment", "leads", "--period", "2025-03", "--format", "csv")
    header = result.output.splitlines()[0]
    assert header == "kpi,period,target_kpi,value,numerator,denominator"
    assert any(r["target_kpi"] for r in rows(result.output) if r["kpi"] == "target_attainment")
    assert all(r["target_kpi"] == "" for r in rows(result.output) if r["kpi"] == "leads")


def test_json_has_the_same_fields(ws):
    as_csv = rows(kpi(ws, "win_rate", "--period", "2025-03", "--format", "csv").output)
    as_json = json.loads(kpi(ws, "win_rate", "--period", "2025-03", "--format", "json").output)
    assert list(as_json[0]) == list(as_csv[0])
    assert float(as_csv[0]["value"]) == as_json[0]["value"]


def test_table_format_is_localised(ws):
    result = kpi(ws, "won_value", "--period", "2025-03", "--lang", "nl")
    assert result.exit_code == 0
    assert "Gerealiseerde verkoop" in result.output and "€" in result.output
    assert "Periode" in result.output and "Waarde" in result.output and "Noemer" in result.output


def test_a_table_names_periods_reps_and_target_kpis_as_people_do(ws):
    wide = runner.invoke(app, ["kpi", "target_attainment", "--period", "2025-Q1", "--by", "owner", "--lang", "nl",
                               "--workspace", ws, "--as-of", AS_OF], env={"COLUMNS": "200"})
    assert wide.exit_code == 0
    assert "2025-Q1" in wide.output and "2025-01-01" not in wide.output
    assert "Anna Jansen (R1)" in wide.output and "Gerealiseerde verkoop" in wide.output


def test_a_table_of_one_kpi_or_one_period_names_it_once_above_its_rows(ws):
    one = runner.invoke(app, ["kpi", "leads", "--period", "2025-02", "--by", "owner", "--workspace", ws,
                              "--as-of", AS_OF], env={"COLUMNS": "120"}).output
    assert one.splitlines()[0].strip() == "New leads · 2025-02"
    assert "Period" not in one and "KPI" not in one and one.count("New leads") == 1 and "Rep" in one
    months = runner.invoke(app, ["kpi", "leads", "--period", "2025-02..2025-03", "--workspace", ws, "--as-of", AS_OF],
                           env={"COLUMNS": "120"}).output
    assert months.splitlines()[0].strip() == "New leads" and "Period" in months and "KPI" not in months
    both = runner.invoke(app, ["kpi", "leads", "won_value", "--period", "2025-02..2025-03", "--workspace", ws,
                               "--as-of", AS_OF], env={"COLUMNS": "120"}).output
    assert "KPI" in both and "Period" in both and both.count("New leads") == 2
    single = runner.invoke(app, ["kpi", "leads", "--period", "2025-02", "--workspace", ws, "--as-of", AS_OF]).output
    assert "KPI" in single and "Period" in single  # a single row says what it is in its own cells


@pytest.mark.parametrize(
    "args,needle",
    [
        (["no_such_kpi"], "valid KPIs: leads"),
        (["leads", "--by", "colour"], "valid dimensions: owner"),
        (["cac", "--by", "owner"], "valid dimensions: source"),
        (["leads", "--period", "2025-13"], "not a valid month"),
        (["leads", "--period", "last month"], "Valid notations"),
        (["leads", "--grain", "fortnight", "--period", "2025"], "valid grains"),
        (["leads", "--format", "xml"], "one of: table, csv, json"),
        (["leads", "--period", "9999"], "'9999' is outside the years Koers answers for (1000 to 8999)"),
        (["leads", "--where", "team=North", "--where", "team=South"], "--where team is given twice"),
        (["rep_ramp_time", "--period", "0001-01"], "outside the years Koers answers for"),
    ],
)
def test_usage_errors_exit_2_with_the_choices(ws, args, needle):
    result = kpi(ws, *args)
    assert result.exit_code == 2
    assert needle in result.output


def test_a_default_period_out_of_range_is_explained_by_the_as_of_moment(ws):
    result = runner.invoke(app, ["kpi", "leads", "--as-of", "1000-01-05", "--workspace", ws])
    assert result.exit_code == 2
    assert "the period is the last complete month before the as-of moment, 0999-12: " in " ".join(result.output.split())
    wrong_grain = runner.invoke(app, ["kpi", "leads", "--grain", "fortnight", "--workspace", ws])
    assert wrong_grain.exit_code == 2 and "valid grains" in wrong_grain.output
    assert "last complete month" not in wrong_grain.output


def test_empty_table_gives_empty_values_and_a_warning(tmp_path):
    path = str(tmp_path / "empty.duckdb")
    result = runner.invoke(app, ["kpi", "nps", "--period", "2025-03", "--format", "csv", "--workspace", path])
    assert result.exit_code == 0
    assert "needs the table nps" in result.output
    assert "nps,2025-03-01,,," in result.output


def test_a_table_without_rows_says_why_and_which_dates_the_workspace_holds(ws, tmp_path):
    # the golden orders run from 2024-03-15 to 2026-12-29, before and after every lead,
    # opportunity and activity; nothing happened in 2019
    by = kpi(ws, "won_deals", "--period", "2019", "--by", "owner")
    assert by.exit_code == 0
    assert ("no rows in 2019: with --by, a group has a row only when it has records of the KPI; "
            "the workspace's records run from 2024-03-15 to 2026-12-29") in by.output
    target = kpi(ws, "target_attainment", "--period", "2019-01..2019-03")
    assert "no rows in 2019-01..2019-03: target_attainment has a row only where a target" in target.output
    assert "no rows" not in kpi(ws, "won_deals", "--period", "2025-03", "--by", "owner").output
    csv_out = kpi(ws, "won_deals", "--period", "2019", "--by", "owner", "--format", "csv")
    assert csv_out.output == "kpi,period,owner,value,numerator,denominator\n"  # scripts get the header alone
    empty = runner.invoke(app, ["kpi", "won_deals", "--period", "2019", "--by", "owner",
                                "--workspace", str(tmp_path / "empty.duckdb")])
    assert "the workspace holds no leads, opportunities, orders or activities" in empty.output


def test_a_filter_on_a_value_no_record_holds_warns_and_names_the_nearest(ws):
    typo = kpi(ws, "won_value", "--period", "2025-03", "--where", "team=north", "--where", "stage=Gewonnen",
               "--format", "csv")
    assert typo.exit_code == 0
    assert "won_value,2025-03-01,0,," in typo.output  # the figure stands: a filter may match nothing
    assert ("warning: --where team=north: no record in the workspace has team 'north', so the figures cover "
            "no record; did you mean 'North'?") in typo.output
    assert ("--where stage=Gewonnen: no record in the workspace has stage 'Gewonnen', so the figures cover no "
            "record; the values it holds: Lost, Negotiation, New, Proposal, Qualified, Won") in typo.output
    held = kpi(ws, "won_value", "--period", "2025-03", "--where", "team=North", "--where", "stage=Won",
               "--where", "deal_type=new_business", "--where", "region=", "--format", "csv")
    # a null deal_type is new_business, and an empty value filters on null: neither needs a record
    assert held.exit_code == 0 and "warning" not in held.output
    assert "did you mean 'US'" in kpi(ws, "revenue", "--period", "2025", "--where", "region=USA").output


@pytest.mark.parametrize(
    "kpi_id, missing, dropped",
    [
        ("lead_to_customer_rate", "opportunities", ["stage_history", "orders", "contracts", "activities"]),
        ("upsell_rate", "opportunities", ["stage_history", "orders", "contracts", "activities"]),
        ("forecast_accuracy", "opportunities", ["stage_history", "orders", "contracts", "activities"]),
        ("follow_ups_per_win", "activities", []),
    ],
)
def test_a_kpi_without_a_second_table_it_reads_is_empty_not_0(tmp_path, kpi_id, missing, dropped):
    """Without opportunities no lead is linked to a won deal, and without
    activities no deal had a follow-up: 0 would be a wrong number."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(GOLDEN, folder)
    for name in [missing, *dropped]:
        (folder / f"{name}.csv").unlink()
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(folder), "--workspace", path]).exit_code == 0
    result = runner.invoke(app, ["kpi", kpi_id, "--period", "2025-03", "--as-of", "2026-01-01T00:00:00",
                                 "--format", "csv", "--workspace", path])
    assert result.exit_code == 0
    assert f"needs the table {missing}" in result.output
    assert f"{kpi_id},2025-03-01,,," in result.output


def test_changing_the_zone_or_currency_of_a_workspace_with_data_says_what_it_does_not_change(tmp_path):
    path = str(tmp_path / "ws.duckdb")
    quiet = runner.invoke(app, ["settings", "time_zone=America/New_York", "--workspace", path])
    assert quiet.exit_code == 0 and "note:" not in quiet.output  # nothing imported yet: nothing was read
    assert runner.invoke(app, ["import", str(GOLDEN), "--workspace", path]).exit_code == 0
    moved = runner.invoke(app, ["settings", "time_zone=Europe/Amsterdam", "currency=USD", "--workspace", path])
    assert moved.exit_code == 0
    said = " ".join(moved.output.split())
    assert ("timestamps imported without an offset keep the instants they were read as, in the time zone set at "
            "their import; periods and dates now follow Europe/Amsterdam") in said
    assert "amounts without a currency now count as USD" in said
    same = runner.invoke(app, ["settings", "time_zone=Europe/Amsterdam", "--workspace", path])
    assert "keep the instants" not in same.output and "now count as" not in same.output  # not changed


def test_settings_are_stored_and_checked(tmp_path):
    path = str(tmp_path / "s.duckdb")
    shown = runner.invoke(app, ["settings", "--workspace", path])
    assert "time_zone=Europe/Amsterdam" in shown.output.splitlines()
    assert "outreach_types=call,email,meeting,demo,linkedin" in shown.output.splitlines()
    changed = runner.invoke(app, ["settings", "response_sla_hours=4", "currency=USD", "stale_days=12.5",
                                  "activity_points=call=2,demo=4.5", "--workspace", path])
    assert changed.exit_code == 0 and "response_sla_hours=4" in changed.output.splitlines()
    lines = runner.invoke(app, ["settings", "--workspace", path]).output.splitlines()
    assert {"currency=USD", "stale_days=12.5", "activity_points=call=2,demo=4.5"} <= set(lines)
    # every line shown is what the command takes: fed back, it changes nothing
    again = str(tmp_path / "again.duckdb")
    assert runner.invoke(app, ["settings", *lines, "--workspace", again]).exit_code == 0
    assert runner.invoke(app, ["settings", "--workspace", again]).output.splitlines() == lines
    bad = runner.invoke(app, ["settings", "time_zone=Mars/Olympus", "--workspace", path])
    assert bad.exit_code == 2 and "IANA" in bad.output
    # one type's points, the others kept; points that are no number refused
    one = runner.invoke(app, ["settings", "activity_points.email=1.5", "activity_points.call=3", "--workspace", path])
    assert one.exit_code == 0 and "activity_points=call=3,demo=4.5,email=1.5" in one.output.splitlines()
    for wrong in ("activity_points.call=nan", "activity_points=call=inf", "activity_points.fax=1"):
        refused = runner.invoke(app, ["settings", wrong, "--workspace", path])
        assert refused.exit_code == 2, wrong
    assert "activity_points=call=3,demo=4.5,email=1.5" in runner.invoke(
        app, ["settings", "--workspace", path]).output.splitlines()


def test_settings_say_when_the_activity_points_table_gives_the_points(tmp_path):
    """kpis.md: the setting stands in for the table while that is absent or empty."""
    path = str(tmp_path / "p.duckdb")
    quiet = runner.invoke(app, ["settings", "activity_points.call=3", "--workspace", path])
    assert quiet.exit_code == 0 and "note:" not in quiet.output
    src = tmp_path / "in"
    src.mkdir()
    (src / "activity_points.csv").write_text("type,points\ncall,7\ndemo,4\n")
    assert runner.invoke(app, ["import", str(src), "--workspace", path]).exit_code == 0
    for args in (["activity_points.call=3"], []):
        said = runner.invoke(app, ["settings", *args, "--workspace", path])
        assert said.exit_code == 0
        assert "note: the workspace's activity_points table (2 types) gives the points" in said.output


def test_export_into_a_file_is_a_usage_error(tmp_path, ws):
    afile = tmp_path / "afile"
    afile.write_text("")
    for target in (afile, afile / "sub"):
        result = runner.invoke(app, ["export", str(target), "--workspace", ws])
        assert result.exit_code == 2, result.output
        assert str(afile) in result.output and "Traceback" not in result.output
    assert afile.read_text() == ""


@pytest.mark.parametrize("command", [["kpi", "leads"], ["import", str(GOLDEN)], ["settings"], ["alerts", "list"]])
def test_a_workspace_that_is_a_folder_or_no_duckdb_file_is_named(tmp_path, command):
    not_db = tmp_path / "leads.csv"
    not_db.write_text("lead_id,created_at\n")
    empty = tmp_path / "empty.duckdb"
    empty.write_text("")
    for path, reason in ((tmp_path, "is a folder"), (not_db, "is something else"), (empty, "is empty")):
        result = runner.invoke(app, [*command, "--workspace", str(path)])
        assert result.exit_code == 2, result.output
        assert str(path) in result.output and reason in result.output, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert not_db.read_text() == "lead_id,created_at\n" and empty.read_text() == ""


def test_import_exit_codes(tmp_path):
    path = str(tmp_path / "i.duckdb")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "reps.csv").write_text("rep_id,name,hired_on\nR1,Anna,2024-01-01\nR2,Bram,someday\n")
    result = runner.invoke(app, ["import", str(bad), "--workspace", path])
    assert result.exit_code == 1
    assert "rejects.csv" in result.output.replace("\n", "")
    assert runner.invoke(app, ["import", str(tmp_path / "nope"), "--workspace", path]).exit_code == 2


def test_target_attainment_has_no_row_for_a_period_without_target(ws):
    result = kpi(ws, "target_attainment", "--period", "2027-01..2027-02", "--format", "csv")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["kpi,period,target_kpi,value,numerator,denominator"]


def test_import_through_a_mapping(tmp_path):
    path = str(tmp_path / "m.duckdb")
    maven = SHARED / "data" / "maven-crm"
    files = [str(maven / f) for f in ("sales_pipeline.csv", "sales_teams.csv", "accounts.csv", "products.csv")]
    recipe = str(Path(__file__).resolve().parents[1] / "docs" / "recipes" / "maven-crm.yaml")
    assert runner.invoke(app, ["settings", "currency=USD", "time_zone=UTC", "--workspace", path]).exit_code == 0
    result = runner.invoke(app, ["import", "--mapping", recipe, *files, "--workspace", path])
    assert result.exit_code == 1 and "500 rows rejected; every one is in" in result.output
    # the terminal shows the first rejected rows, with the file's own column names
    assert "the first 10 of 500 rows rejected" in result.output and "sales_pipeline.csv" in result.output
    won = runner.invoke(app, ["kpi", "won_value", "--period", "2017", "--format", "csv", "--workspace", path])
    assert won.output.splitlines()[1].split(",")[2] in ("10005534", "10005534.0")
    folder = runner.invoke(app, ["import", "--mapping", recipe, str(maven), "--workspace", path])
    assert folder.exit_code == 2 and "not folders" in folder.output
    missing = runner.invoke(app, ["import", "--mapping", recipe, files[0], "--workspace", path])
    assert missing.exit_code == 2 and "no file named 'sales_teams.csv'" in missing.output


def test_import_through_a_preset(tmp_path):
    path = str(tmp_path / "p.duckdb")
    export = Path(__file__).resolve().parent / "data" / "exports" / "odoo_nl_crm.lead.xlsx"
    result = runner.invoke(app, ["import", "--preset", "odoo", str(export), "--workspace", path])
    assert result.exit_code == 0, result.output
    assert "opportunities" in result.output
    again = runner.invoke(app, ["import", "--preset", "odoo", str(export), "--workspace", path])
    assert again.exit_code == 0
    unknown = runner.invoke(app, ["import", "--preset", "zoho", str(export), "--workspace", path])
    assert unknown.exit_code == 2 and "presets: hubspot, odoo, pipedrive, salesforce" in unknown.output
    both = runner.invoke(app, ["import", "--preset", "odoo", "--mapping", "m.yaml", str(export), "--workspace", path])
    assert both.exit_code == 2 and "not both" in both.output


def test_a_target_set_for_target_attainment_itself_has_a_null_actual(tmp_path):
    """target_attainment is a KPI id, so a target may name it; its actual
    would be the attainment of every target, its own among them: it cannot
    be measured, so the row is there, with null actual and attainment."""
    data = tmp_path / "data"
    shutil.copytree(GOLDEN, data)
    with open(data / "targets.csv", "a", encoding="utf-8") as f:
        f.write("2025-03,target_attainment,,,1\n")
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(data), "--workspace", path]).exit_code == 0
    result = runner.invoke(app, ["kpi", "target_attainment", "revenue", "--period", "2025-03", "--format", "csv",
                                 "--workspace", path, "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    got = {(r["kpi"], r["target_kpi"]): r for r in rows(result.output)}
    itself = got[("target_attainment", "target_attainment")]
    assert (itself["value"], itself["numerator"], itself["denominator"]) == ("", "", "1")
    assert got[("revenue", "")]["value"] != ""
    assert len(got) > 2  # the targets of other KPIs still measured


def test_dates_sets_the_date_order_of_a_presets_files(tmp_path):
    """A Salesforce report of a Dutch user writes 7-1-2025 for 7 January:
    `--dates day_first` reads it so, where the preset's US order would
    silently make it 1 July."""
    export = Path(__file__).resolve().parent / "data" / "exports" / "salesforce_opportunities_report.csv"
    rows = list(csv.reader(export.read_text(encoding="utf-8").splitlines()))
    header, first = rows[0], rows[1]
    day_first = [first[:header.index("Close Date")] + ["14-2-2025", "7-1-2025"] + first[header.index("Created Date") + 1:]]
    dutch = tmp_path / "report.csv"
    with open(dutch, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([header, *day_first])
    path = str(tmp_path / "ws.duckdb")
    result = runner.invoke(app, ["import", "--preset", "salesforce", "--dates", "day_first", str(dutch),
                                 "--workspace", path])
    assert result.exit_code == 0, result.output
    import duckdb

    with duckdb.connect(path, read_only=True) as con:
        got = con.execute("SELECT strftime(created_at, '%Y-%m-%d'), strftime(closed_at, '%Y-%m-%d') "
                          "FROM opportunities").fetchall()
    assert got == [("2025-01-06", "2025-02-13")]  # local midnight in Amsterdam is 23:00 UTC the day before
    wrong = runner.invoke(app, ["import", "--dates", "day_first", str(GOLDEN), "--workspace", path])
    assert wrong.exit_code == 2 and "goes with --mapping or --preset" in wrong.output


def test_decimal_sets_the_decimal_mark_of_a_presets_files(tmp_path):
    """A Dutch Salesforce user's report writes 1.200 for twelve hundred:
    `--decimal ,` reads it so, where nothing in the file tells."""
    report = tmp_path / "report.csv"
    report.write_text('"Opportunity Owner","Opportunity Name","Stage","Created Date","Close Date","Amount"\n'
                      '"Jan","A","Prospecting","4-3-2025","30-4-2025","EUR 1.200"\n', encoding="utf-8")
    path = str(tmp_path / "ws.duckdb")
    told = ["import", "--preset", "salesforce", "--dates", "day_first", str(report), "--workspace", path]
    assert runner.invoke(app, told).exit_code == 1  # rejected, asking for --decimal
    result = runner.invoke(app, told + ["--decimal", ","])
    assert result.exit_code == 0, result.output
    import duckdb

    with duckdb.connect(path, read_only=True) as con:
        assert con.execute("SELECT amount, currency FROM opportunities").fetchall() == [(1200.0, "EUR")]
    for wrong in (["--decimal", ";"], ["--decimal", ",", str(GOLDEN)]):
        args = told + wrong if len(wrong) == 2 else ["import", *wrong, "--workspace", path]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "--decimal is ',' or '.', and goes with --mapping or --preset" in result.output


def test_target_attainment_keeps_its_target_kpi_column_without_targets(tmp_path):
    path = str(tmp_path / "empty.duckdb")
    result = runner.invoke(app, ["kpi", "target_attainment", "--period", "2025-03", "--format", "csv",
                                 "--workspace", path])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "kpi,period,target_kpi,value,numerator,denominator"


@pytest.mark.parametrize("args", [["forecast_accuracy"], ["revenue_growth", "--by", "owner"],
                                  ["revenue_growth_yoy", "--by", "owner"], ["clv_cac_ratio", "--by", "source"]])
def test_composites_over_a_period_without_records(ws, args):
    result = kpi(ws, *args, "--period", "2019-10", "--format", "csv")
    assert result.exit_code == 0, result.output


def test_duckdb_draws_no_progress_bar_into_what_a_command_writes(tmp_path):
    """DuckDB's own progress bar prints to standard output, where `koers kpi
    --format json` writes its answer, on any query longer than two seconds:
    every connection Koers opens has it off (Koers's bars go to stderr)."""
    from koers.engines import connect
    from koers.store import Workspace

    shown = "SELECT current_setting('enable_progress_bar')"
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    with ws.reader() as con:
        assert con.execute(shown).fetchone()[0] is False
    with ws.writer() as con:
        assert con.execute(shown).fetchone()[0] is False
    engine = connect(ws)
    try:
        assert engine.raw_sql(shown).fetchone()[0] is False
    finally:
        engine.disconnect()
    copied = Workspace.open(f"spark:{tmp_path / 'spark'}")  # loaded into an in-memory DuckDB
    with copied.reader() as con:
        assert con.execute(shown).fetchone()[0] is False


@pytest.mark.parametrize("value, text", [(5e-06, "0.000005"), (-3.2e-07, "-0.00000032"), (1234.5, "1234.5"),
                                         (2 / 3, "0.6666666666666666"), (1.5e16, "15000000000000000"),
                                         (3000.0, "3000"), (float("nan"), ""), (float("inf"), ""),
                                         (float("-inf"), "")])
def test_numbers_are_written_plain_in_full_precision(value, text):
    """cli.md: numbers are plain (1234.5), full precision: never 5e-06,
    and the text reads back as the same float."""
    from koers.output import plain

    assert plain(value) == text
    assert text == "" or float(text) == value


def imported(tmp_path: Path, **tables: str) -> str:
    """A workspace holding the canonical files given as name=text."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(folder), "--workspace", path]).exit_code == 0
    return path


def test_an_overflowing_sum_is_no_figure_in_csv_or_json(tmp_path):
    """Two amounts of 1e308 sum to infinity, which JSON cannot hold and no
    one can read as a figure: an empty value, null in JSON."""
    path = imported(tmp_path, customers="customer_id,acquired_on\nC1,2024-01-01\n",
                    orders="order_id,customer_id,ordered_on,amount\nX1,C1,2025-07-01,1e308\nX2,C1,2025-07-02,1e308\n")
    ask = ["kpi", "revenue", "--period", "2025-07", "--as-of", "2026-01-01", "--workspace", path, "--format"]
    assert runner.invoke(app, [*ask, "csv"]).output.splitlines()[1] == "revenue,2025-07-01,,,"
    assert json.loads(runner.invoke(app, [*ask, "json"]).output)[0]["value"] is None


def test_stale_deals_without_any_stage_are_no_figure(tmp_path):
    """Stale means in a stage too long: without stage history no deal entered
    one, and 0 would be a wrong number."""
    path = imported(tmp_path, reps="rep_id,name,hired_on\nR1,Ann,2020-01-01\n",
                    opportunities="opportunity_id,owner_id,created_at,status,amount\nO1,R1,2025-01-01T10:00:00,open,100\n")
    result = runner.invoke(app, ["kpi", "stale_opportunities", "--period", "2025-07", "--as-of", "2026-01-01",
                                 "--format", "csv", "--workspace", path])
    assert result.exit_code == 0 and "stage_history" in result.output
    assert "stale_opportunities,2025-07-01,,," in result.output


def test_a_kpi_asked_twice_has_its_rows_once_and_kpis_takes_a_workspace(ws):
    result = kpi(ws, "leads", "win_rate", "leads", "--period", "2025-03", "--format", "csv")
    assert [r["kpi"] for r in rows(result.output)] == ["leads", "win_rate"]
    listed = runner.invoke(app, ["kpis", "--format", "csv", "--workspace", ws])
    assert listed.exit_code == 0 and [r["id"] for r in rows(listed.output)] == [k.id for k in CATALOG]


def test_a_message_is_one_line_however_long(ws):
    result = kpi(ws, "leads", "--by", "colour")
    assert result.exit_code == 2
    line = next(x for x in result.output.splitlines() if "valid dimensions" in x)
    assert len(line) > 80 and line.endswith("segment, industry, company_size, product")


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31T00:00:00"])
def test_an_as_of_outside_the_years_koers_answers_for_exits_2(ws, as_of):
    result = runner.invoke(app, ["kpi", "rep_ramp_time", "--period", "2025-03", "--as-of", as_of, "--workspace", ws])
    assert result.exit_code == 2 and "outside the years Koers answers for" in result.output


def test_ramp_time_dates_an_activity_of_any_year(tmp_path):
    """The local date of a rep's first outreach, in 1999 as in 2025: 23:30Z
    on 29 March 2025 is 00:30 on the 30th in Amsterdam, a day after the hire."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "reps.csv").write_text("rep_id,name,hired_on\nR1,Old,1999-06-01\nR2,New,2025-03-29\n")
    (data / "activities.csv").write_text(
        "activity_id,owner_id,type,done_at\nA1,R1,call,1999-07-01T10:00:00\nA2,R2,email,2025-03-29T23:30:00Z\n")
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(data), "--workspace", path]).exit_code == 0
    result = runner.invoke(app, ["kpi", "rep_ramp_time", "--period", "1999-06..2025-03", "--as-of", AS_OF,
                                 "--format", "csv", "--workspace", path])
    got = {r["period"]: r["value"] for r in rows(result.output) if r["value"]}
    assert got == {"1999-06-01": "30", "2025-03-01": "1"}


# -- several programs at one DuckDB file ----------------------------------------------
_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _holding(path: str, mode: str, seconds: float):
    """Another program with the file open ("read" or "write") for `seconds`; returns once it holds it."""
    import subprocess
    import sys

    held = subprocess.Popen([sys.executable, "-c", _HOLD, path, mode, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert held.stdout.readline().strip() == "holding"
    return held


def test_kpi_runs_and_exports_read_a_file_another_program_reads(ws, tmp_path):
    reader = _holding(ws, "read", 30)
    try:
        result = kpi(ws, "won_value", "--period", "2025-03", "--format", "csv")
        assert result.exit_code == 0, result.output
        assert rows(result.output)[0]["value"] != ""
        assert runner.invoke(app, ["export", str(tmp_path / "out"), "--workspace", ws]).exit_code == 0
    finally:
        reader.kill()
        reader.wait()


def test_a_kpi_run_waits_for_a_writer_and_then_says_it_is_busy(ws, monkeypatch):
    writer = _holding(ws, "write", 1.5)
    try:
        monkeypatch.setenv("KOERS_LOCK_WAIT", "30")
        assert kpi(ws, "won_value", "--period", "2025-03", "--format", "csv").exit_code == 0  # after the writer
    finally:
        writer.wait()
    writer = _holding(ws, "write", 30)
    try:
        monkeypatch.setenv("KOERS_LOCK_WAIT", "0.3")
        busy = kpi(ws, "won_value", "--period", "2025-03", "--format", "csv")
        assert busy.exit_code == 2
        said = " ".join(busy.output.split())
        assert "is in use by another program" in said and "PID" in said and "See also" not in said
        monkeypatch.setenv("KOERS_LOCK_WAIT", "nan")  # never "wait for ever"
        assert "KOERS_LOCK_WAIT is a number of seconds, not 'nan'" in kpi(ws, "won_value", "--period", "2025-03").output
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.parametrize("first", ["Demo", "Intake"])
def test_history_rows_at_one_instant_in_stages_of_one_sequence_follow_one_order(tmp_path, first):
    """Two rows entered at one instant, their stages of one sequence: the
    stays do not depend on which row the file lists first (stage name decides)."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name,hired_on\nR1,Anna,2024-01-01\n")
    (folder / "stages.csv").write_text("stage,sequence,probability,kind\nNew,1,10,open\nDemo,2,30,open\n"
                                       "Intake,2,30,open\nWon,3,100,won\n")
    (folder / "opportunities.csv").write_text(
        "opportunity_id,owner_id,created_at,closed_at,status,stage,amount\n"
        "O1,R1,2025-07-01T10:00:00,2025-07-20T10:00:00,won,Won,1000\n")
    tied = ["O1,Demo,2025-07-05T10:00:00", "O1,Intake,2025-07-05T10:00:00"]
    tied = tied if first == "Demo" else tied[::-1]
    (folder / "stage_history.csv").write_text("\n".join(
        ["opportunity_id,stage,entered_at", "O1,New,2025-07-01T10:00:00", *tied, "O1,Won,2025-07-20T10:00:00"]) + "\n")
    path = str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["import", str(folder), "--workspace", path]).exit_code == 0
    stays = rows(kpi(path, "stage_duration", "--period", "2025-07", "--by", "stage", "--format", "csv").output)
    assert {r["stage"]: float(r["value"]) for r in stays} == {"New": 4.0, "Demo": 0.0, "Intake": 15.0}


def test_a_target_whose_kpi_has_no_data_says_which_table_it_needs(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name,hired_on\nR1,Anna,2024-01-01\n")
    (folder / "targets.csv").write_text("period,kpi,rep_id,team,value\n2025-03,revenue,,,1000\n"
                                        "2025-03,won_value,,,500\n")
    path = str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["import", str(folder), "--workspace", path]).exit_code == 0
    result = kpi(path, "target_attainment", "--period", "2025-03", "--format", "csv")
    assert result.exit_code == 0
    said = " ".join(result.output.split())
    assert "target_attainment: the actual of revenue needs the table orders" in said
    assert "target_attainment: the actual of won_value needs the table opportunities" in said
    assert "target_attainment,2025-03-01,revenue,,,1000" in result.output


def test_a_writer_waits_for_the_readers_of_its_own_program(ws, monkeypatch):
    """A web server's settings form writes a file its pages read: the write
    waits for a page's read to end, as it would for another program's."""
    import threading

    from koers.store import Workspace

    monkeypatch.setenv("KOERS_LOCK_WAIT", "30")
    reading, opened, done = Workspace.open(ws, read_only=True), threading.Event(), threading.Event()

    def read_a_while():
        with reading.reader() as con:
            opened.set()
            con.execute("SELECT count(*) FROM opportunities").fetchone()
            done.wait(0.5)

    page = threading.Thread(target=read_a_while)
    page.start()
    opened.wait(10)
    Workspace.open(ws).set_settings(stale_days=45.0)
    assert not page.is_alive()  # the write came after the read
    page.join()
    assert Workspace.open(ws, read_only=True).settings().stale_days == 45.0


def test_a_writer_says_it_waits_beside_the_file_and_a_note_no_writer_holds_is_ignored(ws, monkeypatch, tmp_path):
    import os
    import threading
    import time

    from koers.store import Workspace, writers_waiting

    assert not writers_waiting(ws)
    # a note its writer no longer holds (killed while it waited), though its PID lives (1, another program's now)
    left = Path(f"{ws}.waiting-1-1")
    half = Path(ws).with_name(f".{Path(ws).name}.waiting-1-2")  # killed while it made its note
    left.touch()
    half.touch()
    assert not writers_waiting(ws) and not left.exists() and not half.exists()
    monkeypatch.setenv("KOERS_LOCK_WAIT", "3")
    seen = []

    def watch():
        for _ in range(40):
            seen.append(writers_waiting(ws))
            link = tmp_path / "link.duckdb"  # a server may name the file by another path
            if not link.exists():
                os.symlink(ws, link)
            seen.append(writers_waiting(str(link)))
            time.sleep(0.05)

    reader = _holding(ws, "read", 30)
    try:
        watcher = threading.Thread(target=watch)
        watcher.start()
        with pytest.raises(WorkspaceError, match="in use by another program"):
            Workspace.open(ws).set_settings(stale_days=40.0)
        watcher.join()
    finally:
        reader.kill()
        reader.wait()
    said = [notes for notes in seen if notes]
    assert said and said[0] == said[-1] and len(said[0]) == 1  # one note, seen by both names, while it waited
    assert not writers_waiting(ws)  # and none once it gave up
    assert not [p for p in Path(ws).parent.iterdir() if "waiting" in p.name]


def test_one_program_reads_a_file_it_holds_open_for_writing_and_waits_to_write_one_it_reads(ws, monkeypatch):
    """DuckDB refuses two ways of opening one file in one program (a test, a
    script embedding Koers): a read-only open reads through the writer's way;
    a writer while read-only readers stay open waits for them, then is told why it cannot."""
    from koers.engines import close, connect
    from koers.store import Workspace

    held = connect(Workspace.open(ws))  # read-write, as a web server's
    try:
        result = kpi(ws, "won_value", "--period", "2025-03", "--format", "csv")
        assert result.exit_code == 0 and rows(result.stdout)[0]["value"] != ""
    finally:
        close(held)
    reading = Workspace.open(ws, read_only=True)
    monkeypatch.setenv("KOERS_LOCK_WAIT", "0.2")
    with reading.reader():
        with pytest.raises(WorkspaceError, match=r"is open read-only in this program \(which now wants to write "
                                                 r"it\) and stayed so for 0.2 s"):
            with Workspace.open(ws).writer():
                pass


def test_a_stock_kpis_target_for_a_scope_without_records_has_an_actual_of_0(tmp_path):
    """The auditor's case: R2 and team South have no opportunities and no
    activities. Their open pipeline (a stock at end(P)), its count and R2's
    activities per week are 0, as `koers kpi K --where owner=R2` says, so
    target_attainment's actual is 0 and the attainment 0, not empty; and
    pipeline_coverage against April's won_value target is 0 too."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "reps.csv").write_text("rep_id,name,team,role,hired_on\n"
                                   "R1,Ann,North,field_sales,2020-01-01\nR2,Bob,South,field_sales,2020-01-01\n")
    (data / "opportunities.csv").write_text("opportunity_id,owner_id,created_at,status,amount\n"
                                            "P1,R1,2025-03-05T10:00:00,open,100\n")
    (data / "activities.csv").write_text("activity_id,owner_id,type,done_at\nA1,R1,call,2025-03-05T10:00:00\n")
    (data / "targets.csv").write_text(
        "period,kpi,rep_id,team,value\n2025-03,open_pipeline_value,R1,,200\n2025-03,open_pipeline_value,R2,,200\n"
        "2025-03,open_pipeline_count,R2,,2\n2025-03,activities_per_rep_week,R2,,5\n"
        "2025-03,open_pipeline_value,,South,300\n2025-04,won_value,R2,,1000\n2025-04,won_value,,South,1000\n")
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(data), "--workspace", path]).exit_code == 0

    def ask(*args):
        result = runner.invoke(app, ["kpi", *args, "--period", "2025-03", "--as-of", "2025-12-01", "--format", "csv",
                                     "--workspace", path])
        assert result.exit_code == 0, result.output
        return rows(result.output)

    def triple(r):
        return r["value"], r["numerator"], r["denominator"]

    by_owner = {(r["target_kpi"], r["owner"]): triple(r) for r in ask("target_attainment", "--by", "owner")}
    assert by_owner == {("open_pipeline_value", "R1"): ("0.5", "100", "200"),
                        ("open_pipeline_value", "R2"): ("0", "0", "200"),
                        ("open_pipeline_count", "R2"): ("0", "0", "2"),
                        ("activities_per_rep_week", "R2"): ("0", "0", "5")}
    assert [triple(r) for r in ask("target_attainment", "--by", "team")] == [("0", "0", "300")]
    own = ask("open_pipeline_value", "open_pipeline_count", "activities_per_rep_week", "--where", "owner=R2")
    assert [r["value"] for r in own] == ["0", "0", "0"]
    # --where gives the same rows as --by, for the same scope
    assert {r["target_kpi"]: triple(r) for r in ask("target_attainment", "--where", "owner=R2")} == {
        k: v for (k, who), v in by_owner.items() if who == "R2"}
    coverage = {r["owner"]: triple(r) for r in ask("pipeline_coverage", "--by", "owner")}
    assert coverage == {"R1": ("", "100", ""), "R2": ("0", "0", "1000")}
    assert [triple(r) for r in ask("pipeline_coverage", "--by", "team")] == [("", "100", ""), ("0", "0", "1000")]


def test_the_warning_of_absent_tables_names_them_in_number():
    from koers.kpis.compute import _needs

    assert _needs(["orders"]) == "needs the table orders, which is absent or empty"
    assert _needs(["orders", "costs"]) == "needs the tables orders, costs, which are absent or empty"


def test_python_dash_m_koers_is_the_cli():
    """Where the `koers` script is not on the PATH (a venv not activated)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "koers", "kpi", "no_such_kpi"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown KPI" in done.stderr + done.stdout
    # as the module of the CLI too, with every command group (they add themselves to the app)
    done = subprocess.run([sys.executable, "-m", "koers.cli", "alerts", "list", "--help"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "Usage: python -m koers.cli alerts list" in done.stdout


@pytest.mark.parametrize("kpi_ids, by", [
    (["won_value", "win_rate", "leads", "lead_response_time"], "owner"),
    (["revenue", "churn_rate"], "segment"),
    (["target_attainment", "open_pipeline_value"], None),
])
def test_compare_sets_each_figure_beside_the_row_koers_kpi_gives_for_the_period_before(ws, kpi_ids, by):
    split = ["--by", by] if by else []
    asked = rows(kpi(ws, *kpi_ids, "--period", "2025-01..2025-04", *split, "--compare", "previous",
                     "--format", "csv").output)
    alone = rows(kpi(ws, *kpi_ids, "--period", "2024-12..2025-03", *split, "--format", "csv").output)
    keys = [c for c in asked[0] if c not in ("period", "value", "numerator", "denominator")
            and not c.startswith(("compared_", "change"))]
    before = {(r["period"], *(r[c] for c in keys)): r for r in alone}
    matched = 0
    for r in asked:
        month = r["period"][:7]
        previous = f"{int(month[:4]) - 1}-12-01" if month.endswith("-01") else f"{month[:5]}{int(month[5:]) - 1:02}-01"
        assert r["compared_period"] == previous
        found = before.get((previous, *(r[c] for c in keys)))
        kpi_def = CATALOG_BY_ID[r["kpi"]]
        if found is None:  # no row then: a group without records, as koers kpi --where would give it
            assert r["compared_value"] == ("" if kpi_def.is_ratio or kpi_def.id == "lead_response_time" else "0")
            continue
        matched += 1
        assert (r["compared_value"], r["compared_numerator"], r["compared_denominator"]) == \
               (found["value"], found["numerator"], found["denominator"])
        if r["value"] and found["value"] and (kpi_def.is_ratio or float(found["value"])):
            now, then = float(r["value"]), float(found["value"])
            expected = (now - then) * 100 if kpi_def.is_ratio else (now - then) / abs(then)
            assert float(r["change"]) == pytest.approx(expected)
            assert r["change_unit"] == ("pp" if kpi_def.is_ratio else "%")
        else:
            assert r["change"] == ""
    assert matched > 3


def test_compare_with_a_year_earlier_and_in_a_table(ws):
    weeks = rows(kpi(ws, "leads", "--period", "2026-W53", "--compare", "year", "--format", "csv").output)
    assert weeks[0]["compared_period"] == "" and weeks[0]["compared_value"] == ""  # a week 53 has no twin
    year = rows(kpi(ws, "won_value", "--period", "2025-03", "--compare", "year", "--format", "csv").output)
    assert year[0]["compared_period"] == "2024-03-01"
    shown = kpi(ws, "win_rate", "--period", "2025-03", "--compare", "previous", "--lang", "nl").output
    assert "Vorige" in shown and "Verandering" in shown and " pp" in shown
    assert "Jaar eerder" in kpi(ws, "win_rate", "--period", "2025-03", "--compare", "year", "--lang", "nl").output
    wrong = kpi(ws, "win_rate", "--compare", "targets")
    assert wrong.exit_code == 2 and "--compare must be one of: previous, year, target" in wrong.output


@pytest.mark.parametrize("period, split", [("2025-03", ["--by", "owner"]), ("2025-Q1", ["--by", "team"]),
                                           ("2025-W13", ["--by", "team"]), ("2025-01..2025-04", []),
                                           ("2025-03", ["--where", "owner=R1"]), ("2025", ["--grain", "week"])])
def test_compare_with_the_target_sets_each_figure_beside_its_target_attainment_denominator(ws, period, split):
    asked = rows(kpi(ws, "won_value", "revenue", "leads", "win_rate", "activity_points", "target_attainment",
                     "--period", period, *split, "--compare", "target", "--format", "csv").output)
    attained = rows(kpi(ws, "target_attainment", "--period", period, *split, "--format", "csv").output)
    by = split[1] if split[:1] == ["--by"] else None
    targets = {(r["target_kpi"], r["period"], r.get(by)): r["denominator"] for r in attained}
    compared = 0
    for r in asked:
        target = targets.get((r["kpi"], r["period"], r.get(by)))
        if target is None or r["kpi"] == "target_attainment":
            assert (r["compared_period"], r["compared_value"], r["change"]) == (r["period"], "", "")
            continue
        compared += 1
        assert (r["compared_period"], float(r["compared_value"])) == (r["period"], float(target))
        assert (r["compared_numerator"], r["compared_denominator"]) == ("", "")
        if r["value"] and float(target):
            now, goal = float(r["value"]), float(target)
            ratio = CATALOG_BY_ID[r["kpi"]].is_ratio
            assert float(r["change"]) == pytest.approx((now - goal) * 100 if ratio else (now - goal) / abs(goal))
    assert compared


def test_compare_with_the_target_paces_a_flow_while_its_period_runs(ws, tmp_path):
    """At 16 March 12:00, 372 of March's 743 hours (the spring DST change
    takes one) have passed: a flow's pace is its figure over its target
    prorated to 372/743; a ratio, a stock and a period over at T have none."""
    asked = ["won_value", "leads", "activity_points", "win_rate", "open_pipeline_value", "--period", "2025-02..2025-03",
             "--by", "owner", "--compare", "target", "--workspace", ws, "--as-of", "2025-03-16T12:00:00+01:00"]
    got = rows(runner.invoke(app, ["kpi", *asked, "--format", "csv"]).output)
    paced = set()
    for r in got:
        if r["period"] == "2025-03-01" and CATALOG_BY_ID[r["kpi"]].additive and r["compared_value"]:
            assert float(r["pace"]) == pytest.approx(float(r["value"]) / (float(r["compared_value"]) * 372 / 743))
            paced.add(r["kpi"])
        else:
            assert r["pace"] == "", r
    assert paced == {"won_value", "leads", "activity_points"}
    assert {r["kpi"] for r in got if r["compared_value"]} > paced  # win_rate's target, not paced
    shown = runner.invoke(app, ["kpi", *asked], env={"COLUMNS": "160"}).output
    assert "Pace" in shown and "133.2%" in shown  # R1's won value: 10,000 of 15,000 at 372/743 of March
    assert "Tempo" in runner.invoke(app, ["kpi", *asked, "--lang", "nl"], env={"COLUMNS": "160"}).output
    from openpyxl import load_workbook

    assert runner.invoke(app, ["kpi", *asked, "--format", "xlsx", "-o", str(tmp_path / "p.xlsx")]).exit_code == 0
    sheet = load_workbook(tmp_path / "p.xlsx").worksheets[0]
    heads = [c.value for c in sheet[1]]
    cells = [r[heads.index("Pace")] for r in sheet.iter_rows(min_row=2) if r[heads.index("Pace")].value is not None]
    assert len(cells) == sum(r["pace"] != "" for r in got) and all(c.number_format == "0.0%" for c in cells)
    over = rows(kpi(ws, "won_value", "--period", "2025-03", "--by", "owner", "--compare", "target", "--format", "csv").output)
    assert over and all(r["pace"] == "" for r in over)  # T after March: its attainment alone
    assert "Pace" not in kpi(ws, "won_value", "--period", "2025-03", "--by", "owner", "--compare", "target").output


def test_compare_with_the_target_of_a_split_targets_are_not_set_by_says_so(ws):
    wrong = kpi(ws, "won_value", "--period", "2025-03", "--by", "region", "--compare", "target")
    assert wrong.exit_code == 2
    assert "targets are set for a rep, a team or the company" in wrong.output and "not region" in wrong.output
    shown = kpi(ws, "won_value", "--period", "2025-03", "--by", "owner", "--compare", "target", "--lang", "nl")
    assert shown.exit_code == 0 and "Doel" in shown.output and "Verandering" in shown.output


def test_kpis_shows_what_a_kpi_means_and_lists_every_id_whole():
    listed = runner.invoke(app, ["kpis"]).output
    lines = listed.splitlines()
    for k in CATALOG:  # the ids `koers kpi` takes, whole, in a terminal of 80 columns
        assert any(line.startswith(f" {k.id} ") for line in lines)
    assert max(len(line) for line in lines) <= 80 and "…" not in listed
    dutch = runner.invoke(app, ["kpis", "--lang", "nl"])
    assert "Koers KPI-catalogus" in dutch.output and "Naam" in dutch.output and "Eenheid" in dutch.output
    win_rate = next(line for line in dutch.output.splitlines() if line.startswith(" win_rate "))
    assert [cell.strip() for cell in win_rate.split("│")] == ["win_rate", "Winpercentage", "inzicht", "verhouding",
                                                              "hoger"]
    assert "…" not in dutch.output and "koers kpis ID toont de definitie" in dutch.output
    card = runner.invoke(app, ["kpis", "win_rate", "clv", "--lang", "nl"])
    assert card.exit_code == 0
    lines = card.output.splitlines()
    assert lines[:3] == ["Winpercentage (win_rate)", "Soort: inzicht, verhouding; beter: hoger",
                         "Definitie: gewonnen / (gewonnen + verloren) over de deals gesloten in P"]
    assert "Klantlevensduurwaarde (clv)" in card.output and "owner (Verkoper)" in card.output
    assert "Records achter een cijfer: koers drill win_rate" in card.output
    cac = " ".join(runner.invoke(app, ["kpis", "cac"]).output.split())
    assert "Records behind a figure: its parts' (new_customers); also koers drill cac --table costs" in cac
    as_csv = rows(runner.invoke(app, ["kpis", "win_rate", "--format", "csv"]).output)
    assert [r["id"] for r in as_csv] == ["win_rate"]
    wrong = runner.invoke(app, ["kpis", "win_rat"])
    assert wrong.exit_code == 2 and "unknown KPI win_rat" in wrong.output


def test_imports_lists_what_wrote_the_workspace_newest_first(tmp_path):
    path = str(tmp_path / "ws.duckdb")
    empty = runner.invoke(app, ["imports", "--workspace", path])
    assert empty.exit_code == 0 and "nothing was imported into this workspace yet" in empty.output
    assert runner.invoke(app, ["import", str(GOLDEN), "--workspace", path]).exit_code == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "reps.csv").write_text("rep_id,name,hired_on\nR9,Nieuw,2025-01-01\nR10,Fout,nooit\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(bad), "--workspace", path]).exit_code == 1
    assert runner.invoke(app, ["import", str(bad), "--check", "--workspace", path]).exit_code == 1  # not logged
    logged = rows(runner.invoke(app, ["imports", "--workspace", path, "--format", "csv"]).output)
    golden_rows = str(sum(len(f.read_text(encoding="utf-8").splitlines()) - 1 for f in GOLDEN.glob("*.csv")))
    assert [(r["origin"], r["read"], r["written"], r["rejected"]) for r in logged] == [
        (str(bad.resolve()), "2", "1", "1"), (str(GOLDEN.resolve()), golden_rows, golden_rows, "0")]
    assert logged[0]["rejects_path"].endswith("rejects.csv") and logged[1]["rejects_path"] == ""
    assert logged[0]["imported_at"][-6:] in ("+01:00", "+02:00")  # local time with its offset
    assert len(rows(runner.invoke(app, ["imports", "--limit", "1", "--workspace", path, "--format", "csv"]).output)) == 1
    shown = runner.invoke(app, ["imports", "--workspace", path]).output
    assert "imported" in shown and golden_rows in shown
    # an import's id: the rows it rejected, as its rejects file lists them
    rejected = rows(runner.invoke(app, ["imports", logged[0]["import_id"], "--format", "csv", "--workspace", path]).output)
    assert rejected == [{"file": "reps.csv", "line": "3", "column": "hired_on", "value": "nooit",
                         "reason": "not a date (YYYY-MM-DD)"}]
    table = runner.invoke(app, ["imports", logged[0]["import_id"], "--workspace", path]).output
    assert "hired_on" in table and "nooit" in table
    clean = runner.invoke(app, ["imports", logged[1]["import_id"], "--workspace", path])
    assert clean.exit_code == 0 and "rejected no row" in clean.output
    unknown = runner.invoke(app, ["imports", "nope", "--workspace", path])
    assert unknown.exit_code == 2 and "no import 'nope'" in unknown.output



def test_kpi_as_a_workbook_holds_the_csv_rows_as_numbers_with_names_and_definitions(ws, tmp_path):
    from openpyxl import load_workbook

    asked = ["won_value", "win_rate", "target_attainment", "--period", "2025-Q1", "--grain", "month", "--by", "owner"]
    csv_rows = rows(kpi(ws, *asked, "--format", "csv").output)
    book = tmp_path / "k.xlsx"
    made = kpi(ws, *asked, "--format", "xlsx", "--output", str(book), "--lang", "nl")
    assert made.exit_code == 0 and f"wrote {book}" in made.output
    wb = load_workbook(book)
    assert wb.sheetnames == ["KPI's", "Definities"]
    sheet = list(wb["KPI's"].iter_rows(values_only=True))
    heads = sheet[0]
    assert heads[:4] == ("KPI", "KPI: naam", "Periode", "Periode (notatie)")
    assert len(sheet) - 1 == len(csv_rows) > 0
    for line, expected in zip(sheet[1:], csv_rows):
        got = dict(zip(heads, line))
        assert got["KPI"] == expected["kpi"] and got["Periode"].date().isoformat() == expected["period"]
        assert got["Verkoper"] == (expected["owner"] or None)
        for head, column in (("Waarde", "value"), ("Teller", "numerator"), ("Noemer", "denominator")):
            if expected[column] == "":
                assert got[head] is None
            else:  # a number, not text: the sheet sums and charts it
                assert isinstance(got[head], int | float) and got[head] == pytest.approx(float(expected[column]))
    ratio = next(r for r in wb["KPI's"].iter_rows(min_row=2) if r[0].value == "win_rate" and r[8].value is not None)
    assert ratio[8].number_format == "0.0%"
    defined = {r[0]: r for r in wb["Definities"].iter_rows(min_row=2, values_only=True)}
    assert {"won_value", "win_rate", "target_attainment"} <= set(defined)
    assert defined["win_rate"][4] == CATALOG_BY_ID["win_rate"].definition_in("nl")
    piped = kpi(ws, "won_value", "--period", "2025-Q1", "--format", "xlsx")  # not a terminal: to standard output
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"PK")
    table = kpi(ws, "won_value", "--output", str(tmp_path / "t.txt"))
    assert table.exit_code == 2 and "a table is for the terminal" in table.output
    as_csv = kpi(ws, "won_value", "--period", "2025-Q1", "--format", "csv", "-o", str(tmp_path / "k.csv"))
    assert as_csv.exit_code == 0 and (tmp_path / "k.csv").read_text().startswith("kpi,period,value")


def test_compare_with_the_target_passes_on_warnings_of_the_targets_only():
    import pandas as pd

    from koers.kpis.compare import beside_targets
    from koers.kpis.compute import Result

    asked = Result(pd.DataFrame({"kpi": ["won_value"], "period": ["2025-03-01"], "value": [5.0],
                                 "numerator": [None], "denominator": [None]}), [])
    targets = Result(pd.DataFrame({"period": ["2025-03-01"], "target_kpi": ["won_value"], "value": [0.5],
                                   "numerator": [5.0], "denominator": [10.0]}),
                     ["target_attainment: the actual of nps needs the table nps, which is absent or empty; its "
                      "attainment is empty", "target_attainment: needs the table targets, which is absent or empty"])
    shown = beside_targets(asked, targets, [])
    assert shown.warnings == ["target_attainment: needs the table targets, which is absent or empty"]
    assert shown.rows.iloc[0]["compared_value"] == 10.0 and shown.rows.iloc[0]["change"] == pytest.approx(-0.5)


def test_compare_with_the_target_in_a_workspace_without_targets_says_the_table_is_missing(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(GOLDEN, folder)
    (folder / "targets.csv").unlink()
    path = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["import", str(folder), "--workspace", path]).exit_code == 0
    shown = runner.invoke(app, ["kpi", "won_value", "--period", "2025-03", "--compare", "target", "--format", "csv",
                                "--workspace", path, "--as-of", "2026-01-01T00:00:00+01:00"])
    assert shown.exit_code == 0
    assert "target_attainment: needs the table targets, which is absent or empty" in shown.output
    assert rows(shown.stdout)[0]["compared_value"] == ""
