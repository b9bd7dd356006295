"""/api/v1: the same questions as `koers kpi`, answered from the same
compute() (through the result cache), in the CLI's JSON form."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from koers import output
from koers.datalog import count_rejects, local_instant, logged_import, read_rejects, rejects_file
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.compare import AGAINST, beside, beside_targets, check_target_scope, compared_periods, elapsed_shares
from koers.kpis.compute import QueryError, dim_values
from koers.kpis.drill import in_local_time
from koers.kpis.model import Kpi
from koers.periods import last_complete_month, parse_instant, parse_one, parse_spec
from koers.store import now_utc
from koers.web.params import FILTER_DIMS, BadRequest, minute
from koers.web.render import cockpit_of


class Problem(BaseModel):
    detail: str = Field(description="why the question cannot be answered, with the valid choices")


router = APIRouter(tags=["api"], responses={
    400: {"model": Problem, "description": "a question that cannot be asked: unknown KPI, dimension, period "
                                           "notation or grain (the CLI exits 2 for these)"}})
MAX_PERIODS = 1000  # a server answers many people: ten years of days at most in one question

Lang = Annotated[str, Query(pattern="^(nl|en)$", description="nl | en: the language of names and labels")]
Period = Annotated[str | None, Query(description="2025, 2025-Q3, 2025-07, 2025-W14, 2025-07-15 or a range A..B; "
                                                 "default: the last complete month")]
Grain = Annotated[str | None, Query(description="day | week | month | quarter | year: split the span")]
Where = Annotated[list[str], Query(description="DIM=VALUE filter, repeatable (as --where)")]
AsOf = Annotated[str | None, Query(description="the moment the question is asked (ISO 8601; local time without "
                                               "offset); default: now, to the minute")]


class KpiPublic(BaseModel):
    id: str
    name: str
    name_nl: str
    name_en: str
    family: str
    type: str = Field(description="action | result | insight")
    unit: str
    direction: str = Field(description="which way is better: higher | lower | closer to 0")
    dimensions: list[str]
    definition: str = Field(description="the definition in English, as in the catalogue")
    definition_nl: str = Field(description="the definition in Dutch")
    notes: list[str]
    notes_nl: list[str] = Field(description="the notes in Dutch, one for each of `notes`")
    parts: list[str] = Field(description="for a composite KPI, the catalogue KPIs it is built from")
    record_tables: list[str] = Field(description="other tables whose rows are behind its figures: /api/v1/drill "
                                                 "gives them with `table`")


class ValuesPublic(BaseModel):
    as_of: str = Field(description="the as-of moment used: local time of the workspace with its offset "
                                   "(2025-07-01T09:00:00+02:00), which asks the same question given back")
    rows: list[dict] = Field(description="kpi, period, [target_kpi], <by dims>, value, numerator, denominator: "
                                         "the rows of `koers kpi --format json`")
    warnings: list[str]


class DrillPublic(BaseModel):
    kpi: str
    period: str
    table: str | None = Field(description="the canonical table the records are rows of")
    total: int = Field(description="records behind the figure; `rows` is one page of them")
    limit: int
    offset: int
    rows: list[dict] = Field(description="the records; an instant (`*_at`) in local time of the workspace with "
                                         "its offset")
    components: list[str] = Field(description="a composite KPI's parts: drill into these instead")
    tables: list[str] = Field(description="other tables whose rows are behind the figure (cac's costs, a target's "
                                          "rows): ask for them with `table`")
    warnings: list[str] = Field(description="a `match` or `where` value that no record holds, with the values "
                                            "nearest to it")


class ImportPublic(BaseModel):
    import_id: str
    imported_at: str = Field(description="local time of the workspace with its offset")
    origin: str = Field(description="the folder, files or sync the rows came from")
    read: int
    written: int
    rejected: int
    rejects_path: str | None = Field(description="the rejects file, as the import named it (null: none rejected)")


class RejectsPublic(BaseModel):
    import_id: str
    total: int = Field(description="the lines of the rejects file, one per rejected row; `rows` is one page "
                                   "of them")
    limit: int
    offset: int
    rows: list[dict] = Field(description="file, line, column, value, reason: the lines of the rejects file")


class DimensionValue(BaseModel):
    value: str
    label: str


def public(kpi: Kpi, lang: str) -> KpiPublic:
    return KpiPublic(id=kpi.id, name=kpi.name(lang), name_nl=kpi.name_nl, name_en=kpi.name_en, family=kpi.family,
                     type=kpi.type.value, unit=kpi.unit.value, direction=kpi.direction.value,
                     dimensions=list(kpi.dimensions), definition=kpi.definition,
                     definition_nl=kpi.definition_in("nl"), notes=list(kpi.notes), notes_nl=list(kpi.notes_in("nl")),
                     parts=list(kpi.parts), record_tables=list(kpi.record_tables))


@router.get("/kpis", response_model=list[KpiPublic], summary="The KPI catalogue")
def catalogue(lang: Lang = "en") -> list[KpiPublic]:
    return [public(k, lang) for k in CATALOG]


@router.get("/kpis/{kpi_id}", response_model=KpiPublic, summary="One KPI's declaration")
def one_kpi(kpi_id: str, lang: Lang = "en") -> KpiPublic:
    if kpi_id not in CATALOG_BY_ID:
        raise QueryError(f"unknown KPI {kpi_id}; valid KPIs: {', '.join(sorted(CATALOG_BY_ID))}")
    return public(CATALOG_BY_ID[kpi_id], lang)


@router.get("/values", response_model=ValuesPublic, summary="KPI values, as `koers kpi --format json`")
def values(
    request: Request,
    kpi: Annotated[list[str], Query(description="KPI ids, repeatable or comma-separated")],
    period: Period = None,
    grain: Grain = None,
    by: Annotated[str | None, Query(description="dimensions, comma-separated (as --by)")] = None,
    where: Where = (),
    as_of: AsOf = None,
    compare: Annotated[str | None, Query(description="previous | year | target: each row beside the same figure "
                                                     "of the period before or a year earlier, or beside its "
                                                     "target (by owner or team), and the change "
                                                     "(as --compare)")] = None,
) -> ValuesPublic:
    cockpit = cockpit_of(request)
    settings = cockpit.settings()
    ids = [k.strip() for item in kpi for k in item.split(",") if k.strip()]
    if not ids:
        raise BadRequest("name at least one KPI (kpi=won_value); /api/v1/kpis lists them")
    moment = _as_of(as_of, settings.tz)
    periods = parse_spec(period, grain) if period else parse_spec(last_complete_month(moment, settings.tz).label,
                                                                  grain)
    if len(periods) > MAX_PERIODS:
        raise BadRequest(f"{len(periods)} periods asked at once; the API answers at most {MAX_PERIODS} "
                         "(ask a coarser grain or a shorter span)")
    by_dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
    if compare is not None and compare not in AGAINST:
        raise BadRequest(f"compare is one of {', '.join(AGAINST)}, not '{compare}'")
    filters = dim_values(list(where), "where")
    if compare == "target":
        check_target_scope(by_dims, filters)
    result = cockpit.cache.compute(ids, periods, by_dims, filters, moment)
    if compare == "target":
        result = beside_targets(result, cockpit.cache.targets(ids, periods, by_dims, filters, moment), by_dims,
                                elapsed_shares(periods, moment, settings.tz))
    elif compare:
        others = compared_periods(periods, compare)
        earlier = cockpit.cache.compute(ids, others, by_dims, filters, moment) if others else None
        result = beside(result, earlier, periods, by_dims, filters, compare)
    return ValuesPublic(as_of=local_instant(moment, settings.tz).isoformat(), rows=json.loads(output.to_json(result.rows)),
                        warnings=result.warnings + cockpit.cache.unheld(filters))


@router.get("/drill", response_model=DrillPublic, summary="The records behind one figure")
def drill(
    request: Request,
    kpi: Annotated[str, Query(description="a KPI id")],
    period: Annotated[str, Query(description="one period: 2025, 2025-Q3, 2025-07, 2025-W14, 2025-07-15")],
    match: Annotated[list[str], Query(description="DIM=VALUE of the figure's split, repeatable; an empty VALUE "
                                                  "is a null dimension; target_attainment needs target_kpi=K")] = (),
    where: Where = (),
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=0, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    table: Annotated[str | None, Query(description="one of the figure's `tables`: its rows instead of the KPI's "
                                                   "own records")] = None,
) -> DrillPublic:
    cockpit = cockpit_of(request)
    settings = cockpit.settings()
    moment = _as_of(as_of, settings.tz)
    p = parse_one(period)
    matched, filters = dim_values(list(match), "match"), dim_values(list(where), "where")
    found = cockpit.cache.drill(kpi, p, matched, filters, moment, limit, offset, table=table)
    rows = in_local_time(found.rows, settings.tz)  # as the drill page shows them
    warnings = cockpit.cache.unheld(filters) + cockpit.cache.unheld(
        {d: v for d, v in matched.items() if d != "target_kpi"}, "match")
    return DrillPublic(kpi=found.kpi, period=p.label, table=found.table, total=found.total, limit=limit,
                       offset=offset, rows=json.loads(output.to_json(rows)), components=found.components,
                       tables=found.tables, warnings=warnings)


def _as_of(text: str | None, tz) -> datetime:
    """The as-of moment asked (now, to the minute, when not): an offset typed
    into an address unencoded (+02:00) arrives as a space, and is read as
    the + it was."""
    if not text:
        return minute(now_utc())
    return parse_instant(re.sub(r"(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?) (\d{2}(:?\d{2})?)$", r"\1+\4", text), tz)


@router.get("/imports", response_model=list[ImportPublic], summary="What wrote the workspace, newest first "
                                                                   "(as `koers imports`)")
def imports(request: Request, limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> list[ImportPublic]:
    cockpit = cockpit_of(request)
    tz = cockpit.settings().tz
    return [ImportPublic(import_id=r["import_id"], imported_at=local_instant(r["imported_at"], tz).isoformat(),
                         origin=r["source"], read=r["rows_read"], written=r["rows_written"],
                         rejected=r["rows_rejected"], rejects_path=r["rejects_path"] or None)
            for r in cockpit.data_log().imports.head(limit).to_dict("records")]


@router.get("/imports/{import_id}/rejects", response_model=RejectsPublic,
            summary="The rows one import rejected, with the reason")
def rejects(request: Request, import_id: str, limit: Annotated[int, Query(ge=0, le=10000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> RejectsPublic:
    cockpit = cockpit_of(request)
    logged = logged_import(cockpit.data_log(), import_id)
    if logged is None:
        raise HTTPException(404, f"no import '{import_id}'; /api/v1/imports lists them")
    path = rejects_file(cockpit.ws, logged) if logged["rows_rejected"] else None
    if logged["rows_rejected"] and path is None:
        raise HTTPException(404, f"the rejects file of import '{import_id}' is gone")
    rows = read_rejects(path, limit, offset) if path is not None else []
    return RejectsPublic(import_id=import_id, total=count_rejects(path) if path is not None else 0, limit=limit,
                         offset=offset, rows=rows)


class SnapshotPublic(BaseModel):
    import_id: str = Field(description="the import or sync that took it (or `koers demo`'s weekly ones)")
    taken_at: str = Field(description="local time of the workspace with its offset")
    open_deals: int


class ChangesPublic(BaseModel):
    since: SnapshotPublic = Field(description="the earlier snapshot")
    until: SnapshotPublic = Field(description="the later snapshot")
    lines: list[dict] = Field(description="[owner|team,] line, count, value: the walk from the earlier open value "
                                          "to the later, then the moves (`koers changes --format json`)")
    deals: list[dict] | None = Field(description="with deals=true, the deals behind the lines (`koers changes "
                                                  "--deals --format json`); else null")
    warnings: list[str]


@router.get("/changes", response_model=ChangesPublic,
            summary="What changed in the open pipeline between two snapshots (as `koers changes`)")
def changes(
    request: Request,
    since: Annotated[str | None, Query(description="the earlier snapshot: an import id, a moment (2025-07-01, "
                                                   "2025-07-01T09:00) or 7d / 2w back; the last snapshot taken at "
                                                   "or before it (default: the one before `until`)")] = None,
    until: Annotated[str | None, Query(description="the later snapshot, named the same way (default: the "
                                                   "latest)")] = None,
    by: Annotated[str | None, Query(description="owner or team")] = None,
    where: Annotated[list[str], Query(description="owner=REP or team=TEAM, repeatable")] = (),
    deals: Annotated[bool, Query(description="also the deals behind the lines")] = False,
    line: Annotated[str | None, Query(description="with deals: only the deals of this line")] = None,
    closing: Annotated[str | None, Query(description="only the deals the earlier snapshot expected to close in this "
                                                     "period (2025-07, 2025-Q3, ...): won, lost or slipped")] = None,
) -> ChangesPublic:
    from koers.pipeline_changes import ChangesError, asked, closing_span, deal_rows, question

    cockpit = cockpit_of(request)
    tz = cockpit.settings().tz
    try:
        by_dims, filters = question(by, list(where), line, deals)
        result, _ = asked(cockpit.ws, since, until, by_dims, filters, closing=closing_span(closing))
    except ChangesError as e:
        raise BadRequest(str(e)) from None

    def snapshot(s) -> SnapshotPublic:
        return SnapshotPublic(import_id=s.import_id, taken_at=local_instant(s.taken_at, tz).isoformat(),
                              open_deals=s.deals)

    found = json.loads(output.to_json(in_local_time(deal_rows(result, line), tz))) if deals else None
    return ChangesPublic(since=snapshot(result.base), until=snapshot(result.then),
                         lines=json.loads(output.to_json(result.lines)), deals=found, warnings=result.warnings)


class AlertsPublic(BaseModel):
    as_of: str = Field(description="the moment the rules were checked at: local time of the workspace with its "
                                   "offset")
    rules: list[dict] = Field(description="the workspace's alert rules, as `koers alerts list --format json`")
    rows: list[dict] = Field(description="the figures that fire (with all=true every figure the rules looked at), "
                                         "as `koers alerts check --format json`")
    warnings: list[str]


@router.get("/alerts", response_model=AlertsPublic,
            summary="The alert rules checked at a moment (as `koers alerts check`)")
def alerts_check(
    request: Request,
    as_of: AsOf = None,
    all: Annotated[bool, Query(description="every figure the rules looked at, each with whether it fires")] = False,
    lang: Lang = "en",
) -> AlertsPublic:
    from koers import alerts

    cockpit = cockpit_of(request)
    settings = cockpit.settings()
    moment = _as_of(as_of, settings.tz)
    kept = alerts.rules(cockpit.ws)
    checked = alerts.check(cockpit.cache, settings, kept, moment)
    rows = checked.rows if all else checked.fired
    return AlertsPublic(as_of=local_instant(moment, settings.tz).isoformat(),
                        rules=json.loads(output.to_json(alerts.rules_table(kept, lang, settings.currency))),
                        rows=json.loads(output.to_json(rows)), warnings=checked.warnings)


@router.get("/dimensions", response_model=dict[str, list[DimensionValue]],
            summary="The values each page filter offers (reps by name)")
def dimensions(request: Request) -> dict[str, list[DimensionValue]]:
    choices = cockpit_of(request).choices()
    return {d: [DimensionValue(value=v, label=n) for v, n in choices.options(d)] for d in FILTER_DIMS}
