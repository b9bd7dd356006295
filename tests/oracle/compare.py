"""Koers's `koers kpi --format csv` held against the reference KPIs.

    python -m tests.oracle.compare FOLDER AS_OF SPEC [--grain G] [--by DIMS] [--where DIM=VALUE ...] [KPI ...]

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
              as_of: datetime, where: dict[str, str] | None = None) -> list[dict]:
    from typer.testing import CliRunner

    from koers.cli import app

    args = ["kpi", *kpis, "--period", spec, "--as-of", as_of.isoformat(), "--format", "csv",
            "--workspace", workspace]
    if grain:
        args += ["--grain", grain]
    if by:
        args += ["--by", ",".join(by)]
    for dim, value in (where or {}).items():
        args += ["--where", f"{dim}={value}"]
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


def filtered(split: list[dict], where: dict[str, str]) -> list[dict]:
    """The reference's rows for `--where`: the rows of its split by the
    filtered dimensions that have those values, without those columns (a
    filter keeps the records a split files under that group)."""
    dims = list(where)
    return [{k: v for k, v in r.items() if k not in dims} for r in split
            if all(_text(r.get(d)) == value for d, value in where.items())]


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


def differences(theirs: list[dict], ours: list[dict], by: list[str], under_where: bool = False) -> list[str]:
    """Koers's rows (`theirs`) against the reference's (`ours`): what is
    missing, what is extra and which values differ. `under_where`: the
    rows of a `--where` without `--by`, one per period, where the reference
    has rows only for the periods its group has data in; Koers's row for
    another period must be a total of no records (0 or empty)."""
    k = {_key(r, by): r for r in theirs}
    o = {_key(r, by): r for r in ours}
    out = []
    for key in sorted(o.keys() - k.keys()):
        out.append(f"missing in koers: {key} reference {[o[key][v] for v in VALUES]}")
    for key in sorted(k.keys() - o.keys()):
        if under_where and not by and all(_number(k[key][v]) in (None, 0) for v in VALUES):
            continue
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


def import_landed(folder: Path, into: Path, landed: Path) -> str:
    """Import `folder`, rejects allowed, and write to `landed` the rows that
    landed: the folder less every line the rejects report names. The
    reference reads that, as it does not repeat the import's checks (a
    folder read in another time zone than it was written for can have a
    deal closed before it was created)."""
    from koers.importers.canonical import import_folder
    from koers.store import Workspace

    result = import_folder(Workspace.open(str(into)), folder)
    dropped: dict[str, set[int]] = {}
    if result.rejects_path:
        with open(result.rejects_path, newline="") as f:
            for r in csv.DictReader(f):
                dropped.setdefault(r["file"], set()).add(int(r["line"]))
    landed.mkdir(parents=True)
    for path in folder.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [text for number, text in enumerate(lines, start=1) if number not in dropped.get(path.name, ())]
        (landed / path.name).write_text("".join(kept), encoding="utf-8")
    return str(into)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("as_of")
    parser.add_argument("spec")
    parser.add_argument("--grain")
    parser.add_argument("--by", default="")
    parser.add_argument("--where", action="append", default=[], metavar="DIM=VALUE")
    parser.add_argument("kpis", nargs="*")
    args = parser.parse_intermixed_args()
    by = [d for d in args.by.split(",") if d]
    where = dict(w.split("=", 1) for w in args.where)
    as_of = base.parse_ts(args.as_of)
    kpis = args.kpis or sorted(reference_kpis())
    data = base.load(Path(args.folder), as_of)
    with tempfile.TemporaryDirectory() as scratch:
        ws = import_scratch(Path(args.folder), Path(scratch) / "ws.duckdb")
        theirs = koers_csv(ws, kpis, args.spec, args.grain, by, as_of, where)
    ours = reference_rows(data, kpis, args.spec, args.grain, [*by, *where])
    ours = filtered(ours, where) if where else ours
    found = differences(theirs, ours, by, under_where=bool(where))
    print("\n".join(found) or f"agree: {len(ours)} rows")


if __name__ == "__main__":
    main()
