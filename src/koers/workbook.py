"""Workbooks for people: `koers kpi` and `koers drill --format xlsx`, and
the cell formats the web's XLSX exports share.

A CSV with `,` and decimal points opens wrongly in a Dutch Excel (which
reads `;` and decimal commas), so sales ops gets a workbook instead: the
rows of `--format csv` with numbers as numbers (each formatted by its KPI's
unit), periods as dates beside their notation, KPIs and reps by name beside
their ids, and a second sheet with every asked KPI's definition and notes,
as the cockpit shows a definition beside each figure.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.model import Unit, label

SHEETS = {"nl": ("KPI's", "Definities"), "en": ("KPIs", "Definitions")}
RECORDS = {"nl": "Records", "en": "Records"}
HEADINGS = {
    "nl": {"name": "Naam", "period_label": "Periode (notatie)", "definition": "Definitie", "notes": "Opmerkingen",
           "unit": "Eenheid", "better": "Beter"},
    "en": {"name": "Name", "period_label": "Period (notation)", "definition": "Definition", "notes": "Notes",
           "unit": "Unit", "better": "Better"},
}
# a change as a spreadsheet shows it, its sign always written (here and in the web's exports)
CHANGE_FORMATS = {"%": "+0.0%;-0.0%;0.0%", "pp": '+0.0" pp";-0.0" pp";0.0" pp"', "×": '+0.00"×";-0.00"×";0.00"×"'}
PARTS_FORMAT = "#,##0.0#"  # a number with decimals; a whole one is shown whole (parts_format)


def parts_format(value) -> str:
    """A count or amount without a unit of its own: whole numbers without a
    trailing separator (Excel shows `#,##0.##` of 603 as `603.`)."""
    return "#,##0" if isinstance(value, int) or float(value).is_integer() else PARTS_FORMAT


def value_format(kpi_id: str, currency: str) -> str:
    """How a spreadsheet shows a value of the KPI (here and in the web's exports)."""
    kpi = CATALOG_BY_ID.get(kpi_id)
    if kpi is None:
        return PARTS_FORMAT
    if kpi.unit == Unit.RATIO:
        return '0.0#"×"' if kpi.multiple else "0.0%"
    if kpi.unit in (Unit.MONEY, Unit.MONEY_PER_DAY):
        return f'#,##0.00 "{currency}"'
    return "#,##0.0#"


def kpi_workbook(rows: pd.DataFrame, lang: str, currency: str, period_labels: dict,
                 names: dict[str, dict[str, str]]) -> bytes:
    """The rows of `koers kpi` (its csv columns, in their order) as an XLSX file."""
    said = HEADINGS[lang]
    columns = []  # (heading, how a record gives the cell, number format of the cell or None)
    for c in rows.columns:
        if c in ("kpi", "target_kpi"):
            columns.append((label(c, lang), _key(c), None))
            columns.append((f"{label(c, lang)}: {said['name'].lower()}", _kpi_name(c, lang), None))
        elif c == "period":
            columns.append((label(c, lang), _key(c), "yyyy-mm-dd"))
            columns.append((said["period_label"], lambda r: period_labels.get(r["period"], output.plain(r["period"])),
                            None))
        elif c in ("value", "compared_value"):
            columns.append((label(c, lang), _key(c), lambda r: value_format(r["kpi"], currency)))
        elif c in ("numerator", "denominator", "compared_numerator", "compared_denominator"):
            columns.append((label(c, lang), _key(c), _parts_format_of(c)))
        elif c == "change":
            columns.append((label(c, lang), _key(c), lambda r: CHANGE_FORMATS.get(r.get("change_unit"), "0.0##")))
        elif c == "pace":
            columns.append((label(c, lang), _key(c), "0.0%"))
        else:
            columns.append((label(c, lang), _key(c), None))
            if c in names:  # reps and customers by name beside their id
                columns.append((f"{label(c, lang)}: {said['name'].lower()}", _named(c, names[c]), None))
    wb = Workbook(write_only=True)
    figures = wb.create_sheet(SHEETS[lang][0])
    figures.append([_bold(figures, heading) for heading, _, _ in columns])
    for record in rows.to_dict("records"):
        line = []
        for _, get, fmt in columns:
            value = cell_value(get(record))
            made = cell(figures, value)
            fmt = fmt(record) if callable(fmt) else fmt
            if fmt and isinstance(value, int | float | date):
                made.number_format = fmt
            line.append(made)
        figures.append(line)
    asked = dict.fromkeys(k for c in ("kpi", "target_kpi") if c in rows for k in rows[c] if k in CATALOG_BY_ID)
    _definitions(wb, list(asked), lang)
    return _saved(wb)


def records_workbook(rows: pd.DataFrame, kpi_id: str, lang: str) -> bytes:
    """The records of `koers drill` as an XLSX file: instants in the
    workspace's local time (a spreadsheet holds no offset), the KPI's
    definition on a second sheet."""
    wb = Workbook(write_only=True)
    _records_sheet(wb, RECORDS[lang], rows, lang)
    _definitions(wb, [kpi_id], lang)
    return _saved(wb)


def _records_sheet(wb: Workbook, title: str, rows: pd.DataFrame, lang: str) -> None:
    from koers.web.i18n import column_label

    records = wb.create_sheet(title)
    headings = [column_label(c, lang) for c in rows.columns]
    # two columns one label (customer_id and the customer dimension): each its own heading
    headings = [f"{h} ({c})" if headings.count(h) > 1 else h for h, c in zip(headings, rows.columns)]
    records.append([_bold(records, h) for h in headings])
    local = {c: rows[c].dt.tz_localize(None) if isinstance(rows[c].dtype, pd.DatetimeTZDtype) else rows[c]
             for c in rows.columns}
    for i in range(len(rows)):
        line = []
        for c in rows.columns:
            value = cell_value(local[c].iloc[i])
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            made = cell(records, value)
            if isinstance(value, datetime):
                made.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                made.number_format = "yyyy-mm-dd"
            elif isinstance(value, int | float):
                made.number_format = parts_format(value)
            line.append(made)
        records.append(line)


CHANGES = {"nl": ("Pijplijnveranderingen", "Deals", "Betekenis"), "en": ("Pipeline changes", "Deals", "Meaning")}
CHANGES_HEADINGS = {"nl": {"line": "Regel", "count": "Deals", "value": "Waarde"},
                    "en": {"line": "Line", "count": "Deals", "value": "Value"}}


def changes_workbook(lines: pd.DataFrame, deals: pd.DataFrame, lang: str, currency: str, compared: str) -> bytes:
    """`koers changes` as an XLSX file: the walk (per group when split), each
    line named and explained, values as money; the deals behind it on a
    second sheet."""
    from koers.pipeline_changes import MOVES, line_label, meaning
    from koers.web.i18n import column_label

    wb = Workbook(write_only=True)
    walk = wb.create_sheet(CHANGES[lang][0])
    walk.append([cell(walk, compared)])
    by = [c for c in lines.columns if c not in ("line", "count", "value")]
    said = CHANGES_HEADINGS[lang]
    walk.append([_bold(walk, h) for h in (*(column_label(d, lang) for d in by), said["line"], HEADINGS[lang]["name"],
                                          said["count"], said["value"], CHANGES[lang][2])])
    signed = f'+#,##0.00 "{currency}";-#,##0.00 "{currency}";0.00 "{currency}"'  # a change to the open value
    for r in lines.to_dict("records"):
        value = cell(walk, cell_value(r["value"]))
        value.number_format = value_format("won_value", currency) if r["line"] in ("start", "end", *MOVES) else signed
        walk.append([*(cell(walk, cell_value(r[d])) for d in by), cell(walk, r["line"]),
                     cell(walk, line_label(r["line"], lang)), cell(walk, int(r["count"])), value,
                     cell(walk, meaning(r["line"], lang))])
    _records_sheet(wb, CHANGES[lang][1], deals, lang)
    return _saved(wb)


def _definitions(wb: Workbook, kpi_ids: list[str], lang: str) -> None:
    """A sheet with each KPI's definition and notes, as the cockpit shows them beside its figures."""
    from koers.web.i18n import word

    said = HEADINGS[lang]
    defined = wb.create_sheet(SHEETS[lang][1])
    defined.append([_bold(defined, h) for h in ("kpi", said["name"], said["unit"], said["better"],
                                                said["definition"], said["notes"])])
    for kpi_id in kpi_ids:
        k = CATALOG_BY_ID[kpi_id]
        defined.append([cell(defined, v) for v in (
            k.id, k.name(lang), word("unit_" + k.unit.value, lang), word(k.direction.value, lang),
            k.definition_in(lang), "\n".join(k.notes_in(lang)) or None)])


def _saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _key(column: str):
    return lambda r: r.get(column)


def _parts_format_of(column: str):
    def of(record: dict) -> str | None:
        value = cell_value(record.get(column))
        return parts_format(value) if isinstance(value, int | float) else None
    return of


def _kpi_name(column: str, lang: str):
    return lambda r: CATALOG_BY_ID[r[column]].name(lang) if r.get(column) in CATALOG_BY_ID else None


def _named(column: str, found: dict[str, str]):
    return lambda r: found.get(r.get(column))


def cell_value(v):
    """A cell as Excel holds it: numbers and dates as such, null empty."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if hasattr(v, "item"):  # a numpy number
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, int | float | str | date):
        return output.plain(v)
    return v


def cell(sheet, value) -> WriteOnlyCell:
    """A cell holding `value` as it is: a text that starts with `=` (a CRM
    field, a rejected value) stays text, never a formula the spreadsheet runs."""
    made = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and made.data_type == "f":
        made.data_type = "s"
    return made


def _bold(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    return cell


REVIEW = {"nl": ("Terugblik", "Focus-KPI's", "Verkopers", "Signalen", "Pijplijn", "Verwacht te sluiten"),
          "en": ("Review", "Focus KPIs", "Reps", "Alerts", "Pipeline", "Expected to close")}


def review_workbook(found, lang: str, currency: str, rep_names: dict[str, str], tz) -> bytes:
    """`koers review` as an XLSX file: what was reviewed (period, scope,
    moment, snapshots) first, then a sheet per part, each figure a number in
    its KPI's format, KPIs and reps by name beside their ids; the focus
    KPIs' definitions on the last sheet."""
    from koers import alerts
    from koers.datalog import local_instant
    from koers.pipeline_changes import WALK, line_label
    from koers.review import WORDS

    wb = Workbook(write_only=True)
    said = WORDS
    money = value_format("won_value", currency)

    def sheet(title: str, headings: list[str], lines: list[list[tuple]]) -> None:
        """`lines`: per row, (value, number format or None) per column."""
        made = wb.create_sheet(title)
        made.append([_bold(made, h) for h in headings])
        for line in lines:
            cells = []
            for value, fmt in line:
                value = cell_value(value)
                c = cell(made, value)
                if fmt and isinstance(value, int | float):
                    c.number_format = fmt
                cells.append(c)
            made.append(cells)

    scope = ", ".join(f"{d}={v}" for d, v in found.where.items()) or said["company"][lang]
    walked = (f"{found.pipeline.base.import_id} → {found.pipeline.then.import_id}" if found.pipeline else None)
    moment = local_instant(found.as_of, tz).replace(tzinfo=None)
    about = [[(said["period"][lang], None), (found.period.label + (f" ({said['so_far'][lang]})" if found.running
                                                                    else ""), None)],
             [(said["scope"][lang], None), (scope, None)], [(said["as_of"][lang], None), (moment, None)],
             [(said["snapshots"][lang], None), (walked, None)],
             *[[(said["notes"][lang], None), (n, None)] for n in found.notes_in(lang)]]
    made = wb.create_sheet(REVIEW[lang][0])
    for line in about:
        c = cell(made, cell_value(line[1][0]))
        if isinstance(line[1][0], datetime):
            c.number_format = "yyyy-mm-dd hh:mm"
        made.append([_bold(made, line[0][0]), c])

    change = {r["kpi"]: CHANGE_FORMATS.get(r["change_unit"], "0.0##") for r in found.headline.to_dict("records")}
    sheet(REVIEW[lang][1], ["kpi", HEADINGS[lang]["name"], said["value"][lang], said["previous"][lang],
                            said["change"][lang], said["year"][lang], said["change"][lang], said["target"][lang],
                            said["attainment"][lang], said["pace"][lang]],
          [[(r["kpi"], None), (CATALOG_BY_ID[r["kpi"]].name(lang), None),
            *((r[c], value_format(r["kpi"], currency)) for c in ("value", "previous_value")),
            (r["previous_change"], change[r["kpi"]]), (r["year_value"], value_format(r["kpi"], currency)),
            (r["year_change"], change[r["kpi"]]), (r["target"], value_format(r["kpi"], currency)),
            (r["attainment"], "0.0%"), (r["pace"], "0.0%")]
           for r in found.headline.to_dict("records")])
    sheet(REVIEW[lang][2], ["owner", said["rep"][lang], said["team"][lang],
                            *(CATALOG_BY_ID[k].name(lang) for k in found.rep_kpis), said["won_target"][lang],
                            said["attainment"][lang]],
          [[(r["owner"], None), (rep_names.get(r["owner"]), None), (r["team"], None),
            *((r[k], value_format(k, currency)) for k in found.rep_kpis), (r["won_value_target"], money),
            (r["won_value_attainment"], "0.0%")] for r in found.reps.to_dict("records")])
    rules = {r.name: r for r in found.rules}
    fired = found.alerts.fired.to_dict("records")
    sheet(REVIEW[lang][3], [said["rule"][lang], HEADINGS[lang]["name"], said["period"][lang], said["scope"][lang],
                            said["value"][lang], said["set_against"][lang], said["worse_by"][lang]],
          [[(r["rule"], None), (CATALOG_BY_ID[r["kpi"]].name(lang), None),
            (rules[r["rule"]].period(found.as_of, tz).label, None),
            (alerts.scope_text(rules[r["rule"]], r, alerts.rep_names(rep_names)),
             None),
            (r["value"], value_format(r["kpi"], currency)),
            (alerts.against_text(rules[r["rule"]], r, lang, currency), None),
            (alerts.worse_text(rules[r["rule"]], r, lang, currency), None)] for r in fired])
    for title, walk in ((REVIEW[lang][4], found.pipeline), (REVIEW[lang][5], found.closing)):
        if walk is not None:  # the walk's own lines, which add up from start to end
            lines = [r for r in walk.lines.to_dict("records") if r["line"] in WALK]
            sheet(title, [said["line"][lang], HEADINGS[lang]["name"], said["deals"][lang], said["value"][lang]],
                  [[(r["line"], None), (line_label(r["line"], lang), None), (int(r["count"]), "#,##0"),
                    (r["value"], money)] for r in lines])
    _definitions(wb, list(found.headline["kpi"]), lang)
    return _saved(wb)
