"""The app's one long-lived object: a workspace, its result cache and the
filters' choices, all following the workspace's state."""

from __future__ import annotations

from koers.kpis.cache import ResultCache
from koers.settings import Settings
from koers.store import Workspace
from koers.web.choices import Choices, ChoicesCache


class Cockpit:
    def __init__(self, workspace_url: str, keep_open: float = 5.0):
        self.ws = Workspace.open(workspace_url)
        self.cache = ResultCache(self.ws, keep_open=keep_open)
        self._choices = ChoicesCache(self.ws)

    def settings(self) -> Settings:
        return self.cache.settings()

    def choices(self) -> Choices:
        return self._choices.get(self.cache.state())

    def close(self) -> None:
        self.cache.release()
