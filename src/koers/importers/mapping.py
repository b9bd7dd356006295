"""Import files as a CRM exports them, through a mapping onto the canonical tables.

A mapping (YAML) says how to read each file and how each canonical column is
made from it. It is checked against the files' headers before any row is
mapped: a missing column is refused with the columns the file has. Each
value is then read as its canonical type (dates in the file's order, numbers
with its decimal mark); a value that cannot be read is reported under its
file, line and column, and the row goes on to the same validation a
canonical import does. Nothing is lost: rejected rows are kept as they came.

    files:
      pipeline: {path: sales_pipeline.csv, dates: day_first}
      prices: {path: products.csv}
    tables:
      opportunities:
        from: pipeline
        columns:
          opportunity_id: opportunity_id
          status: {column: deal_stage, values: {Won: won, Lost: lost, "*": open}}
          amount: {column: close_value, lookup: {file: prices, key: product, value: sales_price, match: product}}
          currency: {value: EUR}
          closed_at: {column: close_date, when: {status: [won, lost]}}   # only for closed deals

`when:` keeps a column's value only on the rows that meet every condition;
`cases:` picks a value (or fills a template) by the first case whose conditions a row meets. A
condition names a canonical column this table maps (its mapped value) or a
column of the file, and lists the values it may have: compared without
regard to case, and as numbers when both sides are numbers (`100` meets
`100.0`). `optional: true` lets the file lack the column: it reads as empty,
and a case on a column the file lacks is never met.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from koers.importers.canonical import ImportResult, Source, import_sources
from koers.importers.tabular import FileError, Tabular, read_tabular
from koers.importers.values import (
    DATE_ORDERS,
    currency_of,
    decimal_said,
    doubtful_mark,
    parse_date,
    parse_number,
    parse_timestamp,
)
from koers.model import TABLE_BY_NAME, ColType
from koers.store import Workspace

FILE_KEYS = {"path", "sheet", "delimiter", "encoding", "decimal", "dates", "ends_at_blank_line"}
TABLE_KEYS = {"from", "columns", "unique", "rows"}
# the decimal mark a workbook's number cells are written with (read_files), whatever the file's text says
NUMBER_CELL_MARK = "."
# the currencies an amount written with "$" may be in (the row's currency says which; USD where none does)
DOLLARS = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"}
COLUMN_KEYS = {"column", "template", "value", "values", "default", "lookup", "format", "optional", "when", "cases"}
LOOKUP_KEYS = {"file", "key", "value", "match"}
_FIELD = re.compile(r"\{([^{}]+)\}")


class MappingError(ValueError):
    """The mapping cannot be applied to these files; nothing was imported."""


@dataclass
class FileSpec:
    name: str
    path: str
    sheet: str | int | None = None
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    dates: str = "day_first"
    ends_at_blank_line: bool = False
    # the decimal mark the file's numbers show, where the mapping names none (values.decimal_said)
    decimal_seen: str | None = None


@dataclass
class ColumnSpec:
    target: str
    column: list[str] = field(default_factory=list)  # alternatives, the first the file has
    template: str | None = None
    value: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    lookup: dict[str, str] | None = None
    format: tuple[str, ...] | None = None  # date formats, tried in turn
    optional: bool = False  # the file may lack the column: it then reads as empty
    when: dict[str, list[str]] = field(default_factory=dict)  # keep the value only where these hold
    # the first case met gives the value: its `value`, or its `template` filled from the row
    cases: list[tuple[dict[str, list[str]], str, bool]] = field(default_factory=list)

    def templates(self) -> list[str]:
        """The templates this column fills: its own, or its cases'."""
        return [self.template] if self.template else [x for _, x, filled in self.cases if filled]

    def file_columns(self, columns: list[str]) -> list[str]:
        """The columns of a file with `columns` a value made by cases or a
        template reads: its conditions' and its templates' (a report names them)."""
        names = [n for conditions, _, _ in self.cases for n in conditions]
        names += [n for template in self.templates() for n in _FIELD.findall(template)]
        return [n for n in dict.fromkeys(names) if n in columns]

    def refers_to(self) -> set[str]:
        """Names this column's value depends on (mapped columns or file columns)."""
        names = set(self.when)
        for conditions, _, _ in self.cases:
            names |= set(conditions)
        if self.lookup:
            names.add(self.lookup["match"])
        return names


@dataclass
class TableSpec:
    table: str
    source: str | None
    columns: list[ColumnSpec]
    unique: bool = False
    rows: list[dict] | None = None  # rows written in the mapping itself (stages, say)


@dataclass
class Mapping:
    path: Path
    files: dict[str, FileSpec]
    tables: list[TableSpec]


# -- reading the mapping -------------------------------------------------------
def _yaml_loader():
    """PyYAML's safe loader with YAML 1.2's booleans: only true and false.
    YAML 1.1 also reads Yes, No, On and Off as booleans, so `when: {Won: Yes}`
    would look for the text "true" and never meet the export's "Yes"."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Loader


def load_mapping(path: Path) -> Mapping:
    import yaml

    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except yaml.YAMLError as e:
        raise MappingError(f"{path}: not valid YAML: {e}") from None
    return parse_mapping(doc, path)


def parse_mapping(doc, path: Path) -> Mapping:
    problems: list[str] = []

    def where(*keys) -> str:
        return f"{path.name}: " + ".".join(str(k) for k in keys)

    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict) or not isinstance(doc.get("tables"), dict):
        raise MappingError(f"{path.name}: a mapping has a `files:` and a `tables:` section")
    files = {}
    for name, spec in doc["files"].items():
        spec = {"path": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict) or "path" not in spec:
            problems.append(f"{where('files', name)}: give the file's path (its name among the files imported)")
            continue
        for k in set(spec) - FILE_KEYS:
            problems.append(f"{where('files', name, k)}: unknown key; keys: {', '.join(sorted(FILE_KEYS))}")
        dates = str(spec.get("dates", "day_first"))
        if dates not in DATE_ORDERS and "%" not in dates:
            problems.append(f"{where('files', name, 'dates')}: day_first, month_first or a format like %d-%m-%Y")
        decimal = spec.get("decimal")
        if decimal not in (None, ".", ","):
            problems.append(f"{where('files', name, 'decimal')}: '.' or ','")
        delimiter = {"tab": "\t", "\\t": "\t"}.get(spec.get("delimiter"), spec.get("delimiter"))
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            problems.append(f"{where('files', name, 'delimiter')}: one character, or tab")
        ends = spec.get("ends_at_blank_line", False)
        if not isinstance(ends, bool):
            problems.append(f"{where('files', name, 'ends_at_blank_line')}: true or false")
        files[name] = FileSpec(name, str(spec["path"]), spec.get("sheet"), delimiter, spec.get("encoding"),
                               decimal, dates, ends is True)
    tables = []
    for table, spec in doc["tables"].items():
        if table not in TABLE_BY_NAME:
            problems.append(f"{where('tables', table)}: not a canonical table; tables: {', '.join(TABLE_BY_NAME)}")
            continue
        canonical = TABLE_BY_NAME[table]
        if isinstance(spec, dict) and isinstance(spec.get("rows"), list):
            rows = spec["rows"]
            for i, row in enumerate(rows, start=1):
                bad = set(row) - set(canonical.column_names) if isinstance(row, dict) else {"(not a mapping)"}
                if bad:
                    problems.append(f"{where('tables', table, 'rows', i)}: not columns of {table}: {', '.join(bad)}")
            tables.append(TableSpec(table, None, [], rows=rows))
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
            problems.append(f"{where('tables', table)}: give `from:` (a file) and `columns:`, or `rows:`")
            continue
        for k in set(spec) - TABLE_KEYS:
            problems.append(f"{where('tables', table, k)}: unknown key; keys: {', '.join(sorted(TABLE_KEYS))}")
        if spec.get("from") not in files:
            problems.append(f"{where('tables', table, 'from')}: one of the files: {', '.join(files)}")
        columns = []
        for target, cs in spec["columns"].items():
            if target not in canonical.column_names:
                problems.append(f"{where('tables', table, target)}: not a column of {table}; columns: "
                                f"{', '.join(canonical.column_names)}")
                continue
            columns.append(_column_spec(target, cs, files, problems, where("tables", table, target)))
        mapped = {c.target for c in columns}
        for col in canonical.columns:
            if col.required and col.name not in mapped:
                problems.append(f"{where('tables', table)}: {col.name} is required and not mapped")
        if not isinstance(spec.get("unique", False), bool):
            problems.append(f"{where('tables', table, 'unique')}: true or false")
        tables.append(TableSpec(table, spec.get("from"), columns, spec.get("unique", False) is True))
    if problems:
        raise MappingError("the mapping has problems:\n  " + "\n  ".join(problems))
    return Mapping(path, files, tables)


def _column_spec(target: str, cs, files: dict, problems: list[str], at: str) -> ColumnSpec:
    if isinstance(cs, str):
        return ColumnSpec(target, column=[cs])
    if not isinstance(cs, dict):
        problems.append(f"{at}: a source column name, or a block with column/template/value")
        return ColumnSpec(target)
    for k in set(cs) - COLUMN_KEYS:
        problems.append(f"{at}.{k}: unknown key; keys: {', '.join(sorted(COLUMN_KEYS))}")
    column = cs.get("column")
    if column is not None and not (isinstance(column, str) or (
            isinstance(column, list) and column and all(isinstance(c, str) for c in column))):
        problems.append(f"{at}.column: a column name, or a list of names (the first the file has is read)")
        column = None
    column = [column] if isinstance(column, str) else list(column or [])
    fmt = cs.get("format")
    formats = [fmt] if isinstance(fmt, str) else fmt
    if fmt is not None and not (isinstance(formats, list) and formats
                                and all(isinstance(f, str) and "%" in f for f in formats)):
        problems.append(f"{at}.format: a date format such as %d-%m-%Y %H:%M, or a list of them")
        formats = None
    if cs.get("values") is not None and not isinstance(cs.get("values"), dict):
        problems.append(f"{at}.values: a mapping of the export's value to the canonical one")
    if not isinstance(cs.get("optional", False), bool):
        problems.append(f"{at}.optional: true or false")
    if sum(x is not None for x in (cs.get("column"), cs.get("template"), cs.get("value"), cs.get("cases"))) > 1:
        problems.append(f"{at}: give one of column, template, value and cases")
    when = _conditions(cs.get("when"), problems, f"{at}.when")
    cases = []
    for i, case in enumerate(cs.get("cases") or [], start=1):
        if not isinstance(case, dict) or len({"value", "template"} & set(case)) != 1 \
                or set(case) - {"when", "value", "template"}:
            problems.append(f"{at}.cases.{i}: give `value:` or `template:` and, except for a last catch-all, `when:`")
            continue
        given = case.get("value", case.get("template"))
        cases.append((_conditions(case.get("when"), problems, f"{at}.cases.{i}.when"),
                      "" if given is None else str(given), "template" in case))
    if cs.get("cases") is not None and not isinstance(cs.get("cases"), list):
        problems.append(f"{at}.cases: a list of {{when: ..., value: ...}} or {{when: ..., template: ...}}")
    lookup = cs.get("lookup")
    if lookup is not None:
        if not isinstance(lookup, dict) or set(lookup) != LOOKUP_KEYS:
            problems.append(f"{at}.lookup: give file, key (its column), value (its column) and match "
                            "(the column of this table whose value is looked up)")
            lookup = None
        elif lookup["file"] not in files:
            problems.append(f"{at}.lookup.file: one of the files: {', '.join(files)}")
    if not column and cs.get("template") is None and cs.get("value") is None and cs.get("default") is None \
            and lookup is None and not cases:
        problems.append(f"{at}: says nowhere where the value comes from")
    values = {_text(k): _text(v) for k, v in (cs.get("values") if isinstance(cs.get("values"), dict) else {}).items()}
    return ColumnSpec(
        target, column=column, template=cs.get("template"),
        value=None if cs.get("value") is None else str(cs.get("value")), values=values,
        default=None if cs.get("default") is None else str(cs.get("default")), lookup=lookup,
        format=tuple(formats) if formats else None, optional=cs.get("optional", False) is True, when=when, cases=cases,
    )


def _conditions(spec, problems: list[str], at: str) -> dict[str, list[str]]:
    """{name: value or [values]} as {name: [texts]}; YAML's true/false read as the words."""
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not spec:
        problems.append(f"{at}: a mapping of column to the value (or list of values) it must have")
        return {}
    return {str(k): [_text(x) for x in (v if isinstance(v, list) else [v])] for k, v in spec.items()}


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# -- applying it ---------------------------------------------------------------
def read_files(mapping: Mapping, paths: list[Path]) -> dict[str, Tabular]:
    """Each file of the mapping, found among the paths by its name."""
    found = {}
    for spec in mapping.files.values():
        hits = [p for p in paths if fnmatch.fnmatch(Path(p).name, spec.path)]
        if not hits:
            raise MappingError(
                f"{mapping.path.name}: files.{spec.name}: no file named '{spec.path}' among "
                f"{', '.join(Path(p).name for p in paths) or 'the files given'}"
            )
        if len(hits) > 1:
            raise MappingError(f"{mapping.path.name}: files.{spec.name}: '{spec.path}' names "
                               f"{len(hits)} files: {', '.join(Path(p).name for p in hits)}")
        try:
            found[spec.name] = read_tabular(hits[0], spec.sheet, spec.delimiter, spec.encoding, spec.ends_at_blank_line,
                                            decimal=NUMBER_CELL_MARK)
        except FileError as e:
            raise MappingError(str(e)) from None
    return found


def _names_meant(mapping: Mapping) -> dict[str, set[str]]:
    """Per file, every column name the mapping may read from it."""
    meant: dict[str, set[str]] = {}
    for t in [t for t in mapping.tables if t.rows is None]:
        names = meant.setdefault(t.source, set())
        mapped = {x.target for x in t.columns}
        for c in t.columns:
            names |= set(c.column) | {n for template in c.templates() for n in _FIELD.findall(template)}
            names |= c.refers_to() - mapped
            if c.lookup:
                meant.setdefault(c.lookup["file"], set()).update({c.lookup["key"], c.lookup["value"]})
    return meant


def match_header_case(mapping: Mapping, data: dict[str, Tabular]) -> None:
    """A column the mapping names is found whatever its capitals in the
    file's header (`Deal Owner` for `Deal owner`, a header retyped):
    such a column takes the mapping's name. Where the header has the name
    as written, or more than one column that it could be, nothing changes."""
    for source, names in _names_meant(mapping).items():
        tab = data.get(source)
        if tab is None:
            continue
        folded: dict[str, list[str]] = {}
        for col in tab.columns:
            folded.setdefault(col.strip().casefold(), []).append(col)
        renames: dict[str, str] = {}
        for name in sorted(names - set(tab.columns)):
            found = folded.get(name.strip().casefold(), [])
            if len(found) == 1 and found[0] not in names and found[0] not in renames:
                renames[found[0]] = name
        if renames:
            tab.columns = [renames.get(c, c) for c in tab.columns]
            tab.rows = tab.rows.rename(columns=renames)
            tab.numbers = {renames.get(c, c): lines for c, lines in tab.numbers.items()}
            tab.repeated = {renames.get(c, c): at for c, at in tab.repeated.items()}


def check_columns(mapping: Mapping, data: dict[str, Tabular]) -> None:
    problems = []
    for t in [t for t in mapping.tables if t.rows is None]:
        tab = data[t.source]
        for c in t.columns:
            needed = [_pick(c.column, tab.columns)] if c.column else []
            if c.column and needed == [None] and not c.optional:
                problems.append(f"tables.{t.table}.{c.target}: {tab.name} has no column "
                                f"{' or '.join(repr(x) for x in c.column)}")
            for template in c.templates():
                problems += [f"tables.{t.table}.{c.target}: the template names '{n}', which {tab.name} lacks"
                             for n in _FIELD.findall(template) if n not in tab.columns and not c.optional]
            mapped = {x.target for x in t.columns}
            problems += [f"tables.{t.table}.{c.target}: a condition names '{n}', neither a column this table "
                         f"maps nor a column of {tab.name}"
                         for n in sorted(c.refers_to() - mapped - set(tab.columns))
                         if not c.optional and not (c.lookup and n == c.lookup["match"])]
            if c.lookup:
                other = data[c.lookup["file"]]
                problems += [f"tables.{t.table}.{c.target}.lookup: {other.name} has no column '{n}'"
                             for n in (c.lookup["key"], c.lookup["value"]) if n not in other.columns]
                if c.lookup["match"] not in {x.target for x in t.columns}:
                    problems.append(f"tables.{t.table}.{c.target}.lookup.match: '{c.lookup['match']}' is not a "
                                    f"column this table maps")
    problems += _repeated_read(mapping, data)
    if problems:
        found = "; ".join(f"{tab.name}: {', '.join(tab.columns)}" for tab in data.values())
        raise MappingError("the mapping does not fit the files:\n  " + "\n  ".join(problems)
                           + f"\ncolumns found: {found}")


def _repeated_read(mapping: Mapping, data: dict[str, Tabular]) -> list[str]:
    """A column the mapping reads whose name the file's header gives twice:
    which one is meant nothing tells."""
    read: dict[str, set[str]] = {}
    for t in [t for t in mapping.tables if t.rows is None]:
        tab = data[t.source]
        for c in t.columns:
            names = read.setdefault(t.source, set())
            names |= {_pick(c.column, tab.columns)} if c.column else set()
            names |= {n for template in c.templates() for n in _FIELD.findall(template)} | c.refers_to()
            if c.lookup:
                read.setdefault(c.lookup["file"], set()).update({c.lookup["key"], c.lookup["value"]})
    return [f"{tab.name}: the header names the column '{c}' {len(tab.repeated[c])} times (columns "
            f"{', '.join(map(str, tab.repeated[c]))}): which one is meant? Rename the others"
            for name, tab in data.items() for c in sorted(read.get(name, set()) & set(tab.repeated))]


def _pick(alternatives: list[str], columns: list[str]) -> str | None:
    return next((a for a in alternatives if a in columns), None)


def written_rows(spec: TableSpec, mapping: Mapping) -> Source:
    """Rows the mapping writes itself: reported under the mapping file, by row number."""
    table = TABLE_BY_NAME[spec.table]
    records = [{c: ("" if r.get(c) is None else str(r.get(c))) for c in table.column_names if c in r} for r in spec.rows]
    rows = pd.DataFrame(records, dtype=object).replace("", None)
    rows["_line"] = range(1, len(records) + 1)
    return Source(spec.table, mapping.path.name, rows=rows, size=len(records))


def map_table(spec: TableSpec, data: dict[str, Tabular], files: dict[str, FileSpec],
              main: bool = True, home: str = "EUR", passed_over: Collection[int] = ()) -> Source:
    """`main`: this table's rows are the file's (not values gathered from
    them, as the stages of deals): it reports the file's malformed lines,
    once, and a row of it without its key is rejected, never passed over;
    `home`: the workspace currency; `passed_over`: the file's lines a table
    of its own rows could not read, which a table gathered from them passes
    over (a deal rejected, or a header repeated among the rows, makes no
    rep)."""
    tab, fs = data[spec.source], files[spec.source]
    table = TABLE_BY_NAME[spec.table]
    rows = tab.rows
    decimal = _decimal(fs, tab)
    out = pd.DataFrame({"_line": rows["_line"].to_numpy()})
    said = pd.DataFrame({"_line": out["_line"]})
    problems: list[tuple] = [(line, None, text, reason) for line, text, reason in tab.malformed] if main else []
    origin: dict[str, str] = {}
    money: dict[str, pd.Series] = {}  # the written text of each amount, for _money_checks
    labels: dict[str, str] = {}
    from_file: set[str] = set()  # the columns read from one of the file's own
    for c in _in_order(spec):
        col = table.column(c.target)
        src = _pick(c.column, tab.columns) if c.column else None
        read_from = [src] if src else c.file_columns(tab.columns)  # cases and templates: the columns they read
        named = ", ".join(read_from)
        label = f"{named} ({c.target})" if named and named != c.target else c.target
        if named and named != c.target:
            origin[c.target] = named
        if src:
            from_file.add(c.target)
            texts = rows[src].astype(str).str.strip()
        elif c.template is not None:
            texts = _fill(c.template, rows)
        elif c.cases:
            texts = _first_case(c.cases, out, rows, decimal)
        else:
            texts = pd.Series([c.value or ""] * len(rows), dtype=object)
        texts = texts.reset_index(drop=True)
        if c.values:  # matched as conditions are, whatever the case: Closed Won, Closed won
            default = c.values.get("*")
            folded = {k.casefold(): v for k, v in c.values.items()}
            texts = texts.map(lambda v, m=folded, d=default: m.get(v.casefold(), d if d is not None and v != "" else v))
        theirs = pd.Series(False, index=range(len(rows)))  # values the look-up file gave
        # a workbook's number cells: numbers Koers wrote as text with NUMBER_CELL_MARK, in no locale
        cells = tab.numbers.get(src, set()) if src else set()
        numbers = rows["_line"].isin(cells).reset_index(drop=True)
        if c.lookup:
            looked, looked_numbers = _look_up(texts, out[c.lookup["match"]], data[c.lookup["file"]], c.lookup)
            theirs = (texts == "") & (looked != "")
            numbers = numbers.where(~theirs, looked_numbers)
            texts = looked
        if c.default is not None:
            texts = texts.where(texts != "", c.default)
        if c.when:
            texts = texts.where(_meets(c.when, out, rows, decimal), "")
        values = []
        other = files[c.lookup["file"]] if c.lookup else fs
        other_decimal = _decimal(other, data[other.name])
        for line, text, looked_up, number in zip(out["_line"], texts, theirs, numbers):
            if text == "":
                values.append(None)
                continue
            try:
                # a looked-up value is written as its own file writes numbers and dates
                mark = NUMBER_CELL_MARK if number else other_decimal if looked_up else decimal
                values.append(_read_value(col.type, text, mark, other.dates) if looked_up
                              else _read_value(col.type, text, mark, c.format or fs.dates, fs.dates))
            except ValueError as e:
                problems.append((int(line), label, text, str(e)))
                values.append(None)
        out[c.target] = pd.Series(values, dtype=object)
        if _is_money(table, c.target):  # each amount as its file wrote it, with that file's mark
            own, looked = (decimal, _told(fs)), (other_decimal, _told(other))
            money[c.target] = [None if number or not text else (text, *(looked if t else own))
                               for text, t, number in zip(texts, theirs, numbers)]
            labels[c.target] = label
        rewritten = [t if v is not None and v != t else None for t, v in zip(texts, values)]
        if c.cases and len(read_from) == 1:  # no case met: the report shows what the column held
            held = rows[read_from[0]].astype(str).str.strip().reset_index(drop=True)
            rewritten = [h if t == "" and h else r for r, t, h in zip(rewritten, texts, held)]
        if any(t is not None for t in rewritten):
            said[c.target] = pd.Series(rewritten, dtype=object)
    marked = _money_checks(table, out, money, labels, problems, home)
    by_line: dict[str, dict[int, str]] = {}
    if marked:
        # the currency is the amount's own mark: a report names the amount's column and text
        amount, texts = marked
        if "currency" not in from_file:
            origin["currency"] = origin.get(amount, amount)
        else:  # on the rows whose currency column was empty
            by_line["currency"] = {int(line): origin.get(amount, amount)
                                   for line, text in zip(out["_line"], texts) if text is not None}
        said["currency"] = pd.Series(texts, dtype=object)
    if not main and passed_over:
        skipped = set(passed_over)  # once, not per problem
        out = out[~out["_line"].isin(skipped)]
        problems = [p for p in problems if p[0] not in skipped]
    lines_of_keys = None
    if _gathered(spec, main):  # each key with the lines naming it: one only rejected rows name is taken out again
        named_by = [k for k in table.key if k in out.columns]
        lines_of_keys = {}
        for *key, line in out[[*named_by, "_line"]].itertuples(index=False):
            if all(k is not None for k in key):
                lines_of_keys.setdefault(tuple(key), []).append(int(line))
    if spec.unique:
        key = [k for k in table.key if k in out.columns]
        # a row with an empty required key names no row of a table gathered from another's rows (a deal
        # without a stage makes no stage); a key's optional part may be empty (a company target)
        required = [k for k in key if table.column(k).required]
        named = out[required].notna().all(axis=1) if required and not main else pd.Series(True, index=out.index)
        unread = {p[0] for p in problems}  # unless its key could not be read: then it is reported
        out = out[named | out["_line"].isin(unread)]
        out = out[~out.duplicated(subset=key, keep="first")]
    return Source(
        spec.table, tab.name, rows=out.reset_index(drop=True), size=len(rows), columns=origin, columns_by_line=by_line,
        problems=problems, keep_rejected=_keeper(tab), said=said if len(said.columns) > 1 else None,
        fills_gaps=_gathered(spec, main), lines_of_keys=lines_of_keys,
    )


def _gathered(spec: TableSpec, main: bool) -> bool:
    """Whether the table's rows are gathered from the values of another
    table's file (one rep per owner a deals export names, one stage per
    stage), not that file's own rows. Such rows know little (a placeholder
    hired_on, no e-mail, no forecast category): they add the keys the
    workspace lacks and leave the rows it holds, from a reps.csv say, as
    they are (canonical.Source.fills_gaps)."""
    return spec.unique and not main


def _decimal(fs: FileSpec, tab: Tabular) -> str:
    """The file's decimal mark: as the mapping says, else as its numbers
    show, else "," in a file separated by ";", else "."."""
    return _told(fs) or ("," if tab.delimiter == ";" else ".")


def _told(fs: FileSpec) -> str | None:
    """The file's decimal mark where the mapping names it or its numbers show it, not guessed."""
    return fs.decimal or fs.decimal_seen


def _see_decimals(mapping: Mapping, data: dict[str, Tabular]) -> None:
    """Where the mapping names no decimal mark for a file, the one its
    numbers show (1.234,50 in one row says how 1.200 in another reads)."""
    numeric = [(t, c) for t in mapping.tables if t.rows is None for c in t.columns
               if TABLE_BY_NAME[t.table].column(c.target).type == ColType.NUMBER]
    for fs in mapping.files.values():
        if fs.decimal or fs.name not in data:
            continue
        tab = data[fs.name]
        sources = {_pick(c.column, tab.columns) for t, c in numeric if t.source == fs.name and c.column}
        sources |= {c.lookup["value"] for _, c in numeric if c.lookup and c.lookup["file"] == fs.name}
        texts = (text for src in sources & set(tab.columns)
                 for text, line in zip(tab.rows[src].astype(str).str.strip(), tab.rows["_line"])
                 if text and line not in tab.numbers.get(src, ()))
        fs.decimal_seen = decimal_said(texts)


def _is_money(table, column: str) -> bool:
    """An amount: in the row's currency, or in the workspace's for targets
    and forecasts (an exchange rate and a probability are none)."""
    if table.name in ("targets", "forecasts"):
        return column in ("value", "amount")
    return (table.name != "exchange_rates" and "currency" in table.column_names and column != "probability"
            and table.column(column).type == ColType.NUMBER)


def _money_checks(table, out: pd.DataFrame, written: dict[str, list], labels: dict[str, str],
                  problems: list[tuple], home: str) -> tuple[str, list] | None:
    """The currency an amount names (USD 1,200.00, € 950) is the row's: it
    becomes the row's currency where none is given, and a row whose currency
    says another is rejected, as is an amount whose decimal mark is a guess
    (1.200 where nothing says whether "." is the decimal mark): data-model.md
    allows no amount read in the wrong currency or a thousand times too small.
    A table without a currency column is in the workspace's, `home`: an
    amount there that names another is rejected. Returns the amount column
    that gave rows their currency and, per row, its text where it did."""
    fixed = "currency" not in table.column_names
    marked: tuple[str, list] | None = None
    given = (pd.Series([home] * len(out), dtype=object) if fixed
             else out["currency"] if "currency" in out.columns else pd.Series([None] * len(out), dtype=object))
    currency = list(given)
    whose = "targets and forecasts are in the workspace currency," if fixed else "the row's currency is"
    for target, amounts in written.items():
        for i, (line, amount) in enumerate(zip(out["_line"], amounts)):
            if amount is None:
                continue
            text, decimal, decided = amount
            doubt = None if decided else doubtful_mark(text, decimal)
            if doubt:
                problems.append((int(line), labels[target], text,
                                 f"is '{doubt}' a thousands separator or the decimal mark? Nothing in the file "
                                 "tells: give --decimal , or --decimal . (decimal: in a mapping's files)"))
            named = currency_of(text)
            if named is None:
                continue
            row = currency[i] or None
            if row is None and not fixed:
                currency[i] = "USD" if named == "$" else named
                marked = marked or (target, [None] * len(out))
                if marked[0] == target:  # a report names one column: the first amount that gave any
                    marked[1][i] = text
            elif named == "$":
                if row not in DOLLARS:
                    problems.append((int(line), labels[target], text, f"an amount in dollars, {whose} {row}"))
            elif row != named:
                problems.append((int(line), labels[target], text, f"an amount in {named}, {whose} {row}"))
    if not fixed:
        out["currency"] = pd.Series(currency, dtype=object, index=out.index)
    return marked


def _in_order(spec: TableSpec) -> list[ColumnSpec]:
    """Columns after the mapped columns their look-ups and conditions read."""
    targets = {c.target for c in spec.columns}
    done: list[ColumnSpec] = []
    waiting = list(spec.columns)
    while waiting:
        ready = [c for c in waiting if not (c.refers_to() & targets - {d.target for d in done} - {c.target})]
        if not ready:
            names = ", ".join(c.target for c in waiting)
            raise MappingError(f"tables.{spec.table}: {names} depend on each other in a circle")
        done += ready
        waiting = [c for c in waiting if c not in ready]
    return done


def _meets(conditions: dict[str, list[str]], out: pd.DataFrame, rows: pd.DataFrame, decimal: str) -> pd.Series:
    """Per row: does it meet every condition? A mapped column is judged by its
    mapped value, else the file's column; a column the file lacks meets none."""
    met = pd.Series(True, index=range(len(rows)))
    for name, wanted in conditions.items():
        if name in out.columns:  # canonical text by now: a number with a decimal point
            cells, mark = out[name].reset_index(drop=True).map(lambda v: "" if v is None else str(v)), "."
        elif name in rows.columns:
            cells, mark = rows[name].astype(str).str.strip().reset_index(drop=True), decimal
        else:
            return pd.Series(False, index=range(len(rows)))
        met &= cells.map(lambda v, w=wanted, m=mark: any(_same(v, x, m) for x in w))
    return met


def _same(cell: str, wanted: str, decimal: str) -> bool:
    if cell.casefold() == wanted.strip().casefold():
        return True
    try:  # numbers compare by value: an export writes 100 as 100.0 or 100,00
        return float(parse_number(cell, decimal)) == float(parse_number(wanted, "."))
    except ValueError:
        return False


def _first_case(cases, out: pd.DataFrame, rows: pd.DataFrame, decimal: str) -> pd.Series:
    texts = pd.Series([""] * len(rows), dtype=object)
    open_ = pd.Series(True, index=range(len(rows)))
    for conditions, value, filled in cases:
        if filled:
            value = _fill(value, rows)
        hit = open_ & (_meets(conditions, out, rows, decimal) if conditions else True)
        texts = texts.where(~hit, value)
        open_ &= ~hit
    return texts


def _fill(template: str, rows: pd.DataFrame) -> pd.Series:
    names = _FIELD.findall(template)
    rows = rows.reindex(columns=list(dict.fromkeys(names)), fill_value="")  # an optional field the file lacks
    out = []
    for rec in rows[names].astype(str).itertuples(index=False):
        values = dict(zip(names, (v.strip() for v in rec)))
        out.append("" if not any(values.values()) else _FIELD.sub(lambda m, v=values: v[m.group(1)], template))
    return pd.Series(out, dtype=object)


def _look_up(texts: pd.Series, keys: pd.Series, other: Tabular, spec: dict) -> tuple[pd.Series, pd.Series]:
    """Empty values are taken from the other file's row whose key matches;
    and per row, whether the value taken was a workbook's number cell."""
    cells = other.numbers.get(spec["value"], set())
    table = {k: (v, line in cells) for k, v, line in zip(other.rows[spec["key"]].astype(str).str.strip(),
                                                          other.rows[spec["value"]].astype(str).str.strip(),
                                                          other.rows["_line"])}
    found = [(t, False) if t != "" else table.get("" if k is None else str(k), ("", False))
             for t, k in zip(texts, keys.reset_index(drop=True))]
    return (pd.Series([v for v, _ in found], dtype=object),
            pd.Series([number for _, number in found], dtype=bool))


def _read_value(kind: ColType, text: str, decimal: str, dates: str | tuple[str, ...], order: str = "") -> str:
    """`dates`: the file's date order, or the formats a value may have;
    `order`: the file's date order, for a value that has none of those
    formats (a CSV saved again by a Dutch Excel writes 30-04-2025 12:00)."""
    if kind in (ColType.NUMBER, ColType.INTEGER):
        return parse_number(text, decimal)
    if kind not in (ColType.TIMESTAMP, ColType.DATE):
        return text
    parse = parse_timestamp if kind == ColType.TIMESTAMP else parse_date
    if isinstance(dates, str):
        return parse(text, dates, None) if dates in DATE_ORDERS else parse(text, "day_first", dates)
    errors = []
    for fmt in dates:
        try:
            return parse(text, "day_first", fmt)
        except ValueError as e:
            errors.append(e)
    if order in DATE_ORDERS and all(f.lstrip().startswith("%Y") for f in dates):  # formats that name no day order
        try:
            if kind == ColType.DATE and any("%H" in f for f in dates):  # formats with a time: its day
                return parse_timestamp(text, order, None)[:10]
            return parse(text, order, None)
        except ValueError:
            pass
    if len(dates) == 1:
        raise errors[0]
    raise ValueError(f"matches none of the formats {', '.join(dates)}")


def _keeper(tab: Tabular) -> Callable[[set[int], Path], None]:
    def keep(lines: set[int], out: Path) -> None:
        rows = tab.rows[tab.rows["_line"].isin(lines)]
        rows = rows[["_line", *tab.columns]].rename(columns={"_line": "line"})
        malformed = [(line, text) for line, text, _ in tab.malformed if line in lines]
        if malformed:
            # a record that could not be read into the header's columns is kept whole, as its text
            whole = pd.DataFrame(malformed, columns=["line", "malformed_record"])
            rows = pd.concat([rows, whole], ignore_index=True).sort_values("line", kind="stable")
        rows.to_csv(out / f"{Path(tab.name).stem}.rejected.csv", index=False)

    return keep


def import_mapped(ws: Workspace, mapping_path: Path, paths: list[Path],
                  on_table: Callable[[str, int], None] | None = None, dates: str | None = None,
                  decimal: str | None = None, check: bool = False) -> ImportResult:
    """`dates`: day_first or month_first for every file, over the mapping's
    own (the user's locale decides how a CRM writes dates); `decimal`: the
    files' decimal mark, "." or ",", over the mapping's, likewise."""
    mapping = load_mapping(mapping_path)
    for spec in mapping.files.values():
        spec.dates = dates or spec.dates
        spec.decimal = decimal or spec.decimal
    data = read_files(mapping, [Path(p) for p in paths])
    match_header_case(mapping, data)
    check_columns(mapping, data)
    _see_decimals(mapping, data)
    home = ws.settings().currency
    first = {}  # the table that reports a file's malformed lines: one whose rows are the file's, where there is one
    for t in sorted((t for t in mapping.tables if t.rows is None), key=lambda t: t.unique):
        first.setdefault(t.source, t)
    mapped: dict[int, Source] = {}
    unread: dict[str, set[int]] = {}  # per file, the lines a table of its own rows could not read
    # the tables of a file's own rows first, so those gathered from it know its unread lines
    for i, t in sorted(((i, t) for i, t in enumerate(mapping.tables) if t.rows is None), key=lambda it: it[1].unique):
        main = first[t.source] is t
        mapped[i] = map_table(t, data, mapping.files, main=main, home=home, passed_over=unread.get(t.source, ()))
        if main:
            unread[t.source] = {p[0] for p in mapped[i].problems if p[0] is not None}
    sources = [written_rows(t, mapping) if t.rows is not None else mapped[i] for i, t in enumerate(mapping.tables)]
    origin = f"{Path(mapping_path).resolve()}: " + ", ".join(str(Path(p).resolve()) for p in paths)
    return import_sources(ws, sources, origin, on_table, check=check)
