"""Files as CRMs and spreadsheets export them, imported through a mapping."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from koers.engines import close, connect
from koers.importers.mapping import MappingError, import_mapped
from koers.importers.tabular import read_tabular
from koers.importers.values import doubtful_mark, parse_date, parse_number, parse_timestamp
from koers.kpis.compute import compute
from koers.periods import parse_spec
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]
MAVEN = SHARED / "data" / "maven-crm"

def _figure(ws, kpi, spec, by=(), where=None):
    con = connect(ws)
    try:
        return compute(con, ws.settings(), [kpi], parse_spec(spec), list(by), where or {}).rows
    finally:
        close(con)


def _mapping(tmp_path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- reading numbers and dates as people write them ------------------------------
@pytest.mark.parametrize(("text", "decimal", "want"), [
    ("1.234,56", ",", "1234.56"), ("1234,5", ",", "1234.5"), ("€ 1.234", ",", "1234"), ("-12,50", ",", "-12.50"),
    ("1,234.56", ".", "1234.56"), ("$1,000", ".", "1000"), ("12.5", ".", "12.5"), ("1 234,00", ",", "1234.00"),
])
def test_numbers_with_decimal_comma_and_thousands(text, decimal, want):
    assert parse_number(text, decimal) == want


@pytest.mark.parametrize(("text", "decimal"), [("1.23,4", ","), ("12,34,5", "."), ("twelve", "."), ("1,2", ".")])
def test_numbers_that_cannot_be_read_are_refused(text, decimal):
    with pytest.raises(ValueError):
        parse_number(text, decimal)


# the presumed mark (the file's separator suggests it), and the mark in doubt: the one whose reading
# is a thousand times another's; None where the amount reads one way
@pytest.mark.parametrize(("text", "presumed", "doubt"), [
    ("1.200", ",", "."), ("1.200", ".", "."), ("1,200", ".", ","), ("1,200", ",", ","), ("€ 15.000", ",", "."),
    ("-1,200", ".", ","), ("USD 1,200-", ".", ","), ("1.200.000", ".", "."), ("1,200,000", ",", ","),
    ("1.200.000", ",", None), ("1,200,000", ".", None), ("1.200,50", ",", None), ("12.50", ",", None),
    ("1.20", ".", None), ("1200", ".", None), ("0.500", ",", None),
])
def test_an_amount_is_in_doubt_when_the_two_marks_read_it_a_thousand_times_apart(text, presumed, doubt):
    assert doubtful_mark(text, presumed) == doubt


@pytest.mark.parametrize(("text", "order", "want"), [
    ("2025-03-04", "day_first", "2025-03-04"), ("04-03-2025", "day_first", "2025-03-04"),
    ("4/3/2025", "day_first", "2025-03-04"), ("3/4/2025", "month_first", "2025-03-04"),
    ("45720", "day_first", "2025-03-04"), ("04.03.2025", "day_first", "2025-03-04"),
    ("20250304", "day_first", "2025-03-04"), ("20250304T0000", "day_first", "2025-03-04"),
])
def test_dates_in_every_common_form(text, order, want):
    assert parse_date(text, order) == want


def test_timestamps_keep_their_offset_or_stay_local():
    assert parse_timestamp("04-03-2025 09:15") == "2025-03-04T09:15:00"
    assert parse_timestamp("2025-03-04T09:15:00+01:00") == "2025-03-04T09:15:00+01:00"
    assert parse_timestamp("45720.5") == "2025-03-04T12:00:00"
    assert parse_timestamp("2025-03-04T09:15+01") == "2025-03-04T09:15:00+01:00"
    # a fraction of a second is kept, after a point or ISO 8601's decimal comma
    assert parse_timestamp("2025-03-04 09:15:00.25") == "2025-03-04T09:15:00.250000"
    assert parse_timestamp("2025-03-04T09:15:00,5") == "2025-03-04T09:15:00.500000"
    # ISO 8601's basic form
    assert parse_timestamp("20250304T091500+0100") == "2025-03-04T09:15:00+01:00"
    assert parse_timestamp("20250304T0915") == "2025-03-04T09:15:00"
    assert parse_timestamp("20250304T091500,5Z") == "2025-03-04T09:15:00.500000+00:00"
    for bad in ("31-02-2025", "2025-13-01", "next tuesday", "12025-03-04T09:15:00",
                "2025-03-04T09:15:00+25:00", "2025-03-04T09:15:00+19:00", "2025-03-04T09:15:00+01:60",
                "20250304T09:15", "2025-03-04T0915", "20250230T0915", "2025-W10-2T09:15"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    for timed in ("04-03-2025 09:15", "20250304T0915", "20250304T0000Z"):
        with pytest.raises(ValueError, match="time of day"):
            parse_date(timed)


# -- files in every dialect -------------------------------------------------------
@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"),
                                                     ("utf-8", "\t")])
def test_csv_dialects_and_encodings_are_sniffed(tmp_path, encoding, delimiter):
    path = tmp_path / "reps.csv"
    rows = [["rep_id", "name", "hired_on"], ["R1", "Zoë Müller", "01-02-2024"], ["R2", "Renée", "15-03-2024"]]
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    tab = read_tabular(path)
    assert tab.delimiter == delimiter and tab.columns == ["rep_id", "name", "hired_on"]
    assert list(tab.rows["name"]) == ["Zoë Müller", "Renée"] and list(tab.rows["_line"]) == [2, 3]


def test_a_row_is_numbered_by_the_line_it_starts_on(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,note\nA,"two\nlines"\nB,one\n', encoding="utf-8")
    assert list(read_tabular(path).rows["_line"]) == [2, 4]


# -- a Dutch spreadsheet export, through a mapping --------------------------------
DUTCH_MAPPING = """
files:
  verkopers: {path: verkopers.csv}
  kansen: {path: kansen.xlsx, sheet: Pijplijn}
tables:
  reps:
    from: verkopers
    columns: {rep_id: Code, name: Naam, hired_on: In dienst, role: {value: inside_sales}}
  opportunities:
    from: kansen
    columns:
      opportunity_id: ID
      owner_id: Verkoper
      created_at: Aangemaakt op
      closed_at: Gesloten op
      status: {column: Fase, values: {Gewonnen: won, Verloren: lost, "*": open}}
      amount: {column: Verwachte omzet}
      product: {column: Product, values: {GTXPro: GTX Pro}}
      currency: {default: EUR}
"""


def _dutch_files(tmp_path) -> list[Path]:
    reps = tmp_path / "verkopers.csv"
    reps.write_bytes("Code;Naam;In dienst\nR1;Zoë Visser;01-02-2024\nR2;Jan Peeters;15-3-2024\n".encode("cp1252"))
    book = Workbook()
    book.active.title = "Overzicht"
    sheet = book.create_sheet("Pijplijn")
    sheet.append(["ID", "Verkoper", "Aangemaakt op", "Gesloten op", "Fase", "Verwachte omzet", "Product"])
    sheet.append(["O1", "R1", datetime(2025, 3, 4, 9, 15), datetime(2025, 4, 1, 10, 0), "Gewonnen", 1234.5, "GTXPro"])
    sheet.append(["O2", "R2", 45720, None, "Offerte", "2.500,00", "GTX Basic"])  # a serial and a Dutch number
    sheet.append(["O3", "R9", datetime(2025, 3, 5), None, "Nieuw", 10, "GTX Basic"])  # an unknown rep
    sheet.append(["O4", "R1", "morgen", None, "Nieuw", 10, "GTX Basic"])  # not a date
    path = tmp_path / "kansen.xlsx"
    book.save(path)
    return [reps, path]


def test_a_dutch_excel_export_imports_as_it_comes(tmp_ws, tmp_path):
    files = _dutch_files(tmp_path)
    mapping = _mapping(tmp_path, DUTCH_MAPPING)
    result = import_mapped(tmp_ws, mapping, files)
    assert [(t.table, t.read, t.written, t.rejected) for t in result.tables] == [
        ("reps", 2, 2, 0), ("opportunities", 4, 2, 2)]
    with tmp_ws.reader() as con:
        names = con.execute("SELECT name, hired_on FROM reps ORDER BY rep_id").fetchall()
        opp = con.execute("SELECT status, amount, product, created_at FROM opportunities ORDER BY 4").fetchall()
    assert names == [("Zoë Visser", date(2024, 2, 1)), ("Jan Peeters", date(2024, 3, 15))]
    # a number cell is a number; the text 2.500,00 says how the workbook's text amounts are written
    assert opp == [("open", 2500.0, "GTX Basic", datetime(2025, 3, 3, 23, 0)),  # serial 45720: 4 March
                   ("won", 1234.5, "GTX Pro", datetime(2025, 3, 4, 8, 15))]  # 09:15 in Amsterdam is 08:15 UTC
    report = list(csv.DictReader(open(result.rejects_path, encoding="utf-8")))
    got = {(r["file"], r["line"], r["column"], r["reason"]) for r in report}
    assert ("kansen.xlsx", "4", "Verkoper (owner_id)", "no reps row has this rep_id") in got
    assert any(r[1] == "5" and r[2] == "Aangemaakt op (created_at)" and r[3].startswith("not a date") for r in got)
    kept = list(csv.DictReader(open(result.rejects_path.parent / "kansen.rejected.csv", encoding="utf-8")))
    assert [r["line"] for r in kept] == ["4", "5"] and kept[1]["Aangemaakt op"] == "morgen"

    again = import_mapped(tmp_ws, mapping, files)
    assert again.written == 0


def test_a_mapping_that_names_a_missing_column_is_refused_with_the_columns_found(tmp_ws, tmp_path):
    files = _dutch_files(tmp_path)
    mapping = _mapping(tmp_path, DUTCH_MAPPING.replace("owner_id: Verkoper", "owner_id: Verkoopster"))
    with pytest.raises(MappingError) as e:
        import_mapped(tmp_ws, mapping, files)
    assert "kansen.xlsx has no column 'Verkoopster'" in str(e.value)
    assert "kansen.xlsx: ID, Verkoper, Aangemaakt op" in str(e.value)
    assert tmp_ws.counts()["reps"] == 0  # nothing was imported


@pytest.mark.parametrize(("change", "message"), [
    (("tables:", "tables:\n  deals: {from: kansen, columns: {a: b}}"), "tables.deals: not a canonical table"),
    (("      created_at: Aangemaakt op\n", ""), "created_at is required and not mapped"),
    (("product: {column", "colour: {column"), "tables.opportunities.colour: not a column of opportunities"),
    (("sheet: Pijplijn", "sheet: Blad9"), "no sheet 'Blad9'; sheets: Overzicht, Pijplijn"),
    (("path: verkopers.csv", "path: medewerkers.csv"), "no file named 'medewerkers.csv'"),
])
def test_mapping_mistakes_are_named(tmp_ws, tmp_path, change, message):
    files = _dutch_files(tmp_path)
    with pytest.raises(MappingError, match=message):
        import_mapped(tmp_ws, _mapping(tmp_path, DUTCH_MAPPING.replace(*change)), files)


# -- a published dataset, through the recipe shipped in the docs -------------------
def test_maven_crm_recipe_reproduces_the_published_figures(tmp_ws):
    """Figures published in rutujads-1/CRM-Sales-Dashboard, README.md (commit
    01da095ee6153a8b22ab394f5b68edb02dd00288), "Executive summary" and "Insights
    deep dive": $10.01M total revenue from 4,238 won deals in 2017; West about
    $3.6M, Central $3.3M, East $3.1M; Darcel Schlecht the highest closing
    revenue at $1,153,214, Violet McLelland the lowest at $123,431."""
    tmp_ws.set_settings(currency="USD", time_zone="UTC")
    files = [MAVEN / f for f in ("sales_pipeline.csv", "sales_teams.csv", "accounts.csv", "products.csv")]
    result = import_mapped(tmp_ws, ROOT / "docs" / "recipes" / "maven-crm.yaml", files)
    # the 500 Prospecting deals have no engage date, so no start: rejected with that reason
    assert [(t.table, t.rejected) for t in result.tables] == [
        ("stages", 0), ("reps", 0), ("customers", 0), ("opportunities", 500)]
    won = _figure(tmp_ws, "won_value", "2017")
    assert round(won["value"][0] / 1e6, 2) == 10.01 and won["value"][0] == 10_005_534
    assert _figure(tmp_ws, "won_deals", "2017")["value"][0] == 4238
    by_region = {r["region"]: round(r["value"] / 1e6, 1) for r in _figure(tmp_ws, "won_value", "2017", ["region"])
                 .to_dict("records")}
    assert by_region == {"West": 3.6, "Central": 3.3, "East": 3.1}
    by_agent = _figure(tmp_ws, "won_value", "2017", ["owner"]).set_index("owner")["value"]
    assert by_agent.idxmax() == "Darcel Schlecht" and by_agent.max() == 1_153_214
    assert by_agent.idxmin() == "Violet Mclelland" and by_agent.min() == 123_431
    assert import_mapped(tmp_ws, ROOT / "docs" / "recipes" / "maven-crm.yaml", files).written == 0


# -- values only where conditions hold, values by cases, optional columns ------------
# deals.csv (ID, Owner, Created) as opportunities and their reps; a test adds files and columns
DEALS = """\
tables:
  reps: {from: deals, unique: true, columns: {rep_id: Owner, name: Owner, hired_on: {value: "2024-01-01"}}}
  opportunities:
    from: deals
    columns:
      opportunity_id: ID
      owner_id: Owner
      created_at: Created
"""

CONDITIONAL = "\nfiles:\n  deals: {path: deals.csv}\n" + DEALS + """\
      probability: Chance
      status:
        optional: true
        cases:
          - {when: {probability: 100}, value: won}
          - {when: {probability: 0, Archived: true}, value: lost}
          - {value: open}
      closed_at: {column: Closed, when: {status: [won, lost]}}
      lost_reason: {column: Reason, optional: true, when: {status: lost}}
"""


def test_when_cases_and_optional_columns(tmp_ws, tmp_path):
    (tmp_path / "deals.csv").write_text(
        "ID,Owner,Created,Chance,Closed,Archived,Reason\n"
        "D1,R1,2025-01-02,100.0,2025-02-01,False,\n"  # 100.0 meets 100: won
        "D2,R1,2025-01-03,0,2025-02-02,TRUE,Too dear\n"  # archived at 0: lost
        "D3,R1,2025-01-04,0,2025-02-03,False,Ignored\n"  # at 0 but not archived: open, no close, no reason
        "D4,R1,2025-01-05,40,,False,\n", encoding="utf-8")
    tmp_ws.set_settings(time_zone="UTC")
    import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL), [tmp_path / "deals.csv"])
    with tmp_ws.reader() as con:
        got = con.execute("SELECT opportunity_id, status, strftime(closed_at, '%Y-%m-%d'), lost_reason "
                          "FROM opportunities ORDER BY 1").fetchall()
    assert got == [("D1", "won", "2025-02-01", None), ("D2", "lost", "2025-02-02", "Too dear"),
                   ("D3", "open", None, None), ("D4", "open", None, None)]


def test_a_case_on_a_column_the_file_lacks_is_never_met(tmp_ws, tmp_path):
    (tmp_path / "deals.csv").write_text("ID,Owner,Created,Chance,Closed\nD1,R1,2025-01-02,0,2025-02-01\n",
                                        encoding="utf-8")
    import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL), [tmp_path / "deals.csv"])
    with tmp_ws.reader() as con:
        assert con.execute("SELECT status, closed_at FROM opportunities").fetchall() == [("open", None)]


@pytest.mark.parametrize(("change", "message"), [
    (("        optional: true\n", ""), "a condition names 'Archived', neither a column this table maps"),
    (("when: {status: [won, lost]}", "when: {state: [won]}"), "a condition names 'state'"),
    (("      probability: Chance", "      probability: {column: Chance, when: {closed_at: '2025-02-01'}}"),
     "depend on each other in a circle"),
    (("          - {value: open}", "          - {valeur: open}"), "cases.3: give `value:`"),
])
def test_condition_mistakes_are_named(tmp_ws, tmp_path, change, message):
    (tmp_path / "deals.csv").write_text("ID,Owner,Created,Chance,Closed\nD1,R1,2025-01-02,0,\n", encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL.replace(*change)), [tmp_path / "deals.csv"])


# -- what an outside review of mapped imports found ---------------------------------
def test_conditions_on_a_mapped_number_hold_in_a_file_with_decimal_commas(tmp_ws, tmp_path):
    """A mapped column's value is canonical text (0.00) by the time a
    condition looks at it, whatever the file's decimal mark (0,00)."""
    (tmp_path / "deals.csv").write_text(
        "ID;Owner;Created;Chance;Closed;Archived;Reason\n"
        "D1;R1;2025-01-02;100,00;2025-02-01;False;\n"
        "D2;R1;2025-01-03;0,00;2025-02-02;True;Te duur\n", encoding="utf-8")
    tmp_ws.set_settings(time_zone="UTC")
    import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL), [tmp_path / "deals.csv"])
    with tmp_ws.reader() as con:
        got = con.execute("SELECT opportunity_id, status, lost_reason FROM opportunities ORDER BY 1").fetchall()
    assert got == [("D1", "won", None), ("D2", "lost", "Te duur")]


def test_yes_and_no_in_a_mapping_are_words_and_values_match_whatever_the_case(tmp_ws, tmp_path):
    """YAML 1.1 reads Yes as true; an export writes Yes. And `values:`
    matches Closed won as Closed Won, as conditions do."""
    (tmp_path / "deals.csv").write_text(
        "ID,Owner,Created,Closed,Won,Stage\nD1,R1,2025-01-02,2025-02-01,Yes,Closed won\n"
        "D2,R1,2025-01-03,2025-02-02,No,Closed Lost\nD3,R1,2025-01-04,,No,Demo\n", encoding="utf-8")
    mapping = 'files:\n  deals: {path: deals.csv}\n' + DEALS + """\
      stage: {column: Stage, values: {Closed Won: Won, Closed Lost: Lost, "*": Open}}
      status:
        cases:
          - {when: {Won: Yes}, value: won}
          - {when: {Closed: ["2025-02-02"], Won: No}, value: lost}
          - {value: open}
      closed_at: {column: Closed, when: {status: [won, lost]}}
  stages: {rows: [{stage: Open, sequence: 1, kind: open}, {stage: Won, sequence: 2, kind: won},
                  {stage: Lost, sequence: 3, kind: lost}]}
"""
    tmp_ws.set_settings(time_zone="UTC")
    result = import_mapped(tmp_ws, _mapping(tmp_path, mapping), [tmp_path / "deals.csv"])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        got = con.execute("SELECT opportunity_id, status, stage FROM opportunities ORDER BY 1").fetchall()
    assert got == [("D1", "won", "Won"), ("D2", "lost", "Lost"), ("D3", "open", "Open")]


def test_a_looked_up_value_is_read_as_its_own_file_writes_numbers(tmp_ws, tmp_path):
    (tmp_path / "deals.csv").write_text("ID;Owner;Created;Product;Amount\nD1;R1;2025-01-02;Pro;\n"
                                        "D2;R1;2025-01-03;Basic;1.500,50\n", encoding="utf-8")
    (tmp_path / "prices.csv").write_text("Product,Price\nPro,4821.50\nBasic,1.500\n", encoding="utf-8")
    mapping = 'files:\n  deals: {path: deals.csv}\n  prices: {path: prices.csv}\n' + DEALS + """\
      status: {value: open}
      product: Product
      amount: {column: Amount, lookup: {file: prices, key: Product, value: Price, match: product}}
"""
    result = import_mapped(tmp_ws, _mapping(tmp_path, mapping), [tmp_path / "deals.csv", tmp_path / "prices.csv"])
    assert result.rejected == 0
    with tmp_ws.reader() as con:
        assert con.execute("SELECT amount FROM opportunities ORDER BY 1").fetchall() == [(1500.5,), (4821.5,)]


def test_a_line_with_more_fields_than_the_header_is_reported_not_cut(tmp_ws, tmp_path):
    (tmp_path / "deals.csv").write_text("ID;Owner;Created;Chance;Closed\nD1;R1;2025-01-02;10;\n"
                                        "D2;R1;2025-01-03;10;;Jansen; BV;\nD3;R1;2025-01-04;10;;\n", encoding="utf-8")
    result = import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL.replace("        optional: true\n", "")
                                            .replace("          - {when: {probability: 0, Archived: true}, value: lost}\n",
                                                     "")), [tmp_path / "deals.csv"])
    report = list(csv.DictReader(open(result.rejects_path, encoding="utf-8")))
    assert [(r["file"], r["line"], r["reason"]) for r in report if r["line"] == "3"][0] == (
        "deals.csv", "3", "8 fields where the header has 5: a value with an unquoted ';'?")
    with tmp_ws.reader() as con:
        assert [r[0] for r in con.execute("SELECT opportunity_id FROM opportunities ORDER BY 1").fetchall()] == [
            "D1", "D3"]
    # kept beside the report whole, as its text
    kept = list(csv.DictReader(open(result.rejects_path.parent / "deals.rejected.csv", encoding="utf-8")))
    assert [(r["line"], r["ID"], r["malformed_record"]) for r in kept] == [("3", "", "D2;R1;2025-01-03;10;;Jansen; BV;")]


def test_a_file_of_utf8_and_windows_1252_lines_reads_each_line_right(tmp_path):
    (tmp_path / "reps.csv").write_bytes("ID,Name\nR1,Renée\n".encode() + "R2,Zoë\n".encode("cp1252"))
    tab = read_tabular(tmp_path / "reps.csv")
    assert list(tab.rows["Name"]) == ["Renée", "Zoë"]
    (tmp_path / "bom.csv").write_bytes("\ufeffID,Name\nR1,A\n".encode())
    assert read_tabular(tmp_path / "bom.csv", encoding="utf-8").columns == ["ID", "Name"]


def test_excel_numbers_follow_the_files_decimal_mark_and_sheets_go_by_name_first(tmp_path):
    book = Workbook()
    book.active.title = "Overzicht"
    sheet = book.create_sheet("2024")
    sheet.append(["ID", "Bedrag"])
    sheet.append(["A", 1234.56])
    sheet.append(["B", "1.234,5"])
    path = tmp_path / "omzet.xlsx"
    book.save(path)
    tab = read_tabular(path, sheet=2024, decimal=",")
    assert tab.sheet == "2024" and [parse_number(v, ",") for v in tab.rows["Bedrag"]] == ["1234.56", "1234.5"]


def test_a_date_at_midnight_is_a_date_and_a_column_may_have_several_formats(tmp_ws, tmp_path):
    assert parse_date("30-04-2025 00:00") == "2025-04-30"
    with pytest.raises(ValueError, match="has a time of day"):
        parse_date("30-04-2025 10:00")
    from koers.importers.mapping import _read_value
    from koers.model import ColType

    formats = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
    assert _read_value(ColType.DATE, "2025-04-30T17:00:00", ".", formats) == "2025-04-30"
    with pytest.raises(ValueError, match="matches none of the formats"):
        _read_value(ColType.DATE, "30 april", ".", formats)


@pytest.mark.parametrize(("change", "message"), [
    (("      probability: Chance", "      probability: {column: 1}"), "probability.column: a column name"),
    (("      probability: Chance", "      probability: {column: Chance, format: 2025}"), "format: a date format"),
    (("      probability: Chance", "      probability: {column: Chance, values: [a, b]}"), "values: a mapping"),
    (("  deals: {path: deals.csv}", "  deals: {path: deals.csv, ends_at_blank_line: \"no\"}"),
     "ends_at_blank_line: true or false"),
])
def test_a_mapping_value_of_the_wrong_kind_is_named_not_a_crash(tmp_ws, tmp_path, change, message):
    (tmp_path / "deals.csv").write_text("ID,Owner,Created,Chance,Closed\nD1,R1,2025-01-02,0,\n", encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        import_mapped(tmp_ws, _mapping(tmp_path, CONDITIONAL.replace(*change)), [tmp_path / "deals.csv"])


def test_a_semicolon_file_with_a_comma_in_its_header_and_decimal_commas_is_split_on_semicolons():
    from koers.importers.tabular import sniff_delimiter

    text = "Klant;Datum;Omzet (EUR, excl. btw);Regio\nA;04-03-2025;1234,50;Noord\nB;05-03-2025;99,95;Zuid\n"
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("a,b,c\n1,2,3\n4,5,6\n") == ","


def test_an_excel_percentage_reads_as_the_user_sees_it(tmp_path):
    """A probability cell holding 0.75 formatted as 0% shows 75%: it is 75."""
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Kans"])
    sheet.append(["A", 0.75])
    sheet.append(["B", 0.125])
    sheet.append(["C", 40])
    sheet["B2"].number_format = "0%"
    sheet["B3"].number_format = "0.0%"
    book.save(tmp_path / "kansen.xlsx")
    tab = read_tabular(tmp_path / "kansen.xlsx")
    assert list(tab.rows["Kans"]) == ["75%", "12.5%", "40"]
    assert [parse_number(v, ".") for v in tab.rows["Kans"]] == ["75", "12.5", "40"]


def test_a_reject_shows_a_rewritten_value_as_the_file_wrote_it(tmp_ws, tmp_path):
    """A mapping reads 150,5 as 150.5 and 03-02-2025 as 2025-02-03; the report
    names what the user will search the file for."""
    (tmp_path / "deals.csv").write_text(
        "ID;Owner;Created;Chance;Closed\nD1;R1;02-01-2025;150,5;\nD2;R1;03-01-2025;10,5;\n"
        "D3;R1;04-01-2025 10:00;10;\n", encoding="utf-8")
    mapping = CONDITIONAL.replace("        optional: true\n", "").replace(
        "          - {when: {probability: 0, Archived: true}, value: lost}\n", "")
    mapping = mapping.replace("files:\n  deals: {path: deals.csv}", "files:\n  deals: {path: deals.csv, dates: day_first}")
    result = import_mapped(tmp_ws, _mapping(tmp_path, mapping), [tmp_path / "deals.csv"])
    report = list(csv.DictReader(open(result.rejects_path, encoding="utf-8")))
    assert [(r["line"], r["column"], r["value"]) for r in report] == [("2", "Chance (probability)", "150,5")]
    with tmp_ws.reader() as con:
        assert con.execute("SELECT opportunity_id, probability FROM opportunities ORDER BY 1").fetchall() == [
            ("D2", 10.5), ("D3", 10.0)]


def _mapped(tmp_ws, tmp_path, mapping: str, files: dict[str, str]):
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return import_mapped(tmp_ws, tmp_path / "m.yaml", [tmp_path / n for n in files])


def _landed(tmp_ws, sql: str) -> list[tuple]:
    with tmp_ws.reader() as con:
        return con.execute(sql).fetchall()


def test_an_exchange_rate_is_no_amount_and_its_decimals_need_no_telling(tmp_ws, tmp_path):
    result = _mapped(tmp_ws, tmp_path, """
files:
  rates: {path: rates.csv, dates: "%Y-%m-%d"}
tables:
  exchange_rates:
    from: rates
    columns: {currency: Currency, valid_from: From, rate: Rate}
""", {"rates.csv": "Currency,From,Rate\nUSD,2025-01-01,0.9215\nGBP,2025-01-01,1.185\n"})
    assert result.rejected == 0
    assert _landed(tmp_ws, "SELECT currency, rate FROM exchange_rates ORDER BY 1") == [("GBP", 1.185), ("USD", 0.9215)]


def test_a_negative_amount_names_its_currency_wherever_its_minus_stands(tmp_ws, tmp_path):
    tmp_ws.set_settings(currency="USD")
    orders = "Order,Customer,Date,Amount\nO1,C1,2025-03-04,-€ 50\nO2,C1,2025-03-04,€ -50\nO3,C1,2025-03-04,- € 50\n"
    result = _mapped(tmp_ws, tmp_path, """
files:
  o: {path: orders.csv, dates: "%Y-%m-%d"}
tables:
  customers:
    from: o
    unique: true
    columns: {customer_id: Customer, name: Customer, acquired_on: {value: "2024-01-01"}}
  orders:
    from: o
    columns: {order_id: Order, customer_id: Customer, ordered_on: Date, amount: Amount}
""", {"orders.csv": orders})
    with open(result.rejects_path, encoding="utf-8") as f:
        # the currency is the amount's own: reported under its column, as written
        assert {r["line"]: (r["column"], r["value"]) for r in csv.DictReader(f)} == {
            "2": ("Amount (currency)", "-€ 50"), "3": ("Amount (currency)", "€ -50"),
            "4": ("Amount (currency)", "- € 50")}


def test_a_unique_table_keeps_a_row_whose_optional_key_part_is_empty(tmp_ws, tmp_path):
    result = _mapped(tmp_ws, tmp_path, """
files:
  t: {path: targets.csv}
tables:
  reps:
    rows:
      - {rep_id: Jan, name: Jan, hired_on: "2020-01-01"}
  targets:
    from: t
    unique: true
    columns: {period: Period, kpi: KPI, rep_id: Rep, value: Value}
""", {"targets.csv": "Period,KPI,Rep,Value\n2025-Q1,revenue,,100000\n2025-Q1,revenue,Jan,50000\n"})
    assert result.rejected == 0
    assert _landed(tmp_ws, "SELECT rep_id, value FROM targets ORDER BY 2") == [("Jan", 50000.0), (None, 100000.0)]


PEOPLE = """
files:
  people: {path: people.csv}
tables:
  reps:
    from: people
    unique: true
    columns: {rep_id: Name, name: Name, email: Mail, hired_on: Start}
"""


def test_a_file_whose_own_rows_are_reps_updates_them_where_gathered_reps_would_not(tmp_ws, tmp_path):
    """Reps gathered from a deals file only add the ones the workspace lacks (test_presets); a file of
    reps itself, even one that repeats a rep (unique: true), is the reps' own export and updates them."""
    first = _mapped(tmp_ws, tmp_path, PEOPLE, {"people.csv": "Name,Mail,Start\nJan,jan@a.nl,2021-05-01\n"})
    again = _mapped(tmp_ws, tmp_path, PEOPLE, {"people.csv": "Name,Mail,Start\nJan,jan@b.nl,2021-05-01\n"
                                                             "Jan,jan@c.nl,2021-05-01\n"})
    assert (first.written, again.written) == (1, 1)
    assert _landed(tmp_ws, "SELECT rep_id, email FROM reps") == [("Jan", "jan@b.nl")]


def test_a_format_that_names_the_day_order_is_not_overruled_by_the_file_s(tmp_ws, tmp_path):
    tmp_ws.set_settings(time_zone="UTC")
    result = _mapped(tmp_ws, tmp_path, """
files:
  f: {path: deals.csv}
tables:
  reps:
    from: f
    unique: true
    columns: {rep_id: Owner, name: Owner, hired_on: {value: "2020-01-01"}}
  opportunities:
    from: f
    columns: {opportunity_id: ID, owner_id: Owner, created_at: {column: Created, format: "%m/%d/%Y"},
              status: Status, amount: Amount}
""", {"deals.csv": "ID,Owner,Created,Status,Amount\nA,Jan,03/04/2025,open,100\nB,Jan,03/04/2025 10:00,open,100\n"})
    assert _landed(tmp_ws, "SELECT opportunity_id, CAST(created_at AS DATE) FROM opportunities") == [
        ("A", date(2025, 3, 4))]
    assert result.rejected == 1


def test_a_workbook_s_number_cells_tell_nothing_of_how_its_text_amounts_are_written(tmp_ws, tmp_path):
    from koers.importers.presets import preset_path

    book = Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Deal owner", "Create Date", "Deal Stage", "Close Date", "Amount"])
    sheet.append([1, "Jan", "2025-03-04 09:15", "Contract Sent", "2025-04-30", 1200.5])
    sheet.append([2, "Jan", "2025-03-04 09:15", "Contract Sent", "2025-04-30", "€ 1.200"])
    book.save(tmp_path / "deals.xlsx")
    result = import_mapped(tmp_ws, preset_path("hubspot"), [tmp_path / "deals.xlsx"])
    assert _landed(tmp_ws, "SELECT opportunity_id, amount FROM opportunities") == [("1", 1200.5)]
    with open(result.rejects_path, encoding="utf-8") as f:
        assert [(r["line"], r["value"]) for r in csv.DictReader(f)] == [("3", "€ 1.200")]


def test_a_salesforce_workbook_s_footer_is_skipped(tmp_ws, tmp_path):
    from koers.importers.presets import preset_path

    book = Workbook()
    sheet = book.active
    sheet.append(["Opportunity Owner", "Opportunity Name", "Stage", "Created Date", "Close Date", "Amount"])
    sheet.append(["Jan", "A", "Prospecting", "3/4/2025", "4/30/2025", 100])
    sheet.append([])
    sheet.append(["Opportunities Report"])
    sheet.append(["Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."])
    book.save(tmp_path / "report.xlsx")
    assert import_mapped(tmp_ws, preset_path("salesforce"), [tmp_path / "report.xlsx"]).rejected == 0
    assert _landed(tmp_ws, "SELECT list(rep_id) FROM reps") == [(["Jan"],)]


def test_a_forecast_in_another_currency_than_the_workspace_s_is_rejected(tmp_ws, tmp_path):
    result = _mapped(tmp_ws, tmp_path, """
files:
  fc: {path: fc.csv, dates: "%Y-%m-%d"}
tables:
  reps:
    rows:
      - {rep_id: Jan, name: Jan, hired_on: "2020-01-01"}
  forecasts:
    from: fc
    columns: {rep_id: Rep, period: Period, submitted_on: Submitted, amount: Amount}
""", {"fc.csv": "Rep,Period,Submitted,Amount\nJan,2025-03,2025-03-01,$ 500\nJan,2025-04,2025-04-01,€ 700\n"})
    assert _landed(tmp_ws, "SELECT period, amount FROM forecasts") == [("2025-04", 700.0)]
    with open(result.rejects_path, encoding="utf-8") as f:
        assert [r["reason"] for r in csv.DictReader(f)] == [
            "an amount in dollars, targets and forecasts are in the workspace currency, EUR"]
