"""Koers's own tables carried through an export.

The canonical folder holds the sales data; the workspace holds more that
cannot be made again from it: the alert rules a team set up, the snapshot
of the open pipeline each import took (what `koers changes` and the review
walk between), the log of those imports, and which alerts were mailed to
whom. `koers export` writes each beside the tables (`koers_<table>.csv`),
and `koers import` of that folder takes the rows the workspace lacks, so a
workspace moved by export and import (to PostgreSQL or Spark, or to
another machine) keeps its history and its rules:

- a rule whose name the workspace lacks is added; one it holds stays as the
  workspace has it, with a warning when the export's differs;
- an import's log line, a deal of an import's snapshot and a mail are added
  when the workspace lacks them (an import id names one import, so the
  workspace that holds it holds the same snapshot);

so a re-import of the same folder adds nothing, and one of a corrected file
adds the rows rejected before. A row that does not read (a file edited by
hand, a rule for a KPI this version of Koers lacks) is rejected like a
canonical row, with its file, line, column and reason. The connectors'
sync state is left behind: a sync into the new workspace reads its source
in full once.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from koers.importers import lines
from koers.importers.validate import lit, q

# an instant as Koers keeps it (naive UTC), written with its zone
_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Carried:
    table: str
    # what names a row: no two rows of the file share it, and a row the workspace holds is left alone
    key: tuple[str, ...]
    # what a row cannot be without
    required: tuple[str, ...]
    # the order rows are written in, so the same workspace writes the same file
    order: tuple[str, ...]

    @property
    def file(self) -> str:
        return file_of(self.table)


def file_of(table: str) -> str:
    """The file beside an export that holds one of Koers's own tables."""
    return f"{table}.csv"


_MAILED = ("rule", "definition", "period", "figure", "recipient")
CARRIED = (
    Carried("koers_alert_rules", ("name",), ("name", "rule"), ("name",)),
    Carried("koers_imports", ("import_id",), ("import_id", "imported_at"), ("imported_at", "import_id")),
    Carried("koers_snapshots", ("import_id", "opportunity_id"), ("import_id", "taken_at", "opportunity_id"),
            ("taken_at", "import_id", "opportunity_id")),
    Carried("koers_alert_mail", _MAILED, (*_MAILED, "sent_at"), ("sent_at", *_MAILED)),
)
FILES = tuple(c.file for c in CARRIED)

# what a value of each stored type must read as
_TYPE_WORDS = {"TIMESTAMP": "a moment with its zone (2025-07-01T09:00:00.000000Z)", "DOUBLE": "a number",
               "BIGINT": "a whole number", "DATE": "a date (YYYY-MM-DD)"}


def _columns(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {q(table)}").fetchall()]


def write(con, folder: Path) -> dict[str, int]:
    """Each carried table that holds rows into its file in `folder` (an
    earlier export's file of a table now empty is removed); the rows
    written, by table."""
    written = {}
    for c in CARRIED:
        path = folder / c.file
        count = con.execute(f"SELECT count(*) FROM {q(c.table)}").fetchone()[0]
        if not count:
            path.unlink(missing_ok=True)
            continue
        exprs = ", ".join(f"strftime({q(n)}, {lit(_INSTANT)}) AS {q(n)}" if t == "TIMESTAMP" else q(n)
                          for n, t in _columns(con, c.table))
        order = ", ".join(q(n) for n in c.order)
        con.execute(f"COPY (SELECT {exprs} FROM {q(c.table)} ORDER BY {order}) TO {lit(str(path))} "
                    "(HEADER, DELIMITER ',')")
        written[c.table] = count
    return written


def take(con, folder: Path, warnings: list[str]) -> list:
    """Read the carried files in `folder` and add the rows the workspace
    lacks, inside the import's transaction; what each brought, as a
    canonical table's (TableResult). A rejected row goes into the import's
    `_rejects` (file, line, col, value, reason), and stays as it came in
    `_own_rejected_<table>` for `keep_rejected`."""
    present = [c for c in CARRIED if (folder / c.file).exists()]
    if not present:  # (every canonical folder's import asks)
        return []
    with tempfile.TemporaryDirectory(prefix="koers-own-") as scratch:
        taken = [_take_one(con, c, folder / c.file, warnings, Path(scratch)) for c in present]
    return [t for t in taken if t is not None]


def _take_one(con, c: Carried, path: Path, warnings: list[str], scratch: Path):
    from koers.importers.canonical import ImportError_, TableResult, _header, _unreadable  # (it imports this module)

    if path.stat().st_size < 16 and not path.read_bytes().strip():
        warnings.append(f"{c.file}: the file is empty, so it brings no rows")
        return None
    columns = _columns(con, c.table)
    names = [n for n, _ in columns]
    found = [h.strip() for h in _header(path)]
    _check_header(c, names, found, warnings)
    if lines.mixed_line_ends(path):  # DuckDB takes the header's line end for the whole file
        path = lines.with_line_ends_as_lf(path, scratch)[0]
    try:
        text, malformed = _read(con, c, path, names, found)
    except duckdb.InvalidInputException as e:
        raise ImportError_(_unreadable(path, e)) from None
    typed = f"_own_typed_{c.table}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {typed} AS SELECT _line, " + ", ".join(
        f"try_cast({q(n)} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS {q(n)}" if t == "TIMESTAMP"
        else q(n) if t == "VARCHAR" else f"try_cast({q(n)} AS {t}) AS {q(n)}" for n, t in columns)
        + ", " + ", ".join(f"{q(n)} AS {q('_text_' + n)}" for n in names) + f" FROM {text}")
    con.execute(f"DROP TABLE {text}")  # (a temporary table lives as long as the import's connection)
    _find_problems(con, c, columns, typed)
    kept = _keep_rejected_rows(con, c, typed, names, malformed)
    written = _add(con, c, names, typed, warnings)
    read, rejected = con.execute(
        f"SELECT (SELECT count(*) FROM {typed}) + {len(malformed)}, "
        "(SELECT count(DISTINCT line) FROM _own_problems)").fetchone()
    _place_lines(con, path, read + 1, malformed, kept)
    con.execute(
        f"INSERT INTO _rejects SELECT {lit(c.file)}, line, col, value, "
        "CASE WHEN first IS NULL THEN reason ELSE 'duplicate of line ' || first END FROM _own_problems")
    return TableResult(c.table, read, written, rejected)


def _check_header(c: Carried, names: list[str], found: list[str], warnings: list[str]) -> None:
    """A column Koers writes missing or named twice stops the import; one it
    does not write is passed over, with a warning."""
    from koers.importers.canonical import ImportError_ as error
    missing = [n for n in names if n not in found]
    if missing:
        raise error(f"{c.file}: the file has no column {', '.join(missing)}; Koers writes it with "
                    f"{', '.join(names)}")
    twice = [n for n in names if found.count(n) > 1]
    if twice:
        at = [i + 1 for i, h in enumerate(found) if h == twice[0]]
        raise error(f"{c.file}: the header names column '{twice[0]}' twice (columns {at[0]} and {at[1]}); keep one")
    warnings += [f"{c.file}: column '{h}' is not one Koers writes, ignored" for h in found if h not in names]


def _read(con, c: Carried, path: Path, names: list[str], found: list[str]) -> tuple[str, list[int]]:
    """The file's rows as trimmed text with their `_line` (the j-th row is
    on the j-th line from 2 that is not a malformed record), and the lines
    of the records DuckDB could not split, which `_own_problems` reports."""
    errors, read, text = f"_own_csv_errors_{c.table}", f"_own_read_{c.table}", f"_own_text_{c.table}"
    for t in (errors, errors + "_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    struct = ", ".join(f"{lit(h if h in names else f'_ignored_{i}')}: 'VARCHAR'" for i, h in enumerate(found))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {read} AS SELECT " + ", ".join(f"trim({q(n)}) AS {q(n)}" for n in names)
        + f" FROM read_csv({lit(str(path))}, auto_detect=false, header=true, columns={{{struct}}}, delim=',', "
        f"quote='\"', escape='\"', store_rejects=true, rejects_table={lit(errors)}, "
        f"rejects_scan={lit(errors + '_scans')}, strict_mode=true, null_padding=false)")
    con.execute("CREATE OR REPLACE TEMP TABLE _own_problems "
                "(line BIGINT, col VARCHAR, value VARCHAR, reason VARCHAR, first BIGINT)")
    records = con.execute(f"SELECT line, any_value(csv_line) FROM {errors} GROUP BY line ORDER BY line").fetchall()
    malformed = [line for line, _ in records]
    if records:
        con.executemany("INSERT INTO _own_problems VALUES (?, NULL, ?, ?, NULL)", [
            [line, text, f"malformed CSV line: not {len(found)} fields as the header has, or a stray quote"]
            for line, text in records])
    # rowids of a table made in this transaction start high
    numbered = f"SELECT rowid - (SELECT min(rowid) FROM {read}) + 2 AS _n, * FROM {read}"
    if malformed:
        con.execute("CREATE OR REPLACE TEMP TABLE _own_skips (t BIGINT)")
        con.executemany("INSERT INTO _own_skips VALUES (?)", [[r - m] for m, r in enumerate(malformed)])
        line = "_n + (SELECT count(*) FROM _own_skips WHERE t <= _n)"
    else:
        line = "_n"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {text} AS SELECT {line} AS _line, * EXCLUDE (_n) FROM ({numbered})")
    con.execute(f"DROP TABLE {read}")
    return text, malformed


def _place_lines(con, path: Path, records: int, malformed: list[int], kept: str) -> None:
    """The reported lines as the file's own where a record is not one line
    (a blank line, a quoted value over several), as for a canonical file."""
    reported = {r[0] for r in con.execute(
        "SELECT line FROM _own_problems UNION SELECT first FROM _own_problems WHERE first IS NOT NULL").fetchall()}
    if not reported or lines.one_line_per_record(path, records):
        return
    placed = lines.start_lines(path, reported, malformed)
    con.execute("CREATE OR REPLACE TEMP TABLE _own_line_map (internal BIGINT, physical BIGINT)")
    con.executemany("INSERT INTO _own_line_map VALUES (?, ?)", list(placed.items()))
    for table, column in (("_own_problems", "line"), ("_own_problems", "first"), (kept, "line")):
        con.execute(f"UPDATE {table} SET {column} = m.physical FROM _own_line_map m WHERE {column} = m.internal")


def _find_problems(con, c: Carried, columns: list[tuple[str, str]], typed: str) -> None:
    """Into `_own_problems`: what is wrong with each row (line, column,
    value, reason; `first` for a key an earlier row of the file has): a
    value missing or not of its type, a moment without its zone, a rule
    that is not one."""
    for name, sql_type in columns:
        text = q("_text_" + name)
        given = f"coalesce({text}, '') <> ''"
        if name in c.required:
            con.execute(f"INSERT INTO _own_problems SELECT _line, {lit(name)}, NULL, 'required', NULL FROM {typed} "
                        f"WHERE NOT ({given})")
        if sql_type == "VARCHAR":
            continue
        wrong = f"{q(name)} IS NULL"
        if sql_type == "TIMESTAMP":  # a moment without its zone would be read in the session's
            wrong += f" OR NOT regexp_matches({text}, '(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$')"
        con.execute(f"INSERT INTO _own_problems SELECT _line, {lit(name)}, {text}, "
                    f"{lit('not ' + _TYPE_WORDS.get(sql_type, sql_type))}, NULL FROM {typed} "
                    f"WHERE {given} AND ({wrong})")
    ok = "_line NOT IN (SELECT line FROM _own_problems)"
    if c.table == "koers_alert_rules":
        rows = con.execute(f"SELECT _line, name, rule FROM {typed} WHERE {ok}").fetchall()
        bad = [(line, *problem) for line, name, rule in rows if (problem := _rule_problem(name, rule))]
        if bad:
            con.executemany("INSERT INTO _own_problems VALUES (?, ?, ?, ?, NULL)", bad)
    key = ", ".join(q(k) for k in c.key)
    said = " || '/' || ".join(f"coalesce({q('_text_' + k)}, '')" for k in c.key)
    con.execute(
        f"INSERT INTO _own_problems SELECT _line, {lit(', '.join(c.key))}, {said}, NULL, first "
        f"FROM (SELECT *, min(_line) OVER (PARTITION BY {key}) AS first FROM {typed} WHERE {ok}) "
        "WHERE _line > first")


def _rule_problem(name: str, text: str) -> tuple[str, str, str] | None:
    """(column, value, reason) when the row is not a rule this Koers can check."""
    from koers import alerts  # (the catalogue, only for a folder with rules)

    try:
        rule = alerts.checked(alerts.Rule.from_json(text))
    except alerts.AlertError as e:
        return "rule", text, f"not a rule this Koers can check: {e}"
    except (ValueError, TypeError, AttributeError) as e:
        return "rule", text, f"not a rule as Koers writes one ({e})"
    if rule.name != name:
        return "name", name, f"the rule is named '{rule.name}'"
    return None


def _add(con, c: Carried, names: list[str], typed: str, warnings: list[str]) -> int:
    """Write the good rows whose key the workspace lacks; the rows written."""
    good = f"SELECT * FROM {typed} WHERE _line NOT IN (SELECT line FROM _own_problems)"
    if c.table == "koers_alert_rules":
        _warn_of_differing_rules(con, good, warnings)
    held = " AND ".join(f"h.{q(k)} = g.{q(k)}" for k in c.key)  # a key's parts are required
    cols = ", ".join(q(n) for n in names)
    return con.execute(f"INSERT INTO {q(c.table)} ({cols}) SELECT {cols} FROM ({good}) g "
                       f"WHERE NOT EXISTS (SELECT 1 FROM {q(c.table)} h WHERE {held})").fetchone()[0]


def _warn_of_differing_rules(con, good: str, warnings: list[str]) -> None:
    from koers import alerts

    pairs = con.execute(f"SELECT g.name, g.rule, h.rule FROM ({good}) g JOIN koers_alert_rules h USING (name) "
                        "ORDER BY g.name").fetchall()
    differs = [name for name, theirs, ours in pairs if alerts.Rule.from_json(theirs) != alerts.Rule.from_json(ours)]
    if differs:
        warnings.append(f"koers_alert_rules.csv: the workspace has its own rule named {', '.join(differs)}, "
                        "which differs from the export's: the workspace's is kept (koers alerts list shows it)")


def _keep_rejected_rows(con, c: Carried, typed: str, names: list[str], malformed: list[int]) -> str:
    """The rejected rows as the file wrote them (trimmed), a record that
    could not be split as its text, in a table for keep_rejected, named."""
    kept = f"_own_rejected_{c.table}"
    texts = ", ".join(f"{q('_text_' + n)} AS {q(n)}" for n in names)
    empty = ", ".join("NULL" for _ in names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {kept} AS "
        f"SELECT _line AS line, {texts}, NULL::VARCHAR AS malformed_record FROM {typed} "
        "WHERE _line IN (SELECT line FROM _own_problems) "
        f"UNION ALL SELECT DISTINCT line, {empty}, value FROM _own_problems "
        f"WHERE line IN ({', '.join(str(int(m)) for m in malformed) or 'NULL'}) AND col IS NULL")
    return kept


def keep_rejected(con, taken: list, out: Path) -> None:
    """Each carried file's rejected rows (`take`'s results) into `out`, the
    import's rejects folder."""
    for t in taken:
        if t.rejected:
            con.execute(f"COPY (SELECT * FROM _own_rejected_{t.table} ORDER BY line) "
                        f"TO {lit(str(out / file_of(t.table)))} (HEADER, DELIMITER ',')")
