"""ResultCache: answers per workspace state, for a long-running server.

The key is the workspace's fingerprint (file metadata: an import or a
settings change alters it) plus the whole question, as-of moment included.
Results are kept per KPI, so a dashboard and a KPI page asking overlapping
questions share them; the KPIs missing from the cache are computed together
in one engine run, which shares its base tables between them. A question
over some of the periods of an answer kept is answered from that answer: a
period's figures do not depend on the other periods asked with it
(tests/test_period_ranges.py), so a card's 13 months also answer the
12-month trend of the KPI's page.

Base tables (the records as of T, with their dimensions) depend on the as-of
moment alone, so runs for the same moment share them: the connection and its
base tables stay open between runs, and are let go after `keep_open` idle
seconds, as a DuckDB file held open keeps `koers import` in another process
out; at once when a writer says it waits (store.writers_waiting), and a run
opens the file again only once that writer is in, or WRITER_FIRST_S later
(that writer may be waiting for another program). An answer kept never
waits.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

import pandas as pd

from koers.engines import close, connect
from koers.kpis.compare import targets
from koers.kpis.compute import Engine, Result, check_query, tidy
from koers.kpis.context import release_views
from koers.kpis.dimension_values import reps, unheld_warnings
from koers.kpis.drill import Drill, drill
from koers.periods import Period
from koers.settings import Settings
from koers.store import Workspace, now_utc

# how often a server holding the file idle looks for a writer waiting for it
WRITER_CHECK_S = 0.5
# how long a server lets one waiting writer go first: if that writer waits for
# another program, the pages must not wait with it for ever
WRITER_FIRST_S = 10.0


class _Session:
    """An open connection and the base tables built on it for one as-of moment."""

    def __init__(self, key: tuple, con):
        self.key = key
        self.con = con
        self.shared: dict = {"_views": []}

    def close(self) -> None:
        try:
            release_views(self.con, self.shared["_views"])
        finally:
            close(self.con)


class ResultCache:
    def __init__(self, ws: Workspace, max_entries: int = 4096, keep_open: float = 5.0):
        self.ws = ws
        self.max_entries = max_entries
        self.keep_open = keep_open
        self._session: _Session | None = None
        self._timer: threading.Timer | None = None
        self._idle_until = 0.0
        # each waiting writer's note -> until when this server lets it go first
        self._writers: dict[str, float] = {}
        self._writers_lock = threading.Lock()
        # held by a writer in this program too, so no page opens the file meanwhile
        self.lock = threading.RLock()
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        # (kpi, by, where, as_of) -> the period lists answered for it
        self._ranges: dict[tuple, list[tuple]] = {}
        self._state: str | None = None
        self._settings: Settings | None = None
        self.hits = 0
        self.misses = 0

    # -- state ---------------------------------------------------------------
    def state(self) -> str:
        """The fingerprint the cached answers belong to; a change drops them."""
        with self.lock:
            state = self.ws.fingerprint()
            if state != self._state:
                self._entries.clear()
                self._ranges.clear()
                self._settings = None
                self._state = state
                self.release()
            return state

    def release(self) -> None:
        """Let the workspace go: drop the base tables and close the connection."""
        with self.lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._session is not None:
                session, self._session = self._session, None
                session.close()

    def settings(self) -> Settings:
        with self.lock:
            self.state()
            if self._settings is None:
                self._settings = self.ws.settings()
            return self._settings

    # -- answers ---------------------------------------------------------------
    def compute(self, kpi_ids, periods: list[Period], by=(), where=None, as_of: datetime | None = None) -> Result:
        """As compute(), from the cache where the question was asked before
        in this workspace state."""
        kpi_ids, by, where = list(kpi_ids), list(by), dict(where or {})
        check_query(kpi_ids, by, where)
        as_of = as_of or now_utc()
        question = (tuple(periods), tuple(by), tuple(sorted(where.items())), as_of)

        def unanswered() -> list[str]:
            return [k for k in dict.fromkeys(kpi_ids)
                    if (k, *question) not in self._entries and not self._from_longer(k, question)]

        with self.lock:
            self.state()
            must_run = bool(unanswered())
        if must_run:  # an answer kept needs no file: only a run waits for a writer
            self._let_writers_in()
        with self.lock:
            self.state()
            missing = unanswered()
            self.hits += len(set(kpi_ids)) - len(missing)
            if missing:
                self.misses += len(missing)
                self._run(missing, periods, by, where, as_of, question)
            answers = [self._get((k, *question)) for k in kpi_ids]
        frames = [rows for rows, _ in answers]
        warnings = [w for _, ws in answers for w in ws]
        # one KPI's answer is already tidy: merging is only for several
        return Result(frames[0] if len(frames) == 1 else tidy(frames, by), warnings)

    def drill(self, kpi_id: str, period: Period, match=None, where=None, as_of: datetime | None = None,
              limit: int = 100, offset: int = 0, table: str | None = None) -> Drill:
        as_of = as_of or now_utc()
        key = ("drill", kpi_id, period, tuple(sorted((match or {}).items())),
               tuple(sorted((where or {}).items())), as_of, limit, offset, table)
        found = self._answer(key, as_of, lambda con, settings, shared: drill(
            con, settings, kpi_id, period, match, where, as_of, limit, offset, shared=shared, table=table))
        return Drill(found.kpi, found.table, found.rows.copy(), found.total, list(found.components),
                     list(found.tables))

    def targets(self, kpi_ids, periods: list[Period], by=(), where=None, as_of: datetime | None = None) -> Result:
        """compare.targets(): the targets alone, none of their actuals."""
        as_of = as_of or now_utc()
        key = ("targets", tuple(kpi_ids), tuple(periods), tuple(by), tuple(sorted((where or {}).items())), as_of)
        found = self._answer(key, as_of, lambda con, settings, shared: targets(
            con, settings, list(kpi_ids), periods, list(by), dict(where or {}), as_of, shared=shared))
        return Result(found.rows.copy(), list(found.warnings))

    def reps(self, as_of: datetime | None = None):
        """dimension_values.reps(): every rep's id, team and employment dates."""
        return self._answer(("reps",), as_of or now_utc(), lambda con, settings, shared: reps(con)).copy()

    def _answer(self, key: tuple, as_of: datetime, make):
        """The answer kept under `key`, or `make(con, settings, shared)`'s,
        run in the open session and kept."""
        with self.lock:
            self.state()
            must_run = key not in self._entries
        if must_run:  # an answer kept needs no file: only a run waits for a writer
            self._let_writers_in()
        with self.lock:
            self.state()
            if key in self._entries:
                self.hits += 1
            else:
                self.misses += 1
                settings = self.settings()  # before opening: it may find a new state and let go
                session = self._open(as_of)
                try:
                    self._put(key, make(session.con, settings, session.shared))
                finally:
                    self._idle_later()
            return self._get(key)

    def unheld(self, where: dict[str, str], what: str = "where") -> list[str]:
        """dimension_values.unheld_warnings, kept per workspace state: a
        warning for each filter value no record holds."""
        if not where:
            return []
        key = ("unheld", tuple(sorted(where.items())), what)
        with self.lock:
            self.state()
            must_run = key not in self._entries
        if must_run:
            self._let_writers_in()
        with self.lock:
            self.state()
            if key not in self._entries:
                # any as-of moment will do: the session open already, when there is one
                session = self._open(self._session.key[1] if self._session else now_utc())
                try:
                    self._put(key, unheld_warnings(session.con, where, what))
                finally:
                    self._idle_later()
            return list(self._get(key))

    # -- inside ----------------------------------------------------------------
    def _run(self, kpi_ids, periods, by, where, as_of, question) -> None:
        settings = self.settings()  # before opening: it may find a new state and let go
        session = self._open(as_of)
        engine = Engine(session.con, settings, periods, as_of, shared=session.shared)
        try:
            for k in kpi_ids:
                seen = len(engine.warnings)
                result = engine.compute([k], by, where)
                self._keep_answer(k, question, result.rows, list(engine.warnings[seen:]))
        finally:
            self._idle_later()

    def _tick(self) -> None:
        """While the file is held idle: let it go when the idle seconds are
        over, or a writer waits for it."""
        try:
            with self.lock:
                if self._timer is not threading.current_thread():  # a run since took the file again
                    return
                self._timer = None
                try:
                    writer = self._writer_first()
                except Exception:  # noqa: BLE001 - no note could be read: let the file go, as when idle
                    writer = True
                if time.monotonic() >= self._idle_until or writer:
                    self.release()
                else:
                    self._schedule()
        except Exception:  # noqa: BLE001 - at interpreter exit the connection may be gone already
            pass

    def _schedule(self) -> None:
        self._timer = threading.Timer(min(self.keep_open, WRITER_CHECK_S), self._tick)
        self._timer.daemon = True
        self._timer.start()

    def _open(self, as_of) -> _Session:
        key = (self._state, as_of)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._session is not None and (self._session.key != key or self._writer_first()):
            self.release()
        if self._session is None:
            self._session = _Session(key, connect(self.ws))
        return self._session

    def _writer_first(self) -> bool:
        """Whether a writer waits for the file that this server still lets
        go first (each for WRITER_FIRST_S from when it is first seen)."""
        notes, now = self.ws.writers_waiting(), time.monotonic()
        with self._writers_lock:
            self._writers = {n: self._writers.get(n, now + WRITER_FIRST_S) for n in notes}
            return any(now < until for until in self._writers.values())

    def _let_writers_in(self) -> None:
        """Before a run, and outside the lock (pages that compute nothing go
        on): wait while a writer this server lets go first waits, so that
        pages that keep coming do not keep an import out."""
        pause = 0.05
        while self._writer_first():
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _idle_later(self) -> None:
        if self.keep_open <= 0 or self._writer_first():
            self.release()
            return
        self._idle_until = time.monotonic() + self.keep_open
        self._schedule()

    def _from_longer(self, kpi_id: str, question: tuple) -> bool:
        """Keep the answer to `question` cut out of a kept answer over more
        periods, when there is one; whether there was."""
        periods, rest = question[0], question[1:]
        asked = set(periods)
        if not _plain(periods):
            return False
        kept = self._ranges.get((kpi_id, *rest), [])
        for longer in list(kept):
            found = self._entries.get((kpi_id, longer, *rest))
            if found is None:  # let go since
                kept.remove(longer)
                continue
            rows, warnings = found
            # a warning may be about a period not asked: the shorter question computes its own
            if asked <= set(longer) and not warnings and isinstance(rows, pd.DataFrame) and "period" in rows.columns:
                starts = {p.start for p in periods}
                cut = rows[rows["period"].isin(starts)].reset_index(drop=True)
                self._keep_answer(kpi_id, question, cut, [])
                return True
        return False

    def _keep_answer(self, kpi_id: str, question: tuple, rows, warnings: list[str]) -> None:
        """A KPI's answer, and its periods in the index `_from_longer` reads."""
        periods, rest = question[0], question[1:]
        if _plain(periods):
            kept = self._ranges.setdefault((kpi_id, *rest), [])
            if periods not in kept:
                kept.append(periods)
        self._put((kpi_id, *question), (rows, warnings))

    def _put(self, key, value) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _get(self, key):
        value = self._entries[key]
        self._entries.move_to_end(key)
        if isinstance(value, tuple):
            rows, warnings = value
            return rows.copy() if isinstance(rows, pd.DataFrame) else rows, list(warnings)
        return value


def _plain(periods: tuple) -> bool:
    """Periods whose rows are told apart by their start alone."""
    return all(type(p) is Period for p in periods) and len({p.start for p in periods}) == len(periods)
