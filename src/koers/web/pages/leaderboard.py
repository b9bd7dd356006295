"""Leaderboard: reps or teams ranked on a chosen KPI, with the previous
period beside it and target against actual where targets are set."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.compare import elapsed_share, pace
from koers.kpis.model import Direction, label
from koers.web import charts
from koers.web.breakdown import drill_link
from koers.web.figures import change_of, is_null, judge, targets_of
from koers.web.i18n import word
from koers.web.params import BadRequest
from koers.web.render import ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)

RANKABLE = [k for k in CATALOG if k.id != "target_attainment" and ({"owner", "team"} & set(k.dimensions))]


def rank_key(direction: Direction):
    """Best first by the KPI's direction; no value last."""
    def key(value):
        if is_null(value):
            return (1, 0)
        if direction == Direction.HIGHER:
            return (0, -value)
        if direction == Direction.LOWER:
            return (0, value)
        return (0, abs(value))
    return key


@router.get("/leaderboard")
def leaderboard(request: Request) -> Response:
    ask = ask_for(request)
    view, lang = ask.view, ask.view.lang
    choices = cockpit_of(request).choices()
    kpi_id = request.query_params.get("kpi") or "won_value"
    if kpi_id not in {k.id for k in RANKABLE}:
        raise BadRequest(f"'{kpi_id}' cannot be ranked by rep or team; rankable: {', '.join(k.id for k in RANKABLE)}")
    kpi = CATALOG_BY_ID[kpi_id]
    by = request.query_params.get("rank_by") or ("owner" if "owner" in kpi.dimensions else "team")
    if by not in ("owner", "team") or by not in kpi.dimensions:
        raise BadRequest(f"{kpi.id} ranks by: {', '.join(d for d in ('owner', 'team') if d in kpi.dimensions)}")
    where, ignored = view.applicable(kpi)
    P = view.period
    now = ask.rows([kpi.id], [P], [by], where)
    before = {r[by]: r["value"] for r in ask.rows([kpi.id], [P.previous()], [by], where).to_dict("records")}
    targets = {}
    scoped = all(d in ("owner", "team") for d in where)
    if scoped:
        att = ask.rows(["target_attainment"], [P], [by], where)
        targets = {r[by]: r for r in targets_of(att, kpi.id).to_dict("records")}
    share = elapsed_share(P, view.as_of, ask.settings.tz)
    values = dict(zip(now[by], now["value"]))
    for key, t in targets.items():
        # a rep with a target and nothing done yet ranks too: target_attainment's
        # actual for a count or a sum (flow or stock) is then 0
        values.setdefault(key, t["numerator"])
    rows, links, classes = [], [], []
    for key, value in values.items():
        t = targets.get(key)
        target = None if t is None else t["denominator"]
        attained = None if t is None else t["value"]
        paced = None if t is None else pace(kpi, t["numerator"], target, share)
        change, unit = change_of(kpi, value, before.get(key))
        rows.append({"key": key, "name": choices.name(by, key), "team": choices.rep_team.get(key) if by == "owner"
                     else None, "value": value, "previous": before.get(key),
                     "change": change, "change_unit": unit, "target": target,
                     "attainment": attained, "pace": paced})
        links.append({"value": drill_link(ask, kpi.id, {by: key}, where)})
        classes.append({"change": judge(kpi, value, before.get(key)),
                        "attainment": "" if is_null(attained) else ("good" if attained >= 1 else "bad")})
    order = sorted(range(len(rows)), key=lambda i: rank_key(kpi.direction)(rows[i]["value"]))
    rows, links, classes = [rows[i] for i in order], [links[i] for i in order], [classes[i] for i in order]
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    columns = [Column("rank", word("rank", lang), "number"), Column("name", label(by, lang))]
    if by == "owner":
        columns.append(Column("team", label("team", lang)))
    columns += [Column("value", kpi.name(lang), "kpi", kpi.id),
                Column("previous", word("vs_previous", lang), "kpi", kpi.id),
                Column("change", word("change", lang), "change")]
    if targets:
        columns += [Column("target", word("target", lang), "kpi", kpi.id),
                    Column("attainment", word("attainment", lang), "percent")]
        if any(r["pace"] is not None for r in rows):  # a flow while P runs (compare.pace)
            columns.append(Column("pace", word("on_pace_for", lang), "percent"))
    table = make_table(ask, "ranking", f"{kpi.name(lang)} · {view.period.label}", columns, rows, links, classes)
    figure = charts.bars(kpi.name(lang), [r["name"] for r in rows], [(kpi.name(lang), [r["value"] for r in rows])],
                         kpi.shown_as, horizontal=True)
    options = [(k.id, k.name(lang)) for k in sorted(RANKABLE, key=lambda k: k.name(lang))]
    return page(request, ask, "leaderboard.html", "leaderboard", word("leaderboard", lang), [table], kpi=kpi,
                by=by, options=options, figure=figure, ignored=ignored, targets_scoped=scoped,
                has_targets=bool(targets))
