"""The shortcuts of a KPI run give exactly what the long way gives:
- the derived tables every workspace keeps (kpis/derived.py) against the
  same tables computed in the run, as for a workspace from before them;
- periods found by comparing with their bounds against the join on ranges;
- the open pipeline without its stage at end(P) when no one asks for it."""

from __future__ import annotations

import math
import shutil
from datetime import date, datetime, timedelta

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koers.engines import connect
from koers.importers.canonical import import_folder
from koers.kpis import derived
from koers.kpis.catalog import CATALOG
from koers.kpis.compute import Engine
from koers.kpis.context import Context
from koers.periods import parse_instant, parse_spec, trailing_year
from koers.settings import Settings
from koers.store import Workspace
from tests.conftest import GOLDEN, pg_server

# before some stage changes, on the spring DST night, and after every event
AS_OF = ["2025-02-10T12:00:00+01:00", "2025-03-30T01:45:00+01:00", "2026-01-01T00:00:00+01:00"]


def _catalogue(ws: Workspace, as_of: str, by: list[str], only: set[str] | None = None) -> dict:
    con, settings_ = connect(ws), ws.settings()
    engine = Engine(con, settings_, parse_spec("2025-01..2025-06"), parse_instant(as_of, settings_.tz))
    out = {}
    try:
        for k in CATALOG:
            if only and k.id not in only:
                continue
            dims = [d for d in by if d in k.dimensions]
            out[(k.id, *dims)] = engine.compute([k.id], dims, {}).rows.to_dict("records")
    finally:
        engine.release()
        con.disconnect()
    return out


def _kept(ws: Workspace) -> bool:
    with ws.reader() as con:
        return derived.has_tables(con.execute)


def test_the_kept_tables_give_the_figures_the_run_computes_itself(tmp_path):
    kept = Workspace.open(str(tmp_path / "kept.duckdb"))
    import_folder(kept, GOLDEN)
    shutil.copy(kept.path, tmp_path / "computed.duckdb")
    computed = Workspace.open(str(tmp_path / "computed.duckdb"))
    with computed.writer() as con:
        for name in derived.DERIVED:
            con.execute(f"DROP TABLE {name}")
    assert _kept(kept) and not _kept(computed)
    # before some stage changes, unsplit; after every event, by rep and stage
    for as_of, by in ((AS_OF[0], []), (AS_OF[2], ["owner", "stage"])):
        _assert_alike(_catalogue(kept, as_of, by), _catalogue(computed, as_of, by), as_of)


def _assert_alike(a: dict, b: dict, context) -> None:
    """The same rows, their numbers equal but for the last bits (sums in another order)."""
    assert a.keys() == b.keys()
    for key in a:
        assert len(a[key]) == len(b[key]), (context, key)
        for x, y in zip(a[key], b[key]):
            assert x.keys() == y.keys() and all(_same(x[f], y[f]) for f in x), (context, key, x, y)


def _same(x, y) -> bool:
    """Equal, floats within 1e-9: a sum's last bits follow the engine's order of adding."""
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    return x == y


def test_an_import_rebuilds_the_kept_tables_only_when_it_writes(tmp_path, monkeypatch):
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)
    built = []
    refresh = derived.refresh
    monkeypatch.setattr(derived, "refresh", lambda con, changed=None: (built.append(1), refresh(con, changed)))
    assert import_folder(ws, GOLDEN).written == 0
    assert built == []
    newer = tmp_path / "newer"
    shutil.copytree(GOLDEN, newer)
    rows = (newer / "opportunities.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    fields = rows[1].split(",")
    fields[header.index("source")] = "fair"
    rows[1] = ",".join(fields)
    (newer / "opportunities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_folder(ws, newer).written == 1
    assert built == [1]
    with ws.reader() as con:
        got = con.execute(f"SELECT source FROM {derived.OPPORTUNITIES} WHERE opportunity_id = ?", [fields[0]]).fetchone()
    assert got == ("fair",)


def _open(kind: str, tmp_path) -> Workspace:
    # Spark and PostgreSQL workspaces are written through DuckDB: no Spark session here
    if kind == "postgres":
        return Workspace.open(pg_server().new_database())
    return Workspace.open(str(tmp_path / "ws.duckdb") if kind == "duckdb" else f"spark:{tmp_path / 'ws'}")


@pytest.mark.parametrize("kind", ["duckdb", "spark", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_an_import_rebuilds_only_the_kept_tables_made_from_what_it_wrote(tmp_path, kind):
    ws = _open(kind, tmp_path)
    import_folder(ws, GOLDEN)

    def mark() -> None:
        # a row no rebuild would make: it stays until its table is rebuilt
        with ws.writer() as con:
            con.execute(f"INSERT INTO {derived.SPANS} (opportunity_id, stage) VALUES ('mark', 'mark')")
            con.execute(f"INSERT INTO {derived.OPPORTUNITIES} (opportunity_id) VALUES ('mark')")

    def marked() -> set[str]:
        with ws.reader() as con:
            return {name for name in derived.DERIVED
                    if con.execute(f"SELECT count(*) FROM {name} WHERE opportunity_id = 'mark'").fetchone()[0]}

    last = [GOLDEN]

    def import_changed(table: str, column: str, value: str) -> None:
        """Import the last folder with one value changed."""
        folder = tmp_path / table
        shutil.copytree(last[0], folder)
        last[0] = folder
        rows = (folder / f"{table}.csv").read_text(encoding="utf-8").splitlines()
        header, fields = rows[0].split(","), rows[1].split(",")
        fields[header.index(column)] = value
        rows[1] = ",".join(fields)
        (folder / f"{table}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        assert import_folder(ws, folder).written == 1

    mark()
    import_changed("activities", "type", "email")
    assert marked() == set(derived.DERIVED)
    import_changed("leads", "source", "fair")
    assert marked() == {derived.SPANS}
    mark()
    import_changed("stages", "probability", "15")
    assert marked() == set()


def test_a_workspace_from_before_the_kept_tables_gets_them_with_its_next_import(tmp_path):
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)
    with ws.writer() as con:
        con.execute(f"DROP TABLE {derived.SPANS}")
    assert not _kept(ws)
    assert import_folder(ws, GOLDEN).written == 0
    assert _kept(ws)



def test_kept_tables_of_an_older_version_are_not_read_and_the_next_import_replaces_them(tmp_path):
    """Version 1 ordered rows at one instant otherwise: its tables must give
    no figure, and go with the next import, though it writes no row."""
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)
    fresh = _catalogue(ws, AS_OF[2], ["stage"], {"stage_duration", "won_deals"})
    with ws.writer() as con:
        for name, old in zip(derived.DERIVED, derived.OLDER):
            con.execute(f"ALTER TABLE {name} RENAME TO {old}")
            con.execute(f"DELETE FROM {old}")  # were they read, every figure would be empty
    assert not _kept(ws)
    _assert_alike(_catalogue(ws, AS_OF[2], ["stage"], {"stage_duration", "won_deals"}), fresh, "older version")
    assert import_folder(ws, GOLDEN).written == 0
    with ws.reader() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(derived.DERIVED) <= tables and not set(derived.OLDER) & tables


@pytest.mark.postgres
def test_a_postgresql_workspace_keeps_them_in_step_with_its_rows(tmp_path):
    """Made by the import, read by a KPI run from the database; dropped, a
    run computes them, and the next import makes them again."""
    import psycopg

    ws = _open("postgres", tmp_path)
    import_folder(ws, GOLDEN)
    assert _kept(ws)
    con = connect(ws)
    try:
        assert derived.present(con)
    finally:
        con.disconnect()
    # the whole catalogue on DuckDB above; here the KPIs of stays and stages
    deal_kpis = {"open_pipeline_value", "weighted_pipeline_value", "stage_duration", "stage_conversion_rate",
                 "sales_cycle_length", "win_rate", "new_pipeline_value", "pipeline_age"}
    assert deal_kpis <= {k.id for k in CATALOG}
    kept = _catalogue(ws, AS_OF[2], ["owner", "stage"], deal_kpis)
    with psycopg.connect(ws.url) as pg:
        for name in derived.DERIVED:
            pg.execute(f"DROP TABLE {name}")
    assert not _kept(ws)
    computed = _catalogue(ws, AS_OF[2], ["owner", "stage"], deal_kpis)
    assert kept.keys() == computed.keys()
    for key in kept:
        assert len(kept[key]) == len(computed[key]), key
        for x, y in zip(kept[key], computed[key]):
            assert x.keys() == y.keys() and all(_same(x[f], y[f]) for f in x), (key, x, y)
    assert import_folder(ws, GOLDEN).written == 0
    assert _kept(ws)


def test_a_spark_workspace_from_before_the_kept_tables_gets_them_with_its_next_import(tmp_path):
    ws = Workspace.open(f"spark:{tmp_path / 'ws'}")
    import_folder(ws, GOLDEN)
    assert all(ws.parquet(name).exists() for name in derived.DERIVED)
    for name in derived.DERIVED:
        ws.parquet(name).unlink()
    assert not _kept(ws)
    assert import_folder(ws, GOLDEN).written == 0
    assert _kept(ws) and all(ws.parquet(name).exists() for name in derived.DERIVED)


@pytest.mark.spark
def test_spark_reads_the_kept_tables_of_its_own_workspace_only(tmp_path):
    """The Spark session outlives a workspace: one without kept tables,
    opened after one with them, computes its own, and both give the same
    figures."""
    kept = Workspace.open(f"spark:{tmp_path / 'kept'}")
    import_folder(kept, GOLDEN)
    # a copy of its folder rather than a second import: the same tables, written once
    shutil.copytree(tmp_path / "kept", tmp_path / "old")
    old = Workspace.open(f"spark:{tmp_path / 'old'}")
    for name in derived.DERIVED:
        old.parquet(name).unlink()
    # one KPI on each derived table, over the months of the golden stage changes
    questions = [(["open_pipeline_value", "stage_duration"], ["stage"])]
    figures = {}
    for ws, present in ((kept, True), (old, False)):
        con, settings_ = connect(ws), ws.settings()
        assert derived.present(con) is present
        engine = Engine(con, settings_, parse_spec("2025-02..2025-04"), parse_instant(AS_OF[1], settings_.tz))
        try:
            figures[present] = [engine.compute(kpis, by, {}).rows.to_dict("records") for kpis, by in questions]
        finally:
            engine.release()
    assert figures[True] and len(figures[True]) == len(figures[False])
    for a, b in zip(figures[True], figures[False]):
        assert len(a) == len(b) > 0
        for x, y in zip(a, b):
            assert x.keys() == y.keys() and all(_same(x[f], y[f]) for f in x), (x, y)


# -- periods by their bounds ---------------------------------------------------

SPECS = [
    ("2025-01..2025-12", None), ("2025-W10..2025-W16", None), ("2025-03-28..2025-04-02", None),
    ("2025-10-24..2025-10-28", None), ("2024-Q4..2025-Q2", None), ("2025", "month"), ("2025-03", "week"),
]
START = datetime(2024, 9, 25)


def _bucketed(spec: str, grain: str | None, moments: list[datetime]) -> tuple[list, list]:
    s = Settings()
    periods = parse_spec(spec, grain)
    con = ibis.duckdb.connect()
    ctx = Context(con, s, periods, datetime(2030, 1, 1))
    days = [m.date() for m in moments]
    t = ibis.memtable(pa.table({"at": pa.array(moments, pa.timestamp("us")), "day": pa.array(days, pa.date32())}))
    got = []
    for col, dated in (("at", False), ("day", True)):
        assert ctx._bounds(dated) is not None
        for fn in (ctx.in_period, ctx.join_on_ranges):
            rows = fn(t, col, dated).select(col, "period").to_pyarrow().to_pylist()
            got.append(sorted((r[col], r["period"]) for r in rows))
    con.disconnect()
    return got


@settings(max_examples=40, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    minutes=st.lists(st.integers(0, 60 * 24 * 500), min_size=1, max_size=40),
)
def test_periods_found_by_their_bounds_are_the_periods_joined_on_ranges(spec, minutes):
    periods = parse_spec(*spec)
    s = Settings()
    # every bound itself, a microsecond either side, and random moments
    moments = [START + timedelta(minutes=m) for m in minutes]
    for p in periods[:6]:
        b = p.start_utc(s.tz)
        moments += [b, b - timedelta(microseconds=1), b + timedelta(microseconds=1)]
    by_bounds, joined, by_bounds_dated, joined_dated = _bucketed(*spec, moments)
    assert by_bounds == joined
    assert by_bounds_dated == joined_dated


def test_a_filtered_table_is_keyed_once_and_its_filters_put_back():
    s = Settings()
    con = ibis.duckdb.connect()
    ctx = Context(con, s, parse_spec("2025-01..2025-06"), datetime(2025, 4, 10, 12))
    moments = [datetime(2024, 12, 31, 23), datetime(2025, 1, 1), datetime(2025, 3, 30, 1), datetime(2025, 4, 10, 12),
               datetime(2025, 4, 10, 11, 59), datetime(2025, 6, 30, 21, 59), datetime(2025, 6, 30, 22)]
    kinds = ["a", "b"] * 3 + ["a"]
    cut = [m if m < ctx.as_of else None for m in moments]  # as cut_keeping makes them
    con.con.from_arrow(pa.table({"at": pa.array(cut, pa.timestamp("us")),
                                 "_u_at": pa.array(moments, pa.timestamp("us")), "kind": kinds})).create("events")
    t = ctx.raw("events")

    def rows(expr):
        return sorted((r["_u_at"], r["kind"], r["period"]) for r in expr.to_pyarrow().to_pylist())

    only_a = t.filter(t.kind == "a").filter(t._u_at > datetime(2024, 12, 31, 23))
    keyed = ctx.in_period(only_a, "at")
    made = list(ctx._views)
    assert len(made) == 1  # the table keyed, as a view
    # the same rows as the periods joined on their ranges, as of T
    expected = ctx.join_on_ranges(only_a.filter(only_a.at.notnull()), "at")
    assert rows(keyed) == rows(expected) == [
        (datetime(2025, 3, 30, 1), "a", date(2025, 3, 1)), (datetime(2025, 4, 10, 11, 59), "a", date(2025, 4, 1))]
    both = ctx.in_period(t.filter(t.kind.isin(["a", "b"])), "at")
    assert ctx._views == made  # keyed once for every filter
    # 23:00 UTC on 31 December is January in Amsterdam; T itself and after are cut
    assert [r[2] for r in rows(both)] == [date(2025, 1, 1), date(2025, 1, 1), date(2025, 3, 1), date(2025, 4, 1)]
    # a subquery in a filter keeps reading its own table
    other = t.filter(t.kind == "b")
    sub = t.filter(t._u_at.isin(other._u_at))
    assert [r[1] for r in rows(ctx.in_period(sub, "at"))] == ["b"]
    assert rows(ctx.in_period(sub, "at")) == rows(ctx.join_on_ranges(sub, "at"))
    con.disconnect()


def test_overlapping_periods_are_joined_on_ranges():
    periods = [trailing_year(p) for p in parse_spec("2025-01..2025-03")]
    ctx = Context(ibis.duckdb.connect(), Settings(), periods, datetime(2030, 1, 1))
    assert ctx._bounds(False) is None and ctx._bounds(True) is None


# -- the open pipeline without its stage ----------------------------------------------

def test_the_open_pipeline_by_rep_is_the_sum_of_its_stages(tmp_path):
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)
    con, s = connect(ws), ws.settings()
    keys = ["period", "owner"]
    for as_of in AS_OF:
        engine = Engine(con, s, parse_spec("2025-01..2025-06"), parse_instant(as_of, s.tz))
        for kid, cols in (("open_pipeline_value", ["value"]), ("open_pipeline_count", ["value"])):
            plain = engine.compute([kid], ["owner"], {}).rows[keys + cols]
            staged = engine.compute([kid], ["owner", "stage"], {}).rows
            staged = staged.groupby(keys, dropna=False, as_index=False)[cols].sum()
            both = plain.merge(staged, on=keys, how="outer", suffixes=("", "_staged"), indicator=True)
            assert len(both) and (both["_merge"] == "both").all(), (kid, as_of)
            for c in cols:
                assert np.allclose(both[c].astype(float), both[f"{c}_staged"].astype(float)), (kid, as_of, c)
        engine.release()
    con.disconnect()


def test_kept_tables_are_not_part_of_the_export(tmp_path):
    from koers.importers.canonical import export_folder

    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)
    export_folder(ws, tmp_path / "out")
    assert not any(p.stem in derived.DERIVED for p in (tmp_path / "out").iterdir())
