"""Import and export of a canonical dataset folder (data-model.md).

One import is one transaction on the workspace: good rows land, every
rejected row is reported (file, line, column, value, reason) and kept in a
rejects folder, and re-importing the same folder writes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import mmap
import re
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from koers.importers import lines, own_tables, settings_file
from koers.importers import made_history as made
from koers.importers.validate import (
    Check,
    checks_in_one_pass,
    column_checks,
    export_expr,
    export_rows,
    keeps_raw,
    lit,
    q,
    raw,
    raw_name,
    text_needed,
    timestamp_layers,
    typed_expr,
)
from koers.kpis import derived
from koers.model import LOAD_ORDER, SQL_TYPES, TABLE_BY_NAME, TABLES, ColType, Table
from koers.settings import Settings
from koers.store import Workspace, columns_ddl, now_utc

# The day an amount in a foreign currency is first looked at: its rate must
# exist on or before it (every later day then has one too).
_CURRENCY_DAY = {
    # the earlier of its dates: a deal may close before its created_at (a warning, not a reject), and
    # its won value is converted on the close day
    "opportunities": "CAST(timezone({tz}, timezone('UTC', least(t.created_at, coalesce(t.closed_at, t.created_at))))"
                     " AS DATE)",
    "orders": "t.ordered_on",
    "contracts": "t.start_on",
    "costs": "t.month",
}


@dataclass
class TableResult:
    table: str
    read: int = 0
    written: int = 0
    rejected: int = 0


@dataclass
class ImportResult:
    import_id: str
    tables: list[TableResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    checked: bool = False  # validated only (koers import --check): nothing was written

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables)

    @property
    def read(self) -> int:
        return sum(t.read for t in self.tables)


class ImportError_(Exception):
    """A usage error: the folder cannot be imported at all."""


def _kpi_ids() -> list[str]:
    from koers.kpis.catalog import CATALOG

    return [k.id for k in CATALOG]


@dataclass
class Source:
    """One table's incoming rows: a canonical CSV file, or the all-text rows
    a mapping made from a customer's file (`rows`, with the source `_line`)."""

    table: str
    name: str  # the file named in reports
    path: Path | None = None
    rows: pd.DataFrame | None = None
    size: int = 0  # bytes, for the progress bar
    # canonical column -> the customer's column it came from, for reports
    columns: dict[str, str] = field(default_factory=dict)
    # canonical column -> {`_line`: the column a row's value came from where it is not `columns`'s}
    # (a currency a mapped row left empty, taken from its amount's mark)
    columns_by_line: dict[str, dict[int, str]] = field(default_factory=dict)
    # problems found before the rows got here: (line, column, value, reason)
    problems: list[tuple] = field(default_factory=list)
    # writes the rejected lines as they came, into the rejects folder
    keep_rejected: Callable[[set[int], Path], None] | None = None
    # per `_line`, the file's own text of a value a mapping rewrote (1.234,50 became 1234.5), so a
    # report shows what the file says; a column only where some value was rewritten
    said: pd.DataFrame | None = None
    # its rows only fill gaps: a row whose key the workspace holds is left as the workspace has it.
    # For rows a mapping gathers from another table's file (the reps and stages a deals export
    # names): thinner than a real reps or stages file, they must not overwrite one (mapping.map_table)
    fills_gaps: bool = False
    # a table gathered from another's file (fills_gaps): each key, with the file's lines that named it
    lines_of_keys: dict[tuple, list[int]] | None = None
    # a CSV file as read: the rows kept and the records it could not read
    kept: int = 0
    malformed: list[int] = field(default_factory=list)


def import_folder(
    ws: Workspace, folder: Path, on_table: Callable[[str, int], None] | None = None, origin: str | None = None,
    check: bool = False,
) -> ImportResult:
    """`origin`: what the import log names as the source (default: the folder);
    `check`: validate only (import_sources)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportError_(f"'{folder}' is not a folder")
    files = _canonical_files(folder)
    if not files:
        expected = ", ".join(f"{n}.csv" for n in LOAD_ORDER)
        raise ImportError_(f"'{folder}' holds none of the canonical files ({expected})")
    warnings = [
        f"{p.name}: not a canonical table, ignored" for p in csv_files(folder)
        if _table_of(p) not in TABLE_BY_NAME and p.name not in (made.FILE, settings_file.FILE, *own_tables.FILES)
    ]
    sources = [Source(n, f.name, path=f, size=f.stat().st_size) for n, f in files.items()]
    listed = folder / made.FILE
    told = None
    if (folder / settings_file.FILE).exists():
        try:
            told = settings_file.read(folder / settings_file.FILE)
        except settings_file.SettingsFileError as e:
            raise ImportError_(str(e)) from None
    return import_sources(ws, sources, origin or str(folder.resolve()), on_table, warnings,
                          made_history=listed if listed.exists() and "stage_history" in files else None,
                          settings_told=told, check=check, carried=folder)


def csv_files(folder: Path) -> list[Path]:
    """The folder's CSV files, by name, the extension in any case (nps.CSV)."""
    return [p for p in sorted(folder.iterdir()) if p.name.lower().endswith(".csv") and p.is_file()]


def _table_of(path: Path) -> str:
    """The table a CSV file's name names, in any case (Targets.csv: targets)."""
    return path.name[:-len(".csv")].lower()


def _canonical_files(folder: Path) -> dict[str, Path]:
    """The folder's file of each canonical table, in load order, its name
    in any case (Targets.csv, nps.CSV: a name saved on Windows or by Excel
    is that table's file all the same). Two files of one table (leads.csv
    and Leads.csv) are a usage error: which one is meant cannot be told."""
    found: dict[str, list[Path]] = {}
    for path in csv_files(folder):
        found.setdefault(_table_of(path), []).append(path)
    for name in LOAD_ORDER:
        if len(found.get(name, [])) > 1:
            raise ImportError_(f"'{folder}' holds {' and '.join(p.name for p in found[name])}: two files of the "
                               f"table {name}; keep one")
    return {name: found[name][0] for name in LOAD_ORDER if name in found}


def import_sources(
    ws: Workspace, sources: list[Source], origin: str, on_table: Callable[[str, int], None] | None = None,
    warnings: list[str] | None = None, after: Callable[[duckdb.DuckDBPyConnection, ImportResult], None] | None = None,
    made_history: Path | None = None, settings_told: dict[str, object] | None = None, check: bool = False,
    carried: Path | None = None,
) -> ImportResult:
    """Import one source per table, in load order, as one transaction.
    `after` runs last inside that transaction (a sync records how far it read).
    `made_history`: the file an export lists the history rows Koers made in.
    `settings_told`: the settings an export was made with (settings_file).
    `check`: validate only; the transaction is undone once the rejects are
    reported, so the result tells what an import would write and reject.
    `carried`: the folder of an export, whose files of Koers's own tables
    (own_tables) are taken too."""
    by_table = {s.table: s for s in sources}
    if len(by_table) != len(sources):
        raise ImportError_("one source per table: two sources name the same table")
    result = ImportResult(import_id=now_utc().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6], checked=check)
    result.warnings += warnings or []
    try:
        _import_in_one_transaction(ws, by_table, sources, result, origin, on_table, after, made_history,
                                   settings_told, carried)
    except _Checked:
        pass  # every writer undoes its transaction on an exception: nothing was written
    return result


class _Checked(Exception):
    """Raised at the end of a check to undo its transaction."""


def _import_in_one_transaction(ws, by_table, sources, result, origin, on_table, after, made_history,
                               settings_told, carried) -> None:
    # Koers makes history rows only for opportunities: an import of neither
    # them nor their history leaves stage_history alone (a workspace copied
    # elsewhere then loads neither to write: SparkWorkspace.writer).
    makes_history = bool(by_table.keys() & {"opportunities", "stage_history"})
    touches = set(by_table) | ({"stage_history"} if makes_history else set())
    with (ws.writer(touches=touches, reads=_reads(touches)) as con, tempfile.TemporaryDirectory() as scratch,
          ThreadPoolExecutor(max_workers=1) as pool):
        # each file's line ends are looked at while DuckDB reads the ones before it
        mixed = {name: pool.submit(lines.mixed_line_ends, by_table[name].path)
                 for name in LOAD_ORDER if name in by_table and by_table[name].path is not None}
        settings = Settings.from_strings(dict(con.execute("SELECT key, value FROM koers_settings").fetchall()))
        if settings_told is not None:
            settings = _take_settings(con, settings, settings_told, result)
        con.execute(f"SET TimeZone = {lit(settings.time_zone)}")
        con.execute(
            "CREATE TEMP TABLE _rejects (file VARCHAR, line BIGINT, col VARCHAR, value VARCHAR, reason VARCHAR)"
        )
        if made_history is not None:
            made.read(con, made_history, settings.time_zone)
        for name in LOAD_ORDER:
            if name in by_table:
                if name in mixed and mixed[name].result():
                    by_table[name].path, crlf, lf = lines.with_line_ends_as_lf(by_table[name].path, Path(scratch))
                    if crlf and lf:
                        result.warnings.append(
                            f"{by_table[name].name}: {crlf} lines end in CR LF and {lf} in LF alone (rows added by "
                            "another program?); each was read as a line end")
                tr = _import_table(con, TABLE_BY_NAME[name], by_table[name], settings, result)
                result.tables.append(tr)
                if on_table:
                    on_table(name, by_table[name].size)
        for source in sources:
            if source.lines_of_keys:
                _drop_named_by_rejected_rows_alone(con, source, result)
        taken = own_tables.take(con, carried, result.warnings) if carried is not None else []
        result.tables += taken
        for t in taken if on_table else ():
            on_table(t.table, (carried / own_tables.file_of(t.table)).stat().st_size)
        if result.checked:  # what else an import does (history, derived tables, snapshot, log) rejects nothing
            result.rejects_path = _write_rejects(con, ws, result, sources, taken) if result.rejected else None
            raise _Checked
        made_rows = _generate_missing_history(con, "stage_history" in by_table, now_utc()) if makes_history else 0
        made.mark(con)
        if ws.keeps_derived:
            changed = {t.table for t in result.tables if t.written} | ({"stage_history"} if made_rows else set())
            if not derived.has_tables(con.execute):
                derived.refresh(con)
            elif changed:
                derived.refresh(con, changed)
        _snapshot_open_pipeline(con, result.import_id)
        result.rejects_path = _write_rejects(con, ws, result, sources, taken) if result.rejected else None
        con.execute(
            "INSERT INTO koers_imports VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                result.import_id,
                now_utc(),
                origin,
                result.read,
                result.written,
                result.rejected,
                str(result.rejects_path) if result.rejects_path else None,
            ],
        )
        if after is not None:
            after(con, result)


def _take_settings(con, settings: Settings, told: dict[str, object], result: ImportResult) -> Settings:
    """The settings an export was made with, taken by a new workspace and
    checked against a filled one's (settings_file.reconcile)."""
    new_workspace = con.execute("SELECT count(*) FROM koers_imports").fetchone()[0] == 0
    try:
        taken, said = settings_file.reconcile(told, settings, new_workspace)
    except settings_file.SettingsFileError as e:
        raise ImportError_(str(e)) from None
    result.warnings += said
    if taken != settings:
        con.execute("DELETE FROM koers_settings")
        con.executemany("INSERT INTO koers_settings VALUES (?, ?)", list(taken.as_strings().items()))
    return taken


def _reads(touches: set[str]) -> set[str]:
    """The tables an import of the tables `touches` reads besides them: those
    their rows refer to, the exchange rates, the opportunities (each import
    keeps a snapshot of the open ones), and what the derived tables it
    makes anew are made from."""
    reads = {"opportunities"}
    for name in touches:
        reads |= {c.ref for c in TABLE_BY_NAME[name].columns if c.ref}
        if name in _CURRENCY_DAY:
            reads.add("exchange_rates")
    return reads.union(*(derived.MADE_FROM[name] for name in derived.needed_for(touches)))


def _header(path: Path) -> list[str]:
    """The first line's column names. Read as bytes: a text read decodes a
    whole block, so a bad byte further down would stop the import here
    (DuckDB reports such a line as a reject)."""
    with open(path, "rb") as f:
        first = f.readline()
    if b"\r" in first.rstrip(b"\r\n"):
        raise ImportError_(f"{path.name}: its lines end in a carriage return alone (an old Mac format); "
                           "save the file with ordinary line ends")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path.name}: the header (line 1) is not UTF-8 text; save the file as UTF-8") from None
    try:
        return next(csv.reader([text]), [])
    except csv.Error as e:
        raise ImportError_(f"{path.name}: the header (line 1) is not a CSV line ({e})") from None


def column_name(header: str, table: Table) -> str:
    """A header's name of a column, trimmed; a canonical column's name
    written in another case (Customer_ID) is that column."""
    name = header.strip()
    return name.lower() if name not in table.column_names and name.lower() in table.column_names else name


def _other_delimiter(header: list[str], table: Table) -> str | None:
    """The delimiter a one-column header seems split by instead of the
    comma (Dutch Excel saves CSV with ';'), when that split names canonical
    columns; else None."""
    if len(header) != 1:
        return None
    for delimiter in (";", "\t", "|"):
        parts = [column_name(h, table) for h in header[0].split(delimiter)]
        if len(parts) > 1 and set(parts) & set(table.column_names):
            return delimiter
    return None


def _file_columns(table: Table, path: Path) -> list[str]:
    """The names the import gives the file's columns, in their order: a
    canonical column its own, any other its place (the data model lacks it,
    so it is ignored, and its name need be neither valid nor distinct). A
    canonical column the header names twice stops the import: which of the
    two holds the values is not for Koers to guess."""
    names, seen = [], {}
    for place, name in enumerate((column_name(h, table) for h in _header(path)), start=1):
        if name in table.column_names:
            if name in seen:
                raise ImportError_(f"{path.name}: the header names column '{name}' twice (columns {seen[name]} "
                                   f"and {place}); keep one")
            seen[name] = place
        names.append(name if name in table.column_names else f"_ignored_{place}")
    if not names:
        raise ImportError_(f"{path.name}: the header (line 1) is empty")
    return names


def _import_table(
    con: duckdb.DuckDBPyConnection, table: Table, source: Source, settings: Settings, result: ImportResult
) -> TableResult:
    name, fname = table.name, source.name
    tr = TableResult(name)
    header = [column_name(h, table) for h in _header(source.path)] if source.path else list(source.rows.columns)
    delimiter = _other_delimiter(header, table) if source.path else None
    if delimiter:
        shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
        result.warnings.append(f"{fname}: the header is one column, split by {shown} rather than ','; a canonical "
                               "file is separated by commas (save it as CSV with commas, or import it through a "
                               "mapping that names its delimiter: docs/import.md)")
    for extra in [h for h in header if h not in table.column_names and h != "_line"]:
        if not delimiter:
            result.warnings.append(f"{fname}: column '{extra}' is not in the data model, ignored")
    if source.path and not header and source.path.stat().st_size < 16 and not source.path.read_bytes().strip():
        result.warnings.append(f"{fname}: the file is empty, so it brings no rows")
        return tr
    typed = f"_typed_{name}"
    present = [c for c in table.column_names if c in header]
    empty = con.execute(f"SELECT count(*) FROM {q(name)}").fetchone()[0] == 0
    if source.rows is not None:
        staged = f"_staged_{name}"
        _stage_rows(con, staged, _text_columns(table, present), source, tr)
        _type_rows(con, table, f"SELECT * FROM {staged}", typed, settings, with_line=True)
        load = None
        _find_errors(con, table, typed, present, settings)
    else:
        # Into an empty table the typed rows are written once, as the table
        # itself: copying ten million typed rows from a temporary table cost
        # as much again as typing them.
        load = f"_koers_load_{name}" if empty else None
        try:
            if not _type_csv_unordered(con, table, source.path, present, typed, settings, load):
                source.malformed = _type_csv(con, table, source.path, present, typed, settings, tr, load)
                _find_errors(con, table, typed, present, settings)
        except duckdb.InvalidInputException as e:
            raise ImportError_(_unreadable(source.path, e)) from None
    source.kept = con.execute(f"SELECT count(*) FROM {typed}").fetchone()[0]
    tr.read = source.kept + tr.rejected
    result.warnings += _out_of_order(con, table, fname, typed)
    _write_good(con, table, fname, typed, tr, empty, load, fills_gaps=source.fills_gaps)
    if source.said is not None and tr.rejected:
        _report_as_said(con, fname, source.said)
    for canonical, by_line in source.columns_by_line.items():
        con.executemany("UPDATE _rejects SET col = ? WHERE file = ? AND col = ? AND line = ?",
                        [[f"{theirs} ({canonical})", fname, canonical, line] for line, theirs in by_line.items()])
    for canonical, theirs in source.columns.items():
        con.execute(
            "UPDATE _rejects SET col = ? WHERE file = ? AND col = ?", [f"{theirs} ({canonical})", fname, canonical]
        )
    return tr


def _report_as_said(con: duckdb.DuckDBPyConnection, fname: str, said: pd.DataFrame) -> None:
    """Rejects name a rewritten value as the file wrote it."""
    con.register("_said", said)
    try:
        for c in [c for c in said.columns if c != "_line"]:
            con.execute(f"UPDATE _rejects SET value = s.{q(c)} FROM _said s WHERE _rejects.file = ? "
                        f"AND _rejects.col = ? AND _rejects.line = s._line AND s.{q(c)} IS NOT NULL", [fname, c])
    finally:
        con.unregister("_said")


def _text_columns(table: Table, present: list[str]) -> str:
    """Every canonical column as the file's text; a column the file lacks as null text."""
    return ", ".join((q(c) if c in present else f"NULL::VARCHAR AS {q(c)}") for c in table.column_names)


def _stage_rows(con, staged: str, select: str, source: Source, tr: TableResult) -> None:
    """Rows a mapping made: problems it met are reported under their own lines."""
    for line, column, value, reason in source.problems:
        con.execute("INSERT INTO _rejects VALUES (?, ?, ?, ?, ?)", [source.name, line, column, value, reason])
    bad = {p[0] for p in source.problems}
    tr.rejected += len(bad)
    rows = source.rows[~source.rows["_line"].isin(bad)] if bad else source.rows
    # text throughout, even for a column that is empty in every row
    rows = rows.astype({c: "string" for c in rows.columns if c != "_line"})
    con.register("_mapped_rows", rows)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT CAST(_line AS BIGINT) AS _line, {select} "
                    "FROM _mapped_rows")
    finally:
        con.unregister("_mapped_rows")


def _csv_source(con, table: Table, path: Path, present: list[str], errors: str = "_csv_errors") -> str:
    """The file's rows as text, each canonical column (see _read_csv_sql),
    its malformed lines in `errors` from this read alone: DuckDB adds to a
    rejects table it finds, so the lines of an earlier file would be taken
    for this one's."""
    con.execute(f"DROP TABLE IF EXISTS {errors}")
    con.execute(f"DROP TABLE IF EXISTS {errors}_scans")
    return f"SELECT {_text_columns(table, present)} FROM {_read_csv_sql(path, errors, _file_columns(table, path))}"


def _read_csv_sql(path: Path, errors: str, columns: list[str]) -> str:
    """The file's rows as text, so that a bad value is reported, never
    silently turned to null; a line with the wrong number of fields, a stray
    quote or a bad byte goes to the table `errors` instead. Nothing is
    guessed: the canonical format is fixed (data-model.md), and DuckDB's
    guessing of it from the first lines fails outright on a stray quote
    there, and could take a line starting with # for a comment."""
    struct = ", ".join(f"{lit(name)}: 'VARCHAR'" for name in columns)
    return (
        f"read_csv({lit(str(path))}, auto_detect=false, header=true, columns={{{struct}}}, delim=',', "
        "quote='\"', escape='\"', "
        f"store_rejects=true, rejects_table={lit(errors)}, rejects_scan={lit(errors + '_scans')}, "
        "strict_mode=true, null_padding=false)"
    )


def _type_rows(con, table: Table, rows: str, typed: str, settings: Settings, with_line: bool,
               temporary: bool = True) -> None:
    """Type the text rows of `rows` in one pass, each column of its stored
    SQL type, and each typed column beside its trimmed text (`_raw_<name>`)
    where the rules and the report need it."""
    line = "_line, " if with_line else ""
    trimmed = ", ".join(f"{raw(c)} AS {q(c)}" for c in table.column_names)
    typed_cols = ", ".join(
        f"{typed_expr(c, settings.time_zone)} AS {q(c.name)}" + (f", {q(c.name)} AS {q('_text_' + c.name)}"
                                                                 if keeps_raw(c) else "")
        for c in table.columns
    )

    def kept(c) -> str:
        text = q("_text_" + c.name)
        if (table.name, c.name) in _TEXT_KEPT:
            return f"{text} AS {raw_name(c)}"
        return f"CASE WHEN {text_needed(c)} THEN {text} END AS {raw_name(c)}"

    outer = ", ".join(
        f"CAST({q(c.name)} AS {SQL_TYPES[c.type]}) AS {q(c.name)}" + (f", {kept(c)}" if keeps_raw(c) else "")
        for c in table.columns
    )
    select = (f"SELECT {line}{outer} FROM (SELECT {line}{typed_cols} FROM "
              f"({timestamp_layers(table.columns, f'SELECT {line}{trimmed} FROM ({rows})')}))")
    if temporary:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {typed} AS {select}")
        return
    # the table that becomes the canonical one (_take_load), so stored as it
    cols = [ddl + (f", {raw_name(c)} VARCHAR" if keeps_raw(c) else "") for c, ddl in zip(table.columns, columns_ddl(table))]
    con.execute(f"CREATE OR REPLACE TABLE {typed} ({'_line BIGINT, ' if with_line else ''}{', '.join(cols)})")
    con.execute(f"INSERT INTO {typed} {select}")


def _type_csv(con, table: Table, path: Path, present: list[str], typed: str, settings: Settings,
              tr: TableResult, load: str | None = None) -> list[int]:
    """Read, trim and type a canonical CSV file in one pass, with no copy of
    its text in between (on ten million rows that copy alone took longer
    than the typing). The rows keep the file's order, so a row's line follows
    from its rowid, moved down past the malformed lines that were skipped."""
    fname, rows = path.name, load or f"{typed}_rows"
    source = _csv_source(con, table, path, present)
    _type_rows(con, table, source, rows, settings, with_line=False, temporary=load is None)
    malformed = con.execute("SELECT line, any_value(csv_line), min(error_type), min(error_message) "
                            "FROM _csv_errors GROUP BY line ORDER BY line").fetchall()
    fields = len(_header(path)) if malformed else 0
    # DuckDB's text of a record with an open quote stops at 10,000
    # characters, though the quote may run on over every line after it
    open_quoted = {m[0] for m in malformed if m[2] == "UNQUOTED VALUE" and m[1] and m[1].count('"') % 2}
    written = lines.records_as_written(
        path, [m[0] for m in malformed if m[2] == "INVALID ENCODING" or m[0] in open_quoted])
    for line, text, error, message in malformed:
        # DuckDB's text of a record after a blank line starts with that line's
        # end; one of a quote never closed ends with the file's last line end
        text = text.strip("\r\n") if text else text
        if line in open_quoted:
            text = _whole_open_record(path, text, written.get(line))
        elif line in written:
            text = written[line]
        # a quote left open (an odd count) may have run on to the end of the file
        open_quote = bool(text) and text.count('"') % 2 == 1 and lines.ends_file(path, text)
        con.execute("INSERT INTO _rejects VALUES (?, ?, NULL, ?, ?)",
                    [fname, line, text, _malformed(error, message, fields, text, open_quote)])
    bad_lines = [line for line, *_ in malformed]
    tr.rejected += len(bad_lines)
    # The j-th kept row is on the j-th line number (from 2) that was not skipped.
    skips = f"_skips_{table.name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {skips} (t BIGINT)")
    if bad_lines:
        con.executemany(f"INSERT INTO {skips} VALUES (?)", [[r - m] for m, r in enumerate(bad_lines)])
    # rowids of a table made in this transaction start high, but run on in order
    first = con.execute(f"SELECT min(rowid) FROM {rows}").fetchone()[0] or 0
    numbered = f"SELECT rowid AS _rowid, rowid - {int(first)} + 2 AS _n, * FROM {rows}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT {_line_sql('_n', skips, bool(bad_lines))} "
                f"AS _line, * EXCLUDE (_n) FROM ({numbered})")
    return bad_lines


def _type_csv_unordered(con, table: Table, path: Path, present: list[str], typed: str, settings: Settings,
                        load: str | None) -> bool:
    """Read and type a canonical CSV file as _type_csv does, but with DuckDB
    free to write the rows in any order (on ten million activities a fifth
    faster), and find the rules' errors (`_errors`). Rows out of order have
    no line numbers, which only a report needs: a file with a malformed line
    or a row that breaks a rule is read again in order (False), so an
    export's clean files take the fast way and a report is always exact."""
    rows = load or f"{typed}_rows"
    source = _csv_source(con, table, path, present)
    con.execute("SET preserve_insertion_order = false")
    try:
        _type_rows(con, table, source, rows, settings, with_line=False, temporary=load is None)
    finally:
        # (a failed read has ended the transaction, and the connection with it)
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("SET preserve_insertion_order = true")
    if con.execute("SELECT EXISTS (SELECT 1 FROM _csv_errors)").fetchone()[0]:
        con.execute(f"DROP TABLE {rows}")
        return False
    # rowid stands in for the line: unique, and no report reads it
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT rowid AS _rowid, rowid AS _line, * FROM {rows}")
    _find_errors(con, table, typed, present, settings)
    if con.execute("SELECT EXISTS (SELECT 1 FROM _errors)").fetchone()[0]:
        con.execute(f"DROP VIEW {typed}")
        con.execute(f"DROP TABLE {rows}")
        return False
    return True


def _whole_open_record(path: Path, text: str, as_written: str | None) -> str:
    """A record with a quote left open, whole: as the file holds it from its
    line to the end when DuckDB's text is the start of that (DuckDB cut it),
    so the report counts every line the quote took and keeps them all."""
    if as_written is None or text.count("\n") == as_written.count("\n"):
        return text
    if as_written.replace("\r\n", "\n").startswith(text.replace("\r\n", "\n")) and lines.ends_file(path, as_written):
        return as_written
    return text


def _malformed(error: str, message: str, fields: int, text: str | None = None, open_quote: bool = False) -> str:
    """Why DuckDB's CSV reader could not take a line (its record's `text`,
    which an `open_quote` ran on to the end of the file), in the report's words."""
    if error == "INVALID ENCODING":
        return "not UTF-8 text: save the file as UTF-8"
    if error in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        return f"malformed CSV line: not {fields} fields as the header has"
    if error == "UNQUOTED VALUE" and open_quote:
        read = text.rstrip("\r\n").count("\n") + 1
        return (f"malformed CSV line: a quote that is never closed, so this line and the {read - 1} after it "
                "(the rest of the file) were read as one value; close the quote or double it (\"\")")
    if error == "UNQUOTED VALUE":
        return ("malformed CSV line: a quote inside a value that is not doubled (\"\"), or text after a "
                "value's closing quote")
    if error == "LINE SIZE OVER MAXIMUM":
        return "malformed CSV line: longer than the 2 MB a line may be"
    return f"malformed CSV line: {message}"


def _unreadable(path: Path, error: Exception) -> str:
    """Why a file could not be read at all. DuckDB stops (rather than skip a
    line) at a carriage return alone inside a value that is not quoted."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        found = re.search(rb"\r(?!\n)", data)
        if found:
            line = data[:found.start()].count(b"\n") + 1
            return (f"{path.name}: line {line} holds a carriage return alone outside quotes; quote that value "
                    "or remove the character")
    return f"{path.name}: not readable as CSV ({str(error).splitlines()[0]})"


def _line_sql(number: str, skips: str, any_skipped: bool) -> str:
    """The file line of the row numbered `number` among the kept rows."""
    if not any_skipped:
        return number
    return f"{number} + (SELECT count(*) FROM {skips} WHERE t <= {number})"


def _find_errors(con, table: Table, typed: str, present: list[str], settings: Settings) -> None:
    """Run every rule over the typed rows: `_errors` holds (line, column,
    value, reason) for each rule a row breaks."""
    checks: list[Check] = []
    for col in table.columns:
        if col.required and col.name not in present:
            checks.append(Check(col.name, "true", "NULL", lit(f"the file has no column {col.name}, which is required")))
            continue
        checks += column_checks(col)
    checks += _row_checks(table)
    union = " UNION ALL ".join([checks_in_one_pass(checks, typed), *_table_rules(table, typed, settings)])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _errors AS {union}")
    if table.unique and _may_repeat_keys(con, table, typed):
        con.execute(f"INSERT INTO _errors {_repeated_key_rule(table, typed)}")
    _self_references(con, table, typed)


def _write_good(con, table: Table, fname: str, typed: str, tr: TableResult, empty: bool,
                load: str | None = None, fills_gaps: bool = False) -> None:
    """Report the rows `_errors` names and write the others. `empty`: the
    table has no rows yet. `load`: the typed rows are that table
    (`_type_csv` or `_type_csv_unordered`), which becomes the empty table.
    `fills_gaps`: only rows of keys the workspace lacks are written (and
    counted as written); it keeps its own row of every key it holds."""
    name = table.name
    con.execute(f"INSERT INTO _rejects SELECT {lit(fname)}, * FROM _errors")
    bad = con.execute("SELECT count(DISTINCT _line) FROM _errors").fetchone()[0]
    tr.rejected += bad

    cols = ", ".join(q(c) for c in table.column_names)
    good = f"SELECT {cols} FROM {typed} WHERE _line NOT IN (SELECT _line FROM _errors)"
    if fills_gaps and not empty:
        held = " AND ".join(f"h.{q(k)} IS NOT DISTINCT FROM {typed}.{q(k)}" for k in table.key)
        good += f" AND NOT EXISTS (SELECT 1 FROM {q(name)} h WHERE {held})"
    if fills_gaps:  # the keys this import adds, before it adds them (_drop_named_by_rejected_rows_alone)
        keys = ", ".join(q(k) for k in table.key)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {q('_added_' + name)} AS SELECT {keys} FROM ({good})")
    if name == "stage_history" and _made_history_exists(con):
        # kept for _generate_missing_history, which needs them only then
        real = made.real_rows(con, f"SELECT opportunity_id, stage, entered_at FROM ({good})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _history_rows AS {real}")
    if load is not None:
        tr.written = _take_load(con, table, typed, load)
    elif empty:
        tr.written = con.execute(f"INSERT INTO {q(name)} {good}").fetchone()[0]
    elif not table.unique:
        tr.written = _replace_changed_groups(con, table, good, typed)
    else:
        # Only rows that are new or differ are written: a re-import writes nothing.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _changed AS {good} EXCEPT SELECT {cols} FROM {q(name)}")
        key_match = " AND ".join(f"{q(name)}.{q(k)} IS NOT DISTINCT FROM _changed.{q(k)}" for k in table.key)
        con.execute(f"DELETE FROM {q(name)} USING _changed WHERE {key_match}")
        con.execute(f"INSERT INTO {q(name)} SELECT {cols} FROM _changed")
        tr.written = con.execute("SELECT count(*) FROM _changed").fetchone()[0]


def _drop_named_by_rejected_rows_alone(con, source: Source, result: ImportResult) -> None:
    """A row gathered from another table's file (the rep a deals export names
    as owner) that this import added, though every line naming it was
    rejected, and that no row of the workspace names: taken out again, so a
    rejected deal leaves no rep behind who counts as employed since the
    placeholder hiring date."""
    table = TABLE_BY_NAME[source.table]
    if any(table.column(k).type != ColType.TEXT for k in table.key):
        return  # keys gathered as text name text keys only
    rejected = {r[0] for r in con.execute(
        "SELECT DISTINCT line FROM _rejects WHERE file = ? AND line IS NOT NULL", [source.name]).fetchall()}
    alone = [k for k, at in source.lines_of_keys.items() if set(at) <= rejected]
    if not alone:
        return
    con.register("_alone", pd.DataFrame(alone, columns=list(table.key), dtype=object))
    try:
        def match(other: str) -> str:
            return " AND ".join(f"t.{q(k)} = {other}.{q(k)}" for k in table.key)
        named = [f"NOT EXISTS (SELECT 1 FROM {q(t.name)} r WHERE r.{q(c.name)} = t.{q(table.key[0])})"
                 for t in TABLES for c in t.columns if c.ref == table.name] if len(table.key) == 1 else []
        gone = con.execute(
            f"DELETE FROM {q(table.name)} t WHERE EXISTS (SELECT 1 FROM _alone a WHERE {match('a')}) "
            f"AND EXISTS (SELECT 1 FROM {q('_added_' + table.name)} n WHERE {match('n')}) "
            + "".join(f"AND {n} " for n in named) + "RETURNING " + ", ".join(f"t.{q(k)}" for k in table.key)).fetchall()
    finally:
        con.unregister("_alone")
    if gone:
        next(tr for tr in result.tables if tr.table == table.name).written -= len(gone)
        ids = ", ".join("/".join(map(str, g)) for g in sorted(gone)[:5]) + (", ..." if len(gone) > 5 else "")
        result.warnings.append(f"{source.name}: not added to {table.name}, as only rejected rows name them: {ids}")


def _replace_changed_groups(con, table: Table, good: str, typed: str) -> int:
    """A table whose key may repeat: the rows of each key the import brings
    replace the workspace's rows of that key when the two differ as
    multisets (so a re-import writes nothing, and two equal cost lines stay
    two); keys the import does not bring are left alone. A key with a
    rejected row is not brought whole: its good rows the workspace lacks are
    added, and the rows it holds stay (the rejected row may be the new
    version of one of them)."""
    name, cols = q(table.name), ", ".join(q(c) for c in table.column_names)
    keys = ", ".join(q(k) for k in table.key)

    def match(a: str, b: str) -> str:
        return " AND ".join(f"{a}.{q(k)} IS NOT DISTINCT FROM {b}.{q(k)}" for k in table.key)

    con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming AS {good}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _partial_keys AS SELECT DISTINCT {keys} FROM {typed} "
                "WHERE _line IN (SELECT _line FROM _errors)")

    def held(keys_of: str) -> str:
        return f"SELECT {cols} FROM {name} n WHERE EXISTS (SELECT 1 FROM ({keys_of}) i WHERE {match('n', 'i')})"

    whole = f"SELECT DISTINCT {keys} FROM _incoming i WHERE NOT EXISTS (SELECT 1 FROM _partial_keys p WHERE {match('i', 'p')})"
    incoming_whole = f"SELECT {cols} FROM _incoming i WHERE EXISTS (SELECT 1 FROM ({whole}) w WHERE {match('i', 'w')})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _changed_keys AS SELECT DISTINCT {keys} FROM ("
        f"({incoming_whole} EXCEPT ALL {held(whole)}) UNION ALL ({held(whole)} EXCEPT ALL {incoming_whole}))"
    )
    con.execute(f"DELETE FROM {name} n USING _changed_keys c WHERE {match('n', 'c')}")
    written = con.execute(f"INSERT INTO {name} SELECT {cols} FROM _incoming i "
                          f"WHERE EXISTS (SELECT 1 FROM _changed_keys c WHERE {match('i', 'c')})").fetchone()[0]
    partial = f"SELECT {cols} FROM _incoming i WHERE EXISTS (SELECT 1 FROM _partial_keys p WHERE {match('i', 'p')})"
    return written + con.execute(
        f"INSERT INTO {name} {partial} EXCEPT ALL {held('SELECT * FROM _partial_keys')}").fetchone()[0]


def _self_references(con, table: Table, typed: str) -> None:
    """A row naming a row of its own file (a rep's manager) that is itself
    rejected names a row that will not exist: rejected too, and so on down
    the chain, unless the workspace already holds that row."""
    for col in (c for c in table.columns if c.ref == table.name):
        key, ref = q(table.key[0]), q(col.name)
        reason = lit(f"no {table.name} row has this {table.key[0]}: its row was rejected")
        added = 1
        while added:  # each round rejects the rows naming one rejected in the round before
            added = con.execute(
                f"INSERT INTO _errors SELECT t._line, {lit(col.name)}, t.{ref}, {reason} FROM {typed} t "
                f"WHERE t.{ref} IS NOT NULL AND t._line NOT IN (SELECT _line FROM _errors) "
                f"AND t.{ref} NOT IN (SELECT {key} FROM {q(table.name)}) "
                f"AND t.{ref} NOT IN (SELECT {key} FROM {typed} WHERE {key} IS NOT NULL "
                f"AND _line NOT IN (SELECT _line FROM _errors))"
            ).fetchone()[0]


def _take_load(con, table: Table, typed: str, load: str) -> int:
    """The typed rows in `load` less the rejected ones become the (empty)
    table: its columns are the table's, in order, with the kept text beside
    the typed ones, which is dropped here."""
    con.execute(f"DELETE FROM {load} WHERE rowid IN "
                f"(SELECT _rowid FROM {typed} WHERE _line IN (SELECT _line FROM _errors))")
    con.execute(f"DROP VIEW {typed}")
    con.execute(f"DROP TABLE {q(table.name)}")
    con.execute(f"ALTER TABLE {load} RENAME TO {q(table.name)}")
    for c in table.columns:
        if keeps_raw(c):
            con.execute(f"ALTER TABLE {q(table.name)} DROP COLUMN {raw_name(c)}")
    return con.execute(f"SELECT count(*) FROM {q(table.name)}").fetchone()[0]


# the reason of a repeated key, before the line of its first row
_DUPLICATE = "duplicate of line "

# Typed columns whose text a row check below reports even when it parsed
_TEXT_KEPT = {("opportunities", "closed_at")}


def _row_checks(table: Table) -> list[Check]:
    """The table's rules that look at one row alone."""
    name = table.name
    if name == "opportunities":
        return [
            Check("closed_at", "status IN ('won', 'lost') AND _raw_closed_at IS NULL", "NULL",
                  "'required when status is won or lost'"),
            Check("closed_at", "status = 'open' AND _raw_closed_at IS NOT NULL", "_raw_closed_at",
                  "'must be empty while status is open'"),
        ]
    if name == "customers":  # data-model.md: churned_on >= acquired_on
        return [Check("churned_on", "churned_on < acquired_on", "churned_on", "'before acquired_on'")]
    if name == "targets":
        ids = ", ".join(lit(i) for i in _kpi_ids())
        return [Check("kpi", f"kpi IS NOT NULL AND kpi NOT IN ({ids})", "kpi",
                      "'not a KPI id of the catalogue (koers kpis lists them)'")]
    return []


# An end before its start that data-model.md does not forbid (it forbids
# churned_on before acquired_on alone): such rows land as given, so the
# figures are those of the data, and the import warns of them.
_ENDS_BEFORE_START = {"opportunities": ("closed_at", "created_at"), "contracts": ("end_on", "start_on"),
                      "reps": ("left_on", "hired_on")}


def _out_of_order(con, table: Table, fname: str, typed: str) -> list[str]:
    if table.name not in _ENDS_BEFORE_START:
        return []
    end, start = _ENDS_BEFORE_START[table.name]
    key = q(table.key[0])
    count, first = con.execute(
        f"SELECT count(*), list({key} ORDER BY {key})[1:5] FROM {typed} "
        f"WHERE {q(end)} < {q(start)} AND _line NOT IN (SELECT _line FROM _errors)").fetchone()
    if not count:
        return []
    more = f" and {count - len(first)} more" if count > len(first) else ""
    rows = "1 row" if count == 1 else f"{count} rows"
    return [f"{fname}: {rows} with {end} before {start} ({', '.join(first)}{more}) landed as given, "
            "as the data model allows; check them in the source"]


def _table_rules(table: Table, typed: str, settings: Settings) -> list[str]:
    name = table.name
    rules = []
    for col in table.columns:
        if not col.ref:
            continue
        target = TABLE_BY_NAME[col.ref]
        tkey = target.key[0]
        known = f"SELECT {q(tkey)} FROM {q(col.ref)}"
        if col.ref == name:  # reps.manager_id may name a rep of the same file (if it lands: _self_references)
            known += f" UNION SELECT {q(tkey)} FROM {typed} WHERE {q(tkey)} IS NOT NULL"
        rules.append(
            f"SELECT t._line, {lit(col.name)}, t.{q(col.name)}, "
            f"{lit(f'no {col.ref} row has this {tkey}')} FROM {typed} t "
            f"WHERE t.{q(col.name)} IS NOT NULL AND t.{q(col.name)} NOT IN ({known})"
        )
    if name in _CURRENCY_DAY:
        day = _CURRENCY_DAY[name].format(tz=lit(settings.time_zone))
        rules.append(
            f"SELECT t._line, 'currency', t.currency, 'no exchange rate for ' || t.currency || "
            f"' on or before ' || CAST({day} AS VARCHAR) FROM {typed} t "
            f"WHERE t.currency IS NOT NULL AND t.currency <> {lit(settings.currency)} AND {day} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM exchange_rates r WHERE r.currency = t.currency AND r.valid_from <= {day})"
        )
    return rules


def _may_repeat_keys(con, table: Table, typed: str) -> bool:
    """Whether two rows share a key's hash: if not, no key repeats, and
    `_repeated_key_rule`, which groups the keys themselves and joins the
    rows back, need not run (on the large demo's ten million activities
    2.0 s, this 1.8 s; on its four million history rows 1.1 s, this 0.8 s)."""
    keys = ", ".join(q(k) for k in table.key)
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {typed} GROUP BY hash({keys}) HAVING count(*) > 1)").fetchone()[0]


def _repeated_key_rule(table: Table, typed: str) -> str:
    """A unique key: the first row of a key that breaks no other rule (in
    `_errors`) lands, later ones are rejected. A first row rejected for a bad
    value does not take the good one after it down (and every row naming
    its id, with it)."""
    key = ", ".join(q(k) for k in table.key)
    typed = f"(SELECT * FROM {typed} WHERE _line NOT IN (SELECT _line FROM _errors))"
    key_text = " || '/' || ".join(f"coalesce(CAST(t.{q(k)} AS VARCHAR), '')" for k in table.key)
    # Find the repeated keys with a hash aggregate first: a window over every
    # row would sort millions of ids to find none.
    match = " AND ".join(f"t.{q(k)} IS NOT DISTINCT FROM d.{q(k)}" for k in table.key)
    return (
        f"SELECT t._line, {lit(', '.join(table.key))}, {key_text}, "
        f"{lit(_DUPLICATE)} || CAST(d._first AS VARCHAR) FROM {typed} t JOIN ("
        f"SELECT {key}, min(_line) AS _first FROM {typed} GROUP BY ALL HAVING count(*) > 1) d "
        f"ON {match} WHERE t._line > d._first"
    )


def _generate_missing_history(con: duckdb.DuckDBPyConnection, history_imported: bool, now: datetime) -> int:
    """An opportunity without stage_history rows gets one: its current stage
    at created_at (data-model.md). Koers keeps the rows it made, so that
    - real history imported later for the opportunity replaces them;
    - an opportunity whose rows are all made by Koers and whose stage differs
      in a later import (a newer export, a sync) gets a row for the new stage,
      entered at this import (or at its closed_at, when that is earlier):
      the export says it moved, not when, and this is the first moment
      Koers knows it. Without it the stage at any T would stay the first one;
    - the row made at created_at follows it when a later import changes it,
      while it is the opportunity's one made row (_follow_created_at).
    Returns how many stage_history rows it added or deleted.
    """
    changed = 0
    # On ten million rows each statement below scans stage_history even
    # when the other side is empty (as on a first import): skipped then.
    made_before = _made_history_exists(con)
    if history_imported and made_before:
        # the made rows of opportunities with real history now, except any the import itself brought
        changed += con.execute(
            "DELETE FROM stage_history h USING koers_generated_history g "
            "WHERE h.opportunity_id = g.opportunity_id AND h.stage = g.stage AND h.entered_at = g.entered_at "
            "AND g.opportunity_id IN (SELECT opportunity_id FROM _history_rows) "
            "AND NOT EXISTS (SELECT 1 FROM _history_rows r WHERE r.opportunity_id = h.opportunity_id "
            "AND r.stage = h.stage AND r.entered_at = h.entered_at)"
        ).fetchone()[0]
        con.execute("DELETE FROM koers_generated_history WHERE opportunity_id IN "
                    "(SELECT opportunity_id FROM _history_rows)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _missing AS SELECT opportunity_id, stage, created_at FROM opportunities o "
        "WHERE stage IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stage_history h WHERE h.opportunity_id = o.opportunity_id)"
    )
    changed += con.execute("INSERT INTO stage_history SELECT * FROM _missing").fetchone()[0]
    con.execute("INSERT INTO koers_generated_history SELECT * FROM _missing")
    if not made_before:
        return changed  # every made row is new, at its opportunity's stage: none moved
    changed += _follow_created_at(con)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _moved AS
           SELECT o.opportunity_id, o.stage,
                  greatest(g.entered_at, least(?::TIMESTAMP, coalesce(o.closed_at, ?::TIMESTAMP))) AS entered_at
           FROM opportunities o
           JOIN (SELECT opportunity_id, arg_max(stage, entered_at) AS stage, max(entered_at) AS entered_at
                 FROM koers_generated_history GROUP BY opportunity_id) g USING (opportunity_id)
           WHERE o.stage IS NOT NULL AND o.stage <> g.stage""",
        [now, now],
    )
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _moved)").fetchone()[0]:
        return changed
    changed += con.execute("INSERT INTO stage_history SELECT * FROM _moved EXCEPT SELECT opportunity_id, stage, "
                           "entered_at FROM stage_history").fetchone()[0]
    con.execute("INSERT INTO koers_generated_history SELECT * FROM _moved")
    return changed


def _follow_created_at(con: duckdb.DuckDBPyConnection) -> int:
    """The row Koers made for an opportunity without history is entered at
    its created_at: when a later import moves created_at (a corrected date in
    a newer export), the row moves with it, as a first import of that export
    would have made it. Only while it is the opportunity's one made row: once
    a later import has added a row for a new stage (entered at that import),
    which row was made at created_at no longer follows from the rows, and
    moving the first could put it after the second. Returns the rows moved."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _recreated AS
           SELECT g.opportunity_id, g.stage, g.entered_at AS was, o.created_at AS entered_at
           FROM (SELECT opportunity_id, any_value(stage) AS stage, any_value(entered_at) AS entered_at
                 FROM koers_generated_history GROUP BY opportunity_id HAVING count(*) = 1) g
           JOIN opportunities o USING (opportunity_id)
           WHERE o.created_at <> g.entered_at"""
    )
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _recreated)").fetchone()[0]:
        return 0
    for table in ("stage_history", "koers_generated_history"):
        con.execute(f"DELETE FROM {table} t USING _recreated r WHERE t.opportunity_id = r.opportunity_id "
                    "AND t.stage = r.stage AND t.entered_at = r.was")
        con.execute(f"INSERT INTO {table} SELECT opportunity_id, stage, entered_at FROM _recreated "
                    f"EXCEPT SELECT opportunity_id, stage, entered_at FROM {table}")
    return con.execute("SELECT count(*) FROM _recreated").fetchone()[0]


def _made_history_exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether Koers made stage_history rows in an earlier import."""
    return con.execute("SELECT EXISTS (SELECT 1 FROM koers_generated_history)").fetchone()[0]


def _snapshot_open_pipeline(con: duckdb.DuckDBPyConnection, import_id: str) -> None:
    con.execute(
        "INSERT INTO koers_snapshots SELECT ?, ?, opportunity_id, stage, amount, currency, probability, "
        "expected_close_on, forecast_category FROM opportunities WHERE status = 'open'",
        [import_id, now_utc()],
    )


def _write_rejects(con: duckdb.DuckDBPyConnection, ws: Workspace, result: ImportResult, sources: list[Source],
                   taken: list[TableResult]) -> Path:
    """rejects.csv (one line per rejected row) and, per file, the rejected
    rows as they came (a carried file's too: `taken`)."""
    out = ws.rejects_dir() / result.import_id
    out.mkdir(parents=True, exist_ok=True)
    report = out / "rejects.csv"
    _place_lines(con, sources)
    came = {}  # per CSV file, the temporary table of its rejected rows as they came
    for i, source in enumerate(sources):
        if source.keep_rejected is not None or not con.execute(
                "SELECT count(*) FROM _rejects WHERE file = ? AND line IS NOT NULL", [source.name]).fetchone()[0]:
            continue
        table = TABLE_BY_NAME[source.table]
        came[source.name] = f"_came_{i}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {came[source.name]} AS SELECT * FROM "
                    f"({_as_they_came(con, table, source)}) WHERE _line IN "
                    f"(SELECT line FROM _rejects WHERE file = {lit(source.name)})")
        _duplicates_as_written(con, table, source.name, came[source.name])
    dup = lit(_DUPLICATE)
    referred = f"try_cast(substr(r.reason, {len(_DUPLICATE) + 1}) AS BIGINT)"
    # where each column is in its table, to name a row's problems in that order
    con.execute("CREATE OR REPLACE TEMP TABLE _column_order (file VARCHAR, col VARCHAR, pos INTEGER)")
    con.executemany("INSERT INTO _column_order VALUES (?, ?, ?)", [
        (source.name, column, i) for source in sources
        for i, column in enumerate(TABLE_BY_NAME[source.table].column_names)])
    # files in load order (a table before the tables naming its rows): a
    # rejected rep comes before the activities rejected for naming that rep
    con.execute("CREATE OR REPLACE TEMP TABLE _file_order (file VARCHAR, pos INTEGER)")
    first: dict[str, int] = {}  # a file may be the source of several tables (a mapping's)
    for source in sources:
        first[source.name] = min(first.get(source.name, len(LOAD_ORDER)), LOAD_ORDER.index(source.table))
    con.executemany("INSERT INTO _file_order VALUES (?, ?)", list(first.items()))
    # cli.md: every rejected row is a line; a row with several problems names
    # the first (in the table's column order, data-model.md) in its fields, the others after it
    also = "'; also ' || coalesce(col, 'record') || ' ' || coalesce(chr(39) || value || chr(39), '(empty)') || ': ' || reason"
    con.execute(
        f"""COPY (
            WITH problems AS (
                SELECT r.file, coalesce(m.physical, r.line) AS line, r.col, r.value,
                       CASE WHEN d.physical IS NOT NULL THEN {dup} || CAST(d.physical AS VARCHAR)
                            ELSE r.reason END AS reason,
                       min(o.pos) AS pos
                FROM _rejects r LEFT JOIN _line_map m ON m.file = r.file AND m.internal = r.line
                LEFT JOIN _line_map d ON d.file = r.file AND starts_with(r.reason, {dup}) AND d.internal = {referred}
                LEFT JOIN _column_order o ON o.file = r.file
                     AND (r.col = o.col OR ends_with(r.col, ' (' || o.col || ')'))
                GROUP BY ALL),
            numbered AS (
                SELECT p.*, f.pos AS pos_file,
                       row_number() OVER (PARTITION BY p.file, p.line ORDER BY p.pos NULLS LAST, p.col, p.reason) AS k
                FROM problems p LEFT JOIN _file_order f ON f.file = p.file),
            others AS (
                SELECT file, line, string_agg({also}, '' ORDER BY k) AS more FROM numbered WHERE k > 1
                GROUP BY file, line)
            SELECT n.file, n.line, n.col AS column, n.value, n.reason || coalesce(x.more, '') AS reason
            FROM numbered n LEFT JOIN others x ON x.file = n.file AND x.line IS NOT DISTINCT FROM n.line
            WHERE n.k = 1 ORDER BY n.pos_file, n.file, n.line
        ) TO {lit(str(report))} (HEADER, DELIMITER ',')"""
    )
    for source in sources:
        lines = {r[0] for r in con.execute(
            "SELECT DISTINCT line FROM _rejects WHERE file = ? AND line IS NOT NULL", [source.name]).fetchall()}
        if not lines:
            continue
        if source.keep_rejected is not None:
            source.keep_rejected(lines, out)
            continue
        table = TABLE_BY_NAME[source.table]
        cols = ", ".join(f"s.{q(c)}" for c in table.column_names)
        name = lit(source.name)
        rows = (f"SELECT coalesce(m.physical, s._line) AS line, {cols} FROM {came[source.name]} s "
                f"LEFT JOIN _line_map m ON m.file = {name} AND m.internal = s._line")
        if source.malformed:
            # a record that could not be split into fields is kept whole, as its text
            empty = ", ".join(f"NULL AS {q(c)}" for c in table.column_names)
            rows = (f"SELECT *, NULL AS malformed_record FROM ({rows}) UNION ALL "
                    f"SELECT coalesce(m.physical, r.line), {empty}, r.value FROM _rejects r LEFT JOIN _line_map m "
                    f"ON m.file = r.file AND m.internal = r.line WHERE r.file = {name} AND r.col IS NULL")
        con.execute(f"COPY ({rows} ORDER BY line) TO {lit(str(out / source.name))} (HEADER, DELIMITER ',')")
    own_tables.keep_rejected(con, taken, out)
    return report


def _duplicates_as_written(con, table: Table, fname: str, came: str) -> None:
    """A row rejected as a duplicate names its key as the file wrote it
    (trimmed, as every reported value), not as stored: a timestamp in UTC
    matched neither line's text."""
    written = " || '/' || ".join(f"coalesce(trim(c.{q(k)}), '')" for k in table.key)
    con.execute(f"UPDATE _rejects SET value = {written} FROM {came} c WHERE _rejects.file = ? "
                f"AND starts_with(_rejects.reason, {lit(_DUPLICATE)}) AND _rejects.line = c._line", [fname])


def _place_lines(con, sources: list[Source]) -> None:
    """`_line_map`: for a CSV file whose records are not one line each (a
    quoted field over several lines, a blank line), the line each reported
    row starts on, by the number the import gave it (importers/lines.py)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _line_map (file VARCHAR, internal BIGINT, physical BIGINT)")
    for source in sources:
        if source.path is None:
            continue
        reported = {r[0] for r in con.execute(
            "SELECT line FROM _rejects WHERE file = ? AND line IS NOT NULL UNION "
            f"SELECT try_cast(substr(reason, {len(_DUPLICATE) + 1}) AS BIGINT) FROM _rejects "
            f"WHERE file = ? AND starts_with(reason, {lit(_DUPLICATE)})", [source.name, source.name]).fetchall()}
        reported.discard(None)
        if not reported or lines.one_line_per_record(source.path, 1 + source.kept + len(source.malformed)):
            continue
        placed = lines.start_lines(source.path, reported, source.malformed)
        con.executemany("INSERT INTO _line_map VALUES (?, ?, ?)", [[source.name, n, at] for n, at in placed.items()])


def _as_they_came(con, table: Table, source: Source) -> str:
    """The rows of a source as their untrimmed text, with `_line`: a CSV
    file is read again (only an import with rejects gets here)."""
    if source.rows is not None:
        return f"SELECT * FROM _staged_{table.name}"
    present = [n for n in (column_name(h, table) for h in _header(source.path)) if n in table.column_names]
    skips = f"_skips_{table.name}"
    any_skipped = con.execute(f"SELECT count(*) FROM {skips}").fetchone()[0] > 0
    numbered = f"SELECT row_number() OVER () + 1 AS _n, * FROM ({_csv_source(con, table, source.path, present, '_csv_errors_again')})"
    return f"SELECT {_line_sql('_n', skips, any_skipped)} AS _line, * FROM ({numbered})"


# -- export ----------------------------------------------------------------
def export_folder(ws: Workspace, folder: Path) -> dict[str, int]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    with ws.reader_table_by_table() as (con, take):
        settings = Settings.from_strings(dict(con.execute("SELECT key, value FROM koers_settings").fetchall()))
        tz = settings.time_zone
        con.execute(f"SET TimeZone = {lit(tz)}")
        for name in LOAD_ORDER:
            take(name)
            table = TABLE_BY_NAME[name]
            exprs = ", ".join(export_expr(c, tz) for c in table.columns)
            # a key that may repeat orders by every column after it: the same rows, the same file
            order = ", ".join(q(k) for k in table.key + (
                () if table.unique else tuple(c for c in table.column_names if c not in table.key)))
            rows = export_rows(table.columns, tz, f"SELECT * FROM {q(name)}")
            con.execute(
                f"COPY (SELECT {exprs} FROM ({rows}) ORDER BY {order}) TO {lit(str(folder / (name + '.csv')))} "
                "(HEADER, DELIMITER ',')"
            )
            counts[name] = con.execute(f"SELECT count(*) FROM {q(name)}").fetchone()[0]
        if not made.write(con, folder, tz):
            (folder / made.FILE).unlink(missing_ok=True)  # from an earlier export into this folder
        settings_file.write(settings, folder)
        counts |= own_tables.write(con, folder)
    return counts
