"""What a KPI is: one declaration feeds engine, labels, docs, API and alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class KpiType(StrEnum):
    ACTION = "action"
    RESULT = "result"
    INSIGHT = "insight"


class Unit(StrEnum):
    COUNT = "count"
    MONEY = "money"
    RATIO = "ratio"
    HOURS = "hours"
    DAYS = "days"
    POINTS = "points"
    SCORE = "score"
    MONEY_PER_DAY = "money per day"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    CLOSER_TO_ZERO = "closer to 0"


class Agg(StrEnum):
    """How a population's rows become a value (MetricFlow's small closed set)."""

    COUNT = "count"  # number of rows
    SUM = "sum"  # sum of _x
    MEAN = "mean"  # sum(_x) / count(_x)
    RATIO = "ratio"  # sum(_n) / sum(_d)
    MEDIAN = "median"  # median of _x
    NPS = "nps"  # 100 * (sum(_n) - sum(_x)) / count
    COMPOSITE = "composite"  # from other KPIs' parts, in KPI.combine


LEAD_DIMS = ("owner", "team", "source", "channel", "campaign", "region", "segment", "industry", "company_size", "product")
# `customer` (the account) is Koers's own addition to kpis.md's lists, for
# "performance by account": a customer_id, named from customers.csv on pages.
OPPORTUNITY_DIMS = (
    "owner", "team", "source", "campaign", "region", "segment", "product", "product_line", "deal_type", "stage",
    "customer",
)
# The open pipeline also splits by the month of its expected close date
# (YYYY-MM; the opportunity's expected_close_on as stored, not as of end(P)).
PIPELINE_DIMS = OPPORTUNITY_DIMS + ("close_month",)
ACTIVITY_DIMS = ("owner", "team", "type")
CUSTOMER_DIMS = ("owner", "team", "source", "region", "segment", "industry", "company_size")
ORDER_DIMS = CUSTOMER_DIMS + ("product", "product_line", "customer")
REP_DIMS = ("team", "role")
FORECAST_DIMS = ("owner", "team")

# What a person reads for a dimension or a result column: (nl, en)
LABELS = {
    "kpi": ("KPI", "KPI"),
    "period": ("Periode", "Period"),
    "target_kpi": ("Doel-KPI", "Target KPI"),
    "value": ("Waarde", "Value"),
    "numerator": ("Teller", "Numerator"),
    "denominator": ("Noemer", "Denominator"),
    "owner": ("Verkoper", "Rep"),
    "team": ("Team", "Team"),
    "source": ("Bron", "Source"),
    "channel": ("Kanaal", "Channel"),
    "campaign": ("Campagne", "Campaign"),
    "region": ("Regio", "Region"),
    "segment": ("Segment", "Segment"),
    "industry": ("Branche", "Industry"),
    "company_size": ("Bedrijfsgrootte", "Company size"),
    "product": ("Product", "Product"),
    "product_line": ("Productlijn", "Product line"),
    "deal_type": ("Soort deal", "Deal type"),
    "stage": ("Fase", "Stage"),
    "type": ("Soort activiteit", "Activity type"),
    "role": ("Rol", "Role"),
    "customer": ("Klant", "Customer"),
    "close_month": ("Verwachte sluitmaand", "Expected close month"),
    # koers kpi --compare
    "compared_period": ("Vergeleken periode", "Compared period"),
    "compared_value": ("Vergeleken waarde", "Compared value"),
    "compared_numerator": ("Vergeleken teller", "Compared numerator"),
    "compared_denominator": ("Vergeleken noemer", "Compared denominator"),
    "change": ("Verandering", "Change"),
    "change_unit": ("Eenheid verandering", "Change unit"),
    "pace": ("Tempo", "Pace"),  # against the target: where a flow is heading while P runs
}


def label(name: str, lang: str) -> str:
    nl, en = LABELS.get(name, (name, name))
    return nl if lang == "nl" else en


@dataclass(frozen=True)
class Kpi:
    id: str
    name_nl: str
    name_en: str
    family: str
    type: KpiType
    unit: Unit
    direction: Direction
    dimensions: tuple[str, ...]
    definition: str
    agg: Agg
    needs: tuple[str, ...]  # canonical tables it cannot do without
    population: Callable | None = None  # (Context) -> ibis table with period, dims, _x/_n/_d
    combine: Callable | None = None  # for COMPOSITE: (Context, by) -> DataFrame
    additive: bool = False  # a flow summed over P (targets prorate by days)
    # COMPOSITE: the dimensions by which a group without records has the value
    # 0 rather than none (activities_per_rep_week by owner: no activities / w);
    # a count or a sum has 0 however it is split. See empty_value.
    zero_when_empty_by: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    # COMPOSITE: the catalogue KPIs it is built from, where a drill-down goes on
    parts: tuple[str, ...] = field(default_factory=tuple)
    # columns every row carries before the asked dimensions (target_attainment: target_kpi)
    split: tuple[str, ...] = field(default_factory=tuple)
    # a ratio of two amounts of one kind, read as a multiple (3.2×), not as a share (320%)
    multiple: bool = False
    # the other records behind a figure, beside its population or its parts:
    # (table, (engine, match, where) -> DataFrame) pairs, koers.kpis.records
    records: tuple[tuple[str, Callable], ...] = field(default_factory=tuple)

    def name(self, lang: str) -> str:
        return self.name_nl if lang == "nl" else self.name_en

    def definition_in(self, lang: str) -> str:
        """The definition in Dutch (koers.kpis.definitions_nl) or English (as declared)."""
        from koers.kpis.definitions_nl import DEFINITIONS_NL

        return DEFINITIONS_NL.get(self.id, self.definition) if lang == "nl" else self.definition

    def notes_in(self, lang: str) -> tuple[str, ...]:
        """The notes in Dutch (koers.kpis.definitions_nl) or English (as declared)."""
        from koers.kpis.definitions_nl import NOTES_NL

        return NOTES_NL.get(self.id, self.notes) if lang == "nl" else self.notes

    def empty_value(self, scope) -> float | None:
        """The value over P of a group without records in the KPI's
        population, split by the dimensions `scope` (by and where): what the
        KPI itself gives for that group asked alone. A count or a sum (flow or
        stock) is 0; a ratio, mean, median or score has nothing to divide by
        and is none; a composite KPI is 0 when split by one of its
        `zero_when_empty_by`, else none (activities_per_rep_week leaves out
        a team only when it has no reps employed and no activities). Read for
        the scopes targets have: rep, team, company."""
        if self.agg in (Agg.COUNT, Agg.SUM) or set(scope) & set(self.zero_when_empty_by):
            return 0.0
        return None

    @property
    def stock(self) -> bool:
        """A count or a sum measured at an instant (at end(P)), such as the
        open pipeline or the active customers, rather than over P."""
        return self.agg in (Agg.COUNT, Agg.SUM) and not self.additive

    @property
    def record_tables(self) -> tuple[str, ...]:
        """The tables whose rows a drill-down shows beside the KPI's own
        records or its parts' (cac's costs, a target's rows)."""
        return tuple(t for t, _ in self.records)

    @property
    def is_ratio(self) -> bool:
        return self.unit == Unit.RATIO

    @property
    def shown_as(self) -> str:
        """How a chart's axis shows the value: its unit, or `multiple`."""
        return "multiple" if self.multiple else self.unit.value
