"""Pipeline changes: the walk of `koers changes` as a page, linked from the
pipeline dashboard. Two snapshots (by default the last two imports), the
walk from the one open value to the other as a waterfall and a table, the
same walk per rep, and the deals behind each line."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from koers import output
from koers.pipeline_changes import (
    BY_GROUP,
    DIMENSIONS,
    WALK,
    ChangesError,
    arrow,
    asked,
    closing_span,
    deal_rows,
    line_label,
    local_text,
    question,
    split,
    what_changed,
)
from koers.web import charts
from koers.web.i18n import column_label, word
from koers.web.params import BadRequest
from koers.web.render import ask_for, cockpit_of, page
from koers.web.tables import Column, make_table

router = APIRouter(include_in_schema=False)

SHOWN_DEALS = 1000  # on the page; its exports and `koers changes --deals` give them all


@router.get("/pipeline/changes")
def changes_page(request: Request) -> Response:
    ask = ask_for(request)
    lang, tz = ask.view.lang, ask.settings.tz
    q = request.query_params
    since, until, line = q.get("since") or None, q.get("until") or None, q.get("line") or None
    closing = q.get("closing", "").strip() or None
    where = {d: v for d, v in ask.view.where.items() if d in DIMENSIONS}
    ignored = [d for d in ask.view.where if d not in DIMENSIONS]
    try:
        _, filters = question(None, [f"{d}={v}" for d, v in where.items()], line, deals=True)
        result, records = asked(cockpit_of(request).ws, since, until, [], filters, closing=closing_span(closing))
    except ChangesError as e:
        if since or until or line or closing:
            raise BadRequest(str(e)) from None
        # a workspace imported once has nothing to compare yet: the page says so
        return page(request, ask, "changes.html", "pipeline", word("pipeline_changes", lang), [], problem=str(e),
                    ignored=ignored)
    names = {rep: name for rep, (name, _) in records.reps.items() if name}
    # the pair compared, pinned in the page's own links (its exports, the language switch): an import
    # between viewing and exporting must not change what the export compares
    ask.view.query.update(since=result.base.import_id, until=result.then.import_id)

    def url(**changed) -> str:
        asked_for = {"since": result.base.import_id, "until": result.then.import_id, "line": line,
                     "closing": closing} | changed
        return ask.view.url("/pipeline/changes", **asked_for)

    money = Column("value", word("value", lang), "kpi", "won_value")
    lines = result.lines.to_dict("records")
    walk = make_table(
        ask, "walk", word("pipeline_changes", lang),
        [Column("name", word("line", lang)), Column("count", word("deals", lang), "number"), money],
        [{**r, "name": line_label(r["line"], lang)} for r in lines],
        links=[{"count": url(line=r["line"]) + "#table-deals"} for r in lines], ignored=ignored)
    steps = [r for r in lines if r["line"] in WALK and (r["count"] or r["line"] in ("start", "end"))]
    # both ends drawn at their own value; no chart when a step's value is unknown (plotly.js would draw it as 0)
    figure = None if any(output.missing(r["value"]) for r in steps) else charts.waterfall(
        word("pipeline_changes", lang), [line_label(r["line"], lang) for r in steps],
        ["absolute" if r["line"] in ("start", "end") else "relative" for r in steps],
        [r["value"] for r in steps], [output.format_short("won_value", r["value"], lang, ask.settings.currency)
                                      for r in steps])

    per_rep = (split(result, ["owner"]).pivot(index="owner", columns="line", values="value")
               .reindex(columns=list(WALK)).reset_index())  # every line, also when no deal is in the walk
    # what the other lines add; empty when one of them cannot be known, never a partial sum
    per_rep["other"] = per_rep[[x for x in WALK if x not in BY_GROUP]].sum(axis=1, skipna=False)
    per_rep["name"] = [names.get(o, o) if isinstance(o, str) else "–" for o in per_rep["owner"]]
    reps = per_rep.sort_values("end", ascending=False, kind="stable").to_dict("records")
    by_rep = make_table(
        ask, "by_rep", f"{word('pipeline_changes', lang)} · {column_label('owner', lang)}",
        [Column("name", column_label("owner", lang)),
         *[Column(x, word("other", lang) if x == "other" else line_label(x, lang), "kpi", "won_value")
           for x in BY_GROUP]],
        reps, links=[{"name": url(line=None, owner=r["owner"])} if r["owner"] else {}
                     for r in reps], ignored=ignored)

    found = deal_rows(result, line)
    deals = [{"opportunity_id": d["opportunity_id"], "owner_name": names.get(d["owner"], d["owner"]),
              "what": what_changed(d, lang, column_label), "value_change": d["value_change"],
              "stage": arrow(d["stage_before"], d["stage_after"]),
              "close": arrow(d["expected_close_on_before"], d["expected_close_on_after"])}
             for d in (found if q.get("export") else found.head(SHOWN_DEALS)).to_dict("records")]
    title = line_label(line, lang) if line else word("deals_changed", lang)
    deal_table = make_table(
        ask, "deals", f"{title} ({len(found)})",
        [Column("opportunity_id", column_label("opportunity_id", lang)), Column("owner_name", column_label("owner", lang)),
         Column("what", word("line", lang)), Column("value_change", word("change", lang), "kpi", "won_value"),
         Column("stage", column_label("stage", lang)), Column("close", column_label("expected_close_on", lang))],
        deals, ignored=ignored)
    snapshots = [(s.import_id, f"{local_text(s.taken_at, tz)} ({s.deals})")  # a select is narrow: when, how many
                 for s in reversed(records.snapshots)]
    return page(request, ask, "changes.html", "pipeline", word("pipeline_changes", lang), [walk, by_rep, deal_table],
                figure=figure, snapshots=snapshots, since=result.base.import_id, until=result.then.import_id,
                line=line, closing=closing or "", cut=len(found) > SHOWN_DEALS, all_deals=url(line=None) + "#table-deals",
                ignored=ignored)
