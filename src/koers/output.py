"""Render compute() results: csv and json for machines, tables for people."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from decimal import Decimal

import pandas as pd
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent

from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.model import Unit

LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def missing(value) -> bool:
    """Null, or a float no output can hold as a number: NaN, and the infinity
    a sum overflows to (JSON has neither; neither is a figure)."""
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and not math.isfinite(value))


def plain(value) -> str:
    """Numbers plain and full precision (1234.5), empty for null."""
    if missing(value):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        # the shortest digits that read back as the same float, written out
        # positionally: repr() gives 5e-06 below 1e-4 and 1e+16 above
        return format(Decimal(repr(value)), "f")
    return str(value)


def _json_value(value):
    if missing(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def to_csv(rows: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(rows.columns))
    for rec in rows.itertuples(index=False):
        w.writerow([plain(v) for v in rec])
    return buf.getvalue()


def to_json(rows: pd.DataFrame) -> str:
    records = [{c: _json_value(v) for c, v in zip(rows.columns, rec)} for rec in rows.itertuples(index=False)]
    return json.dumps(records, ensure_ascii=False, indent=1)


def format_value(kpi_id: str, value, lang: str, currency: str = "EUR") -> str:
    """A KPI value as people read it, in the language's conventions."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    locale = LOCALES[lang]
    unit = CATALOG_BY_ID[kpi_id].unit if kpi_id in CATALOG_BY_ID else Unit.COUNT
    if unit == Unit.RATIO and CATALOG_BY_ID[kpi_id].multiple:
        return format_decimal(value, format="#,##0.0#", locale=locale) + "×"
    if unit == Unit.RATIO:
        return babel_percent(value, format="#,##0.0%", locale=locale)
    if unit in (Unit.MONEY, Unit.MONEY_PER_DAY):
        from babel.numbers import format_currency

        text = format_currency(value, currency, locale=locale)
        return text + ("/dag" if lang == "nl" else "/day") if unit == Unit.MONEY_PER_DAY else text
    if unit in (Unit.HOURS, Unit.DAYS):
        word = {("nl", Unit.HOURS): "uur", ("en", Unit.HOURS): "h", ("nl", Unit.DAYS): "dagen",
                ("en", Unit.DAYS): "days"}[(lang, unit)]
        return f"{format_decimal(value, format='#,##0.0', locale=locale)} {word}"
    if unit == Unit.COUNT and float(value).is_integer():
        return format_decimal(value, format="#,##0", locale=locale)
    return format_decimal(value, format="#,##0.##", locale=locale)


def format_number(value, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_decimal(value, format="#,##0.##", locale=LOCALES[lang])


def format_percent(value, lang: str) -> str:
    """A fraction as a percentage with one decimal (0.125 -> 12,5% in Dutch)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return babel_percent(value, format="#,##0.0%", locale=LOCALES[lang])


def format_short(kpi_id: str, value, lang: str, currency: str = "EUR") -> str:
    """A KPI value for a dashboard card: money from 10,000 up shortened
    (€ 4,9 mln., €4.9M), everything else as format_value writes it."""
    unit = CATALOG_BY_ID[kpi_id].unit if kpi_id in CATALOG_BY_ID else Unit.COUNT
    if unit == Unit.MONEY and value is not None and not (isinstance(value, float) and math.isnan(value)) \
            and abs(value) >= 10_000:
        from babel.numbers import format_compact_currency

        return format_compact_currency(value, currency, locale=LOCALES[lang], fraction_digits=1)
    return format_value(kpi_id, value, lang, currency)


def change_of(kpi, now, before) -> tuple[float | None, str]:
    """The change from `before` to `now` and its unit. Ratios change in
    percentage points (a win rate from 20% to 25% is +5 pp, not +25%), a
    multiple by how many times more (2.5× to 3.1× is +0.6×); everything else
    relative to where it was (%, as a fraction: +0.25 is +25%)."""
    unit = "×" if kpi.multiple else "pp" if kpi.unit == Unit.RATIO else "%"
    if missing(now) or missing(before) or (unit == "%" and before == 0):
        return None, unit
    if unit == "×":
        return now - before, unit
    if unit == "pp":
        return (now - before) * 100, unit
    return (now - before) / abs(before), unit


def format_change(value: float | None, unit: str, lang: str) -> str:
    if missing(value):
        return "–"
    sign = "+" if value >= 0 else "−"
    if unit == "×":
        return f"{sign}{format_number(round(abs(value), 2), lang)}×"
    if unit == "pp":
        return f"{sign}{format_number(round(abs(value), 1), lang)} pp"
    return sign + format_percent(abs(value), lang)
