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
from collections.abc import Iterable
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
