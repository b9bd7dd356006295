"""Import and export of canonical folders: validation, idempotence, atomicity."""

from __future__ import annotations

import csv
import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from koers.cli import app
from koers.importers import canonical
from koers.importers.canonical import export_folder, import_folder
from koers.importers.validate import raw
from koers.kpis import derived
from koers.model import TABLES
from tests.conftest import GOLDEN


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text(text.strip() + "\n", encoding="utf-8")


def rejects(result) -> list[dict]:
    with open(result.rejects_path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def table_rows(ws, name: str) -> list[tuple]:
    return tables_rows(ws, [name])[name]


def tables_rows(ws, names) -> dict[str, list[tuple]]:
    """Each table's rows, through one reader: a PostgreSQL workspace's
    reader copies its tables in each time it opens (5 s for every table of
    the golden data, read one reader a table)."""
    with ws.reader() as con:
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names}


BASE_REPS = """
rep_id,name,email,team,role,manager_id,hired_on,left_on
R1,Anna de Vries,anna@example.nl,Noord,sales_manager,,2024-01-01,
R2,Bram Jansen,,Noord,inside_sales,R1,2024-02-01,
"""


def test_bad_rows_are_rejected_with_file_line_column_value_reason(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS + "R3,Cas,,Zuid,wizard,,2024-13-01,\nR2,Dup,,Noord,other,,2024-01-01,\n,Nameless,,,,,2024-01-01,")
    write(src, "stages", "stage,sequence,probability,kind,forecast_category\nNew,1,10,open,pipeline\nWon,9,100,won,commit")
    write(
        src,
        "leads",
        "lead_id,created_at,owner_id,source\nL1,2025-03-04T09:15:00,R1,web\nL2,yesterday,R1,web\nL3,2025-03-04T09:15:00,R9,web",
    )
    write(
        src,
        "opportunities",
        "opportunity_id,lead_id,owner_id,created_at,closed_at,status,stage,amount,currency\n"
        "O1,L1,R1,2025-03-05T10:00:00,,open,New,1000,\n"
        "O2,L1,R1,2025-03-05T10:00:00,,won,Won,1000,\n"
        "O3,L1,R1,2025-03-05T10:00:00,,open,New,-5,\n"
        "O4,L1,R1,2025-03-05T10:00:00,,open,New,100,USD\n"
        "O5,L1,R1,2025-03-05T10:00:00,,open,New,\"1.000,50\",",
    )
    result = import_folder(tmp_ws, src)
    found = {(r["file"], r["line"], r["column"]): r for r in rejects(result)}
    assert found[("reps.csv", "4", "role")]["value"] == "wizard"
    assert "not one of" in found[("reps.csv", "4", "role")]["reason"]
    # one line per rejected row (cli.md): its first problem in the file's column order, the others after it
    assert "; also hired_on '2024-13-01': not a date" in found[("reps.csv", "4", "role")]["reason"]
    assert len(rejects(result)) == result.rejected == len({(r["file"], r["line"]) for r in rejects(result)})
    assert "duplicate of line 3" in found[("reps.csv", "5", "rep_id")]["reason"]
    assert found[("reps.csv", "6", "rep_id")]["reason"] == "required value missing"
    assert found[("leads.csv", "3", "created_at")]["value"] == "yesterday"
    assert found[("leads.csv", "4", "owner_id")]["reason"] == "no reps row has this rep_id"
    assert "required when status is won" in found[("opportunities.csv", "3", "closed_at")]["reason"]
    assert found[("opportunities.csv", "4", "amount")]["reason"] == "must be >= 0"
    assert "no exchange rate for USD" in found[("opportunities.csv", "5", "currency")]["reason"]
    assert found[("opportunities.csv", "6", "amount")]["value"] == "1.000,50"
    # good rows landed, rejected ones are kept as they came
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R1", "R2"]
    assert [r[0] for r in table_rows(tmp_ws, "opportunities")] == ["O1"]
    kept = (result.rejects_path.parent / "opportunities.csv").read_text()
    assert "O5" in kept and "1.000,50" in kept
    assert result.rejected == 3 + 2 + 4


def test_reimport_changes_nothing_and_newer_export_updates(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    first = import_folder(tmp_ws, src)
    assert first.written == 2
    before = table_rows(tmp_ws, "reps")
    again = import_folder(tmp_ws, src)
    assert again.written == 0 and again.rejected == 0
    assert table_rows(tmp_ws, "reps") == before
    write(src, "reps", BASE_REPS.replace("inside_sales,R1,2024-02-01,", "inside_sales,R1,2024-02-01,2025-06-01"))
    newer = import_folder(tmp_ws, src)
    assert newer.written == 1
    rows = table_rows(tmp_ws, "reps")
    assert len(rows) == 2 and str(rows[1][7]) == "2025-06-01"


def test_an_import_killed_halfway_leaves_the_workspace_as_before(tmp_ws, tmp_path, monkeypatch):
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    import_folder(tmp_ws, src)
    shutil.copytree(GOLDEN, tmp_path / "golden")
    calls = []
    real = canonical._import_table

    def dying(con, table, *args):
        calls.append(table.name)
        if table.name == "opportunities":
            raise KeyboardInterrupt("killed")
        return real(con, table, *args)

    monkeypatch.setattr(canonical, "_import_table", dying)
    with pytest.raises(KeyboardInterrupt):
        import_folder(tmp_ws, tmp_path / "golden")
    assert "leads" in calls  # tables before it were written inside the transaction
    assert table_rows(tmp_ws, "leads") == []
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R1", "R2"]


def test_export_then_import_gives_the_same_workspace(tmp_path):
    from koers.store import Workspace

    a = Workspace.open(str(tmp_path / "a.duckdb"))
    assert import_folder(a, GOLDEN).rejected == 0
    export_folder(a, tmp_path / "out")
    b = Workspace.open(str(tmp_path / "b.duckdb"))
    assert import_folder(b, tmp_path / "out").rejected == 0
    for t in TABLES:
        assert table_rows(a, t.name) == table_rows(b, t.name), t.name
    # the history rows Koers made (O18 came without) stay made ones
    assert table_rows(a, "koers_generated_history") == table_rows(b, "koers_generated_history") != []
    # and the exported folder is a fixed point
    export_folder(b, tmp_path / "out2")
    for name in [t.name for t in TABLES] + ["koers_made_history", "koers_settings"]:
        assert (tmp_path / "out" / f"{name}.csv").read_text() == (tmp_path / "out2" / f"{name}.csv").read_text()


def _mailed(ws, rows: list[tuple]) -> None:
    with ws.writer(touches=()) as con:
        con.executemany("INSERT INTO koers_alert_mail VALUES (?, ?, ?, ?, ?, ?)", rows)


def exported_with_own_rows(tmp_path: Path):
    """A workspace of the golden data with an alert rule and a mail sent
    (at a moment with microseconds), and its export: (workspace, folder)."""
    from datetime import datetime

    from koers import alerts
    from koers.store import Workspace

    ws = Workspace.open(str(tmp_path / "exported.duckdb"))
    import_folder(ws, GOLDEN)
    alerts.save(ws, alerts.make_rule("slow", "lead_response_time", above="4", by=["owner"]))
    _mailed(ws, [("slow", "f", "2025-03", "owner=R1", "a@x.nl", datetime(2025, 4, 1, 6, 0, 0, 250))])
    export_folder(ws, tmp_path / "out")
    return ws, tmp_path / "out"


def assert_moved_with_own_rows(source, moved, folder: Path) -> None:
    """`moved`, importing `source`'s export `folder`, holds its rules and
    mails, and its import log and snapshots beside its own; a second import
    of the folder adds nothing (a move to Spark or PostgreSQL)."""
    assert import_folder(moved, folder).rejected == 0
    names = ["koers_alert_rules", "koers_alert_mail", "koers_imports", "koers_snapshots"]
    was, now = tables_rows(source, names), tables_rows(moved, names)
    for name in names[:2]:
        assert now[name] == was[name], name
    for name in names[2:]:
        assert set(was[name]) < set(now[name]), name
    assert import_folder(moved, folder).written == 0


def test_koers_own_tables_travel_with_an_export(tmp_path):
    """The alert rules, the import log, the pipeline's snapshots and the
    mail log cannot be made again from the sales data: an export carries
    them, and an import takes what the workspace lacks, once."""
    from datetime import datetime

    from koers import alerts, pipeline_changes
    from koers.store import Workspace

    a = Workspace.open(str(tmp_path / "a.duckdb"))
    import_folder(a, GOLDEN)
    alerts.save(a, alerts.make_rule("slow", "lead_response_time", above="4", by=["owner"]))
    alerts.save(a, alerts.make_rule("behind", "won_value", worse_than="target", by_more_than="10%", by=["team"]))
    # a mail sent at a moment with microseconds, to a name with a comma
    _mailed(a, [("slow", "f1", "2025-03", "owner=R1", "Ann, de Vries <ann@x.nl>", datetime(2025, 4, 1, 6, 0, 0, 123456))])
    export_folder(a, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("koers_*.csv")) == [
        "koers_alert_mail.csv", "koers_alert_rules.csv", "koers_imports.csv", "koers_made_history.csv",
        "koers_settings.csv", "koers_snapshots.csv"]

    b = Workspace.open(str(tmp_path / "b.duckdb"))
    result = import_folder(b, tmp_path / "out")
    assert result.rejected == 0 and result.warnings == []
    written = {t.table: t.written for t in result.tables}
    assert written["koers_alert_rules"] == 2 and written["koers_imports"] == 1 and written["koers_alert_mail"] == 1
    assert written["koers_snapshots"] == len(table_rows(a, "koers_snapshots")) > 0
    for name in ("koers_alert_rules", "koers_alert_mail"):
        assert table_rows(b, name) == table_rows(a, name), name
    # a's import, its moment to the microsecond, and its snapshot beside b's own
    assert set(table_rows(a, "koers_imports")) < set(table_rows(b, "koers_imports"))
    assert set(table_rows(a, "koers_snapshots")) < set(table_rows(b, "koers_snapshots"))
    with a.reader() as ca, b.reader() as cb:
        assert pipeline_changes.snapshots(ca)[0] == pipeline_changes.snapshots(cb)[0]

    again = import_folder(b, tmp_path / "out")
    assert again.written == 0 and again.rejected == 0

    # a rule the workspace holds under the name stays, and the import says so
    c = Workspace.open(str(tmp_path / "c.duckdb"))
    alerts.save(c, alerts.make_rule("slow", "lead_response_time", above="8"))
    result = import_folder(c, tmp_path / "out")
    assert "koers_alert_rules.csv: the workspace has its own rule named slow, which differs from the export's: " \
           "the workspace's is kept (koers alerts list shows it)" in result.warnings
    assert {r.name: r.threshold for r in alerts.rules(c)} == {"slow": 8.0, "behind": 0.1}

    # the exported folder is a fixed point, but for the imports that wrote b
    export_folder(b, tmp_path / "out2")
    for name in ("koers_alert_rules", "koers_alert_mail"):
        assert (tmp_path / "out" / f"{name}.csv").read_text() == (tmp_path / "out2" / f"{name}.csv").read_text()
    before = (tmp_path / "out" / "koers_snapshots.csv").read_text().splitlines()
    assert set(before) < set((tmp_path / "out2" / "koers_snapshots.csv").read_text().splitlines())


def test_a_carried_row_that_does_not_read_is_rejected_named_and_kept(tmp_path):
    from koers import alerts
    from koers.store import Workspace

    a, out = exported_with_own_rows(tmp_path)
    rules = (out / "koers_alert_rules.csv").read_text()
    gone = rules.splitlines()[1].replace("slow", "gone").replace("lead_response_time", "no_such_kpi")
    (out / "koers_alert_rules.csv").write_text(rules + gone + "\nodd,not json\n" + rules.splitlines()[1] + "\n")
    snapshots = (out / "koers_snapshots.csv").read_text().splitlines()
    fields = snapshots[1].split(",")
    fields[4] = "lots"  # the amount
    (out / "koers_snapshots.csv").write_text("\n".join([*snapshots[:2], ",".join(fields), "a,b\n"]))

    b = Workspace.open(str(tmp_path / "b.duckdb"))
    result = import_folder(b, out)
    found = {(r["file"], r["line"]): r for r in rejects(result)}
    assert found[("koers_alert_rules.csv", "3")]["reason"].startswith(
        "not a rule this Koers can check: unknown KPI no_such_kpi")
    assert found[("koers_alert_rules.csv", "4")]["reason"].startswith("not a rule as Koers writes one")
    assert found[("koers_alert_rules.csv", "5")]["reason"] == "duplicate of line 2"
    assert (found[("koers_snapshots.csv", "3")]["column"], found[("koers_snapshots.csv", "3")]["value"],
            found[("koers_snapshots.csv", "3")]["reason"]) == ("amount", "lots", "not a number")
    assert found[("koers_snapshots.csv", "4")]["reason"].startswith("malformed CSV line")
    assert result.rejected == 5 == len(found)
    # the good rows landed, the rejected ones are kept as they came
    assert [r.name for r in alerts.rules(b)] == ["slow"]
    with b.reader() as con:
        assert con.execute("SELECT count(*) FROM koers_snapshots WHERE import_id = ?",
                           [fields[0]]).fetchone()[0] == 1
    kept = (result.rejects_path.parent / "koers_snapshots.csv").read_text()
    assert "lots" in kept and "a,b" in kept

    (out / "koers_imports.csv").write_text("import_id,source\nX,here\n")
    with pytest.raises(canonical.ImportError_, match="koers_imports.csv: the file has no column imported_at"):
        import_folder(b, out)


def test_a_carried_file_edited_by_hand_loses_nothing_and_names_its_own_lines(tmp_path):
    """A row rejected from a snapshot leaves the rest of it taken, and the
    corrected file adds that row; lines are the file's own past a blank
    line or a value over two lines; mixed line ends, an empty file and an
    extra column read as for a canonical file; a moment needs its zone."""
    from koers import alerts
    from koers.store import Workspace

    a, out = exported_with_own_rows(tmp_path)
    good = (out / "koers_snapshots.csv").read_text()
    rows = good.splitlines()
    assert len(rows) > 4
    at = rows[2].split(",")
    at[1] = at[1].replace("Z", "")  # no zone
    imports = (out / "koers_imports.csv").read_text().splitlines()
    wrong = imports[1].split(",")
    wrong[1] = "2026-13-01T02:01:23Z"
    (out / "koers_imports.csv").write_text("\n".join([imports[0], ",".join(wrong)]) + "\n")
    rules = (out / "koers_alert_rules.csv").read_text().splitlines()
    (out / "koers_alert_rules.csv").write_text(f"{rules[0]},note\n{rules[1]},\"two\nlines\"\n\nnoname,x,\n")
    # CR LF on two lines only, a blank line, and the row without a zone after them
    (out / "koers_snapshots.csv").write_text(f"{rows[0]}\r\n{rows[1]}\r\n\n{','.join(at)}\n" + "\n".join(rows[3:]) + "\n")
    (out / "koers_alert_mail.csv").write_text("")

    b = Workspace.open(str(tmp_path / "b.duckdb"))
    result = import_folder(b, out)
    found = [(r["file"], r["line"], r["column"], r["reason"]) for r in rejects(result)]
    assert found == [
        ("koers_alert_rules.csv", "5", "rule", "not a rule as Koers writes one (Expecting value: line 1 column 1 "
                                               "(char 0))"),
        ("koers_imports.csv", "2", "imported_at", "not a moment with its zone (2025-07-01T09:00:00.000000Z)"),
        ("koers_snapshots.csv", "4", "taken_at", "not a moment with its zone (2025-07-01T09:00:00.000000Z)")]
    assert "koers_alert_mail.csv: the file is empty, so it brings no rows" in result.warnings
    assert "koers_alert_rules.csv: column 'note' is not one Koers writes, ignored" in result.warnings
    assert [r.name for r in alerts.rules(b)] == ["slow"]
    taken = len(table_rows(b, "koers_snapshots"))
    # the file put right, the import adds what it rejected before, and nothing else
    (out / "koers_snapshots.csv").write_text(good)
    (out / "koers_imports.csv").write_text("\n".join(imports) + "\n")
    again = import_folder(b, out)
    assert {t.table: t.written for t in again.tables if t.table.startswith("koers_")} == {
        "koers_alert_rules": 0, "koers_imports": 1, "koers_snapshots": 1}
    assert len(table_rows(b, "koers_snapshots")) == taken + 1 + len(table_rows(a, "koers_snapshots"))
    assert set(table_rows(a, "koers_snapshots")) < set(table_rows(b, "koers_snapshots"))

    (out / "koers_alert_rules.csv").write_text("name,name,rule\n")
    with pytest.raises(canonical.ImportError_, match="koers_alert_rules.csv: the header names column 'name' twice "
                                                     "\\(columns 1 and 2\\); keep one"):
        import_folder(b, out)


def test_a_check_reports_a_carried_file_s_rejects_and_writes_nothing(tmp_path):
    from koers.store import Workspace

    exported_with_own_rows(tmp_path)
    with open(tmp_path / "out" / "koers_alert_rules.csv", "a") as f:
        f.write("worse,\"{\"\"name\"\": \"\"worse\"\", \"\"kpi\"\": \"\"win_rate\"\", \"\"test\"\": \"\"worse\"\", "
                "\"\"against\"\": \"\"never\"\"}\"\n")
    b = Workspace.open(str(tmp_path / "b.duckdb"))
    done = CliRunner().invoke(app, ["import", str(tmp_path / "out"), "--check", "--workspace", b.url])
    assert done.exit_code == 1 and "koers_alert_rules" in done.output
    checked = import_folder(b, tmp_path / "out", check=True)
    assert [(r["file"], r["line"], r["column"], r["reason"]) for r in rejects(checked)] == [
        ("koers_alert_rules.csv", "3", "rule", "not a rule this Koers can check: --worse-than must be one of: "
                                               "previous, year, target (got 'never')")]
    assert table_rows(b, "koers_alert_rules") == [] and table_rows(b, "koers_imports") == []


def test_an_export_carries_its_settings_to_a_new_workspace_and_guards_a_filled_one(tmp_path):
    """An empty currency is the workspace's and a date is local to its zone:
    the export's rows read as they did only in its settings."""
    from koers.importers import settings_file
    from koers.store import Workspace

    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,hired_on\nR1,Ann,2020-01-01")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,status,amount,currency\n"
                                "O1,R1,2025-03-01T10:00:00,open,100,USD\nO2,R1,2025-03-01T10:00:00,open,100,")
    a = Workspace.open(str(tmp_path / "a.duckdb"))
    a.set_settings(currency="USD", time_zone="America/New_York", response_sla_hours=4.0)
    assert import_folder(a, src).rejected == 0
    export_folder(a, tmp_path / "out")
    assert (tmp_path / "out" / settings_file.FILE).read_text().splitlines()[:3] == [
        "setting,value", "time_zone,America/New_York", "currency,USD"]

    b = Workspace.open(str(tmp_path / "b.duckdb"))
    result = import_folder(b, tmp_path / "out")
    assert result.rejected == 0 and b.settings() == a.settings()
    assert any(w.startswith("koers_settings.csv: the workspace takes") for w in result.warnings)
    assert table_rows(a, "opportunities") == table_rows(b, "opportunities")
    assert import_folder(b, tmp_path / "out").warnings == []  # the same settings: nothing to say

    filled = Workspace.open(str(tmp_path / "filled.duckdb"))
    import_folder(filled, GOLDEN)
    with pytest.raises(canonical.ImportError_, match="the export's time_zone is America/New_York and currency "
                                                     "is USD, this workspace's Europe/Amsterdam and EUR"):
        import_folder(filled, tmp_path / "out")
    filled.set_settings(currency="USD", time_zone="America/New_York")
    result = import_folder(filled, tmp_path / "out")
    assert result.rejected == 0 and filled.settings().response_sla_hours == 2.0
    assert "koers_settings.csv: the workspace keeps its own settings where the export's differ " \
           "(response_sla_hours=4)" in result.warnings

    (tmp_path / "out" / settings_file.FILE).write_text("setting,value\ncurrency,euro\n")
    with pytest.raises(canonical.ImportError_, match="koers_settings.csv, line 2: 'euro' is not an ISO 4217"):
        import_folder(b, tmp_path / "out")


def test_a_deal_whose_history_koers_made_still_moves_after_an_export_and_import(tmp_path):
    """O18 came without history: Koers made its row. Exported and imported
    (into a new workspace, or back into the same one), the row stays one
    Koers made, so a newer export that shows O18 in Proposal gives it a row."""
    from koers.store import Workspace

    a = Workspace.open(str(tmp_path / "a.duckdb"))
    import_folder(a, GOLDEN)
    export_folder(a, tmp_path / "out")
    b = Workspace.open(str(tmp_path / "b.duckdb"))
    import_folder(b, tmp_path / "out")
    assert import_folder(a, tmp_path / "out").written == 0
    newer = tmp_path / "newer"
    newer.mkdir()
    lines = (tmp_path / "out" / "opportunities.csv").read_text().splitlines(keepends=True)
    (newer / "opportunities.csv").write_text("".join(
        line.replace(",open,New,", ",open,Proposal,") if line.startswith("O18,") else line for line in lines))
    for ws in (a, b):
        assert import_folder(ws, newer).rejected == 0
        o18 = [r[1] for r in table_rows(ws, "stage_history") if r[0] == "O18"]
        assert sorted(o18) == ["New", "Proposal"], ws.url


def csv_field(text: str) -> str:
    return f'"{text}"' if "," in text else text


def _leads_created(tmp_ws, tmp_path, created: dict[str, str]) -> dict[str, str]:
    """Each lead's created_at as written and as stored (UTC), all landed."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "leads", "lead_id,created_at,owner_id\n" + "\n".join(f"{k},{csv_field(v)},R1" for k, v in created.items()))
    assert import_folder(tmp_ws, src).rejected == 0
    return {r[0]: r[1].isoformat() for r in table_rows(tmp_ws, "leads")}


def test_timestamps_local_offset_and_dst(tmp_ws, tmp_path):
    got = _leads_created(tmp_ws, tmp_path, {
        "L1": "2025-03-30T01:30:00",  # before the spring change: +01:00
        "L2": "2025-03-30T03:30:00",  # after it: +02:00
        "L3": "2025-10-26T02:30:00",  # the repeated hour: first occurrence, +02:00
        "L4": "2025-03-04T09:15:00-05:00",
        "L5": "2025-03-04T09:15:00Z",
        "L6": "2025-10-26T02:30:00+01:00",  # the repeated hour's second occurrence, named by its offset
        "L7": "2025-03-04 09:15:00.250+01:00",
        "L8": "2025-03-04T09:15:00+0530",
        "L9": "2025-03-04T09:15:00+01",
        "L10": "2025-03-04T09:15:00z",
        "L11": " 2025-03-04T09:15:00+01:00 ",
        "L12": "2025-03-04",  # a day alone: its local midnight
        # ISO 8601's basic form, and its decimal comma
        "L13": "20250304T091500+0100",
        "L14": "20250304T0915",
        "L15": "20250304T091500.25Z",
        "L16": "20250304T091530,5-05:30",
        "L17": "20250304",
        "L18": "2025-03-04T09:15:00,250+01:00",
        "L19": "2025-03-04 09:15:00,5",
        "L20": "20251026T023000",  # the repeated hour, local: its first occurrence
        "L21": "20251026T023000+01",
        "L22": "2025-03-31T23:59:59.9999999",  # digits past the microsecond are cut: still the 31st
    })
    assert got == {
        "L1": "2025-03-30T00:30:00",
        "L2": "2025-03-30T01:30:00",
        "L3": "2025-10-26T00:30:00",
        "L4": "2025-03-04T14:15:00",
        "L5": "2025-03-04T09:15:00",
        "L6": "2025-10-26T01:30:00",
        "L7": "2025-03-04T08:15:00.250000",
        "L8": "2025-03-04T03:45:00",
        "L9": "2025-03-04T08:15:00",
        "L10": "2025-03-04T09:15:00",
        "L11": "2025-03-04T08:15:00",
        "L12": "2025-03-03T23:00:00",
        "L13": "2025-03-04T08:15:00",
        "L14": "2025-03-04T08:15:00",
        "L15": "2025-03-04T09:15:00.250000",
        "L16": "2025-03-04T14:45:30.500000",
        "L17": "2025-03-03T23:00:00",
        "L18": "2025-03-04T08:15:00.250000",
        "L19": "2025-03-04T08:15:00.500000",
        "L20": "2025-10-26T00:30:00",
        "L21": "2025-10-26T01:30:00",
        "L22": "2025-03-31T21:59:59.999999",
    }


def test_a_time_of_minutes_takes_every_offset_one_of_seconds_takes(tmp_ws, tmp_path):
    got = _leads_created(tmp_ws, tmp_path, {
        "L1": "2025-03-04T09:15+01:00",
        "L2": "2025-03-04 09:15-05:00",
        "L3": "2025-03-04T09:15+0530",
        "L4": "2025-03-04T09:15+01",
        "L5": "2025-03-04T09:15Z",
        "L6": "2025-03-04T09:15",
        "L7": "2025-03-04T09:15:00+14:00",  # Kiribati
        "L8": "2025-03-04T09:15:00-18:00",  # the furthest an offset may be
        "L9": "2025-10-26T02:30+01:00",  # the repeated hour's second occurrence
    })
    assert got == {
        "L1": "2025-03-04T08:15:00",
        "L2": "2025-03-04T14:15:00",
        "L3": "2025-03-04T03:45:00",
        "L4": "2025-03-04T08:15:00",
        "L5": "2025-03-04T09:15:00",
        "L6": "2025-03-04T08:15:00",
        "L7": "2025-03-03T19:15:00",
        "L8": "2025-03-05T03:15:00",
        "L9": "2025-10-26T01:30:00",
    }


def test_an_offset_or_a_year_that_iso_8601_has_not_is_not_a_timestamp(tmp_ws, tmp_path):
    """DuckDB's casts take more than ISO 8601: none of these may land as
    some other moment."""
    bad = [
        "2025-03-04T09:15:00+25:00",  # read as 2025-03-03 08:15 UTC
        "2025-03-04T09:15:00-25:00",
        "2025-03-04T09:15:00+19:00",
        "2025-03-04T09:15:00+18:30",
        "2025-03-04T09:15+2500",
        "2025-03-04T09:15:00+25",
        "2025-03-04T09:15:00+01:60",  # read as +02:00
        "2025-03-04T09:15:00+0160",
        "2025-03-04T09:15:00+01:30:15",  # the offset was dropped: 09:15 local
        "2025-03-04T09:15:00+01:00:00",
        "2025-03-04T09:15:00+01Z",  # likewise, as 09:15 UTC
        "12025-03-04T09:15:00",
        "12025-03-04T09:15:00+01:00",
        "12025-03-04T09:15:00Z",
        "12025-03-04",
        "999-03-04T09:15:00",
        "-2025-03-04T09:15:00",  # 2026 BC
        # ISO 8601 keeps its basic and extended forms apart
        "20250304T09:15",
        "2025-03-04T0915",
        "20250304 091500",
        "20250304T091500+25",
        "20250304T09",  # hours alone, a fraction of a minute: no form this file reads
        "2025-03-04T09:15,5",
        "20250230T091500",
        "2025-W10-2T09:15:00",  # week and ordinal dates
        "2025-063T09:15:00",
        "2025030",
    ]
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "leads", "lead_id,created_at,owner_id\n" + "\n".join(f"L{i},{csv_field(v)},R1" for i, v in enumerate(bad)))
    write(src, "customers", "customer_id,name,acquired_on\nC1,Acme,12025-03-04\nC2,Bolt,2025-03-04")
    result = import_folder(tmp_ws, src)
    found = {(r["file"], r["column"], r["value"], r["reason"].split(" (")[0]) for r in rejects(result)}
    assert found == {("leads.csv", "created_at", v, "not a timestamp") for v in bad} | {
        ("customers.csv", "acquired_on", "12025-03-04", "not a date")}
    assert table_rows(tmp_ws, "leads") == []


def test_a_bad_value_far_down_a_large_file_is_reported_on_its_own_line(tmp_ws, tmp_path):
    """Rows are typed straight from the file in parallel: their line numbers
    must still follow the file past many row groups and read buffers."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    n = 300_000
    bad = {7, 150_001, 299_998}  # data rows, counted from 1
    lines = ["lead_id,created_at,owner_id"] + [
        f"L{i},{'soon' if i in bad else '2025-03-04T09:15:00+01:00'},R1" for i in range(1, n + 1)
    ]
    lines.insert(100_000, "L-broken,2025-03-04T09:15:00+01:00,R1,an extra field")
    write(src, "leads", "\n".join(lines))
    result = import_folder(tmp_ws, src)
    found = {(r["line"], r["column"], r["value"]) for r in rejects(result)}
    # a data row i sits on line i + 1, one more past the malformed line 100,001
    assert found == {
        ("8", "created_at", "soon"),
        ("100001", "", "L-broken,2025-03-04T09:15:00+01:00,R1,an extra field"),
        ("150003", "created_at", "soon"),
        ("300000", "created_at", "soon"),
    }
    kept = (result.rejects_path.parent / "leads.csv").read_text().splitlines()
    empty = "," * (kept[0].count(",") - 3)  # the columns leads.csv did not have, and the malformed record
    broken = "," * (kept[0].count(",") - 1) + '"L-broken,2025-03-04T09:15:00+01:00,R1,an extra field"'
    assert kept[1:] == [f"8,L7,soon,R1{empty}", f"100001,{broken}", f"150003,L150001,soon,R1{empty}",
                        f"300000,L299998,soon,R1{empty}"]
    assert result.tables[-1].written == n - len(bad)


def test_missing_required_column_and_extra_column(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,shoe_size\nR1,Anna,39")
    result = import_folder(tmp_ws, src)
    assert any("shoe_size" in w for w in result.warnings)
    found = rejects(result)
    assert found[0]["column"] == "hired_on" and "no column hired_on" in found[0]["reason"]
    assert table_rows(tmp_ws, "reps") == []


def test_stage_history_is_generated_and_later_replaced(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nQuote,2,60,open")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,status,stage\nO1,R1,2025-03-05T10:00:00,open,Quote")
    import_folder(tmp_ws, src)
    assert [r[1] for r in table_rows(tmp_ws, "stage_history")] == ["Quote"]
    write(src, "stage_history", "opportunity_id,stage,entered_at\nO1,New,2025-03-05T10:00:00\nO1,Quote,2025-03-09T10:00:00")
    import_folder(tmp_ws, src)
    assert [r[1] for r in table_rows(tmp_ws, "stage_history")] == ["New", "Quote"]
    with tmp_ws.reader() as con:
        snaps = con.execute("SELECT count(*), count(DISTINCT import_id) FROM koers_snapshots").fetchone()
    assert snaps == (2, 2)  # every import records the open pipeline


def test_a_deal_that_moves_in_a_later_export_without_history_gets_a_row_for_its_new_stage(tmp_ws, tmp_path):
    """A newer export (or a sync) says the deal moved, not when: the new stage
    is entered at that import, or at the close when that is earlier."""
    from koers.store import now_utc

    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nQuote,2,60,open\nWon,3,100,won")
    header = "opportunity_id,owner_id,created_at,closed_at,status,stage,amount\n"
    write(src, "opportunities", header + "O1,R1,2025-03-05T10:00:00,,open,New,100\nO2,R1,2025-03-06T10:00:00,,open,New,50")
    import_folder(tmp_ws, src)
    write(src, "opportunities", header + "O1,R1,2025-03-05T10:00:00,,open,Quote,100\n"
                                         "O2,R1,2025-03-06T10:00:00,2025-04-01T12:00:00+02:00,won,Won,50")
    before = now_utc()
    import_folder(tmp_ws, src)
    after = now_utc()
    rows = {(r[0], r[1]): r[2] for r in table_rows(tmp_ws, "stage_history")}
    assert set(rows) == {("O1", "New"), ("O1", "Quote"), ("O2", "New"), ("O2", "Won")}
    assert before <= rows[("O1", "Quote")] <= after
    assert str(rows[("O2", "Won")]) == "2025-04-01 10:00:00"  # its close, in UTC
    assert import_folder(tmp_ws, src).written == 0  # and a re-import changes nothing
    assert len(table_rows(tmp_ws, "stage_history")) == 4
    # real history for O1 replaces every row Koers made for it, O2's stay
    write(src, "stage_history", "opportunity_id,stage,entered_at\nO1,New,2025-03-05T10:00:00\n"
                                "O1,Quote,2025-03-20T09:00:00")
    import_folder(tmp_ws, src)
    rows = sorted((r[0], r[1], str(r[2])) for r in table_rows(tmp_ws, "stage_history"))
    assert rows == [("O1", "New", "2025-03-05 09:00:00"), ("O1", "Quote", "2025-03-20 08:00:00"),
                    ("O2", "New", "2025-03-06 09:00:00"), ("O2", "Won", "2025-04-01 10:00:00")]


def test_the_row_koers_made_at_created_at_follows_a_corrected_created_at(tmp_ws, tmp_path):
    """A newer export moves created_at: the updated workspace is the one a
    first import of that export makes (the deal is in its stage from its
    new creation on, not only from the old one)."""
    from koers.store import Workspace

    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nQuote,2,60,open")
    header = "opportunity_id,owner_id,created_at,status,stage,amount\n"
    write(src, "opportunities", header + "O1,R1,2025-05-05T12:45:00+02:00,open,Quote,100\n"
                                         "O2,R1,2025-05-06T10:00:00+02:00,open,New,50")
    import_folder(tmp_ws, src)
    write(src, "opportunities", header + "O1,R1,2025-05-01T09:00:00+02:00,open,Quote,100\n"
                                         "O2,R1,2025-05-06T10:00:00+02:00,open,New,50")
    assert import_folder(tmp_ws, src).rejected == 0
    fresh = Workspace.open(str(tmp_path / "fresh.duckdb"))
    import_folder(fresh, src)
    for table in ("stage_history", "koers_generated_history"):
        assert table_rows(tmp_ws, table) == table_rows(fresh, table), table
    assert sorted(str(r[2]) for r in table_rows(tmp_ws, "stage_history")) == ["2025-05-01 07:00:00",
                                                                               "2025-05-06 08:00:00"]
    assert import_folder(tmp_ws, src).written == 0  # and a re-import changes nothing


def test_made_rows_stay_once_a_later_import_added_one_for_a_new_stage(tmp_ws, tmp_path):
    """Which made row was made at created_at no longer follows from the rows
    once a move added one: none moves, and a re-import changes nothing."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nWon,2,100,won")
    header = "opportunity_id,owner_id,created_at,closed_at,status,stage,amount\n"
    write(src, "opportunities", header + "O1,R1,2025-05-05T10:00:00,,open,New,100")
    import_folder(tmp_ws, src)
    write(src, "opportunities", header + "O1,R1,2025-05-05T10:00:00,2025-05-20T10:00:00,won,Won,100")
    import_folder(tmp_ws, src)
    write(src, "opportunities", header + "O1,R1,2025-05-25T10:00:00,2025-06-01T10:00:00,won,Won,100")
    import_folder(tmp_ws, src)
    history = table_rows(tmp_ws, "stage_history")
    assert [(r[1], str(r[2])) for r in history] == [("New", "2025-05-05 08:00:00"), ("Won", "2025-05-20 08:00:00")]
    assert import_folder(tmp_ws, src).written == 0
    assert table_rows(tmp_ws, "stage_history") == history


def test_a_deal_closed_before_its_created_at_needs_a_rate_on_its_close_day(tmp_ws, tmp_path):
    """Its won value is converted on the close day (kpis.md), so a rate must be
    in force then: a close before created_at is let through with a warning,
    its currency is not."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "exchange_rates", "currency,valid_from,rate\nUSD,2023-10-01,0.92")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,closed_at,status,amount,currency\n"
                                "O1,R1,2023-10-05T10:00:00+02:00,2023-09-20T10:00:00+02:00,won,1000,USD\n"
                                "O2,R1,2023-10-05T10:00:00+02:00,2023-10-02T10:00:00+02:00,won,1000,USD\n"
                                "O3,R1,2023-10-05T10:00:00+02:00,,open,1000,USD")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["column"], r["reason"]) for r in rejects(result)] == [
        ("2", "currency", "no exchange rate for USD on or before 2023-09-20")]
    assert sorted(r[0] for r in table_rows(tmp_ws, "opportunities")) == ["O2", "O3"]


def test_a_folder_without_canonical_files_is_a_usage_error(tmp_ws, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(canonical.ImportError_, match="none of the canonical files"):
        import_folder(tmp_ws, tmp_path / "empty")


def test_a_file_named_in_another_case_is_its_table_s_file(tmp_ws, tmp_path):
    """Targets.csv and nps.CSV (saved on Windows, or by Excel) are the
    targets and NPS files: never skipped without a word. A rejected row is
    reported under the file's own name; two files of one table are a usage
    error, as which one is meant cannot be told."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    (src / "reps.csv").rename(src / "Reps.CSV")
    (src / "Customers.csv").write_text("customer_id,acquired_on\nC1,2024-01-01\nC2,someday\n", encoding="utf-8")
    (src / "Notes.csv").write_text("a\n1\n", encoding="utf-8")
    result = import_folder(tmp_ws, src)
    assert [(r["file"], r["line"], r["column"]) for r in rejects(result)] == [("Customers.csv", "3", "acquired_on")]
    assert [r[0] for r in table_rows(tmp_ws, "customers")] == ["C1"]
    assert len(table_rows(tmp_ws, "reps")) == len(BASE_REPS.strip().splitlines()) - 1
    assert result.warnings == ["Notes.csv: not a canonical table, ignored"]
    (src / "customers.csv").write_text("customer_id,acquired_on\nC1,2024-01-01\n", encoding="utf-8")
    with pytest.raises(canonical.ImportError_, match="Customers.csv and customers.csv: two files of the table customers"):
        import_folder(tmp_ws, src)


def test_a_day_the_calendar_lacks_is_named_as_such(tmp_ws, tmp_path):
    """2025-02-30 and 2025-02-29T10:00 are written as a date and a timestamp
    are; the report says the day does not exist, not that the form is wrong."""
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,hired_on\nR1,Anna,2025-02-30\nR2,Bram,30-01-2025\nR3,Cas,2024-02-29\n"
                       "R4,Dirk,2025-04-31\nR5,Eva,2025-13-01")
    write(src, "leads", "lead_id,created_at\nL1,2025-02-29T10:00:00\nL2,2025-02-28T10:00:00\nL3,tomorrow")
    result = import_folder(tmp_ws, src)
    found = {(r["file"], r["line"]): r["reason"] for r in rejects(result)}
    assert found == {("reps.csv", "2"): "no such day: 2025-02-30",
                     ("reps.csv", "3"): "not a date (YYYY-MM-DD)",
                     ("reps.csv", "5"): "no such day: 2025-04-31",
                     ("reps.csv", "6"): "not a date (YYYY-MM-DD)",  # no month 13 either
                     ("leads.csv", "2"): "no such day: 2025-02-29",
                     ("leads.csv", "4"): "not a timestamp (ISO 8601, e.g. 2025-03-04T09:15:00 or with an offset "
                                         "+01:00)"}


def test_a_column_named_in_another_case_is_that_column(tmp_ws, tmp_path):
    """Customer_ID is customer_id: a header typed by hand or renamed in Excel
    loses no column, and naming one column twice in two cases is still twice."""
    src = tmp_path / "in"
    write(src, "customers", " Customer_ID ,ACQUIRED_ON,Notes\nC1,2024-01-01,x\nC2,2024-02-01,y\nC3,someday,z")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["column"], r["value"]) for r in rejects(result)] == [("4", "acquired_on", "someday")]
    with open(result.rejects_path.parent / "customers.csv", newline="", encoding="utf-8") as f:
        assert [(r["customer_id"], r["acquired_on"]) for r in csv.DictReader(f)] == [("C3", "someday")]
    assert sorted(r[:3] for r in table_rows(tmp_ws, "customers")) == [
        ("C1", None, pd.Timestamp("2024-01-01").date()), ("C2", None, pd.Timestamp("2024-02-01").date())]
    assert result.warnings == ["customers.csv: column 'Notes' is not in the data model, ignored"]
    write(src, "customers", "customer_id,Customer_ID,acquired_on\nC1,C1,2024-01-01")
    with pytest.raises(canonical.ImportError_, match="names column 'customer_id' twice"):
        import_folder(tmp_ws, src)


@pytest.mark.parametrize("delimiter, said", [(";", "';'"), ("\t", "tab")])
def test_a_file_split_by_another_delimiter_is_named_once_for_the_whole_file(tmp_ws, tmp_path, delimiter, said):
    """Dutch Excel saves CSV with semicolons: the import says so once, not
    only row by row, and points to a mapping, which reads any delimiter."""
    src = tmp_path / "in"
    write(src, "customers", f"customer_id{delimiter}acquired_on\nC1{delimiter}2024-01-01")
    result = import_folder(tmp_ws, src)
    assert result.warnings == [f"customers.csv: the header is one column, split by {said} rather than ','; a "
                               "canonical file is separated by commas (save it as CSV with commas, or import it "
                               "through a mapping that names its delimiter: docs/import.md)"]
    assert table_rows(tmp_ws, "customers") == []


def test_malformed_lines_are_reported_and_later_lines_keep_their_numbers(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,hired_on\nR1,Anna,2024-01-01\nR2,Bram,2024-01-01,extra\nR3,Cas,2024-01-01\nR5,Eva,bad")
    result = import_folder(tmp_ws, src)
    found = [(r["line"], r["column"], r["value"], r["reason"][:17]) for r in rejects(result)]
    assert found == [("3", "", "R2,Bram,2024-01-01,extra", "malformed CSV lin"), ("5", "hired_on", "bad", "not a date (YYYY-")]
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R1", "R3"]
    # both are kept beside the report: the malformed record whole, as its text
    with open(result.rejects_path.parent / "reps.csv", newline="", encoding="utf-8") as f:
        kept = [(r["line"], r["rep_id"], r["hired_on"], r["malformed_record"]) for r in csv.DictReader(f)]
    assert kept == [("3", "", "", "R2,Bram,2024-01-01,extra"), ("5", "R5", "bad", "")]


def test_a_stray_quote_early_in_a_file_is_one_rejected_line_and_nothing_is_guessed(tmp_ws, tmp_path):
    """The canonical format is fixed: no guessing of it from the first lines,
    which failed outright on a stray quote there, and could take a line
    starting with # for a comment."""
    src = tmp_path / "in"
    write(src, "reps", 'rep_id,name,hired_on\nR0,ok,2024-01-01\nR1,"bad "quote" here",2024-01-01\n'
                       "R2,ok,2024-01-01\n# R3,hash,2024-01-01\nR4,Bad \"quote,2024-01-01")
    result = import_folder(tmp_ws, src)
    found = [(r["line"], r["value"], r["reason"]) for r in rejects(result)]
    assert found == [("3", 'R1,"bad "quote" here",2024-01-01', "malformed CSV line: a quote inside a value that is "
                      'not doubled (""), or text after a value\'s closing quote')]
    assert [r[:2] for r in table_rows(tmp_ws, "reps")] == [("# R3", "hash"), ("R0", "ok"), ("R2", "ok"),
                                                          ("R4", 'Bad "quote')]  # in a value not quoted: text


def test_a_quote_never_closed_is_reported_as_such_with_the_lines_it_took(tmp_ws, tmp_path):
    """CSV reads on to the file's end from an open quote: the report says
    so, rather than blame a quote inside a value."""
    src = tmp_path / "in"
    write(src, "reps", 'rep_id,name,hired_on\nR0,ok,2024-01-01\nR1,"Open,2024-01-01\nR2,ok,2024-01-01\n'
                       "R3,ok,2024-01-01")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["value"], r["reason"]) for r in rejects(result)] == [(
        "3", 'R1,"Open,2024-01-01\nR2,ok,2024-01-01\nR3,ok,2024-01-01',
        "malformed CSV line: a quote that is never closed, so this line and the 2 after it (the rest of the "
        'file) were read as one value; close the quote or double it ("")')]
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R0"]


def test_a_quote_never_closed_far_from_the_end_keeps_every_line_it_took(tmp_ws, tmp_path):
    """DuckDB's text of such a record stops at 10,000 characters: the report
    still counts every line to the file's end, and the record kept beside it
    holds them all (none of those rows is lost without a trace)."""
    src = tmp_path / "in"
    rows = "".join(f"R{i},Rep number {i} of the team,2024-01-01\n" for i in range(2, 502))
    write(src, "reps", f'rep_id,name,hired_on\nR0,ok,2024-01-01\nR1,"Open,2024-01-01\n{rows}')
    result = import_folder(tmp_ws, src)
    [found] = rejects(result)
    assert found["line"] == "3"
    assert found["reason"].startswith("malformed CSV line: a quote that is never closed, so this line and the 500 "
                                      "after it (the rest of the file)")
    assert found["value"] == 'R1,"Open,2024-01-01\n' + rows.rstrip("\n")
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R0"]
    with open(result.rejects_path.parent / "reps.csv", newline="", encoding="utf-8") as f:
        kept = f.read()
    assert "R501,Rep number 501 of the team,2024-01-01" in kept


def test_a_field_of_hundreds_of_kilobytes_is_read_and_the_lines_after_it_are_counted(tmp_ws, tmp_path):
    """Python's csv module refuses a field over 128 KiB by default: the
    line numbers of a file's rejected rows are found past one all the same."""
    src = tmp_path / "in"
    note = "line one\n" + "x" * 200_000
    write(src, "customers", f'customer_id,name,acquired_on\nC1,"{note}",2024-01-01\nC2,Ok,2024-01-01\n'
                            "C3,Bad,2024-13-01\n")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["column"], r["value"]) for r in rejects(result)] == [("5", "acquired_on", "2024-13-01")]
    assert [(r[0], len(r[1])) for r in table_rows(tmp_ws, "customers")] == [("C1", len(note)), ("C2", 2)]


def test_an_end_before_its_start_lands_with_a_warning_unless_the_data_model_forbids_it(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,hired_on,left_on\nR1,Ann,2020-01-01,\nR9,Zed,2025-03-10,2025-03-01")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,closed_at,status,amount\n"
                                "Q1,R1,2025-03-10T10:00:00,2025-03-09T10:00:00,won,100\n"
                                "Q2,R1,2025-03-10T10:00:00,2025-03-12T10:00:00,won,50")
    write(src, "customers", "customer_id,acquired_on,churned_on\nC1,2024-01-01,\nC2,2024-05-01,2024-04-30")
    write(src, "contracts", "contract_id,customer_id,start_on,end_on,total_value\nK1,C1,2025-03-10,2025-03-01,100")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["column"], r["reason"]) for r in rejects(result)] == [
        ("3", "churned_on", "before acquired_on")]
    assert [w for w in result.warnings if "landed as given" in w] == [
        "reps.csv: 1 row with left_on before hired_on (R9) landed as given, as the data model allows; "
        "check them in the source",
        "opportunities.csv: 1 row with closed_at before created_at (Q1) landed as given, as the data model "
        "allows; check them in the source",
        "contracts.csv: 1 row with end_on before start_on (K1) landed as given, as the data model allows; "
        "check them in the source",
    ]
    assert [r[0] for r in table_rows(tmp_ws, "opportunities")] == ["Q1", "Q2"]
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R1", "R9"]


@pytest.mark.parametrize("text, says", [
    ("rep_id,name,hired_on\nR0,ok,2024-01-01\nR1,An\rn,2024-01-01\n",
     "reps.csv: line 3 holds a carriage return alone outside quotes"),
    ("rep_id,name,hired_on\rR0,ok,2024-01-01\rR1,ok,2024-01-01\r", "reps.csv: its lines end in a carriage return alone"),
    ("rep_id,name,hired_on,name\nR1,Ann,2020-01-01,Bob\n",
     "reps.csv: the header names column 'name' twice (columns 2 and 4); keep one"),
    ("\nrep_id,name,hired_on\nR1,Ann,2020-01-01\n", "reps.csv: the header (line 1) is empty"),
])
def test_a_file_that_cannot_be_read_stops_the_import_saying_where(tmp_ws, tmp_path, text, says):
    src = tmp_path / "in"
    src.mkdir()
    (src / "reps.csv").write_bytes(text.encode())
    with pytest.raises(canonical.ImportError_, match=re.escape(says)):
        import_folder(tmp_ws, src)
    assert table_rows(tmp_ws, "reps") == []


@pytest.mark.parametrize("text", [
    # LF lines with rows appended by a Windows program, and the other way round
    'rep_id,name,hired_on\nR1,"Ann\r\nde Vries",2024-01-01\nR2,Bob,2024-01-01\r\nR3,Cas,nope\r\nR4,Dirk,2024-01-01\n',
    'rep_id,name,hired_on\r\nR1,"Ann\r\nde Vries",2024-01-01\r\nR2,Bob,2024-01-01\nR3,Cas,nope\nR4,Dirk,2024-01-01\r\n',
])
def test_a_file_with_two_kinds_of_line_end_is_read_as_it_means(tmp_ws, tmp_path, text):
    """DuckDB reads one kind of line end per file and stops at the other; the
    import reads such a file from a copy with LF line ends, a value's own
    line end kept, each line at its number."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "reps.csv").write_bytes(text.encode())
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["column"], r["value"]) for r in rejects(result)] == [("5", "hired_on", "nope")]
    with open(result.rejects_path.parent / "reps.csv", newline="", encoding="utf-8") as f:
        assert [(r["line"], r["name"]) for r in csv.DictReader(f)] == [("5", "Cas")]
    assert [r[:2] for r in table_rows(tmp_ws, "reps")] == [("R1", "Ann\r\nde Vries"), ("R2", "Bob"), ("R4", "Dirk")]
    crlf = text.count("\r\n") - 1  # the one inside a value is not a line end
    assert f"reps.csv: {crlf} lines end in CR LF and {5 - crlf} in LF alone" in " ".join(result.warnings)
    assert import_folder(tmp_ws, src).written == 0


@pytest.mark.parametrize("text, mixed", [
    (b"a\nb\nc\n", False), (b"a\r\nb\r\nc\r\n", False), (b"a\nb\r\nc\n", True), (b"a\r\nb\nc\r\n", True),
    (b"a\r\nbbb\r\ncc", False), (b"a", False), (b"", False),
])
def test_mixed_line_ends_are_found_across_blocks(tmp_path, monkeypatch, text, mixed):
    from koers.importers import lines

    monkeypatch.setattr(lines, "_BLOCK", 4)  # a CR LF split over two blocks
    (tmp_path / "f.csv").write_bytes(text)
    assert lines.mixed_line_ends(tmp_path / "f.csv") is mixed


def test_an_empty_file_brings_no_rows_and_other_columns_may_repeat(tmp_ws, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "stages.csv").write_bytes(b"")
    (src / "reps.csv").write_text("rep_id,note,name,note,,hired_on\nR1,a,Ann,b,c,2020-01-01\n", encoding="utf-8")
    result = import_folder(tmp_ws, src)
    assert "stages.csv: the file is empty, so it brings no rows" in result.warnings
    assert table_rows(tmp_ws, "reps")[0][:2] == ("R1", "Ann")


def test_a_row_is_reported_on_the_line_it_starts_on_after_fields_over_lines_and_blank_lines(tmp_ws, tmp_path):
    """A quoted field may span lines, a line may be blank: every reported
    line, the line a duplicate names and the kept rows' lines are those an
    editor shows."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "reps.csv").write_text(
        'rep_id,name,hired_on\nR1,"Anna\nde Vries",2024-01-01\nR2,Bram,2024-13-01\n\nR3,Cas\n'
        'R4,"Dirk\n\nJansen",2024-01-01\nR1,Dup,2024-01-01\nR5,"E",bad,extra\nR6,Eva,nope\n', encoding="utf-8")
    result = import_folder(tmp_ws, src)
    found = [(r["line"], r["column"], r["reason"]) for r in rejects(result)]
    assert found == [
        ("4", "hired_on", "not a date (YYYY-MM-DD)"),
        ("6", "", "malformed CSV line: not 3 fields as the header has"),
        ("10", "rep_id", "duplicate of line 2"),
        ("11", "", "malformed CSV line: not 3 fields as the header has"),
        ("12", "hired_on", "not a date (YYYY-MM-DD)"),
    ]
    with open(result.rejects_path.parent / "reps.csv", newline="", encoding="utf-8") as f:
        assert [(r["line"], r["rep_id"], r["malformed_record"]) for r in csv.DictReader(f)] == [
            ("4", "R2", ""), ("6", "", "R3,Cas"), ("10", "R1", ""), ("11", "", 'R5,"E",bad,extra'), ("12", "R6", "")]
    assert [r[:2] for r in table_rows(tmp_ws, "reps")] == [("R1", "Anna\nde Vries"), ("R4", "Dirk\n\nJansen")]


def test_rows_from_a_mapping_stay_text_when_a_column_is_empty_throughout(tmp_ws):
    from koers.importers.canonical import Source, import_sources

    rows = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ans", "Bo"], "hired_on": ["2024-01-01", "2024-02-01"],
                         "left_on": [None, None], "email": [None, None], "_line": [2, 3]}, dtype=object)
    result = import_sources(tmp_ws, [Source("reps", "team.xlsx", rows=rows)], "test")
    assert (result.written, result.rejected) == (2, 0)
    with tmp_ws.reader() as con:
        assert con.execute("SELECT count(*) FROM reps WHERE left_on IS NULL AND email IS NULL").fetchone()[0] == 2


def test_what_runs_after_an_import_is_part_of_its_transaction(tmp_ws):
    from koers.importers.canonical import Source, import_sources

    rows = pd.DataFrame({"rep_id": ["R1"], "name": ["Ans"], "hired_on": ["2024-01-01"], "_line": [2]}, dtype=object)

    def record(con, result):
        con.execute("INSERT INTO koers_sync_state VALUES ('odoo', 'res.users', '2025-01-01 00:00:00')")

    import_sources(tmp_ws, [Source("reps", "users", rows=rows)], "test", after=record)
    with tmp_ws.reader() as con:
        assert con.execute("SELECT marker FROM koers_sync_state").fetchall() == [("2025-01-01 00:00:00",)]

    def fail(con, result):
        raise RuntimeError("the network went away")

    more = rows.assign(rep_id="R2")
    with pytest.raises(RuntimeError):
        import_sources(tmp_ws, [Source("reps", "users", rows=more)], "test", after=fail)
    assert tmp_ws.counts()["reps"] == 1


def test_a_workspace_from_before_made_history_was_kept_whole_is_upgraded(tmp_path):
    import duckdb

    from koers.store import Workspace

    path = tmp_path / "old.duckdb"
    ws = Workspace.open(str(path))
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nQuote,2,60,open")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,status,stage\nO1,R1,2025-03-05T10:00:00,open,New")
    import_folder(ws, src)
    con = duckdb.connect(str(path))  # as an earlier version left it: the opportunity_id alone
    con.execute("CREATE OR REPLACE TABLE koers_generated_history AS SELECT opportunity_id FROM koers_generated_history")
    con.close()
    ws = Workspace.open(str(path))
    with ws.reader() as c:
        assert c.execute("SELECT opportunity_id, stage, CAST(entered_at AS VARCHAR) FROM koers_generated_history"
                         ).fetchall() == [("O1", "New", "2025-03-05 09:00:00")]
    write(src, "opportunities", "opportunity_id,owner_id,created_at,status,stage\nO1,R1,2025-03-05T10:00:00,open,Quote")
    import_folder(ws, src)
    assert [r[1] for r in table_rows(ws, "stage_history")] == ["New", "Quote"]


def test_a_spark_workspace_rewrites_only_the_parquet_files_of_tables_that_changed(tmp_path):
    from koers.importers.canonical import Source, import_sources
    from koers.store import Workspace

    ws = Workspace.open(f"spark:{tmp_path / 'ws'}")  # written through DuckDB: no Spark session needed
    assert import_folder(ws, GOLDEN).rejected == 0
    first = ws.version_dir()
    rows = pd.DataFrame({"rep_id": ["R9"], "name": ["Nieuw"], "hired_on": ["2025-01-01"], "_line": [2]}, dtype=object)
    import_sources(ws, [Source("reps", "new reps", rows=rows)], "test")
    # the new version links the files of the tables that did not change
    changed = {p.name for p in ws.version_dir().glob("*.parquet")
               if not (first / p.name).exists() or not os.path.samefile(p, first / p.name)}
    assert {"reps.parquet", "koers_imports.parquet"} <= changed
    assert not changed & {"activities.parquet", "opportunities.parquet", "leads.parquet", "stage_history.parquet"}
    assert ("R9",) in [r[:1] for r in table_rows(ws, "reps")]


def test_a_first_import_leaves_every_table_as_the_data_model_declares_it(tmp_path):
    """Into an empty table the typed rows become the table itself: its
    columns, their order and types, must still be the declared ones, with no
    trace of the text kept for the report, and no rejected row in it."""
    from koers.store import Workspace

    src = tmp_path / "in"
    shutil.copytree(GOLDEN, src)
    with open(src / "leads.csv", "a", encoding="utf-8") as f:
        f.write("L-bad,not a moment,R1" + "," * 13 + "\n")
    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    fresh = Workspace.open(str(tmp_path / "fresh.duckdb"))
    result = import_folder(ws, src)
    assert {(r["file"], r["value"]) for r in rejects(result)} == {("leads.csv", "not a moment")}
    shape = (
        "SELECT table_name, column_name, data_type, ordinal_position FROM information_schema.columns "
        f"WHERE table_name NOT IN {tuple(derived.DERIVED)} ORDER BY ALL"
    )
    with ws.reader() as con, fresh.reader() as other:
        assert con.execute(shape).fetchall() == other.execute(shape).fetchall()
        assert con.execute("SELECT count(*) FROM leads WHERE lead_id = 'L-bad'").fetchone()[0] == 0
    assert {t.name: len(table_rows(ws, t.name)) for t in TABLES if t.name != "stage_history"} == {
        t.table: t.written for t in result.tables if t.table != "stage_history"
    }


def test_text_columns_are_stored_as_declared_in_first_and_later_imports(tmp_path):
    """Ids of rows in large tables as FSST, short lists as a dictionary
    (store.compression), whether the import made the table or wrote into
    it, and in the derived tables too."""
    from koers.store import Workspace, compression

    ws = Workspace.open(str(tmp_path / "ws.duckdb"))
    import_folder(ws, GOLDEN)  # into empty tables, which the typed rows become
    later = tmp_path / "later"
    shutil.copytree(GOLDEN, later)
    with open(later / "activities.csv", "a", encoding="utf-8") as f:
        f.write("A-late,R1,call,,,,2025-03-03T10:00:00+01:00,\n")
    import_folder(ws, later)  # into a table that has rows
    stored = "SELECT DISTINCT column_name, lower(compression) FROM pragma_storage_info(?) WHERE segment_type <> 'VALIDITY'"
    hints = {t.name: compression(t) for t in TABLES} | {name: derived._compression(name) for name in derived.DERIVED}
    with ws.reader() as con:
        assert con.execute("SELECT count(*) FROM activities WHERE activity_id = 'A-late'").fetchone()[0] == 1
        for name, hint in hints.items():
            got = dict(con.execute(stored, [name]).fetchall())
            assert {c: got[c] for c in hint if c in got} == {c: hint[c] for c in hint if c in got}, name
    assert hints["activities"] == {"activity_id": "fsst", "owner_id": "dictionary", "type": "dictionary",
                                   "lead_id": "fsst", "opportunity_id": "fsst", "customer_id": "fsst"}
    assert "name" not in hints["customers"] and hints["opportunities"]["region"] == "dictionary"


_PADDING = " \t\n\u00a0\u2003\u3000\u0301\ufeff"  # spaces, tab, newline, no-break and wide spaces, a combining accent, a BOM


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(_PADDING) + list("ab1-é€")), max_size=6), max_size=40))
def test_values_are_trimmed_as_trim_does_though_only_where_it_may_change_them(values):
    """raw() skips trimming for values it cannot change; on any text it must
    give what trimming gives (spaces, then byte order marks, then spaces
    again), empty text as null."""
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (i INTEGER, x VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [[i, v] for i, v in enumerate([*values, None])])
        rows = con.execute(f"SELECT i, {raw('x')}, NULLIF(trim(trim(trim(x), chr(65279))), '') FROM t "
                           "ORDER BY i").fetchall()
    assert [r[1] for r in rows] == [r[2] for r in rows]


def test_a_byte_order_mark_inside_a_file_is_no_part_of_a_value(tmp_ws, tmp_path):
    """Two files joined into one carry the second's byte order mark into its
    first value; trim() keeps it, and an invisible character in an id would
    make every reference to it fail."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "customers", "customer_id,acquired_on\nC1,2024-01-01\n\ufeffC2,2024-01-01")
    write(src, "orders", "order_id,customer_id,ordered_on,amount\nA,C2,2025-01-01,10\nB,\ufeff C1 ,2025-01-01,5")
    result = import_folder(tmp_ws, src)
    assert result.rejected == 0
    assert sorted(r[0] for r in table_rows(tmp_ws, "customers")) == ["C1", "C2"]
    assert sorted(r[:2] for r in table_rows(tmp_ws, "orders")) == [("A", "C2"), ("B", "C1")]


def test_a_target_for_a_week_53_the_year_lacks_is_rejected(tmp_ws, tmp_path):
    """2025 has 52 ISO weeks, 2020 and 2026 have 53 (their 28 December
    falls in week 53): 2025-W53 names no period and is an import error."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "targets", "period,kpi,rep_id,team,value\n"
                          "2025-W53,won_value,R1,,100\n2026-W53,won_value,R1,,100\n2020-W53,won_value,,,100\n"
                          "2025-W52,won_value,,,100\n2025-W54,won_value,,,100")
    result = import_folder(tmp_ws, src)
    found = {r["line"]: r for r in rejects(result)}
    assert set(found) == {"2", "6"}
    assert found["2"]["column"] == "period" and found["2"]["value"] == "2025-W53"
    assert found["2"]["reason"] == "2025 has no ISO week 53"
    assert found["6"]["reason"].startswith("not a period")
    assert sorted(r[0] for r in table_rows(tmp_ws, "targets")) == ["2020-W53", "2025-W52", "2026-W53"]


def test_numbers_that_are_no_amounts_and_decimals_in_whole_numbers_are_rejected(tmp_ws, tmp_path):
    """NaN, infinity and 1_000 parse as doubles, and 9.6 casts to the
    integer 10: each is an import error, not a value."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open\nHalf,2.5,20,open\nTwo,2.0,30,open\n"
                         "Odd,3,NaN,open\nThree,3e0,40,open\nFour,.4e1,50,open\nTenth,1e-1,60,open\n"
                         "Huge,1e300,70,open")
    write(src, "customers", "customer_id,acquired_on\nC1,2024-01-01")
    write(src, "orders", "order_id,customer_id,ordered_on,amount\nA,C1,2025-01-01,inf\nB,C1,2025-01-01,1_000\n"
                         "C,C1,2025-01-01,1e400\nD,C1,2025-01-01,-1.5e3")
    write(src, "nps", "customer_id,responded_on,score\nC1,2025-01-01,9.6\nC1,2025-01-02,10.0\nC1,2025-01-03,1E1")
    result = import_folder(tmp_ws, src)
    found = {(r["file"], r["line"]): (r["column"], r["reason"]) for r in rejects(result)}
    assert found == {
        ("stages.csv", "3"): ("sequence", "not a whole number"),
        ("stages.csv", "5"): ("probability", "not a number (plain, with a decimal point: 1234.5)"),
        ("orders.csv", "2"): ("amount", "not a number (plain, with a decimal point: 1234.5)"),
        ("orders.csv", "3"): ("amount", "not a number (plain, with a decimal point: 1234.5)"),
        ("orders.csv", "4"): ("amount", "not a number (plain, with a decimal point: 1234.5)"),
        ("stages.csv", "8"): ("sequence", "not a whole number"),
        ("stages.csv", "9"): ("sequence", "not a whole number"),  # past what a double holds exactly
        ("nps.csv", "2"): ("score", "not a whole number"),
    }
    assert table_rows(tmp_ws, "orders")[0][:5] == ("D", "C1", None, pd.Timestamp("2025-01-01").date(), -1500.0)
    # a whole number in any form a number takes
    assert sorted(r[1:3] for r in table_rows(tmp_ws, "stages")) == [(1, 10.0), (2, 30.0), (3, 40.0), (4, 50.0)]
    assert [r[2] for r in table_rows(tmp_ws, "nps")] == [10, 10]


def test_a_rep_whose_manager_is_rejected_is_rejected_down_the_chain(tmp_ws, tmp_path):
    """A reference to a row that does not land is a reference to a missing
    id; a row without an id does not make every manager known."""
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,manager_id,hired_on\nR5,Boss,,\nR1,Anna,R5,2024-01-01\nR2,Bram,R1,2024-01-01\n"
                       "R3,Cas,GHOST,2024-01-01\n,Nameless,,2024-01-01\nR4,Dirk,R6,2024-01-01\nR6,Eva,,2024-01-01")
    result = import_folder(tmp_ws, src)
    found = {r["line"]: (r["column"], r["reason"]) for r in rejects(result)}
    assert found == {
        "2": ("hired_on", "required value missing"),
        "3": ("manager_id", "no reps row has this rep_id: its row was rejected"),
        "4": ("manager_id", "no reps row has this rep_id: its row was rejected"),
        "5": ("manager_id", "no reps row has this rep_id"),
        "6": ("rep_id", "required value missing"),
    }
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R4", "R6"]
    # once R5 has landed, a later import may name it
    write(src, "reps", "rep_id,name,manager_id,hired_on\nR5,Boss,,2023-01-01")
    import_folder(tmp_ws, src)
    write(src, "reps", "rep_id,name,manager_id,hired_on\nR5,Boss,,\nR1,Anna,R5,2024-01-01")
    result = import_folder(tmp_ws, src)
    assert [r["line"] for r in rejects(result)] == ["2"]
    assert [r[0] for r in table_rows(tmp_ws, "reps")] == ["R1", "R4", "R5", "R6"]


def test_a_line_that_is_not_utf8_is_rejected_and_a_header_that_is_not_stops_the_import(tmp_ws, tmp_path):
    src = tmp_path / "in"
    write(src, "customers", "customer_id,acquired_on\nC1,2024-01-01\nC2,2024-01-01")
    # a record over two lines before the bad one, whose line end is another kind
    (src / "nps.csv").write_bytes(b'customer_id,responded_on,score\n"C1","2025-01-01","9\n"\n'
                                  b'C\xe92,2025-01-01,7\r\nC2,2025-01-02,8\n')
    result = import_folder(tmp_ws, src)
    # the record as the file holds it, its bad byte shown, not DuckDB's text
    # of it (which drops the byte and the comma after it)
    assert [(r["line"], r["value"], r["reason"]) for r in rejects(result)] == [
        ("2", "9\n", "not a whole number"), ("4", "C\\xe92,2025-01-01,7", "not UTF-8 text: save the file as UTF-8")]
    assert len(table_rows(tmp_ws, "nps")) == 1
    with open(result.rejects_path.parent / "nps.csv", newline="", encoding="utf-8") as f:
        assert [r["malformed_record"] for r in csv.DictReader(f)] == ["", "C\\xe92,2025-01-01,7"]
    (src / "nps.csv").write_bytes(b"customer_id,responded_on,sc\xe9re\nC1,2025-01-01,9\n")
    with pytest.raises(canonical.ImportError_, match="nps.csv: the header \\(line 1\\) is not UTF-8 text"):
        import_folder(tmp_ws, src)


def test_rows_of_tables_without_a_unique_key_all_count_and_a_reimport_replaces_their_groups(tmp_ws, tmp_path):
    """data-model.md makes no key of costs, targets and nps unique: two cost
    lines of one month and source are two costs, two answers of a customer
    on one day are two answers. A re-import writes nothing; a newer file
    replaces the rows of each key it brings, and leaves the others."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "customers", "customer_id,acquired_on,source\nC1,2025-01-05,website")
    write(src, "costs", "month,category,source,campaign,amount\n2025-01,marketing,website,,1000\n"
                        "2025-01,marketing,website,,500\n2025-01,marketing,website,,500\n2025-01,sales,,,100")
    write(src, "nps", "customer_id,responded_on,score\nC1,2025-01-10,10\nC1,2025-01-10,0")
    write(src, "targets", "period,kpi,rep_id,team,value\n2025-01,leads,R1,,10\n2025-01,leads,R1,,5")
    result = import_folder(tmp_ws, src)
    assert result.rejected == 0
    assert sorted(r[4] for r in table_rows(tmp_ws, "costs")) == [100, 500, 500, 1000]
    assert len(table_rows(tmp_ws, "nps")) == len(table_rows(tmp_ws, "targets")) == 2

    def figures(*args) -> dict:
        out = CliRunner().invoke(app, ["kpi", *args, "--period", "2025-01", "--as-of", "2025-06-01T00:00:00+02:00",
                                       "--format", "csv", "--workspace", tmp_ws.url]).stdout  # warnings on stderr
        return {r["kpi"]: r for r in csv.DictReader(out.splitlines())}

    got = figures("nps", "cac")
    assert got["cac"]["value"] == "2100"  # 1000 + 500 + 500 + 100, over the one new customer
    assert got["nps"]["value"] == "0"  # a 10 and a 0
    assert figures("target_attainment", "--by", "owner")["target_attainment"]["denominator"] == "15"
    assert import_folder(tmp_ws, src).written == 0
    # the website costs of January now one line of 1800; the sales line not in the file
    write(src, "costs", "month,category,source,campaign,amount\n2025-01,marketing,website,,1800")
    result = import_folder(tmp_ws, src)
    assert {t.table: t.written for t in result.tables}["costs"] == 1
    assert sorted(r[4] for r in table_rows(tmp_ws, "costs")) == [100, 1800]
    assert import_folder(tmp_ws, src).written == 0


def test_a_repeated_id_after_a_rejected_row_of_it_lands(tmp_ws, tmp_path):
    """The first row of an id that breaks no other rule lands: a bad first
    row does not take the good one (and every row naming the id) down."""
    src = tmp_path / "in"
    write(src, "reps", "rep_id,name,hired_on\nR1,Ann,bad\nR1,Ann,2020-01-01\nR1,Ann B,2021-01-01\n,X,\n,Y,")
    write(src, "forecasts", "rep_id,period,submitted_on,amount\nR1,2025,2025-01-01,5\nR1,2025-W01,2025-01-01,6")
    result = import_folder(tmp_ws, src)
    found = [(r["file"], r["line"], r["column"], r["reason"]) for r in rejects(result)]
    assert ("reps.csv", "4", "rep_id", "duplicate of line 3") in found
    assert not any(f == "reps.csv" and line in ("2", "3") and reason.startswith("duplicate")
                   for f, line, _, reason in found)
    assert not any(reason.startswith("duplicate") for f, *_, reason in found if f == "forecasts.csv")
    assert [r[:2] for r in table_rows(tmp_ws, "reps")] == [("R1", "Ann")]


def test_a_duplicate_names_its_key_as_the_file_wrote_it(tmp_ws, tmp_path):
    """Two history rows at one instant written with two offsets: the report
    gives the second one's key in its own words, not the stored UTC time."""
    src = tmp_path / "in"
    write(src, "reps", BASE_REPS)
    write(src, "stages", "stage,sequence,probability,kind\nNew,1,10,open")
    write(src, "opportunities", "opportunity_id,owner_id,created_at,status,amount,stage\n"
                                "O1,R1,2024-10-01T10:00:00+02:00,open,100,New")
    write(src, "stage_history", "opportunity_id,stage,entered_at\nO1,New,2024-10-03T10:29:00+02:00\n"
                                "O1,New, 20241003T0829Z")
    result = import_folder(tmp_ws, src)
    assert [(r["line"], r["value"], r["reason"]) for r in rejects(result)] == [
        ("3", "O1/New/20241003T0829Z", "duplicate of line 2")]
    with open(result.rejects_path.parent / "stage_history.csv", newline="", encoding="utf-8") as f:
        assert [r["entered_at"] for r in csv.DictReader(f)] == [" 20241003T0829Z"]  # kept as it came


def test_a_group_with_a_rejected_row_keeps_the_rows_the_workspace_holds(tmp_ws, tmp_path):
    """The rejected row may be the new version of a held one: the group is not
    brought whole, so nothing of it is deleted; its good rows the workspace
    lacks are added."""
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "customers", "customer_id,acquired_on\nC1,2024-01-01")
    write(first, "nps", "customer_id,responded_on,score\nC1,2025-01-01,9\nC1,2025-01-01,3")
    import_folder(tmp_ws, first)
    write(second, "nps", "customer_id,responded_on,score\nC1,2025-01-01,9\nC1,2025-01-01,3.5\n"
                         "C1,2025-02-01,7\nC1,2025-02-01,x\nC1,2025-03-01,8")
    result = import_folder(tmp_ws, second)
    assert [r["line"] for r in rejects(result)] == ["3", "5"]
    assert {t.table: t.written for t in result.tables} == {"nps": 2}
    assert [r[1:] for r in table_rows(tmp_ws, "nps")] == [
        (date(2025, 1, 1), 3), (date(2025, 1, 1), 9), (date(2025, 2, 1), 7), (date(2025, 3, 1), 8)]
    assert import_folder(tmp_ws, second).written == 0


def test_a_malformed_line_in_one_file_is_that_file_s_alone_and_later_lines_stay_exact(tmp_ws, tmp_path):
    """DuckDB adds each read's malformed lines to the rejects table it finds:
    one file's malformed line must not be reported again under every later
    file, nor move the line numbers of their rows."""
    folder = tmp_path / "data"
    shutil.copytree(GOLDEN, folder)
    history = (folder / "stage_history.csv").read_text(encoding="utf-8").splitlines()
    history.insert(3, "X,Y")  # line 4, two fields
    (folder / "stage_history.csv").write_text("\n".join(history) + "\n", encoding="utf-8")
    activities = (folder / "activities.csv").read_text(encoding="utf-8").splitlines()
    fields = activities[9].split(",")
    fields[6] = "bad"  # due_at on line 10
    activities[9] = ",".join(fields)
    (folder / "activities.csv").write_text("\n".join(activities) + "\n", encoding="utf-8")
    result = import_folder(tmp_ws, folder)
    with open(result.rejects_path, encoding="utf-8") as f:
        rejects = [(r["file"], r["line"], r["column"], r["value"]) for r in csv.DictReader(f)]
    # files in load order, not by name: a table's rejected rows before those
    # of the tables that name its rows, the cause before its knock-on rejects
    assert rejects == [("stage_history.csv", "4", "", "X,Y"), ("activities.csv", "10", "due_at", "bad")]
    assert {t.table: t.rejected for t in result.tables if t.rejected} == {"stage_history": 1, "activities": 1}


def test_a_clean_file_is_typed_in_one_pass_without_its_order(tmp_ws, monkeypatch):
    """The export's clean files take the fast way: the ordered reading, for a
    report's line numbers, is never needed."""
    def ordered(*args, **kwargs):
        raise AssertionError("a clean file was read again in order")

    monkeypatch.setattr(canonical, "_type_csv", ordered)
    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    assert import_folder(tmp_ws, GOLDEN).written == 0


def _whole_state(ws) -> tuple:
    with ws.reader() as con:
        logged = con.execute("SELECT count(*) FROM koers_imports").fetchone()[0]
    return ws.fingerprint(), logged, {t.name: table_rows(ws, t.name) for t in TABLES}


def test_a_check_reports_what_the_import_would_and_writes_nothing(tmp_ws, tmp_path):
    assert import_folder(tmp_ws, GOLDEN).rejected == 0
    src = tmp_path / "newer"
    shutil.copytree(GOLDEN, src)
    leads = (src / "leads.csv").read_text(encoding="utf-8").splitlines()
    leads[1] = leads[1].replace("2025-01-10T09:00:00", "2025-13-10T09:00:00")  # L01: no such month
    leads[2] = leads[2].replace(",NL,", ",BE,")  # L02 moved: a change an import writes
    (src / "leads.csv").write_text("\n".join(leads) + "\n", encoding="utf-8")
    before = _whole_state(tmp_ws)

    checked = import_folder(tmp_ws, src, check=True)
    assert checked.checked
    assert _whole_state(tmp_ws) == before  # no row, no derived table, no snapshot, no log line
    done = import_folder(tmp_ws, src)
    assert [(t.table, t.read, t.written, t.rejected) for t in checked.tables] == \
           [(t.table, t.read, t.written, t.rejected) for t in done.tables]
    assert {t.table: t.written for t in done.tables if t.written} == {"leads": 1}
    assert rejects(checked) == rejects(done) and checked.rejects_path != done.rejects_path
    assert [(r["file"], r["line"], r["column"]) for r in rejects(checked)][0] == ("leads.csv", "2", "created_at")

    again = tmp_path / "again.duckdb"
    cli = CliRunner().invoke(app, ["import", str(src), "--check", "--workspace", str(again)])
    assert cli.exit_code == 1  # as the import would: some rows would be rejected
    assert "nothing written" in cli.output and "rows would be rejected; every one is in" in cli.output
    with duckdb.connect(str(again), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM leads").fetchone()[0] == 0
