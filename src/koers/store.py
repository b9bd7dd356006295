"""Open or create a workspace, the one writer of canonical tables.

Every workspace is written through a DuckDB connection that holds the
canonical tables (the file itself for a DuckDB workspace; an in-memory copy
loaded from, and written back to, Parquet for a Spark workspace), so import
validation and writing are one code path whatever the workspace kind.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import math
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from koers.model import SQL_TYPES, TABLES, ColType, Table
from koers.settings import Settings

DEFAULT_WORKSPACE = "koers.duckdb"


def duckdb_config() -> dict[str, str]:
    """DuckDB spills to disk past this, so a large import or catalogue run
    stays within a laptop's memory (KOERS_DUCKDB_MEMORY_LIMIT, default 1.5GB)."""
    return {"memory_limit": os.environ.get("KOERS_DUCKDB_MEMORY_LIMIT", "1.5GB")}


def open_duckdb(path: str = ":memory:", config: dict[str, str] | None = None,
                read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, quiet: DuckDB's own progress bar prints to
    standard output, into the CSV or JSON a command writes there, on any
    query longer than two seconds (Koers draws its own on standard error).
    An in-memory database (a Spark or PostgreSQL workspace loaded to be
    written) keeps to the memory limit too, spilling into a folder of the
    system's temporary files, not `.tmp` in the user's working folder."""
    if path == ":memory:":
        config = {**duckdb_config(), "temp_directory": str(Path(tempfile.gettempdir()) /
                                                           f"koers-spill-{os.getpid()}-{uuid.uuid4().hex[:8]}"),
                  **(config or {})}
    con = waiting_for_lock(path, lambda: duckdb.connect(path, read_only=read_only, config=config or {}),
                           (lambda: duckdb.connect(path, config=config or {})) if read_only else None,
                           writing=not read_only and path != ":memory:")
    quiet(con)
    return con


def waiting_for_lock(path: str, connect, as_open=None, writing: bool = False):
    """connect(), once another program lets go of the file: DuckDB lets one
    program write a file, or several read it. A KPI run or an import waits
    for another's to end (KOERS_LOCK_WAIT seconds, default 60), then says so.
    `as_open`: the read-write connect() for a read-only one, should this
    program hold the file open for writing already (DuckDB refuses two ways
    of opening one file in one program: a test, or a script that embeds
    Koers). A writer in a program that reads the file waits for its readers.
    `writing`: while it waits, the writer says so beside the file
    (writers_waiting), so that a web server lets the file go at once."""
    deadline, pause, waiting = None, 0.05, None
    try:
        while True:
            connected = _try_connect(path, connect, as_open)
            if not isinstance(connected, str):
                return connected
            if deadline is None:  # read once, and only when a lock is met
                patience = lock_wait()
                deadline = time.monotonic() + patience
                waiting = _say_waiting(path) if writing else None
            if time.monotonic() >= deadline:
                raise WorkspaceError(f"the workspace {path} is {connected} and stayed so for {patience:g} s; "
                                     "try again when it is done") from None
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
    finally:
        if waiting is not None:
            note, held = waiting
            with contextlib.suppress(OSError):
                note.unlink()
            held.close()


def _notes(path: str) -> tuple[Path, str]:
    """The folder and name pattern of the notes of writers waiting for the
    file, by its real path: a server and a writer may name it differently."""
    real = Path(os.path.realpath(path))
    return real.parent, glob.escape(real.name) + ".waiting-*"


def _say_waiting(path: str):
    """A note beside the file, locked while this writer waits: a note whose
    lock nobody holds is one a killed writer left (a PID may be taken again
    by another program, so it tells nothing). None where the folder may not
    be written: the writer then waits unannounced."""
    folder, _ = _notes(path)
    name = f"{Path(os.path.realpath(path)).name}.waiting-{os.getpid()}-{threading.get_ident()}"
    try:
        # locked under another name first, so no reader finds it unlocked and takes it for a killed writer's
        held = open(folder / f".{name}", "wb")
        fcntl.flock(held, fcntl.LOCK_EX)
        os.replace(folder / f".{name}", folder / name)
    except OSError:
        return None
    return folder / name, held


def _try_connect(path: str, connect, as_open):
    """A connection, or why there is none yet (the file is held)."""
    try:
        return connect()
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        held = str(e).split("Conflicting lock is held in", 1)
        holder = held[1].split(". See also", 1)[0].strip() if len(held) == 2 else ""
        return f"in use by another program{f' ({holder})' if holder else ''}"
    except duckdb.ConnectionException as e:
        if "different configuration" not in str(e):
            raise
        if as_open is not None:
            return as_open()
        # This program reads the file and now wants to write it (a web
        # server's settings form): its readers end within moments.
        return "open read-only in this program (which now wants to write it)"


def writers_waiting(path: str) -> set[str]:
    """The notes of the writers waiting for the file (waiting_for_lock): a
    server reading it lets it go then, and for a while opens it again only
    once the writer is in. A note whose writer is gone is removed, where
    this program may."""
    folder, pattern = _notes(path)
    found = set()
    # a hidden note is one being made (_say_waiting): not yet said, and removed only once nobody holds it
    for note in [*folder.glob(pattern), *folder.glob("." + pattern)]:
        try:
            with open(note, "rb") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not note.name.startswith("."):
                        found.add(note.name)  # its writer holds it: waiting
                    continue
            note.unlink()
        except OSError:  # gone meanwhile, or not ours to read or remove
            continue
    return found


def lock_wait() -> float:
    """KOERS_LOCK_WAIT: how many seconds a program waits for a file another holds (default 60)."""
    text = os.environ.get("KOERS_LOCK_WAIT", "60")
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise WorkspaceError(f"KOERS_LOCK_WAIT is a number of seconds, not '{text}'")
    return seconds


def quiet(con) -> None:
    """Turn DuckDB's progress bar off for a connection (a session setting)."""
    con.execute("SET enable_progress_bar = false")


META_DDL = {
    "koers_settings": "key VARCHAR PRIMARY KEY, value VARCHAR",
    # alert rules (koers.alerts), each as its JSON
    "koers_alert_rules": "name VARCHAR PRIMARY KEY, rule VARCHAR",
    # each alert mailed, so a scheduled `koers alerts send` tells a figure once per period (koers.alert_mail)
    "koers_alert_mail": ("rule VARCHAR, definition VARCHAR, period VARCHAR, figure VARCHAR, recipient VARCHAR, "
                         "sent_at TIMESTAMP"),
    "koers_imports": (
        "import_id VARCHAR, imported_at TIMESTAMP, source VARCHAR, rows_read BIGINT, "
        "rows_written BIGINT, rows_rejected BIGINT, rejects_path VARCHAR"
    ),
    "koers_snapshots": (
        "import_id VARCHAR, taken_at TIMESTAMP, opportunity_id VARCHAR, stage VARCHAR, amount DOUBLE, "
        "currency VARCHAR, probability DOUBLE, expected_close_on DATE, forecast_category VARCHAR"
    ),
    # stage_history rows Koers made for opportunities that came without any,
    # so a later import that brings real history can replace them
    "koers_generated_history": "opportunity_id VARCHAR, stage VARCHAR, entered_at TIMESTAMP",
    # live syncs: how far each source model was read (its own change marker,
    # e.g. Odoo's write_date), and one row per run and table
    "koers_sync_state": "source VARCHAR, model VARCHAR, marker VARCHAR, PRIMARY KEY (source, model)",
    "koers_sync_log": (
        "run_id VARCHAR, source VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, tbl VARCHAR, "
        "rows_read BIGINT, rows_written BIGINT, rows_rejected BIGINT, import_id VARCHAR, status VARCHAR, "
        "message VARCHAR"
    ),
}

# what identifies a row of each, where something does (a workspace written
# elsewhere writes back only the rows an import changed)
META_KEYS = {
    "koers_settings": ("key",),
    "koers_alert_rules": ("name",),
    "koers_alert_mail": ("rule", "definition", "period", "figure", "recipient"),
    "koers_imports": ("import_id",),
    "koers_snapshots": ("import_id", "opportunity_id"),
    "koers_generated_history": ("opportunity_id", "stage", "entered_at"),
    "koers_sync_state": ("source", "model"),
}


class WorkspaceError(Exception):
    pass


# The tables a row of which other rows name by id: many rows, so a column
# naming one of their rows holds nearly as many values as it has rows.
_MANY_ROWS = {"leads", "opportunities", "customers", "activities", "orders", "contracts"}
# free text, where DuckDB's own choice of compression stands
_FREE_TEXT = {"name", "email"}


def compression(table: Table) -> dict[str, str]:
    """How DuckDB compresses each text column of `table`, told instead of
    found: left to itself, DuckDB tries every method on every column as it
    writes, which on the large demo's import cost 2 to 4 s of its 34 for a
    file of the same size. Ids of rows in a large table, the table's own and
    those it names, are FSST strings; values from a short list (allowed
    values, currencies, reps, stages, and dimensions such as region or
    source) a dictionary."""
    hints = {}
    for c in table.columns:
        if c.type not in (ColType.TEXT, ColType.CURRENCY, ColType.PERIOD) or c.name in _FREE_TEXT:
            continue
        own_id = table.unique and table.key == (c.name,)
        hints[c.name] = "fsst" if own_id or c.ref in _MANY_ROWS else "dictionary"
    return hints


def column_sql(name: str, sql_type: str, compress: str | None = None) -> str:
    return f'"{name}" {sql_type}' + (f" USING COMPRESSION {compress}" if compress else "")


def columns_ddl(table: Table) -> list[str]:
    """Each column of `table` as a CREATE TABLE names it: type and compression."""
    hints = compression(table)
    return [column_sql(c.name, SQL_TYPES[c.type], hints.get(c.name)) for c in table.columns]


def table_ddl(table: Table) -> str:
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({", ".join(columns_ddl(table))})'


def create_table_as(con, name: str, select: str, compress: dict[str, str]) -> None:
    """CREATE OR REPLACE TABLE name AS select, with the columns `compress`
    names compressed as it says (see compression)."""
    cols = con.execute(f"DESCRIBE {select}").fetchall()
    body = ", ".join(column_sql(c, sql_type, compress.get(c)) for c, sql_type, *_ in cols)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" ({body})')
    con.execute(f'INSERT INTO "{name}" {select}')


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for t in TABLES:
        con.execute(table_ddl(t))
    for name, cols in META_DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    _upgrade_generated_history(con)


def _upgrade_generated_history(con: duckdb.DuckDBPyConnection) -> None:
    """Workspaces from before the generated rows were kept whole (only their
    opportunity_id): add the stage and entered_at of each, which is the
    opportunity's row at its created_at."""
    cols = {r[0] for r in con.execute("DESCRIBE koers_generated_history").fetchall()}
    if "stage" in cols:
        return
    con.execute("ALTER TABLE koers_generated_history ADD COLUMN stage VARCHAR")
    con.execute("ALTER TABLE koers_generated_history ADD COLUMN entered_at TIMESTAMP")
    con.execute(
        "UPDATE koers_generated_history g SET stage = h.stage, entered_at = h.entered_at "
        "FROM stage_history h, opportunities o WHERE h.opportunity_id = g.opportunity_id "
        "AND o.opportunity_id = g.opportunity_id AND h.entered_at = o.created_at"
    )


def table_sums(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, tuple]:
    """A checksum of each table's rows (count and two sums of row hashes), so
    a writer that copies the workspace back writes only the tables that changed."""
    return {n: hash_sums(con, f'SELECT hash(t) AS _row FROM "{n}" t') for n in names}


def hash_sums(con: duckdb.DuckDBPyConnection, rows: str) -> tuple:
    """The checksum table_sums keeps, of the row hashes (`_row`) a query gives."""
    return con.execute(f"SELECT count(*), bit_xor(_row), sum(_row::HUGEINT) FROM ({rows})").fetchone()


class Workspace:
    """A workspace named by its URL: a DuckDB file path or `spark:DIR`."""

    kind: str
    # whether an import keeps the derived tables (kpis/derived.py) in it
    keeps_derived = False

    def __init__(self, url: str):
        self.url = url

    @staticmethod
    def open(url: str | None = None, read_only: bool = False) -> Workspace:
        """`read_only`: for a command that only reads (a KPI run, an export),
        so that several read a DuckDB file at once."""
        url = url or os.environ.get("KOERS_WORKSPACE") or DEFAULT_WORKSPACE
        if url.startswith("spark:"):
            return SparkWorkspace(url)
        if url.startswith(("postgresql://", "postgres://")):
            from koers.store_postgres import PostgresWorkspace

            return PostgresWorkspace(url)
        return DuckDBWorkspace(url, read_only=read_only)

    # -- writing -----------------------------------------------------------
    @contextmanager
    def writer(self, touches: Collection[str] | None = None,
               reads: Collection[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction. `touches`: the canonical tables the writer may
        change (None: any); the rest it only reads (Koers's own tables and
        the derived ones it may write whatever it names). `reads`: the
        canonical tables it reads besides, where that matters (PostgreSQL)."""
        raise NotImplementedError

    # -- reading -----------------------------------------------------------
    def settings(self) -> Settings:
        with self.meta_reader("koers_settings") as con:
            rows = con.execute("SELECT key, value FROM koers_settings").fetchall()
        return Settings.from_strings(dict(rows))

    def set_settings(self, **values: object) -> Settings:
        new = replace(self.settings(), **values)
        with self.writer(touches=()) as con:
            con.execute("DELETE FROM koers_settings")
            con.executemany("INSERT INTO koers_settings VALUES (?, ?)", list(new.as_strings().items()))
        return new

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        raise NotImplementedError

    @contextmanager
    def meta_reader(self, *names: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection holding Koers's own tables `names` (META_DDL), for
        SQL over them: a DuckDB workspace's own file; else those tables
        alone, not the whole workspace a reader loads."""
        with self.reader() as con:
            yield con

    @contextmanager
    def reader_table_by_table(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[str], None]]]:
        """A reader, and `take(name)` to call before reading the canonical
        table `name`: a workspace that loads its tables to read them (a
        PostgreSQL one) then holds one at a time, with Koers's own, all of
        one snapshot. An export of ten million activities needs no more."""
        with self.reader() as con:
            yield con, lambda name: None

    def rejects_dir(self) -> Path:
        raise NotImplementedError

    def writers_waiting(self) -> set[str]:
        """The writers waiting for a reader to let the workspace go (store.writers_waiting)."""
        return set()

    def fingerprint(self) -> str:
        """Changes whenever the stored data or settings change; cheap enough
        to ask before every cached answer (file metadata, no connection)."""
        raise NotImplementedError

    def meta(self, name: str) -> pd.DataFrame:
        """One of Koers's own tables (META_DDL), read without loading the rest."""
        if name not in META_DDL:
            raise ValueError(f"not a Koers table: {name}")
        with self.reader() as con:
            return con.execute(f'SELECT * FROM "{name}"').df()

    def count(self, table: str) -> int:
        with self.reader() as con:
            return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def counts(self) -> dict[str, int]:
        with self.reader() as con:
            return {t.name: con.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in TABLES}


def _is_duckdb_file(path: Path) -> bool:
    """Whether `path` is absent (DuckDB makes its database there) or begins
    as a DuckDB file does ("DUCK" after the header's checksum), so a CSV
    given for the workspace is named as such, not by DuckDB's own error."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except FileNotFoundError:
        return True
    return head[8:12] == b"DUCK"


class DuckDBWorkspace(Workspace):
    kind = "duckdb"
    keeps_derived = True

    def __init__(self, url: str, read_only: bool = False):
        super().__init__(url)
        self.path = Path(url)
        self.read_only = read_only
        if self.path.parent and not self.path.parent.exists():
            raise WorkspaceError(f"the folder of workspace '{url}' does not exist")
        if self.path.is_dir():
            raise WorkspaceError(f"workspace '{url}' is a folder; name a file in it, such as "
                                 f"'{self.path / DEFAULT_WORKSPACE}'")
        if not _is_duckdb_file(self.path):
            what = "is empty" if self.path.stat().st_size == 0 else "is something else"
            raise WorkspaceError(f"'{url}' is not a Koers workspace: a workspace is a DuckDB file, and this file {what}")
        if read_only and self.path.exists() and self._schema_is_current():
            return
        con = open_duckdb(str(self.path), duckdb_config())
        try:
            ensure_schema(con)
        finally:
            con.close()

    def _schema_is_current(self) -> bool:
        """Whether a reader finds every table as ensure_schema makes it, so it
        need not open the file for writing (which would keep out other readers)."""
        con = self.connect()
        try:
            tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if not {t.name for t in TABLES} | set(META_DDL) <= tables:
                return False
            return "stage" in {r[0] for r in con.execute("DESCRIBE koers_generated_history").fetchall()}
        finally:
            con.close()

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection to the file: read-only for a workspace opened to read,
        so that any number of KPI runs and exports read it at once."""
        return open_duckdb(str(self.path), duckdb_config(), read_only=self.read_only)

    @contextmanager
    def writer(self, touches: Collection[str] | None = None,
               reads: Collection[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise WorkspaceError(f"the workspace {self.url} was opened to be read, not written")
        con = open_duckdb(str(self.path), duckdb_config())
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.connect()
        try:
            yield con
        finally:
            con.close()

    def rejects_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".rejects")

    def writers_waiting(self) -> set[str]:
        return writers_waiting(str(self.path))

    def fingerprint(self) -> str:
        return _files_fingerprint([self.path, self.path.with_name(self.path.name + ".wal")])


class CopiedWorkspace(Workspace):
    """A workspace whose tables live elsewhere (Parquet files, a PostgreSQL
    database) and are loaded into an in-memory DuckDB to be read or written."""

    def _load(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def count(self, table: str) -> int:
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        return {t.name: self.count(t.name) for t in TABLES}

    @contextmanager
    def meta_reader(self, *names: str) -> Iterator[duckdb.DuckDBPyConnection]:
        con = open_duckdb()
        try:
            ensure_schema(con)
            for name in names:
                rows = self.meta(name)
                if len(rows):
                    con.register("_meta_rows", rows)
                    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _meta_rows')
                    con.unregister("_meta_rows")
            yield con
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._load()
        try:
            yield con
        finally:
            con.close()


class SparkWorkspace(CopiedWorkspace):
    """Canonical tables as Parquet files, one per table, and the derived
    tables beside them once an import has made them, in a version folder
    under DIR that DIR/CURRENT names.

    An import writes a new version folder (the tables it changed written,
    the others linked) and then names it in CURRENT, one atomic rename: a
    crash before leaves the old version whole, and a reader never sees some
    tables of an import without the others. The version before stays for
    readers still on it; older ones are removed. A folder from before the
    versions holds its files in DIR itself, read as they are until its next
    import."""

    kind = "spark"
    keeps_derived = True
    POINTER = "CURRENT"

    def __init__(self, url: str):
        super().__init__(url)
        self.dir = Path(url[len("spark:"):])
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.parquet("koers_settings").exists():
            with self.writer():
                pass

    def version_dir(self) -> Path:
        """The folder of the current version: ask once per read, and read
        every table from it."""
        try:
            name = (self.dir / self.POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.dir
        if not (self.dir / name).is_dir():  # never read as empty, nor written over
            raise WorkspaceError(f"the Spark workspace {self.dir} names the version {name} in "
                                 f"{self.POINTER}, and that folder is missing")
        return self.dir / name

    def parquet(self, table: str, at: Path | None = None) -> Path:
        return (at or self.version_dir()) / f"{table}.parquet"

    def meta(self, name: str) -> pd.DataFrame:
        if name not in META_DDL:
            raise ValueError(f"not a Koers table: {name}")
        con = open_duckdb()
        try:
            ensure_schema(con)
            path = self.parquet(name)
            table = f"read_parquet('{path}')" if path.exists() else f'"{name}"'
            return con.execute(f"SELECT * FROM {table}").df()
        finally:
            con.close()

    def count(self, table: str, at: Path | None = None) -> int:
        path = self.parquet(table, at)
        if not path.exists():
            return 0
        con = open_duckdb()
        try:
            return con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        finally:
            con.close()

    def counts(self) -> dict[str, int]:
        at = self.version_dir()  # every count of one version, as a reader reads
        return {t.name: self.count(t.name, at) for t in TABLES}

    def _load(self, at: Path | None = None, names: list[str] | None = None) -> duckdb.DuckDBPyConnection:
        """A connection holding the tables `names` (default: every one, the
        derived too) of version `at` in memory."""
        at = at or self.version_dir()
        con = open_duckdb()
        ensure_schema(con)
        for name in names if names is not None else [t.name for t in TABLES] + list(META_DDL):
            path = self.parquet(name, at)
            if path.exists():
                con.execute(f"INSERT INTO \"{name}\" SELECT * FROM read_parquet('{path}')")
        for name in derived_names() if names is None else ():
            path = self.parquet(name, at)
            if path.exists():
                con.execute(f"CREATE TABLE \"{name}\" AS SELECT * FROM read_parquet('{path}')")
        return con

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The tables as views over their Parquet files, read where they lie:
        an export of ten million activities holds none of them in memory.
        The files are linked into a folder of this reader's own first, so two
        imports that land meanwhile (and remove this version) take none away."""
        at = self.version_dir()
        con = open_duckdb()
        own = Path(tempfile.mkdtemp(prefix=".reading-", dir=self.dir))
        try:
            ensure_schema(con)  # a table without a file reads as its empty table
            self._view_rest(con, at, own, [t.name for t in TABLES] + list(META_DDL) + list(derived_names()))
            yield con
        finally:
            con.close()
            shutil.rmtree(own, ignore_errors=True)

    @contextmanager
    def writer(self, touches: Collection[str] | None = None,
               reads: Collection[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
        """The tables it `touches` and Koers's own are loaded into memory;
        the others (a targets import leaves ten million activities alone)
        are views over their files, which the new version links again, and
        so are the derived tables until they are made anew."""
        at = self.version_dir()
        if touches is None:  # every table loaded, the derived too
            con, loaded = self._load(at), None
        else:
            loaded = [t.name for t in TABLES if t.name in touches] + list(META_DDL)
            con = self._load(at, loaded)
        own = None if loaded is None else Path(tempfile.mkdtemp(prefix=".reading-", dir=self.dir))
        try:
            if own is None:
                loaded = [t.name for t in TABLES] + list(META_DDL) + kept_derived(con)
            else:
                self._view_rest(con, at, own, [t.name for t in TABLES if t.name not in loaded] + list(derived_names()))
            before = table_sums(con, loaded)
            yield con
            names = [t.name for t in TABLES] + list(META_DDL) + kept_derived(con)
            left = views(con)
            after = table_sums(con, [n for n in names if n not in left])
            version = f"v-{now_utc():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
            staging = self.dir / f".writing-{version}"
            staging.mkdir()
            try:
                for name in names:
                    old, new = self.parquet(name, at), self.parquet(name, staging)
                    if old.exists() and (name in left or after[name] == before.get(name)):
                        _link_or_copy(old, new)
                    elif name not in left:
                        con.execute(f"COPY \"{name}\" TO '{new}' (FORMAT parquet)")
                self._switch(at, staging, version)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # gone once switched
        finally:
            con.close()
            if own is not None:
                shutil.rmtree(own, ignore_errors=True)

    def _view_rest(self, con, at: Path, own: Path, names: list[str]) -> None:
        """Each of `names` a view over its file of version `at`, linked into
        this connection's own folder first (see reader)."""
        for name in names:
            path = self.parquet(name, at)
            if path.exists():
                _link_or_copy(path, own / path.name)
                con.execute(f'DROP TABLE IF EXISTS "{name}"')
                con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{own / path.name}')")

    def _switch(self, was: Path, staging: Path, version: str) -> None:
        """Make the files in `staging` the version `version` and name it in
        CURRENT, unless another writer switched since this one read `was`;
        then remove the versions before `was`. Under a lock, so no writer
        removes a version another is naming."""
        with open(self.dir / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.version_dir() != was:
                raise WorkspaceError(f"another import wrote the Spark workspace {self.dir} while this one ran: "
                                     "nothing of this one was written; run it again")
            os.replace(staging, self.dir / version)
            pointer = self.dir / f".{self.POINTER}-{version}"
            pointer.write_text(version, encoding="utf-8")
            os.replace(pointer, self.dir / self.POINTER)
            self._remove_old(keep={version, was.name}, flat_files=was != self.dir)

    def _remove_old(self, keep: set[str], flat_files: bool) -> None:
        """Versions older than the one before; what writers and readers killed outright
        left, after a day (another may be writing now); and the files of a
        folder from before the versions, once two versions old."""
        for old in self.dir.glob("v-*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        day_ago = time.time() - 86400
        for old in [*self.dir.glob(".writing-*"), *self.dir.glob(".reading-*"), *self.dir.glob(f".{self.POINTER}-*")]:
            if old.stat().st_mtime >= day_ago:
                continue
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        if flat_files:
            for old in self.dir.glob("*.parquet"):
                old.unlink(missing_ok=True)

    def rejects_dir(self) -> Path:
        return self.dir / "rejects"

    def fingerprint(self) -> str:
        at = self.version_dir()
        return at.name + "|" + _files_fingerprint(sorted(at.glob("*.parquet")))


def _link_or_copy(old: Path, new: Path) -> None:
    """A table an import did not change, in the new version: the same file."""
    try:
        os.link(old, new)
    except OSError:  # a file system without hard links
        shutil.copy2(old, new)


# kpis.derived imported when used: opening a workspace need not load Ibis
def derived_names() -> tuple[str, ...]:
    from koers.kpis.derived import DERIVED

    return DERIVED


def kept_derived(con: duckdb.DuckDBPyConnection) -> list[str]:
    from koers.kpis.derived import kept

    return kept(con.execute)


def views(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The views of a connection (a copied workspace's tables left where they lie)."""
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def _files_fingerprint(paths: list[Path]) -> str:
    parts = []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        parts.append(f"{p.name}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
