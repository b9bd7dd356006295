"""Row validation of raw (all-text) rows against a canonical table, in SQL.

Each rule yields (line, column, value, reason) rows for the rows it rejects,
so one pass over a staged file reports every problem of every row. Rules run
on DuckDB whatever the workspace kind: validation is part of the one writer.
"""

from __future__ import annotations

from koers.model import ColType, Column, Table

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_OFFSET_RE = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
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


def raw(col: str, alias: str = "") -> str:
    """The raw text of a column, empty text counting as null."""
    return f"NULLIF(trim({alias + '.' if alias else ''}{q(col)}), '')"


def typed_expr(col: Column, tz: str) -> str:
    """SQL turning the raw text into the stored value; null when it does not parse."""
    r = raw(col.name)
    t = col.type
    if t == ColType.TIMESTAMP:
        # With an offset the text names its instant; without one it is local
        # time of the workspace zone. An ambiguous local time (the repeated
        # hour in October) takes its first occurrence, as Python's fold=0.
        local = f"try_cast(replace({r}, 'T', ' ') AS TIMESTAMP)"
        late = f"timezone('UTC', timezone({lit(tz)}, {local}))"
        early = f"({late} - INTERVAL 1 HOUR)"
        same = f"timezone({lit(tz)}, timezone('UTC', {early})) = {local}"
        # `±HH:MM` and `Z`, the common forms, by arithmetic: no zone rules needed
        body = f"try_cast(replace(left({r}, -6), 'T', ' ') AS TIMESTAMP)"
        minutes = f"(try_cast(substr({r}, -5, 2) AS INTEGER) * 60 + try_cast(substr({r}, -2, 2) AS INTEGER))"
        hhmm = f"substr({r}, -6, 1) IN ('+', '-') AND substr({r}, -3, 1) = ':'"
        shifted = (
            f"{body} - CASE WHEN substr({r}, -6, 1) = '-' THEN -1 ELSE 1 END * to_minutes({minutes})"
        )
        zulu = f"try_cast(replace(left({r}, -1), 'T', ' ') AS TIMESTAMP)"
        other_offset = f"timezone('UTC', try_cast({r} AS TIMESTAMPTZ))"
        return (
            f"CASE WHEN {hhmm} THEN {shifted} "
            f"WHEN right({r}, 1) IN ('Z', 'z') THEN {zulu} "
            f"WHEN regexp_matches({r}, {lit(_OFFSET_RE)}) THEN {other_offset} "
            f"WHEN {same} THEN {early} ELSE {late} END"
        )
    if t == ColType.DATE:
        return f"CASE WHEN regexp_matches({r}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}$') THEN try_cast({r} AS DATE) END"
    if t == ColType.NUMBER:
        return f"try_cast({r} AS DOUBLE)"
    if t == ColType.INTEGER:
        return f"try_cast({r} AS BIGINT)"
    if t == ColType.MONTH:
        return f"CASE WHEN regexp_matches({r}, {lit(_MONTH_RE)}) THEN try_cast({r} || '-01' AS DATE) END"
    if t == ColType.PERIOD:
        patterns = "|".join(f"({_PERIOD_RE[n]})" for n in col.period_notations or ())
        return f"CASE WHEN regexp_matches({r}, {lit(patterns)}) THEN {r} END"
    if t == ColType.CURRENCY:
        return f"CASE WHEN regexp_matches({r}, '^[A-Z]{{3}}$') THEN {r} END"
    return r


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


def column_rules(table: Table, col: Column, checked: str) -> list[str]:
    """SELECT statements over the checked table (typed columns beside their
    raw text as `_raw_<name>`), each giving (_line, column, value, reason)."""
    c, r = col.name, raw_name(col)
    head = f"SELECT _line, {lit(c)} AS col, {r} AS value"
    rules = []
    if col.required:
        rules.append(f"{head}, 'required value missing' FROM {checked} WHERE {r} IS NULL")
    if col.type == ColType.PERIOD:
        words = " or ".join(
            {"year": "YYYY", "quarter": "YYYY-Qn", "month": "YYYY-MM", "week": "YYYY-Www"}[n]
            for n in col.period_notations or ()
        )
        rules.append(f"{head}, 'not a period ({words})' FROM {checked} WHERE {r} IS NOT NULL AND {q(c)} IS NULL")
    elif col.type in _TYPE_WORDS:
        rules.append(
            f"{head}, {lit(_TYPE_WORDS[col.type])} FROM {checked} WHERE {r} IS NOT NULL AND {q(c)} IS NULL"
        )
    if col.allowed:
        choices = ", ".join(col.allowed)
        values = ", ".join(lit(v) for v in col.allowed)
        rules.append(
            f"{head}, {lit('not one of: ' + choices)} FROM {checked} WHERE {r} IS NOT NULL AND {r} NOT IN ({values})"
        )
    if col.minimum is not None:
        op = "<=" if col.exclusive_minimum else "<"
        word = ">" if col.exclusive_minimum else ">="
        rules.append(f"{head}, {lit(f'must be {word} {col.minimum:g}')} FROM {checked} WHERE {q(c)} {op} {col.minimum}")
    if col.maximum is not None:
        rules.append(f"{head}, {lit(f'must be <= {col.maximum:g}')} FROM {checked} WHERE {q(c)} > {col.maximum}")
    return rules
