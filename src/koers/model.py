"""The canonical tables of ../shared/spec/data-model.md, declared once.

Storage (DDL), import validation, export and the tests all read these
declarations; nothing else lists columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColType(StrEnum):
    TEXT = "text"
    TIMESTAMP = "timestamp"  # stored as UTC without zone
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"
    MONTH = "month"  # `YYYY-MM`, stored as the month's first day
    PERIOD = "period"  # `YYYY`, `YYYY-Qn`, `YYYY-MM` or `YYYY-Www`, stored as text
    CURRENCY = "currency"  # ISO 4217 code


SQL_TYPES = {
    ColType.TEXT: "VARCHAR",
    ColType.TIMESTAMP: "TIMESTAMP",
    ColType.DATE: "DATE",
    ColType.NUMBER: "DOUBLE",
    ColType.INTEGER: "BIGINT",
    ColType.MONTH: "DATE",
    ColType.PERIOD: "VARCHAR",
    ColType.CURRENCY: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType = ColType.TEXT
    required: bool = False
    allowed: tuple[str, ...] | None = None
    ref: str | None = None  # the table whose id this column names
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    period_notations: tuple[str, ...] | None = None  # for PERIOD columns


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what identifies a row across imports
    # False where data-model.md makes no key unique (two cost lines of one
    # month and source, two answers of a customer on one day): rows that
    # share a key all count, and an import replaces the rows of each key it
    # brings when they differ
    unique: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TS, D, N, INT = ColType.TIMESTAMP, ColType.DATE, ColType.NUMBER, ColType.INTEGER
CUR = ColType.CURRENCY

ROLES = ("inside_sales", "account_manager", "field_sales", "sales_manager", "other")
STAGE_KINDS = ("open", "won", "lost")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")
STATUSES = ("open", "won", "lost")
CHANNELS = ("inbound", "outbound")
DEAL_TYPES = ("new_business", "upsell", "cross_sell", "renewal")
ACTIVITY_TYPES = ("call", "email", "meeting", "demo", "voicemail", "linkedin", "intake", "quote", "other")
COST_CATEGORIES = ("marketing", "sales")


def _text(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n) for n in names)


TABLES: tuple[Table, ...] = (
    Table(
        "reps",
        (
            Column("rep_id", required=True),
            Column("name", required=True),
            Column("email"),
            Column("team"),
            Column("role", allowed=ROLES),
            Column("manager_id", ref="reps"),
            Column("hired_on", D, required=True),
            Column("left_on", D),
        ),
        key=("rep_id",),
    ),
    Table(
        "stages",
        (
            Column("stage", required=True),
            Column("sequence", INT, required=True),
            Column("probability", N, minimum=0, maximum=100),
            Column("kind", allowed=STAGE_KINDS),
            Column("forecast_category", allowed=FORECAST_CATEGORIES),
        ),
        key=("stage",),
    ),
    Table(
        "customers",
        (
            Column("customer_id", required=True),
            Column("name"),
            Column("acquired_on", D, required=True),
            Column("churned_on", D),
            Column("churn_reason"),
            Column("owner_id", ref="reps"),
            *_text("region", "segment", "industry", "company_size", "source"),
        ),
        key=("customer_id",),
    ),
    Table(
        "leads",
        (
            Column("lead_id", required=True),
            Column("created_at", TS, required=True),
            Column("owner_id", ref="reps"),
            Column("source"),
            Column("channel", allowed=CHANNELS),
            Column("campaign"),
            *_text("region", "segment", "industry", "company_size", "product"),
            Column("qualified_at", TS),
            Column("first_response_at", TS),
            Column("converted_at", TS),
            Column("disqualified_at", TS),
            Column("referred_by_customer_id", ref="customers"),
        ),
        key=("lead_id",),
    ),
    Table(
        "opportunities",
        (
            Column("opportunity_id", required=True),
            Column("lead_id", ref="leads"),
            Column("customer_id", ref="customers"),
            Column("owner_id", ref="reps", required=True),
            Column("created_at", TS, required=True),
            Column("closed_at", TS),
            Column("status", required=True, allowed=STATUSES),
            Column("stage", ref="stages"),
            Column("amount", N, minimum=0),
            Column("currency", CUR),
            Column("probability", N, minimum=0, maximum=100),
            Column("expected_close_on", D),
            Column("forecast_category", allowed=FORECAST_CATEGORIES),
            *_text("product", "product_line", "region", "segment", "source", "campaign"),
            Column("deal_type", allowed=DEAL_TYPES),
            Column("lost_reason"),
        ),
        key=("opportunity_id",),
    ),
    Table(
        "stage_history",
        (
            Column("opportunity_id", ref="opportunities", required=True),
            Column("stage", ref="stages", required=True),
            Column("entered_at", TS, required=True),
        ),
        key=("opportunity_id", "stage", "entered_at"),
    ),
    Table(
        "activities",
        (
            Column("activity_id", required=True),
            Column("owner_id", ref="reps", required=True),
            Column("type", allowed=ACTIVITY_TYPES),
            Column("lead_id", ref="leads"),
            Column("opportunity_id", ref="opportunities"),
            Column("customer_id", ref="customers"),
            Column("due_at", TS),
            Column("done_at", TS),
        ),
        key=("activity_id",),
    ),
    Table(
        "activity_points",
        (
            Column("type", required=True, allowed=ACTIVITY_TYPES),
            Column("points", N, required=True),
        ),
        key=("type",),
    ),
    Table(
        "orders",
        (
            Column("order_id", required=True),
            Column("customer_id", ref="customers", required=True),
            Column("opportunity_id", ref="opportunities"),
            Column("ordered_on", D, required=True),
            Column("amount", N, required=True),
            Column("currency", CUR),
            Column("cost", N),
            Column("product"),
            Column("product_line"),
            Column("owner_id", ref="reps"),
        ),
        key=("order_id",),
    ),
    Table(
        "contracts",
        (
            Column("contract_id", required=True),
            Column("customer_id", ref="customers", required=True),
            Column("opportunity_id", ref="opportunities"),
            Column("start_on", D, required=True),
            Column("end_on", D, required=True),
            Column("total_value", N, required=True),
            Column("currency", CUR),
            Column("owner_id", ref="reps"),
        ),
        key=("contract_id",),
    ),
    Table(
        "costs",
        (
            Column("month", ColType.MONTH, required=True),
            Column("category", required=True, allowed=COST_CATEGORIES),
            Column("source"),
            Column("campaign"),
            Column("amount", N, required=True),
            Column("currency", CUR),
        ),
        key=("month", "category", "source", "campaign"), unique=False,
    ),
    Table(
        "targets",
        (
            Column("period", ColType.PERIOD, required=True, period_notations=("year", "quarter", "month", "week")),
            Column("kpi", required=True),  # checked against the catalogue on import
            Column("rep_id", ref="reps"),
            Column("team"),
            Column("value", N, required=True),
        ),
        key=("period", "kpi", "rep_id", "team"), unique=False,
    ),
    Table(
        "forecasts",
        (
            Column("rep_id", ref="reps", required=True),
            Column("period", ColType.PERIOD, required=True, period_notations=("quarter", "month")),
            Column("submitted_on", D, required=True),
            Column("amount", N, required=True),
        ),
        key=("rep_id", "period", "submitted_on"),
    ),
    Table(
        "nps",
        (
            Column("customer_id", ref="customers", required=True),
            Column("responded_on", D, required=True),
            Column("score", INT, required=True, minimum=0, maximum=10),
        ),
        key=("customer_id", "responded_on"), unique=False,
    ),
    Table(
        "exchange_rates",
        (
            Column("currency", CUR, required=True),
            Column("valid_from", D, required=True),
            Column("rate", N, required=True, minimum=0, exclusive_minimum=True),
        ),
        key=("currency", "valid_from"),
    ),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# The order in which tables load: a table comes after every table it refers to
# (reps refer to themselves through manager_id, handled within the table).
LOAD_ORDER = (
    "exchange_rates",
    "stages",
    "activity_points",
    "reps",
    "customers",
    "leads",
    "opportunities",
    "stage_history",
    "activities",
    "orders",
    "contracts",
    "costs",
    "targets",
    "forecasts",
    "nps",
)
assert sorted(LOAD_ORDER) == sorted(TABLE_BY_NAME)
