"""What the filters offer: reps by name, teams, products, regions, sources,
segments, and the funnel's stages in order; and how reps and customers are
named on a page.

Read through the engine (Ibis expressions, no SQL) and kept per workspace
state, like the cache's answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from koers.engines import close, connect
from koers.kpis import dimension_values
from koers.store import Workspace

# the filters whose values the records hold, each in several tables
FILTERED = ("product", "region", "source", "segment")


@dataclass
class Choices:
    reps: dict[str, str] = field(default_factory=dict)  # rep_id -> name
    rep_team: dict[str, str | None] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # product, region, source, segment
    stages: list[tuple[str, str]] = field(default_factory=list)  # (stage, kind) in funnel order
    customers: dict[str, str] = field(default_factory=dict)  # customer_id -> name

    def options(self, dim: str) -> list[tuple[str, str]]:
        """(value, label) pairs for a filter's select."""
        if dim == "owner":
            return sorted(self.reps.items(), key=lambda kv: kv[1])
        if dim == "team":
            return [(t, t) for t in self.teams]
        return [(v, v) for v in self.values.get(dim, [])]

    def name(self, dim: str, value) -> str:
        """How a dimension value reads on a page: reps by name."""
        if value is None or value == "":
            return "–"
        if dim == "owner":
            return self.reps.get(value, value)
        if dim == "customer":
            return self.customers.get(value) or str(value)
        return str(value)


def read_choices(ws: Workspace) -> Choices:
    con = connect(ws)
    try:
        reps = con.table("reps").select("rep_id", "name", "team").execute()
        found = Choices(
            reps=dict(zip(reps["rep_id"], reps["name"])),
            rep_team=dict(zip(reps["rep_id"], reps["team"])),
            teams=sorted({t for t in reps["team"] if isinstance(t, str)}),
        )
        for dim in FILTERED:
            found.values[dim] = dimension_values.values(con, dim)
        stages = con.table("stages").order_by("sequence").select("stage", "kind").execute()
        found.stages = list(zip(stages["stage"], stages["kind"]))
        customers = con.table("customers").select("customer_id", "name").execute()
        found.customers = dict(zip(customers["customer_id"], customers["name"]))
        return found
    finally:
        close(con)


class ChoicesCache:
    def __init__(self, ws: Workspace):
        self.ws = ws
        self._lock = threading.Lock()
        self._state: str | None = None
        self._choices: Choices | None = None

    def get(self, state: str) -> Choices:
        with self._lock:
            if self._choices is None or state != self._state:
                self._choices, self._state = read_choices(self.ws), state
            return self._choices
