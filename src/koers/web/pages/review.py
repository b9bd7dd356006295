"""The review: `koers review` as a page for the sales meeting, of the
page's period (by default the last complete month). Each figure links to
its KPI page or drill-down, the alerts to their records, the pipeline walk
to the changes page of the same two snapshots."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from koers import alerts
from koers.datalog import local_instant
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compute import QueryError
from koers.review import CLOSING_SHOWN, REP_TARGET, SCOPES, WALK_SHOWN, WORDS, review, shown_walk
from koers.web.breakdown import drill_link
from koers.web.figures import Asker
from koers.web.i18n import column_label, word
from koers.web.pages.alerts import number_columns, numbers_of
from koers.web.params import BadRequest
from koers.web.render import as_of_text, ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)


@router.get("/review")
def review_page(request: Request) -> Response:
    ask = ask_for(request)
    view, lang, currency, tz = ask.view, ask.view.lang, ask.settings.currency, ask.settings.tz
    cockpit = cockpit_of(request)
    choices = cockpit.choices()
    if len(view.periods) > 1:
        raise BadRequest(f"a review is of one period, not the range {view.period_text}: name a month, quarter, "
                         f"week or year")
    P = view.period
    where = {d: v for d, v in view.where.items() if d in SCOPES}
    ignored = [d for d in view.where if d not in SCOPES]
    try:
        found = review(cockpit.ws, cockpit.cache, ask.settings, P, view.as_of, where)
    except QueryError as e:
        raise BadRequest(str(e)) from None
    page_ask = ask
    if not found.running:
        # the figures are as they stood at the period's end: so are those its links open (the page's own
        # links, its navigation among them, keep the page's moment)
        pinned = local_instant(found.as_of, tz).isoformat(timespec="minutes")
        ask = Asker(ask.cache, replace(view, as_of=found.as_of, query={**view.query, "as_of": pinned}), ask.settings)
        view = ask.view
    tables = []

    heads = found.headline.to_dict("records")
    tables.append(make_table(
        ask, "headline", WORDS["headline"][lang],
        [Column("name", "KPI"), Column("value", WORDS["value"][lang], "kpi"),
         Column("previous_value", WORDS["previous"][lang], "kpi"), Column("previous_change", WORDS["change"][lang],
                                                                           "change"),
         Column("year_value", WORDS["year"][lang], "kpi"), Column("target", WORDS["target"][lang], "kpi"),
         Column("attainment", WORDS["attainment"][lang], "percent"),
         *([Column("pace", WORDS["pace"][lang], "percent")] if found.running else [])],
        [{**r, "name": CATALOG_BY_ID[r["kpi"]].name(lang), "previous_change_unit": r["change_unit"]} for r in heads],
        links=[{"name": view.url(f"/kpi/{r['kpi']}", period=P.label, grain=None),
                "value": drill_link(ask, r["kpi"], {}, where, period=P.label)} for r in heads], ignored=ignored))

    reps = found.reps.to_dict("records")
    tables.append(make_table(
        ask, "reps", WORDS["reps"][lang],
        [Column("name", column_label("owner", lang)), Column("team", column_label("team", lang)),
         *[Column(k, CATALOG_BY_ID[k].name(lang), "kpi", k) for k in found.rep_kpis],
         Column(f"{REP_TARGET}_target", WORDS["won_target"][lang], "kpi", REP_TARGET),
         Column(f"{REP_TARGET}_attainment", WORDS["attainment"][lang], "percent")],
        [{**r, "name": choices.name("owner", r["owner"])} for r in reps],
        links=[{k: drill_link(ask, k, {"owner": r["owner"]}, where, period=P.label) for k in found.rep_kpis}
               for r in reps]))

    by_name = {r.name: r for r in found.rules}
    fired = found.alerts.fired.to_dict("records")
    shown = []
    for r in fired:
        rule = by_name[r["rule"]]
        shown.append({"rule": rule.name, "period": rule.period(found.as_of, tz).label,
                      "scope": alerts.scope_text(rule, r, choices.name),
                      "kpi": rule.kpi, "value": r["value"],
                      "against": alerts.against_text(rule, r, lang, currency),
                      "worse_by": alerts.worse_text(rule, r, lang, currency), **numbers_of(r)})
    tables.append(make_table(
        ask, "alerts", f"{word('alerts', lang)}: {WORDS['fired'][lang].format(fired=len(fired), rules=len(found.rules))}",
        [Column("rule", WORDS["rule"][lang]), Column("period", column_label("period", lang)),
         Column("scope", word("scope", lang)), Column("value", WORDS["value"][lang], "kpi"),
         Column("against", WORDS["set_against"][lang]), Column("worse_by", WORDS["worse_by"][lang])],
        shown, exported_only=number_columns(lang, None),
        links=[{"value": drill_link(ask, by_name[r["rule"]].kpi, {d: r.get(d) for d in by_name[r["rule"]].by},
                                    dict(by_name[r["rule"]].where), period=s["period"])}
               for r, s in zip(fired, shown)]))

    walks = []
    for name, walk, lines, closing in (("pipeline", found.pipeline, WALK_SHOWN, None),
                                       ("closing", found.closing, CLOSING_SHOWN, P.label)):
        if walk is None:
            continue
        rows = [{"line": line, "count": count, "value": value} for line, count, value in shown_walk(walk.lines,
                                                                                                   lines, lang)]
        title = f"{WORDS[name][lang]} ({walk.base.import_id} → {walk.then.import_id})"
        tables.append(make_table(
            ask, name, title, [Column("line", WORDS["line"][lang]), Column("count", WORDS["deals"][lang], "number"),
                               Column("value", WORDS["value"][lang], "kpi", "won_value")], rows))
        walks.append({"table": name, "url": view.url("/pipeline/changes", since=walk.base.import_id, period=None,
                                                      until=walk.then.import_id, closing=closing)})
    so_far = f" ({WORDS['so_far'][lang]})" if found.running else ""
    return page(request, page_ask, "review.html", "review", f"{WORDS['title'][lang]} {P.label}{so_far}", tables,
                walks=walks, notes=found.notes_in(lang), running=found.running,
                as_of_text=local_instant(found.as_of, tz).strftime("%Y-%m-%d %H:%M"), footer_as_of=as_of_text(view, tz),
                review_warnings=found.warnings + found.alerts.warnings,
                left_out=[CATALOG_BY_ID[k].name(lang) for k in found.unfiltered], ignored=ignored)
