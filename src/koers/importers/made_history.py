"""The stage_history rows Koers made, carried through an export.

An opportunity imported without history gets a row from Koers (its stage at
created_at, and later a row per stage a newer import shows it in: see
canonical._generate_missing_history). Koers keeps which rows it made, in
koers_generated_history, so that real history imported later replaces them
and a later move still gets its row. The canonical folder has no place to
say so: `koers export` writes those rows to stage_history.csv like any
other, and lists them again in this file beside it, which `koers import`
reads to keep them as made. Without it an exported and re-imported
workspace would take them for real history, and a deal whose only history
Koers made would stay in its first stage at every moment after its next move.
"""

from __future__ import annotations

from pathlib import Path

from koers.importers.validate import export_expr, export_rows, lit, raw, timestamp_layers, typed_expr
from koers.model import TABLE_BY_NAME

FILE = "koers_made_history.csv"
COLUMNS = ("opportunity_id", "stage", "entered_at")


def read(con, path: Path, tz: str) -> None:
    """The listed rows as `_made_rows`, typed as stage_history's; a line
    that does not read names no row and is passed over."""
    table = TABLE_BY_NAME["stage_history"]
    typed = ", ".join(f"{typed_expr(table.column(c), tz)} AS {c}" for c in COLUMNS)
    trimmed = ", ".join(f"{raw(c)} AS {c}" for c in COLUMNS)
    rows = timestamp_layers([table.column(c) for c in COLUMNS], f"SELECT {trimmed} FROM read_csv({lit(str(path))}, "
                            "header=true, all_varchar=true, ignore_errors=true)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _made_rows AS SELECT DISTINCT * FROM (SELECT {typed} FROM ({rows})) "
        "WHERE opportunity_id IS NOT NULL AND stage IS NOT NULL AND entered_at IS NOT NULL"
    )


def present(con) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '_made_rows'").fetchone()[0])


def real_rows(con, rows: str) -> str:
    """The history rows of query `rows` that Koers did not make."""
    return f"SELECT * FROM ({rows}) EXCEPT SELECT * FROM _made_rows" if present(con) else rows


def mark(con) -> None:
    """Keep the listed rows that stage_history holds as made by Koers."""
    if not present(con):
        return
    con.execute(
        "INSERT INTO koers_generated_history SELECT m.* FROM _made_rows m WHERE EXISTS (SELECT 1 FROM stage_history h "
        "WHERE h.opportunity_id = m.opportunity_id AND h.stage = m.stage AND h.entered_at = m.entered_at) "
        "AND NOT EXISTS (SELECT 1 FROM koers_generated_history g WHERE g.opportunity_id = m.opportunity_id "
        "AND g.stage = m.stage AND g.entered_at = m.entered_at)"
    )


def write(con, folder: Path, tz: str) -> bool:
    """The made rows into FILE in `folder`, their entered_at written as
    stage_history.csv writes it; nothing when Koers made none."""
    if not con.execute("SELECT count(*) FROM koers_generated_history").fetchone()[0]:
        return False
    entered_at = TABLE_BY_NAME["stage_history"].column("entered_at")
    made = export_rows([entered_at], tz, "SELECT * FROM koers_generated_history")
    con.execute(
        f"COPY (SELECT opportunity_id, stage, {export_expr(entered_at, tz)} FROM ({made}) ORDER BY ALL) "
        f"TO {lit(str(folder / FILE))} (HEADER, DELIMITER ',')"
    )
    return True
