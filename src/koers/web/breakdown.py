"""A breakdown: KPIs side by side, one row per value of a dimension, each
figure linking to its records; and the cards of a dashboard."""

from __future__ import annotations

import logging

from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.drill import MATCH_PREFIX
from koers.kpis.model import label
from koers.web import charts
from koers.web.choices import Choices
from koers.web.figures import Asker, Card, card, card_questions, is_null
from koers.web.i18n import word
from koers.web.tables import Column, DataTable, make_table

log = logging.getLogger(__name__)


def cards(ask: Asker, kpi_ids) -> list[Card]:
    prefetch(ask, kpi_ids)
    return [card(ask, k, ask.view.url(f"/kpi/{k}")) for k in kpi_ids]


def prefetch(ask: Asker, kpi_ids) -> None:
    """Ask the cards' KPIs together, per set of filters they take: one engine
    run shares its base tables between them, and each card then reads its
    answer from the cache."""
    groups: dict[tuple, list[str]] = {}
    for k in kpi_ids:
        where, _ = ask.view.applicable(CATALOG_BY_ID[k])
        groups.setdefault(tuple(sorted(where.items())), []).append(k)
    for where, ids in groups.items():
        for periods in card_questions(ask.view.period):
            try:
                ask.each(ids, periods, (), dict(where))
            except Exception:  # noqa: BLE001 - each card asks again alone and shows its own failure
                log.warning("asking %s failed; the cards ask one by one", ids, exc_info=True)


def shared_filters(ask: Asker, kpi_ids) -> tuple[dict[str, str], list[str]]:
    """The filters every KPI of a breakdown takes; the others are named on
    the page, not silently dropped."""
    kept = dict(ask.view.where)
    for k in kpi_ids:
        kept = {d: v for d, v in kept.items() if d in CATALOG_BY_ID[k].dimensions}
    return kept, [d for d in ask.view.where if d not in kept]


def drill_link(ask: Asker, kpi_id: str, match: dict, where: dict[str, str], period: str | None = None,
               records: str | None = None) -> str:
    """The drill-down of one figure: its period (P unless given), its split's
    values, and the page's filters the figure was asked with; `records`:
    another table's rows behind it (a target's rows)."""
    extra = {f"{MATCH_PREFIX}{d}": ("" if is_null(v) else str(v)) for d, v in match.items()}
    dropped = {d: None for d in ask.view.where if d not in where}
    return ask.view.url(f"/kpi/{kpi_id}/drill", period=period or ask.view.period.label, grain=None, **dropped,
                        **extra, **({"records": records} if records else {}))


def order_values(values: list, dim: str, choices: Choices) -> list:
    if dim == "stage":
        rank = {s: i for i, (s, _) in enumerate(choices.stages)}
        return sorted(values, key=lambda v: rank.get(v, len(rank)))
    if dim == "close_month":  # in time, deals without an expected close date last
        return sorted(values, key=lambda v: (is_null(v), "" if is_null(v) else v))
    return values


class Breakdown:
    def __init__(self, ask: Asker, choices: Choices, name: str, title: str, kpi_ids: list[str], dim: str,
                 sort_by: str | None = None, top: int | None = None):
        """One row per value of `dim`; with `top`, the first `top` rows by
        `sort_by`, the title says how many there are in all and `more_url`
        opens the whole split on the KPI's page."""
        self.ask, self.name, self.title, self.kpi_ids, self.dim = ask, name, title, kpi_ids, dim
        lang = ask.view.lang
        self.where, self.ignored = shared_filters(ask, kpi_ids)
        values: dict = {}
        for k, rows in ask.each(kpi_ids, [ask.view.period], [dim], self.where).items():
            for key, value in zip(rows[dim], rows["value"]):
                values.setdefault(key, {})[k] = value
        keys = list(values)
        if sort_by:
            keys.sort(key=lambda v: -(values[v].get(sort_by) if not is_null(values[v].get(sort_by)) else float("-inf")))
        else:
            keys = order_values(keys, dim, choices)
        self.total = len(keys)
        self.more_url = None
        if top is not None and len(keys) > top:
            keys = keys[:top]
            title = f"{title} ({word('top', lang)} {top} / {self.total})"
            self.more_url = ask.view.url(f"/kpi/{sort_by or kpi_ids[0]}", split=dim)
        self.rows = [{"key": v, "name": choices.name(dim, v), **{k: values[v].get(k) for k in kpi_ids}} for v in keys]
        links = [{k: drill_link(ask, k, {dim: r["key"]}, self.where) for k in kpi_ids} for r in self.rows]
        columns = [Column("name", label(dim, lang))] + [Column(k, CATALOG_BY_ID[k].name(lang), "kpi", k)
                                                         for k in kpi_ids]
        self.table: DataTable = make_table(ask, name, title, columns, self.rows, links, ignored=self.ignored)

    def chart(self, kpi_ids: list[str] | None = None, horizontal: bool = False, stacked: bool = False) -> dict:
        kpi_ids = kpi_ids or self.kpi_ids
        lang = self.ask.view.lang
        unit = CATALOG_BY_ID[kpi_ids[0]].shown_as
        title = f"{', '.join(CATALOG_BY_ID[k].name(lang) for k in kpi_ids)} · {label(self.dim, lang)}"
        return charts.bars(title, [r["name"] for r in self.rows],
                           [(CATALOG_BY_ID[k].name(lang), [r[k] for r in self.rows]) for k in kpi_ids],
                           unit, stacked=stacked, horizontal=horizontal)
