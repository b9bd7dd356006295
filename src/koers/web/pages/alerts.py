"""Alerts: the workspace's alert rules (koers.alerts) checked at the page's
as-of moment, through the result cache. A section per rule that fires,
each figure linked to its drill-down; the rules that do not fire listed
below, so a quiet page says what was checked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from koers import alerts
from koers.web.breakdown import drill_link
from koers.web.i18n import column_label, word
from koers.web.params import FILTER_DIMS
from koers.web.render import ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)


def number_columns(lang: str, kpi: str | None) -> list[Column]:
    """An export's columns of the numbers behind "set against" and "worse
    by" (alerts.NUMBERS), which the page shows as text; `kpi` None: each
    row's own (`kpi` in the row)."""
    return [Column(f"num_{key}", en if lang == "en" else nl, kind, kpi if kind == "kpi" else None)
            for key, kind, en, nl in alerts.NUMBERS]


def numbers_of(rec: dict) -> dict:
    """A checked figure's numbers, as number_columns names them."""
    return {**{f"num_{key}": rec.get(key) for key, *_ in alerts.NUMBERS}, "num_change_unit": rec.get("change_unit")}


@router.get("/alerts")
def alerts_page(request: Request) -> Response:
    ask = ask_for(request)
    view, lang, tz, currency = ask.view, ask.view.lang, ask.settings.tz, ask.settings.currency
    cockpit = cockpit_of(request)
    choices = cockpit.choices()
    kept = alerts.rules(cockpit.ws)
    # a period picked on the page: the rules as they were checked at its end (stepping back a month shows what
    # fired then); else at the page's moment
    moment = min(view.as_of, view.period.end_utc(tz)) if request.query_params.get("period") else view.as_of
    checked = alerts.check(cockpit.cache, ask.settings, kept, moment)
    # the page's rep and team filters narrow the figures split by them; a rule's other figures stay
    shown = [rec for rec in checked.rows.to_dict("records") if alerts.in_scope(rec, view.where, choices.rep_team)]
    tables, sections, quiet = [], [], []
    for rule in kept:
        period = rule.period(moment, tz).label
        filters = {d: v for d, v in rule.where if d in FILTER_DIMS}  # what the KPI page can filter on
        heading = {"name": rule.name, "text": alerts.describe(rule, lang, currency), "period": period,
                   "running": rule.when == "current",
                   "kpi_url": view.url(f"/kpi/{rule.kpi}", period=period, grain=None, split=rule.by[0] if rule.by else None,
                                       **filters)}
        fired = [r for r in shown if r["rule"] == rule.name and r["fired"]]
        if not fired:
            quiet.append(heading)
            continue
        dims = list(rule.scope())
        rows, links = [], []
        for r in fired:
            rows.append({**{d: choices.name(d, r.get(d)) for d in dims}, "value": r["value"],
                         "against": alerts.against_text(rule, r, lang, currency),
                         "worse_by": alerts.worse_text(rule, r, lang, currency), **numbers_of(r)})
            # the records behind the figure: its split's values and the rule's filter
            match = {**dict(rule.where), **{d: r.get(d) for d in rule.by}}
            links.append({"value": drill_link(ask, rule.kpi, match, dict(rule.where), period=period)})
        tables.append(make_table(
            ask, rule.name, heading["text"],
            [*[Column(d, column_label(d, lang)) for d in dims], Column("value", word("value", lang), "kpi", rule.kpi),
             Column("against", alerts.HEADINGS["set_against"][lang]),
             Column("worse_by", alerts.HEADINGS["worse_by"][lang])],
            rows, links=links, exported_only=number_columns(lang, rule.kpi)))
        sections.append({**heading, "count": len(fired)})
    fired = sum(s["count"] for s in sections)
    return page(request, ask, "alerts.html", "alerts", word("alerts", lang), tables, sections=sections, quiet=quiet,
                rules=len(kept), fired=fired, rule_warnings=checked.warnings,
                summary=alerts.summary(fired, len(shown), len(kept), lang),
                filtered=any(d in view.where for d in ("owner", "team")))
