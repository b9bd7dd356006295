"""Periods: parse `2025`, `2025-Q3`, `2025-07`, `2025-W14`, `2025-07-15` and
ranges `A..B`; split a span by grain; previous period and a year earlier.

Periods are calendar periods in the workspace time zone. The engine works on
UTC instants, so every period carries its start and end as UTC instants
computed here, where the DST rules of the zone are applied once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

GRAINS = ("day", "week", "month", "quarter", "year")

_PATTERNS = {
    "year": re.compile(r"^(\d{4})$"),
    "quarter": re.compile(r"^(\d{4})-Q(\d)$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: date
    grain: str

    @property
    def end(self) -> date:
        """The first day of the next period."""
        return _add(self.start, self.grain, 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        s = self.start
        if self.grain == "year":
            return f"{s.year:04d}"
        if self.grain == "quarter":
            return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
        if self.grain == "month":
            return f"{s.year:04d}-{s.month:02d}"
        if self.grain == "week":
            y, w, _ = s.isocalendar()
            return f"{y:04d}-W{w:02d}"
        return s.isoformat()

    def previous(self) -> Period:
        return Period(_add(self.start, self.grain, -1), self.grain)

    def next(self) -> Period:
        return Period(self.end, self.grain)

    def year_earlier(self) -> Period | None:
        s = self.start
        if self.grain == "week":
            y, w, _ = s.isocalendar()
            try:
                return Period(date.fromisocalendar(y - 1, w, 1), "week")
            except ValueError:  # week 53 has no twin a year earlier
                return None
        try:
            return Period(s.replace(year=s.year - 1), self.grain)
        except ValueError:  # 29 February
            return None

    def start_utc(self, tz: ZoneInfo) -> datetime:
        return local_midnight_utc(self.start, tz)

    def end_utc(self, tz: ZoneInfo) -> datetime:
        return local_midnight_utc(self.end, tz)


def local_midnight_utc(d: date, tz: ZoneInfo) -> datetime:
    """The instant a date starts in the zone, as naive UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)


def _add(d: date, grain: str, n: int) -> date:
    if grain == "day":
        return d + timedelta(days=n)
    if grain == "week":
        return d + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * n
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def floor(d: date, grain: str) -> date:
    """The first day of the period of this grain that holds d."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return date(d.year, 1, 1)


# The years a question may name: the periods around them (a year earlier,
# the next one, a week's days) and the rates in force stay within what
# Python's dates and the engine's open-ended ranges (year 9000) can hold.
YEARS = (1000, 8999)


def _in_years(text: str, year: int) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise PeriodError(f"'{text}' is outside the years Koers answers for ({YEARS[0]} to {YEARS[1]})")


def parse_one(text: str) -> Period:
    """One period in any notation."""
    text = text.strip()
    if ".." in text:  # parse_spec reads ranges; here one period is asked (a drill's)
        raise PeriodError(f"'{text}' is a range; one period is asked here: 2025 (year), 2025-Q3 (quarter), "
                          "2025-07 (month), 2025-W14 (ISO week) or 2025-07-15 (day)")
    for grain, pattern in _PATTERNS.items():
        m = pattern.match(text)
        if not m:
            continue
        g = [int(x) for x in m.groups()]
        _in_years(text, g[0])
        try:
            if grain == "year":
                return Period(date(g[0], 1, 1), grain)
            if grain == "quarter":
                if not 1 <= g[1] <= 4:
                    raise ValueError
                return Period(date(g[0], 3 * g[1] - 2, 1), grain)
            if grain == "month":
                return Period(date(g[0], g[1], 1), grain)
            if grain == "week":
                return Period(date.fromisocalendar(g[0], g[1], 1), grain)
            return Period(date(g[0], g[1], g[2]), grain)
        except ValueError:
            raise PeriodError(f"'{text}' is not a valid {grain}: {_valid_range(grain, g)}") from None
    raise PeriodError(
        f"'{text}' is not a period. Valid notations: 2025 (year), 2025-Q3 (quarter), "
        "2025-07 (month), 2025-W14 (ISO week), 2025-07-15 (day), or a range A..B of one notation"
    )


def _valid_range(grain: str, g: list[int]) -> str:
    """What the numbers of a notation may be, said for the year (and month) asked."""
    if grain == "quarter":
        return "quarters are Q1 to Q4"
    if grain == "month":
        return "months are 01 to 12"
    if grain == "week":
        weeks = date(g[0], 12, 28).isocalendar()[1]  # 28 December is always in the year's last ISO week
        return f"{g[0]} has ISO weeks W01 to W{weeks}"
    if not 1 <= g[1] <= 12:
        return "months are 01 to 12"
    days = (_add(date(g[0], g[1], 1), "month", 1) - timedelta(days=1)).day
    return f"{g[0]}-{g[1]:02d} has days 01 to {days}"


def parse_spec(spec: str, grain: str | None = None) -> list[Period]:
    """Every period of a SPEC, split by grain when one is given."""
    if grain is not None and grain not in GRAINS:
        raise PeriodError(f"unknown grain '{grain}'; valid grains: {', '.join(GRAINS)}")
    if ".." in spec:
        a_text, b_text = spec.split("..", 1)
        a, b = parse_one(a_text), parse_one(b_text)
        if a.grain != b.grain:
            raise PeriodError(f"'{spec}': both ends of a range must use one notation")
        if b.start < a.start:
            raise PeriodError(f"'{spec}': the range ends before it starts")
    else:
        a = b = parse_one(spec)
    g = grain or a.grain
    span_start, span_end = a.start, b.end
    periods = []
    d = floor(span_start, g)
    while d < span_end:
        periods.append(Period(d, g))
        d = _add(d, g, 1)
    return periods


def last_complete_month(at: datetime, tz: ZoneInfo) -> Period:
    local = at.replace(tzinfo=timezone.utc).astimezone(tz) if at.tzinfo is None else at.astimezone(tz)
    this_month = Period(local.date().replace(day=1), "month")
    return this_month.previous()


def default_periods(at: datetime, tz: ZoneInfo, grain: str | None = None) -> list[Period]:
    """The span asked when no period is: the last complete month before the as-of moment."""
    label = last_complete_month(at, tz).label
    try:
        parse_spec(label)
    except PeriodError as e:  # only the as-of moment was typed: say where the period came from
        raise PeriodError(f"without a period the period is the last complete month before the as-of moment, "
                          f"{label}: {e}") from None
    return parse_spec(label, grain)  # a wrong grain is the user's own


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An ISO timestamp (offset optional: local time of tz) or a date (its local
    midnight), as naive UTC. An ambiguous local time takes its first occurrence."""
    text = text.strip()
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        dt = datetime.fromisoformat(text.replace("Z", "+00:00")) if day is None else None
    except ValueError:
        raise PeriodError(f"'{text}' is not an ISO 8601 timestamp (e.g. 2025-07-01T09:00:00+02:00)") from None
    _in_years(text, (day or dt).year)
    if day is not None:
        return local_midnight_utc(day, tz)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def ceil_date(instant_utc: datetime, tz: ZoneInfo) -> date:
    """The first date whose local midnight is at or after the instant.

    A date d "is before" an instant t (d's midnight < t) exactly when
    d < ceil_date(t); the engine compares date columns with this.
    """
    local = instant_utc.replace(tzinfo=timezone.utc).astimezone(tz)
    d = local.date()
    if local.replace(tzinfo=None) == datetime(d.year, d.month, d.day):
        return d
    return d + timedelta(days=1)


def local_date(instant_utc: datetime, tz: ZoneInfo) -> date:
    return instant_utc.replace(tzinfo=timezone.utc).astimezone(tz).date()


@dataclass(frozen=True)
class Window:
    """A span that stands for period `key`, e.g. the 12 months ending at end(P)."""

    start: date
    end: date
    key: date
    grain: str = "window"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def start_utc(self, tz: ZoneInfo) -> datetime:
        return local_midnight_utc(self.start, tz)

    def end_utc(self, tz: ZoneInfo) -> datetime:
        return local_midnight_utc(self.end, tz)


def months_before(d: date, n: int) -> date:
    import calendar

    m = d.month - 1 - n
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def trailing_year(p: Period) -> Window:
    return Window(months_before(p.end, 12), p.end, p.start)
