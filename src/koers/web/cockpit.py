"""The app's one long-lived object: a workspace, its result cache, the
filters' choices and its data log, all following the workspace's state."""

from __future__ import annotations

import threading

from koers.datalog import DataLog, data_log
from koers.kpis.cache import ResultCache
from koers.settings import Settings
from koers.store import Workspace
from koers.web.choices import Choices, ChoicesCache


class Cockpit:
    def __init__(self, workspace_url: str, keep_open: float = 5.0):
        self.ws = Workspace.open(workspace_url)
        self.cache = ResultCache(self.ws, keep_open=keep_open)
        self._choices = ChoicesCache(self.ws)
        self._log: tuple[str, DataLog] | None = None
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

    def close(self) -> None:
        self.cache.release()
