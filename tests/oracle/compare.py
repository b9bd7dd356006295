"""Koers's `koers kpi --format csv` held against the reference KPIs.

    python -m tests.oracle.compare FOLDER AS_OF SPEC [--grain G] [--by DIMS] [KPI ...]

imports FOLDER into a scratch workspace and prints every row where the two
disagree (run from the project root)."""

from __future__ import annotations

import argparse
import csv
import io
import math
import tempfile
from datetime import datetime
from pathlib import Path

from tests.oracle import base

VALUES = ("value", "numerator", "denominator")


def reference_kpis() -> dict:
    """Every KPI the reference implements, by id."""
    from tests.oracle import customers, deals, leads_activities, revenue_targets

    out = {}
    for module in (leads_activities, deals, revenue_targets, customers):
        out.update(module.KPIS)
    return out


def koers_csv(workspace: str, kpis: list[str], spec: str, grain: str | None, by: list[str],
              as_of: datetime) -> list[dict]:
    from typer.testing import CliRunner

    from koers.cli import app

    args = ["kpi", *kpis, "--period", spec, "--as-of", as_of.isoformat(), "--format", "csv",
            "--workspace", workspace]
    if grain:
        args += ["--grain", grain]
    if by:
        args += ["--by", ",".join(by)]
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise RuntimeError(f"koers {' '.join(args)} exited {result.exit_code}: {result.output}")
    return list(csv.DictReader(io.StringIO(result.stdout)))


def reference_rows(data: base.Data, kpis: list[str], spec: str, grain: str | None, by: list[str]) -> list[dict]:
    implemented = reference_kpis()
    asked = base.periods(spec, grain)
    out = []
    for kpi in kpis:
        out += implemented[kpi](data, asked, list(by))
    return out


def _key(row: dict, by: list[str]) -> tuple:
    return (row["kpi"], row["period"], _text(row.get("target_kpi")), *(_text(row.get(d)) for d in by))


def _text(value) -> str:
    return "" if value is None else str(value)


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def differences(theirs: list[dict], ours: list[dict], by: list[str]) -> list[str]:
    """Koers's rows (`theirs`) against the reference's (`ours`): what is
    missing, what is extra and which values differ."""
    k = {_key(r, by): r for r in theirs}
    o = {_key(r, by): r for r in ours}
    out = []
    for key in sorted(o.keys() - k.keys()):
        out.append(f"missing in koers: {key} reference {[o[key][v] for v in VALUES]}")
    for key in sorted(k.keys() - o.keys()):
        out.append(f"extra in koers:   {key} koers {[k[key][v] for v in VALUES]}")
    for key in sorted(k.keys() & o.keys()):
        pairs = [(_number(k[key][v]), _number(o[key][v])) for v in VALUES]
        if not all(_same(a, b) for a, b in pairs):
            out.append(f"differs:          {key} koers {[a for a, _ in pairs]} reference {[b for _, b in pairs]}")
    return out


def import_scratch(folder: Path, into: Path) -> str:
    from koers.importers.canonical import import_folder
    from koers.store import Workspace

    ws = Workspace.open(str(into))
    result = import_folder(ws, folder)
    if result.rejected:
        raise RuntimeError(f"{folder}: {result.rejected} rows rejected")
    return str(into)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("as_of")
    parser.add_argument("spec")
    parser.add_argument("--grain")
    parser.add_argument("--by", default="")
    parser.add_argument("kpis", nargs="*")
    args = parser.parse_intermixed_args()
    by = [d for d in args.by.split(",") if d]
    as_of = base.parse_ts(args.as_of)
    kpis = args.kpis or sorted(reference_kpis())
    data = base.load(Path(args.folder), as_of)
    with tempfile.TemporaryDirectory() as scratch:
        ws = import_scratch(Path(args.folder), Path(scratch) / "ws.duckdb")
        theirs = koers_csv(ws, kpis, args.spec, args.grain, by, as_of)
    ours = reference_rows(data, kpis, args.spec, args.grain, by)
    found = differences(theirs, ours, by)
    print("\n".join(found) or f"agree: {len(ours)} rows")


if __name__ == "__main__":
    main()
