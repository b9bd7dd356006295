"""PostgreSQL workspaces: what differs from a DuckDB file is where the
tables live and how an import is written back; the figures, the CLI, the
web app and the import contract are the same."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from koers import store_postgres
from koers.cli import app
from koers.importers.canonical import Source, export_folder, import_folder, import_sources
from koers.kpis import derived
from koers.model import TABLES
from koers.store import Workspace, WorkspaceError
from koers.web.app import create_app
from tests.conftest import GOLDEN, pg_server
from tests.test_import import assert_moved_with_own_rows, exported_with_own_rows, table_rows, tables_rows

pytestmark = pytest.mark.postgres
AS_OF = "2025-06-01T00:00:00+02:00"


@pytest.fixture
def pg_ws() -> Workspace:
    return Workspace.open(pg_server().new_database())


@pytest.fixture(scope="module")
def golden_pair(tmp_path_factory):
    duck = Workspace.open(str(tmp_path_factory.mktemp("pg-duck") / "ws.duckdb"))
    pg = Workspace.open(pg_server().new_database())
    for ws in (duck, pg):
        assert import_folder(ws, GOLDEN).rejected == 0
    return duck, pg


def assert_same_tables(pg, duck, names: list[str]) -> None:
    got, want = tables_rows(pg, names), tables_rows(duck, names)
    for name in names:
        assert got[name] == want[name], name


def test_the_tables_and_their_export_are_those_of_a_duckdb_workspace(golden_pair, tmp_path):
    duck, pg = golden_pair
    assert_same_tables(pg, duck, [t.name for t in TABLES])
    export_folder(duck, tmp_path / "duck")
    export_folder(pg, tmp_path / "pg")
    for t in TABLES:
        assert (tmp_path / "pg" / f"{t.name}.csv").read_text() == (tmp_path / "duck" / f"{t.name}.csv").read_text()


def test_koers_own_tables_move_into_postgresql_through_an_export(golden_pair, pg_ws, tmp_path):
    """Moved by export and import, the workspace keeps its rules, import
    log, snapshots and mail log; a second import of the folder adds none."""
    duck, out = exported_with_own_rows(tmp_path)
    assert_moved_with_own_rows(duck, pg_ws, out)


def test_a_reimport_writes_nothing(golden_pair):
    _, pg = golden_pair
    assert import_folder(pg, GOLDEN).written == 0


@pytest.mark.parametrize("args", [
    ["won_value", "win_rate", "--period", "2025-Q1", "--grain", "month", "--by", "owner"],
    ["open_pipeline_value", "weighted_pipeline_value", "--period", "2025-03", "--by", "stage"],
    ["revenue", "churn_rate", "clv", "--period", "2025", "--by", "segment"],
    ["lead_response_time", "activity_completion_rate", "target_attainment", "--period", "2025-03"],
])
def test_the_cli_gives_the_same_figures(golden_pair, args):
    duck, pg = golden_pair
    runner = CliRunner()
    out = [runner.invoke(app, ["kpi", *args, "--format", "csv", "--as-of", AS_OF, "--workspace", ws.url])
           for ws in (duck, pg)]
    assert out[0].exit_code == out[1].exit_code == 0, out[1].output
    assert out[1].output == out[0].output


def test_the_web_app_serves_a_postgresql_workspace(golden_pair):
    duck, pg = golden_pair
    params = {"kpi": "won_value", "period": "2025-Q1", "by": "owner", "as_of": AS_OF}
    answers = []
    for ws in (duck, pg):
        with TestClient(create_app(ws.url)) as client:
            assert client.get("/pipeline", params={"period": "2025-03", "as_of": AS_OF}).status_code == 200
            answers.append(client.get("/api/v1/values", params=params).json()["rows"])
    assert answers[1] == answers[0] and answers[0]


@pytest.mark.parametrize("kind", ["postgres", "spark"])
def test_reading_settings_counts_and_sync_state_does_not_copy_the_workspace(kind, tmp_path, monkeypatch):
    """Only an import or an export copies every table into DuckDB: the
    settings a KPI run starts from, the row counts, and a source's sync
    markers and log are read from the workspace itself (copying it cost a
    KPI run on the medium demo in PostgreSQL some 30 s)."""
    from koers.connectors.runner import markers, sync_log
    from koers.store import CopiedWorkspace

    duck = Workspace.open(str(tmp_path / "ws.duckdb"))
    ws = Workspace.open(pg_server().new_database() if kind == "postgres" else f"spark:{tmp_path / 'ws'}")
    for w in (duck, ws):
        import_folder(w, GOLDEN)
        w.set_settings(response_sla_hours=2.5)
    with duck.writer() as con, ws.writer() as other:
        for c in (con, other):
            c.execute("INSERT INTO koers_sync_state VALUES ('odoo', 'crm.lead', '2025-05-01 10:00:00')")
    want = (duck.settings(), duck.counts(), markers(duck, "odoo"), sync_log(duck))

    def refuse(self):
        raise AssertionError("the whole workspace was copied")

    monkeypatch.setattr(CopiedWorkspace, "reader", refuse)
    assert (ws.settings(), ws.counts(), markers(ws, "odoo"), sync_log(ws)) == want
    assert want[1]["opportunities"] > 0 and want[2] == {"crm.lead": "2025-05-01 10:00:00"}
    if kind == "postgres":
        out = CliRunner().invoke(app, ["kpi", "won_value", "--period", "2025-Q1", "--format", "csv", "--as-of", AS_OF,
                                       "--workspace", ws.url])
        assert out.exit_code == 0, out.output


def test_a_failed_import_leaves_the_database_as_it_was(pg_ws, monkeypatch):
    assert import_folder(pg_ws, GOLDEN).rejected == 0
    before = tables_rows(pg_ws, [t.name for t in TABLES])
    version = pg_ws.fingerprint()
    # the write-back fails after a table was truncated and copied
    written = []
    real = store_postgres._temp_csv

    def failing() -> str:
        written.append(1)
        if len(written) == 2:
            raise OSError("disk full")
        return real()

    monkeypatch.setattr(store_postgres, "_temp_csv", failing)
    import pandas as pd

    rows = pd.DataFrame({"rep_id": ["R9"], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]},
                        dtype=object)
    with pytest.raises(OSError, match="disk full"):
        import_sources(pg_ws, [Source("reps", "new reps", rows=rows)], "test")
    monkeypatch.undo()
    assert tables_rows(pg_ws, [t.name for t in TABLES]) == before
    assert pg_ws.fingerprint() == version


def test_a_check_leaves_the_database_as_it_was(pg_ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a PostgreSQL workspace's rejects are kept beside where Koers runs
    assert import_folder(pg_ws, GOLDEN).rejected == 0
    before, version = tables_rows(pg_ws, [t.name for t in TABLES]), pg_ws.fingerprint()
    import pandas as pd

    rows = pd.DataFrame({"rep_id": ["R9", "R10"], "name": ["Nieuw", "Fout"], "hired_on": ["2025-01-01", "nooit"],
                         "_line": [2, 3]}, dtype=object)
    checked = import_sources(pg_ws, [Source("reps", "new reps", rows=rows)], "test", check=True)
    assert (checked.written, checked.rejected) == (1, 1)
    assert tables_rows(pg_ws, [t.name for t in TABLES]) == before
    assert pg_ws.fingerprint() == version


def test_an_import_writes_back_only_the_tables_it_changed(pg_ws):
    import psycopg

    assert import_folder(pg_ws, GOLDEN).rejected == 0

    def row_versions() -> dict[str, set]:
        with psycopg.connect(pg_ws.url) as pg:
            return {t: {r[0] for r in pg.execute(f'SELECT xmin::text FROM "{t}"').fetchall()}
                    for t in ("reps", "activities", "opportunities", "koers_imports")}

    before = row_versions()
    import pandas as pd

    rows = pd.DataFrame({"rep_id": ["R9"], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]},
                        dtype=object)
    import_sources(pg_ws, [Source("reps", "new reps", rows=rows)], "test")
    after = row_versions()
    assert after["activities"] == before["activities"] and after["opportunities"] == before["opportunities"]
    assert after["reps"] != before["reps"] and after["koers_imports"] != before["koers_imports"]
    assert ("R9",) in [r[:1] for r in table_rows(pg_ws, "reps")]


def test_an_import_writes_back_only_the_rows_it_changed(tmp_path):
    """A newer export with one changed opportunity and one new one: in
    PostgreSQL those two rows are written (and the derived rows made from
    them), the other rows are left as they were, and every table, derived
    ones too, holds what the same imports give a DuckDB workspace."""
    import psycopg

    newer = tmp_path / "newer"
    shutil.copytree(GOLDEN, newer)
    lines = (newer / "opportunities.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("amount")] = "12345"
    lines[1] = ",".join(first)
    lines.append(",".join(["O99", *first[1:]]))
    (newer / "opportunities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    changed = first[0]
    duck = Workspace.open(str(tmp_path / "ws.duckdb"))
    pg = Workspace.open(pg_server().new_database())
    for ws in (duck, pg):
        assert import_folder(ws, GOLDEN).rejected == 0

    def row_versions(table: str) -> dict[str, str]:
        """opportunity_id -> the transactions that wrote its rows"""
        with psycopg.connect(pg.url) as c:
            rows = c.execute(f'SELECT opportunity_id, string_agg(xmin::text, \',\') FROM "{table}" GROUP BY 1')
            return dict(rows.fetchall())

    tables = {"opportunities": {changed, "O99"}, derived.OPPORTUNITIES: {changed, "O99"},
              "stage_history": {"O99"}, derived.SPANS: {"O99"}}  # O99's history row made up
    before = {t: row_versions(t) for t in tables}
    for ws in (duck, pg):
        result = import_folder(ws, newer)
        assert result.rejected == 0 and result.written == 2
    for table, written in tables.items():
        now = row_versions(table)
        assert {k for k in now if now[k] != before[table].get(k)} == written, table
    assert_same_tables(pg, duck, [t.name for t in TABLES] + list(derived.DERIVED))


def test_readers_go_on_reading_while_an_import_writes_its_rows(pg_ws, monkeypatch):
    """Rows written by key lock only those rows: a KPI run or a dashboard
    reading the table meanwhile is not kept waiting (TRUNCATE would), and
    sees the rows from before the import until it commits."""
    import pandas as pd
    import psycopg

    assert import_folder(pg_ws, GOLDEN).rejected == 0
    before = len(table_rows(pg_ws, "reps"))
    seen = []
    real = store_postgres._copy_out

    def copy_and_read(cur, con, query, table, names):
        rows = real(cur, con, query, table, names)
        if table == '"reps"':
            with psycopg.connect(pg_ws.url, autocommit=True) as reader:
                reader.execute("SET lock_timeout = '2s'")
                seen.append(reader.execute("SELECT count(*) FROM reps").fetchone()[0])
        return rows

    monkeypatch.setattr(store_postgres, "_copy_out", copy_and_read)
    rows = pd.DataFrame({"rep_id": ["R9"], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]},
                        dtype=object)
    import_sources(pg_ws, [Source("reps", "new reps", rows=rows)], "test")
    assert seen == [before]
    assert len(table_rows(pg_ws, "reps")) == before + 1


def test_an_import_that_replaces_rows_deletes_them_in_postgresql(tmp_path):
    """Opportunities imported without a history get one made up; the real
    history, imported later, replaces it: the made-up rows are deleted."""
    bare = tmp_path / "bare"
    shutil.copytree(GOLDEN, bare)
    (bare / "stage_history.csv").unlink()
    duck = Workspace.open(str(tmp_path / "ws.duckdb"))
    pg = Workspace.open(pg_server().new_database())
    for ws in (duck, pg):
        import_folder(ws, bare)
        made = table_rows(ws, "stage_history")
        import_folder(ws, GOLDEN)
    assert made and set(made) - set(table_rows(pg, "stage_history"))
    assert_same_tables(pg, duck, [t.name for t in TABLES] + list(derived.DERIVED) + ["koers_generated_history"])


def test_an_import_that_ran_while_another_wrote_writes_nothing(pg_ws):
    """Two imports at once: the one that finishes second would write rows
    read before the first one's; it stops, and the workspace is the first's."""
    import pandas as pd

    assert import_folder(pg_ws, GOLDEN).rejected == 0
    rows = pd.DataFrame({"rep_id": ["R9"], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]},
                        dtype=object)
    with pytest.raises(WorkspaceError, match="another import wrote the PostgreSQL workspace"):
        with pg_ws.writer() as con:
            con.execute("UPDATE reps SET name = 'Later' WHERE rep_id = 'R1'")
            import_sources(pg_ws, [Source("reps", "new reps", rows=rows)], "test")
    names = {r[0]: r[1] for r in table_rows(pg_ws, "reps")}
    assert "R9" in names and names["R1"] != "Later"


def test_a_row_changed_behind_koers_s_back_stops_the_write(pg_ws):
    """A row deleted in the database by hand while an import ran: the rows
    the import would replace are no longer those it read, so it writes nothing."""
    import psycopg

    assert import_folder(pg_ws, GOLDEN).rejected == 0
    before = table_rows(pg_ws, "reps")
    with pytest.raises(WorkspaceError, match="the table reps in the PostgreSQL workspace differs"):
        with pg_ws.writer() as con:
            con.execute("UPDATE reps SET name = 'Later' WHERE rep_id = 'R1'")
            with psycopg.connect(pg_ws.url, autocommit=True) as other:
                other.execute("DELETE FROM reps WHERE rep_id = 'R1'")
    assert table_rows(pg_ws, "reps") == [r for r in before if r[0] != "R1"]


def test_a_table_whose_key_repeats_is_written_whole(pg_ws):
    """Rows that share a key cannot be told apart by it: the table is
    written whole, and holds each of them."""
    assert import_folder(pg_ws, GOLDEN).rejected == 0
    snapshots = len(pg_ws.meta("koers_snapshots"))
    assert snapshots
    with pg_ws.writer() as con:
        con.execute("INSERT INTO koers_snapshots SELECT * FROM koers_snapshots LIMIT 1")
    assert len(pg_ws.meta("koers_snapshots")) == snapshots + 1


def test_kept_derived_tables_come_back_with_their_duckdb_types(pg_ws, tmp_path):
    """Read back from PostgreSQL, every column of a derived table has the
    type DuckDB made it with, and so has a column of a type Koers does not
    write (integer, boolean)."""
    import psycopg

    duck = Workspace.open(str(tmp_path / "ws.duckdb"))
    for ws in (duck, pg_ws):
        assert import_folder(ws, GOLDEN).rejected == 0
    with duck.reader() as con:
        made = {n: con.execute(f'DESCRIBE "{n}"').fetchall() for n in derived.DERIVED}
    with psycopg.connect(pg_ws.url) as pg:
        pg.execute(f'ALTER TABLE "{derived.SPANS}" ADD COLUMN "_n" integer, ADD COLUMN "_flag" boolean')
    con = pg_ws._load()
    try:
        read = {n: con.execute(f'DESCRIBE "{n}"').fetchall() for n in derived.DERIVED}
    finally:
        con.close()
    types = {n: [r[:2] for r in rows] for n, rows in read.items()}
    assert types[derived.OPPORTUNITIES] == [r[:2] for r in made[derived.OPPORTUNITIES]]
    assert types[derived.SPANS] == [r[:2] for r in made[derived.SPANS]] + [("_n", "INTEGER"), ("_flag", "BOOLEAN")]
    assert {r[1] for rows in made.values() for r in rows} >= {"VARCHAR", "TIMESTAMP", "DOUBLE", "BIGINT"}


def test_a_password_in_the_url_is_refused_and_an_unreachable_server_is_named():
    with pytest.raises(WorkspaceError, match="PGPASSWORD"):
        Workspace.open("postgresql://koers:secret@127.0.0.1:1/db")
    with pytest.raises(WorkspaceError, match="cannot reach the PostgreSQL workspace postgresql://koers@127.0.0.1:1/db"):
        Workspace.open("postgresql://koers@127.0.0.1:1/db")


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_an_import_of_one_table_loads_what_it_needs_and_ends_as_in_duckdb(table, tmp_path, monkeypatch):
    """An import of one file loads from PostgreSQL only the tables it may
    change or reads (any other read fails, never reads as empty): its last
    row arriving later ends every table, derived ones too, as in DuckDB."""
    monkeypatch.chdir(tmp_path)  # the rows the first import rejects are kept under ./koers-rejects
    short = tmp_path / "short"
    shutil.copytree(GOLDEN, short)
    lines = (short / f"{table}.csv").read_text(encoding="utf-8").splitlines()
    (short / f"{table}.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(GOLDEN / f"{table}.csv", one / f"{table}.csv")
    duck = Workspace.open(str(tmp_path / "ws.duckdb"))
    pg = Workspace.open(pg_server().new_database())
    for ws in (duck, pg):
        import_folder(ws, short)
    results = [import_folder(ws, one) for ws in (duck, pg)]
    assert results[0].written == results[1].written >= 1
    assert_same_tables(pg, duck, [t.name for t in TABLES] + list(derived.DERIVED))


def test_a_writer_of_targets_leaves_the_activities_in_postgresql(golden_pair):
    _, pg = golden_pair
    with pytest.raises(ValueError, match="left alone"):
        with pg.writer(touches={"targets"}, reads={"reps"}) as con:
            assert con.execute("SELECT count(*) FROM targets").fetchone()[0] > 0
            assert con.execute("SELECT count(*) FROM reps").fetchone()[0] > 0
            with pytest.raises(Exception, match="the table activities was not loaded from PostgreSQL"):
                con.execute("SELECT count(*) FROM activities").fetchone()
            raise ValueError("left alone")


def test_an_export_holds_one_table_at_a_time(golden_pair):
    _, pg = golden_pair
    with pg.reader_table_by_table() as (con, take):
        take("opportunities")
        opportunities = con.execute("SELECT count(*) FROM opportunities").fetchone()[0]
        take("activities")
        assert opportunities > 0 and con.execute("SELECT count(*) FROM activities").fetchone()[0] > 0
        with pytest.raises(Exception, match="the table opportunities was not loaded from PostgreSQL here"):
            con.execute("SELECT count(*) FROM opportunities")  # let go, never read as empty
        assert con.execute("SELECT count(*) FROM koers_imports").fetchone()[0] > 0  # Koers's own throughout
