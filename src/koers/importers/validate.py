"""Row validation of text rows against a canonical table, in SQL.

A row's text is typed once (`typed_expr`); every check that looks at one
row alone is then tested in a single scan (`checks_in_one_pass`), each
failure giving (line, column, value, reason), so one pass reports every
problem of every row. Rules run on DuckDB whatever the workspace kind:
validation is part of the one writer. An export writes a value back as
text (`export_expr`), a timestamp with its offset in the workspace zone
from the same table of the zone's changes the typing reads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from koers.model import ColType, Column

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_NUMBER_RE = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_D = "[0-9]"
# ISO 8601 as data-model.md has it: a four-digit year; a day alone (its local
# midnight) or with a time of hours and minutes, seconds and a fraction
# optional; after a time an offset: Z, or hours, hours and minutes, with or
# without a colon, no further from UTC than 18:00 (as java.time; real ones lie
# within -12:00..+14:00)
_ISO_OFFSET = r"([Zz]|[+-]((0\d|1[0-7])(:?[0-5]\d)?|18(:?00)?))"
ISO_TIMESTAMP_RE = rf"^\d{{4}}-\d{{2}}-\d{{2}}([T ]\d{{2}}:\d{{2}}(:\d{{2}}(\.\d+)?)?{_ISO_OFFSET}?)?$"
# ISO 8601's other forms of the same: the basic one, without the date's
# hyphens and the time's colons (20250304T091500+0100, 20250304), and a
# fraction of a second after a decimal comma (2025-03-04T09:15:00,250),
# which ISO 8601 prefers. Exports seldom write them, so they are read
# apart from the extended form with a point (_shape's shape 5).
ISO_OTHER_FORMS_RE = (rf"^(\d{{8}}(T\d{{4}}(\d{{2}}([.,]\d+)?)?{_ISO_OFFSET}?)?"
                      rf"|\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}:\d{{2}},\d+{_ISO_OFFSET}?)$")
_PERIOD_RE = {
    "year": r"^\d{4}$",
    "quarter": r"^\d{4}-Q[1-4]$",
    "month": r"^\d{4}-(0[1-9]|1[0-2])$",
    "week": r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$",
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw(col: str) -> str:
    """The text of a column, trimmed, empty text counting as null.

    trim() makes a new string of every value, which cost a fifth of typing
    ten million rows; it runs only on a value that may change: one with a
    space at either end, or with a character beyond ASCII (the only ASCII
    character trim() removes is the space; it also removes Unicode spaces
    such as the no-break space), and a byte order mark at either end,
    which trim() keeps: two files joined into one carry the second's BOM
    into its first value, where an invisible character would make an id no
    reference finds."""
    c = q(col)
    return (f"CASE WHEN starts_with({c}, ' ') OR ends_with({c}, ' ') OR strlen({c}) <> length({c}) "
            f"THEN NULLIF(trim(trim(trim({c}), chr(65279))), '') ELSE NULLIF({c}, '') END")


# Local times of these years take their UTC offset from a table of the
# zone's changes (_zone_years); others are converted by DuckDB's zone rules,
# row by row, which costs ten times the parse.
_ZONE_FROM, _ZONE_UNTIL = 1970, 2100


@functools.lru_cache(maxsize=4)
def _zone_years(tz: str) -> tuple[list[int], list[list[datetime | None]], list[list[int | None]]]:
    """The zone's UTC offset as a function of local time (see _offset_steps).
    A local time skipped in spring or repeated in autumn takes the offset
    before the change, as Python's fold=0 (and engine.md) has it, so a
    change holds from the later of its two local readings: 03:00 in
    Amsterdam, spring and autumn."""
    zone = ZoneInfo(tz)
    return _offset_steps(lambda local: local.replace(tzinfo=zone).utcoffset())


@functools.lru_cache(maxsize=4)
def _zone_years_utc(tz: str) -> tuple[list[int], list[list[datetime | None]], list[list[int | None]]]:
    """The zone's UTC offset as a function of the UTC time (see _offset_steps)."""
    zone = ZoneInfo(tz)
    return _offset_steps(lambda utc: utc.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset())


def _offset_steps(offset_at) -> tuple[list[int], list[list[datetime | None]], list[list[int | None]]]:
    """A UTC offset that changes in steps, as a function of a time without
    zone (`offset_at` gives a timedelta), tabled per year from _ZONE_FROM:
    the offset (µs) at New Year's midnight; then, per change of offset in
    the year, the time from which it holds and the new offset (None where a
    year has fewer changes than another)."""

    def offset(at: datetime) -> int:
        return int(offset_at(at) // timedelta(microseconds=1))

    firsts: list[int] = []
    changes: list[list[tuple[datetime, int]]] = []
    day = datetime(_ZONE_FROM, 1, 1)
    now = offset(day)
    while day.year < _ZONE_UNTIL:
        if day.month == day.day == 1:
            firsts.append(now)
            changes.append([])
        following = day + timedelta(days=1)
        then = offset(following)
        if then != now:  # the first second of the day with another offset (zones change on whole seconds)
            lo, hi = 0, 86400
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(day + timedelta(seconds=mid)) == now else (lo, mid)
            at = day + timedelta(seconds=hi)
            changes[-1].append((at, offset(at)))
        day, now = following, then
    most = max(len(c) for c in changes)
    cuts = [[c[k][0] if k < len(c) else None for c in changes] for k in range(most)]
    afters = [[c[k][1] if k < len(c) else None for c in changes] for k in range(most)]
    return firsts, cuts, afters


def _offset_sql(at: str, steps) -> str:
    """The offset (µs) `steps` give the time `at`, a year from _ZONE_FROM
    until _ZONE_UNTIL, by list lookups: no zone rules asked per row."""
    firsts, cuts, afters = steps

    def listed(values, sql) -> str:
        return "[" + ", ".join("NULL" if v is None else sql(v) for v in values) + "]"

    year = f"(year({at}) - {_ZONE_FROM - 1})"
    changes = " ".join(
        f"WHEN {at} >= {listed(cuts[k], lambda v: f'TIMESTAMP {lit(str(v))}')}[{year}] "
        f"THEN {listed(afters[k], str)}[{year}]"
        for k in reversed(range(len(cuts)))
    )
    first = f"{listed(firsts, str)}[{year}]"
    return f"CASE {changes} ELSE {first} END" if cuts else first


def _in_listed_years(at: str) -> str:
    return f"{at} >= TIMESTAMP '{_ZONE_FROM}-01-01' AND {at} < TIMESTAMP '{_ZONE_UNTIL}-01-01'"


def _utc_offset_us(utc: str, tz: str) -> str:
    """SQL: the zone's UTC offset (µs) at the UTC time `utc` (for an export's
    text of it): listed, or from DuckDB's zone rules outside the listed years."""
    return (f"CASE WHEN {_in_listed_years(utc)} THEN {_offset_sql(utc, _zone_years_utc(tz))} "
            f"ELSE epoch_us(timezone({lit(tz)}, timezone('UTC', {utc}))) - epoch_us({utc}) END")


# the local times an export writes with their offset: of the years 0001 to 9999
_FIRST_YEAR_US = (datetime(1, 1, 1) - datetime(1970, 1, 1)) // timedelta(microseconds=1)
_PAST_YEAR_9999_US = (datetime(9999, 12, 31) - datetime(1970, 1, 1) + timedelta(days=1)) // timedelta(microseconds=1)


def export_expr(col, tz: str) -> str:
    """A column as an export writes it (the inverse of typed_expr); a
    timestamp's from `export_rows`."""
    c = q(col.name)
    if col.type == ColType.TIMESTAMP:
        off = q("_offset_" + col.name)
        local = f"make_timestamp(epoch_us({c}) + {off})"
        minutes = f"CAST(trunc({off} / 60000000) AS INTEGER)"
        sign = f"CASE WHEN {minutes} < 0 THEN '-' ELSE '+' END"
        offset = f"{sign} || lpad(CAST(abs({minutes}) // 60 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs({minutes}) % 60 AS VARCHAR), 2, '0')"
        frac = f"CASE WHEN microsecond({c}) % 1000000 <> 0 THEN strftime({c}, '.%f') ELSE '' END"
        # In UTC, so it reads back the same: an instant whose offset has
        # seconds (Monrovia's -00:44:30, until 1972), of which ISO 8601 has no
        # form, or whose local time is of a year of other than four digits
        # (9999-12-31T23:59:59Z, a "never", is 10000-01-01 in Amsterdam).
        utc = (f"{off} % 60000000 <> 0 OR epoch_us({c}) + {off} < {_FIRST_YEAR_US} "
               f"OR epoch_us({c}) + {off} >= {_PAST_YEAR_9999_US}")
        return (f"CASE WHEN {utc} THEN strftime({c}, '%Y-%m-%dT%H:%M:%S') || {frac} || 'Z' "
                f"WHEN {c} IS NOT NULL THEN strftime({local}, '%Y-%m-%dT%H:%M:%S') || {frac} || {offset} END AS {c}")
    if col.type == ColType.MONTH:
        return f"strftime({c}, '%Y-%m') AS {c}"
    if col.type == ColType.DATE:
        return f"strftime({c}, '%Y-%m-%d') AS {c}"
    return c


def export_rows(columns, tz: str, rows: str) -> str:
    """`rows` with each timestamp's UTC offset in the zone beside it, made
    once per row: `export_expr` names it inside a CASE, where DuckDB makes
    an expression anew each time it is named (an offset from the zone rules,
    made six times a timestamp, was most of an export's time)."""
    offsets = [f"{_utc_offset_us(q(c.name), tz)} AS {q('_offset_' + c.name)}"
               for c in columns if c.type == ColType.TIMESTAMP]
    return f"SELECT {', '.join(['*', *offsets])} FROM ({rows})"


_TIMED = f"{_D * 4}-{_D * 2}-{_D * 2}[T ]{_D * 2}:{_D * 2}:{_D * 2}"
_OFFSET_TIMED = f"{_TIMED}[-+]0{_D}:[0-5]{_D}"  # the shape exports write


def _shape(r: str) -> str:
    """How a timestamp's text is read: 1 with its offset as the shape
    exports write it, 2 as local time, 3 as UTC (Z), 4 with another offset,
    5 in one of ISO 8601's other forms (ISO_OTHER_FORMS_RE: with or without
    an offset, timestamp_layers reads which); null when it is no timestamp.
    DuckDB's casts are laxer than ISO 8601: a cast to TIMESTAMP drops an
    offset it does not expect (09:15:00+01:30:15 reads as 09:15), one to
    TIMESTAMPTZ takes +25:00 and minutes of 60, and both take a year of any
    number of digits. So a value is cast only once
    its shape is known: the shapes exports write most (seconds, and an
    offset of fewer than ten hours, Z or none) by a GLOB, which costs no
    more than the tests it replaced; any other by the full pattern,
    ISO_TIMESTAMP_RE. (DuckDB's GLOB reads [+-] as a range: the sign is
    [-+].) Once the pattern is met, an offset is a sign after the date."""
    return (
        f"CASE WHEN {r} IS NULL THEN NULL WHEN {r} GLOB '{_OFFSET_TIMED}' THEN 1 "
        f"WHEN {r} GLOB '{_TIMED}' THEN 2 "
        f"WHEN {r} GLOB '{_TIMED}[Zz]' THEN 3 "
        f"WHEN NOT regexp_matches({r}, {lit(ISO_TIMESTAMP_RE)}) THEN "
        f"CASE WHEN regexp_matches({r}, {lit(ISO_OTHER_FORMS_RE)}) THEN 5 END "
        f"WHEN right({r}, 1) IN ('Z', 'z') THEN 3 "
        f"WHEN regexp_matches({r}, '^.{{10}}[T ].*[+-]') THEN 4 "
        "ELSE 2 END"
    )


# ISO 8601's basic form, as patterns and the extended text each gives
_BASIC_TO_EXTENDED = (
    (r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})", r"\1-\2-\3 \4:\5:\6"),
    (r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})", r"\1-\2-\3 \4:\5:00"),
    (r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3 00:00:00"),
)


def _extended(r: str) -> str:
    """The text of a timestamp of shape 5 in the extended form with seconds
    and a decimal point, its offset Z written +00; the patterns are laxer
    than ISO_OTHER_FORMS_RE, which it has met."""
    text = r
    for pattern, extended in _BASIC_TO_EXTENDED:
        text = f"regexp_replace({text}, {lit(pattern)}, {lit(extended)})"
    return f"regexp_replace(replace({text}, ',', '.'), '[Zz]$', '+00')"


def _has_offset(r: str) -> str:
    """Whether a timestamp of shape 5 names its offset."""
    return f"regexp_matches({r}, {lit(r'([Zz]|[0-9][+-][0-9]{2}(:?[0-9]{2})?)$')})"


def timestamp_layers(columns: list[Column], rows: str) -> str:
    """`rows` (trimmed text) with what `typed_expr` reads of each timestamp
    column: its shape, and, for a local time, the time it names. Made in
    layers of their own, once per row: typed_expr names them a dozen times
    inside a CASE, where DuckDB computes an expression anew each time it is
    named (outside one, only once), so a local time read there cost three
    times the whole typing of a time with an offset."""
    stamps = [c.name for c in columns if c.type == ColType.TIMESTAMP]
    if not stamps:
        return rows

    def shape(n: str) -> str:
        return q("_shape_" + n)

    shapes = ", ".join(f"{_shape(q(n))} AS {shape(n)}" for n in stamps)
    locals_ = ", ".join(
        f"CASE WHEN {shape(n)} = 2 THEN try_cast(replace({q(n)}, 'T', ' ') AS TIMESTAMP) "
        f"WHEN {shape(n)} = 5 AND NOT {_has_offset(q(n))} THEN try_cast({_extended(q(n))} AS TIMESTAMP) "
        f"END AS {q('_local_' + n)}" for n in stamps)
    return f"SELECT *, {locals_} FROM (SELECT *, {shapes} FROM ({rows}))"


def _in_zone(local: str, tz: str) -> str:
    """The UTC time of a local time of the zone."""
    # outside the listed years: DuckDB's reading, which takes the later of
    # two readings of a repeated time, so an hour earlier is tried first
    late = f"timezone('UTC', timezone({lit(tz)}, {local}))"
    early = f"({late} - INTERVAL 1 HOUR)"
    same = f"timezone({lit(tz)}, timezone('UTC', {early})) = {local}"
    return (f"CASE WHEN {_in_listed_years(local)} THEN make_timestamp(epoch_us({local}) - "
            f"{_offset_sql(local, _zone_years(tz))}) WHEN {same} THEN {early} ELSE {late} END")


def typed_expr(col: Column, tz: str) -> str:
    """SQL turning the column's text (already trimmed, empty as null: see
    `raw`) into the stored value; null when it does not parse. A timestamp
    column's is read from `timestamp_layers`."""
    r = q(col.name)
    t = col.type
    if t == ColType.TIMESTAMP:
        # With an offset the text names its instant; without one it is local
        # time of the workspace zone. An ambiguous local time (the repeated
        # hour in October) takes its first occurrence, as Python's fold=0.
        # An instant read with its offset is taken as UTC by arithmetic on
        # its epoch: timezone('UTC', …) would consult the zone rules per row,
        # which costs more than the parse itself.
        def instant(text: str) -> str:
            return f"make_timestamp(epoch_us(try_cast({text} AS TIMESTAMPTZ)))"
        # an offset after hours and minutes alone is given the seconds a cast needs
        with_seconds = (f"CASE WHEN substr({r}, 17, 1) IN ('+', '-') "
                        f"THEN left({r}, 16) || ':00' || substr({r}, 17) ELSE {r} END")
        zulu = f"try_cast(replace(left({r}, -1), 'T', ' ') AS TIMESTAMP)"
        # a local time (shape 2, or 5 without an offset) is read in the zone once
        shape, local = q("_shape_" + col.name), q("_local_" + col.name)
        return (f"CASE WHEN {local} IS NOT NULL THEN {_in_zone(local, tz)} "
                f"ELSE CASE {shape} WHEN 1 THEN {instant(r)} WHEN 3 THEN {zulu} "
                f"WHEN 4 THEN {instant(with_seconds)} WHEN 5 THEN CASE WHEN {_has_offset(r)} THEN {instant(_extended(r))} "
                "END END END")
    if t == ColType.DATE:
        return f"CASE WHEN regexp_matches({r}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}$') THEN try_cast({r} AS DATE) END"
    if t == ColType.NUMBER:
        # What a cast to DOUBLE takes beyond this (NaN, inf, 1_000), or
        # makes infinite (1e400), is no amount: one NaN would turn every sum
        # it enters into NaN
        number = f"try_cast({r} AS DOUBLE)"
        return f"CASE WHEN regexp_matches({r}, {lit(_NUMBER_RE)}) AND isfinite({number}) THEN {number} END"
    if t == ColType.INTEGER:
        # A cast to BIGINT rounds 9.6 to 10: only whole numbers pass, in any
        # form a number takes (10.0, 1e1); one with an exponent or a point
        # through a double, exact up to 2^53.
        number = f"try_cast({r} AS DOUBLE)"
        return (f"CASE WHEN regexp_matches({r}, '^[+-]?[0-9]+([.]0*)?$') "
                f"THEN try_cast(split_part({r}, '.', 1) AS BIGINT) "
                f"WHEN regexp_matches({r}, {lit(_NUMBER_RE)}) AND {number} = trunc({number}) "
                f"AND abs({number}) <= 9007199254740992 THEN CAST({number} AS BIGINT) END")
    if t == ColType.MONTH:
        return f"CASE WHEN regexp_matches({r}, {lit(_MONTH_RE)}) THEN try_cast({r} || '-01' AS DATE) END"
    if t == ColType.PERIOD:
        patterns = "|".join(f"({_PERIOD_RE[n]})" for n in col.period_notations or ())
        return f"CASE WHEN regexp_matches({r}, {lit(patterns)}) AND NOT ({_no_such_week(r)}) THEN {r} END"
    if t == ColType.CURRENCY:
        return f"CASE WHEN regexp_matches({r}, '^[A-Z]{{3}}$') THEN {r} END"
    return r


def _no_such_week(r: str) -> str:
    """An ISO week 53 of a year that has 52 (a year has 53 when its
    28 December falls in week 53)."""
    return (f"{r} LIKE '____-W53' AND "
            f"weekofyear(make_date(try_cast(left({r}, 4) AS INTEGER), 12, 28)) < 53")


_TYPE_WORDS = {
    ColType.TIMESTAMP: "not a timestamp (ISO 8601, e.g. 2025-03-04T09:15:00 or with an offset +01:00)",
    ColType.DATE: "not a date (YYYY-MM-DD)",
    ColType.NUMBER: "not a number (plain, with a decimal point: 1234.5)",
    ColType.INTEGER: "not a whole number",
    ColType.MONTH: "not a month (YYYY-MM)",
    ColType.CURRENCY: "not an ISO 4217 currency code (three capitals, e.g. EUR)",
}


def keeps_raw(col: Column) -> bool:
    """Only a typed column needs its text kept beside it: a text column's
    value is its text (trimmed, empty as null)."""
    return col.type not in (ColType.TEXT,)


def raw_name(col: Column) -> str:
    return q("_raw_" + col.name) if keeps_raw(col) else q(col.name)


@dataclass(frozen=True)
class Check:
    """A rule that looks at one row alone: when `when` holds, the row is
    rejected for `reason`, reporting `value` (SQL) under `column`."""

    column: str
    when: str
    value: str
    reason: str  # SQL text, usually a literal


def _bounds(col: Column) -> list[tuple[str, str]]:
    """(condition on the typed value, reason) for each bound of the column."""
    out = []
    if col.minimum is not None:
        op = "<=" if col.exclusive_minimum else "<"
        word = ">" if col.exclusive_minimum else ">="
        out.append((f"{q(col.name)} {op} {col.minimum}", f"must be {word} {col.minimum:g}"))
    if col.maximum is not None:
        out.append((f"{q(col.name)} > {col.maximum}", f"must be <= {col.maximum:g}"))
    return out


def text_needed(col: Column) -> str:
    """When a typed column's text must be kept for the report: the value
    did not parse (or was empty), or it breaks a bound. Keeping the text of
    every good value would double what an import holds in memory."""
    return " OR ".join([f"{q(col.name)} IS NULL", *(cond for cond, _ in _bounds(col))])


def column_checks(col: Column) -> list[Check]:
    """The checks of one column over the typed rows (typed columns beside
    their text as `_raw_<name>`, kept where `text_needed`)."""
    c, r = col.name, raw_name(col)
    checks = []
    if col.required:
        missing = f"{r} IS NULL" if not keeps_raw(col) else f"{q(c)} IS NULL AND {r} IS NULL"
        checks.append(Check(c, missing, r, "'required value missing'"))
    if col.type == ColType.PERIOD:
        words = " or ".join(
            {"year": "YYYY", "quarter": "YYYY-Qn", "month": "YYYY-MM", "week": "YYYY-Www"}[n]
            for n in col.period_notations or ()
        )
        checks.append(Check(c, f"{r} IS NOT NULL AND {q(c)} IS NULL", r,
                            f"CASE WHEN {_no_such_week(r)} THEN left({r}, 4) || ' has no ISO week 53' "
                            f"ELSE {lit(f'not a period ({words})')} END"))
    elif col.type in (ColType.DATE, ColType.TIMESTAMP):
        # 2025-02-30 is written as a date is, but names no day: say that
        day = f"left({r}, 10)"
        checks.append(Check(c, f"{r} IS NOT NULL AND {q(c)} IS NULL", r,
                            f"CASE WHEN regexp_matches({day}, '^[0-9]{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$') "
                            f"AND try_cast({day} AS DATE) IS NULL THEN 'no such day: ' || {day} "
                            f"ELSE {lit(_TYPE_WORDS[col.type])} END"))
    elif col.type in _TYPE_WORDS:
        checks.append(Check(c, f"{r} IS NOT NULL AND {q(c)} IS NULL", r, lit(_TYPE_WORDS[col.type])))
    if col.allowed:
        values = ", ".join(lit(v) for v in col.allowed)
        checks.append(Check(c, f"{r} IS NOT NULL AND {r} NOT IN ({values})", r,
                            lit("not one of: " + ", ".join(col.allowed))))
    checks += [Check(c, cond, r, lit(reason)) for cond, reason in _bounds(col)]
    return checks


def checks_in_one_pass(checks: list[Check], typed: str) -> str:
    """One SELECT giving (_line, column, value, reason) for every check that
    fails, in a single scan of the rows (a UNION of one SELECT per check
    would read ten million rows a dozen times)."""
    failed = ", ".join(
        f"CASE WHEN {k.when} THEN struct_pack(col := {lit(k.column)}, value := CAST({k.value} AS VARCHAR), "
        f"reason := CAST({k.reason} AS VARCHAR)) END"
        for k in checks
    )
    any_failed = " OR ".join(f"({k.when})" for k in checks)
    return (
        f"SELECT _line, _e.col AS col, _e.value AS value, _e.reason AS reason FROM ("
        f"SELECT _line, unnest([{failed}]) AS _e FROM {typed} WHERE {any_failed}) WHERE _e IS NOT NULL"
    )
