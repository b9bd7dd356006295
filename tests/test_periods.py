"""Period notations, ranges, grains and the DST-aware bounds of periods."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from koers.periods import (
    Period,
    PeriodError,
    ceil_date,
    last_complete_month,
    parse_instant,
    parse_spec,
    trailing_year,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    "spec,grain,labels",
    [
        ("2025", None, ["2025"]),
        ("2025-Q3", None, ["2025-Q3"]),
        ("2025-07", None, ["2025-07"]),
        ("2025-W14", None, ["2025-W14"]),
        ("2025-07-15", None, ["2025-07-15"]),
        ("2025-11..2026-02", None, ["2025-11", "2025-12", "2026-01", "2026-02"]),
        ("2025-Q1", "month", ["2025-01", "2025-02", "2025-03"]),
        ("2025", "quarter", ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
        ("2025-03", "week", ["2025-W09", "2025-W10", "2025-W11", "2025-W12", "2025-W13", "2025-W14"]),
        ("2020-W53", None, ["2020-W53"]),
        # every period of the grain the span touches, whole (engine.md)
        ("2025-07", "week", ["2025-W27", "2025-W28", "2025-W29", "2025-W30", "2025-W31"]),
        ("2025-07", "quarter", ["2025-Q3"]),
        ("2025-W01", "year", ["2024", "2025"]),
    ],
)
def test_parse_spec(spec, grain, labels):
    assert [p.label for p in parse_spec(spec, grain)] == labels


@pytest.mark.parametrize("bad", ["2025-13", "2025-Q5", "2025-W54", "2021-W53", "July", "2025-07..2025", "2025-08..2025-07"])
def test_bad_specs_name_the_notations(bad):
    with pytest.raises(PeriodError):
        parse_spec(bad)


@pytest.mark.parametrize("bad, reason", [
    ("2025-W53", "'2025-W53' is not a valid week: 2025 has ISO weeks W01 to W52"),
    ("2026-W00", "2026 has ISO weeks W01 to W53"),
    ("2025-02-29", "'2025-02-29' is not a valid day: 2025-02 has days 01 to 28"),
    ("2024-02-30", "2024-02 has days 01 to 29"),
    ("2025-04-31", "2025-04 has days 01 to 30"),
    ("2025-13-01", "months are 01 to 12"),
    ("2025-00", "'2025-00' is not a valid month: months are 01 to 12"),
    ("2025-Q0", "'2025-Q0' is not a valid quarter: quarters are Q1 to Q4"),
])
def test_a_number_out_of_its_range_says_what_the_range_is(bad, reason):
    with pytest.raises(PeriodError) as raised:
        parse_spec(bad)
    assert reason in str(raised.value)


def test_bad_grain():
    with pytest.raises(PeriodError, match="valid grains"):
        parse_spec("2025", "fortnight")


def test_dst_days_have_their_real_length():
    spring, autumn = Period(date(2025, 3, 30), "day"), Period(date(2025, 10, 26), "day")
    assert (spring.end_utc(AMS) - spring.start_utc(AMS)).total_seconds() == 23 * 3600
    assert (autumn.end_utc(AMS) - autumn.start_utc(AMS)).total_seconds() == 25 * 3600
    assert Period(date(2025, 4, 1), "month").start_utc(AMS) == datetime(2025, 3, 31, 22, 0)


def test_previous_and_year_earlier():
    assert Period(date(2025, 1, 1), "month").previous().label == "2024-12"
    assert Period(date(2025, 1, 1), "quarter").previous().label == "2024-Q4"
    assert parse_spec("2026-W53")[0].year_earlier() is None
    assert parse_spec("2025-W14")[0].year_earlier().label == "2024-W14"
    assert Period(date(2024, 2, 29), "day").year_earlier() is None
    assert trailing_year(parse_spec("2025-03")[0]).start == date(2024, 4, 1)


def test_instants_and_dates():
    assert parse_instant("2025-07-01", AMS) == datetime(2025, 6, 30, 22, 0)
    assert parse_instant("2025-07-01T00:00:00+02:00", AMS) == datetime(2025, 6, 30, 22, 0)
    # a date is before an instant when its local midnight is
    assert ceil_date(datetime(2025, 6, 30, 22, 0), AMS) == date(2025, 7, 1)
    assert ceil_date(datetime(2025, 6, 30, 22, 0, 1), AMS) == date(2025, 7, 2)
    assert last_complete_month(datetime(2025, 7, 1, 9), AMS).label == "2025-06"


@pytest.mark.parametrize("text", ["0999", "9000-01", "0001-W01", "9999-12-31..9999-12-31"])
def test_a_period_outside_the_years_koers_answers_for_is_an_error(text):
    with pytest.raises(PeriodError, match="outside the years Koers answers for"):
        parse_spec(text)
    assert parse_spec("1000-01")[0].start == date(1000, 1, 1) and parse_spec("8999")[0].grain == "year"
    with pytest.raises(PeriodError, match="outside the years"):
        parse_instant("9999-12-31", AMS)
