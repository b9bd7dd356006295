"""Tables as pages show them and as they are exported: one object holds the
raw values (for CSV and XLSX, numbers stay numbers) and the text people
read (Babel formats in the page's language)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from openpyxl import Workbook

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.web.figures import Asker, format_change, is_null
from koers.web.i18n import word
from koers.workbook import CHANGE_FORMATS, cell_value, parts_format, value_format
from koers.workbook import cell as text_safe_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | kpi (formatted as the KPI `kpi`) | number | percent | change
    kpi: str | None = None
    # change: the row's `<key>_unit` names the unit (figures.change_of): %, pp or ×

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
    lang: str = "en"  # of the labels an export adds
    # exported after the shown columns, not shown: the numbers behind a column shown as text (an alert's
    # "set against 315,000 €" is its compared value, in a column of its own)
    exported_only: list[Column] = field(default_factory=list)


def make_table(ask: Asker, name: str, title: str, columns: list[Column], rows: list[dict],
               links: list[dict[str, str]] | None = None, classes: list[dict[str, str]] | None = None,
               ignored: list[str] = (), exported_only: list[Column] = ()) -> DataTable:
    cells = [[cell_text(ask, c, r.get(c.key), r) for c in columns] for r in rows]
    return DataTable(name, title, columns, rows, cells, links or [{} for _ in rows], classes or [{} for _ in rows],
                     list(ignored), ask.view.lang, list(exported_only))


def cell_text(ask: Asker, col: Column, value, row: dict) -> str:
    if col.kind == "kpi":
        kpi_id = col.kpi or row.get("kpi")
        return ask.fmt(kpi_id, value)
    if col.kind == "number":
        return ask.num(value) or "–"
    if col.kind == "percent":
        return output.format_percent(None if is_null(value) else value, ask.view.lang)
    if col.kind == "change":
        return format_change(value, row.get(f"{col.key}_unit", "%"), ask.view.lang)
    if isinstance(value, datetime) and not is_null(value):
        return value.strftime("%Y-%m-%d %H:%M")
    return "–" if is_null(value) or value == "" else output.plain(value)


def _exported(table: DataTable) -> list[tuple[str, str, Column | None]]:
    """The columns of an export: (label, row key, column); a change column is
    followed by its unit's (%, pp or ×), since its numbers mean nothing without."""
    out = []
    for c in [*table.columns, *table.exported_only]:
        out.append((c.label, c.key, c))
        if c.kind == "change":
            out.append((f"{c.label} ({word('unit', table.lang).lower()})", f"{c.key}_unit", None))
    return out


def to_csv(table: DataTable) -> str:
    exported = _exported(table)
    frame = pd.DataFrame([[r.get(key) for _, key, _ in exported] for r in table.rows],
                         columns=[label for label, _, _ in exported])
    return output.to_csv(frame)


def to_xlsx(table: DataTable, currency: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.name[:31])
    exported = _exported(table)
    ws.append([label for label, _, _ in exported])
    formats = [number_format(c, currency) if c else None for _, _, c in exported]
    for r in table.rows:
        line = []
        for (_, key, c), fmt in zip(exported, formats):
            v = cell_value(r.get(key))  # a datetime or date stays one: Excel reads it as such
            cell = text_safe_cell(ws, v)
            if c is not None and c.kind == "change":
                fmt = CHANGE_FORMATS.get(r.get(f"{key}_unit"), CHANGE_FORMATS["%"])  # (no unit: no change either)
            elif c is not None and c.kind == "number" and isinstance(v, int | float):
                fmt = parts_format(v)
            elif c is not None and c.kind == "kpi" and c.kpi is None and r.get("kpi") in CATALOG_BY_ID:
                fmt = value_format(r["kpi"], currency)  # a row per KPI (the overview's cards): each its own unit
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
    if col.kind == "kpi" and col.kpi in CATALOG_BY_ID:
        return value_format(col.kpi, currency)
    return None
