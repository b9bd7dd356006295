"""The app's one long-lived object: a workspace, its result cache, the
filters' choices and its data log, all following the workspace's state."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from koers.datalog import DataLog, data_log
from koers.kpis.cache import ResultCache
from koers.settings import Settings
from koers.store import Workspace
from koers.web.choices import Choices, ChoicesCache
from koers.web.params import minute

# how long pages without as_of keep asking at the same moment (the data unchanged)
PAGE_MOMENT_KEPT = timedelta(minutes=5)


class Cockpit:
    def __init__(self, workspace_url: str, keep_open: float = 5.0):
        # Read-only: `koers kpi` runs and exports read a DuckDB file beside the
        # pages; the settings form writes through its own way (set_settings).
        self.url = workspace_url
        self.ws = Workspace.open(workspace_url, read_only=True)
        self.cache = ResultCache(self.ws, keep_open=keep_open)
        self._choices = ChoicesCache(self.ws)
        self._log: tuple[str, DataLog] | None = None
        self._moment: tuple[str, datetime] | None = None
        self._lock = threading.Lock()

    def settings(self) -> Settings:
        return self.cache.settings()

    def choices(self) -> Choices:
        return self._choices.get(self.cache.state())

    def data_log(self) -> DataLog:
        """The imports and syncs, read again only when the workspace changed."""
        state = self.cache.state()
        with self._lock:
            if self._log is None or self._log[0] != state:
                self._log = (state, data_log(self.ws))
            return self._log[1]

    def page_moment(self, now: datetime) -> datetime:
        """The as-of moment of a page that names none: now to the minute, but
        while the workspace is unchanged the moment the pages were last asked
        at, up to PAGE_MOMENT_KEPT old, so that a new minute does not make
        every page a cold one. The footer says which moment a page shows."""
        state = self.cache.state()
        current = minute(now)
        with self._lock:
            if self._moment is not None and self._moment[0] == state:
                kept = self._moment[1]
                if timedelta(0) <= current - kept <= PAGE_MOMENT_KEPT:
                    return kept
            self._moment = (state, current)
            return current

    def set_settings(self, **values: object) -> Settings:
        """Write settings: the pages' connection is let go first (DuckDB
        refuses a writer in a program that reads the file) and stays closed
        until the write is done, as the cache's lock holds off the pages."""
        with self.cache.lock:
            self.cache.release()
            return Workspace.open(self.url).set_settings(**values)

    def close(self) -> None:
        self.cache.release()
