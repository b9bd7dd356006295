"""`koers sync SOURCE ...` and `koers sync log`: live syncs from CRMs.

Each connector module adds its own command with register(sync_app, run);
`run` gives every sync the same progress line, report and exit codes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from koers import output
from koers.cli import (
    FormatOpt,
    WorkspaceOpt,
    app,
    check_choice,
    err,
    open_workspace,
    out,
    print_rejects,
    usage_error,
)

sync_app = typer.Typer(no_args_is_help=True, help="Live syncs from a CRM's API, and their run log.")
app.add_typer(sync_app, name="sync")

# the connector modules under koers.connectors that add a `koers sync NAME` command
CONNECTORS: tuple[str, ...] = ("odoo", "hubspot", "pipedrive", "salesforce")


def run(workspace: str | None, source: str, pull_for: Callable[[Callable[[str], None]], Callable]) -> None:
    """Run one sync with a progress line and print what it did.

    pull_for(say) returns the connector's pull function; the connector calls
    say("read 200 crm.lead") as it goes, so a long read shows it is alive.
    Exit 0 when all landed, 1 when rows were rejected, 3 when the source
    could not be read (nothing written)."""
    from koers.connectors.runner import SyncError, run_sync

    ws = open_workspace(workspace)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(f"sync {source}: connecting")

        def say(message: str) -> None:
            progress.update(task, description=f"sync {source}: {message}")

        try:
            done = run_sync(ws, source, pull_for(say), on_table=lambda t, _: say(f"imported {t}"))
        except SyncError as e:
            # the message may name a [section] of the credentials file: not markup
            err.print(f"[red]sync {source} failed:[/red] {escape(str(e))}", highlight=False)
            err.print("nothing was written; the next run starts where the last good run ended", highlight=False)
            raise typer.Exit(3) from None
    table = Table("table", "read", "written", "rejected", title=f"sync {source} {done.run_id}")
    for t in done.result.tables:
        table.add_row(t.table, str(t.read), str(t.written), str(t.rejected))
    err.print(table)
    read = ", ".join(f"{n} {model}" for model, n in done.read.items())
    err.print(f"read {read or 'nothing new'}", highlight=False)
    if done.result.rejected:
        print_rejects(done.result)
        raise typer.Exit(1)


@sync_app.command("log")
def log_cmd(
    source: Annotated[str | None, typer.Option(help="only this source (odoo, salesforce, ...)")] = None,
    limit: Annotated[int, typer.Option(help="the last N runs")] = 20,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = "table",
) -> None:
    """The sync runs: when, source, rows read, written and rejected per table."""
    from koers.connectors.runner import sync_log

    check_choice("format", format, ("table", "csv", "json"))
    if limit < 1:
        usage_error("--limit must be 1 or more")
    rows = pd.DataFrame(
        sync_log(open_workspace(workspace), source, limit),
        columns=["run_id", "source", "started_at", "finished_at", "tbl", "rows_read", "rows_written",
                 "rows_rejected", "import_id", "status", "message"],
    ).rename(columns={"tbl": "table", "rows_read": "read", "rows_written": "written", "rows_rejected": "rejected"})
    if format == "csv":
        out.print(output.to_csv(rows), end="", highlight=False, soft_wrap=True)
    elif format == "json":
        out.print(output.to_json(rows), highlight=False, soft_wrap=True)
    elif rows.empty:
        err.print("no sync has run in this workspace", highlight=False)
    else:
        table = Table("started (UTC)", "source", "run", "table", "read", "written", "rejected", "status")
        for r in rows.itertuples(index=False):
            table.add_row(
                f"{r.started_at:%Y-%m-%d %H:%M:%S}", r.source, r.run_id, r.table or "", str(r.read),
                str(r.written), str(r.rejected), r.status + (f": {r.message}" if r.message else ""),
            )
        out.print(table)


for _name in CONNECTORS:
    importlib.import_module(f"koers.connectors.{_name}").register(sync_app, run)
