"""A local time without offset, read as the workspace zone's: the import's
SQL (importers/validate.py) against Python's zoneinfo, which engine.md names
(fold=0: a time skipped in spring or repeated in autumn takes the offset
before the change)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koers.importers import validate
from koers.model import TABLE_BY_NAME

# DST north and south, half-hour and 45-minute offsets, a change of half an
# hour (Lord Howe), DST abolished (São Paulo), several changes a year
# (Casablanca), none at all
ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
         "Asia/Kolkata", "America/Sao_Paulo", "Africa/Casablanca", "UTC"]
CREATED_AT = TABLE_BY_NAME["leads"].column("created_at")
# ISO 8601's extended form and its basic, a fraction after a point or a comma
LOCAL_FORMS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S,%f",
               "%Y%m%dT%H%M%S", "%Y%m%dT%H%M", "%Y%m%dT%H%M%S.%f", "%Y%m%dT%H%M%S,%f", "%Y%m%d"]


def as_utc(local: datetime, tz: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


_CON = duckdb.connect()


def read_by_import(texts: list[str], tz: str) -> list[datetime | None]:
    rows = validate.timestamp_layers(
        [CREATED_AT], "SELECT * FROM (SELECT unnest(range(len($1))) AS i, unnest($1) AS created_at)")
    got = _CON.execute(f"SELECT {validate.typed_expr(CREATED_AT, tz)} FROM ({rows}) ORDER BY i", [texts]).fetchall()
    return [r[0] for r in got]


def around_the_changes(tz: str) -> list[datetime]:
    """Local times on every day the zone changes its offset, 1970 to 2099:
    each quarter hour, and a microsecond and a second either side of the
    moment the change holds from."""
    _, cuts, _ = validate._zone_years(tz)
    found = []
    for cut in [c for row in cuts for c in row if c is not None]:
        day = cut.replace(hour=0, minute=0, second=0)
        found += [day + timedelta(minutes=15 * k) for k in range(96)]
        found += [cut + timedelta(microseconds=d) for d in (-1, 0, 1)] + [cut + timedelta(seconds=d) for d in (-1, 1)]
    return found


@pytest.mark.parametrize("tz", ZONES)
def test_every_change_of_offset_is_read_as_python_reads_it(tz):
    local = around_the_changes(tz) + [datetime(1970, 1, 1), datetime(2099, 12, 31, 23, 59, 59, 999999)]
    texts = [t.isoformat(sep="T") if t.microsecond else t.strftime("%Y-%m-%dT%H:%M:%S") for t in local]
    got = read_by_import(texts, tz)
    wrong = [(t, g, as_utc(t, tz)) for t, g in zip(texts, got) if g != as_utc(datetime.fromisoformat(t), tz)]
    assert not wrong, wrong[:10]
    if tz not in ("UTC", "Asia/Kolkata"):
        assert len(local) > 1000, "the zone has changes to test"


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ZONES), st.lists(st.tuples(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(LOCAL_FORMS)), min_size=1, max_size=300))
def test_any_local_time_is_read_as_python_reads_it(tz, moments):
    texts = [moment.strftime(form) for moment, form in moments]
    assert read_by_import(texts, tz) == [as_utc(datetime.fromisoformat(t), tz) for t in texts]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),  # four-digit years
    st.sampled_from([f for f in LOCAL_FORMS if "%H" in f]),
    st.integers(min_value=-18 * 60, max_value=18 * 60),
    st.sampled_from(["{sign}{h:02}:{m:02}", "{sign}{h:02}{m:02}", "{sign}{h:02}", "Z"])), min_size=1, max_size=300))
def test_any_time_with_an_offset_is_read_as_python_reads_it(moments):
    """In the extended form or the basic, whatever the workspace zone."""
    texts = []
    for moment, form, minutes, offset in moments:
        h, m = divmod(abs(minutes), 60)
        written = offset.format(sign="-" if minutes < 0 else "+", h=h, m=m)
        texts.append(moment.strftime(form) + (written if m == 0 or "{m" in offset else "Z"))
    want = [datetime.fromisoformat(t).astimezone(timezone.utc).replace(tzinfo=None) for t in texts]
    assert read_by_import(texts, "Europe/Amsterdam") == want


def test_a_local_time_outside_the_listed_years_is_read_by_the_zone_rules():
    assert read_by_import(["1965-07-01T12:00:00", "2150-07-01T12:00:00", "2150-01-01"], "Europe/Amsterdam") == [
        datetime(1965, 7, 1, 11), datetime(2150, 7, 1, 10), datetime(2149, 12, 31, 23)]


def written_by_export(instants: list[datetime], tz: str) -> list[str | None]:
    rows = validate.export_rows([CREATED_AT], tz, "SELECT * FROM (SELECT unnest(range(len($1))) AS i, "
                                          "unnest($1::TIMESTAMP[]) AS created_at)")
    got = _CON.execute(f"SELECT {validate.export_expr(CREATED_AT, tz)} FROM ({rows}) ORDER BY i", [instants]).fetchall()
    return [r[0] for r in got]


def as_written(utc: datetime, tz: str) -> str:
    spec = "microseconds" if utc.microsecond else "seconds"
    try:
        local = utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz))
    except OverflowError:  # a local time past 9999 or before 0001
        local = None
    if local is None or local.utcoffset() % timedelta(minutes=1):  # ISO 8601 has no offset of seconds
        return utc.isoformat(timespec=spec) + "Z"
    return local.isoformat(timespec=spec)


@pytest.mark.parametrize("tz", [*ZONES, "America/St_Johns", "Africa/Monrovia", "Etc/GMT+5"])  # GMT+5: -05:00 in year 1 too
def test_an_export_writes_each_instant_with_the_offset_python_gives_it(tz):
    """Around every change of 1970 to 2099, and outside those years (where
    DuckDB's zone rules and Python's part for Morocco's after 2087) to the
    ends of four-digit years; and reads back as the same instant."""
    _, cuts, _ = validate._zone_years_utc(tz)
    # and the first and last instants of four-digit years (9999-12-31T23:59:59Z is a common "never")
    instants = [datetime(1965, 7, 1, 12), datetime(1, 1, 1), datetime(1, 1, 1, 23)]
    if tz != "Africa/Casablanca":
        instants += [datetime(2150, 7, 1, 12, 0, 0, 250), datetime(9999, 12, 31), datetime(9999, 12, 31, 23, 59, 59)]
    for cut in [c for row in cuts for c in row if c is not None]:
        instants += [cut + timedelta(minutes=15 * k) for k in range(-8, 8)]
        instants += [cut + timedelta(microseconds=d) for d in (-1, 1)]
    got = written_by_export(instants, tz)
    wrong = [(t, g, as_written(t, tz)) for t, g in zip(instants, got) if g != as_written(t, tz)]
    assert not wrong, wrong[:10]
    assert read_by_import(got, tz) == instants
