"""The line a CSV record starts on, where it is not simply its number.

DuckDB's CSV reader gives no line numbers for the rows it reads, and numbers
the lines it rejects by record (a quoted field spanning three lines is one
record; a blank line counts as one). The import numbers the rows it keeps
by their order, which is their line as long as every record is one line and
no line is blank: true of nearly every file, and checked here by counting
the file's line ends. Only a file with rejected rows that fails that check
is read again, by Python's csv module, for the lines its reported rows
start on.
"""

from __future__ import annotations

import csv
import mmap
from collections.abc import Iterable, Iterator
from pathlib import Path

_BLOCK = 1 << 24


def one_line_per_record(path: Path, records: int) -> bool:
    """Whether the file holds exactly `records` lines (the header, the rows
    kept and the malformed records): then no record spans lines and no line
    is blank."""
    lines, last = 0, ord("\n")
    buf = bytearray(_BLOCK)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            lines += buf.count(b"\n", 0, n)
            last = buf[n - 1]
    if last != ord("\n"):
        lines += 1  # a last line without its line end
    return lines == records


def ends_file(path: Path, text: str | None) -> bool:
    """Whether a record's `text` (as DuckDB gives it) is the end of the file,
    line ends aside."""
    if not text:
        return False
    tail = text.encode("utf-8", errors="replace").rstrip(b"\r\n").replace(b"\r\n", b"\n")
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 2 * len(tail) - 2))  # room for CR LF line ends
        end = f.read().rstrip(b"\r\n").replace(b"\r\n", b"\n")
    return end.endswith(tail)


def start_lines(path: Path, numbers: Iterable[int], malformed: Iterable[int]) -> dict[int, int]:
    """The line each numbered record starts on. A kept row's number is the
    import's own (2 for the first, skipping the numbers of malformed
    records); a malformed record's is DuckDB's (blank lines counted).
    Numbers the file has no record for are left out."""
    wanted, bad = set(numbers), set(malformed)
    found: dict[int, int] = {}
    if not wanted:
        return found
    own = 1  # the import's number of the last kept row
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        start = 1
        for index, record in enumerate(reader):
            if index == 0:  # the header
                start = reader.line_num + 1
                continue
            duck = index + 1
            if duck in bad:
                number = duck
            elif not record:
                start = reader.line_num + 1
                continue  # a blank line: DuckDB skips it, yet counts it
            else:
                own += 1
                while own in bad:
                    own += 1
                number = own
            if number in wanted:
                found[number] = start
                if len(found) == len(wanted):
                    break
            start = reader.line_num + 1
    return found


def _lines_of_records(f) -> Iterator[tuple[bytes, bool]]:
    """Each line of a binary file, and whether it ends a record: a record
    runs on over line ends while a quote is open (a quote inside a field is
    written twice, so it never leaves one open)."""
    quotes = 0
    for line in f:
        quotes += line.count(b'"')
        yield line, not quotes % 2


def records_as_written(path: Path, numbers: Iterable[int]) -> dict[int, str]:
    """The text of the records DuckDB numbered `numbers` (the header 1, a
    blank line counted), byte for byte as the file holds them, a byte that is
    not UTF-8 shown as \\xNN: DuckDB's own text of such a record drops the bad
    byte and the field end after it."""
    wanted: set[int] = set(numbers)
    found: dict[int, str] = {}
    if not wanted:
        return found
    number, parts = 0, []
    with open(path, "rb") as f:
        for line, ends in _lines_of_records(f):
            parts.append(line)
            if not ends:
                continue
            number += 1
            if number in wanted:
                found[number] = b"".join(parts).rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                if len(found) == len(wanted):
                    break
            parts = []
        else:  # a quote never closed: its record is the rest of the file
            if parts and number + 1 in wanted:
                found[number + 1] = b"".join(parts).rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    return found


def mixed_line_ends(path: Path) -> bool:
    """Whether the file may end some lines in CR LF and others in LF alone
    (rows appended by another program, files joined): DuckDB's reader takes
    the header's line end for the whole file and stops at the other kind.
    A CR or bare LF inside a quoted value can make this say yes for a file
    DuckDB reads as it is; `with_line_ends_as_lf` then copies it unchanged.
    One pass of byte searches: for CR in the file mapped, for LF and CR LF
    in blocks (on a mapped file a search for CR LF crawled)."""
    buf = bytearray(_BLOCK)
    with open(path, "rb", buffering=0) as f:
        n = f.readinto(buf)
        first = buf.find(b"\n", 0, n)
        if first <= 0:
            return False
        if buf[first - 1] != ord("\r"):  # LF lines: any CR may end one (found in place, no copy)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return data.find(b"\r") != -1
        split_pair = False  # a CR ending the last block, an LF starting this one
        while n:
            lfs, pairs = buf.count(b"\n", 0, n), buf.count(b"\r\n", 0, n)
            if split_pair and buf[0] == ord("\n"):
                pairs += 1
            if lfs != pairs:
                return True
            split_pair = buf[n - 1] == ord("\r")
            n = f.readinto(buf)
    return False


def with_line_ends_as_lf(path: Path, folder: Path) -> tuple[Path, int, int]:
    """A copy of the file in `folder` whose records all end in LF: a CR LF
    outside quotes becomes LF, a value's own text is left as it is. Lines
    keep their numbers. With the copy: how many records ended in CR LF, and
    how many in LF alone."""
    copy = folder / path.name
    crlf, lf = 0, 0
    with open(path, "rb") as src, open(copy, "wb") as out:
        for line, ends in _lines_of_records(src):
            if ends and line.endswith(b"\n"):
                if line.endswith(b"\r\n"):
                    line = line[:-2] + b"\n"
                    crlf += 1
                else:
                    lf += 1
            out.write(line)
    return copy, crlf, lf
