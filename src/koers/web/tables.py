"""Tables as pages show them and as they are exported: one object holds the
raw values (for CSV and XLSX, numbers stay numbers) and the text people
read (Babel formats in the page's language)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.model import Unit
from koers.web.figures import Asker, is_null

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | kpi (formatted as the KPI `kpi`) | number | percent
    kpi: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class DataTable:
    name: str  # the `table=` an export asks for
    title: str
    columns: list[Column]
    rows: list[dict]
    cells: list[list[str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)  # per row: column key -> URL
    classes: list[dict[str, str]] = field(default_factory=list)  # per row: column key -> CSS class
    ignored: list[str] = field(default_factory=list)  # page filters its figures could not take, named above it


def make_table(ask: Asker, name: str, title: str, columns: list[Column], rows: list[dict],
               links: list[dict[str, str]] | None = None, classes: list[dict[str, str]] | None = None,
               ignored: list[str] = ()) -> DataTable:
    cells = [[cell_text(ask, c, r.get(c.key), r) for c in columns] for r in rows]
    return DataTable(name, title, columns, rows, cells, links or [{} for _ in rows], classes or [{} for _ in rows],
                     list(ignored))


def cell_text(ask: Asker, col: Column, value, row: dict) -> str:
    if col.kind == "kpi":
        kpi_id = col.kpi or row.get("kpi")
        return ask.fmt(kpi_id, value)
    if col.kind == "number":
        return ask.num(value) or "–"
    if col.kind == "percent":
        return output.format_percent(None if is_null(value) else value, ask.view.lang)
    if isinstance(value, datetime) and not is_null(value):
        return value.strftime("%Y-%m-%d %H:%M")
    return "–" if is_null(value) or value == "" else output.plain(value)


def to_csv(table: DataTable) -> str:
    frame = pd.DataFrame([[r.get(c.key) for c in table.columns] for r in table.rows],
                         columns=[c.label for c in table.columns])
    return output.to_csv(frame)


def to_xlsx(table: DataTable, currency: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.name[:31])
    ws.append([c.label for c in table.columns])
    formats = [number_format(c, currency) for c in table.columns]
    for r in table.rows:
        line = []
        for c, fmt in zip(table.columns, formats):
            v = r.get(c.key)
            v = None if is_null(v) else (v.item() if hasattr(v, "item") else v)
            if v is not None and not isinstance(v, int | float | str | date):
                v = output.plain(v)  # a datetime or date stays one: Excel reads it as such
            cell = WriteOnlyCell(ws, value=v)
            if fmt and isinstance(v, int | float):
                cell.number_format = fmt
            line.append(cell)
        ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def number_format(col: Column, currency: str) -> str | None:
    if col.kind == "percent":
        return "0.0%"
    if col.kind == "number":
        return "#,##0.##"
    if col.kind == "kpi" and col.kpi in CATALOG_BY_ID:
        unit = CATALOG_BY_ID[col.kpi].unit
        if unit == Unit.RATIO and CATALOG_BY_ID[col.kpi].multiple:
            return '0.0#"×"'
        if unit == Unit.RATIO:
            return "0.0%"
        if unit in (Unit.MONEY, Unit.MONEY_PER_DAY):
            return f'#,##0.00 "{currency}"'
        return "#,##0.0#"
    return None
