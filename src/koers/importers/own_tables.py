"""Koers's own tables carried through an export.

The canonical folder holds the sales data; the workspace holds more that
cannot be made again from it: the alert rules a team set up, the snapshot
of the open pipeline each import took (what `koers changes` and the review
walk between), the log of those imports, and which alerts were mailed to
whom. `koers export` writes each beside the tables (`koers_<table>.csv`),
and `koers import` of that folder takes what the workspace lacks, so a
workspace moved by export and import (to PostgreSQL or Spark, or to
another machine) keeps its history and its rules:

- a rule whose name the workspace lacks is added; one it holds stays as the
  workspace has it, with a warning when the export's differs;
- an import's log line and its snapshot are added when the workspace holds
  neither (an import id names one import);
- a mail the log lacks is added.

So a re-import of the same folder adds nothing. A row that does not read (a
file edited by hand, or a rule for a KPI this version of Koers lacks) is
rejected like a canonical row, with its file, line, column and reason.
The connectors' sync state is left behind: a sync into the new workspace
reads its source in full once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from koers.importers.validate import lit, q

# an instant as Koers keeps it (naive UTC), written with its zone
_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Carried:
    table: str
    # the columns whose rows belong together: a group the workspace holds is left alone
    group: tuple[str, ...]
    # what no two rows of the file share
    key: tuple[str, ...]
    # what a row cannot be without
    required: tuple[str, ...]
    # the order rows are written in, so the same workspace writes the same file
    order: tuple[str, ...]

    @property
    def file(self) -> str:
        return f"{self.table}.csv"


_MAILED = ("rule", "definition", "period", "figure", "recipient")
CARRIED = (
    Carried("koers_alert_rules", ("name",), ("name",), ("name", "rule"), ("name",)),
    Carried("koers_imports", ("import_id",), ("import_id",), ("import_id", "imported_at"), ("imported_at", "import_id")),
    Carried("koers_snapshots", ("import_id",), ("import_id", "opportunity_id"), ("import_id", "taken_at", "opportunity_id"),
            ("taken_at", "import_id", "opportunity_id")),
    Carried("koers_alert_mail", _MAILED, _MAILED, (*_MAILED, "sent_at"), ("sent_at", *_MAILED)),
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


@dataclass
class Taken:
    """What an import made of one carried file."""
    table: str
    file: str
    read: int = 0
    written: int = 0
    rejected: int = 0


def take(con, folder: Path, warnings: list[str]) -> list[Taken]:
    """Read the carried files in `folder` and add what the workspace lacks,
    inside the import's transaction. A rejected row goes into the import's
    `_rejects` (file, line, col, value, reason), and stays as it came in
    `_own_rejected_<table>` for `keep_rejected`. An import's log line and
    its snapshot are held when the workspace held either before (an import
    that found no open deal left a log line and no rows)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _own_held_imports AS "
                "SELECT import_id FROM koers_imports UNION SELECT import_id FROM koers_snapshots")
    return [_take_one(con, c, folder / c.file, warnings) for c in CARRIED if (folder / c.file).exists()]


def _take_one(con, c: Carried, path: Path, warnings: list[str]) -> Taken:
    from koers.importers.canonical import ImportError_, _header  # (canonical imports this module)

    columns = _columns(con, c.table)
    names = [n for n, _ in columns]
    found = [h.strip() for h in _header(path)]
    missing = [n for n in names if n not in found]
    if missing:
        raise ImportError_(f"{c.file}: the file has no column {', '.join(missing)}; Koers writes it with "
                           f"{', '.join(names)}")
    text, errors = _read(con, c, path, names, found)
    typed = f"_own_typed_{c.table}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {typed} AS SELECT _line, " + ", ".join(
        f"try_cast({q(n)} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS {q(n)}" if t == "TIMESTAMP"
        else q(n) if t == "VARCHAR" else f"try_cast({q(n)} AS {t}) AS {q(n)}" for n, t in columns)
        + ", " + ", ".join(f"{q(n)} AS {q('_text_' + n)}" for n in names) + f" FROM {text}")
    _find_problems(con, c, columns, typed)
    con.execute(f"INSERT INTO _rejects SELECT {lit(c.file)}, line, col, value, reason FROM _own_problems")
    read, rejected = con.execute(
        f"SELECT (SELECT count(*) FROM {typed}) + (SELECT count(DISTINCT line) FROM {errors}), "
        "(SELECT count(DISTINCT line) FROM _own_problems)").fetchone()
    _keep_rejected_rows(con, c, typed, names, errors)
    return Taken(c.table, c.file, read, _add(con, c, names, typed, warnings), rejected)


def _read(con, c: Carried, path: Path, names: list[str], found: list[str]) -> tuple[str, str]:
    """The file's rows as trimmed text with their `_line`, and the table of
    its records DuckDB could not split (each reported as malformed)."""
    errors, read, text = f"_own_csv_errors_{c.table}", f"_own_read_{c.table}", f"_own_text_{c.table}"
    for t in (errors, errors + "_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    struct = ", ".join(f"{lit(h if h in names else f'_ignored_{i}')}: 'VARCHAR'" for i, h in enumerate(found))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {read} AS SELECT " + ", ".join(f"trim({q(n)}) AS {q(n)}" for n in names)
        + f" FROM read_csv({lit(str(path))}, auto_detect=false, header=true, columns={{{struct}}}, delim=',', "
        f"quote='\"', escape='\"', store_rejects=true, rejects_table={lit(errors)}, "
        f"rejects_scan={lit(errors + '_scans')}, strict_mode=true, null_padding=false)")
    con.execute("CREATE OR REPLACE TEMP TABLE _own_problems (line BIGINT, col VARCHAR, value VARCHAR, reason VARCHAR)")
    con.execute(f"INSERT INTO _own_problems SELECT DISTINCT line, NULL, NULL, "
                f"{lit(f'malformed CSV line: not {len(found)} fields as the header has, or a stray quote')} "
                f"FROM {errors}")
    # The rows keep the file's order (rowids of a table made in this transaction start high); the
    # j-th row is on the j-th line from 2 that is not a malformed one.
    con.execute(f"CREATE OR REPLACE TEMP TABLE {text} AS "
                f"SELECT rowid - (SELECT min(rowid) FROM {read}) + 2 AS _n, * FROM {read}")
    skips = [r - m for m, r in enumerate(sorted(r[0] for r in con.execute(f"SELECT DISTINCT line FROM {errors}")
                                                .fetchall()))]
    if skips:
        con.execute("CREATE OR REPLACE TEMP TABLE _own_skips (t BIGINT)")
        con.executemany("INSERT INTO _own_skips VALUES (?)", [[t] for t in skips])
        line = "_n + (SELECT count(*) FROM _own_skips WHERE t <= _n)"
    else:
        line = "_n"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {text} AS SELECT {line} AS _line, * EXCLUDE (_n) FROM {text}")
    return text, errors


def _find_problems(con, c: Carried, columns: list[tuple[str, str]], typed: str) -> None:
    """Into `_own_problems`: what is wrong with each row (line, column,
    value, reason): a value missing or not of its type, a rule that is not
    one, a key an earlier row of the file has."""
    for name, sql_type in columns:
        given = f"coalesce({q('_text_' + name)}, '') <> ''"
        if name in c.required:
            con.execute(f"INSERT INTO _own_problems SELECT _line, {lit(name)}, NULL, 'required' FROM {typed} "
                        f"WHERE NOT ({given})")
        if sql_type != "VARCHAR":
            con.execute(f"INSERT INTO _own_problems SELECT _line, {lit(name)}, {q('_text_' + name)}, "
                        f"{lit('not ' + _TYPE_WORDS.get(sql_type, sql_type))} FROM {typed} "
                        f"WHERE {given} AND {q(name)} IS NULL")
    ok = "_line NOT IN (SELECT line FROM _own_problems WHERE line IS NOT NULL)"
    if c.table == "koers_alert_rules":
        rows = con.execute(f"SELECT _line, name, rule FROM {typed} WHERE {ok}").fetchall()
        bad = [(line, *problem) for line, name, rule in rows if (problem := _rule_problem(name, rule))]
        if bad:
            con.executemany("INSERT INTO _own_problems VALUES (?, ?, ?, ?)", bad)
    key = ", ".join(q(k) for k in c.key)
    said = " || '/' || ".join(f"coalesce({q('_text_' + k)}, '')" for k in c.key)
    con.execute(
        f"INSERT INTO _own_problems SELECT _line, {lit(', '.join(c.key))}, {said}, 'duplicate of line ' || first "
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
    """Write the good rows of the groups the workspace lacks; the rows written."""
    good = f"SELECT * FROM {typed} WHERE _line NOT IN (SELECT line FROM _own_problems WHERE line IS NOT NULL)"
    if c.group == ("import_id",):
        lacks = "import_id NOT IN (SELECT import_id FROM _own_held_imports)"
    else:
        held = " AND ".join(f"h.{q(k)} IS NOT DISTINCT FROM g.{q(k)}" for k in c.group)
        lacks = f"NOT EXISTS (SELECT 1 FROM {q(c.table)} h WHERE {held})"
    if c.table == "koers_alert_rules":
        _warn_of_differing_rules(con, good, warnings)
    cols = ", ".join(q(n) for n in names)
    return con.execute(f"INSERT INTO {q(c.table)} ({cols}) SELECT {cols} FROM ({good}) g WHERE {lacks}").fetchone()[0]


def _warn_of_differing_rules(con, good: str, warnings: list[str]) -> None:
    from koers import alerts

    pairs = con.execute(f"SELECT g.name, g.rule, h.rule FROM ({good}) g JOIN koers_alert_rules h USING (name) "
                        "ORDER BY g.name").fetchall()
    differs = [name for name, theirs, ours in pairs if alerts.Rule.from_json(theirs) != alerts.Rule.from_json(ours)]
    if differs:
        warnings.append(f"koers_alert_rules.csv: the workspace has its own rule named {', '.join(differs)}, "
                        "which differs from the export's: the workspace's is kept (koers alerts list shows it)")


def _keep_rejected_rows(con, c: Carried, typed: str, names: list[str], errors: str) -> None:
    """The rejected rows as the file wrote them (trimmed), a record that
    could not be split as its text, in `_own_rejected_<table>` for keep_rejected."""
    texts = ", ".join(f"{q('_text_' + n)} AS {q(n)}" for n in names)
    empty = ", ".join("NULL" for _ in names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _own_rejected_{c.table} AS "
        f"SELECT _line AS line, {texts}, NULL::VARCHAR AS malformed_record FROM {typed} "
        "WHERE _line IN (SELECT line FROM _own_problems) "
        f"UNION ALL SELECT line, {empty}, any_value(csv_line) FROM {errors} GROUP BY line")


def keep_rejected(con, taken: list[Taken], out: Path) -> None:
    """Each carried file's rejected rows into `out` (the import's rejects folder)."""
    for t in taken:
        if t.rejected:
            con.execute(f"COPY (SELECT * FROM _own_rejected_{t.table} ORDER BY line) TO {lit(str(out / t.file))} "
                        "(HEADER, DELIMITER ',')")
