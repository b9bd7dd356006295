"""`make bench`: import, whole-catalogue compute and pandas comparison on the
large demo company, with peak memory. Figures go to stdout and .bench/results.json.

    python bench/bench.py [--size large|medium|small] [--seed 42]

The demo company and its export are built once and cached under .bench/.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench"


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return own / 1024


def build_export(size: str, seed: int) -> tuple[Path, dict]:
    """The demo company as a canonical folder, as `koers export` writes it."""
    from koers.demo import build_demo, write_folder

    folder = CACHE / f"{size}-{seed}-export"
    figures = {}
    if not (folder / "opportunities.csv").exists():
        start = time.perf_counter()
        tables = build_demo(size=size, seed=seed)
        figures["demo_build_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        shutil.rmtree(folder, ignore_errors=True)
        write_folder(tables, folder)
        figures["export_write_s"] = round(time.perf_counter() - start, 2)
        del tables
    return folder, figures


def catalogue_queries():
    from koers.kpis.catalog import CATALOG

    for k in CATALOG:
        yield k.id, (["owner"] if "owner" in k.dimensions else [])


def cached_catalogue(cache, periods, as_of) -> float:
    """The whole catalogue through the result cache the server uses: the
    first pass computes, a second pass in the same workspace state is warm."""
    start = time.perf_counter()
    for kid, by in catalogue_queries():
        cache.compute([kid], periods, by, {}, as_of)
    return time.perf_counter() - start


def compute_catalogue(ws, periods, as_of) -> tuple[float, int]:
    from koers.engines import connect
    from koers.kpis.compute import Engine

    con = connect(ws)
    start = time.perf_counter()
    engine = Engine(con, ws.settings(), periods, as_of)
    rows = 0
    for kid, by in catalogue_queries():
        rows += len(engine.compute([kid], by, {}).rows)
    engine.release()
    seconds = time.perf_counter() - start
    con.disconnect()
    return seconds, rows


CORE = ["won_value", "win_rate", "lead_response_time", "activities", "open_pipeline_value"]


def compute_core(ws, periods, as_of) -> float:
    from koers.engines import connect
    from koers.kpis.compute import Engine

    con = connect(ws)
    start = time.perf_counter()
    engine = Engine(con, ws.settings(), periods, as_of)
    for kid in CORE:
        engine.compute([kid], ["owner"], {})
    engine.release()
    seconds = time.perf_counter() - start
    con.disconnect()
    return seconds


def pandas_core(ws, periods, as_of) -> float:
    """The same core KPIs the way an analyst would: load the tables, then pandas."""
    import duckdb
    import pandas as pd

    start = time.perf_counter()
    from koers.store import duckdb_config

    con = duckdb.connect(str(ws.path), config=duckdb_config())
    opps = con.execute("SELECT * FROM opportunities").df()
    leads = con.execute("SELECT lead_id, created_at, owner_id, first_response_at FROM leads").df()
    acts = con.execute("SELECT owner_id, done_at FROM activities").df()
    rates = con.execute("SELECT * FROM exchange_rates").df()
    con.close()
    tz = ws.settings().time_zone
    first, last = periods[0].start_utc(ws.settings().tz), periods[-1].end_utc(ws.settings().tz)

    def month(ts):
        return ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None).dt.to_period("M")

    opps = opps[opps.created_at < as_of]
    closed = opps[(opps.closed_at < as_of) & opps.status.isin(["won", "lost"])].copy()
    closed["month"] = month(closed.closed_at)
    rate = rates.sort_values("valid_from").groupby("currency").rate.last()
    closed["eur"] = closed.amount.fillna(0) * closed.currency.map(rate).fillna(1.0)
    won = closed[closed.status == "won"]
    won.groupby(["month", "owner_id"]).eur.sum()
    closed.assign(w=closed.status.eq("won")).groupby(["month", "owner_id"]).w.mean()
    leads = leads[leads.created_at < as_of].copy()
    leads["month"] = month(leads.created_at)
    leads["hours"] = (leads.first_response_at - leads.created_at).dt.total_seconds() / 3600
    leads.groupby(["month", "owner_id"]).hours.median()
    done = acts[acts.done_at < as_of].copy()
    done["month"] = month(done.done_at)
    done.groupby(["month", "owner_id"]).size()
    for p in periods:
        end = pd.Timestamp(p.end_utc(ws.settings().tz))
        open_ = opps[(opps.created_at < end) & (opps.closed_at.isna() | (opps.closed_at >= end))]
        open_.groupby("owner_id").amount.sum()
    _ = first, last
    return time.perf_counter() - start


def plain_load(folder: Path) -> float:
    """The same files loaded by DuckDB alone, in one transaction, each column
    of the type DuckDB guesses and nothing checked: the floor under Koers's
    import on this machine."""
    import tempfile

    from koers.store import duckdb_config, open_duckdb

    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        con = open_duckdb(str(Path(scratch) / "plain.duckdb"), duckdb_config())
        start = time.perf_counter()
        con.execute("BEGIN")
        for path in sorted(folder.glob("*.csv")):
            con.execute(f"CREATE TABLE \"{path.stem}\" AS SELECT * FROM read_csv('{path}', header = true)")
        con.execute("COMMIT")
        seconds = time.perf_counter() - start
        con.close()
    return seconds


def pipeline_changes(ws, import_id: str) -> tuple[float, int]:
    """`koers changes --by owner` over the import's snapshot of the open
    pipeline set beside itself: every open deal read, valued and walked, by
    its owner (an import takes one snapshot, so this is the one there is)."""
    from koers.pipeline_changes import asked

    start = time.perf_counter()
    result, _ = asked(ws, import_id, import_id, ["owner"])
    return round(time.perf_counter() - start, 2), len(result.deals)


def pandas_child(url: str, spec: str, as_of: str) -> dict:
    from datetime import datetime

    from koers.periods import parse_spec
    from koers.store import Workspace

    ws = Workspace.open(url)
    periods, moment = parse_spec(spec), datetime.fromisoformat(as_of)
    seconds = min(pandas_core(ws, periods, moment) for _ in range(2))
    return {"seconds": round(seconds, 3), "peak_memory_mb": round(peak_mb())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pandas", nargs=3, metavar=("WS", "PERIODS", "AS_OF"), help=argparse.SUPPRESS)
    parser.add_argument("--plain-load", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if args.build_only:
        print(json.dumps(build_export(args.size, args.seed)[1]))
        return
    if args.plain_load:
        print(json.dumps({"seconds": round(plain_load(Path(args.plain_load)), 2)}))
        return
    if args.pandas:
        print(json.dumps(pandas_child(*args.pandas)))
        return
    figures: dict = {"size": args.size, "seed": args.seed}
    # Built in a child process, so peak memory below is import and compute only.
    child = subprocess.run(
        [sys.executable, __file__, "--size", args.size, "--seed", str(args.seed), "--build-only"],
        check=True, capture_output=True, text=True,
    )
    figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
    folder = CACHE / f"{args.size}-{args.seed}-export"

    from koers.importers.canonical import import_folder
    from koers.periods import parse_spec
    from koers.store import Workspace

    target = CACHE / f"{args.size}-{args.seed}-import.duckdb"
    target.unlink(missing_ok=True)
    shutil.rmtree(target.with_name(target.name + ".rejects"), ignore_errors=True)
    ws = Workspace.open(str(target))
    start = time.perf_counter()
    result = import_folder(ws, folder)
    figures["import_s"] = round(time.perf_counter() - start, 2)
    figures["import_rows"] = result.read
    figures["import_rejected"] = result.rejected

    counts = ws.counts()
    figures["opportunities"], figures["activities"] = counts["opportunities"], counts["activities"]
    with ws.reader() as con:
        last = con.execute("SELECT max(created_at) FROM opportunities").fetchone()[0]
    from koers.periods import Period, floor

    end = Period(floor(last.date(), "month"), "month")
    start_p = end
    for _ in range(23):
        start_p = start_p.previous()
    periods = parse_spec(f"{start_p.label}..{end.label}")
    as_of = end.end_utc(ws.settings().tz)

    from koers.kpis.cache import ResultCache

    first, rows = compute_catalogue(ws, periods, as_of)
    again, _ = compute_catalogue(ws, periods, as_of)
    cache = ResultCache(ws)
    cached_catalogue(cache, periods, as_of)
    warm = cached_catalogue(cache, periods, as_of)
    cache.release()  # its connection would keep the pandas child out of the file
    figures["catalogue_rows"] = rows
    figures["catalogue_first_s"] = round(first, 2)
    figures["catalogue_again_uncached_s"] = round(again, 2)
    figures["catalogue_warm_cached_s"] = round(warm, 3)
    core = min(compute_core(ws, periods, as_of) for _ in range(2))
    figures["core_koers_s"] = round(core, 3)
    figures["peak_memory_mb"] = round(peak_mb())
    figures["pipeline_changes_s"], figures["pipeline_changes_deals"] = pipeline_changes(ws, result.import_id)
    # pandas in its own process: its memory is the analyst's, not Koers's
    child = subprocess.run(
        [sys.executable, __file__, "--pandas", str(target), f"{periods[0].label}..{periods[-1].label}",
         as_of.isoformat()],
        check=True, capture_output=True, text=True,
    )
    theirs = json.loads(child.stdout.strip().splitlines()[-1])
    figures["core_pandas_s"] = theirs["seconds"]
    figures["pandas_over_koers"] = round(theirs["seconds"] / core, 2)
    figures["pandas_peak_memory_mb"] = theirs["peak_memory_mb"]
    # in its own process too, after the rest: it is a reference, not Koers
    child = subprocess.run([sys.executable, __file__, "--plain-load", str(folder)],
                           check=True, capture_output=True, text=True)
    figures["plain_duckdb_load_s"] = json.loads(child.stdout.strip().splitlines()[-1])["seconds"]
    figures["import_over_plain_load"] = round(figures["import_s"] / figures["plain_duckdb_load_s"], 2)
    (CACHE / "results.json").write_text(json.dumps(figures, indent=1))
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
