"""Settings: the focus KPIs of the overview (3 to 7 advised), from the
catalogue or a role preset; the workspace's other settings for reference
(`koers settings` changes them)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from koers.kpis.catalog import CATALOG
from koers.output import format_number
from koers.settings import FOCUS_ADVISED_MAX, Settings, parse_setting
from koers.web.i18n import word
from koers.web.params import BadRequest
from koers.web.render import ask_for, cockpit_of, page
from koers.web.roles import PRESETS

router = APIRouter(include_in_schema=False)
FOCUS_ADVISED_MIN = 3


@router.get("/settings")
def settings_page(request: Request) -> Response:
    ask = ask_for(request)
    lang = ask.view.lang
    families: dict[str, list] = {}
    for k in CATALOG:
        families.setdefault(k.family, []).append(k)
    focus = ask.settings.focus_kpis
    return page(request, ask, "settings.html", "settings", word("settings", lang), families=families, focus=focus,
                too_many=len(focus) > FOCUS_ADVISED_MAX, too_few=len(focus) < FOCUS_ADVISED_MIN,
                presets=PRESETS, saved=bool(request.query_params.get("saved")),
                others=workspace_rows(ask.settings, lang))


def workspace_rows(settings: Settings, lang: str) -> list[dict[str, str]]:
    """The settings other than the focus KPIs as a manager reads them (labels and numbers in the page's
    language), each with the command that changes it."""
    shown = {
        "time_zone": settings.time_zone,
        "currency": settings.currency,
        "response_sla_hours": f"{format_number(settings.response_sla_hours, lang)} {word('hours_word', lang)}",
        "stale_days": f"{format_number(settings.stale_days, lang)} {word('days_word', lang)}",
        "outreach_types": ", ".join(settings.outreach_types),
        "activity_points": ", ".join(f"{t} {format_number(p, lang)}" for t, p in settings.activity_points.items()),
    }
    inputs = settings.as_inputs()
    return [{"label": word(f"setting_{name}", lang), "shown": text, "command": f"koers settings {name}={inputs[name]}"}
            for name, text in shown.items()]


@router.post("/settings")
async def save_settings(request: Request) -> Response:
    # a form posted from another site's page must not change this workspace
    origin = request.headers.get("origin")
    if origin and urlparse(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, f"settings are changed from this cockpit's own pages, not from {origin}")
    try:
        form = parse_qs((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the form is not UTF-8 text") from None
    lang = (form.get("lang") or ["nl"])[0]
    preset = (form.get("preset") or [""])[0]
    if preset:
        if preset not in PRESETS:
            raise BadRequest(f"unknown role preset '{preset}'; presets: {', '.join(PRESETS)}")
        ids = list(PRESETS[preset])
    else:
        ids = form.get("focus") or []
    try:
        value = parse_setting("focus_kpis", ",".join(ids))
    except ValueError as e:
        raise BadRequest(str(e)) from None
    # in a worker thread: the write may wait for the pages' runs and for the file
    await run_in_threadpool(cockpit_of(request).set_settings, focus_kpis=value)
    return RedirectResponse(f"/settings?lang={lang if lang in ('nl', 'en') else 'nl'}&saved=1", status_code=303)
