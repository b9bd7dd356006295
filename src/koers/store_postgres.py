"""A workspace in a PostgreSQL database: `postgresql://USER@HOST:PORT/DB`.

The canonical tables live in PostgreSQL, where the KPIs run (Ibis's postgres
backend). Writing goes through the same DuckDB code path as every workspace
(store.py): the tables an import may change or reads are loaded into an
in-memory DuckDB, the import runs there, and what it changed is written
back in ONE PostgreSQL transaction,
so a failed or killed import leaves the database as it was, and readers
never see half an import. Only the rows the import changed are written
(by key), so readers are not kept waiting meanwhile; a table whose key
repeats is written whole. The derived tables an import makes
(kpis/derived.py) go back in that same transaction, so a KPI run never
reads them out of step with their rows. An import that finds the database
written by another since it read it writes nothing.

A password is never part of the stored URL: give it in PGPASSWORD or
~/.pgpass, as every PostgreSQL client does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from koers.model import TABLE_BY_NAME, TABLES
from koers.store import (
    META_DDL,
    META_KEYS,
    CopiedWorkspace,
    WorkspaceError,
    derived_names,
    ensure_schema,
    hash_sums,
    kept_derived,
    open_duckdb,
    table_ddl,
    table_sums,
    views,
)

# DuckDB's column types in PostgreSQL's words
PG_TYPES = {"VARCHAR": "text", "TIMESTAMP": "timestamp", "DATE": "date", "DOUBLE": "double precision",
            "BIGINT": "bigint"}
VERSION_DDL = "CREATE TABLE IF NOT EXISTS koers_version (version BIGINT NOT NULL)"


def _pg_type(duck: str) -> str:
    return PG_TYPES.get(duck.upper(), duck)


@lru_cache(maxsize=1)
def schema() -> dict[str, list[tuple[str, str]]]:
    """Every table Koers keeps, with its PostgreSQL column types, in load
    order: read off the DuckDB schema, so the two never differ."""
    con = open_duckdb()
    try:
        ensure_schema(con)
        names = [t.name for t in TABLES] + list(META_DDL)
        return {n: [(c, _pg_type(ty)) for c, ty in _duck_types(con, n)] for n in names}
    finally:
        con.close()


class PostgresWorkspace(CopiedWorkspace):
    kind = "postgres"
    keeps_derived = True

    def __init__(self, url: str):
        super().__init__(url)
        if urlsplit(url).password is not None:
            raise WorkspaceError("give the PostgreSQL password in PGPASSWORD or ~/.pgpass, not in the workspace URL")
        with self._pg() as pg, pg.cursor() as cur:
            for name, cols in schema().items():
                body = ", ".join(f'"{c}" {t}' for c, t in cols)
                cur.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({body})')
            cur.execute(VERSION_DDL)
            cur.execute("INSERT INTO koers_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM koers_version)")

    def _pg(self):
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=False)
        except psycopg.OperationalError as e:
            raise WorkspaceError(f"cannot reach the PostgreSQL workspace {self.url}: {str(e).strip()}") from None

    def _load(self) -> duckdb.DuckDBPyConnection:
        return self._load_with_version()[0]

    def _load_with_version(self, touches: Collection[str] | None = None,
                           reads: Collection[str] = ()) -> tuple[duckdb.DuckDBPyConnection, int]:
        """The workspace in an in-memory DuckDB, read in one snapshot, and
        the version of the workspace that snapshot is. With `touches` (see
        writer) only the tables a writer may change or `reads`, Koers's own,
        and the derived tables made from a table it may change; each other
        table is a view that fails when read, so a table missing from
        `reads` is an error, never an empty table."""
        from koers.kpis.derived import needed_for
        from koers.store import duckdb_config

        con = open_duckdb(config=duckdb_config())
        ensure_schema(con)
        with self._pg() as pg, pg.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET DateStyle = ISO")
            cur.execute("SELECT version FROM koers_version")
            version = cur.fetchone()[0]
            derived = _derived_in_database(cur)
            if set(derived) != set(derived_names()):
                touches = None  # the import makes them all, from every table
            needed = None if touches is None else set(touches) | set(reads) | set(META_DDL)
            for name, cols in schema().items():
                if needed is None or name in needed:
                    _copy_in(cur, con, name, [c for c, _ in cols])
                else:
                    _not_loaded(con, name)
            made = None if touches is None else needed_for(set(touches))
            for name, cols in derived.items():
                body = ", ".join(f'"{c}" {t}' for c, t in cols)
                con.execute(f'CREATE TABLE "{name}" ({body})')
                if made is None or name in made:
                    _copy_in(cur, con, name, [c for c, _ in cols])
                else:
                    _not_loaded(con, name)
        return con, version

    @contextmanager
    def writer(self, touches: Collection[str] | None = None,
               reads: Collection[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
        """`touches`: the canonical tables the writer may change, `reads`:
        those it reads besides (an import: the tables its rows refer to).
        Only these are loaded (a targets import leaves ten million
        activities in PostgreSQL); None loads every table."""
        from koers.kpis.derived import OLDER

        con, version = self._load_with_version(touches, reads)
        try:
            kept = kept_derived(con)
            keys = _keys(kept)
            unread = views(con)
            before = {}
            for name in [n for n in list(schema()) + kept if n not in unread]:
                if name in keys:  # its rows' hashes kept, and summed from there
                    _remember_rows(con, name, keys[name])
                    before[name] = hash_sums(con, f'SELECT _row FROM "_koers_was_{name}"')
                else:
                    before |= table_sums(con, [name])
            columns_before = {n: _duck_types(con, n) for n in before}
            yield con
            unread = views(con)  # left as they were in PostgreSQL
            derived = {n: [(c, _pg_type(t)) for c, t in _duck_types(con, n)] for n in kept_derived(con)
                       if n not in unread}
            tables = {n: cols for n, cols in (schema() | derived).items() if n not in unread}
            after = table_sums(con, list(tables))
            with self._pg() as pg, pg.cursor() as cur:
                # one transaction: readers see the old tables or the new ones
                cur.execute("SELECT version FROM koers_version FOR UPDATE")
                if cur.fetchone()[0] != version:
                    raise WorkspaceError("another import wrote the PostgreSQL workspace while this one ran: "
                                         "nothing of this one was written; run it again")
                for name in [*(before.keys() - after.keys()), *OLDER]:  # a derived table dropped, or outdated
                    cur.execute(f'DROP TABLE IF EXISTS "{name}"')
                for name, cols in tables.items():
                    if after[name] == before.get(name):
                        continue  # only the tables that changed are written
                    same_columns = _duck_types(con, name) == columns_before.get(name)
                    if not (same_columns and name in keys and _write_changes(cur, con, name, keys[name])):
                        _write_whole(cur, con, name, cols, new_table=name in derived and not same_columns)
                    # the planner's statistics now, not when autovacuum comes
                    # by: on the medium demo the first runs took 10 s, not 8.5
                    cur.execute(f'ANALYZE "{name}"')
                cur.execute("UPDATE koers_version SET version = version + 1")
                pg.commit()
        finally:
            con.close()

    @contextmanager
    def reader_table_by_table(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[str], None]]]:
        from koers.store import duckdb_config

        con = open_duckdb(config=duckdb_config())
        try:
            ensure_schema(con)
            with self._pg() as pg, pg.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot for every table
                cur.execute("SET DateStyle = ISO")
                for name in META_DDL:
                    _copy_in(cur, con, name, [c for c, _ in schema()[name]])
                for t in TABLES:  # each a view that fails when read until it is taken
                    _not_loaded(con, t.name)
                held: list[str] = []

                def take(name: str) -> None:
                    for was in held:  # dropped, which frees its memory (a DELETE would not)
                        _not_loaded(con, was)
                    held[:] = [name]
                    con.execute(f'DROP VIEW "{name}"')
                    con.execute(table_ddl(TABLE_BY_NAME[name]))
                    _copy_in(cur, con, name, [c for c, _ in schema()[name]])

                yield con, take
        finally:
            con.close()

    def meta(self, name: str):
        import pandas as pd

        if name not in META_DDL:
            raise ValueError(f"not a Koers table: {name}")
        with self._pg() as pg, pg.cursor() as cur:
            cur.execute(f'SELECT * FROM "{name}"')
            return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])

    def count(self, table: str) -> int:
        with self._pg() as pg, pg.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{table}"')
            return cur.fetchone()[0]

    def rejects_dir(self) -> Path:
        """Rejected rows are files, kept beside where Koers runs, per database."""
        return Path.cwd() / "koers-rejects" / urlsplit(self.url).path.strip("/")

    def fingerprint(self) -> str:
        with self._pg() as pg, pg.cursor() as cur:
            cur.execute("SELECT version FROM koers_version")
            return f"{self.url}#{cur.fetchone()[0]}"


def _keys(derived: list[str]) -> dict[str, tuple[str, ...]]:
    """What identifies a row of each table that has a key: the canonical
    tables (model.py), Koers's own (META_KEYS) and the derived tables kept."""
    keys = {t.name: t.key for t in TABLES} | META_KEYS
    if derived:
        from koers.kpis.derived import KEYS

        keys |= {name: KEYS[name] for name in derived}
    return keys


def _remember_rows(con, name: str, key: tuple[str, ...]) -> None:
    """Each row's key and a hash of the whole row, as loaded: what the
    import changed is then told from what it left alone."""
    cols = ", ".join(f'"{k}"' for k in key)
    con.execute(f'CREATE TEMP TABLE "_koers_was_{name}" AS SELECT {cols}, hash(t) AS _row FROM "{name}" t')


def _write_changes(cur, con, name: str, key: tuple[str, ...]) -> bool:
    """Delete in PostgreSQL the rows the import changed or removed (by key)
    and add the rows it changed or made, and nothing else: on a large
    workspace an import of a few changed rows then writes a few rows, not
    the table. False, with nothing written, when a key is not unique (then
    the rows of a key cannot be told apart, and the table is written whole).

    A row counts as unchanged when its key and its 64-bit hash are the same
    as before: a change that kept the hash, one in 2^64, would be missed."""
    was, now = f'"_koers_was_{name}"', f'"_koers_now_{name}"'
    keys = ", ".join(_quoted(key))
    # each row's key and hash now, computed once for both sides below
    con.execute(f'CREATE OR REPLACE TEMP TABLE {now} AS SELECT rowid AS _rid, {keys}, hash(t) AS _row FROM "{name}" t')
    for table in (was, now):
        if con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1)").fetchone()[0]:
            return False
    same = " AND ".join(f'a."{k}" IS NOT DISTINCT FROM b."{k}"' for k in key) + " AND a._row = b._row"
    types = dict(_duck_types(con, name))
    gone = f"SELECT {', '.join(f'b.{q}' for q in _quoted(key))} FROM {was} b ANTI JOIN {now} a ON {same}"
    new = (f"SELECT {', '.join(_quoted(types))} FROM \"{name}\" WHERE rowid IN "
           f"(SELECT a._rid FROM {now} a ANTI JOIN {was} b ON {same})")
    body = ", ".join(f'"{k}" {_pg_type(types[k])}' for k in key)
    cur.execute(f'CREATE TEMP TABLE "_koers_gone" ({body})')
    gone_rows = _copy_out(cur, con, gone, '"_koers_gone"', keys)
    if gone_rows:
        # null-safe, yet an equality PostgreSQL can hash on
        match = " AND ".join(f'coalesce(t."{k}"::text, \'\') = coalesce(g."{k}"::text, \'\') '
                             f'AND (t."{k}" IS NULL) = (g."{k}" IS NULL)' for k in key)
        cur.execute(f'DELETE FROM "{name}" t USING "_koers_gone" g WHERE {match}')
        if cur.rowcount != gone_rows:  # PostgreSQL held other rows than were loaded
            raise WorkspaceError(f"the table {name} in the PostgreSQL workspace differs from what was read: "
                                 "nothing of this import was written; run it again")
    cur.execute('DROP TABLE "_koers_gone"')
    _copy_out(cur, con, new, f'"{name}"', ", ".join(_quoted(types)))
    return True


def _quoted(names) -> list[str]:
    return [f'"{n}"' for n in names]


def _write_whole(cur, con, name: str, cols: list[tuple[str, str]], new_table: bool) -> None:
    """Replace a table's rows in PostgreSQL; `new_table`: made again, its
    columns as the DuckDB table has them now (a derived table whose
    expression changed)."""
    if new_table:
        body = ", ".join(f'"{c}" {t}' for c, t in cols)
        cur.execute(f'DROP TABLE IF EXISTS "{name}"')
        cur.execute(f'CREATE TABLE "{name}" ({body})')
    else:
        cur.execute(f'TRUNCATE "{name}"')
    names = ", ".join(f'"{c}"' for c, _ in cols)
    _copy_out(cur, con, f'SELECT {names} FROM "{name}"', f'"{name}"', names)


def _copy_out(cur, con, query: str, table: str, names: str) -> int:
    """The rows of a DuckDB query into a PostgreSQL table; how many."""
    path = _temp_csv()
    try:
        # NULL an empty unquoted field, every value quoted (an empty text stays one)
        rows = con.execute(
            f"COPY ({query}) TO '{path}' (FORMAT csv, HEADER false, FORCE_QUOTE *, NULLSTR '')").fetchone()[0]
        with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy, open(path, "rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        return rows
    finally:
        Path(path).unlink()


def _derived_in_database(cur) -> dict[str, list[tuple[str, str]]]:
    """The derived tables the database holds, with their column types as
    PostgreSQL's catalogue spells them ('timestamp without time zone',
    'double precision'): DuckDB reads these spellings as its own types."""
    cur.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = ANY(%s) AND c.relkind = 'r' "
        "AND pg_table_is_visible(c.oid) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        [list(derived_names())],
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for name, column, pg_type in cur.fetchall():
        tables.setdefault(name, []).append((column, pg_type))
    return tables


def _copy_in(cur, con, name: str, columns: list[str]) -> None:
    """One PostgreSQL table into the same-named DuckDB table, typed."""
    names = ", ".join(f'"{c}"' for c in columns)
    # streamed to a file as it comes, for DuckDB to read typed
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        with cur.copy(f'COPY (SELECT {names} FROM "{name}") TO STDOUT (FORMAT csv)') as copy:
            for block in copy:
                f.write(block)
    path = Path(f.name)
    try:
        if path.stat().st_size:  # an empty table writes nothing
            types = dict(_duck_types(con, name))
            con.execute(
                f"INSERT INTO \"{name}\" SELECT * FROM read_csv('{path}', header=false, quote='\"', "
                f"escape='\"', nullstr='', allow_quoted_nulls=false, columns={types!r})"
            )
    finally:
        path.unlink()


def _not_loaded(con, name: str) -> None:
    """The table `name` as a view of its columns that fails when read."""
    cols = ", ".join(f'NULL::{t} AS "{c}"' for c, t in _duck_types(con, name))
    con.execute(f'DROP TABLE "{name}"')
    message = (f"the table {name} was not loaded from PostgreSQL here: a writer loads the tables it touches or "
               "reads, a table-by-table reader the one it takes")
    con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM (SELECT {cols}) WHERE error(\'{message}\') IS NULL')


def _duck_types(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def _temp_csv() -> str:
    """A file for DuckDB to write a table into, on its way to PostgreSQL."""
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        return f.name
