"""The workbooks Koers writes (koers kpi and koers drill --format xlsx, the
web's XLSX exports): what a spreadsheet makes of their cells."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook, load_workbook

from koers.workbook import cell, parts_format, records_workbook


def test_a_text_that_starts_with_equals_stays_text_never_a_formula():
    # a CRM field or a rejected value is outside input: a spreadsheet must not run it
    rows = pd.DataFrame({"campaign": ["=HYPERLINK(\"http://x\")", "plain"], "amount": [603.0, 12.5]})
    wb = load_workbook(io.BytesIO(records_workbook(rows, "won_value", "en")))
    sheet = wb["Records"]
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=HYPERLINK(\"http://x\")", "s")
    assert sheet["A3"].value == "plain"
    book = Workbook(write_only=True)
    assert cell(book.create_sheet("x"), "=1+1").data_type == "s"
    assert cell(book.create_sheet("y"), 5).data_type == "n"


def test_whole_numbers_are_shown_whole():
    assert parts_format(603) == parts_format(603.0) == "#,##0"
    assert parts_format(12.5) == "#,##0.0#"
    rows = pd.DataFrame({"amount": [603.0, 12.5]})
    sheet = load_workbook(io.BytesIO(records_workbook(rows, "won_value", "en")))["Records"]
    assert [sheet["A2"].number_format, sheet["A3"].number_format] == ["#,##0", "#,##0.0#"]
