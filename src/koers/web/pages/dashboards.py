"""The role dashboards: overview, pipeline, team activities, performance and
stage analysis. Each is a list of catalogue KPIs asked of the cache, shown
as cards, breakdowns and charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.model import label
from koers.settings import FOCUS_ADVISED_MAX
from koers.web import charts
from koers.web.breakdown import Breakdown, cards, drill_link, shared_filters
from koers.web.figures import Asker, by_period, change_of, is_null, judge, targets_of, value_at
from koers.web.i18n import column_label, word
from koers.web.params import BadRequest, trailing
from koers.web.render import ask_for, cockpit_of, page
from koers.web.roles import PRESETS
from koers.web.tables import Column, DataTable, make_table

router = APIRouter(include_in_schema=False)


def card_table(ask: Asker, cards_) -> DataTable:
    """The cards as one table (exports keep the numbers as numbers)."""
    lang = ask.view.lang
    columns = [Column("name", word("kpi", lang)), Column("value", word("value", lang), "kpi"),
               Column("previous", word("vs_previous", lang), "kpi"),
               Column("previous_change", f"{word('change', lang)} {word('vs_previous', lang)}", "change"),
               Column("year", word("vs_year", lang), "kpi"),
               Column("year_change", f"{word('change', lang)} {word('vs_year', lang)}", "change"),
               Column("target", word("target", lang), "kpi"), Column("attainment", word("attainment", lang), "percent")]
    rows = []
    for c in cards_:
        previous, unit = change_of(c.kpi, c.raw["value"], c.raw["previous"])
        year, _ = change_of(c.kpi, c.raw["value"], c.raw["year"])
        rows.append({"kpi": c.kpi.id, "name": c.name, **c.raw, "previous_change": previous,
                     "previous_change_unit": unit, "year_change": year, "year_change_unit": unit,
                     **(c.target.raw if c.target else {})})
    return make_table(ask, "cards", word("overview", lang), columns, rows)


@router.get("/")
def overview(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    role = request.query_params.get("role") or ""
    if role and role not in PRESETS:
        raise BadRequest(f"unknown role '{role}'; roles: {', '.join(PRESETS)}")
    kpi_ids = PRESETS[role] if role else ask.settings.focus_kpis
    shown = cards(ask, kpi_ids)
    too_many = not role and len(kpi_ids) > FOCUS_ADVISED_MAX
    tables = [card_table(ask, shown)]
    # the same KPIs per team, where they split by team (target_attainment needs its own page)
    per_team = [k for k in kpi_ids if "team" in CATALOG_BY_ID[k].dimensions and k != "target_attainment"]
    teams = None
    if per_team:
        teams = Breakdown(ask, cockpit_of(request).choices(), "by_team", f"{word('overview', lang)} · "
                          f"{label('team', lang)}", per_team, "team")
        tables.append(teams.table)
    return page(request, ask, "overview.html", "overview", word("overview", lang), tables,
                cards=shown, role=role, roles=list(PRESETS), too_many=too_many,
                not_by_team=[CATALOG_BY_ID[k] for k in kpi_ids if k not in per_team])


PIPELINE_CARDS = ("open_pipeline_value", "weighted_pipeline_value", "open_pipeline_count", "new_pipeline_value",
                  "pipeline_age", "pipeline_coverage", "stale_opportunities")


@router.get("/pipeline")
def pipeline(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    choices = cockpit_of(request).choices()
    values = ["open_pipeline_value", "weighted_pipeline_value"]
    by_stage = Breakdown(ask, choices, "by_stage", f"{word('pipeline', lang)} · {label('stage', lang)}",
                         values + ["open_pipeline_count", "pipeline_age", "stale_opportunities"], "stage")
    by_rep = Breakdown(ask, choices, "by_rep", f"{word('pipeline', lang)} · {label('owner', lang)}",
                       values + ["open_pipeline_count", "pipeline_age", "stale_opportunities"], "owner",
                       sort_by="open_pipeline_value")
    # when the open deals are expected to close (as the reps last said): the months ahead to work on
    by_month = Breakdown(ask, choices, "by_close_month", f"{word('pipeline', lang)} · {label('close_month', lang)}",
                         values + ["open_pipeline_count"], "close_month")
    coverage = Breakdown(ask, choices, "coverage", CATALOG_BY_ID["pipeline_coverage"].name(lang),
                         ["pipeline_coverage"], "owner", sort_by="pipeline_coverage")
    stale_where, _ = shared_filters(ask, ["stale_opportunities"])
    stale = cockpit_of(request).cache.drill("stale_opportunities", ask.view.period, {}, stale_where,
                                            ask.view.as_of, limit=15)
    stale_rows = [{**r, "owner_name": choices.name("owner", r.get("owner"))} for r in stale.rows.to_dict("records")]
    stale_cols = [c for c in ("opportunity_id", "owner_name", "stage", "product", "region") if c in stale.rows.columns
                  or c == "owner_name"]
    stale_table = make_table(ask, "stale", f"{word('stale_deals', lang)} ({stale.total})",
                             [Column(c, column_label(c.removesuffix("_name"), lang)) for c in stale_cols], stale_rows,
                             ignored=shared_filters(ask, ["stale_opportunities"])[1])
    figures = {"by_stage": by_stage.chart(values), "by_rep": by_rep.chart(values, horizontal=True),
               "age": by_stage.chart(["pipeline_age"]), "by_close_month": by_month.chart(values)}
    return page(request, ask, "pipeline.html", "pipeline", word("pipeline", lang),
                [by_stage.table, by_rep.table, by_month.table, coverage.table, stale_table], cards=cards(ask, PIPELINE_CARDS),
                figures=figures, stale_total=stale.total,
                stale_url=drill_link(ask, "stale_opportunities", {}, stale_where))


ACTIVITY_CARDS = ("activities", "activities_per_rep_week", "activity_points", "activity_completion_rate",
                  "overdue_activities", "lead_response_time", "lead_response_sla")


@router.get("/activities")
def activities(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    choices = cockpit_of(request).choices()
    view = ask.view
    where, ignored = shared_filters(ask, ["activities_per_rep_week"])
    per_type = ask.rows(["activities_per_rep_week"], [view.period], ["owner", "type"], where)
    reps = sorted({r for r in per_type["owner"]}, key=lambda r: choices.name("owner", r))
    types = sorted({t for t in per_type["type"] if t is not None})
    lookup = {(r["owner"], r["type"]): r["value"] for r in per_type.to_dict("records")}
    figures = {"per_type": charts.bars(CATALOG_BY_ID["activities_per_rep_week"].name(lang),
                                       [choices.name("owner", r) for r in reps],
                                       [(t, [lookup.get((r, t)) for r in reps]) for t in types], stacked=True)}
    per_type_table = make_table(
        ask, "per_type", f"{CATALOG_BY_ID['activities_per_rep_week'].name(lang)} · {label('type', lang)}",
        [Column("name", label("owner", lang))] + [Column(t, t, "kpi", "activities_per_rep_week") for t in types],
        [{"name": choices.name("owner", r), **{t: lookup.get((r, t)) for t in types}} for r in reps],
        # the records behind a rep's weekly rate of a type are that rep's activities of that type
        [{t: drill_link(ask, "activities", {"owner": r, "type": t}, where) for t in types} for r in reps],
        ignored=ignored)
    per_rep = Breakdown(ask, choices, "per_rep", f"{word('activities', lang)} · {label('owner', lang)}",
                        ["activities", "activities_per_rep_week", "activity_points", "activity_completion_rate",
                         "overdue_activities"], "owner", sort_by="activities")
    response = Breakdown(ask, choices, "response", f"{CATALOG_BY_ID['lead_response_time'].name(lang)} · "
                         f"{label('owner', lang)}", ["leads", "lead_response_time", "lead_response_sla"], "owner",
                         sort_by="leads")
    points = target_table(ask, choices, "activity_points", "points_target")
    return page(request, ask, "activities.html", "activities", word("activities", lang),
                [per_type_table, per_rep.table, points, response.table], cards=cards(ask, ACTIVITY_CARDS),
                figures=figures)


def target_table(ask: Asker, choices, kpi_id: str, name: str, by: str = "owner") -> DataTable:
    """Per rep (or team): actual, target and attainment of one KPI."""
    lang = ask.view.lang
    kpi = CATALOG_BY_ID[kpi_id]
    scope = {d: v for d, v in ask.view.where.items() if d in ("owner", "team")}
    rows = targets_of(ask.rows(["target_attainment"], [ask.view.period], [by], scope), kpi_id)
    data = [{"name": choices.name(by, r[by]), "actual": r["numerator"], "target": r["denominator"],
             "attainment": r["value"]} for r in rows.to_dict("records")]
    data.sort(key=lambda r: -(r["attainment"] if not is_null(r["attainment"]) else float("-inf")))
    classes = [{"attainment": "" if is_null(r["attainment"]) else ("good" if r["attainment"] >= 1 else "bad")}
               for r in data]
    return make_table(ask, name, f"{kpi.name(lang)} · {word('target', lang)}",
                      [Column("name", label(by, lang)), Column("actual", word("actual", lang), "kpi", kpi_id),
                       Column("target", word("target", lang), "kpi", kpi_id),
                       Column("attainment", word("attainment", lang), "percent")], data, classes=classes,
                      ignored=[d for d in ask.view.where if d not in scope])


PERFORMANCE_CARDS = ("revenue", "revenue_growth", "revenue_growth_yoy", "won_value", "average_deal_size",
                     "average_order_value", "cac", "clv", "clv_cac_ratio", "churn_rate", "customer_retention_rate")


@router.get("/performance")
def performance(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    choices = cockpit_of(request).choices()
    view = ask.view
    where, ignored = shared_filters(ask, ["revenue"])
    current = trailing(view.period, 12)
    earlier = [p.year_earlier() for p in current]
    rows = by_period(ask.rows(["revenue"], sorted(set(current) | {p for p in earlier if p}), (), where))
    figures = {"revenue_trend": charts.line(
        CATALOG_BY_ID["revenue"].name(lang), [p.label for p in current],
        [(word("this_year", lang), [value_at(rows, p) for p in current]),
         (word("previous_year", lang), [value_at(rows, p) for p in earlier])], "money",
        dashed=(word("previous_year", lang),))}
    money = ["won_value", "revenue"]
    tables = []
    for dim in ("region", "segment", "product"):
        b = Breakdown(ask, choices, f"by_{dim}", f"{word('performance', lang)} · {label(dim, lang)}", money, dim,
                      sort_by="revenue")
        figures[f"by_{dim}"] = b.chart(horizontal=True)
        tables.append(b.table)
    # the accounts that bring the most, with the whole list one click away
    customers = Breakdown(ask, choices, "by_customer", f"{word('performance', lang)} · {label('customer', lang)}",
                          ["revenue", "won_value", "average_order_value"], "customer", sort_by="revenue", top=15)
    figures["by_customer"] = customers.chart(["revenue"], horizontal=True)
    tables.append(customers.table)
    churn = Breakdown(ask, choices, "churn", f"{CATALOG_BY_ID['churn_rate'].name(lang)} · {label('segment', lang)}",
                      ["churn_rate", "customer_retention_rate", "active_customers", "new_customers"], "segment")
    tables.append(churn.table)
    # acquisition cost and its payback per lead source: the only split CAC has
    acquisition = Breakdown(ask, choices, "acquisition", f"{CATALOG_BY_ID['cac'].name(lang)} · {label('source', lang)}",
                            ["new_customers", "cac", "clv", "clv_cac_ratio"], "source", sort_by="new_customers")
    tables.append(acquisition.table)
    return page(request, ask, "performance.html", "performance", word("performance", lang), tables,
                cards=cards(ask, PERFORMANCE_CARDS), figures=figures, ignored=ignored,
                customers_url=customers.more_url)


@router.get("/stages")
def stages(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    choices = cockpit_of(request).choices()
    steps = funnel_steps(ask, choices)
    first = steps[0]["count"] if steps else None
    previous = None
    for s in steps:
        s["share_previous"] = None if is_null(previous) or not previous or is_null(s["count"]) else s["count"] / previous
        s["share_first"] = None if is_null(first) or not first or is_null(s["count"]) else s["count"] / first
        previous = s["count"]
    funnel_table = make_table(ask, "funnel", word("funnel", lang),
                              [Column("step", word("step", lang)), Column("count", word("value", lang), "number"),
                               Column("share_previous", word("share_previous", lang), "percent"),
                               Column("share_first", word("share_first", lang), "percent")],
                              steps, [{"count": s["url"]} for s in steps])
    figures = {"funnel": charts.funnel(word("funnel", lang), [s["step"] for s in steps], [s["count"] for s in steps],
                                       [f"{c} · {p}" for c, p in zip(funnel_table_col(funnel_table, 1),
                                                                     funnel_table_col(funnel_table, 3))])}
    per_stage = Breakdown(ask, choices, "per_stage", f"{word('stages', lang)} · {label('stage', lang)}",
                          ["stage_conversion_rate", "stage_duration"], "stage")
    figures["conversion"] = per_stage.chart(["stage_conversion_rate"])
    figures["duration"] = per_stage.chart(["stage_duration"])
    conversion = rep_vs_team(ask, choices, "stage_conversion_rate", "rep_vs_team", 0.05)
    duration = rep_vs_team(ask, choices, "stage_duration", "rep_vs_team_duration", 2.0)
    _, ignored = shared_filters(ask, ["leads", "stage_conversion_rate"])
    return page(request, ask, "stages.html", "stages", word("stages", lang),
                [funnel_table, per_stage.table, conversion, duration], figures=figures, ignored=ignored)


def funnel_table_col(table: DataTable, i: int) -> list[str]:
    return [cells[i] for cells in table.cells]


def funnel_steps(ask: Asker, choices) -> list[dict]:
    """Leads created, qualified, deals entering each open stage, won: each
    step a catalogue figure for P (the denominator of stage_conversion_rate
    is the number of deals that entered the stage)."""
    lang = ask.view.lang
    P = ask.view.period
    steps = []
    lead_where, _ = shared_filters(ask, ["leads"])
    leads = ask.rows(["leads", "qualified_leads"], [P], (), lead_where)
    for k in ("leads", "qualified_leads"):
        hit = leads[leads["kpi"] == k]
        steps.append({"step": CATALOG_BY_ID[k].name(lang), "count": None if hit.empty else hit["value"].iloc[0],
                      "url": drill_link(ask, k, {}, lead_where)})
    opp_where, _ = shared_filters(ask, ["stage_conversion_rate"])
    entered = ask.rows(["stage_conversion_rate"], [P], ["stage"], opp_where)
    counts = {r["stage"]: r["denominator"] for r in entered.to_dict("records")}
    for stage, kind in choices.stages:
        if kind == "open":
            steps.append({"step": f"{word('entered_stage', lang)}: {stage}", "count": counts.get(stage, 0),
                          "url": drill_link(ask, "stage_conversion_rate", {"stage": stage}, opp_where)})
    won = by_period(ask.rows(["won_deals"], [P], (), opp_where))
    steps.append({"step": CATALOG_BY_ID["won_deals"].name(lang), "count": value_at(won, P),
                  "url": drill_link(ask, "won_deals", {}, opp_where)})
    return steps


def rep_vs_team(ask: Asker, choices, kpi_id: str, name: str, margin: float) -> DataTable:
    """A stage KPI per rep and stage beside the team's (everyone under the
    page's filters): where a rep loses deals, or keeps them waiting. A rep
    `margin` or more worse than the team is red, better is green."""
    lang = ask.view.lang
    P = ask.view.period
    kpi = CATALOG_BY_ID[kpi_id]
    where, _ = shared_filters(ask, [kpi_id])
    team = ask.rows([kpi_id], [P], ["stage"], where)
    per_rep = ask.rows([kpi_id], [P], ["owner", "stage"], where)
    stages = [s for s, kind in choices.stages if kind == "open"]
    team_value = dict(zip(team["stage"], team["value"]))
    rows = [{"name": word("team_total", lang), **{s: team_value.get(s) for s in stages}}]
    classes: list[dict] = [{}]
    links = [{s: drill_link(ask, kpi_id, {"stage": s}, where) for s in stages}]
    by_rep: dict = {}
    for rep, stage, value in zip(per_rep["owner"], per_rep["stage"], per_rep["value"]):
        by_rep.setdefault(rep, {})[stage] = value
    for rep in sorted(by_rep, key=lambda r: choices.name("owner", r)):
        values = by_rep[rep]
        rows.append({"name": choices.name("owner", rep), **{s: values.get(s) for s in stages}})
        classes.append({s: versus(kpi, values.get(s), team_value.get(s), margin) for s in stages})
        links.append({s: drill_link(ask, kpi_id, {"owner": rep, "stage": s}, where) for s in stages})
    columns = [Column("name", label("owner", lang))] + [Column(s, s, "kpi", kpi_id) for s in stages]
    return make_table(ask, name, f"{kpi.name(lang)}: {label('owner', lang)} / {word('team_total', lang)}",
                      columns, rows, links, classes, ignored=shared_filters(ask, [kpi_id])[1])


def versus(kpi, rep, team, margin: float) -> str:
    """good / bad when the rep is `margin` or more better / worse than the team, by the KPI's direction."""
    if is_null(rep) or is_null(team) or abs(rep - team) < margin:
        return ""
    return judge(kpi, rep, team)
