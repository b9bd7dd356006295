"""Koers's figures held against an independent reading of kpis.md.

tests/oracle computes every KPI in plain Python from the canonical folder
itself (no Koers model, engine or periods); tests/oracle/nasty.py writes
folders full of the cases that break KPI engines: events exactly on period
ends and at T, the DST changes, offsets, foreign currencies, targets at
every grain. Each question goes through `koers kpi --format csv`, so this
is the check an outside auditor would run: every KPI, every row, every
value, numerator and denominator."""

from __future__ import annotations

from collections import Counter

import pytest

from koers.kpis.catalog import CATALOG
from tests.oracle import base
from tests.oracle.compare import differences, filtered, import_landed, import_scratch, koers_csv, reference_rows
from tests.oracle.nasty import write_nasty

SEEDS = (1, 2, 3)  # each has its own T: mid-afternoon, a Monday 00:00, a morning with seconds
# kpis.md's dimensions (Koers adds its own, such as close_month, for its screens)
DIMENSIONS = ["team", "source", "channel", "campaign", "region", "segment", "industry", "company_size", "product",
              "product_line", "deal_type", "stage", "type", "role"]
PAIRS = [["owner", "source"], ["team", "type"], ["region", "segment"], ["stage", "deal_type"]]


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    """seed -> (what write_nasty returned, workspace, folder), each built once."""
    built = {}

    def get(seed: int):
        if seed not in built:
            folder = tmp_path_factory.mktemp(f"nasty{seed}")
            info = write_nasty(folder / "data", seed)
            built[seed] = info, import_scratch(folder / "data", folder / "ws.duckdb"), folder / "data"
        return built[seed]

    return get


def check(nasty, seed: int, spec_key: str, grain: str | None = None, by=(), as_of=None, workspace=None) -> None:
    info, duckdb_workspace, folder = nasty(seed)
    workspace = workspace or duckdb_workspace
    as_of = as_of or info["as_of"]
    by = list(by)
    kpis = [k.id for k in CATALOG if all(d in k.dimensions for d in by)]
    theirs = koers_csv(workspace, kpis, info[spec_key], grain, by, as_of)
    ours = reference_rows(base.load(folder, as_of), kpis, info[spec_key], grain, by)
    assert ours, "the reference gave no rows: nothing was compared"
    found = differences(theirs, ours, by)
    assert not found, f"{workspace}, seed {seed}, {info[spec_key]} grain {grain} by {by} at {as_of}:\n" + "\n".join(found[:40])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("by", [[], ["owner"]], ids=["total", "owner"])
def test_every_kpi_by_month(nasty, seed, by):
    check(nasty, seed, "months", by=by)


@pytest.mark.parametrize("seed", SEEDS)
def test_as_of_on_a_period_start(nasty, seed):
    """T exactly at the first instant of its month: that month has not begun."""
    local = nasty(seed)[0]["as_of"].astimezone(base.TZ)
    check(nasty, seed, "months", as_of=base.instant(local.date().replace(day=1)))


# Each dimension on one seed, in turn, so that every seed's data is split.
@pytest.mark.parametrize("by", [[d] for d in DIMENSIONS] + PAIRS, ids=",".join)
def test_every_dimension(nasty, by):
    everything = [[d] for d in DIMENSIONS] + PAIRS
    check(nasty, SEEDS[everything.index(by) % len(SEEDS)], "months", by=by)


@pytest.mark.parametrize(
    "seed, spec_key, grain",
    [(1, "weeks", None), (2, "quarters", None), (3, "months", "quarter"), (1, "weeks", "day")],
)
def test_other_grains(nasty, seed, spec_key, grain):
    check(nasty, seed, spec_key, grain)


# --where on one dimension or two, alone or with --by, rotated over the seeds
WHERES = [(["owner"], []), (["team"], []), (["source"], []), (["region"], ["owner"]), (["stage"], []),
          (["type"], []), (["product"], ["team"]), (["region", "segment"], [])]


@pytest.mark.parametrize("dims, by", WHERES, ids=[",".join(w) + ("-by-" + ",".join(b) if b else "") for w, b in WHERES])
def test_where(nasty, dims, by):
    """A filter keeps the records a split files under its group: Koers's
    `--where` rows are the reference's rows of that group, on the group the
    reference files most rows under; a period without them is 0 or empty."""
    seed = SEEDS[WHERES.index((dims, by)) % len(SEEDS)]
    info, workspace, folder = nasty(seed)
    kpis = [k.id for k in CATALOG if all(d in k.dimensions for d in [*dims, *by])]
    split = reference_rows(base.load(folder, info["as_of"]), kpis, info["months"], None, [*by, *dims])
    groups = Counter(tuple(r.get(d) for d in dims) for r in split)
    chosen = next(g for g, _ in groups.most_common() if None not in g)
    where = dict(zip(dims, map(str, chosen)))
    ours = filtered(split, where)
    theirs = koers_csv(workspace, kpis, info["months"], None, by, info["as_of"], where)
    assert ours and theirs
    found = differences(theirs, ours, by, under_where=True)
    assert not found, f"seed {seed}, --where {where} --by {by}:\n" + "\n".join(found[:40])


def test_where_on_an_empty_value_keeps_the_records_without_one(nasty):
    """`--where campaign=`: the records whose campaign is null (their own
    and, for deals, their lead's), the group a split files under an empty field."""
    info, workspace, folder = nasty(1)
    kpis = [k.id for k in CATALOG if "campaign" in k.dimensions]
    split = reference_rows(base.load(folder, info["as_of"]), kpis, info["months"], None, ["campaign"])
    ours = filtered(split, {"campaign": ""})
    assert ours and len(ours) < len(split)
    theirs = koers_csv(workspace, kpis, info["months"], None, [], info["as_of"], {"campaign": ""})
    found = differences(theirs, ours, [], under_where=True)
    assert not found, "\n".join(found[:40])


def test_where_on_a_value_no_record_has(nasty):
    """Every KPI's every period is a total of no records: 0 or empty."""
    info, workspace, _ = nasty(2)
    kpis = [k.id for k in CATALOG if "region" in k.dimensions]
    theirs = koers_csv(workspace, kpis, info["months"], None, [], info["as_of"], {"region": "Nergens"})
    assert len(theirs) >= len(kpis)
    assert not differences(theirs, [], [], under_where=True)


# Workspaces whose settings are not the defaults: the same folder read in
# another zone (its local timestamps, periods and days move with it), with
# another SLA, stale threshold and set of outreach types.
OTHER_SETTINGS = [
    (1, {"time_zone": "America/New_York", "response_sla_hours": 1.5, "stale_days": 10.5,
         "outreach_types": ("call", "meeting", "intake")}),
    (3, {"time_zone": "Asia/Kolkata", "response_sla_hours": 24.0, "stale_days": 45.0,
         "outreach_types": ("email", "linkedin")}),
]


@pytest.fixture(scope="module")
def settled(nasty, tmp_path_factory):
    """seed -> (workspace with that seed's OTHER_SETTINGS, folder of the rows that landed), each built once."""
    from koers.store import Workspace

    built = {}

    def get(seed: int, settings: dict):
        if seed not in built:
            scratch = tmp_path_factory.mktemp(f"settings{seed}")
            Workspace.open(str(scratch / "ws.duckdb")).set_settings(**settings)
            built[seed] = import_landed(nasty(seed)[2], scratch / "ws.duckdb", scratch / "landed"), scratch / "landed"
        return built[seed]

    return get


@pytest.mark.parametrize("seed, settings", OTHER_SETTINGS, ids=[s["time_zone"] for _, s in OTHER_SETTINGS])
@pytest.mark.parametrize("by", [[], ["owner"]], ids=["total", "owner"])
def test_settings_other_than_the_defaults(nasty, settled, monkeypatch, seed, settings, by):
    from zoneinfo import ZoneInfo

    info = nasty(seed)[0]
    workspace, folder = settled(seed, settings)
    monkeypatch.setattr(base, "TZ", ZoneInfo(settings["time_zone"]))
    monkeypatch.setattr(base, "SLA_HOURS", settings["response_sla_hours"])
    monkeypatch.setattr(base, "STALE_DAYS", settings["stale_days"])
    monkeypatch.setattr(base, "OUTREACH", set(settings["outreach_types"]))
    kpis = [k.id for k in CATALOG if all(d in k.dimensions for d in by)]
    theirs = koers_csv(workspace, kpis, info["months"], None, by, info["as_of"])
    ours = reference_rows(base.load(folder, info["as_of"]), kpis, info["months"], None, by)
    assert ours
    found = differences(theirs, ours, by)
    assert not found, f"seed {seed}, {settings}, by {by}:\n" + "\n".join(found[:40])


@pytest.mark.spark
def test_every_kpi_by_month_on_spark(nasty, tmp_path):
    """The scale path gives the same rows (`--workspace spark:DIR`)."""
    from koers.importers.canonical import import_folder
    from koers.store import Workspace

    url = f"spark:{tmp_path / 'ws'}"
    assert import_folder(Workspace.open(url), nasty(1)[2]).rejected == 0
    check(nasty, 1, "months", workspace=url)


@pytest.mark.postgres
def test_every_kpi_by_month_on_postgres(nasty):
    """A PostgreSQL workspace gives the same rows."""
    from koers.importers.canonical import import_folder
    from koers.store import Workspace
    from tests.conftest import pg_server

    url = pg_server().new_database()
    assert import_folder(Workspace.open(url), nasty(2)[2]).rejected == 0
    check(nasty, 2, "months", workspace=url)
