"""Shared fixtures: workspaces on every engine, built from real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from koers.engines import connect
from koers.importers.canonical import import_folder
from koers.store import Workspace

GOLDEN = Path(__file__).parent / "golden" / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# The golden data is tiny: one shuffle partition keeps Spark's per-query cost down.
os.environ.setdefault("KOERS_SPARK_SHUFFLE_PARTITIONS", "1")
# And so does Spark's interpreted evaluation: on a few rows, compiling Java for
# every query (whole-stage codegen) and re-planning it (adaptive execution)
# cost more than the query (a quarter of the Spark tests' time). The figures
# are the same either way, by Spark's own contract; the benchmark keeps both.
# The JVM compiles its hot code once, quickly (C1 alone), and collects on one
# thread: the tests are short, and the machine's other core runs the other
# worker (a tenth off the golden cases on Spark).
os.environ.setdefault("KOERS_SPARK_CONF", "spark.sql.codegen.wholeStage=false,spark.sql.codegen.factoryMode=NO_CODEGEN,"
                      "spark.sql.adaptive.enabled=false,"
                      "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
# pytest-xdist's workers are given COLUMNS=80 and LINES=24, which Rich would
# take as the CLI's fixed width when koers.cli is imported: a test that asks
# for a wider table (COLUMNS in its own environment) would get 80 columns.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark),
           pytest.param("postgres", marks=pytest.mark.postgres)]
_pg = None


def pg_server():
    """The session's PostgreSQL server, started on first use."""
    global _pg
    if _pg is None:
        from tests.pg_server import PgServer

        _pg = PgServer().start()
    return _pg


# What a worker starts once and keeps for the session: `make test` runs the
# tests on two workers (pytest-xdist, --dist loadgroup), and the tests of
# one of these go to one worker, so it alone starts them.
SHARED_BY_A_GROUP = ("spark", "postgres", "browser")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = next((g for g in SHARED_BY_A_GROUP if item.get_closest_marker(g)), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session, exitstatus):
    if _pg is not None:
        _pg.stop()


def make_workspace(kind: str, folder: Path, tmp: Path) -> Workspace:
    if kind == "postgres":
        url = pg_server().new_database()
    else:
        url = str(tmp / "ws.duckdb") if kind == "duckdb" else f"spark:{tmp / 'ws'}"
    ws = Workspace.open(url)
    result = import_folder(ws, folder)
    assert result.rejected == 0, f"golden data has rejected rows: {result.rejects_path}"
    return ws


@pytest.fixture(scope="session", params=ENGINES)
def golden(request, tmp_path_factory):
    """(workspace, ibis backend) holding the golden dataset, per engine."""
    ws = make_workspace(request.param, GOLDEN, tmp_path_factory.mktemp(f"golden-{request.param}"))
    return ws, connect(ws)


@pytest.fixture
def tmp_ws(tmp_path) -> Workspace:
    return Workspace.open(str(tmp_path / "ws.duckdb"))
