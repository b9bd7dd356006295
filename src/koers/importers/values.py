"""Read one cell as people write numbers and dates, into canonical text.

Each parser returns the canonical text (ISO dates, plain decimal numbers)
or raises ValueError with the reason a report shows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from koers.importers.validate import ISO_OTHER_FORMS_RE, ISO_TIMESTAMP_RE

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, past Excel's 1900 leap-year slip
# ISO 8601 as a canonical file has it (an offset only after a time, no further from UTC than
# 18:00): fromisoformat alone takes +23:59, and +01:60 as +02:00
_ISO = re.compile(ISO_TIMESTAMP_RE)
_ISO_OTHER_FORMS = re.compile(ISO_OTHER_FORMS_RE)  # basic (20250304T0915), or a decimal comma
# what may follow a day in a date column: its midnight, written out (extended or basic)
_MIDNIGHTS = ("", "T00:00", " 00:00", "T00:00:00", " 00:00:00", "T0000", "T000000")
_SPLIT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{1,6}(\.\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
# a currency symbol anywhere, or a code at either end of a number with its spaces taken out, a sign
# kept before it ("-USD1,200.00"); "%": a probability exported as 75%
_MONEY_MARKS = re.compile(r"[€$£%]|^[A-Z]{3}|(?<=^[+-])[A-Z]{3}|[A-Z]{3}(?=-?$)")
# the currency a value names: a symbol, or an ISO code before or after it ("USD 1,200.00", "1.200,00 EUR")
_CURRENCY = re.compile(r"^\s*[+-]?\s*([A-Z]{3}|[€$£])|([A-Z]{3}|[€$£])\s*-?\s*$")
_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "$"}  # "$": a dollar, which one the row's currency says
# a number of one to three digits and groups of three after one mark, and nothing else: 1.200 is
# one thousand two hundred or one point two, as the file's decimal mark has it
_GROUPS = {".": re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+-?$"), ",": re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+-?$")}
# one group of three after either mark: 1.200 and 1,200 each read as 1.2 by one mark and 1200 by the
# other, whichever the file's separator suggests (1.200.000 reads by "," alone, so it is no such number)
_THOUSAND_APART = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}-?$")
# a number only one decimal mark reads: 1.234,5 or 12,50 says ","; 1,234.5 or 12.50 says "."
# (one mark with other than three digits after it, or after a 0, is no thousands separator)
_SAYS = {",": re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,})|0,\d+)-?$"),
         ".": re.compile(r"^[+-]?(\d{1,3}(,\d{3})+\.\d+|\d+\.(\d{1,2}|\d{4,})|0\.\d+)-?$")}

DATE_ORDERS = ("day_first", "month_first")


def _bare(text: str) -> str:
    """A written number without its spaces and currency or percent marks."""
    return _MONEY_MARKS.sub("", _SPACES.sub("", text))


def parse_number(text: str, decimal: str) -> str:
    """`1.234,56` with decimal ",", `1,234.56` with decimal "."; currency
    marks and spaces are dropped; a trailing or leading minus both count."""
    t = _bare(text)
    negative = t.startswith("-") or t.endswith("-")
    t = t.strip("-+")
    thousands = "." if decimal == "," else ","
    d, k = re.escape(decimal), re.escape(thousands)
    if not re.fullmatch(rf"(\d{{1,3}}({k}\d{{3}})+|\d+)({d}\d+)?|{d}\d+", t):
        raise ValueError(f"not a number (decimal '{decimal}')")
    t = t.replace(thousands, "").replace(decimal, ".")
    return ("-" if negative and float(t) != 0 else "") + t


def currency_of(text: str) -> str | None:
    """The currency a written amount names (€ 1.200 is EUR), "$" for a
    dollar sign, None when it names none."""
    m = _CURRENCY.search(text)
    if not m:
        return None
    mark = m.group(1) or m.group(2)
    return _SYMBOLS.get(mark, mark)


def decimal_said(texts) -> str | None:
    """The decimal mark the written numbers `texts` show, where only one
    reads them all; None where none tells or they disagree."""
    said = set()
    for text in texts:
        t = _bare(text)
        said |= {mark for mark, pattern in _SAYS.items() if pattern.match(t)}
        if len(said) > 1:
            return None
    return said.pop() if said else None


def doubtful_mark(text: str, decimal: str) -> str | None:
    """The mark that makes an amount read a thousand times apart by the
    decimal mark alone, None where it reads one way: 1.200 is 1.2 or 1200
    (".") and 1,200 likewise (","), whichever mark `decimal`, the one
    presumed, is. Groups of three after the presumed mark (1.200.000 with
    ".") cannot be read by it at all: the other mark is likely meant."""
    t = _bare(text)
    if _THOUSAND_APART.match(t):
        return "." if "." in t else ","
    return decimal if _GROUPS[decimal].match(t) else None


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
    if _ISO.match(t) or _ISO_OTHER_FORMS.match(t):
        if not with_time:
            day = 10 if t[4] == "-" else 8
            if t[day:] not in _MIDNIGHTS:
                raise ValueError("a date was expected, this has a time of day")
            t = t[:day]
        try:
            moment = datetime.fromisoformat(t[:-1] + "+00:00" if t[-1] in "Zz" else t)
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
    if not with_time:
        return moment.date().isoformat()
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
