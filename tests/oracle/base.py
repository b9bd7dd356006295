"""What every reference KPI stands on: the canonical folder read as Python
values, calendar periods in the workspace time zone, the as-of cut and the
exchange rates, each written from data-model.md and kpis.md alone."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
CURRENCY = "EUR"
SLA_HOURS = 2.0
STALE_DAYS = 30
OUTREACH = {"call", "email", "meeting", "demo", "linkedin"}
DEFAULT_POINTS = {"intake": 5, "demo": 4, "meeting": 3, "quote": 3, "call": 2, "email": 1, "linkedin": 1,
                  "voicemail": 1, "other": 0}

# The columns that are not text, by the type data-model.md gives them.
TYPES: dict[str, dict[str, str]] = {
    "reps": {"hired_on": "date", "left_on": "date"},
    "stages": {"sequence": "int", "probability": "num"},
    "leads": {c: "ts" for c in ("created_at", "qualified_at", "first_response_at", "converted_at",
                                "disqualified_at")},
    "opportunities": {"created_at": "ts", "closed_at": "ts", "amount": "num", "probability": "num",
                      "expected_close_on": "date"},
    "stage_history": {"entered_at": "ts"},
    "activities": {"due_at": "ts", "done_at": "ts"},
    "activity_points": {"points": "num"},
    "customers": {"acquired_on": "date", "churned_on": "date"},
    "orders": {"ordered_on": "date", "amount": "num", "cost": "num"},
    "contracts": {"start_on": "date", "end_on": "date", "total_value": "num"},
    "costs": {"amount": "num"},
    "targets": {"value": "num"},
    "forecasts": {"submitted_on": "date", "amount": "num"},
    "nps": {"responded_on": "date", "score": "int"},
    "exchange_rates": {"valid_from": "date", "rate": "num"},
}


# Every column of every table, as data-model.md names them: a missing
# optional column is null.
COLUMNS: dict[str, tuple[str, ...]] = {
    "reps": ("rep_id", "name", "email", "team", "role", "manager_id", "hired_on", "left_on"),
    "stages": ("stage", "sequence", "probability", "kind", "forecast_category"),
    "leads": ("lead_id", "created_at", "owner_id", "source", "channel", "campaign", "region", "segment", "industry",
              "company_size", "product", "qualified_at", "first_response_at", "converted_at", "disqualified_at",
              "referred_by_customer_id"),
    "opportunities": ("opportunity_id", "lead_id", "customer_id", "owner_id", "created_at", "closed_at", "status",
                      "stage", "amount", "currency", "probability", "expected_close_on", "forecast_category",
                      "product", "product_line", "region", "segment", "source", "campaign", "deal_type",
                      "lost_reason"),
    "stage_history": ("opportunity_id", "stage", "entered_at"),
    "activities": ("activity_id", "owner_id", "type", "lead_id", "opportunity_id", "customer_id", "due_at",
                   "done_at"),
    "activity_points": ("type", "points"),
    "customers": ("customer_id", "name", "acquired_on", "churned_on", "churn_reason", "owner_id", "region",
                  "segment", "industry", "company_size", "source"),
    "orders": ("order_id", "customer_id", "opportunity_id", "ordered_on", "amount", "currency", "cost", "product",
               "product_line", "owner_id"),
    "contracts": ("contract_id", "customer_id", "opportunity_id", "start_on", "end_on", "total_value", "currency",
                  "owner_id"),
    "costs": ("month", "category", "source", "campaign", "amount", "currency"),
    "targets": ("period", "kpi", "rep_id", "team", "value"),
    "forecasts": ("rep_id", "period", "submitted_on", "amount"),
    "nps": ("customer_id", "responded_on", "score"),
    "exchange_rates": ("currency", "valid_from", "rate"),
}


def parse_ts(text: str) -> datetime:
    """An ISO timestamp as an aware UTC instant; without an offset it is
    local time of the workspace time zone."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(UTC)


def instant(day: date) -> datetime:
    """A date compared with an instant stands for its first instant (00:00 local)."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def _value(kind: str, text: str):
    if text == "":
        return None
    if kind == "ts":
        return parse_ts(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "int":
        return int(text)
    if kind == "num":
        return float(text)
    return text


def read_folder(folder: Path) -> dict[str, list[dict]]:
    tables = {}
    for name, columns in COLUMNS.items():
        kinds = TYPES.get(name, {})
        path = Path(folder) / f"{name}.csv"
        if not path.exists():
            tables[name] = []
            continue
        with path.open(newline="", encoding="utf-8") as f:
            tables[name] = [{c: _value(kinds.get(c, "text"), row.get(c) or "") for c in columns}
                            for row in csv.DictReader(f)]
    return tables


# ---------------------------------------------------------------- periods

GRAINS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, order=True)
class Period:
    first: date  # its first day
    grain: str

    @property
    def start(self) -> datetime:
        return instant(self.first)

    @property
    def next_first(self) -> date:
        d = self.first
        if self.grain == "day":
            return d + timedelta(days=1)
        if self.grain == "week":
            return d + timedelta(days=7)
        months = {"month": 1, "quarter": 3, "year": 12}[self.grain]
        m = d.month - 1 + months
        return date(d.year + m // 12, m % 12 + 1, 1)

    @property
    def end(self) -> datetime:
        return instant(self.next_first)

    @property
    def last_day(self) -> date:
        return self.next_first - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.next_first - self.first).days

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def contains_day(self, day: date | None) -> bool:
        return day is not None and self.first <= day < self.next_first

    @property
    def label(self) -> str:
        d = self.first
        if self.grain == "day":
            return d.isoformat()
        if self.grain == "week":
            year, week, _ = d.isocalendar()
            return f"{year}-W{week:02d}"
        if self.grain == "month":
            return f"{d.year}-{d.month:02d}"
        if self.grain == "quarter":
            return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
        return str(d.year)

    def previous(self) -> Period:
        if self.grain in ("day", "week"):
            return Period(self.first - timedelta(days=1 if self.grain == "day" else 7), self.grain)
        months = {"month": 1, "quarter": 3, "year": 12}[self.grain]
        m = self.first.year * 12 + self.first.month - 1 - months
        return Period(date(m // 12, m % 12 + 1, 1), self.grain)

    def year_earlier(self) -> Period | None:
        """The same period one year before; an ISO week 53 has none."""
        if self.grain == "week":
            year, week, _ = self.first.isocalendar()
            if week == 53:
                return None
            return Period(date.fromisocalendar(year - 1, week, 1), "week")
        d = self.first
        if self.grain == "day":
            if d.month == 2 and d.day == 29:
                return None
            return Period(d.replace(year=d.year - 1), "day")
        return Period(d.replace(year=d.year - 1), self.grain)


def parse_period(label: str) -> Period:
    if len(label) == 4:
        return Period(date(int(label), 1, 1), "year")
    if label[5] == "Q":
        return Period(date(int(label[:4]), 3 * int(label[6]) - 2, 1), "quarter")
    if label[5] == "W":
        return Period(date.fromisocalendar(int(label[:4]), int(label[6:]), 1), "week")
    if len(label) == 7:
        return Period(date(int(label[:4]), int(label[5:7]), 1), "month")
    return Period(date.fromisoformat(label), "day")


def periods(spec: str, grain: str | None = None) -> list[Period]:
    """`A` or `A..B`, both ends included, split by `grain` (default: the notation's)."""
    first_label, _, last_label = spec.partition("..")
    first, last = parse_period(first_label), parse_period(last_label or first_label)
    grain = grain or first.grain
    start = _floor(first.first, grain)
    out = []
    p = Period(start, grain)
    while p.first < last.next_first:
        out.append(p)
        p = Period(p.next_first, grain)
    return out


def _floor(day: date, grain: str) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


# ---------------------------------------------------------------- the as-of cut

# (table, column) pairs whose value is an event; the first of each table is
# the event that makes the record exist, so a record whose first event is at
# or after T is left out. Targets, exchange rates and due_at are not cut.
_EXISTS = {"leads": "created_at", "opportunities": "created_at", "stage_history": "entered_at",
           "orders": "ordered_on", "contracts": "start_on", "forecasts": "submitted_on",
           "nps": "responded_on", "customers": "acquired_on"}
_NULLED = {"leads": ("qualified_at", "first_response_at", "converted_at", "disqualified_at"),
           "opportunities": ("closed_at",), "activities": ("done_at",), "customers": ("churned_on",),
           "reps": ("hired_on", "left_on")}


def happened(value, as_of: datetime) -> bool:
    """An event at or after T has not happened yet; a date stands for its first instant."""
    if value is None:
        return False
    moment = instant(value) if isinstance(value, date) and not isinstance(value, datetime) else value
    return moment < as_of


def cut(tables: dict[str, list[dict]], as_of: datetime) -> dict[str, list[dict]]:
    """The data as known at T. A rep hired at or after T keeps its row (it
    owns records and names a team) with hired_on null: never employed yet.
    A deal closed at or after T is open."""
    out = {}
    for name, rows in tables.items():
        kept = []
        for row in rows:
            col = _EXISTS.get(name)
            if col and not happened(row[col], as_of):
                continue
            if name == "costs" and not happened(month_first(row["month"]), as_of):
                continue
            row = dict(row)
            for c in _NULLED.get(name, ()):
                if not happened(row[c], as_of):
                    row[c] = None
            if name == "opportunities" and row["closed_at"] is None:
                row["status"] = "open"
            kept.append(row)
        out[name] = kept
    return out


def month_first(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


# ---------------------------------------------------------------- money


@dataclass
class Rates:
    by_currency: dict[str, list[tuple[date, float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, tables) -> Rates:
        out: dict[str, list[tuple[date, float]]] = {}
        for r in tables["exchange_rates"]:
            out.setdefault(r["currency"], []).append((r["valid_from"], r["rate"]))
        return cls({c: sorted(v) for c, v in out.items()})

    def rate(self, currency: str | None, day: date) -> float:
        """The rate in force on `day`: the latest valid_from on or before it."""
        if currency in (None, CURRENCY):
            return 1.0
        found = [rate for valid_from, rate in self.by_currency.get(currency, []) if valid_from <= day]
        if not found:
            raise ValueError(f"no {currency} rate on {day}")
        return found[-1]

    def eur(self, amount: float | None, currency: str | None, day: date) -> float:
        """A null amount counts as 0."""
        return 0.0 if amount is None else amount * self.rate(currency, day)


# ---------------------------------------------------------------- rows out


@dataclass
class Data:
    """The folder read once, cut at T, with lookups every KPI group needs."""

    raw: dict[str, list[dict]]
    as_of: datetime

    def __post_init__(self):
        self.t = cut(self.raw, self.as_of)
        self.rates = Rates.of(self.raw)
        self.reps = {r["rep_id"]: r for r in self.raw["reps"]}
        self.leads = {r["lead_id"]: r for r in self.t["leads"]}
        self.customers = {r["customer_id"]: r for r in self.t["customers"]}
        self.stages = {r["stage"]: r for r in self.raw["stages"]}

    def team(self, rep_id: str | None) -> str | None:
        """The owner's team as reps.csv says today."""
        rep = self.reps.get(rep_id) if rep_id else None
        return rep["team"] if rep else None

    def moment_day(self, period: Period) -> date:
        """The last day of P, or T's day for a period not over at T."""
        return local_date(self.as_of) if period.end > self.as_of else period.last_day

    def at_end(self, period: Period) -> datetime:
        """end(P), or T for a period not over at T."""
        return min(period.end, self.as_of)


def load(folder: Path, as_of: datetime) -> Data:
    return Data(read_folder(folder), as_of)


def row(kpi: str, period: Period, dims: dict, value, numerator=None, denominator=None) -> dict:
    """One output row as `koers kpi --format csv` gives it (before text)."""
    return {"kpi": kpi, "period": period.first.isoformat(), **dims, "value": value,
            "numerator": numerator, "denominator": denominator}


def per_period(name: str, tables: tuple[str, ...], data: Data, periods: list[Period], by: list[str],
               groups_of) -> list[dict]:
    """A KPI's rows: `groups_of(P)` gives {group key: (value, numerator,
    denominator)} for each period. When a table it needs is absent or empty,
    its values are empty: one empty row per period, none by group."""
    out = []
    for p in periods:
        if not all(data.raw[t] for t in tables):
            if not by:
                out.append(row(name, p, {}, None))
            continue
        for key, values in groups_of(p).items():
            out.append(row(name, p, dict(zip(by, key)), *values))
    return out


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def mean(values: list[float]) -> float | None:
    return None if not values else math.fsum(values) / len(values)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def days_between(a: datetime, b: datetime) -> float:
    """Real elapsed time: seconds / 86400."""
    return (b - a).total_seconds() / 86400

