"""What came into a workspace and when: its imports and sync runs, newest
first, and whether the last run of a sync failed. The cockpit shows it so a
sales manager knows how fresh the figures are before trusting them."""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from koers.store import Workspace


@dataclass
class DataLog:
    imports: pd.DataFrame  # koers_imports, newest first
    syncs: pd.DataFrame  # koers_sync_log, newest run first, a row per run and table

    @property
    def last_import(self) -> dict | None:
        return None if self.imports.empty else self.imports.iloc[0].to_dict()

    def failing_syncs(self) -> list[dict]:
        """Per source whose latest run failed: that run (when, message)."""
        if self.syncs.empty:
            return []
        latest = self.syncs.sort_values("started_at", ascending=False).drop_duplicates("source")
        return latest[latest["status"] == "failed"].to_dict("records")

    def runs(self) -> pd.DataFrame:
        """One row per sync run: its tables' rows read, written and rejected summed."""
        if self.syncs.empty:
            return pd.DataFrame(columns=["run_id", "source", "started_at", "finished_at", "read", "written",
                                         "rejected", "status", "message"])
        g = self.syncs.groupby(["run_id", "source", "status"], dropna=False, sort=False)
        runs = g.agg(started_at=("started_at", "min"), finished_at=("finished_at", "max"),
                     read=("rows_read", "sum"), written=("rows_written", "sum"),
                     rejected=("rows_rejected", "sum"), message=("message", "first")).reset_index()
        return runs.sort_values("started_at", ascending=False, kind="stable").reset_index(drop=True)


def data_log(ws: Workspace) -> DataLog:
    imports = ws.meta("koers_imports").sort_values("imported_at", ascending=False, kind="stable")
    syncs = ws.meta("koers_sync_log").sort_values("started_at", ascending=False, kind="stable")
    return DataLog(imports.reset_index(drop=True), syncs.reset_index(drop=True))


def logged_import(log: DataLog, import_id: str) -> dict | None:
    """One import's line of the log."""
    found = log.imports[log.imports["import_id"] == import_id]
    return None if found.empty else found.iloc[0].to_dict()


def rejects_file(ws: Workspace, logged: dict) -> Path | None:
    """Where an import's rejects are: beside the workspace, under the import's
    id (the path logged is as the import named it, relative to where it ran,
    which may not hold from here); None when they are gone."""
    for candidate in (ws.rejects_dir() / logged["import_id"] / "rejects.csv", Path(logged["rejects_path"] or "")):
        if candidate.name == "rejects.csv" and candidate.is_file():
            return candidate
    return None


def count_rejects(path: Path) -> int:
    """The lines of a rejects file: one per rejected row (a file of an import
    before Koers wrote one line per row has one per problem)."""
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


REJECT_FIELDS = ("file", "line", "column", "value", "reason")  # a rejects file's columns (cli.md)


def read_rejects(path: Path, limit: int | None = None, offset: int = 0) -> list[dict]:
    """Rows of a rejects file (REJECT_FIELDS), `limit` (None: all) from
    `offset`; the line a number, an empty field None."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(itertools.islice(csv.DictReader(f), offset, None if limit is None else offset + limit))
    return [{k: (int(v) if k == "line" and v.isdigit() else v or None) for k, v in r.items()} for r in rows]


def local_instant(moment: datetime | None, tz) -> datetime | None:
    """A stored UTC moment (naive) as local time of the workspace zone, with its offset."""
    if moment is None or pd.isna(moment):
        return None
    from datetime import timezone

    return pd.Timestamp(moment).to_pydatetime().replace(tzinfo=timezone.utc).astimezone(tz)


def local_text(moment: datetime | None, tz) -> str:
    """A stored UTC moment as local time of the workspace zone."""
    local = local_instant(moment, tz)
    return "–" if local is None else local.strftime("%Y-%m-%d %H:%M")
