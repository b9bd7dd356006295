"""ResultCache: the same answers as compute(), dropped when the workspace changes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pandas as pd

from koers.engines import close, connect
from koers.importers.canonical import import_folder
from koers.kpis.cache import ResultCache
from koers.kpis.compute import compute
from koers.periods import parse_instant, parse_spec
from tests.conftest import GOLDEN
from tests.golden.cases import T0

KPIS = ["won_value", "win_rate", "target_attainment", "lead_response_sla", "cac"]


def _records(result):
    return result.rows.to_dict("records")


def _same_answer(got, want) -> bool:
    return _records(got) == _records(want) and list(got.rows.columns) == list(want.rows.columns)


def _golden_ws(tmp_ws):
    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    return tmp_ws


def _golden_cache(tmp_ws):
    """The golden workspace, a result cache on it, and the golden cases' moment."""
    ws = _golden_ws(tmp_ws)
    return ws, ResultCache(ws), parse_instant(T0, ws.settings().tz)


def test_cached_answers_equal_computed_ones(tmp_ws):
    ws, cache, as_of = _golden_cache(tmp_ws)
    settings = ws.settings()
    periods = parse_spec("2025-01..2025-04", "month")
    con = connect(ws)
    try:
        for by in ([], ["owner"]):
            want = compute(con, settings, KPIS[:3], periods, by, {}, as_of)
            got = cache.compute(KPIS[:3], periods, by, {}, as_of)
            assert _same_answer(got, want)
        for single in ("target_attainment", "lead_response_sla"):
            want = compute(con, settings, [single], periods, ["owner"], {}, as_of)
            got = cache.compute([single], periods, ["owner"], {}, as_of)
            assert _same_answer(got, want)
        both = cache.compute(["cac", "won_value"], periods, [], {}, as_of)
        assert _records(both) == _records(compute(con, settings, ["cac", "won_value"], periods, [], {}, as_of))
    finally:
        close(con)


def test_repeated_and_overlapping_questions_are_hits(tmp_ws):
    ws, cache, as_of = _golden_cache(tmp_ws)
    periods = parse_spec("2025-Q1", "month")
    first = cache.compute(["won_value", "win_rate"], periods, ["owner"], {}, as_of)
    assert (cache.hits, cache.misses) == (0, 2)
    again = cache.compute(["win_rate"], periods, ["owner"], {}, as_of)
    assert (cache.hits, cache.misses) == (1, 2)
    assert _records(again) == [r for r in _records(first) if r["kpi"] == "win_rate"]
    again.rows.loc[:, "value"] = None  # a caller's change stays out of the cache
    assert _records(cache.compute(["win_rate"], periods, ["owner"], {}, as_of)) == [
        r for r in _records(first) if r["kpi"] == "win_rate"]
    cache.compute(["win_rate"], periods, ["owner"], {}, parse_instant("2025-12-01", ws.settings().tz))
    assert cache.misses == 3  # another as-of moment is another question


def test_fewer_periods_are_cut_from_an_answer_over_more(tmp_ws):
    ws, cache, as_of = _golden_cache(tmp_ws)
    settings = ws.settings()
    cache.compute(["won_value", "win_rate"], parse_spec("2025-01..2025-06", "month"), ["owner"], {}, as_of)
    assert (cache.hits, cache.misses) == (0, 2)
    con = connect(ws)
    try:
        for spec in ("2025-02..2025-04", "2025-06", "2025-01..2025-06"):
            got = cache.compute(["win_rate", "won_value"], parse_spec(spec, "month"), ["owner"], {}, as_of)
            want = compute(con, settings, ["win_rate", "won_value"], parse_spec(spec, "month"), ["owner"], {}, as_of)
            assert _same_answer(got, want)
        assert (cache.hits, cache.misses) == (6, 2)
        # not a part of what was asked: another grain, a period beyond, another split
        cache.compute(["win_rate"], parse_spec("2025-Q1"), ["owner"], {}, as_of)
        cache.compute(["win_rate"], parse_spec("2025-06..2025-07", "month"), ["owner"], {}, as_of)
        cache.compute(["win_rate"], parse_spec("2025-03", "month"), [], {}, as_of)
        assert cache.misses == 5
    finally:
        close(con)


def test_an_answer_with_warnings_is_not_cut_for_fewer_periods(tmp_ws):
    ws, cache, as_of = _golden_cache(tmp_ws)
    cache.compute(["won_value"], parse_spec("2025-01..2025-06", "month"), [], {}, as_of)
    key = next(k for k in cache._entries if k[0] == "won_value")
    rows, _ = cache._entries[key]
    cache._entries[key] = (rows, ["a warning about 2025-01 alone"])
    cache.compute(["won_value"], parse_spec("2025-03", "month"), [], {}, as_of)
    assert cache.misses == 2


def test_a_settings_change_or_an_import_drops_the_answers(tmp_ws, tmp_path):
    ws, cache, as_of = _golden_cache(tmp_ws)
    periods = parse_spec("2025-Q1")
    before = _records(cache.compute(["lead_response_sla"], periods, [], {}, as_of))[0]["value"]
    ws.set_settings(response_sla_hours=1000.0)
    after = _records(cache.compute(["lead_response_sla"], periods, [], {}, as_of))[0]["value"]
    assert after > before and cache.misses == 2
    assert cache.settings().response_sla_hours == 1000.0

    state = cache.state()
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "reps.csv").write_text((GOLDEN / "reps.csv").read_text())
    lines = (GOLDEN / "leads.csv").read_text().splitlines()
    head, first = lines[0], lines[1].split(",")
    first[0] = "L_NEW"
    (folder / "leads.csv").write_text(head + "\n" + ",".join(first) + "\n")
    leads_before = cache.compute(["leads"], periods, [], {}, as_of).rows["value"][0]
    assert import_folder(ws, folder).rejected == 0
    assert cache.state() != state
    assert cache.compute(["leads"], periods, [], {}, as_of).rows["value"][0] == leads_before + 1


def _write_from_another_process(ws):
    writer = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('CREATE TABLE x AS SELECT 1'); c.close()"
    return subprocess.run([sys.executable, "-c", writer, str(ws.path)], capture_output=True, text=True)


def test_runs_for_one_moment_share_a_connection_let_go_when_idle(tmp_ws, monkeypatch):
    import koers.kpis.cache as cache_module

    ws = _golden_ws(tmp_ws)
    opened = []
    monkeypatch.setattr(cache_module, "connect", lambda w: opened.append(1) or connect(w))
    cache = ResultCache(ws, keep_open=0.3)
    as_of = parse_instant(T0, ws.settings().tz)
    cache.compute(["won_value"], parse_spec("2025-Q1"), [], {}, as_of)
    cache.compute(["win_rate"], parse_spec("2025-02"), ["owner"], {}, as_of)
    cache.drill("leads", parse_spec("2025-03")[0], as_of=as_of)
    assert len(opened) == 1  # one connection, its base tables built once
    time.sleep(0.8)
    done = _write_from_another_process(ws)
    assert done.returncode == 0, done.stderr
    cache.compute(["won_value"], parse_spec("2025-Q2"), [], {}, as_of)
    cache.compute(["won_value"], parse_spec("2025-Q2"), [], {}, parse_instant("2025-12-01", ws.settings().tz))
    assert len(opened) == 3  # reopened after the idle close, and for another moment
    cache.release()


def test_without_keep_open_the_workspace_is_free_after_every_run(tmp_ws):
    ws = _golden_ws(tmp_ws)
    cache = ResultCache(ws, keep_open=0)
    cache.compute(["won_value"], parse_spec("2025-Q1"), [], {}, parse_instant(T0, ws.settings().tz))
    done = _write_from_another_process(ws)
    assert done.returncode == 0, done.stderr


def test_a_drill_down_uses_the_base_tables_of_the_session_and_leaves_them(tmp_ws):
    from koers.kpis.drill import drill

    ws = _golden_ws(tmp_ws)
    cache = ResultCache(ws, keep_open=30)
    as_of = parse_instant(T0, ws.settings().tz)
    march = parse_spec("2025-03")[0]
    cache.compute(["won_value", "win_rate"], [march], ["owner"], {}, as_of)
    built = list(cache._session.shared["_views"])
    found = cache.drill("win_rate", march, {"owner": "R1"}, {}, as_of)
    views = cache._session.shared["_views"]
    # nothing built again, nothing dropped: a drill-down shows the team, which
    # the question by owner left out, so at most a view adds it
    assert views[:len(built)] == built
    temporary = {r[0] for r in cache._session.con.raw_sql(
        "SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    assert set(views[len(built):]) <= temporary
    with_team = list(views)
    cache.drill("win_rate", march, {"owner": "R2"}, {}, as_of)
    assert cache._session.shared["_views"] == with_team
    again = cache.drill("won_value", march, {}, {}, as_of, limit=10)
    con = connect(ws)
    try:
        direct = drill(con, ws.settings(), "win_rate", march, {"owner": "R1"}, {}, as_of)
        pd.testing.assert_frame_equal(found.rows, direct.rows)
        assert found.total == direct.total > 0
        assert again.total == drill(con, ws.settings(), "won_value", march, {}, {}, as_of).total
    finally:
        close(con)
        cache.release()


def test_a_kept_answer_does_not_wait_for_a_writer_that_waits_for_the_file(tmp_ws):
    """Only a run needs the file: an answer kept is given at once though a
    writer waits (store.writers_waiting) and runs hold back for it."""
    import fcntl

    from koers.store import Workspace

    _golden_ws(tmp_ws)
    cache = ResultCache(Workspace.open(str(tmp_ws.path), read_only=True), keep_open=5)
    periods, as_of = parse_spec("2025-01..2025-04", "month"), parse_instant(T0, tmp_ws.settings().tz)
    cache.compute(["won_value"], periods, [], {}, as_of)
    with open(f"{tmp_ws.path}.waiting-{os.getpid()}-1", "wb") as note:  # a writer waiting for the file
        fcntl.flock(note, fcntl.LOCK_EX)
        start = time.monotonic()
        cache.compute(["won_value"], periods, [], {}, as_of)
        assert time.monotonic() - start < 2 and cache.hits == 1
    cache.release()
