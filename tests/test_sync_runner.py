"""The sync runner every connector uses: read first, write in one transaction,
markers and run log with the rows; a failure leaves the workspace as it was."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.connectors.runner import Batch, SyncError, markers, run_sync, sync_log
from koers.connectors.secrets import secret

REPS = [
    {"rep_id": "R1", "name": "Anna", "team": "North", "role": "account_manager", "hired_on": "2024-01-01"},
    {"rep_id": "R2", "name": "Bram", "team": "North", "role": "account_manager", "hired_on": "2024-02-30"},
]


def pull_reps(rows, marker="2025-01-01 10:00:00"):
    def pull(seen: dict[str, str]) -> Batch:
        batch = Batch(read={"res.users": len(rows)}, markers={"res.users": marker})
        for r in rows:
            batch.add("reps", r, raw={"id": r["rep_id"], "vendor": True})
        return batch

    return pull


def test_a_run_lands_good_rows_keeps_rejected_ones_and_records_markers_and_log(tmp_ws):
    done = run_sync(tmp_ws, "fake", pull_reps(REPS))
    assert [(t.table, t.read, t.written, t.rejected) for t in done.result.tables] == [("reps", 2, 1, 1)]
    assert markers(tmp_ws, "fake") == {"res.users": "2025-01-01 10:00:00"}
    kept = (done.result.rejects_path.parent / "fake-reps.rejected.jsonl").read_text().splitlines()
    assert json.loads(kept[0]) == {"line": 2, "record": {"id": "R2", "vendor": True}}
    log = sync_log(tmp_ws)
    assert [(r["source"], r["tbl"], r["rows_read"], r["rows_written"], r["rows_rejected"], r["status"])
            for r in log] == [("fake", "reps", 2, 1, 1, "ok")]


def test_a_second_identical_run_writes_nothing_and_is_logged(tmp_ws):
    run_sync(tmp_ws, "fake", pull_reps(REPS[:1]))
    again = run_sync(tmp_ws, "fake", pull_reps(REPS[:1], marker="2025-01-02 00:00:00"))
    assert again.result.written == 0
    assert markers(tmp_ws, "fake") == {"res.users": "2025-01-02 00:00:00"}
    assert len({r["run_id"] for r in sync_log(tmp_ws)}) == 2


def test_a_pull_gets_the_stored_markers(tmp_ws):
    run_sync(tmp_ws, "fake", pull_reps(REPS[:1]))
    seen = {}

    def pull(m):
        seen.update(m)
        return Batch()

    run_sync(tmp_ws, "fake", pull)
    assert seen == {"res.users": "2025-01-01 10:00:00"}
    assert sync_log(tmp_ws)[0]["message"] == "no changes"


def test_a_failure_while_reading_writes_no_rows_and_no_markers_but_is_logged(tmp_ws):
    run_sync(tmp_ws, "fake", pull_reps(REPS[:1]))
    before = tmp_ws.counts()

    def pull(m):
        raise SyncError("connection reset after 200 records")

    with pytest.raises(SyncError):
        run_sync(tmp_ws, "fake", pull)
    assert tmp_ws.counts() == before
    assert markers(tmp_ws, "fake") == {"res.users": "2025-01-01 10:00:00"}
    failed = sync_log(tmp_ws)[0]
    assert failed["status"] == "failed" and "connection reset" in failed["message"]


def test_sync_log_on_the_command_line(tmp_ws):
    run_sync(tmp_ws, "fake", pull_reps(REPS))
    res = CliRunner().invoke(app, ["sync", "log", "--workspace", tmp_ws.url, "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "run_id,source,started_at,finished_at,table,read,written,rejected,import_id,status,message"
    assert ",fake," in lines[1] and ",reps,2,1,1," in lines[1]
    res = CliRunner().invoke(app, ["sync", "log", "--workspace", tmp_ws.url, "--limit", "0"])
    assert res.exit_code == 2


def test_secrets_come_from_the_environment_or_an_owner_only_file(tmp_path, monkeypatch):
    monkeypatch.delenv("KOERS_TEST_KEY", raising=False)
    cfg = tmp_path / "credentials.toml"
    monkeypatch.setenv("KOERS_CONFIG", str(cfg))
    with pytest.raises(SyncError, match="set KOERS_TEST_KEY"):
        secret("KOERS_TEST_KEY", "odoo", "api_key")
    cfg.write_text('[odoo]\napi_key = "from-file"\n')
    os.chmod(cfg, 0o644)
    with pytest.raises(SyncError, match="chmod 600"):
        secret("KOERS_TEST_KEY", "odoo", "api_key")
    os.chmod(cfg, stat.S_IRUSR | stat.S_IWUSR)
    assert secret("KOERS_TEST_KEY", "odoo", "api_key") == "from-file"
    monkeypatch.setenv("KOERS_TEST_KEY", "from-env")
    assert secret("KOERS_TEST_KEY", "odoo", "api_key") == "from-env"
