"""connect(workspace) -> an Ibis backend holding the canonical tables.

The one module that names compute backends; KPI expressions never know which
backend runs them.
"""

from __future__ import annotations

import os

import ibis
import ibis.expr.operations as ops

from koers.kpis.derived import DERIVED
from koers.model import TABLES
from koers.store import (
    DuckDBWorkspace,
    SparkWorkspace,
    Workspace,
    WorkspaceError,
    duckdb_config,
    quiet,
    waiting_for_lock,
)

SQL_BACKENDS = ("duckdb", "postgres")  # temporary tables and views by SQL

_spark_session = None


def spark_conf(text: str) -> dict[str, str]:
    """Spark settings given as `key=value,key=value` (KOERS_SPARK_CONF), over Koers's own."""
    conf = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WorkspaceError(f"KOERS_SPARK_CONF holds '{pair}', which is not key=value")
        conf[key.strip()] = value.strip()
    return conf


def _spark():
    global _spark_session
    if _spark_session is None:
        # Koers runs offline: bind the local driver to loopback.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(os.environ.get("KOERS_SPARK_MASTER", "local[2]"))
            .appName("koers")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("KOERS_SPARK_SHUFFLE_PARTITIONS", "4"))
            .config("spark.driver.memory", os.environ.get("KOERS_SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.sql.ansi.enabled", "false")
        )
        for key, value in spark_conf(os.environ.get("KOERS_SPARK_CONF", "")).items():
            builder = builder.config(key, value)
        _spark_session = builder.getOrCreate()
        _spark_session.sparkContext.setLogLevel("ERROR")
    return _spark_session


def connect(ws: Workspace) -> ibis.BaseBackend:
    if isinstance(ws, DuckDBWorkspace):
        # read-only for a workspace opened to read, unless this program holds it open for writing
        con = waiting_for_lock(
            str(ws.path), lambda: ibis.duckdb.connect(str(ws.path), read_only=ws.read_only, **duckdb_config()),
            (lambda: ibis.duckdb.connect(str(ws.path), **duckdb_config())) if ws.read_only else None)
        quiet(con.con)
        return con
    if isinstance(ws, SparkWorkspace):
        con = ibis.pyspark.connect(_spark())
        at = ws.version_dir()  # every table of one version
        for t in TABLES:
            _spark().read.parquet(str(ws.parquet(t.name, at))).createOrReplaceTempView(t.name)
        # The session outlives the workspace: a derived table another
        # workspace registered must not stand in for this one's.
        for name in DERIVED:
            if ws.parquet(name, at).exists():
                _spark().read.parquet(str(ws.parquet(name, at))).createOrReplaceTempView(name)
            else:
                _spark().catalog.dropTempView(name)
        return con
    if ws.kind == "postgres":
        con = ibis.connect(ws.url.replace("postgresql://", "postgres://", 1))
        # naive timestamps are UTC instants; dates print as ISO in every session
        con.raw_sql("SET TimeZone = 'UTC'; SET DateStyle = ISO")
        return con
    raise TypeError(f"no engine for workspace kind {ws.kind}")


def close(con) -> None:
    """End a connection from connect(): a DuckDB file is let go (another
    process may want to write it); the Spark session lives on, as starting
    one costs seconds."""
    if con.name in SQL_BACKENDS:
        con.disconnect()


def temp_view(con, name: str, expr, materialise: bool):
    """A base expression under a name, for the run: on DuckDB a temporary
    table when it is costly and used often (computed once), else a temporary
    view (never in the workspace file); on Spark a temporary view."""
    if con.name in SQL_BACKENDS:
        con._register_in_memory_tables(expr)
        kind = "TABLE" if materialise else "VIEW"
        con.raw_sql(f'CREATE TEMPORARY {kind} "{name}" AS {con.compile(expr)}')
        # Typed as the expression says, without a round trip to the engine
        # per view: what Ibis knows of the expression inlined (the engines
        # agree but for a timestamp's unstated precision).
        return ops.DatabaseTable(name, schema=expr.schema(), source=con, namespace=ops.Namespace()).to_expr()
    return con.create_view(name, expr)


def drop_temp_view(con, name: str) -> None:
    if con.name == "duckdb":
        is_view = con.raw_sql(f"SELECT count(*) FROM duckdb_views() WHERE view_name = '{name}'").fetchone()[0]
        con.raw_sql(f'DROP {"VIEW" if is_view else "TABLE"} IF EXISTS "{name}"')
    elif con.name == "postgres":
        with con.raw_sql(f"SELECT relkind FROM pg_class WHERE relname = '{name}' AND relpersistence = 't'") as cur:
            row = cur.fetchone()
        if row:
            con.raw_sql(f'DROP {"VIEW" if row[0] == "v" else "TABLE"} IF EXISTS "{name}"')
    else:
        _spark().catalog.dropTempView(name)
