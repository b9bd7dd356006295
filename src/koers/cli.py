"""The `koers` command line (../shared/spec/cli.md): a thin shell over the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from koers import output
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.compare import AGAINST, TARGET_COLUMNS, compared
from koers.kpis.compute import QueryError, compute, dim_values
from koers.kpis.dimension_values import unheld_warnings
from koers.kpis.model import label
from koers.periods import PeriodError, default_periods, parse_instant, parse_spec
from koers.settings import SETTING_NAMES, parse_assignments
from koers.store import Workspace, WorkspaceError, now_utc

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Koers: the sales-KPI cockpit.")
err = Console(stderr=True, soft_wrap=True)  # a message is one line, for scripts that read it
out = Console()

WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="DuckDB file, spark:DIR or postgresql://USER@HOST:PORT/DB (env KOERS_WORKSPACE; default ./koers.duckdb)"),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table | csv | json")]
LangOpt = Annotated[str, typer.Option("--lang", help="nl | en")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="write csv, json or xlsx to this file instead "
                                                                     "of standard output")]


def usage_error(message: str) -> None:
    # escaped: a message may quote what was typed, or name a [section] of a file, which Rich would read as markup
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(2)


# --workspace given before the command (`koers -w W import ...`), which a
# command's own --workspace overrides
_before_command: dict[str, str | None] = {"workspace": None}


@app.callback()
def before_command(workspace: WorkspaceOpt = None) -> None:
    """Koers: the sales-KPI cockpit."""
    _before_command["workspace"] = workspace


def open_workspace(url: str | None, read_only: bool = False) -> Workspace:
    try:
        return Workspace.open(url or _before_command["workspace"], read_only=read_only)
    except WorkspaceError as e:
        usage_error(str(e))


def check_kpis(ids: list[str]) -> None:
    """Exit 2 naming the valid KPIs when an id is not in the catalogue."""
    unknown = [k for k in ids if k not in CATALOG_BY_ID]
    if unknown:
        usage_error(f"unknown KPI {', '.join(unknown)}; valid KPIs: {', '.join(k.id for k in CATALOG)}")


def reading(workspace: str | None, as_of: str | None):
    """The workspace a question reads, its settings, and the as-of moment asked (now when none is)."""
    ws = open_workspace(workspace, read_only=True)  # KPI runs read a DuckDB file side by side
    try:
        settings = ws.settings()
        return ws, settings, parse_instant(as_of, settings.tz) if as_of else now_utc()
    except (WorkspaceError, PeriodError) as e:
        usage_error(str(e))


def connected(ws: Workspace):
    """The engine's connection to the workspace (close it with engines.close)."""
    from koers.engines import connect

    try:
        return connect(ws)
    except WorkspaceError as e:
        usage_error(str(e))


def warn_unheld(ws, asked: list[tuple[dict[str, str], str]]) -> None:
    """A warning for each filter value no record holds, naming the nearest
    (`asked`: each set of filters and what it belongs to): such a filter
    covers no record, so its figures are empty or 0."""
    from koers.engines import close
    from koers.kpis.dimension_values import unheld_warnings

    if not any(filters for filters, _ in asked):
        return
    con = connected(ws)
    try:
        for filters, what in asked:
            for w in unheld_warnings(con, filters, what):
                err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    finally:
        close(con)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        usage_error(f"--{name} must be one of: {', '.join(choices)} (got '{value}')")


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="a canonical dataset folder; with --mapping, the exported files")],
    mapping: Annotated[Path | None, typer.Option(help="a mapping (YAML) from exported files to the canonical tables")] = None,
    preset: Annotated[str | None, typer.Option(help="the mapping for a CRM's standard export: odoo, salesforce, "
                                                    "hubspot, pipedrive")] = None,
    dates: Annotated[str | None, typer.Option(help="with --mapping or --preset: the exported files' date order, "
                                                   "day_first (04-03-2025 is 4 March) or month_first, over the "
                                                   "mapping's (a Salesforce export follows its user's locale)")] = None,
    decimal: Annotated[str | None, typer.Option(help="with --mapping or --preset: the exported files' decimal "
                                                     "mark, ',' (1.234,50) or '.' (1,234.50), over the mapping's "
                                                     "(a CRM writes numbers as its user's locale does)")] = None,
    check: Annotated[bool, typer.Option("--check", help="validate only: report what would land and every row "
                                                       "that would be rejected; the workspace stays as it was")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import a canonical dataset folder, or a CRM's exported files through a mapping or a preset.

    Good rows land; every rejected row is reported with its file, line, column, value and reason."""
    from koers.importers.canonical import ImportError_, csv_files, import_folder
    from koers.importers.mapping import MappingError, import_mapped
    from koers.importers.presets import preset_path

    if mapping is not None and preset is not None:
        usage_error("give --mapping or --preset, not both")
    if preset is not None:
        try:
            mapping = preset_path(preset)
        except MappingError as e:
            usage_error(str(e))
    if dates is not None and (mapping is None or dates not in ("day_first", "month_first")):
        usage_error("--dates is day_first or month_first, and goes with --mapping or --preset")
    if decimal is not None and (mapping is None or decimal not in (",", ".")):
        usage_error("--decimal is ',' or '.', and goes with --mapping or --preset")
    if mapping is None and len(paths) != 1:
        usage_error("give one canonical dataset folder, or --mapping M.yaml / --preset NAME with the exported files")
    if mapping is not None:
        folders = [str(p) for p in paths if p.is_dir()]
        if folders:
            usage_error(f"with --mapping, give the exported files, not folders: {', '.join(folders)}")
    ws = open_workspace(workspace)
    folder = None if mapping else Path(paths[0])
    # a folder's progress is in bytes; a mapping's in tables (its files are read first, whole)
    total = sum(p.stat().st_size for p in csv_files(folder)) or 1 if folder and folder.is_dir() else None
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("importing", total=total)

        def advance(table: str, size: int) -> None:
            progress.update(task, advance=size, description=f"imported {table}")

        try:
            if mapping is not None:
                result = import_mapped(ws, mapping, paths, on_table=lambda t, _: advance(t, 0), dates=dates,
                                       decimal=decimal, check=check)
            else:
                result = import_folder(ws, folder, on_table=advance, check=check)
        except (ImportError_, MappingError) as e:
            usage_error(str(e))
    for w in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    if check:
        table = Table("table", "read", "would write", "would reject",
                      title=f"check {result.import_id}: nothing written")
    else:
        table = Table("table", "read", "written", "rejected", title=f"import {result.import_id}")
    for t in result.tables:
        table.add_row(t.table, str(t.read), str(t.written), str(t.rejected))
    err.print(table)
    if result.rejected:
        print_rejects(result, "would be rejected" if check else "rejected")
        raise typer.Exit(1)


SHOWN_REJECTS = 10


def print_rejects(result, said: str = "rejected") -> None:
    """The first rejected rows, so that the terminal shows what went wrong
    before anyone opens the file, and where all of them are."""
    from koers.datalog import read_rejects

    rows = read_rejects(result.rejects_path, SHOWN_REJECTS)
    more = result.rejected > len(rows)
    err.print(_rejects_table(rows, f"the first {len(rows)} of {result.rejected} rows {said}" if more
                             else f"rows {said}"))
    rows_said = "1 row" if result.rejected == 1 else f"{result.rejected} rows"
    err.print(f"{rows_said} {said}; every one is in {result.rejects_path}", highlight=False)


def _rejects_table(rows: list[dict], title: str) -> Table:
    """Rows of a rejects file (datalog.read_rejects) as a terminal table."""
    from koers.datalog import REJECT_FIELDS

    table = Table(*REJECT_FIELDS, title=title)
    for r in rows:
        table.add_row(*(escape("" if r[c] is None else str(r[c])) for c in REJECT_FIELDS))
    return table


@app.command("export")
def export_cmd(folder: Path, workspace: WorkspaceOpt = None) -> None:
    """Write the workspace as a canonical dataset folder that import reads back."""
    from koers.importers.canonical import export_folder

    ws = open_workspace(workspace, read_only=True)
    if folder.exists() and not folder.is_dir():
        usage_error(f"'{folder}' is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        usage_error(f"cannot make the folder '{folder}': {e.strerror}")
    try:
        counts = export_folder(ws, folder)
    except WorkspaceError as e:
        usage_error(str(e))
    err.print(f"exported {sum(counts.values())} rows in {len(counts)} tables to {folder}", highlight=False)


@app.command("imports")
def imports_cmd(
    import_id: Annotated[str | None, typer.Argument(help="an import's id: the rows it rejected")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="the last N imports (default 20), or N rejected rows "
                                                          "(default all)")] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """The imports and syncs that wrote the workspace, or the rows one import rejected.

    Newest first: when, from where, rows read, written and rejected, and where the rejects are."""
    from koers.datalog import data_log, local_instant, local_text

    check_choice("format", format, ("table", "csv", "json"))
    ws = open_workspace(workspace, read_only=True)
    try:
        tz = ws.settings().tz
        log = data_log(ws)
    except WorkspaceError as e:
        usage_error(str(e))
    if import_id is not None:
        _print_import_rejects(ws, log, import_id, limit, format)
        return
    rows = log.imports.head(limit or 20)
    rows = rows.rename(columns={"source": "origin", "rows_read": "read", "rows_written": "written",
                                "rows_rejected": "rejected"})
    if format in ("csv", "json"):
        rows = rows.assign(imported_at=[local_instant(v, tz) for v in rows["imported_at"]])
        sys.stdout.write(output.to_csv(rows) if format == "csv" else output.to_json(rows) + "\n")
    elif rows.empty:
        err.print("nothing was imported into this workspace yet", highlight=False)
    else:
        t = Table("imported", "import", "from", "read", "written", "rejected", "rejects")
        for c in t.columns:  # an id or a path wraps whole, never cut short: it is there to be copied
            c.overflow = "fold"
        for r in rows.itertuples(index=False):
            t.add_row(local_text(r.imported_at, tz), r.import_id, r.origin, str(r.read), str(r.written),
                      str(r.rejected), r.rejects_path or "–")
        out.print(t)


def _print_import_rejects(ws, log, import_id: str, limit: int | None, format: str) -> None:
    import pandas as pd

    from koers.datalog import REJECT_FIELDS, logged_import, read_rejects, rejects_file

    logged = logged_import(log, import_id)
    if logged is None:
        usage_error(f"no import '{import_id}' in this workspace; koers imports lists them")
    path = rejects_file(ws, logged) if logged["rows_rejected"] else None
    if logged["rows_rejected"] and path is None:
        usage_error(f"import {import_id} rejected {logged['rows_rejected']} rows, but its rejects file "
                    f"({logged['rejects_path']}) is gone")
    found = read_rejects(path, limit) if path else []
    if format in ("csv", "json"):
        rows = pd.DataFrame(found, columns=list(REJECT_FIELDS))
        sys.stdout.write(output.to_csv(rows) if format == "csv" else output.to_json(rows) + "\n")
    elif not found:
        err.print(f"import {import_id} rejected no row", highlight=False)
    else:
        out.print(_rejects_table(found, f"rows import {import_id} rejected"))
        if len(found) < logged["rows_rejected"]:
            err.print(f"{len(found)} of {logged['rows_rejected']}; every one is in {path}", highlight=False)


@app.command("kpis")
def kpis_cmd(
    ids: Annotated[list[str] | None, typer.Argument(help="KPI ids: each one's definition, notes and dimensions "
                                                         "(default: the whole catalogue as a list)")] = None,
    lang: LangOpt = "en", format: FormatOpt = "table", workspace: WorkspaceOpt = None,
) -> None:
    """List the KPI catalogue, or show what KPIs mean."""
    # --workspace is taken as by every command (cli.md); the catalogue is every workspace's
    check_choice("lang", lang, ("nl", "en"))
    check_choice("format", format, ("table", "csv", "json"))
    import pandas as pd

    check_kpis(ids or [])
    kpis = [CATALOG_BY_ID[k] for k in dict.fromkeys(ids)] if ids else list(CATALOG)
    rows = pd.DataFrame(
        [
            {
                "id": k.id,
                "name": k.name(lang),
                "family": k.family,
                "type": k.type.value,
                "unit": k.unit.value,
                "direction": k.direction.value,
                "dimensions": " ".join(k.dimensions),
                "definition": k.definition_in(lang),
            }
            for k in kpis
        ]
    )
    if format == "csv":
        sys.stdout.write(output.to_csv(rows))
    elif format == "json":
        sys.stdout.write(output.to_json(rows) + "\n")
    elif ids:
        for k in kpis:
            _print_kpi(k, lang)
    else:
        from koers.web.i18n import word

        said = KPI_CARD[lang]
        t = Table("id", said["name"], said["kind"], said["unit"], said["better"], title=said["title"],
                  show_edge=False)  # two columns more for the name in 80
        t.columns[0].no_wrap = True  # the id is what `koers kpi` takes: whole, to copy
        t.columns[0].min_width = max(len(k.id) for k in kpis)
        t.columns[1].min_width = 16  # the name, which people read, gets room before the words beside it
        for column in t.columns[1:]:
            column.overflow = "fold"  # wrapped, never cut short
        for k in kpis:
            t.add_row(k.id, k.name(lang), word(k.type.value, lang), word("unit_" + k.unit.value, lang),
                      word(k.direction.value, lang))
        out.print(t)
        err.print(said["hint"], highlight=False)


def _print_kpi(k, lang: str) -> None:
    """One KPI as its card on the web shows it: what it is, how it is measured, how to split it."""
    from koers.web.i18n import word

    said = KPI_CARD[lang]
    out.print(f"[bold]{escape(k.name(lang))}[/bold] ({k.id})", highlight=False)
    out.print(f"{said['kind']}: {word(k.type.value, lang)}, {word('unit_' + k.unit.value, lang)}; "
              f"{said['better']}: {word(k.direction.value, lang)}", highlight=False)
    out.print(f"{said['definition']}: {escape(k.definition_in(lang))}", highlight=False)
    for note in k.notes_in(lang):
        out.print(f"- {escape(note)}", highlight=False)
    dims = ", ".join(f"{d} ({label(d, lang)})" for d in k.dimensions)
    out.print(f"{said['dimensions']}: {dims or '–'}", highlight=False)
    # where `koers drill` finds them: the KPI's own, its parts', and the other tables it reads
    where = [f"{said['parts']} ({', '.join(k.parts)})"] if k.parts else [f"koers drill {k.id}"]
    where += [f"{said['also']} koers drill {k.id} --table {t}" for t in k.record_tables]
    out.print(f"{said['records']}: {'; '.join(where)}\n", highlight=False)


KPI_CARD = {
    "en": {"kind": "Kind", "better": "better", "definition": "Definition", "dimensions": "Split and filter by",
           "name": "Name", "unit": "Unit", "title": "Koers KPI catalogue",
           "hint": "koers kpis ID shows a KPI's definition, notes and dimensions",
           "records": "Records behind a figure", "parts": "its parts'", "also": "also"},
    "nl": {"kind": "Soort", "better": "beter", "definition": "Definitie", "dimensions": "Splitsen en filteren op",
           "name": "Naam", "unit": "Eenheid", "title": "Koers KPI-catalogus",
           "hint": "koers kpis ID toont de definitie, opmerkingen en dimensies van een KPI",
           "records": "Records achter een cijfer", "parts": "die van de onderdelen", "also": "ook"},
}


@app.command("kpi")
def kpi_cmd(
    ids: Annotated[list[str], typer.Argument(help="KPI ids (koers kpis lists them)")],
    period: Annotated[str | None, typer.Option(help="2025, 2025-Q3, 2025-07, 2025-W14, 2025-07-15 or A..B")] = None,
    grain: Annotated[str | None, typer.Option(help="day | week | month | quarter | year")] = None,
    by: Annotated[str | None, typer.Option(help="dimensions, comma-separated")] = None,
    where: Annotated[list[str] | None, typer.Option(help="DIM=VALUE (repeatable)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the moment the question is asked")] = None,
    compare: Annotated[str | None, typer.Option(help="previous | year | target: each figure beside the same one "
                                                     "of the period before or a year earlier, or beside its "
                                                     "target (by owner or team), and the change")] = None,
    format: Annotated[str, typer.Option("--format", help="table | csv | json | xlsx (a workbook for people: "
                                                          "numbers as numbers, names and definitions beside)")
                      ] = "table",
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Compute KPIs per period, split and filtered by dimensions."""
    check_choice("format", format, ("table", "csv", "json", "xlsx"))
    check_output(format, output_path)
    if compare is not None:
        check_choice("compare", compare, AGAINST)
    check_choice("lang", lang, ("nl", "en"))
    ids = list(dict.fromkeys(ids))  # a KPI asked twice is one KPI: its rows once
    check_kpis(ids)
    by_dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
    try:
        filters = dim_values(where or [], "--where")
    except QueryError as e:
        usage_error(str(e))
    ws, settings, moment = reading(workspace, as_of)
    try:
        periods = parse_spec(period, grain) if period else default_periods(moment, settings.tz, grain)
    except PeriodError as e:
        usage_error(str(e))
    from koers.engines import close

    con = connected(ws)
    try:
        result = compute(con, settings, ids, periods, by_dims, filters, moment)
        if compare:
            result = compared(con, settings, result, ids, periods, by_dims, filters, moment, compare)
        names = _names(con, result.rows.columns) if format in ("table", "xlsx") else {}
        span = records_span(con, settings.tz) if format == "table" and result.rows.empty else None
        unheld = unheld_warnings(con, filters)
    except QueryError as e:
        usage_error(str(e))
    finally:
        close(con)
    for w in result.warnings + unheld:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    rows = result.rows
    labels = {p.start: p.label for p in periods}
    if format == "csv":
        write_out(output.to_csv(rows), output_path)
    elif format == "json":
        write_out(output.to_json(rows) + "\n", output_path)
    elif format == "xlsx":
        from koers.workbook import kpi_workbook

        write_out(kpi_workbook(rows, lang, settings.currency, labels, names), output_path)
    else:
        _print_table(rows, lang, settings.currency, labels, names, compare)
        if rows.empty:  # with --by, a group without records has no row: say so, not an empty frame alone
            err.print(_no_rows_note(periods, by_dims, span), highlight=False)


def check_output(format: str, path: Path | None) -> None:
    """--output and --format together: a file for what is not a table, and a
    workbook never poured into a terminal."""
    if path is not None and format == "table":
        usage_error("--output writes csv, json or xlsx; a table is for the terminal")
    if format == "xlsx" and path is None and sys.stdout.isatty():
        usage_error("an xlsx workbook is not for a terminal: name a file with --output FILE (or redirect)")


def write_out(content: str | bytes, path: Path | None) -> None:
    """To the file named, or to standard output."""
    if path is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
        else:
            sys.stdout.write(content)
        return
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as e:
        usage_error(f"cannot write '{path}': {e.strerror}")
    err.print(f"wrote {path}", highlight=False)


def _no_rows_note(periods, by_dims: list[str], span) -> str:
    asked = periods[0].label if len(periods) == 1 else f"{periods[0].label}..{periods[-1].label}"
    why = ("with --by, a group has a row only when it has records of the KPI" if by_dims else
           "target_attainment has a row only where a target overlaps the period")
    held = (f"the workspace's records run from {span[0]} to {span[1]}" if span else
            "the workspace holds no leads, opportunities, orders or activities")
    return f"no rows in {asked}: {why}; {held}"


# the records whose dates say which periods a workspace can answer for
_DATED = (("leads", "created_at"), ("opportunities", "created_at"), ("activities", "done_at"),
          ("orders", "ordered_on"))


def records_span(con, tz):
    """The first and last local date of the workspace's leads, opportunities,
    activities and orders, or None when it holds none."""
    from koers.periods import local_date

    days = []
    for table, column in _DATED:
        t = con.table(table)
        found = t.aggregate(first=t[column].min(), last=t[column].max()).execute()
        for v in (found["first"][0], found["last"][0]):
            if v is None or v != v:  # none in the table: null, or NaT
                continue
            v = v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
            if t.schema()[column].is_timestamp():  # stored in UTC
                days.append(local_date(v, tz))
            else:  # a date, whichever type the engine gives it back as
                days.append(v.date() if hasattr(v, "date") else v)
    return (min(days), max(days)) if days else None


def _names(con, columns) -> dict[str, dict[str, str]]:
    """How people know the reps and customers a table splits by: by name."""
    found = {}
    for dim, table, key in (("owner", "reps", "rep_id"), ("customer", "customers", "customer_id")):
        if dim in columns:  # every canonical table exists in a workspace, empty or not
            named = con.table(table).select(key, "name").execute()
            found[dim] = {k: n for k, n in zip(named[key], named["name"]) if isinstance(n, str) and n}
    return found


AGAINST_HEADINGS = {"previous": {"nl": "Vorige", "en": "Previous"}, "year": {"nl": "Jaar eerder", "en": "Year before"},
                    "target": {"nl": "Doel", "en": "Target"}}


def _print_table(rows, lang: str, currency: str, period_labels: dict, names: dict[str, dict[str, str]],
                 against: str | None = None) -> None:
    """For people: KPIs and target KPIs by name, periods as written (2025-Q3), reps
    and customers by name with their id, numbers localised and right-aligned."""
    compared = ["compared_value", "change"] if against else []
    if "pace" in rows and rows["pace"].notna().any():  # against the target, while a period runs
        compared.append("pace")
    # a comparison in a terminal's width: value beside value under a heading that
    # says which (each row's compared period follows from its own), the parts,
    # the compared period and the change's unit (which the change says) in csv and json
    parts = [] if compared else ["numerator", "denominator"]
    columns = [c for c in rows.columns if c not in ("numerator", "denominator", *TARGET_COLUMNS)] + parts + compared
    numbers = ("value", "numerator", "denominator", "compared_value", "change", "pace")
    # One KPI or one period asked: named once above the table instead of on
    # every row, so that the names beside the figures keep their width.
    title = []
    for c in ("kpi", "period"):
        if len(rows) > 1 and rows[c].nunique(dropna=False) == 1:
            title += _cells(rows.iloc[0].to_dict(), [c], lang, currency, period_labels, names)
            columns.remove(c)
    headings = {c: label(c, lang) for c in columns} | ({"compared_value": AGAINST_HEADINGS[against][lang]}
                                                       if against else {})
    table = [_cells(rec, columns, lang, currency, period_labels, names) for rec in rows.to_dict("records")]
    t = Table(title=" · ".join(title) or None, title_justify="left")
    for i, c in enumerate(columns):
        if c in (*numbers, "period"):  # never cut short: the names around them wrap instead
            t.add_column(headings[c], justify="right" if c in numbers else "left", no_wrap=True,
                         min_width=max([len(cells[i]) for cells in table], default=0))
        else:
            t.add_column(headings[c])
    for cells in table:
        t.add_row(*cells)
    out.print(t)


def _cells(rec: dict, columns: list[str], lang: str, currency: str, period_labels: dict,
           names: dict[str, dict[str, str]]) -> list[str]:
    """A row's cells as people read them."""
    cells = []
    for c in columns:
        v = rec[c]
        if c in ("kpi", "target_kpi") and v in CATALOG_BY_ID:
            cells.append(CATALOG_BY_ID[v].name(lang))
        elif c == "period":
            cells.append(period_labels.get(v, output.plain(v)))
        elif c in ("value", "compared_value"):
            cells.append(output.format_value(rec["kpi"], v, lang, currency))
        elif c in ("numerator", "denominator"):
            cells.append(output.format_number(v, lang))
        elif c == "change":
            cells.append(output.format_change(v, rec["change_unit"], lang))
        elif c == "pace":
            cells.append(output.format_percent(v, lang))
        elif c in names and v in names[c]:
            cells.append(f"{names[c][v]} ({v})")
        else:
            cells.append(output.plain(v) or "–")
    return cells


@app.command("settings")
def settings_cmd(
    assignments: Annotated[list[str] | None, typer.Argument(help="NAME=VALUE to change a setting")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Show the workspace settings, or change them with NAME=VALUE
    (activity_points.TYPE=POINTS changes one type's points)."""
    ws = open_workspace(workspace)
    if assignments:
        for a in assignments:
            if "=" not in a:
                usage_error(f"write NAME=VALUE, got '{a}'; settings: {', '.join(SETTING_NAMES)}")
        pairs = [tuple(part.strip() for part in a.split("=", 1)) for a in assignments]
        before = ws.settings()
        try:
            values = parse_assignments(pairs, before)
        except ValueError as e:
            usage_error(str(e))
        ws.set_settings(**values)
        for note in _reread_notes(ws, before, values):
            err.print(f"note: {note}", highlight=False)
    for name, value in ws.settings().as_inputs().items():
        out.print(f"{name}={value}", highlight=False, soft_wrap=True)
    table_points = ws.count("activity_points")
    if table_points:  # kpis.md: the setting stands in for the table, absent or empty
        err.print(f"note: the workspace's activity_points table ({table_points} types) gives the points, "
                  "not the activity_points setting, which counts only while that table is empty", highlight=False)


def _reread_notes(ws, before, values: dict) -> list[str]:
    """What a changed time zone or currency does not do to the rows already
    imported: they were read under the settings of their import."""
    if not any(ws.counts().values()):
        return []
    notes = []
    zone = values.get("time_zone")
    if zone and zone != before.time_zone:
        notes.append(f"timestamps imported without an offset keep the instants they were read as, in the time "
                     f"zone set at their import; periods and dates now follow {zone}. Import the source files "
                     f"again to read them as {zone} time (an export's timestamps carry their offset and stay as "
                     f"they are).")
    currency = values.get("currency")
    if currency and currency != before.currency:
        notes.append(f"amounts without a currency now count as {currency}, and exchange_rates are read as units "
                     f"of {currency}: import the data again with rates against {currency} (an amount in a "
                     f"currency without a rate on its day counts 0 until then).")
    return notes


@app.command("demo")
def demo_cmd(
    size: Annotated[str, typer.Option(help="small | medium | large")] = "small",
    seed: Annotated[int, typer.Option(help="same seed, same company")] = 42,
    workspace: WorkspaceOpt = None,
) -> None:
    """Build the demo company (a Dutch B2B seller) into the workspace."""
    check_choice("size", size, ("small", "medium", "large"))
    from koers.demo_load import load_demo

    ws = open_workspace(workspace)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(f"building the {size} demo company", total=2)
        counts = load_demo(ws, size, seed, on_step=lambda msg: progress.update(task, advance=1, description=msg))
    err.print(
        f"demo company ({size}, seed {seed}) in {ws.url}: "
        + ", ".join(f"{n} {t}" for t, n in counts.items() if n),
        highlight=False,
    )


@app.command("serve")
def serve_cmd(
    workspace: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on")] = 8000,
) -> None:
    """Serve the web cockpit (dashboards, a page per KPI, the JSON API under /api/v1)."""
    import uvicorn

    from koers.web.app import create_app

    ws = open_workspace(workspace, read_only=True)  # the pages read beside KPI runs and exports
    err.print(f"Koers on http://{host}:{port}/  (workspace {ws.url}; API docs at /docs)", highlight=False)
    uvicorn.run(create_app(ws.url), host=host, port=port, log_level="warning")


# `koers sync ...` lives in its own module; it adds itself to `app`
from koers import cli_alerts, cli_changes, cli_drill, cli_review, cli_sync  # noqa: E402,F401


def main() -> None:
    app()


if __name__ == "__main__":
    # Run as `python -m koers.cli`, this module is __main__, and the command
    # groups above added themselves to the app of koers.cli, a second copy
    # of it that their imports loaded: that app is the whole CLI.
    from koers.cli import main as whole_cli

    whole_cli()
