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

import functools
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from koers import output
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compare import AGAINST, beside, beside_targets, check_target_scope, elapsed_share, shifted, targets
from koers.kpis.compute import QueryError, Result, compute, needs_prefix
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
           "change_unit", "pace", "paced_target", "worse_by", "fired")


class AlertError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    name: str
    kpi: str
    test: str  # below | above | worse
    # below, above: a value in the KPI's unit (a ratio as a fraction);
    # worse: how much worse at least, in the change's unit (0: any worse;
    # a relative change as a fraction, 0.1 for 10%)
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
    kpi = _kpi_of(name, kpi_id)
    asked = [t for t, v in (("below", below), ("above", above), ("worse", worse_than)) if v is not None]
    if len(asked) != 1:
        raise AlertError("a rule has one test: --below VALUE, --above VALUE or --worse-than previous|year|target")
    test = asked[0]
    if test == "worse":
        threshold = parse_change(kpi, by_more_than) if by_more_than is not None else 0.0
    else:
        if by_more_than is not None:
            raise AlertError("--by-more-than goes with --worse-than")
        threshold = parse_value(kpi, below if test == "below" else above)
    return checked(Rule(name, kpi_id, test, threshold, worse_than if test == "worse" else None, when, grain,
                        tuple(dict.fromkeys(by or [])), tuple(sorted(dict(where or {}).items()))))


def checked(rule: Rule) -> Rule:
    """The rule, if it is one Koers can check: its name, KPI, test, period,
    split and filter (a rule typed by a user, or one an export carried)."""
    kpi = _kpi_of(rule.name, rule.kpi)
    if rule.test not in TESTS:
        raise AlertError(f"a rule's test is one of: {', '.join(TESTS)} (got '{rule.test}')")
    if rule.when not in WHEN:
        raise AlertError(f"--when must be one of: {', '.join(WHEN)} (got '{rule.when}')")
    if rule.grain not in GRAINS:
        raise AlertError(f"--grain must be one of: {', '.join(GRAINS)} (got '{rule.grain}')")
    bad = [d for d in [*rule.by, *(d for d, _ in rule.where)] if d not in kpi.dimensions]
    if bad:
        raise AlertError(f"{', '.join(dict.fromkeys(bad))} is not a dimension of {rule.kpi}; valid dimensions: "
                         f"{', '.join(kpi.dimensions) or 'none'}")
    if isinstance(rule.threshold, bool) or not isinstance(rule.threshold, (int, float)) \
            or not math.isfinite(rule.threshold):
        raise AlertError(f"a rule's threshold is a number (got '{rule.threshold}')")
    if rule.test != "worse":
        if rule.against is not None:
            raise AlertError(f"a rule {rule.test} a value is set against nothing else (got '{rule.against}')")
        return rule
    if rule.against not in AGAINST:
        raise AlertError(f"--worse-than must be one of: {', '.join(AGAINST)} (got '{rule.against}')")
    if rule.threshold < 0:
        raise AlertError(f"--by-more-than is how much worse, 0 or more (got '{rule.threshold}')")
    if rule.against == "target":
        try:
            check_target_scope(list(rule.by), dict(rule.where))
        except QueryError as e:
            raise AlertError(str(e)) from None
    if rule.when == "current" and rule.against in ("previous", "year") and kpi.additive:
        raise AlertError(f"{rule.kpi} adds up over its period: the running one so far would be set against a "
                         f"whole one; set it against its target (paced to the time gone) or look at the last "
                         f"complete {rule.grain} (--when last)")
    return rule


def _kpi_of(name: str, kpi_id: str):
    """The KPI a rule named `name` may watch."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise AlertError(f"a rule's name is 1 to 40 letters, digits, '-' or '_', starting with a letter or "
                         f"digit (got '{name}')")
    kpi = CATALOG_BY_ID.get(kpi_id)
    if kpi is None:
        raise AlertError(f"unknown KPI {kpi_id}; valid KPIs: {', '.join(CATALOG_BY_ID)}")
    if kpi_id == "target_attainment":
        raise AlertError("target_attainment has a figure per KPI with a target: watch that KPI with "
                         "--worse-than target instead")
    return kpi


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise AlertError(f"{what} must be a number, got '{text}'")
    return value


def _kind(kpi) -> str:
    """How a threshold of the KPI is written: a share, a multiple or a plain number."""
    if kpi.unit == Unit.RATIO:
        return "multiple" if kpi.multiple else "share"
    return "number"


def parse_value(kpi, text: str) -> float:
    """A threshold in the KPI's unit: a share as a fraction or a percentage
    (0.25 or 25%; beyond ±1 only as a percentage, so that 25 is never read
    as 2,500%), a multiple with or without × (0.5 or 0.5x), money in the
    workspace currency, durations in the KPI's hours or days."""
    text = text.strip()
    kind = _kind(kpi)
    if kind == "share":
        if text.endswith("%"):
            return _number(text[:-1].strip(), "the threshold") / 100
        value = _number(text, "the threshold")
        if abs(value) > 1:
            raise AlertError(f"{kpi.id} is a share: write {text}% or {value / 100:g} (a fraction), not {text}")
        return value
    if text.endswith("%"):
        said = "a multiple: write it as 0.5x" if kind == "multiple" else f"in {kpi.unit}, without %"
        raise AlertError(f"{kpi.id} is not a share; its threshold is {said} (got '{text}')")
    return _number(text.rstrip("×x").strip() if kind == "multiple" else text, "the threshold")


def change_unit(kpi) -> str:
    return output.change_of(kpi, 1.0, 1.0)[1]


CHANGE_FORMS = {"%": ("%", "a relative change of amounts and counts, e.g. 10%"),
                "pp": ("pp", "percentage points of a share, e.g. 5pp"),
                "×": ("x", "times of a multiple, e.g. 0.5x")}


def parse_change(kpi, text: str) -> float:
    """How much worse at least, with the unit the KPI's change is read in
    written out: a percentage for amounts and counts (10%), percentage
    points for shares (5pp), times for a multiple (0.5x); a percentage is
    kept as a fraction (10% is 0.1), as the change it is compared with."""
    text = text.strip()
    unit = change_unit(kpi)
    suffix, said = CHANGE_FORMS[unit]
    written = text[:-1] + "x" if unit == "×" and text.endswith("×") else text
    if not written.lower().endswith(suffix):
        raise AlertError(f"--by-more-than of {kpi.id} is in {said} (got '{text}')")
    value = _number(written[:-len(suffix)].strip(), "--by-more-than")
    if value < 0:
        raise AlertError(f"--by-more-than is how much worse, 0 or more (got '{text}')")
    return value / 100 if unit == "%" else value


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

    @property
    def fired(self) -> pd.DataFrame:
        """The figures that fire, numbered from 0."""
        return self.rows[self.rows["fired"].astype(bool)].reset_index(drop=True)


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
    reps = functools.cache(lambda: ask.reps(as_of))  # read once, for every rule split by owner
    for rule in asked:
        try:
            rows, said = _check_one(ask, settings, rule, as_of, reps)
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


def _check_one(ask, settings, rule: Rule, as_of: datetime, reps) -> tuple[pd.DataFrame, list[str]]:
    """The rule's figures beside what they are set against, as `koers kpi
    --compare` sets them (compare.py)."""
    kpi = CATALOG_BY_ID[rule.kpi]
    period = rule.period(as_of, settings.tz)
    by, where = list(rule.by), dict(rule.where)
    result = ask.compute([rule.kpi], [period], by, where, as_of)
    rows = result.rows
    # a KPI whose tables are absent measures nothing: no rep has a 0 then (cli.md)
    measured = not any(w.startswith(needs_prefix(kpi)) for w in result.warnings)
    if by == ["owner"] and kpi.empty_value(rule.scope()) == 0 and measured:
        rows = _with_idle_reps(reps(), rows, kpi, period, where, ceil_date(as_of, settings.tz))
    result = Result(rows, list(result.warnings))
    share = elapsed_share(period, as_of, settings.tz)
    if rule.against == "target":
        found = ask.targets([rule.kpi], [period], by, where, as_of) if len(rows) else None
        result = beside_targets(result, found, by, {period.start: share})
        if len(rows) and result.rows["compared_value"].isna().all():
            result.warnings.append(f"no target of {rule.kpi} for {_scope_words(rule)} overlaps {period.label}: "
                                   f"nothing to set its figures against")
    elif rule.against:
        other = shifted(period, rule.against)
        earlier = ask.compute([rule.kpi], [other], by, where, as_of) if other and len(rows) else None
        result = beside(result, earlier, [period], by, where, rule.against)
    out = result.rows.copy()
    if "pace" in out.columns:  # what the target asks by now, beside the pace
        out["paced_target"] = [None if output.missing(p) else t * share
                               for p, t in zip(out["pace"], out["compared_value"])]
    for d, v in rule.where:  # the filter's value beside each figure, as a split's would be
        if d not in out.columns:
            out[d] = v
    out.insert(0, "rule", rule.name)
    # a flow against its target when nothing of its period has gone by: nothing to judge yet
    unjudged = rule.against == "target" and kpi.additive and share == 0
    worse = [None if unjudged else worse_by(kpi, rule, rec) for rec in out.to_dict("records")]
    out["threshold"] = rule.threshold
    out["worse_by"] = worse
    out["fired"] = [_fires(rule, v, w) for v, w in zip(out["value"], worse)]
    return out, result.warnings


def in_scope(rec: dict, where: dict[str, str], team_of: dict, strict: bool = False) -> bool:
    """Whether a figure of check() belongs to the rep or team `where` names
    (owner=, team=): a rep's figure by the rep, or for a team by the rep's
    team (`team_of`: rep_id -> team); a team's figure by the team, or for a
    rep by the rep's team. A figure split neither way (the company's, a
    region's) is kept, unless `strict` (a team's or a rep's review, which
    holds that team's or rep's figures alone)."""
    owner, team = rec.get("owner"), rec.get("team")
    if owner is None and team is None:
        return not (strict and ("owner" in where or "team" in where))
    if "owner" in where:
        if owner is not None and owner != where["owner"]:
            return False
        if owner is None and (strict or team != team_of.get(where["owner"])):
            return False
    if "team" in where:
        return (team if team is not None else team_of.get(owner)) == where["team"]
    return True


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
    elif kpi.direction != Direction.CLOSER_TO_ZERO and change_unit(kpi) == "%" and before == 0 \
            and not output.missing(now):
        # from 0 no relative change is defined; any step the wrong way is worse by more than any threshold
        bad = now > 0 if kpi.direction == Direction.LOWER else now < 0
        return math.inf if bad else (0.0 if now == 0 else -math.inf)
    elif kpi.direction == Direction.CLOSER_TO_ZERO:
        if output.missing(now) or output.missing(before):
            return None
        change = output.change_of(kpi, abs(now), abs(before))[0]
    else:
        change = rec.get("change")
    if output.missing(change):
        return None
    return change if kpi.direction in (Direction.LOWER, Direction.CLOSER_TO_ZERO) else -change


def _with_idle_reps(reps: pd.DataFrame, rows: pd.DataFrame, kpi, period: Period,
                    where: dict[str, str], as_of_day: date) -> pd.DataFrame:
    """`rows` split by owner, with a row of 0 for each rep in the filter's
    team who has none (dimension_values.employed): employed during P for a
    flow over P, employed at its end (or at the as-of moment) for a stock
    measured then, such as the open pipeline."""
    have = set(rows["owner"].dropna()) if "owner" in rows.columns else set()
    idle = [{"kpi": kpi.id, "period": period.start, "owner": rep, "value": 0.0}
            for rep in employed(reps, period, as_of_day, where, at_end=kpi.stock) if rep not in have]
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
    "by": {"en": " by {dims}", "nl": " per {dims}"},
    "set_below": {"en": "below", "nl": "onder"},
    "set_above": {"en": "above", "nl": "boven"},
    "pace": {"en": "pace", "nl": "tempo"},
    "by_now": {"en": "by now", "nl": "tot nu"},
    "from_zero": {"en": "from 0", "nl": "vanaf 0"},
    "where": {"en": " where {filters}", "nl": " waar {filters}"},
}
# the period a rule looks at, by grain: (last complete, running) in Dutch and English
PERIOD_WORDS = {
    "day": (("de laatste volle dag", "vandaag tot nu"), ("the last complete day", "today so far")),
    "week": (("de laatste volle week", "deze week tot nu"), ("the last complete week", "this week so far")),
    "month": (("de laatste volle maand", "deze maand tot nu"), ("the last complete month", "this month so far")),
    "quarter": (("het laatste volle kwartaal", "dit kwartaal tot nu"),
                ("the last complete quarter", "this quarter so far")),
    "year": (("het laatste volle jaar", "dit jaar tot nu"), ("the last complete year", "this year so far")),
}


def _scope_words(rule: Rule) -> str:
    parts = [f"each {d}" for d in rule.by] + [f"{d}={v}" for d, v in rule.where]
    return ", ".join(parts) or "the company"


def value_text(rule: Rule, value, lang: str, currency: str) -> str:
    """A threshold as typed, in the KPI's unit, without rounding it away
    (0.25 h stays 0.25 h, 12.5% stays 12.5%)."""
    kpi = CATALOG_BY_ID[rule.kpi]
    if kpi.unit in (Unit.MONEY, Unit.MONEY_PER_DAY):
        return output.format_value(rule.kpi, value, lang, currency)
    number = output.format_number(value * 100 if _kind(kpi) == "share" else value, lang)
    if _kind(kpi) == "share":
        return f"{number}%"
    if _kind(kpi) == "multiple":
        return f"{number}×"
    if kpi.unit in (Unit.HOURS, Unit.DAYS):
        word = {"nl": {Unit.HOURS: "uur", Unit.DAYS: "dagen"}, "en": {Unit.HOURS: "h", Unit.DAYS: "days"}}
        return f"{number} {word[lang][kpi.unit]}"
    return number


def change_text(kpi, value, lang: str) -> str:
    """How much worse, unsigned, in the change's unit and with its decimals
    (a threshold of 0.05 pp is not shown as 0.1 pp)."""
    unit = change_unit(kpi)
    if unit == "%":
        return f"{output.format_number(value * 100, lang)}%"
    return f"{output.format_number(value, lang)} {'pp' if unit == 'pp' else '×'}".replace(" ×", "×")


def describe(rule: Rule, lang: str, currency: str = "EUR") -> str:
    """The rule in a sentence: `Win rate by rep, the last complete month: below 25%`."""
    from koers.kpis.model import label

    kpi = CATALOG_BY_ID[rule.kpi]
    text = kpi.name(lang)
    if rule.by:
        text += WORDS["by"][lang].format(dims=", ".join(label(d, lang).lower() for d in rule.by))
    if rule.where:
        text += WORDS["where"][lang].format(filters=", ".join(f"{d}={v}" for d, v in rule.where))
    text += ", " + PERIOD_WORDS[rule.grain][0 if lang == "nl" else 1][0 if rule.when == "last" else 1] + ": "
    if rule.test == "worse":
        text += WORDS["worse"][lang].format(against=WORDS[rule.against][lang])
        if rule.threshold:
            text += WORDS["by_more_than"][lang].format(x=change_text(kpi, rule.threshold, lang))
    else:
        text += WORDS[rule.test][lang].format(x=value_text(rule, rule.threshold, lang, currency))
    return text


def against_text(rule: Rule, rec: dict, lang: str, currency: str) -> str:
    """What a figure of check() was set against: the threshold, or the
    compared figure (for a running flow its target, what the target asks by
    now and the pace)."""
    if rule.test != "worse":
        return f"{WORDS['set_' + rule.test][lang]} {value_text(rule, rule.threshold, lang, currency)}"
    text = f"{WORDS[rule.against][lang]}: {output.format_value(rule.kpi, rec['compared_value'], lang, currency)}"
    if not output.missing(rec.get("pace")):
        by_now = output.format_value(rule.kpi, rec.get("paced_target"), lang, currency)
        text += f", {WORDS['by_now'][lang]} {by_now} ({WORDS['pace'][lang]} {output.format_percent(rec['pace'], lang)})"
    return text


def worse_text(rule: Rule, rec: dict, lang: str, currency: str) -> str:
    """How much worse a figure of check() is: in the KPI's unit beside a
    threshold (a share in percentage points), else in its change's unit."""
    w = rec["worse_by"]
    kpi = CATALOG_BY_ID[rule.kpi]
    if output.missing(w):
        return WORDS["from_zero"][lang] if rec.get("fired") else "–"
    if rule.test != "worse":
        if _kind(kpi) == "share":
            return output.format_change(w * 100, "pp", lang).lstrip("+")
        return output.format_value(rule.kpi, w, lang, currency)
    unit = "%" if not output.missing(rec.get("pace")) else change_unit(kpi)
    return output.format_change(w, unit, lang).lstrip("+")


def rep_names(names: dict[str, str]):
    """scope_text's `name` for the CLI, the review and the mail: a rep by
    name (`names`: by id), any other value as it is."""
    return lambda d, v: names.get(v, v) if d == "owner" else str(v)


def scope_text(rule: Rule, rec: dict, name) -> str:
    """Whom a figure of check() is for: its split's and filter's values,
    each as `name(dim, value)` reads it (a rep by name)."""
    return ", ".join(name(d, rec[d]) for d in rule.scope() if not output.missing(rec.get(d)))


# column headings of the alerts, in the CLI, the review's workbook and the pages
HEADINGS = {
    "rule": {"en": "Rule", "nl": "Regel"},
    "value": {"en": "Value", "nl": "Waarde"},
    "set_against": {"en": "Set against", "nl": "Afgezet tegen"},
    "worse_by": {"en": "Worse by", "nl": "Slechter met"},
    "scope": {"en": "For", "nl": "Voor"},  # whom a figure is for (scope_text)
    "company": {"en": "the company", "nl": "het bedrijf"},  # a figure for no one narrower
}

# the numbers behind the text of "set against" and "worse by", as check() gives them (the CLI's csv and
# json columns), for an export of a page's alerts: (column, kind of number, English, Dutch heading)
NUMBERS = [
    ("threshold", "number", "Threshold", "Drempel"),
    ("compared_period", "text", "Compared period", "Vergeleken periode"),
    ("compared_value", "kpi", "Compared value", "Vergeleken waarde"),
    ("change", "change", "Change", "Verandering"),
    ("pace", "percent", "Pace", "Tempo"),
    ("paced_target", "kpi", "Target by now", "Target tot nu"),
    ("worse_by", "number", "Worse by (number)", "Slechter met (getal)"),
]


def summary(fired: int, figures: int, rules: int, lang: str) -> str:
    """`3 alerts fire: of 36 figures, by 5 rules`, in the singular where one."""
    if lang == "nl":
        return (f"{fired} {'signaal gaat' if fired == 1 else 'signalen gaan'} af: van {figures} "
                f"{'cijfer' if figures == 1 else 'cijfers'}, volgens {rules} {'regel' if rules == 1 else 'regels'}")
    return (f"{fired} {'alert fires' if fired == 1 else 'alerts fire'}: of {figures} "
            f"{'figure' if figures == 1 else 'figures'}, by {rules} {'rule' if rules == 1 else 'rules'}")
