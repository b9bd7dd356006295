"""run_sync: one connector run, from reading the vendor's API to the run log.

A connector only reads: `pull(markers)` returns a Batch of canonical rows
(text values in the canonical file formats, data-model.md) and the markers it
reached. Everything is read before anything is written, and the rows are
written by import_sources in one transaction together with the new markers
and the run log, so a network failure halfway leaves the workspace as it
was and the next run starts from the old markers and catches up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from koers.importers.canonical import ImportResult, Source, import_sources
from koers.model import TABLE_BY_NAME
from koers.store import Workspace, now_utc


class SyncError(Exception):
    """The vendor could not be read (network, credentials, API error); nothing was written."""


@dataclass
class Batch:
    """What one run read.

    rows: canonical table -> rows (canonical column -> text value or None).
    raw: canonical table -> the vendor's record each row came from (same order),
         kept in the rejects folder when the row is rejected.
    read: vendor model -> records read, for the run log and the progress line.
    markers: vendor model -> the change marker reached (e.g. the highest
         write_date seen); stored only when the run lands.
    """

    rows: dict[str, list[dict]] = field(default_factory=dict)
    raw: dict[str, list[dict]] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)

    def add(self, table: str, row: dict, raw: dict | None = None) -> None:
        self.rows.setdefault(table, []).append(row)
        self.raw.setdefault(table, []).append(raw if raw is not None else row)


@dataclass
class SyncRun:
    run_id: str
    source: str
    result: ImportResult
    read: dict[str, int]
    markers: dict[str, str]


def markers(ws: Workspace, source: str) -> dict[str, str]:
    with ws.meta_reader("koers_sync_state") as con:
        return dict(con.execute("SELECT model, marker FROM koers_sync_state WHERE source = ?", [source]).fetchall())


def sync_log(ws: Workspace, source: str | None = None, limit: int = 20) -> list[dict]:
    """The last `limit` runs (newest first), one row per run and table."""
    where = "WHERE source = ?" if source else ""
    params = [source] if source else []
    with ws.meta_reader("koers_sync_log") as con:
        cur = con.execute(
            f"""SELECT l.* FROM koers_sync_log l
                JOIN (SELECT run_id, max(started_at) AS s FROM koers_sync_log {where}
                      GROUP BY run_id ORDER BY s DESC LIMIT {int(limit)}) r USING (run_id)
                ORDER BY l.started_at DESC, l.run_id, l.tbl""",
            params,
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def run_sync(
    ws: Workspace, source: str, pull: Callable[[dict[str, str]], Batch],
    on_table: Callable[[str, int], None] | None = None,
) -> SyncRun:
    """Read with `pull` from the stored markers, then import and record the run."""
    run_id = now_utc().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = now_utc()
    try:
        batch = pull(markers(ws, source))
    except Exception as e:
        _log_failure(ws, run_id, source, started, e)
        raise
    sources = [_source(source, table, rows, batch.raw.get(table, rows))
               for table, rows in batch.rows.items() if rows]

    def record(con, result: ImportResult) -> None:
        for model, marker in batch.markers.items():
            con.execute("INSERT OR REPLACE INTO koers_sync_state VALUES (?, ?, ?)", [source, model, marker])
        finished = now_utc()
        tables = result.tables or []
        for t in tables:
            con.execute(
                "INSERT INTO koers_sync_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', NULL)",
                [run_id, source, started, finished, t.table, t.read, t.written, t.rejected, result.import_id],
            )
        if not tables:  # nothing changed since the last run: the run is still on record
            con.execute(
                "INSERT INTO koers_sync_log VALUES (?, ?, ?, ?, NULL, 0, 0, 0, ?, 'ok', 'no changes')",
                [run_id, source, started, finished, result.import_id],
            )

    result = import_sources(ws, sources, f"sync {source}", on_table, after=record)
    return SyncRun(run_id, source, result, batch.read, batch.markers)


def _source(source: str, table: str, rows: list[dict], raw: list[dict]) -> Source:
    columns = TABLE_BY_NAME[table].column_names
    frame = pd.DataFrame([{c: _text(r.get(c)) for c in columns} for r in rows], columns=columns)
    frame.insert(0, "_line", range(1, len(rows) + 1))
    name = f"{source}-{table}"

    def keep(lines: set[int], out: Path) -> None:
        with open(out / f"{name}.rejected.jsonl", "w", encoding="utf-8") as f:
            for line in sorted(lines):
                f.write(json.dumps({"line": line, "record": raw[line - 1]}, default=str, ensure_ascii=False) + "\n")

    return Source(table, name, rows=frame, size=len(rows), keep_rejected=keep)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _log_failure(ws: Workspace, run_id: str, source: str, started, error: Exception) -> None:
    with ws.writer(touches=()) as con:
        con.execute(
            "INSERT INTO koers_sync_log VALUES (?, ?, ?, ?, NULL, 0, 0, 0, NULL, 'failed', ?)",
            [run_id, source, started, now_utc(), f"{type(error).__name__}: {error}"[:500]],
        )
