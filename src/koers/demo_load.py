"""Put the demo company in a workspace through the ordinary import path,
so the demo data is validated like any customer's."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from koers.alerts import make_rule, save
from koers.importers.canonical import import_folder
from koers.periods import local_date
from koers.store import Workspace, now_utc


def load_demo(ws: Workspace, size: str, seed: int, on_step: Callable[[str], None] | None = None) -> dict[str, int]:
    from koers.demo import build_demo, write_folder
    from koers.demo.snapshots import record_past_snapshots

    until = demo_until(ws.settings().tz, now_utc())
    tables = build_demo(size=size, seed=seed, until=until)
    if on_step:
        on_step("importing the demo company")
    with tempfile.TemporaryDirectory(prefix="koers-demo-") as tmp:
        write_folder(tables, Path(tmp))
        result = import_folder(ws, Path(tmp), origin=f"koers demo --size {size} --seed {seed}")
    if result.rejected:
        raise RuntimeError(f"the demo company has {result.rejected} invalid rows: {result.rejects_path}")
    # the weekly imports it never had, so that koers changes has snapshots to compare
    with ws.writer(touches=(), reads=("opportunities", "stage_history")) as con:
        record_past_snapshots(con, until, ws.settings().tz)
    for rule in demo_rules():
        save(ws, rule, replace=True)
    if on_step:
        on_step("done")
    return ws.counts()


def demo_until(tz, now: datetime) -> date:
    """The day after the demo's last day of data: the first of the current
    month in the workspace's zone (`now` naive UTC), so its last month is
    the one the cockpit and the alerts call last month. The machine's own
    date would leave that month empty in the hours it is a month ahead of
    the machine (23:30 UTC on 30 November is 1 December in Amsterdam)."""
    return local_date(now, tz).replace(day=1)


def demo_rules() -> list:
    """Alert rules a sales manager of the demo company would keep, each of
    which catches one of its reps' profiles (koers.demo): the slow responder,
    the rep who loses after the quote, the over-forecaster; and the reps
    short of their target, and the pipeline shrinking. The demo's records
    end with last month, so every rule looks at a complete period."""
    return [
        make_rule("slow-response", "lead_response_time", above="4", by=["owner"]),
        make_rule("low-win-rate", "win_rate", below="20%", grain="quarter", by=["owner"]),
        make_rule("over-forecast", "forecast_accuracy", above="20%", by=["owner"]),
        make_rule("behind-target", "won_value", worse_than="target", by_more_than="10%", by=["owner"]),
        make_rule("pipeline-drop", "open_pipeline_value", worse_than="previous", by_more_than="10%"),
    ]
