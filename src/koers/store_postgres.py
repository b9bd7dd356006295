"""A workspace in a PostgreSQL database: `postgresql://USER@HOST:PORT/DB`.

The canonical tables live in PostgreSQL, where the KPIs run (Ibis's postgres
backend). Writing goes through the same DuckDB code path as every workspace
(store.py): the tables are loaded into an in-memory DuckDB, the import runs
there, and the tables it changed are written back in ONE PostgreSQL
transaction (TRUNCATE and COPY per table), so a failed or killed import
leaves the database as it was, and readers never see half an import. The
derived tables an import makes (kpis/derived.py) go back in that same
transaction, so a KPI run never reads them out of step with their rows.

A password is never part of the stored URL: give it in PGPASSWORD or
~/.pgpass, as every PostgreSQL client does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from koers.model import TABLES
from koers.store import (
    META_DDL, CopiedWorkspace, WorkspaceError, derived_names, ensure_schema, kept_derived, open_duckdb, table_sums,
)

# DuckDB's column types in PostgreSQL's words
PG_TYPES = {"VARCHAR": "text", "TIMESTAMP": "timestamp", "DATE": "date", "DOUBLE": "double precision",
            "BIGINT": "bigint"}
# and back, as PostgreSQL's catalogue spells them (format_type)
DUCK_TYPES = {"text": "VARCHAR", "timestamp without time zone": "TIMESTAMP", "date": "DATE",
              "double precision": "DOUBLE", "bigint": "BIGINT"}
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
        """The whole workspace in an in-memory DuckDB, read in one snapshot."""
        from koers.store import duckdb_config

        con = open_duckdb(config=duckdb_config())
        ensure_schema(con)
        with self._pg() as pg, pg.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET DateStyle = ISO")
            for name, cols in schema().items():
                _copy_in(cur, con, name, [c for c, _ in cols])
            for name, cols in _derived_in_database(cur).items():
                body = ", ".join(f'"{c}" {t}' for c, t in cols)
                con.execute(f'CREATE TABLE "{name}" ({body})')
                _copy_in(cur, con, name, [c for c, _ in cols])
        return con

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._load()
        try:
            before = table_sums(con, list(schema()) + kept_derived(con))
            yield con
            derived = {n: [(c, _pg_type(t)) for c, t in _duck_types(con, n)] for n in kept_derived(con)}
            tables = schema() | derived
            after = table_sums(con, list(tables))
            with self._pg() as pg, pg.cursor() as cur:
                # one transaction: readers see the old tables or the new ones;
                # only the tables that changed are written again
                for name in before.keys() - after.keys():  # a derived table dropped
                    cur.execute(f'DROP TABLE IF EXISTS "{name}"')
                for name, cols in tables.items():
                    if after[name] == before.get(name):
                        continue
                    names = ", ".join(f'"{c}"' for c, _ in cols)
                    if name in derived:  # made again whole, its columns as the expressions now give them
                        body = ", ".join(f'"{c}" {t}' for c, t in cols)
                        cur.execute(f'DROP TABLE IF EXISTS "{name}"')
                        cur.execute(f'CREATE TABLE "{name}" ({body})')
                    else:
                        cur.execute(f'TRUNCATE "{name}"')
                    path = _temp_csv()
                    try:
                        # NULL an empty unquoted field, every value quoted (an empty text stays one)
                        con.execute(f"COPY (SELECT {names} FROM \"{name}\") TO '{path}' "
                                    "(FORMAT csv, HEADER false, FORCE_QUOTE *, NULLSTR '')")
                        with cur.copy(f'COPY "{name}" ({names}) FROM STDIN (FORMAT csv)') as copy, \
                                open(path, "rb") as f:
                            while block := f.read(1 << 20):
                                copy.write(block)
                    finally:
                        Path(path).unlink()
                    # the planner's statistics now, not when autovacuum comes
                    # by: on the medium demo the first runs took 10 s, not 8.5
                    cur.execute(f'ANALYZE "{name}"')
                cur.execute("UPDATE koers_version SET version = version + 1")
                pg.commit()
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


def _derived_in_database(cur) -> dict[str, list[tuple[str, str]]]:
    """The derived tables the database holds, with their DuckDB column types."""
    cur.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = ANY(%s) AND c.relkind = 'r' "
        "AND pg_table_is_visible(c.oid) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        [list(derived_names())],
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for name, column, pg_type in cur.fetchall():
        tables.setdefault(name, []).append((column, DUCK_TYPES.get(pg_type, pg_type.upper())))
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


def _duck_types(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def _temp_csv() -> str:
    """A file for DuckDB to write a table into, on its way to PostgreSQL."""
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        return f.name
