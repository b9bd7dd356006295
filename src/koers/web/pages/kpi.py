"""The catalogue, a page per KPI (definition, trend, split, table with
numerator and denominator) and the records behind any of its figures."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.compare import elapsed_share, pace
from koers.kpis.compute import QueryError, divide, one_value_each
from koers.kpis.model import KpiType, label
from koers.web import charts
from koers.web.breakdown import drill_link
from koers.web.figures import TARGET_SCOPES, by_period, is_null, targets_of
from koers.web.i18n import column_label, word
from koers.web.params import BadRequest, match_of
from koers.web.render import ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

PAGE_SIZE = 50
EXPORT_MAX = 100_000  # records in one drill-down export (a spreadsheet's comfortable size)


def kpi_or_404(kpi_id: str):
    if kpi_id not in CATALOG_BY_ID:
        raise HTTPException(404, f"unknown KPI '{kpi_id}'; the catalogue lists them at /kpis")
    return CATALOG_BY_ID[kpi_id]


@router.get("/kpis")
def catalogue(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    families: dict[str, list] = {}
    for k in CATALOG:
        families.setdefault(k.family, []).append(k)
    return page(request, ask, "catalogue.html", "catalogue", word("catalogue", lang), families=families)


@router.get("/kpi/{kpi_id}")
def kpi_page(request: Request, kpi_id: str) -> Response:
    kpi = kpi_or_404(kpi_id)
    ask = ask_for(request)
    view, lang = ask.view, ask.view.lang
    where, ignored = view.applicable(kpi)
    split = request.query_params.get("split") or ""
    if split and split not in kpi.dimensions:
        raise BadRequest(f"'{split}' is not a dimension of {kpi.id}; valid dimensions: {', '.join(kpi.dimensions)}")
    choices = cockpit_of(request).choices()
    trend_periods = view.trailing(12)
    trend = ask.rows([kpi.id], trend_periods, (), where)
    has_target = kpi.id == "target_attainment"
    if has_target and "target_kpi" not in trend.columns:  # no targets in the workspace: no rows either
        trend = trend.assign(target_kpi=None).iloc[0:0]
    ratio = kpi.is_ratio
    by_period = {p.start: p for p in trend_periods}

    def base_columns(first: list[Column]) -> list[Column]:
        cols = first + ([Column("target_kpi", label("target_kpi", lang))] if has_target else [])
        cols.append(Column("value", label("value", lang), "kpi", kpi.id))
        if ratio:
            cols += [Column("numerator", label("numerator", lang), "number"),
                     Column("denominator", label("denominator", lang), "number")]
        return cols

    def records(frame, dims: list[str]) -> tuple[list[dict], list[dict]]:
        rows, links = [], []
        for r in frame.to_dict("records"):
            p = by_period.get(r["period"]) or view.period
            row = {**r, "period_label": p.label}
            for d in dims:
                row[f"{d}_name"] = choices.name(d, r[d])
            if has_target:
                row["target_kpi"] = CATALOG_BY_ID[r["target_kpi"]].name(lang)
            match = {d: r[d] for d in dims}
            if has_target:
                match["target_kpi"] = r["target_kpi"]
            rows.append(row)
            links.append({"value": drill_link(ask, kpi.id, match, where, p.label)})
        return rows, links

    trend_rows, trend_links = records(trend, [])
    trend_columns = base_columns([Column("period_label", label("period", lang))])
    earlier = {} if has_target else year_earlier(ask, kpi.id, trend_periods, where)
    if earlier:
        for r in trend_rows:
            r["year"] = earlier.get(r["period"])
        trend_columns.insert(2, Column("year", word("previous_year", lang), "kpi", kpi.id))
    targets = targets_beside(ask, kpi, trend_periods, [], where)
    if targets:  # the KPI's own target, beside its value, as the cards pace against it
        for r, links in zip(trend_rows, trend_links):
            r["target"] = targets.get((r["period"],))
            if r["target"] is not None:  # to the target rows that make it
                links["target"] = target_rows_link(ask, kpi, {}, where, r["period_label"])
        trend_columns.insert(trend_columns.index(next(c for c in trend_columns if c.key == "value")) + 1,
                             Column("target", word("target", lang), "kpi", kpi.id))
    tables = [make_table(ask, "trend", word("trend", lang), trend_columns, trend_rows, trend_links)]
    x = [p.label for p in trend_periods]
    if has_target:  # a line per KPI with a target; a period without its target is a gap
        value = {(t, d): v for t, d, v in zip(trend["target_kpi"], trend["period"], trend["value"])}
        series = [(CATALOG_BY_ID[t].name(lang), [value.get((t, p.start)) for p in trend_periods])
                  for t in dict.fromkeys(trend["target_kpi"])]
    else:
        series = [(kpi.name(lang), list(trend["value"]))]
        if earlier:
            series.append((word("previous_year", lang), [earlier.get(p.start) for p in trend_periods]))
        if targets:
            series.append((word("target", lang), [targets.get((p.start,)) for p in trend_periods]))
    figures = {"trend": charts.line(f"{kpi.name(lang)} · {word('trend', lang)}", x, series, kpi.shown_as,
                                    dashed=(word("previous_year", lang), word("target", lang)))}

    if split:
        split_frame = ask.rows([kpi.id], [view.period], [split], where)
        split_targets = targets_beside(ask, kpi, [view.period], [split], where)
        # a rep or team with a target and no records still shows, with the value the KPI gives it (0 for a
        # sum), as target_attainment lists it: the ones furthest behind are the ones to see
        shown = set(zip(split_frame["period"], split_frame[split])) if split_targets else set()
        behind = [{"period": p, split: g, "value": kpi.empty_value([split]), "numerator": None, "denominator": None}
                  for p, g in split_targets if (p, g) not in shown]
        if behind:
            split_frame = pd.concat([split_frame.astype(object), pd.DataFrame(behind, dtype=object)],
                                    ignore_index=True)
        split_rows, split_links = records(split_frame, [split])
        share = elapsed_share(view.period, view.as_of, ask.settings.tz)
        for r, links in zip(split_rows, split_links) if split_targets else []:  # each one's target and attainment
            r["target"] = split_targets.get((r["period"], r[split]))
            r["attainment"] = divide(r["value"], r["target"]) if not is_null(r["value"]) else None
            r["pace"] = pace(kpi, r["value"], r["target"], share)  # a flow while P runs, as koers kpi gives it
            if r["target"] is not None:
                links["target"] = target_rows_link(ask, kpi, {split: r[split]}, where, r["period_label"])
        # largest first, as the chart beside it
        order = sorted(range(len(split_rows)), key=lambda i: -(split_rows[i]["value"]
                                                               if not is_null(split_rows[i]["value"]) else float("-inf")))
        split_rows, split_links = [split_rows[i] for i in order], [split_links[i] for i in order]
        split_columns = base_columns([Column(f"{split}_name", label(split, lang))])
        if split_targets:
            split_columns += [Column("target", word("target", lang), "kpi", kpi.id),
                              Column("attainment", word("attainment", lang), "kpi", "target_attainment")]
            if any(r["pace"] is not None for r in split_rows):
                split_columns.append(Column("pace", word("on_pace_for", lang), "percent"))
        tables.append(make_table(ask, "split", f"{kpi.name(lang)} · {label(split, lang)} · {view.period.label}",
                                 split_columns, split_rows, split_links))
        if not has_target:
            bars = [(kpi.name(lang), [r["value"] for r in split_rows])]
            if split_targets:  # target against actual, a pair of bars a rep
                bars.append((word("target", lang), [r["target"] for r in split_rows]))
            figures["split"] = charts.bars(f"{kpi.name(lang)} · {label(split, lang)}",
                                           [r[f"{split}_name"] for r in split_rows], bars,
                                           kpi.shown_as, horizontal=True)
    return page(request, ask, "kpi.html", "catalogue", kpi.name(lang), tables, kpi=kpi, ignored=ignored,
                split=split, figures=figures, is_insight=kpi.type == KpiType.INSIGHT,
                parts=[CATALOG_BY_ID[p] for p in kpi.parts if p in CATALOG_BY_ID])


def targets_beside(ask, kpi, periods, by: list[str], where) -> dict[tuple, float]:
    """The KPI's target for each period and group that has one (kpis.md,
    Targets: the rep's with owner, the team's with team, else the
    company's), as `koers kpi --compare target` sets beside it; none when
    the split or a filter is not a scope targets are set for."""
    if kpi.id == "target_attainment" or any(d not in TARGET_SCOPES for d in [*by, *where]):
        return {}
    # the targets alone: the actuals beside them are the page's own figures
    rows = targets_of(ask.cache.targets([kpi.id], periods, by, where, ask.view.as_of).rows, kpi.id)
    return {(r["period"], *(r[d] for d in by)): r["denominator"] for r in rows.to_dict("records")}


def target_rows_link(ask, kpi, match: dict, where, period: str) -> str:
    """The drill-down of a target shown beside the KPI: its target rows."""
    return drill_link(ask, "target_attainment", {"target_kpi": kpi.id, **match}, where, period, records="targets")


def year_earlier(ask, kpi_id: str, periods, where) -> dict:
    """The KPI a year before each period, by the period it stands beside; empty
    when it cannot be had (a period before the data may fail in the engine:
    the trend stands without it, and the log says why)."""
    pairs = [(p, p.year_earlier()) for p in periods]
    asked = [q for _, q in pairs if q is not None]
    if not asked:
        return {}
    try:
        values = by_period(ask.rows([kpi_id], asked, (), where))
    except QueryError:
        raise
    except Exception:  # noqa: BLE001 - an aid beside the trend, not the figure itself
        log.warning("%s a year earlier failed", kpi_id, exc_info=True)
        return {}
    found = {p.start: values.get(q.start) for p, q in pairs if q is not None}
    return found if any(v is not None for v in found.values()) else {}  # no year before in the data


REP_COLUMNS = ("owner", "owner_id", "rep_id", "manager_id")  # rep ids, shown with the rep's name beside


def local_record(record: dict, choices, tz) -> dict:
    """A record as people read it: instants (`*_at`, kept in UTC) in the
    workspace's zone, dates (`*_on`) as dates, reps with their names."""
    out = {}
    for c, v in record.items():
        if isinstance(v, datetime) and not is_null(v):
            v = v.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None) if c.endswith("_at") else v.date()
        out[c] = None if is_null(v) else v
        if c in REP_COLUMNS:
            out[f"{c}_name"] = choices.name("owner", v)
    return out


def record_columns(found, lang: str) -> list[Column]:
    """A drill-down's columns: the record's id, then what it adds to the
    figure (formatted as the KPI), then the rest; numbers as numbers, rep ids
    with the rep's name."""
    value_kpi = CATALOG_BY_ID[found.kpi]  # target_attainment drills into the KPI its target is for
    names = found.rows.columns
    is_rep_record = "rep_id" in names and "name" in names  # a reps row: its name is a column of its own
    lead, contribution, rest = [], [], []
    for i, c in enumerate(names):
        if c == "owner_id" and ("owner" in names or is_rep_record):
            continue  # the same rep as `owner`, the KPI's dimension, or as the record itself
        if c == "customer" and "customer_id" in names:
            continue  # the customer dimension is the record's customer_id
        if c == "value" and not value_kpi.is_ratio:
            contribution.append(Column(c, label(c, lang), "kpi", value_kpi.id))
        elif c in ("value", "numerator", "denominator"):
            contribution.append(Column(c, label(c, lang), "number"))
        elif found.rows[c].dtype.kind in "if" and not c.endswith(("_at", "_on")):
            rest.append(Column(c, column_label(c, lang), "number"))
        elif c == "rep_id" and is_rep_record:
            lead.append(Column(c, column_label(c, lang)))
        elif c in REP_COLUMNS:
            # the rep's name, then the id under a heading of its own, so an exported sheet has no two alike
            who = label("owner", lang) if c in ("owner", "owner_id", "rep_id") else column_label(c, lang)
            rest.append(Column(f"{c}_name", who))
            rest.append(Column(c, f"{who}-id" if lang == "nl" else f"{who} id"))
        else:
            (lead if i == 0 else rest).append(Column(c, column_label(c, lang)))
    return lead + contribution + rest


@router.get("/kpi/{kpi_id}/drill")
def drill_page(request: Request, kpi_id: str) -> Response:
    kpi = kpi_or_404(kpi_id)
    ask = ask_for(request)
    view, lang = ask.view, ask.view.lang
    cockpit = cockpit_of(request)
    choices = cockpit.choices()
    where, ignored = view.applicable(kpi)
    match = match_of(one_value_each(request.query_params.multi_items()))
    try:
        number = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        raise BadRequest("page must be a whole number") from None
    exporting = bool(request.query_params.get("export"))
    limit, offset = (EXPORT_MAX, 0) if exporting else (PAGE_SIZE, (number - 1) * PAGE_SIZE)
    records = request.query_params.get("records") or None  # another table behind the figure (cac's costs)
    found = cockpit.cache.drill(kpi.id, view.period, match, where, view.as_of, limit, offset, table=records)
    if exporting and found.components:
        parts = ", ".join(CATALOG_BY_ID[c].name(lang) for c in found.components)
        raise BadRequest(f"{kpi.name(lang)} is made of other KPIs and has no records of its own: "
                         f"export the records of {parts}")
    if exporting and found.total > EXPORT_MAX:
        # a cut-off file would pass for the whole; say so instead
        raise BadRequest(f"{found.total} records match; an export holds at most {EXPORT_MAX}: "
                         "narrow the period or the filters")
    columns = record_columns(found, lang)
    rows = [local_record(r, choices, ask.settings.tz) for r in found.rows.to_dict("records")]
    table = make_table(ask, "records", word("drill_title", lang), columns, rows)
    pages = max(1, -(-found.total // PAGE_SIZE))
    match_text = ", ".join(f"{label(d, lang)}: {choices.name(d, v) if d != 'target_kpi' else CATALOG_BY_ID[v].name(lang)}"
                           for d, v in match.items())
    return page(request, ask, "drill.html", "catalogue", f"{kpi.name(lang)} · {word('records', lang)}", [table],
                kpi=kpi, found=found, match_text=match_text, ignored=ignored, number=number, pages=pages,
                page_size=PAGE_SIZE, components=[CATALOG_BY_ID[c] for c in found.components],
                kpi_url=view.url(f"/kpi/{kpi.id}"), records_asked=records,
                back_word="built_from" if kpi.parts else "own_records")
