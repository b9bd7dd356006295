"""Rendering a page: one Jinja environment, the context every page shares
(language, filters, navigation), and the export of any table on a page
(the page's own URL with export=csv|xlsx&table=NAME)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from koers.datalog import local_text
from koers.kpis import dimension_values
from koers.kpis.compute import one_value_each
from koers.kpis.model import label
from koers.store import now_utc
from koers.web.cockpit import Cockpit
from koers.web.figures import Asker
from koers.web.i18n import word
from koers.web.params import FILTER_DIMS, BadRequest, View, parse_view
from koers.web.tables import XLSX_TYPE, DataTable, to_csv, to_xlsx

env = Environment(loader=PackageLoader("koers.web", "templates"), autoescape=select_autoescape(["html"]))


def css_string(text) -> Markup:
    """Text as a CSS string on one line (a printed sheet's running head):
    quotes and backslashes escaped, and '<' too, so that no text ends the
    <style> element it stands in. Markup (a rendered block) is read as the
    text it shows."""
    plain = " ".join((text.unescape() if isinstance(text, Markup) else str(text)).split())
    return Markup('"' + plain.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ") + '"')


env.filters["css_string"] = css_string

NAV = ("overview", "pipeline", "activities", "performance", "stages", "leaderboard", "alerts", "review", "catalogue",
       "data", "settings")
NAV_PATHS = {"overview": "/", "pipeline": "/pipeline", "activities": "/activities", "performance": "/performance",
             "stages": "/stages", "leaderboard": "/leaderboard", "alerts": "/alerts", "review": "/review", "catalogue": "/kpis", "data": "/data",
             "settings": "/settings"}


def cockpit_of(request: Request) -> Cockpit:
    return request.app.state.cockpit


def ask_for(request: Request) -> Asker:
    """The request's view (filters from the query string) and its asker."""
    cockpit = cockpit_of(request)
    settings = cockpit.settings()
    view = parse_view(one_value_each(request.query_params.multi_items()), settings, now=cockpit.page_moment(now_utc()))
    return Asker(cockpit.cache, view, settings)


def as_of_text(view: View, tz) -> str:
    return local_text(view.as_of, tz)


def page(request: Request, ask: Asker, template: str, active: str, title: str,
         tables: list[DataTable] = (), **context) -> Response:
    """The page, or one of its tables exported when the URL asks for it."""
    export = request.query_params.get("export")
    if export:
        return export_table(request, ask, list(tables), export)
    cockpit = cockpit_of(request)
    view, lang = ask.view, ask.view.lang
    choices = cockpit.choices()
    log = cockpit.data_log()
    last = log.last_import
    freshness = {
        "last": local_text(last["imported_at"], ask.settings.tz) if last else None,
        # a sync whose latest run failed: the figures may be older than they look
        "failing": [{"source": f["source"], "when": local_text(f["started_at"], ask.settings.tz),
                     "message": f["message"]} for f in log.failing_syncs()],
    }
    filters = [
        {"dim": d, "label": label(d, lang), "value": view.where.get(d, ""), "options": choices.options(d),
         "text": choices.name(d, view.where.get(d))}
        for d in FILTER_DIMS
    ]
    unheld = _unheld(filters, lang)
    # the footer's moment: the page's, or that of its figures where a page pins them elsewhere (a past review)
    footer_as_of = context.pop("footer_as_of", None) or as_of_text(view, ask.settings.tz)
    html = env.get_template(template).render(
        request=request, view=view, lang=lang, w=lambda key: word(key, lang), label=lambda d: label(d, lang),
        nav=[(key, NAV_PATHS[key], word(key, lang)) for key in NAV], active=active, title=title,
        filters=filters, choices=choices, as_of=footer_as_of, tz=ask.settings.time_zone,
        warnings=unheld + ask.warnings, tables={t.name: t for t in tables},
        other_lang="en" if lang == "nl" else "nl", path=request.url.path, freshness=freshness, **context,
    )
    return HTMLResponse(html)


def _unheld(filters: list[dict], lang: str) -> list[str]:
    """A warning for each filter whose value (typed into an address, or kept
    from before an import) no record holds, naming the nearest values; its
    select gets the value as an option, so that it shows what the figures
    are filtered on and the form keeps it."""
    warnings = []
    for f in filters:
        known = [v for v, _ in f["options"]]
        if not f["value"] or f["value"] in known:
            continue
        f["options"] = [*f["options"], (f["value"], f["value"])]
        near = dimension_values.nearest(f["value"], known)
        either = f" {word('or', lang)} ".join(repr(v) for v in near)
        hint = f"; {word('did_you_mean', lang)} {either}?" if near else ""
        warnings.append(f"{f['label']} {f['value']!r}: {word('filter_unheld', lang)}{hint}")
    return warnings


def export_table(request: Request, ask: Asker, tables: list[DataTable], export: str) -> Response:
    name = request.query_params.get("table") or (tables[0].name if len(tables) == 1 else "")
    found = {t.name: t for t in tables}
    if name not in found:
        raise BadRequest(f"no table '{name}' on this page; tables: {', '.join(found) or 'none'}")
    table = found[name]
    stem = f"koers-{request.url.path.strip('/').replace('/', '-') or 'overview'}-{name}-{ask.view.period.label}"
    if export == "csv":
        return Response(to_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    if export == "xlsx":
        return Response(to_xlsx(table, ask.settings.currency), media_type=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
    raise BadRequest(f"export must be csv or xlsx (got '{export}')")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    lang = request.query_params.get("lang") if request.query_params.get("lang") in ("nl", "en") else "nl"
    html = env.get_template("error.html").render(
        lang=lang, w=lambda key: word(key, lang), message=message, status=status,
        nav=[(key, NAV_PATHS[key], word(key, lang)) for key in NAV], active="", title=word("error", lang),
    )
    return HTMLResponse(html, status_code=status)
