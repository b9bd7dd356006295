"""The figures a page shows, asked of the result cache. Nothing here
computes a KPI: it picks values out of compute()'s answers and says how
they compare (direction, target, pace)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from koers import output
from koers.kpis.cache import ResultCache
from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.compare import TARGET_SCOPES, elapsed_share, pace
from koers.kpis.compute import QueryError
from koers.kpis.model import Direction, Kpi
from koers.periods import Period
from koers.settings import Settings
from koers.web.i18n import word
from koers.web.params import View, trailing

log = logging.getLogger(__name__)


# a value that is no figure (null, NaN, the infinity a sum overflows to): as the CLI's output has it
is_null = output.missing


class Asker:
    """One request's questions to the cache, with the warnings they raised."""

    def __init__(self, cache: ResultCache, view: View, settings: Settings):
        self.cache, self.view, self.settings = cache, view, settings
        self.warnings: list[str] = []

    def rows(self, kpi_ids, periods: list[Period], by=(), where=None) -> pd.DataFrame:
        result = self.cache.compute(list(kpi_ids), periods, list(by), dict(where or {}), self.view.as_of)
        for w in result.warnings:
            if w not in self.warnings:
                self.warnings.append(w)
        return result.rows

    def each(self, kpi_ids, periods: list[Period], by=(), where=None) -> dict[str, pd.DataFrame]:
        """Each KPI's answer on its own (a one-KPI answer comes from the cache
        as stored; merging several costs more than the lookup). When the first
        was not in the cache, the rest are asked together first: one engine
        run shares its work between them."""
        kpi_ids = list(kpi_ids)
        misses = self.cache.misses
        answers = {kpi_ids[0]: self.rows(kpi_ids[:1], periods, by, where)}
        if len(kpi_ids) > 1 and self.cache.misses != misses:
            try:
                self.rows(kpi_ids[1:], periods, by, where)
            except Exception:  # noqa: BLE001 - asked one by one below, where a failure shows
                log.warning("asking %s together failed; asking one by one", kpi_ids[1:], exc_info=True)
        for k in kpi_ids[1:]:
            answers[k] = self.rows([k], periods, by, where)
        return answers

    def fmt(self, kpi_id: str, value) -> str:
        return _format(kpi_id, None if is_null(value) else value, self.view.lang, self.settings.currency)

    def num(self, value) -> str:
        return output.format_number(None if is_null(value) else value, self.view.lang)


@lru_cache(maxsize=65536)
def _format(kpi_id: str, value, lang: str, currency: str) -> str:
    # Babel takes ~0.1 ms a number and a dashboard shows thousands of the same ones
    return output.format_value(kpi_id, value, lang, currency)


def by_period(rows: pd.DataFrame) -> dict:
    """An unsplit answer's values by period start (a dict: pages look up many)."""
    return {p: (None if is_null(v) else v) for p, v in zip(rows["period"], rows["value"])}


def targets_of(rows: pd.DataFrame, kpi_id: str) -> pd.DataFrame:
    """target_attainment's rows for one KPI (none when the workspace has no
    targets: the answer then comes without its target_kpi column)."""
    return rows[rows["target_kpi"] == kpi_id] if "target_kpi" in rows.columns else rows.iloc[0:0]


def value_at(values: dict, period: Period | None):
    return None if period is None else values.get(period.start)


def judge(kpi: Kpi, now, before) -> str:
    """good / bad / flat / none: the colour of a change, from the KPI's direction."""
    if is_null(now) or is_null(before):
        return "none"
    if now == before:
        return "flat"
    if kpi.direction == Direction.HIGHER:
        better = now > before
    elif kpi.direction == Direction.LOWER:
        better = now < before
    else:
        better = abs(now) < abs(before)
    return "good" if better else "bad"


change_of, format_change = output.change_of, output.format_change  # shared with koers kpi --compare


def change_text(kpi: Kpi, now, before, lang: str) -> str:
    return format_change(*change_of(kpi, now, before), lang)


@dataclass
class Target:
    target: str
    attainment: str
    pace: str | None  # "on pace for 92%" while P runs, for flows
    judged: str
    raw: dict = field(default_factory=dict)  # target and attainment as numbers, for exports


@dataclass
class Card:
    kpi: Kpi
    name: str
    value: str
    previous: str
    previous_change: str
    previous_judged: str
    year: str
    year_change: str
    year_judged: str
    exact: str  # the value in full, where `value` is shortened
    spark: str  # SVG polyline points
    spark_labels: str
    url: str
    ignored: list[str] = field(default_factory=list)
    target: Target | None = None
    target_note: str | None = None
    error: str | None = None
    raw: dict = field(default_factory=dict)  # value, previous, year as numbers, for exports


def card(ask: Asker, kpi_id: str, kpi_url: str) -> Card:
    """A card, or a card that says why its figures could not be computed:
    one KPI failing must not take the whole dashboard down."""
    try:
        return _card(ask, kpi_id, kpi_url)
    except Exception as e:  # noqa: BLE001 - shown on the card and logged, never swallowed
        log.exception("card %s failed", kpi_id)
        kpi = CATALOG_BY_ID[kpi_id]
        return Card(kpi, kpi.name(ask.view.lang), "–", "–", "–", "none", "–", "–", "none", "–", "", "", kpi_url,
                    error=f"{type(e).__name__}: {e}")


def target_for(ask: Asker, kpi: Kpi, period: Period, where: dict[str, str]) -> tuple[Target | None, str | None]:
    """The KPI's target attainment under the page's filters, paced while P runs."""
    lang = ask.view.lang
    if any(d not in TARGET_SCOPES for d in where):
        return None, word("target_not_scoped", lang)
    rows = targets_of(ask.rows(["target_attainment"], [period], (), where), kpi.id)
    if rows.empty:
        return None, word("no_target", lang)
    r = rows.iloc[0]
    actual, target, attained = r["numerator"], r["denominator"], r["value"]
    paced = pace(kpi, actual, target, elapsed_share(period, ask.view.as_of, ask.settings.tz))
    on_pace = None if paced is None else f"{word('on_pace_for', lang)} {output.format_percent(paced, lang)}"
    return Target(ask.fmt(kpi.id, target),
                  output.format_percent(None if is_null(attained) else attained, lang),
                  on_pace, "good" if not is_null(attained) and attained >= 1 else "bad",
                  {"target": target, "attainment": None if is_null(attained) else attained}), None


def sparkline(values: list, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for the values (nulls skipped)."""
    known = [(i, v) for i, v in enumerate(values) if not is_null(v)]
    if not known:
        return ""
    lo, hi = min(v for _, v in known), max(v for _, v in known)
    span = (hi - lo) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in known)


def _card(ask: Asker, kpi_id: str, kpi_url: str) -> Card:
    kpi = CATALOG_BY_ID[kpi_id]
    view, lang = ask.view, ask.view.lang
    where, ignored = view.applicable(kpi)
    P = view.period
    trail, year = trailing(P, 12), P.year_earlier()
    values, problems = {}, []
    questions = card_questions(P)
    while questions:
        periods = questions.pop(0)
        try:
            rows = ask.rows([kpi.id], periods, (), where)
        except QueryError:
            raise
        except Exception as e:  # noqa: BLE001 - named on the card and logged
            if len(periods) > len(trail):
                # the year earlier asked apart: its failure (a period before the data, say) leaves the rest standing
                log.warning("card %s for %s failed; asking apart", kpi_id, [p.label for p in periods], exc_info=True)
                questions += [periods[1:], periods[:1]]
                continue
            log.exception("card %s for %s failed", kpi_id, [p.label for p in periods])
            problems.append(f"{periods[0].label}..{periods[-1].label}: {type(e).__name__}: {e}")
            continue
        # target_attainment itself has a row per target KPI, no single value per period
        if "target_kpi" not in rows.columns:
            values.update(by_period(rows))
    now, before, last_year = value_at(values, P), value_at(values, P.previous()), value_at(values, year)
    spark_values = [value_at(values, p) for p in trail]
    target, note = target_for(ask, kpi, P, where) if kpi.id != "target_attainment" else (None, None)
    return Card(
        kpi=kpi, name=kpi.name(lang), value=output.format_short(kpi.id, now, lang, ask.settings.currency),
        exact=ask.fmt(kpi.id, now),
        previous=ask.fmt(kpi.id, before), previous_change=change_text(kpi, now, before, lang),
        previous_judged=judge(kpi, now, before),
        year=ask.fmt(kpi.id, last_year), year_change=change_text(kpi, now, last_year, lang),
        year_judged=judge(kpi, now, last_year),
        spark=sparkline(spark_values),
        spark_labels=" · ".join(f"{p.label}: {ask.fmt(kpi.id, v)}" for p, v in zip(trail, spark_values)),
        url=kpi_url, ignored=ignored, target=target, target_note=note, error="; ".join(problems) or None,
        raw={"value": now, "previous": before, "year": last_year},
    )


def card_questions(p: Period) -> list[list[Period]]:
    """What a card asks: the 12 periods ending at P (its sparkline and the
    previous period) and the same period a year earlier. One question when
    the year earlier is among them or just before them (months, quarters,
    years): one engine run, and the KPI's page finds its 12-period trend in
    the answer. A week's twin a year earlier is asked on its own."""
    trail, year = trailing(p, 12), p.year_earlier()
    if year is None or year in trail:
        return [trail]
    if year == trail[0].previous():
        return [[year, *trail]]
    return [trail, [year]]
