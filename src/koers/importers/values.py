"""Read one cell as people write numbers and dates, into canonical text.

Each parser returns the canonical text (ISO dates, plain decimal numbers)
or raises ValueError with the reason a report shows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, past Excel's 1900 leap-year slip
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_SPLIT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{1,6}(\.\d+)?$")
_MONEY_MARKS = re.compile(r"[€$£%\s\u00a0\u202f]|EUR|USD|GBP")  # "%": a probability exported as 75%

DATE_ORDERS = ("day_first", "month_first")


def parse_number(text: str, decimal: str) -> str:
    """`1.234,56` with decimal ",", `1,234.56` with decimal "."; currency
    marks and spaces are dropped; a trailing or leading minus both count."""
    t = _MONEY_MARKS.sub("", text)
    negative = t.startswith("-") or t.endswith("-")
    t = t.strip("-+")
    thousands = "." if decimal == "," else ","
    d, k = re.escape(decimal), re.escape(thousands)
    if not re.fullmatch(rf"(\d{{1,3}}({k}\d{{3}})+|\d+)({d}\d+)?|{d}\d+", t):
        raise ValueError(f"not a number (decimal '{decimal}')")
    t = t.replace(thousands, "").replace(decimal, ".")
    return ("-" if negative and float(t) != 0 else "") + t


def parse_date(text: str, order: str = "day_first", fmt: str | None = None) -> str:
    return _parse(text, order, fmt, with_time=False)


def parse_timestamp(text: str, order: str = "day_first", fmt: str | None = None) -> str:
    return _parse(text, order, fmt, with_time=True)


def _parse(text: str, order: str, fmt: str | None, with_time: bool) -> str:
    t = text.strip()
    if fmt:
        try:
            moment = datetime.strptime(t, fmt)
        except ValueError:
            raise ValueError(f"does not match the format {fmt}") from None
        return _out(moment, with_time)
    if _ISO.match(t):
        if not with_time:
            if len(t) != 10 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]00:00(:00)?", t):
                raise ValueError("a date was expected, this has a time of day")
            t = t[:10]
        try:
            moment = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not a valid date") from None
        if moment.tzinfo is not None:  # an instant with its offset: kept as written
            return moment.isoformat()
        return _out(moment, with_time)
    m = _SPLIT.match(t)
    if m:
        a, b, year, hh, mm, ss = m.groups()
        day, month = (a, b) if order == "day_first" else (b, a)
        try:
            moment = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            raise ValueError(f"not a valid date ({order.replace('_', ' ')})") from None
        if not with_time and int(hh or 0) + int(mm or 0) + int(ss or 0):  # 30-04-2025 00:00 is a date
            raise ValueError("a date was expected, this has a time of day")
        return _out(moment, with_time)
    if _SERIAL.match(t) and 1 <= float(t) < 2958466:  # Excel serial day numbers, up to 9999-12-31
        days = float(t)
        moment = datetime.combine(_EXCEL_EPOCH, datetime.min.time()) + timedelta(days=days)
        moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
        if not with_time and moment.time() != datetime.min.time():
            raise ValueError("a date was expected, this Excel serial has a time of day")
        return _out(moment, with_time)
    raise ValueError("not a date (ISO 2025-03-04, 04-03-2025, 4/3/2025 or an Excel serial)")


def _out(moment: datetime, with_time: bool) -> str:
    return moment.isoformat(timespec="seconds") if with_time else moment.date().isoformat()
