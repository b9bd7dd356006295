"""The presets for CRM exports, on sample exports shaped as each product writes them.

The expected rows are the sample files read by hand: status from each vendor's
own notion (Odoo: probability 100 is won, archived with probability 0 is lost;
Salesforce: Closed Won/Closed Lost; HubSpot: the closed stages; Pipedrive: the
deal's status), closed_at only for closed deals.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.importers.mapping import MappingError, import_mapped
from koers.importers.presets import PRESETS, expected_columns, preset_path
from koers.kpis.compute import compute
from koers.periods import parse_spec
from koers.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = Path(__file__).parent / "data" / "exports"

ODOO_NL = """
    Kantoormeubilair Delft | Sanne de Vries | won | Gewonnen | 12500.0 | 2025-01-06 09:15 | 2025-02-14 16:40
    Serverkasten Zwolle | Joost Bakker | open | Voorstel | 8400.5 | 2025-01-13 10:00 | -
    Bureaustoelen Utrecht | Joost Bakker | lost | Gekwalificeerd | 5600.0 | 2025-01-20 11:00 | 2025-03-03 11:00
    Laptops Groningen | Sanne de Vries | won | Gewonnen | 18000.0 | 2025-01-27 08:00 | 2025-03-31 17:30
    Licenties Haarlem | Sanne de Vries | open | Nieuw | 3000.0 | 2025-02-03 08:30 | -
    Koffieautomaten Breda | Sanne de Vries | won | Gewonnen | 2350.75 | 2025-02-10 14:05 | 2025-03-20 09:00
    Printers Den Bosch | Mitchell Admin | lost | Voorstel | 4100.0 | 2025-02-17 09:00 | 2025-03-25 15:30
    Netwerk Amersfoort | Joost Bakker | open | Gekwalificeerd | 9900.0 | 2025-03-03 13:45 | -
    Beamers Leiden | Mitchell Admin | open | Nieuw | 1200.0 | 2025-03-10 10:20 | -
    Telefonie Arnhem | Joost Bakker | open | Voorstel | 6750.0 | 2025-03-17 09:30 | -
    Archiefkasten Venlo | Mitchell Admin | open | Nieuw | 800.0 | 2025-03-24 11:10 | -
    Schermen Tilburg | Sanne de Vries | lost | Gekwalificeerd | 4300.0 | 2025-03-26 15:00 | 2025-04-08 10:00
"""
ODOO_EN = """
    __export__.crm_lead_11_4f1a2b3c | Emma Clarke | won | Won | 24000.0 | 2025-01-07 09:00 | 2025-02-20 15:00
    __export__.crm_lead_12_5a6b7c8d | Tom Becker | open | Proposition | 4500.0 | 2025-01-09 11:30 | -
    __export__.crm_lead_13_6c7d8e9f | Emma Clarke | lost | Qualified | 19800.0 | 2025-01-15 14:00 | 2025-03-10 10:00
    __export__.crm_lead_14_7e8f9a0b | Tom Becker | open | New | 11000.0 | 2025-02-02 08:45 | -
    __export__.crm_lead_15_8a9b0c1d | Emma Clarke | won | Won | 7300.5 | 2025-02-05 10:15 | 2025-03-14 12:00
    __export__.crm_lead_16_9b0c1d2e | Tom Becker | open | Qualified | 6000.0 | 2025-02-11 16:20 | -
    __export__.crm_lead_17_0c1d2e3f | Emma Clarke | lost | Proposition | 3200.0 | 2025-02-18 09:05 | 2025-03-28 09:00
    __export__.crm_lead_18_1d2e3f4a | Tom Becker | open | New | 1500.0 | 2025-03-01 13:00 | -
    __export__.crm_lead_19_2e3f4a5b | Emma Clarke | won | Won | 9800.0 | 2025-03-04 10:40 | 2025-04-01 11:15
    __export__.crm_lead_20_3f4a5b6c | Tom Becker | open | Proposition | 35000.0 | 2025-03-12 15:30 | -
    __export__.crm_lead_21_4a5b6c7d | Emma Clarke | open | Qualified | 2500.0 | 2025-03-19 11:00 | -
    __export__.crm_lead_22_5b6c7d8e | Tom Becker | lost | New | 800.0 | 2025-03-25 09:50 | 2025-04-09 16:00
"""
SALESFORCE = """
    0065g00000AbCd1AAF | Olivia Martin | won | Closed Won | 48000.0 | 2025-01-07 00:00 | 2025-02-14 00:00
    0065g00000AbCd3AAF | Priya Shah | lost | Closed Lost | 12000.0 | 2025-01-17 00:00 | 2025-03-03 00:00
    0065g00000AbCd2AAF | James Lee | open | Negotiation/Review | 125500.0 | 2025-01-20 00:00 | -
    0065g00000AbCd5AAF | James Lee | won | Closed Won | 210000.0 | 2025-02-04 00:00 | 2025-03-28 00:00
    0065g00000AbCd7AAF | Olivia Martin | lost | Closed Lost | 55000.0 | 2025-02-20 00:00 | 2025-03-21 00:00
    0065g00000AbCd4AAF | Olivia Martin | open | Proposal/Price Quote | 67250.5 | 2025-02-24 00:00 | -
    0065g00000AbCd9AAF | Priya Shah | won | Closed Won | 18750.0 | 2025-03-01 00:00 | 2025-03-31 00:00
    0065g00000AbCd6AAF | Priya Shah | open | Qualification | 30000.0 | 2025-03-17 00:00 | -
    0065g00000AbCe0AAF | Olivia Martin | open | Value Proposition | 95000.0 | 2025-03-20 00:00 | -
    0065g00000AbCd8AAF | James Lee | open | Prospecting | 8900.0 | 2025-03-25 00:00 | -
    0065g00000AbCe1AAF | James Lee | open | Id. Decision Makers | 150000.0 | 2025-03-27 00:00 | -
    0065g00000AbCe2AAF | Priya Shah | open | Needs Analysis | 22400.0 | 2025-03-30 00:00 | -
"""
HUBSPOT = """
    18452671201 | Lena Fischer | won | Closed Won | 15000.0 | 2025-01-08 09:12 | 2025-02-12 10:00
    18452671202 | Marco Rossi | open | Contract Sent | 32000.0 | 2025-01-14 13:40 | -
    18452671203 | Lena Fischer | lost | Closed Lost | 9000.0 | 2025-01-22 08:30 | 2025-03-05 12:00
    18452671204 | Marco Rossi | open | Qualified To Buy | 4200.5 | 2025-02-03 15:05 | -
    18452671205 | Marco Rossi | won | Closed Won | 7800.0 | 2025-02-06 10:20 | 2025-03-18 16:30
    18452671206 | Lena Fischer | open | Appointment Scheduled | 12000.0 | 2025-02-19 11:00 | -
    18452671207 | Lena Fischer | open | Presentation Scheduled | 27500.0 | 2025-03-02 09:45 | -
    18452671208 | Marco Rossi | lost | Closed Lost | 3600.0 | 2025-03-05 16:10 | 2025-03-27 14:00
    18452671209 | Marco Rossi | open | Decision Maker Bought-In | 18900.0 | 2025-03-11 10:00 | -
    18452671210 | Lena Fischer | won | Closed Won | 2400.0 | 2025-03-14 14:30 | 2025-03-31 09:00
    18452671211 | Marco Rossi | open | Qualified To Buy | 54000.0 | 2025-03-20 08:55 | -
    18452671212 | Lena Fischer | open | Appointment Scheduled | 1500.0 | 2025-03-28 13:15 | -
"""
PIPEDRIVE = """
    101 | Ana Costa | won | Negotiations Started | 6000.0 | 2025-01-09 10:00 | 2025-02-21 15:30
    102 | Pieter Jansen | open | Proposal Made | 14500.0 | 2025-01-16 09:20 | -
    103 | Ana Costa | lost | Contact Made | 3200.0 | 2025-01-23 14:00 | 2025-02-27 11:00
    104 | Pieter Jansen | open | Demo Scheduled | 22000.0 | 2025-02-04 08:45 | -
    105 | Pieter Jansen | won | Proposal Made | 8750.0 | 2025-02-12 13:10 | 2025-03-19 10:00
    106 | Ana Costa | open | Qualified | 1900.0 | 2025-02-20 16:00 | -
    107 | Pieter Jansen | lost | Negotiations Started | 11200.0 | 2025-02-25 09:00 | 2025-03-24 17:45
    108 | Ana Costa | open | Contact Made | 4400.0 | 2025-03-03 11:30 | -
    109 | Ana Costa | won | Negotiations Started | 16800.0 | 2025-03-06 10:15 | 2025-03-28 14:00
    110 | Pieter Jansen | open | Demo Scheduled | 2700.0 | 2025-03-12 15:40 | -
    111 | Pieter Jansen | lost | Qualified | 950.0 | 2025-03-18 09:05 | 2025-03-31 10:30
    112 | Ana Costa | open | Proposal Made | 7300.0 | 2025-03-27 12:00 | -
"""

# preset, export, workspace currency, expected rows, Q1 2025 won value and win rate (worked out in the notes)
CASES = [
    # won in Q1: 12500 + 2350.75 + 18000; lost in Q1: Bureaustoelen, Printers (Schermen is lost in April)
    pytest.param("odoo", "odoo_nl_crm.lead.xlsx", "EUR", ODOO_NL, 32850.75, 3 / 5, id="odoo-nl-xlsx"),
    # won in Q1: 24000 + 7300.5 (Office chairs is won on 1 April); lost in Q1: 2 (Pricing Information in April)
    pytest.param("odoo", "odoo_en_crm.lead.csv", "USD", ODOO_EN, 31300.5, 2 / 4, id="odoo-en-csv"),
    # won: 48000 + 210000 + 18750; lost: Initech, Hooli
    pytest.param("salesforce", "salesforce_opportunities_report.csv", "USD", SALESFORCE, 276750, 3 / 5,
                 id="salesforce"),
    # won: 15000 + 7800 + 2400; lost: Fjord Media, Tidewater
    pytest.param("hubspot", "hubspot-crm-exports-all-deals-2025-04-01.csv", "EUR", HUBSPOT, 25200, 3 / 5,
                 id="hubspot"),
    # won: 6000 + 8750 + 16800; lost: 103, 107, 111
    pytest.param("pipedrive", "pipedrive_deals.csv", "EUR", PIPEDRIVE, 31550, 3 / 6, id="pipedrive"),
]


def _rows(block: str) -> list[tuple]:
    out = []
    for line in block.strip().splitlines():
        oid, owner, status, stage, amount, created, closed = (x.strip() for x in line.split("|"))
        out.append((oid, owner, status, stage, float(amount), created, None if closed == "-" else closed))
    return out


def _figure(ws, kpi: str, spec: str) -> float:
    con = connect(ws)
    try:
        return compute(con, ws.settings(), [kpi], parse_spec(spec), [], {}).rows["value"][0]
    finally:
        close(con)


@pytest.mark.parametrize(("preset", "export", "currency", "expected", "won_value", "win_rate"), CASES)
def test_a_standard_export_imports_through_its_preset(tmp_ws, preset, export, currency, expected, won_value,
                                                      win_rate):
    tmp_ws.set_settings(time_zone="UTC", currency=currency)
    result = import_mapped(tmp_ws, preset_path(preset), [EXPORTS / export])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        got = con.execute(
            "SELECT opportunity_id, owner_id, status, stage, amount, strftime(created_at, '%Y-%m-%d %H:%M'), "
            "strftime(closed_at, '%Y-%m-%d %H:%M') FROM opportunities ORDER BY created_at").fetchall()
        reps = con.execute("SELECT rep_id, name, hired_on FROM reps").fetchall()
    assert got == _rows(expected)
    owners = sorted({r[1] for r in _rows(expected)})
    assert sorted(r[0] for r in reps) == owners and all(r[0] == r[1] for r in reps)
    assert {str(r[2]) for r in reps} == {"2000-01-01"}  # the documented default
    assert _figure(tmp_ws, "won_value", "2025-Q1") == pytest.approx(won_value)
    assert _figure(tmp_ws, "win_rate", "2025-Q1") == pytest.approx(win_rate)
    assert import_mapped(tmp_ws, preset_path(preset), [EXPORTS / export]).written == 0


def test_stages_take_the_vendor_defaults_order_and_kind(tmp_ws):
    import_mapped(tmp_ws, preset_path("odoo"), [EXPORTS / "odoo_nl_crm.lead.xlsx"])
    with tmp_ws.reader() as con:
        stages = con.execute("SELECT stage, sequence, kind FROM stages ORDER BY sequence").fetchall()
    assert stages == [("Nieuw", 1, "open"), ("Gekwalificeerd", 2, "open"), ("Voorstel", 3, "open"),
                      ("Gewonnen", 4, "won")]


def test_closed_at_and_lost_reason_only_for_closed_deals(tmp_ws, tmp_path):
    tmp_ws.set_settings(time_zone="UTC", currency="USD")
    import_mapped(tmp_ws, preset_path("salesforce"), [EXPORTS / "salesforce_opportunities_report.csv"])
    with tmp_ws.reader() as con:
        rows = con.execute("SELECT status, count(*), count(closed_at), count(expected_close_on), "
                           "count(*) FILTER (deal_type = 'upsell') FROM opportunities GROUP BY status "
                           "ORDER BY status").fetchall()
    # Close Date is the close for closed deals and the expected close for open ones
    assert rows == [("lost", 2, 2, 0, 0), ("open", 7, 0, 7, 3), ("won", 3, 3, 0, 0)]
    euro = Workspace.open(str(tmp_path / "eur.duckdb"))
    import_mapped(euro, preset_path("pipedrive"), [EXPORTS / "pipedrive_deals.csv"])
    with euro.reader() as con:
        reasons = con.execute("SELECT opportunity_id, lost_reason FROM opportunities "
                              "WHERE lost_reason IS NOT NULL ORDER BY 1").fetchall()
    assert reasons == [("103", "Price too high"), ("107", "Went with competitor"), ("111", "No response")]


def test_a_pipedrive_deal_won_reopened_and_lost_closes_at_its_lost_time(tmp_ws, tmp_path):
    """Pipedrive keeps the won time of a deal reopened and then lost: its status says which time is the close."""
    again = _spoil_csv(EXPORTS / "pipedrive_deals.csv", tmp_path / "deals.csv", 4, "Deal - Won time",
                       "2025-02-10 09:00:00")  # 103, lost on 2025-02-27
    _spoil_csv(again, again, 2, "Deal - Lost time", "2025-02-01 08:00:00")  # 101, won on 2025-02-21
    result = import_mapped(tmp_ws, preset_path("pipedrive"), [again])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        closes = dict(con.execute("SELECT opportunity_id, strftime(closed_at, '%Y-%m-%d') FROM opportunities "
                                  "WHERE opportunity_id IN ('101', '103')").fetchall())
    assert closes == {"101": "2025-02-21", "103": "2025-02-27"}


def _spoil_csv(src: Path, dst: Path, line: int, column: str, value: str) -> Path:
    text = src.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    rows[line - 1][rows[0].index(column)] = value
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return dst


def test_bad_rows_are_reported_with_file_line_and_column(tmp_ws, tmp_path):
    spoilt = _spoil_csv(EXPORTS / "pipedrive_deals.csv", tmp_path / "deals.csv", 4, "Deal - Deal created", "gisteren")
    _spoil_csv(spoilt, spoilt, 6, "Deal - Value", "veel")
    result = import_mapped(tmp_ws, preset_path("pipedrive"), [spoilt])
    assert [(t.table, t.rejected) for t in result.tables if t.rejected] == [("opportunities", 2)]
    report = list(csv.DictReader(open(result.rejects_path, encoding="utf-8")))
    got = {(r["file"], r["line"], r["column"], r["value"]) for r in report}
    assert got == {("deals.csv", "4", "Deal - Deal created (created_at)", "gisteren"),
                   ("deals.csv", "6", "Deal - Value (amount)", "veel")}


def test_bad_cells_of_a_dutch_workbook_are_reported_by_row(tmp_ws, tmp_path):
    book = load_workbook(EXPORTS / "odoo_nl_crm.lead.xlsx")
    book.active["H3"] = "morgen"  # Aangemaakt op of Serverkasten Zwolle
    book.save(tmp_path / "kansen.xlsx")
    result = import_mapped(tmp_ws, preset_path("odoo"), [tmp_path / "kansen.xlsx"])
    report = list(csv.DictReader(open(result.rejects_path, encoding="utf-8")))
    assert [(r["file"], r["line"], r["column"]) for r in report] == [
        ("kansen.xlsx", "3", "Aangemaakt op (created_at)")]
    assert result.written == 11 + 3 + 4  # opportunities, reps, stages


def test_an_export_lacking_a_required_column_is_refused_naming_it(tmp_ws, tmp_path):
    text = (EXPORTS / "hubspot-crm-exports-all-deals-2025-04-01.csv").read_text(encoding="utf-8")
    (tmp_path / "deals.csv").write_text(text.replace("Create Date", "Created"), encoding="utf-8")
    with pytest.raises(MappingError, match="deals.csv has no column 'Create Date'"):
        import_mapped(tmp_ws, preset_path("hubspot"), [tmp_path / "deals.csv"])


def test_an_unknown_preset_names_the_valid_ones():
    with pytest.raises(MappingError, match="no preset 'zoho'; presets: hubspot, odoo, pipedrive, salesforce"):
        preset_path("zoho")


def test_a_preset_takes_an_export_whatever_its_name(tmp_ws, tmp_path):
    renamed = shutil.copy(EXPORTS / "pipedrive_deals.csv", tmp_path / "export (3).csv")
    assert import_mapped(tmp_ws, preset_path("pipedrive"), [renamed]).rejected == 0


def _documented() -> dict[str, dict[str, bool]]:
    """docs/presets.md: per `## name` section, each table row's backticked columns and required/optional."""
    docs, current = {}, None
    for line in (ROOT / "docs" / "presets.md").read_text(encoding="utf-8").splitlines():
        head = re.match(r"^## `([a-z]+)`", line)
        if head:
            current = docs.setdefault(head.group(1), {})
        elif current is not None and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for name in re.findall(r"`([^`]+)`", cells[0]):
                current[name] = cells[1] == "required"
    return docs


def test_the_docs_list_exactly_the_columns_each_preset_reads():
    docs = _documented()
    assert sorted(docs) == sorted(PRESETS)
    for name in PRESETS:
        assert docs[name] == expected_columns(name), name


def _salesforce(path: Path, rows: list[str], currency_column: bool = False) -> Path:
    head = '"Opportunity Owner","Opportunity Name","Stage","Created Date","Close Date","Amount"'
    path.write_text("\n".join([head + (',"Opportunity Currency"' if currency_column else ""), *rows]) + "\n",
                    encoding="utf-8")
    return path


def _rejects(result) -> dict[int, tuple[str, str]]:
    with open(result.rejects_path, encoding="utf-8") as f:
        return {int(r["line"]): (r["value"], r["reason"]) for r in csv.DictReader(f)}


def test_an_amount_that_names_its_currency_is_in_that_currency_never_the_workspace_s(tmp_ws, tmp_path):
    """data-model.md: no amount in another currency summed 1:1. USD 1,200.00
    is in USD: the row's currency where it gives none, and a row whose
    currency column says otherwise is rejected."""
    tmp_ws.set_settings(time_zone="UTC", currency="USD")
    won = '"Jan","{}","Closed Won","3/4/2025","3/31/2025","{}","{}"'
    report = _salesforce(tmp_path / "report.csv", [
        won.format("A", "USD 1,200.00", ""), won.format("B", "$ 500", ""), won.format("C", "GBP 1,000.00", ""),
        won.format("D", "USD 300", "EUR"), won.format("E", "$ 700", "CAD"), won.format("F", "1,000.00 USD", "USD"),
    ], currency_column=True)
    result = import_mapped(tmp_ws, preset_path("salesforce"), [report])
    with tmp_ws.reader() as con:
        landed = con.execute("SELECT opportunity_id, amount, coalesce(currency, '-') FROM opportunities "
                             "ORDER BY 1").fetchall()
    assert landed == [("A", 1200.0, "USD"), ("B", 500.0, "USD"), ("F", 1000.0, "USD")]
    assert _rejects(result) == {
        4: ("GBP 1,000.00", "no exchange rate for GBP on or before 2025-03-04"),  # the amount's mark: its text
        5: ("USD 300", "an amount in USD, the row's currency is EUR"),
        6: ("CAD", "no exchange rate for CAD on or before 2025-03-04"),
    }
    assert _figure(tmp_ws, "won_value", "2025-03") == pytest.approx(2700)


@pytest.mark.parametrize(("currency_column", "found"), [
    ("", []),  # the export has none
    (";Valuta", [("3", "Valuta (currency)", "GBP", "no exchange rate for GBP on or before 2025-03-01")]),
])
def test_a_currency_only_an_amount_names_is_reported_under_that_amount_as_written(tmp_ws, tmp_path, currency_column,
                                                                                  found):
    """The currency of `$ 100` is the amount's where the export has no
    currency column, or the row's is empty: a missing rate is reported under
    the amount's column, with the text the file wrote."""
    path = tmp_path / "p.csv"
    extra = ";GBP" if currency_column else ""
    path.write_text(f"ID;Verkoper;Aangemaakt op;Fase;Kans;Sluitingsdatum;Verwachte omzet{currency_column}\n"
                    f"1;Jan;01-03-2025 10:00:00;Nieuw;10;;$ 100{';' if currency_column else ''}\n"
                    f"2;Jan;01-03-2025 10:00:00;Nieuw;10;;250{extra}\n", encoding="utf-8")
    result = import_mapped(tmp_ws, preset_path("odoo"), [path])
    with open(result.rejects_path, encoding="utf-8") as f:
        got = [(r["line"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(f)]
    assert got == [("2", "Verwachte omzet (currency)", "$ 100", "no exchange rate for USD on or before 2025-03-01"),
                   *found]


def test_a_salesforce_report_with_closed_but_no_won_column_tells_won_by_the_stage(tmp_ws, tmp_path):
    closed = '"Jan","{}","{}","3/4/2025","3/31/2025","100","{}"'
    path = tmp_path / "closed.csv"
    path.write_text("\n".join([
        '"Opportunity Owner","Opportunity Name","Stage","Created Date","Close Date","Amount","Closed"',
        closed.format("A", "Closed Won", 1), closed.format("B", "Closed Lost", 1),
        closed.format("C", "Prospecting", 0), closed.format("D", "Signed", 1)]) + "\n", encoding="utf-8")
    result = import_mapped(tmp_ws, preset_path("salesforce"), [path])
    with tmp_ws.reader() as con:
        statuses = con.execute("SELECT opportunity_id, status FROM opportunities ORDER BY 1").fetchall()
    assert statuses == [("A", "won"), ("B", "lost"), ("C", "open")]
    # closed, in a stage of its own naming: won or lost nothing says, so it is not guessed
    assert list(_rejects(result)) == [5]


def test_an_amount_whose_decimal_mark_nothing_tells_is_rejected_not_read_a_thousand_times_too_small(
        tmp_ws, tmp_path):
    row = '"Jan de Vries","{}","Prospecting","4-3-2025","30-4-2025","{}"'
    guess = _salesforce(tmp_path / "guess.csv", [row.format("A", "EUR 1.200"), row.format("B", "€ 15.000")])
    result = import_mapped(tmp_ws, preset_path("salesforce"), [guess], dates="day_first")
    written = {t.table: t.written for t in result.tables}
    assert written["opportunities"] == 0 and [v for v, _ in _rejects(result).values()] == ["EUR 1.200", "€ 15.000"]
    assert "--decimal" in _rejects(result)[2][1]
    import_mapped(tmp_ws, preset_path("salesforce"), [guess], dates="day_first", decimal=",")
    told = _salesforce(tmp_path / "told.csv", [row.format("C", "1.200"), row.format("D", "2.500,50")])
    assert import_mapped(tmp_ws, preset_path("salesforce"), [told], dates="day_first").rejected == 0
    with tmp_ws.reader() as con:
        amounts = con.execute("SELECT opportunity_id, amount FROM opportunities ORDER BY 1").fetchall()
    assert amounts == [("A", 1200.0), ("B", 15000.0), ("C", 1200.0), ("D", 2500.5)]


def test_an_amount_a_thousand_times_apart_by_the_two_marks_is_rejected_whatever_the_separator(
        tmp_ws, tmp_path):
    """A ";" file suggests ",", so 1.200 read as 1200 there was a guess as much as 1,200 read as 1.2 in a
    "," file: each is rejected asking for --decimal, unless another amount in the file tells the mark."""
    deal = "{};Jan;04-03-2025 09:15;New;10;;{}"
    semicolons = _odoo(tmp_ws, tmp_path / "nl.csv", [deal.format(1, "1.200"), deal.format(2, "100")])
    assert list(_rejects(semicolons)) == [2] and _rejects(semicolons)[2][1].startswith("is '.' a thousands")
    commas = tmp_path / "en.csv"
    commas.write_text("\n".join([ODOO_HEAD.replace(";", ","), '3,Jan,04-03-2025 09:15,New,10,,"1,200"',
                                 "4,Jan,04-03-2025 09:15,New,10,,15.000"]) + "\n", encoding="utf-8")
    result = import_mapped(tmp_ws, preset_path("odoo"), [commas])
    assert [v for v, _ in _rejects(result).values()] == ["1,200", "15.000"]
    assert "--decimal" in _rejects(result)[2][1] and _rejects(result)[2][1].startswith("is ',' a thousands")
    assert import_mapped(tmp_ws, preset_path("odoo"), [commas], decimal=".").rejected == 0
    told = _odoo(tmp_ws, tmp_path / "told.csv", [deal.format(5, "1.200"), deal.format(6, "2.500,50")])
    assert told.rejected == 0
    with tmp_ws.reader() as con:
        amounts = con.execute("SELECT opportunity_id, amount FROM opportunities ORDER BY 1").fetchall()
    assert amounts == [("2", 100.0), ("3", 1200.0), ("4", 15.0), ("5", 1200.0), ("6", 2500.5)]


def _hubspot(tmp_ws, tmp_path, rows: list[str]):
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(["Record ID,Deal owner,Create Date,Deal Stage,Close Date,Amount", *rows]) + "\n",
                    encoding="utf-8")
    return import_mapped(tmp_ws, preset_path("hubspot"), [path])


def test_a_hubspot_export_saved_again_by_a_dutch_excel_keeps_its_open_deals(tmp_ws, tmp_path):
    """The preset's formats for Close Date are HubSpot's own; a date in the
    file's order (30-04-2025 12:00, as Excel writes it back) reads too."""
    assert _hubspot(tmp_ws, tmp_path, ["1,Jan,04-03-2025 09:15,Closed Won,30-04-2025 12:00,100",
                                       "2,Jan,04-03-2025 09:15,Contract Sent,30-04-2025 12:00,100",
                                       "3,Jan,04-03-2025 09:15,Contract Sent,30-04-2025,100"]).rejected == 0
    with tmp_ws.reader() as con:
        rows = con.execute("SELECT opportunity_id, status, CAST(expected_close_on AS VARCHAR) FROM opportunities "
                           "ORDER BY 1").fetchall()
    assert rows == [("1", "won", None), ("2", "open", "2025-04-30"), ("3", "open", "2025-04-30")]


ODOO_HEAD = "ID;Salesperson;Created on;Stage;Probability;Closed Date;Expected Revenue"


def _odoo(tmp_ws, path: Path, lines: list[str], head: str = ODOO_HEAD, data: bytes | None = None):
    path.write_bytes(data if data is not None else ("\n".join([head, *lines]) + "\n").encode("utf-8"))
    return import_mapped(tmp_ws, preset_path("odoo"), [path])


def test_flags_are_read_as_an_export_or_a_user_writes_them(tmp_ws, tmp_path):
    """Odoo's Active as False, 0 or Dutch Onwaar; Salesforce's Closed and Won
    as 1/0, true/false or Yes/No."""
    odoo = [f"{i};Jan;04-03-2025 09:15;New;0;05-03-2025 10:00;100;{flag}"
            for i, flag in enumerate(["False", "0", "Onwaar", "True", "1"], start=1)]
    assert _odoo(tmp_ws, tmp_path / "odoo.csv", odoo, head=ODOO_HEAD + ";Active").rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(status ORDER BY opportunity_id) FROM opportunities").fetchone()[0] == [
            "lost", "lost", "lost", "open", "open"]
    path = tmp_path / "report.csv"
    path.write_text('"Opportunity ID","Opportunity Owner","Stage","Created Date","Close Date","Amount","Closed","Won"\n'
                    + "".join(f'"S{i}","Jan","Negotiation/Review","3/4/2025","3/31/2025","100","{c}","{w}"\n'
                              for i, (c, w) in enumerate([("Yes", "Yes"), ("Yes", "No"), ("No", "No"),
                                                          ("true", "false"), ("1", "1")])), encoding="utf-8")
    assert import_mapped(tmp_ws, preset_path("salesforce"), [path]).rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(status ORDER BY opportunity_id) FROM opportunities "
                           "WHERE opportunity_id LIKE 'S%'").fetchone()[0] == ["won", "lost", "open", "lost", "won"]


def test_a_preset_adds_the_reps_and_stages_the_workspace_lacks_and_changes_none_it_holds(tmp_ws, tmp_path):
    """An export names its owners and stages, nothing more: the reps.csv and stages.csv imported
    before keep their e-mail, team, manager and hiring date, probability and forecast category."""
    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name,email,team,role,manager_id,hired_on\n"
                                     "Boss,Baas,boss@x.nl,Noord,sales_manager,,2019-01-01\n"
                                     "Jan,Jan Jansen,jan@x.nl,Noord,field_sales,Boss,2021-05-01\n", encoding="utf-8")
    (folder / "stages.csv").write_text("stage,sequence,probability,kind,forecast_category\n"
                                       "Nieuw,1,10,open,pipeline\n", encoding="utf-8")
    import_folder(tmp_ws, folder)
    deals = ["1;Jan;04-03-2025 09:15;Nieuw;10;;100", "2;Piet;04-03-2025 09:15;Voorstel;10;;200"]
    result = _odoo(tmp_ws, tmp_path / "deals.csv", deals)
    # written: the rep and the stage the workspace lacked, and the deals
    assert {t.table: t.written for t in result.tables} == {"stages": 1, "reps": 1, "opportunities": 2}
    with tmp_ws.reader() as con:
        reps = con.execute("SELECT rep_id, name, email, team, role, manager_id, CAST(hired_on AS VARCHAR) "
                           "FROM reps ORDER BY 1").fetchall()
        stages = con.execute("SELECT * FROM stages ORDER BY 1").fetchall()
    assert reps == [("Boss", "Baas", "boss@x.nl", "Noord", "sales_manager", None, "2019-01-01"),
                    ("Jan", "Jan Jansen", "jan@x.nl", "Noord", "field_sales", "Boss", "2021-05-01"),
                    ("Piet", "Piet", None, None, None, None, "2000-01-01")]
    assert stages == [("Nieuw", 1, 10.0, "open", "pipeline"), ("Voorstel", 3, None, "open", None)]
    assert _odoo(tmp_ws, tmp_path / "deals.csv", deals).written == 0


def test_a_malformed_line_is_reported_once_as_the_file_wrote_it(tmp_ws, tmp_path):
    result = _odoo(tmp_ws, tmp_path / "leads.csv", [
        "1;Jan;04-03-2025 09:15;New;10;;100", '"2";"Jan";"04-03-2025 09:15";"New";"10";"";"1.000";"note', 'more"',
        "3;Jan;04-03-2025 09:15;New;10;;100"])
    assert {t.table: t.rejected for t in result.tables} == {"stages": 0, "reps": 0, "opportunities": 1}
    with open(result.rejects_path, encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert [(r["line"], r["value"]) for r in rejects] == [
        ("3", '"2";"Jan";"04-03-2025 09:15";"New";"10";"";"1.000";"note\nmore"')]


def test_a_deal_without_a_stage_lands_and_makes_no_stage(tmp_ws, tmp_path):
    result = _odoo(tmp_ws, tmp_path / "leads.csv", ["1;Jan;04-03-2025 09:15;New;10;;100",
                                                    "2;Jan;04-03-2025 09:15;;10;;200"])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT count(*) FROM opportunities WHERE stage IS NULL").fetchone()[0] == 1
        assert con.execute("SELECT list(stage) FROM stages").fetchone()[0] == ["New"]


def test_a_salesforce_report_with_a_blank_line_among_its_rows_keeps_the_rows_after_it(tmp_ws, tmp_path):
    path = tmp_path / "report.csv"
    row = '"Jan","{}","Prospecting","3/4/2025","4/30/2025","100"'
    path.write_text("\n".join(['"Opportunity Owner","Opportunity Name","Stage","Created Date","Close Date","Amount"',
                               row.format("A"), "", row.format("B"), row.format("C"), "", '"Opportunities Report"',
                               '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."']) + "\n",
                    encoding="utf-8")
    result = import_mapped(tmp_ws, preset_path("salesforce"), [path])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(opportunity_id ORDER BY 1) FROM opportunities").fetchone()[0] == ["A", "B", "C"]


def test_a_file_with_a_bom_saved_partly_as_windows_1252_keeps_its_first_column(tmp_ws, tmp_path):
    data = (b"\xef\xbb\xbf" + ODOO_HEAD.encode() + b"\n1;Ren\xc3\xa9;04-03-2025 09:15;New;10;;100\n"
            b"2;Ren\xe9;04-03-2025 09:15;New;10;;100\n")
    assert _odoo(tmp_ws, tmp_path / "mixed.csv", [], data=data).rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(DISTINCT owner_id) FROM opportunities").fetchone()[0] == ["René"]


def test_a_line_in_neither_utf8_nor_windows_1252_is_rejected_and_the_rest_lands(tmp_ws, tmp_path):
    """0x81 is undefined in Windows-1252: the line is rejected, as in a
    canonical file, its byte shown as \\x81; the other lines land."""
    data = (ODOO_HEAD.encode() + b"\n1;Ren\xc3\xa9;04-03-2025 09:15;New;10;;100\n"
            b"2;Ren\x81e;04-03-2025 09:15;New;10;;100\n3;Ren\xe9;04-03-2025 09:15;New;10;;100\n")
    result = _odoo(tmp_ws, tmp_path / "odd.csv", [], data=data)
    assert _rejects(result) == {3: ("2;Ren\\x81e;04-03-2025 09:15;New;10;;100",
                                    "neither UTF-8 nor Windows-1252 text: save the file as UTF-8")}
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(opportunity_id ORDER BY 1), list(DISTINCT owner_id) FROM opportunities"
                           ).fetchone() == (["1", "3"], ["René"])
    with pytest.raises(MappingError, match=r"the header \(line 1\) is neither UTF-8 nor Windows-1252"):
        _odoo(tmp_ws, tmp_path / "head.csv", [], data=b"\x81" + data)


def test_a_repeated_or_empty_header_name_matters_only_where_the_mapping_reads_it(tmp_ws, tmp_path):
    line = "1;Jan;04-03-2025 09:15;New;10;;100;a;;b"
    assert _odoo(tmp_ws, tmp_path / "tags.csv", [line], head=ODOO_HEAD + ";Tags;;Tags").rejected == 0
    with pytest.raises(MappingError, match=r"the header names the column 'Stage' 2 times \(columns 4, 8\)"):
        _odoo(tmp_ws, tmp_path / "stages.csv", ["1;Jan;04-03-2025 09:15;New;10;;100;Won"], head=ODOO_HEAD + ";Stage")


def test_a_deleted_pipedrive_deal_is_rejected_not_counted_as_open(tmp_ws, tmp_path):
    deleted = _spoil_csv(EXPORTS / "pipedrive_deals.csv", tmp_path / "deals.csv", 2, "Deal - Status", "deleted")
    result = import_mapped(tmp_ws, preset_path("pipedrive"), [deleted])
    # named by the column its cases read, with the value it held
    with open(result.rejects_path, encoding="utf-8") as f:
        assert [(r["line"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(f)] == [
            ("2", "Deal - Status (status)", "deleted", "required value missing")]
    with tmp_ws.reader() as con:
        assert con.execute("SELECT count(*) FROM opportunities WHERE opportunity_id = '101'").fetchone()[0] == 0


def test_a_value_made_by_a_template_is_reported_under_the_columns_it_reads(tmp_ws, tmp_path):
    spoilt = _spoil_csv(EXPORTS / "pipedrive_deals.csv", tmp_path / "deals.csv", 2, "Deal - Won time", "x")
    result = import_mapped(tmp_ws, preset_path("pipedrive"), [spoilt])
    with open(result.rejects_path, encoding="utf-8") as f:
        assert [(r["line"], r["column"], r["value"]) for r in csv.DictReader(f)] == [
            ("2", "Deal - Won time, Deal - Lost time (closed_at)", "x")]


def test_hubspot_internal_stage_names_are_the_stages_of_their_labels(tmp_ws, tmp_path):
    """An export of internal values (closedwon) and one of labels name the
    same stages: the one after the other changes nothing."""
    assert _hubspot(tmp_ws, tmp_path, ["1,Jan,2025-03-04 09:15,Closed Won,2025-04-30 12:00,100",
                                       "2,Jan,2025-03-04 09:15,Contract Sent,2025-04-30 12:00,100",
                                       "3,Jan,2025-03-04 09:15,Closed Lost,2025-04-30 12:00,100"]).rejected == 0
    again = _hubspot(tmp_ws, tmp_path, ["1,Jan,2025-03-04 09:15,closedwon,2025-04-30 12:00,100",
                                        "2,Jan,2025-03-04 09:15,CONTRACT SENT,2025-04-30 12:00,100",
                                        "3,Jan,2025-03-04 09:15,closedlost,2025-04-30 12:00,100"])
    assert (again.rejected, again.written) == (0, 0)
    with tmp_ws.reader() as con:
        stages = con.execute("SELECT stage, sequence, probability, kind FROM stages ORDER BY sequence").fetchall()
        deals = con.execute("SELECT opportunity_id, stage, status FROM opportunities ORDER BY 1").fetchall()
    assert stages == [("Contract Sent", 5, 90.0, "open"), ("Closed Won", 6, 100.0, "won"),
                      ("Closed Lost", 7, 0.0, "lost")]
    assert deals == [("1", "Closed Won", "won"), ("2", "Contract Sent", "open"), ("3", "Closed Lost", "lost")]


def test_a_rejected_deal_or_a_repeated_header_makes_no_rep_or_stage(tmp_ws, tmp_path):
    """Whether its amount cannot be read or breaks a rule, a rejected deal
    leaves no rep behind (who would count as employed since the placeholder
    hiring date) and no stage; a rep or stage a landed deal names stays, as
    does one the workspace held before."""
    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name,hired_on\nHeld,Held,2020-01-01\n")
    import_folder(tmp_ws, folder)
    result = _hubspot(tmp_ws, tmp_path, ["1,Jan,2025-03-04 09:15,Closed Won,2025-04-30 12:00,100",
                                         "2,Ghost Rep,2025-03-04 09:15,Ghost Stage,2025-04-30 12:00,abc",
                                         "Record ID,Deal owner,Create Date,Deal Stage,Close Date,Amount",
                                         "4,Ghost Two,2025-03-04 09:15,Other Stage,2025-04-30 12:00,-5",
                                         "5,Jan,2025-03-04 09:15,Other Stage,2025-04-30 12:00,-5",
                                         "6,Held,2025-03-04 09:15,Closed Won,2025-04-30 12:00,-5"])
    assert set(_rejects(result)) == {3, 4, 5, 6, 7}
    assert "deals.csv: not added to reps, as only rejected rows name them: Ghost Two" in result.warnings
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(rep_id ORDER BY rep_id) FROM reps").fetchone()[0] == ["Held", "Jan"]
        assert con.execute("SELECT list(stage) FROM stages").fetchone()[0] == ["Closed Won"]
    assert {t.table: t.written for t in result.tables}["reps"] == 1


def test_a_column_is_found_whatever_its_capitals_in_the_header(tmp_ws, tmp_path):
    """An export may write `Deal Owner` for `Deal owner`: the header's
    capitals do not matter, unless two columns differ only in them."""
    path = tmp_path / "deals.csv"
    path.write_text("RECORD ID,Deal Owner,create date,Deal Stage,Close Date,amount\n"
                    "1,Jan,2025-03-04 09:15,Closed Won,2025-04-30 12:00,100\n", encoding="utf-8")
    assert import_mapped(tmp_ws, preset_path("hubspot"), [path]).rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT opportunity_id, owner_id, status, amount FROM opportunities").fetchall() == [
            ("1", "Jan", "won", 100.0)]
    path.write_text("Record ID,Deal owner,Create Date,Deal Stage,Close Date,amount,AMOUNT\n1,Jan,2025-03-04 09:15,"
                    "Closed Won,2025-04-30 12:00,100,200\n", encoding="utf-8")
    with pytest.raises(MappingError, match="has no column 'Amount'"):
        import_mapped(tmp_ws, preset_path("hubspot"), [path])


def test_excel_unicode_text_and_a_workbook_value_beyond_the_header(tmp_ws, tmp_path):
    from openpyxl import Workbook

    text = "\n".join([ODOO_HEAD.replace(";", "\t"), "1\tRené\t04-03-2025 09:15\tNew\t10\t\t100"]) + "\n"
    assert _odoo(tmp_ws, tmp_path / "unicode.txt", [], data=text.encode("utf-16")).rejected == 0
    book = Workbook()
    sheet = book.active
    sheet.append(ODOO_HEAD.split(";"))
    sheet.append(["2", "Jan", "04-03-2025 09:15", "New", 10, None, 100])
    sheet.append(["3", "Jan", "04-03-2025 09:15", "New", 10, None, 100, "a stray note"])
    book.save(tmp_path / "leads.xlsx")
    result = import_mapped(tmp_ws, preset_path("odoo"), [tmp_path / "leads.xlsx"])
    assert _rejects(result) == {3: ("3; Jan; 04-03-2025 09:15; New; 10; ; 100; a stray note",
                                    "a value beyond the header's 7 columns")}
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(opportunity_id ORDER BY 1) FROM opportunities").fetchone()[0] == ["1", "2"]


def test_a_totals_line_under_a_salesforce_report_is_footer(tmp_ws, tmp_path):
    row = '"Jan","{}","Prospecting","3/4/2025","4/30/2025","{}"'
    path = tmp_path / "report.csv"
    path.write_text("\n".join(['"Opportunity Owner","Opportunity Name","Stage","Created Date","Close Date","Amount"',
                               row.format("A", "1,000.00"), row.format("B", "2,000.00"), "",
                               '"Total","","","","","3,000.00"', "", '"Confidential Information - Do Not Distribute"'])
                    + "\n", encoding="utf-8")
    assert import_mapped(tmp_ws, preset_path("salesforce"), [path]).rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT list(opportunity_id ORDER BY 1) FROM opportunities").fetchone()[0] == ["A", "B"]
