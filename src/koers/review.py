"""The monthly review: what a sales meeting goes through for one period
(by default the last complete month), gathered from what Koers already
answers, so every figure in it is the figure its own page shows:

- the headline: each focus KPI (the settings' `focus_kpis`) beside the
  period before, a year earlier and the company's target (compare.py);
- the reps: the focus KPIs that split by rep, a row for every rep employed
  during the period (a count or a sum is 0 for a rep without records), and
  each rep's won value against the rep's target;
- the alerts: the workspace's rules (koers.alerts) checked at the period's
  end, each looking at the last complete period of its grain then (a rule
  on the running month at the month reviewed, a quarterly one reviewed in
  October at the third quarter); a running period's as they are now;
- the pipeline: what changed in it from the snapshot at the period's start
  to the one at its end (koers.pipeline_changes), and what became of the
  deals the first expected to close in the period (won, lost, slipped).

A period not over yet is reviewed as of now, so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pandas as pd

from koers import alerts
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compare import beside, beside_targets, elapsed_shares, shifted
from koers.kpis.compute import QueryError, Result
from koers.kpis.dimension_values import employed
from koers.output import missing
from koers.periods import Period, ceil_date, local_date
from koers.pipeline_changes import WALK, Changes, ChangesError, asked, line_label, local_text

HEADLINE = ("kpi", "value", "previous_value", "previous_change", "change_unit", "year_value", "year_change",
            "target", "attainment", "pace")
REP_TARGET = "won_value"  # the figure a rep's target is set on first; its attainment is in the reps' table
# the lines of a pipeline walk a review shows; the rest add up in "other"
WALK_SHOWN = ("start", "new", "won", "lost", "end")
CLOSING_SHOWN = ("start", "won", "lost", "end")


@dataclass
class Review:
    period: Period
    as_of: datetime  # naive UTC: the period's end, or now while it runs
    running: bool
    headline: pd.DataFrame  # HEADLINE, one row per focus KPI
    reps: pd.DataFrame  # owner, team, a column per rep KPI, won_value_target, won_value_attainment
    rep_kpis: list[str]
    rules: list[alerts.Rule]  # as checked (a running rule looks back from the period's end)
    alerts: alerts.Checked
    pipeline: Changes | None = None  # from the snapshot at start(P) to the one at end(P)
    closing: Changes | None = None  # the deals expected to close in P then
    notes: list[dict[str, str]] = field(default_factory=list)  # what could not be gathered, and why: {lang: text}
    warnings: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # a team's or a rep's review
    unfiltered: list[str] = field(default_factory=list)  # focus KPIs that do not split by the filter: left out

    def notes_in(self, lang: str) -> list[str]:
        return [note[lang] for note in self.notes]


SCOPES = ("owner", "team")  # a review of a team (its meeting) or of one rep
FRESH = timedelta(days=1)  # a snapshot further from a period's bound than this is named in a note


def review(ws, ask, settings, period: Period, now: datetime, where: dict[str, str] | None = None) -> Review:
    """The review of `period`; `ask` answers compute, targets and reps
    (alerts.Direct on a connection, or the web's result cache). `where`: a
    team's or a rep's review (owner=, team=): the focus KPIs that split so,
    that team's or rep's targets, reps, alerts and pipeline."""
    where = dict(where or {})
    other = [d for d in where if d not in SCOPES]
    if other:
        raise QueryError(f"a review is of the company, a team or a rep: filter by owner or team, not "
                         f"{', '.join(other)}")
    tz = settings.tz
    end = period.end_utc(tz)
    if now <= period.start_utc(tz):
        raise QueryError(f"{period.label} has not begun: a review looks back at a period that is over or running")
    running = now < end
    as_of = now if running else end
    warnings: list[str] = []
    known = [k for k in settings.focus_kpis if k in CATALOG_BY_ID]
    focus = [k for k in known if set(where) <= set(CATALOG_BY_ID[k].dimensions)]
    unfiltered = [k for k in known if k not in focus]

    headline = _headline(ask, settings, focus, period, as_of, where, warnings)
    rep_kpis = [k for k in focus if "owner" in CATALOG_BY_ID[k].dimensions]
    everyone = ask.reps(as_of)
    reps = _reps(ask, settings, everyone, rep_kpis, period, as_of, where, warnings)

    # at the period's end a rule looks at the last complete period of its grain (a rule on the running
    # month would look at the month after the one reviewed)
    rules = [r if running else replace(r, when="last") for r in alerts.rules(ws)]
    checked = alerts.check(ask, settings, rules, as_of)
    team_of = dict(zip(everyone["rep_id"], everyone["team"]))
    kept = [alerts.in_scope(r, where, team_of, strict=True) for r in checked.rows.to_dict("records")]
    checked = alerts.Checked(checked.rows[kept].reset_index(drop=True) if len(checked.rows) else checked.rows,
                             checked.warnings)

    notes, pipeline, closing = [], None, None
    since, until = local_date(period.start_utc(tz), tz).isoformat(), (
        "" if running else local_date(end, tz).isoformat())
    try:
        pipeline, _ = asked(ws, since, until or None, where=where, now=now)
        closing, _ = asked(ws, since, until or None, where=where, now=now, closing=(period.start, period.end))
    except ChangesError as e:
        notes.append({"en": f"pipeline: {e}", "nl": f"pijplijn: {e.nl}"})
    if pipeline is not None and pipeline.base.import_id == pipeline.then.import_id:
        one = pipeline.base.import_id
        notes.append({"en": f"pipeline: one snapshot ({one}) is the last both at the period's start and at its end: "
                            f"no import between them to compare",
                      "nl": f"pijplijn: één momentopname ({one}) is de laatste zowel bij het begin als bij het eind "
                            f"van de periode: geen import ertussen om mee te vergelijken"})
        pipeline = closing = None
    elif pipeline is not None:
        # snapshots are only as fresh as the imports: say how far from the period's bounds they are
        start_gap = period.start_utc(tz) - pipeline.base.taken_at
        end_gap = min(end, now) - pipeline.then.taken_at
        if start_gap > FRESH or end_gap > FRESH:
            first, last = local_text(pipeline.base.taken_at, tz), local_text(pipeline.then.taken_at, tz)
            notes.append({"en": f"pipeline: the snapshots nearest the period's bounds are of {first} and {last} (the "
                                f"last at or before its start and its end): the walk covers those moments, not the "
                                f"period's own",
                          "nl": f"pijplijn: de momentopnamen het dichtst bij de grenzen van de periode zijn van {first} "
                                f"en {last} (de laatste op of voor het begin en het eind): het verloop beslaat die "
                                f"momenten, niet die van de periode zelf"})
    for found in (pipeline, closing):
        for w in found.warnings if found else []:
            if w not in warnings:
                warnings.append(w)
    if running:  # a flow so far beside a whole period is no change (its pace against the target says more)
        for c in ("previous_change", "year_change"):
            headline[c] = [None if CATALOG_BY_ID[k].additive else v for k, v in zip(headline["kpi"], headline[c])]
        headline = _nulls(headline)
    return Review(period, as_of, running, headline, reps, rep_kpis, rules, checked, pipeline, closing, notes,
                  warnings, where, unfiltered)


def _headline(ask, settings, focus, period, as_of, where, warnings) -> pd.DataFrame:
    if not focus:
        return pd.DataFrame(columns=HEADLINE)
    now = ask.compute(focus, [period], [], where, as_of)
    _warn(warnings, now.warnings)
    rows = now.rows[now.rows["kpi"].isin(focus)].reset_index(drop=True)
    found = {}
    for against in ("previous", "year"):
        other = shifted(period, against)
        earlier = ask.compute(focus, [other], [], where, as_of) if other else None
        found[against] = beside(Result(rows, []), earlier, [period], [], where, against).rows
    targets = ask.targets(focus, [period], [], where, as_of)
    target = beside_targets(Result(rows, []), targets, [], elapsed_shares([period], as_of, settings.tz)).rows
    out = pd.DataFrame({
        "kpi": rows["kpi"], "value": rows["value"],
        "previous_value": found["previous"]["compared_value"], "previous_change": found["previous"]["change"],
        "change_unit": found["previous"]["change_unit"], "year_value": found["year"]["compared_value"],
        "year_change": found["year"]["change"], "target": target["compared_value"],
        "attainment": [None if missing(t) or missing(v) or not t else v / t
                       for v, t in zip(rows["value"], target["compared_value"])],
        "pace": target["pace"]})
    order = {k: i for i, k in enumerate(focus)}
    return _nulls(out.sort_values("kpi", key=lambda s: s.map(order), kind="stable", ignore_index=True))


def _reps(ask, settings, reps, rep_kpis, period, as_of, where, warnings) -> pd.DataFrame:
    team = dict(zip(reps["rep_id"], reps["team"]))
    got = ask.compute([*rep_kpis, *([] if REP_TARGET in rep_kpis else [REP_TARGET])], [period], ["owner"], where,
                      as_of)
    _warn(warnings, got.warnings)
    values = {k: dict(zip(mine["owner"], mine["value"])) for k, mine in got.rows.groupby("kpi")}
    # every rep employed during P, and any other with a figure (a deal closed after leaving is not dropped)
    owners = list(dict.fromkeys([*employed(reps, period, ceil_date(as_of, settings.tz), where),
                                 *sorted(o for v in values.values() for o in v if isinstance(o, str))]))
    table = pd.DataFrame({"owner": owners, "team": [team.get(o) for o in owners]}, dtype=object)
    for k in rep_kpis:
        empty = CATALOG_BY_ID[k].empty_value(["owner"])
        table[k] = [values.get(k, {}).get(o, empty) for o in owners]
    targets = ask.targets([REP_TARGET], [period], ["owner"], where, as_of)
    found = {r["owner"]: r["denominator"] for r in targets.rows.to_dict("records")
             if r.get("target_kpi") == REP_TARGET}
    won = values.get(REP_TARGET, {})
    table[f"{REP_TARGET}_target"] = [found.get(o) for o in owners]
    table[f"{REP_TARGET}_attainment"] = [
        None if missing(found.get(o)) or not found.get(o) else won.get(o, 0.0) / found[o] for o in owners]
    return _nulls(table.sort_values("owner", kind="stable", ignore_index=True))


def _nulls(frame: pd.DataFrame) -> pd.DataFrame:
    """Every unknown figure None, as compute()'s rows have them (pandas makes NaN of None among floats)."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def _warn(warnings: list[str], new: list[str]) -> None:
    warnings += [w for w in new if w not in warnings]


def shown_walk(lines, shown: tuple[str, ...], lang: str) -> list[tuple[str, int | None, float | None]]:
    """The walk's `shown` lines, and before its end what the others add up
    to ("other": amounts, rates, reopened deals), so the lines add up;
    unknown when one of them is (a missing rate), never a partial sum."""
    by_line = {r["line"]: r for r in lines.to_dict("records")}
    rest = [by_line[x]["value"] for x in WALK if x not in shown]
    other = None if any(missing(v) for v in rest) else sum(rest)
    found = []
    for line in shown:
        if line == "end":
            found.append((WORDS["other"][lang], None, other))
        found.append((line_label(line, lang), by_line[line]["count"], by_line[line]["value"]))
    return found


WORDS = {
    **alerts.HEADINGS,
    "title": {"en": "Review of", "nl": "Terugblik op"},
    "so_far": {"en": "so far", "nl": "tot nu"},
    "headline": {"en": "Focus KPIs", "nl": "Focus-KPI's"},
    "previous": {"en": "Period before", "nl": "Periode ervoor"},
    "change": {"en": "Change", "nl": "Verandering"},
    "year": {"en": "Year earlier", "nl": "Jaar eerder"},
    "target": {"en": "Target", "nl": "Target"},
    "attainment": {"en": "Attained", "nl": "Gerealiseerd"},
    "pace": {"en": "Pace", "nl": "Tempo"},
    "review": {"en": "Review", "nl": "Terugblik"},
    "period": {"en": "Period", "nl": "Periode"},
    "as_of": {"en": "As it stood at", "nl": "Zoals het stond op"},
    "snapshots": {"en": "Snapshots", "nl": "Momentopnamen"},
    "notes": {"en": "Notes", "nl": "Opmerkingen"},
    "reps": {"en": "Reps", "nl": "Verkopers"},
    "rep": {"en": "Rep", "nl": "Verkoper"},
    "team": {"en": "Team", "nl": "Team"},
    "won_target": {"en": "Won value target", "nl": "Target gerealiseerde verkoop"},
    "alerts": {"en": "Alerts", "nl": "Signalen"},
    "fired": {"en": "{fired} from {rules} rules", "nl": "{fired} van {rules} regels"},
    "pipeline": {"en": "Pipeline over the period", "nl": "Pijplijn over de periode"},
    "closing": {"en": "Deals expected to close in the period", "nl": "Deals verwacht te sluiten in de periode"},
    "line": {"en": "Line", "nl": "Regel"},
    "other": {"en": "Other changes", "nl": "Overige veranderingen"},
    "deals": {"en": "Deals", "nl": "Deals"},
}
