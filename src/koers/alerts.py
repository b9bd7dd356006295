"""Alert rules: a KPI watched over a period relative to now, split and
filtered as `koers kpi` splits and filters it, that fires for each figure
below or above a threshold, or worse than the period before, the same period
a year earlier, or its target.

A rule asks the question `koers kpi` answers (the same compute(), at the
same as-of moment), so every figure an alert names is the figure the KPI
page and the drill-down show for it. "Worse" is read from the KPI's
direction in the catalogue (a lower win rate, a longer response time, a
forecast further from 0), in the unit a manager reads a change in
(output.change_of): relative for amounts and counts, percentage points for
ratios, times for a multiple. A flow set against its target while its
period runs is judged by its pace (the target prorated to the time gone).

Split by owner, a count or a sum also has a figure for each rep employed
during the period without a record: a rep with no activities this week has
0, which is exactly what a rule on activities is for.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compare import AGAINST, beside, beside_targets, check_target_scope, elapsed_shares, shifted, targets
from koers.kpis.compute import QueryError, Result, compute
from koers.kpis.dimension_values import employed, reps
from koers.kpis.model import Direction, Unit
from koers.periods import Period, ceil_date, floor, local_date

TABLE = "koers_alert_rules"
TESTS = ("below", "above", "worse")
WHEN = ("last", "current")  # the last complete period, or the one running (to date)
GRAINS = ("day", "week", "month", "quarter", "year")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
# what `koers alerts check` gives for each figure a rule looked at
COLUMNS = ("rule", "kpi", "period", "value", "threshold", "compared_period", "compared_value", "change",
           "change_unit", "pace", "worse_by", "fired")


class AlertError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    name: str
    kpi: str
    test: str  # below | above | worse
    # below, above: a value in the KPI's unit (a ratio as a fraction);
    # worse: how much worse at least, in the change's unit (0: any worse)
    threshold: float = 0.0
    against: str | None = None  # worse: previous | year | target
    when: str = "last"
    grain: str = "month"
    by: tuple[str, ...] = ()
    where: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rule:
        d = json.loads(text)
        return cls(**{**d, "by": tuple(d.get("by", ())), "where": tuple(tuple(p) for p in d.get("where", ()))})

    def period(self, as_of: datetime, tz: ZoneInfo) -> Period:
        """The period the rule looks at when asked at `as_of` (naive UTC)."""
        running = Period(floor(local_date(as_of, tz), self.grain), self.grain)
        return running if self.when == "current" else running.previous()

    def scope(self) -> list[str]:
        return [*self.by, *(d for d, _ in self.where)]


def make_rule(name: str, kpi_id: str, below: str | None = None, above: str | None = None,
              worse_than: str | None = None, by_more_than: str | None = None, when: str = "last",
              grain: str = "month", by: list[str] | None = None, where: dict[str, str] | None = None) -> Rule:
    """A rule from what a user typed, checked: every mistake is an AlertError
    that names the valid choices."""
    if not NAME.fullmatch(name or ""):
        raise AlertError(f"a rule's name is 1 to 40 letters, digits, '-' or '_', starting with a letter or "
                         f"digit (got '{name}')")
    kpi = CATALOG_BY_ID.get(kpi_id)
    if kpi is None:
        raise AlertError(f"unknown KPI {kpi_id}; valid KPIs: {', '.join(CATALOG_BY_ID)}")
    if kpi_id == "target_attainment":
        raise AlertError("target_attainment has a figure per KPI with a target: watch that KPI with "
                         "--worse-than target instead")
    asked = [t for t, v in (("below", below), ("above", above), ("worse", worse_than)) if v is not None]
    if len(asked) != 1:
        raise AlertError("a rule has one test: --below VALUE, --above VALUE or --worse-than previous|year|target")
    if when not in WHEN:
        raise AlertError(f"--when must be one of: {', '.join(WHEN)} (got '{when}')")
    if grain not in GRAINS:
        raise AlertError(f"--grain must be one of: {', '.join(GRAINS)} (got '{grain}')")
    by = list(dict.fromkeys(by or []))
    where = dict(where or {})
    bad = [d for d in [*by, *where] if d not in kpi.dimensions]
    if bad:
        raise AlertError(f"{', '.join(dict.fromkeys(bad))} is not a dimension of {kpi_id}; valid dimensions: "
                         f"{', '.join(kpi.dimensions) or 'none'}")
    test = asked[0]
    if test == "worse":
        if worse_than not in AGAINST:
            raise AlertError(f"--worse-than must be one of: {', '.join(AGAINST)} (got '{worse_than}')")
        if worse_than == "target":
            try:
                check_target_scope(by, where)
            except QueryError as e:
                raise AlertError(str(e)) from None
        threshold = parse_change(kpi, by_more_than) if by_more_than is not None else 0.0
    else:
        if by_more_than is not None:
            raise AlertError("--by-more-than goes with --worse-than")
        threshold = parse_value(kpi, below if test == "below" else above)
    return Rule(name, kpi_id, test, threshold, worse_than if test == "worse" else None, when, grain,
                tuple(by), tuple(sorted(where.items())))


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise AlertError(f"{what} must be a number, got '{text}'")
    return value


def parse_value(kpi, text: str) -> float:
    """A threshold in the KPI's unit: a share as a fraction or a percentage
    (0.25 or 25%), money in the workspace currency, durations in the KPI's
    hours or days."""
    text = text.strip()
    if text.endswith("%"):
        if kpi.unit != Unit.RATIO or kpi.multiple:
            raise AlertError(f"{kpi.id} is not a share: give its threshold in {kpi.unit}, without %")
        return _number(text[:-1].strip(), "the threshold") / 100
    return _number(text.rstrip("×x").strip() if kpi.multiple else text, "the threshold")


def change_unit(kpi) -> str:
    return output.change_of(kpi, 1.0, 1.0)[1]


def parse_change(kpi, text: str) -> float:
    """How much worse at least, in the unit the KPI's change is read in:
    a percentage for amounts and counts (10% or 0.1), percentage points for
    shares (5pp or 5), times for a multiple (0.5×)."""
    text = text.strip()
    unit = change_unit(kpi)
    if unit == "%":
        value = _number(text[:-1].strip(), "--by-more-than") / 100 if text.endswith("%") else \
            _number(text, "--by-more-than")
    elif unit == "pp":
        value = _number(text.removesuffix("pp").strip(), "--by-more-than")
    else:
        value = _number(text.rstrip("×x").strip(), "--by-more-than")
    if value < 0:
        raise AlertError(f"--by-more-than is how much worse, 0 or more (got '{text}')")
    return value


# -- the rules a workspace keeps -----------------------------------------------

def rules(ws) -> list[Rule]:
    with ws.meta_reader(TABLE) as con:
        found = con.execute(f"SELECT rule FROM {TABLE} ORDER BY name").fetchall()
    return [Rule.from_json(r[0]) for r in found]


def save(ws, rule: Rule, replace: bool = False) -> None:
    with ws.writer(touches=()) as con:
        there = con.execute(f"SELECT count(*) FROM {TABLE} WHERE name = ?", [rule.name]).fetchone()[0]
        if there and not replace:
            raise AlertError(f"a rule named '{rule.name}' exists; --replace overwrites it")
        con.execute(f"DELETE FROM {TABLE} WHERE name = ?", [rule.name])
        con.execute(f"INSERT INTO {TABLE} VALUES (?, ?)", [rule.name, rule.to_json()])


def rules_table(found: list[Rule], lang: str, currency: str) -> pd.DataFrame:
    """The rules as `koers alerts list` gives them: a row each, with the rule in words."""
    return pd.DataFrame([{"rule": r.name, "kpi": r.kpi, "test": r.test, "threshold": r.threshold,
                          "against": r.against, "when": r.when, "grain": r.grain, "by": ",".join(r.by),
                          "where": ",".join(f"{d}={v}" for d, v in r.where),
                          "description": describe(r, lang, currency)} for r in found],
                        columns=["rule", "kpi", "test", "threshold", "against", "when", "grain", "by", "where",
                                 "description"])


def remove(ws, names: list[str]) -> None:
    known = {r.name for r in rules(ws)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise AlertError(f"no rule named {', '.join(unknown)}; the rules: {', '.join(sorted(known)) or 'none'}")
    with ws.writer(touches=()) as con:
        for name in names:
            con.execute(f"DELETE FROM {TABLE} WHERE name = ?", [name])


# -- checking them -------------------------------------------------------------

@dataclass
class Checked:
    rows: pd.DataFrame  # COLUMNS with the rules' dimensions after period, one row per figure looked at
    warnings: list[str]


class Direct:
    """What check() asks, answered by the engine on `con` (the CLI); the
    web's result cache answers the same three questions from its cache."""

    def __init__(self, con, settings):
        self.con, self.settings = con, settings

    def compute(self, kpi_ids, periods, by=(), where=None, as_of=None) -> Result:
        return compute(self.con, self.settings, list(kpi_ids), periods, list(by), dict(where or {}), as_of)

    def targets(self, kpi_ids, periods, by=(), where=None, as_of=None) -> Result:
        return targets(self.con, self.settings, list(kpi_ids), periods, list(by), dict(where or {}), as_of)

    def reps(self, as_of=None) -> pd.DataFrame:
        return reps(self.con)


def check(ask, settings, asked: list[Rule], as_of: datetime) -> Checked:
    """Every figure each rule looks at when asked at `as_of`, and whether it
    fires. `ask`: a Direct, or anything that answers its three questions."""
    frames, warnings = [], []
    for rule in asked:
        try:
            rows, said = _check_one(ask, settings, rule, as_of)
        except QueryError as e:
            warnings.append(f"rule {rule.name}: {e}")
            continue
        warnings += [f"rule {rule.name}: {w}" for w in said if f"rule {rule.name}: {w}" not in warnings]
        frames.append(rows)
    dims = list(dict.fromkeys(d for r in asked for d in r.scope()))
    cols = [*COLUMNS[:3], *dims, *COLUMNS[3:]]
    records = [{c: (None if output.missing(rec.get(c)) else rec.get(c)) for c in cols}
               for f in frames for rec in f.to_dict("records")]
    return Checked(pd.DataFrame(records, columns=cols, dtype=object), warnings)


def _check_one(ask, settings, rule: Rule, as_of: datetime) -> tuple[pd.DataFrame, list[str]]:
    """The rule's figures beside what they are set against, as `koers kpi
    --compare` sets them (compare.py)."""
    kpi = CATALOG_BY_ID[rule.kpi]
    period = rule.period(as_of, settings.tz)
    by, where = list(rule.by), dict(rule.where)
    result = ask.compute([rule.kpi], [period], by, where, as_of)
    rows = result.rows
    if by == ["owner"] and kpi.empty_value(rule.scope()) == 0:
        rows = _with_idle_reps(ask.reps(as_of), rows, rule.kpi, period, where, ceil_date(as_of, settings.tz))
    result = Result(rows, list(result.warnings))
    if rule.against == "target":
        found = ask.targets([rule.kpi], [period], by, where, as_of) if len(rows) else None
        result = beside_targets(result, found, by, elapsed_shares([period], as_of, settings.tz))
    elif rule.against:
        other = shifted(period, rule.against)
        earlier = ask.compute([rule.kpi], [other], by, where, as_of) if other and len(rows) else None
        result = beside(result, earlier, [period], by, where, rule.against)
    out = result.rows.copy()
    for d, v in rule.where:  # the filter's value beside each figure, as a split's would be
        if d not in out.columns:
            out[d] = v
    out.insert(0, "rule", rule.name)
    worse = [worse_by(kpi, rule, rec) for rec in out.to_dict("records")]
    out["threshold"] = None if rule.test == "worse" else rule.threshold
    out["worse_by"] = worse
    out["fired"] = [_fires(rule, v, w) for v, w in zip(out["value"], worse)]
    return out, result.warnings


def in_scope(rec: dict, where: dict[str, str], team_of: dict) -> bool:
    """Whether a figure of check() belongs to the rep or team `where` names
    (owner=, team=): a rep's figure by the rep and the rep's team
    (`team_of`: rep_id -> team), a team's by the team; a figure split
    neither way (the company's, a region's) is kept."""
    owner, team = rec.get("owner"), rec.get("team")
    if team is None and owner is not None:
        team = team_of.get(owner)
    if "owner" in where and owner is not None and owner != where["owner"]:
        return False
    return not ("team" in where and team is not None and team != where["team"])


def _fires(rule: Rule, value, worse) -> bool:
    if rule.test == "worse":
        return worse is not None and worse > rule.threshold
    if output.missing(value):
        return False
    return value < rule.threshold if rule.test == "below" else value > rule.threshold


def worse_by(kpi, rule: Rule, rec: dict) -> float | None:
    """How much worse the figure is than what the rule sets it against, in
    the change's unit (negative: better); none for a below/above rule and
    where either side is unknown."""
    if rule.test == "below":
        return None if output.missing(rec["value"]) else rule.threshold - rec["value"]
    if rule.test == "above":
        return None if output.missing(rec["value"]) else rec["value"] - rule.threshold
    now, before = rec.get("value"), rec.get("compared_value")
    if not output.missing(rec.get("pace")):  # a flow while its period runs: against the prorated target
        change = rec["pace"] - 1
    elif kpi.direction == Direction.CLOSER_TO_ZERO:
        if output.missing(now) or output.missing(before):
            return None
        change = output.change_of(kpi, abs(now), abs(before))[0]
    else:
        change = rec.get("change")
    if output.missing(change):
        return None
    return change if kpi.direction in (Direction.LOWER, Direction.CLOSER_TO_ZERO) else -change


def _with_idle_reps(reps: pd.DataFrame, rows: pd.DataFrame, kpi_id: str, period: Period,
                    where: dict[str, str], as_of_day: date) -> pd.DataFrame:
    """`rows` split by owner, with a row of 0 for each rep employed during P
    in the filter's team who has none (dimension_values.employed)."""
    have = set(rows["owner"].dropna()) if "owner" in rows.columns else set()
    idle = [{"kpi": kpi_id, "period": period.start, "owner": rep, "value": 0.0}
            for rep in employed(reps, period, as_of_day, where) if rep not in have]
    if not idle:
        return rows
    every = sorted(rows.to_dict("records") + idle, key=lambda r: (r["owner"] is None, r["owner"] or ""))
    return pd.DataFrame(every, columns=list(rows.columns), dtype=object)


# -- in words ------------------------------------------------------------------

WORDS = {
    "below": {"en": "below {x}", "nl": "onder {x}"},
    "above": {"en": "above {x}", "nl": "boven {x}"},
    "worse": {"en": "worse than {against}", "nl": "slechter dan {against}"},
    "by_more_than": {"en": " by more than {x}", "nl": " met meer dan {x}"},
    "previous": {"en": "the period before", "nl": "de periode ervoor"},
    "year": {"en": "a year earlier", "nl": "een jaar eerder"},
    "target": {"en": "its target", "nl": "het target"},
    "last": {"en": "the last complete {grain}", "nl": "de laatste volle {grain}"},
    "current": {"en": "this {grain} so far", "nl": "deze {grain} tot nu"},
    "by": {"en": " by {dims}", "nl": " per {dims}"},
    "set_below": {"en": "below", "nl": "onder"},
    "set_above": {"en": "above", "nl": "boven"},
    "pace": {"en": "pace", "nl": "tempo"},
    "where": {"en": " where {filters}", "nl": " waar {filters}"},
}
GRAIN_WORDS = {"day": ("dag", "day"), "week": ("week", "week"), "month": ("maand", "month"),
               "quarter": ("kwartaal", "quarter"), "year": ("jaar", "year")}
DIM_WORDS = {"owner": ("verkoper", "rep")}


def threshold_text(rule: Rule, lang: str, currency: str) -> str:
    kpi = CATALOG_BY_ID[rule.kpi]
    if rule.test != "worse":
        return output.format_value(rule.kpi, rule.threshold, lang, currency)
    return output.format_change(rule.threshold, change_unit(kpi), lang).lstrip("+")


def describe(rule: Rule, lang: str, currency: str = "EUR") -> str:
    """The rule in a sentence: `Win rate by rep, the last complete month: below 25.0%`."""
    kpi = CATALOG_BY_ID[rule.kpi]
    grain = GRAIN_WORDS[rule.grain][0 if lang == "nl" else 1]
    text = kpi.name(lang)
    if rule.by:
        dims = ", ".join(DIM_WORDS.get(d, (d, d))[0 if lang == "nl" else 1] for d in rule.by)
        text += WORDS["by"][lang].format(dims=dims)
    if rule.where:
        text += WORDS["where"][lang].format(filters=", ".join(f"{d}={v}" for d, v in rule.where))
    text += ", " + WORDS[rule.when][lang].format(grain=grain) + ": "
    if rule.test == "worse":
        text += WORDS["worse"][lang].format(against=WORDS[rule.against][lang])
        if rule.threshold:
            text += WORDS["by_more_than"][lang].format(x=threshold_text(rule, lang, currency))
    else:
        text += WORDS[rule.test][lang].format(x=threshold_text(rule, lang, currency))
    return text


def against_text(rule: Rule, rec: dict, lang: str, currency: str) -> str:
    """What a figure of check() was set against: the threshold, or the
    compared figure (with the pace of a running flow)."""
    if rule.test != "worse":
        return f"{WORDS['set_' + rule.test][lang]} {output.format_value(rule.kpi, rule.threshold, lang, currency)}"
    text = f"{WORDS[rule.against][lang]}: {output.format_value(rule.kpi, rec['compared_value'], lang, currency)}"
    if not output.missing(rec.get("pace")):
        text += f" ({WORDS['pace'][lang]} {output.format_percent(rec['pace'], lang)})"
    return text


def worse_text(rule: Rule, rec: dict, lang: str, currency: str) -> str:
    """How much worse a figure of check() is, in the KPI's unit or its change's."""
    w = rec["worse_by"]
    if output.missing(w):
        return "–"
    if rule.test != "worse":
        return output.format_value(rule.kpi, w, lang, currency)
    unit = "%" if not output.missing(rec.get("pace")) else change_unit(CATALOG_BY_ID[rule.kpi])
    return output.format_change(w, unit, lang).lstrip("+")
