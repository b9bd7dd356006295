"""Read a file as people export it: CSV in any common dialect, or a sheet of
an Excel workbook, into text cells with the line each row came from.

Nothing is typed here: a value stays the text the user sees, so a mapping
can say how to read it and a bad value is reported as it was written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd

DELIMITERS = (",", ";", "\t")
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")


class FileError(ValueError):
    """The file cannot be read at all (not one row of it)."""


@dataclass
class Tabular:
    name: str  # the file name, as reports name it
    columns: list[str]
    rows: pd.DataFrame  # the columns as text ('' for an empty cell) and `_line`
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    # lines that are not rows: (line, their text as written, why), reported once, by the table the
    # file's rows make (mapping.map_table's `main`)
    malformed: list[tuple[int, str, str]] = field(default_factory=list)
    # names the header gives more than one column, with their places (1 = first)
    repeated: dict[str, list[int]] = field(default_factory=dict)
    # per column, the lines of a workbook's number cells: numbers, not text in some locale
    numbers: dict[str, set[int]] = field(default_factory=dict)


def read_tabular(path: Path, sheet: str | int | None = None, delimiter: str | None = None,
                 encoding: str | None = None, ends_at_blank_line: bool = False, decimal: str = ".") -> Tabular:
    """`ends_at_blank_line`: the rows end at the first blank line (a Salesforce
    report export writes its footer after one). `decimal`: the mark an Excel
    number cell is written with, as the mapping reads the file's numbers."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, decimal, ends_at_blank_line)
    return _read_csv(path, delimiter, encoding, ends_at_blank_line)


UTF8_BOM = b"\xef\xbb\xbf"


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str, set[int]]:
    """The file's text, the encoding it was read in, and the lines that are
    text in neither UTF-8 nor Windows-1252 (their bytes beyond ASCII shown
    as \\xNN), which are rejected, as in a canonical file."""
    if encoding:
        try:  # a BOM is no part of the first column's name, whatever the encoding says
            return data.removeprefix(UTF8_BOM).decode(encoding).removeprefix("\ufeff"), encoding, set()
        except (UnicodeDecodeError, LookupError) as e:
            raise FileError(f"{name}: cannot be read as {encoding}: {e}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with its BOM
        try:
            return data.decode("utf-16"), "utf-16", set()
        except UnicodeDecodeError as e:
            raise FileError(f"{name}: starts as UTF-16 text but cannot be read as such: {e}") from None
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # a BOM means UTF-8 with BOM; plain UTF-8 otherwise
        if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8"
        if enc == "cp1252" and _has_utf8(data):
            text, _ = _line_by_line(data)  # every line is one or the other: cp1252 read the whole
            return text, "utf-8 and cp1252, line by line", set()
        return text, enc, set()
    # Windows-1252 leaves five bytes undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d):
    # a line holding one is text in neither
    text, unread = _line_by_line(data)
    if 1 in unread:
        raise FileError(f"{name}: the header (line 1) is neither UTF-8 nor Windows-1252 text; save the file as UTF-8")
    return text, "utf-8 and cp1252, line by line", unread


def _has_utf8(data: bytes) -> bool:
    """Whether some line is UTF-8 with a character beyond ASCII: a file that
    is not UTF-8 throughout, yet holds such lines, was put together from
    two sources (one saved as UTF-8, one as Windows-1252)."""
    return any(not line.isascii() and _utf8(line) is not None for line in data.splitlines())


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _line_by_line(data: bytes) -> tuple[str, set[int]]:
    """Each line as UTF-8 where it is, else as Windows-1252 (read whole as
    Windows-1252, a UTF-8 line's é would become Ã©); and the lines that are
    neither, each kept with its bytes beyond ASCII as \\xNN."""
    data = data.removeprefix(UTF8_BOM)  # no part of the first column's name
    texts, unread = [], set()
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        text = _utf8(line)
        if text is None:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                text = line.decode("utf-8", errors="backslashreplace")
                unread.add(number)
        texts.append(text)
    return "".join(texts), unread


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into the same
    number of fields, more than one; of two that do so as often, the one
    that splits into more fields (a ';' file whose header says "EUR, excl.
    btw" and whose amounts have decimal commas splits on ',' too, into
    fewer); then the order , ; tab."""
    sample = text[:65536].splitlines()[:20]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(sample, delimiter=d)]
        if not counts or counts[0] < 2:
            continue
        score = (sum(1 for c in counts if c == counts[0]), counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv(path: Path, delimiter: str | None, encoding: str | None, ends_at_blank_line: bool = False) -> Tabular:
    text, enc, unread = _decode(path.read_bytes(), encoding, path.name)
    delim = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError(f"{path.name}: the file is empty") from None
    columns, repeated = _columns(header)
    records, lines, malformed, previous_end = [], [], [], reader.line_num
    physical = None  # the file's lines as written, for a report of a malformed one
    read = []  # (first line, last line, fields)
    for record in reader:
        read.append((previous_end + 1, reader.line_num, record))  # a quoted field may span lines
        previous_end = reader.line_num
    if ends_at_blank_line:
        read = read[:_footer_at(read)]
    for start, end, record in read:
        if unread and not unread.isdisjoint(range(start, end + 1)):
            physical = physical or io.StringIO(text, newline="").readlines()
            malformed.append((start, "".join(physical[start - 1:end]).rstrip("\r\n"),
                              "neither UTF-8 nor Windows-1252 text: save the file as UTF-8"))
            continue
        if not any(v.strip() for v in record):
            continue
        if any(v.strip() for v in record[len(columns):]):  # more fields than the header names
            physical = physical or io.StringIO(text, newline="").readlines()  # split as the reader splits
            written = "".join(physical[start - 1:end]).rstrip("\r\n")
            malformed.append((start, written,
                              f"{len(record)} fields where the header has {len(columns)}: a value with an "
                              f"unquoted '{delim}'?"))
            continue
        record = record + [""] * (len(columns) - len(record))
        records.append(record[: len(columns)])
        lines.append(start)
    rows = pd.DataFrame(records, columns=columns, dtype=object) if records else pd.DataFrame(columns=columns)
    rows["_line"] = lines
    return Tabular(path.name, columns, rows, encoding=enc, delimiter=delim, malformed=malformed,
                   repeated=repeated)


def _footer_at(read: list[tuple[int, int, list[str]]]) -> int:
    """Where a report's footer begins: at the first blank line after which
    no line holds more than one value (a Salesforce report's footer lines
    hold one each), or whose next line is a totals line ("Total",
    "Grand Total", "Totaal"). Rows after a blank line among the rows are
    rows, never dropped as footer."""
    values = [sum(1 for v in r if v.strip()) for _, _, r in read]
    most_after = [0] * (len(read) + 1)  # the most values a line from here on holds
    first_after: list[str | None] = [None] * (len(read) + 1)  # the first value of the next line with one
    for i in range(len(read) - 1, -1, -1):
        most_after[i] = max(values[i], most_after[i + 1])
        first_after[i] = next((v.strip() for v in read[i][2] if v.strip()), None) or first_after[i + 1]
    for i, count in enumerate(values):
        if not count and (most_after[i] <= 1 or _TOTALS.match(first_after[i] or "")):
            return i
    return len(read)


_TOTALS = re.compile(r"(grand\s+)?(sub)?tota+l", re.IGNORECASE)


def _columns(header: list) -> tuple[list[str], dict[str, list[int]]]:
    """The header's column names, and those it repeats with the places they
    are at (1 = the first column). A column without a name, and a repeat,
    get a name no mapping reads ("(column 5)"): a mapping that reads a
    repeated name is refused (mapping.check_columns), any other reads the file."""
    names = [("" if h is None else str(h)).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    columns, places = [], {}
    for at, c in enumerate(names, start=1):
        places.setdefault(c, []).append(at)
        columns.append(c if c and len(places[c]) == 1 else f"({'' if not c else c + ', '}column {at})")
    return columns, {c: at for c, at in places.items() if c and len(at) > 1}


def cell_text(value, decimal: str = ".", percent: bool = False) -> str:
    """An Excel cell as the text a user would type for it; a number with
    `decimal` as its mark (a workbook holds numbers, not their text), and a
    number formatted as a percentage as the user sees it: 0.75 as 75%."""
    if value is None:
        return ""
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return cell_text(float(Decimal(repr(float(value))) * 100), decimal) + "%"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f").replace(".", decimal)
    return str(value).strip() if isinstance(value, str) else str(value)


def _read_xlsx(path: Path, sheet: str | int | None, decimal: str = ".", ends_at_blank_line: bool = False) -> Tabular:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise FileError(f"{path.name}: not a readable Excel workbook ({e})") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif str(sheet) in book.sheetnames:  # a sheet named 2024 is that sheet, not the 2025th
            ws = book[str(sheet)]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(book.worksheets):
                raise FileError(f"{path.name}: no sheet {sheet}; sheets: {', '.join(book.sheetnames)}")
            ws = book.worksheets[sheet]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise FileError(f"{path.name}: no sheet '{sheet}'; sheets: {', '.join(book.sheetnames)}")
        it = ws.iter_rows()  # cells, not values: a number's format says whether it is a percentage
        header = next(it, None)
        if header is None:
            raise FileError(f"{path.name}: sheet '{ws.title}' is empty")
        columns, repeated = _columns([c.value for c in header])
        records, lines, malformed, numbers = [], [], [], {}
        # each row's cells, and their plain text (the footer's and a report's)
        read = [(number, number, row, [cell_text(c.value) for c in row])
                for number, row in ((n, list(r)) for n, r in enumerate(it, start=2))]
        if ends_at_blank_line:
            read = read[:_footer_at([(a, b, plain) for a, b, _, plain in read])]
        for number, _, row, plain in read:
            cells = [cell_text(c.value, decimal, "%" in (getattr(c, "number_format", None) or ""))
                     for c in row[: len(columns)]]
            if any(plain[len(columns):]):  # a value under no column: not cut off
                malformed.append((number, "; ".join(plain), f"a value beyond the header's {len(columns)} columns"))
                continue
            if not any(cells):
                continue
            records.append(cells + [""] * (len(columns) - len(cells)))
            lines.append(number)
            for name, c in zip(columns, row):
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                    numbers.setdefault(name, set()).add(number)
        title = ws.title
    finally:
        book.close()
    rows = pd.DataFrame(records, columns=columns, dtype=object) if records else pd.DataFrame(columns=columns)
    rows["_line"] = lines
    return Tabular(path.name, columns, rows, sheet=title, repeated=repeated, malformed=malformed, numbers=numbers)
