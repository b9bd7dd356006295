"""A Spark workspace's files: each import writes a new version folder and
names it in CURRENT with one rename, so an import killed at any point
leaves the workspace as it was, and a reader never mixes two imports.
No Spark session here: the files are written and read through DuckDB."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from koers import store
from koers.importers.canonical import Source, import_folder, import_sources
from koers.model import TABLES
from koers.store import SparkWorkspace, Workspace, WorkspaceError
from tests.conftest import GOLDEN
from tests.test_import import assert_moved_with_own_rows, exported_with_own_rows, table_rows, tables_rows


def _new_rep(ws: Workspace, rep_id: str) -> None:
    rows = pd.DataFrame({"rep_id": [rep_id], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]},
                        dtype=object)
    import_sources(ws, [Source("reps", "new reps", rows=rows)], "test")


def _state(ws: SparkWorkspace) -> tuple:
    """What a reader sees: the version's fingerprint, and every table's rows."""
    return ws.fingerprint(), tables_rows(ws, [t.name for t in TABLES])


def _versions(ws: SparkWorkspace) -> list[str]:
    return sorted(p.name for p in ws.dir.glob("v-*"))


@pytest.fixture
def ws(tmp_path) -> SparkWorkspace:
    ws = Workspace.open(f"spark:{tmp_path / 'ws'}")
    assert import_folder(ws, GOLDEN).rejected == 0
    return ws


@pytest.mark.parametrize("dies_in", ["writing the files", "naming the version"])
def test_an_import_killed_while_it_writes_leaves_the_workspace_as_it_was(ws, monkeypatch, dies_in):
    before = _state(ws)
    if dies_in == "writing the files":
        calls = []
        real = store._link_or_copy

        def dying(old, new):
            calls.append(old)
            if len(calls) == 3:  # after the reps file, and two files linked
                raise KeyboardInterrupt("killed")
            real(old, new)

        monkeypatch.setattr(store, "_link_or_copy", dying)
    else:
        def dying(self, was, staging, version):
            raise KeyboardInterrupt("killed")

        monkeypatch.setattr(SparkWorkspace, "_switch", dying)
    with pytest.raises(KeyboardInterrupt):
        _new_rep(ws, "R9")
    monkeypatch.undo()
    assert _state(ws) == before
    assert not list(ws.dir.glob(".writing-*"))
    # the next import goes through, and clears what the killed one left
    _new_rep(ws, "R9")
    assert ("R9",) in [r[:1] for r in table_rows(ws, "reps")]
    assert len(_versions(ws)) == 2


def test_each_import_is_a_new_version_and_the_one_before_stays_for_its_readers(ws):
    first = ws.version_dir()
    _new_rep(ws, "R8")
    second = ws.version_dir()
    assert second != first and _versions(ws) == sorted([first.name, second.name])
    # a table the import did not change is the same file in both versions
    assert os.path.samefile(ws.parquet("activities", first), ws.parquet("activities", second))
    assert not os.path.samefile(ws.parquet("reps", first), ws.parquet("reps", second))
    # what writers killed outright left: cleared after a day (another may be writing now)
    stale, fresh = ws.dir / ".writing-v-stale", ws.dir / ".writing-v-fresh"
    for left in (stale, fresh):
        left.mkdir()
        (left / "reps.parquet").write_bytes(b"")
    os.utime(stale, (1, 1))
    _new_rep(ws, "R9")
    assert _versions(ws) == sorted([second.name, ws.version_dir().name])
    assert [r[0] for r in table_rows(ws, "reps")][-2:] == ["R8", "R9"]
    assert fresh.exists() and not stale.exists()


def test_a_folder_from_before_the_versions_is_read_and_moves_to_them(ws):
    before = _state(ws)[1]
    version = ws.version_dir()
    for f in version.iterdir():  # the layout before: the files in DIR itself
        shutil.move(f, ws.dir / f.name)
    version.rmdir()
    (ws.dir / "CURRENT").unlink()
    assert ws.version_dir() == ws.dir and _state(ws)[1] == before
    _new_rep(ws, "R8")
    assert ws.version_dir() != ws.dir and (ws.dir / "reps.parquet").exists()  # kept for its readers
    _new_rep(ws, "R9")
    assert not list(ws.dir.glob("*.parquet"))
    assert _state(ws)[1] == before | {"reps": table_rows(ws, "reps")}
    assert [r[0] for r in table_rows(ws, "reps")][-2:] == ["R8", "R9"]


def test_a_version_named_but_missing_is_an_error_not_an_empty_workspace(ws):
    shutil.rmtree(ws.version_dir())
    with pytest.raises(WorkspaceError, match="names the version v-.* in CURRENT, and that folder is missing"):
        Workspace.open(ws.url)


def test_an_import_that_ran_while_another_wrote_writes_nothing(ws):
    with pytest.raises(WorkspaceError, match="another import wrote the Spark workspace"):
        with ws.writer() as con:
            con.execute("UPDATE reps SET name = 'Later' WHERE rep_id = 'R1'")
            _new_rep(ws, "R9")
    names = {r[0]: r[1] for r in table_rows(ws, "reps")}
    assert "R9" in names and names["R1"] != "Later"
    assert len(_versions(ws)) == 2


def test_a_check_writes_no_version(ws, tmp_path):
    shutil.copytree(GOLDEN, tmp_path / "newer")
    reps = tmp_path / "newer" / "reps.csv"
    reps.write_text(reps.read_text(encoding="utf-8") + "R9,Nieuw,,,,,2025-01-01,\nR10,Fout,,,,,nooit,\n",
                    encoding="utf-8")
    before, versions = _state(ws), _versions(ws)
    checked = import_folder(ws, tmp_path / "newer", check=True)
    assert (checked.written, checked.rejected) == (1, 1)
    assert _state(ws) == before and _versions(ws) == versions
    assert import_folder(ws, tmp_path / "newer").written == 1  # what the check said


def test_a_table_without_a_file_counts_as_empty_and_the_next_import_writes_it(ws):
    """A version written by a Koers that had no such table yet: read as an
    empty table, as the copy an import reads it into has it."""
    ws.parquet("nps").unlink()
    assert ws.count("nps") == 0 and ws.counts()["nps"] == 0
    assert table_rows(ws, "nps") == []
    assert import_folder(ws, GOLDEN).rejected == 0
    assert ws.count("nps") == len(table_rows(ws, "nps")) > 0


def test_counts_are_of_one_version_though_an_import_lands_meanwhile(ws, monkeypatch):
    """CURRENT is read once for all the counts: an import switching versions
    between two tables' counts does not mix them."""
    before = ws.counts()
    real, calls = SparkWorkspace.count, []

    def counting(self, table, *at):
        calls.append(table)
        if len(calls) == 1:
            _new_rep(ws, "R9")  # a new version, with one rep more, before reps is counted
        return real(self, table, *at)

    monkeypatch.setattr(SparkWorkspace, "count", counting)
    assert ws.counts() == before
    monkeypatch.undo()
    assert ws.counts()["reps"] == before["reps"] + 1


def test_an_export_reads_the_files_in_place_and_writes_what_duckdb_would(ws, tmp_path):
    """A reader of a Spark workspace holds no table in memory: each is a view
    over its Parquet file. The export through it is the DuckDB workspace's."""
    from koers.importers.canonical import export_folder

    with ws.reader() as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    assert kinds["activities"] == "VIEW" and kinds["koers_settings"] == "VIEW"
    duck = Workspace.open(str(tmp_path / "d.duckdb"))
    import_folder(duck, GOLDEN)
    assert export_folder(ws, tmp_path / "spark") == export_folder(duck, tmp_path / "duck")
    for f in sorted((tmp_path / "duck").glob("*.csv")):
        if f.name in ("koers_imports.csv", "koers_snapshots.csv"):  # each names its own import (id, moment)
            assert _without_import(tmp_path / "spark" / f.name) == _without_import(f), f.name
        else:
            assert (tmp_path / "spark" / f.name).read_text() == f.read_text(), f.name


def _without_import(path) -> list[str]:
    return [line.split(",", 2)[2] for line in path.read_text().splitlines()]


def test_koers_own_tables_move_into_a_spark_workspace_through_an_export(tmp_path):
    """A DuckDB workspace moved to Spark by export and import keeps its
    rules, its import log, its snapshots and its mail log."""
    duck, out = exported_with_own_rows(tmp_path)
    spark = Workspace.open(f"spark:{tmp_path / 'spark'}")
    assert_moved_with_own_rows(duck, spark, out)


def test_a_reader_keeps_its_version_though_two_imports_land_and_remove_it(ws, tmp_path):
    with ws.reader() as con:
        before = con.execute("SELECT count(*) FROM reps").fetchone()[0]
        _new_rep(ws, "R98")
        _new_rep(ws, "R99")  # the version this reader opened is removed now
        assert con.execute("SELECT count(*) FROM reps").fetchone()[0] == before
    assert len(table_rows(ws, "reps")) == before + 2
    assert not list(ws.dir.glob(".reading-*"))  # a reader leaves nothing behind


def test_an_import_loads_only_the_tables_it_may_change_and_reads_the_rest_in_place(ws, tmp_path):
    """A targets file alone: the activities, the history and the derived
    tables are views over the version before, and the new version links
    their files; what a reader sees is what the same import gives in DuckDB."""
    from koers.kpis.derived import DERIVED

    written = ws.fingerprint()
    with pytest.raises(ZeroDivisionError):  # nothing of it written
        with ws.writer(touches={"targets"}) as con:
            kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
            assert kinds["targets"] == "BASE TABLE" and kinds["koers_imports"] == "BASE TABLE"
            assert {kinds[n] for n in ["activities", "opportunities", "stage_history", *DERIVED]} == {"VIEW"}
            with pytest.raises(Exception, match="not an? table|view"):
                con.execute("INSERT INTO activities (activity_id) VALUES ('x')")
            _ = 1 / 0
    assert ws.fingerprint() == written
    before = {n: os.stat(ws.parquet(n)).st_ino for n in ["activities", "stage_history", *DERIVED]}
    folder = tmp_path / "targets"
    folder.mkdir()
    shutil.copy(GOLDEN / "targets.csv", folder / "targets.csv")
    rows = (folder / "targets.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].rsplit(",", 1)[0] + ",123456"
    (folder / "targets.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_folder(ws, folder).written == 1
    assert {n: os.stat(ws.parquet(n)).st_ino for n in before} == before
    duck = Workspace.open(str(tmp_path / "same.duckdb"))
    import_folder(duck, GOLDEN)
    import_folder(duck, folder)
    names = [t.name for t in TABLES]
    assert tables_rows(ws, names) == tables_rows(duck, names)


def test_an_in_memory_copy_keeps_to_the_memory_limit_and_spills_into_the_system_s_temporary_folder():
    """A Spark or PostgreSQL workspace loaded to be written: bounded like a
    DuckDB file, its spill never `.tmp` in the user's working folder."""
    import tempfile

    con = store.open_duckdb()
    try:
        spill, limit = con.execute("SELECT current_setting('temp_directory'), current_setting('memory_limit')").fetchone()
    finally:
        con.close()
    assert spill.startswith(str(Path(tempfile.gettempdir()) / "koers-spill-"))
    import duckdb

    with duckdb.connect(config=store.duckdb_config()) as bounded:  # KOERS_DUCKDB_MEMORY_LIMIT, as a file's
        assert limit == bounded.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_spark_settings_from_the_environment_are_read_as_key_value_pairs():
    from koers.engines import spark_conf

    assert spark_conf("") == {}
    assert spark_conf(" spark.driver.memory = 8g, spark.sql.adaptive.enabled=false ,") == {
        "spark.driver.memory": "8g", "spark.sql.adaptive.enabled": "false"}
    assert spark_conf("spark.sql.x=a=b") == {"spark.sql.x": "a=b"}
    for bad in ("spark.driver.memory", "=8g"):
        with pytest.raises(WorkspaceError, match="KOERS_SPARK_CONF holds .* which is not key=value"):
            spark_conf(bad)
