"""What changed in the open pipeline between two snapshots.

Every import and sync records its open opportunities in koers_snapshots
(data-model.md, "Snapshots kept by Koers itself"): stage, amount, currency,
probability, expected close and forecast category at that moment, which a
source rarely keeps. Two snapshots side by side answer the question of the
weekly sales meeting: what came in, what was won or lost, what grew or
shrank, what moved stage or slipped.

The walk from the earlier snapshot's open value to the later one's adds up
exactly: start + new + added + won + lost + left + increased + decreased +
exchange_rates = end, with what left the pipeline negative. A deal's value
is in the workspace currency at the rate in force on its snapshot's local
day (kpis.md converts an open pipeline on the day it looks at). A deal in
both snapshots splits its change in two: its amount's change at the later
rate, and the rate's change on its earlier amount, so that a rate moving is
never taken for a deal growing.

A deal counts with its owner as the opportunities table says today (a
snapshot keeps no owner), and `team` is that owner's team in reps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

from koers.periods import PeriodError, local_date, parse_instant, parse_spec
from koers.store import now_utc

# the walk, in its order: start + the changes = end
WALK = ("start", "new", "added", "won", "lost", "left", "increased", "decreased", "currency_changed", "exchange_rates",
        "end")
# how deals open in both snapshots moved; not part of the walk
MOVES = ("stage_forward", "stage_back", "close_pushed_out", "close_pulled_in")
LINES = WALK + MOVES
# the walk per group in one row (the CLI's --by table, the page's per-rep table): "other" is the remaining lines
BY_GROUP = ("start", "new", "won", "lost", "other", "end")
DIMENSIONS = ("owner", "team")

LABELS = {
    "start": ("Open bij begin", "Open at start"),
    "new": ("Nieuwe deals", "New deals"),
    "added": ("Heropend of later ingelezen", "Reopened or imported later"),
    "won": ("Gewonnen", "Won"),
    "lost": ("Verloren", "Lost"),
    "left": ("Anders uit de pijplijn", "Left otherwise"),
    "increased": ("Bedragen verhoogd", "Amounts raised"),
    "decreased": ("Bedragen verlaagd", "Amounts lowered"),
    "currency_changed": ("Valuta gewijzigd", "Currency changed"),
    "exchange_rates": ("Wisselkoersen", "Exchange rates"),
    "end": ("Open bij eind", "Open at end"),
    "stage_forward": ("Naar een latere fase", "Moved to a later stage"),
    "stage_back": ("Terug naar een eerdere fase", "Moved back a stage"),
    "close_pushed_out": ("Sluitdatum uitgesteld", "Close date pushed out"),
    "close_pulled_in": ("Sluitdatum vervroegd", "Close date pulled in"),
}

MEANINGS = {  # (nl, en)
    "start": ("de deals open in de eerdere momentopname, tegen de koers van die dag",
              "the deals open in the earlier snapshot, at its day's rates"),
    "new": ("open in de latere momentopname, niet in de eerdere, gemaakt op of na de eerdere",
            "open in the later snapshot, not in the earlier, created at or after it"),
    "added": ("open in de latere momentopname, niet in de eerdere, gemaakt ervoor (heropend, of later ingelezen)",
              "open in the later snapshot, not in the earlier, created before it (reopened, or imported later)"),
    "won": ("open in de eerdere momentopname, niet in de latere, nu gewonnen: hun waarde bij begin",
            "open in the earlier snapshot, not in the later, won today: their value at the start"),
    "lost": ("open in de eerdere momentopname, niet in de latere, nu verloren: hun waarde bij begin",
             "open in the earlier snapshot, not in the later, lost today: their value at the start"),
    "left": ("open in de eerdere momentopname, niet in de latere, nu gewonnen noch verloren (sindsdien heropend)",
             "open in the earlier snapshot, not in the later, neither won nor lost today (reopened since)"),
    "increased": ("open in beide, zelfde valuta, bedrag verhoogd: de verhoging tegen de latere koers",
                  "open in both, same currency, amount raised: the rise at the later rate"),
    "decreased": ("open in beide, zelfde valuta, bedrag verlaagd: de verlaging tegen de latere koers",
                  "open in both, same currency, amount lowered: the fall at the later rate"),
    "currency_changed": ("open in beide, in een andere valuta: de hele verandering van hun waarde",
                         "open in both, in another currency than before: their value's whole change"),
    "exchange_rates": ("open in beide, zelfde vreemde valuta: wat de koers alleen aan het eerdere bedrag veranderde",
                       "open in both, same foreign currency: the earlier amount's change from the rate alone"),
    "end": ("de deals open in de latere momentopname, tegen de koers van die dag",
            "the deals open in the later snapshot, at its day's rates"),
    "stage_forward": ("open in beide, in een fase met een hoger volgnummer: hun waarde bij eind",
                      "open in both, in a stage of a higher sequence: their value at the end"),
    "stage_back": ("open in beide, in een fase met een lager volgnummer: hun waarde bij eind",
                   "open in both, in a stage of a lower sequence: their value at the end"),
    "close_pushed_out": ("open in beide, verwachte sluitdatum later: hun waarde bij eind",
                         "open in both, expected close date later: their value at the end"),
    "close_pulled_in": ("open in beide, verwachte sluitdatum eerder: hun waarde bij eind",
                        "open in both, expected close date earlier: their value at the end"),
}


def meaning(line: str, lang: str) -> str:
    nl, en = MEANINGS[line]
    return nl if lang == "nl" else en


def line_label(line: str, lang: str) -> str:
    nl, en = LABELS[line]
    return nl if lang == "nl" else en


class ChangesError(Exception):
    """A question about snapshots that cannot be answered (a usage error).
    `nl`: the Dutch of those a Dutch review shows as its note (no snapshot
    at or before a moment); others are the CLI's, in English."""

    def __init__(self, message: str, nl: str | None = None):
        super().__init__(message)
        self.nl = nl or message


NO_SNAPSHOT = {"en": "this workspace has no snapshot yet: every import or sync takes one",
               "nl": "deze werkruimte heeft nog geen momentopname: elke import of synchronisatie neemt er een"}


def closing_span(spec: str | None) -> tuple[date, date] | None:
    """The dates [first, end) of a period SPEC (cli.md's notations and
    ranges), for `closing`: the deals the earlier snapshot expected to close
    in it."""
    if not spec:
        return None
    try:
        periods = parse_spec(spec)
    except PeriodError as e:
        raise ChangesError(f"closing: {e}") from None
    return periods[0].start, periods[-1].end


def question(by: str | None, where: list[str], line: str | None, deals: bool) -> tuple[list[str], dict[str, str]]:
    """`by` (comma-separated) and `where` (DIM=VALUE) as the walk takes them,
    checked with `line`, which picks the deals of one line."""
    by_dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
    filters = {}
    for w in where:
        dim, sep, value = w.partition("=")
        if not sep:
            raise ChangesError(f"where takes DIM=VALUE (got '{w}')")
        filters[dim.strip()] = value.strip()
    for dim in [*by_dims, *filters]:
        if dim not in DIMENSIONS:
            raise ChangesError(f"pipeline changes split and filter by {' or '.join(DIMENSIONS)}, not '{dim}'")
    if line is not None:
        if line not in LINES:
            raise ChangesError(f"line is one of {', '.join(LINES)}, not '{line}'")
        if not deals:
            raise ChangesError("a line picks the deals of one line: ask for the deals")
    return by_dims, filters


@dataclass(frozen=True)
class Snapshot:
    import_id: str
    taken_at: datetime  # naive UTC
    deals: int


def snapshots(con: duckdb.DuckDBPyConnection) -> list[Snapshot]:
    """Every snapshot, oldest first: one per import or sync (an import that
    found no open deal recorded an empty one), and those `koers demo` made."""
    rows = con.execute("""
        WITH taken AS (SELECT import_id, min(taken_at) AS taken_at, count(*) AS deals
                       FROM koers_snapshots GROUP BY import_id)
        SELECT coalesce(t.import_id, i.import_id), coalesce(t.taken_at, i.imported_at), coalesce(t.deals, 0)
        FROM taken t FULL JOIN koers_imports i ON t.import_id = i.import_id
        ORDER BY 2, 1""").fetchall()
    return [Snapshot(*r) for r in rows]


_RELATIVE = re.compile(r"(\d+)([dw])")


def pick(found: list[Snapshot], when: str, tz: ZoneInfo, now: datetime) -> Snapshot:
    """The snapshot `when` names: an import's id, else the last snapshot
    taken at or before the moment it names (an ISO timestamp, a date's local
    midnight, or Nd / Nw: N days or weeks before now)."""
    for s in found:
        if s.import_id == when:
            return s
    relative = _RELATIVE.fullmatch(when.strip())
    if relative:
        n, unit = int(relative.group(1)), relative.group(2)
        moment = now - timedelta(days=n * (7 if unit == "w" else 1))
    else:
        try:
            moment = parse_instant(when, tz)
        except PeriodError as e:
            raise ChangesError(f"'{when}' is neither an import id (koers imports lists them), a moment "
                               f"(2025-07-01, 2025-07-01T09:00) nor a span back from now (7d, 2w): {e}") from None
    before = [s for s in found if s.taken_at <= moment]
    if not before:
        if not found:
            raise ChangesError(NO_SNAPSHOT["en"], NO_SNAPSHOT["nl"])
        first = local_text(found[0].taken_at, tz)
        raise ChangesError(f"no snapshot was taken at or before {when}; the first was taken at {first}",
                           f"geen momentopname genomen op of voor {when}; de eerste is van {first}")
    return before[-1]


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """A snapshot's moment in the workspace's local time, to the minute, with
    its offset (the night the clocks go back has two 02:30s)."""
    local = moment.replace(tzinfo=timezone.utc).astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M") + local.isoformat()[-6:]


@dataclass
class Changes:
    base: Snapshot
    then: Snapshot
    deals: pd.DataFrame  # one row per deal open in either snapshot (DEAL_COLUMNS)
    lines: pd.DataFrame  # [*by, line, count, value], every line for every group
    missing_rates: set[tuple[str, date]]  # (currency, day) without a rate in force: those values are NaN

    @property
    def warnings(self) -> list[str]:
        return [f"no exchange rate of {cur} in force on {day}: the values of its deals are empty"
                for cur, day in sorted(self.missing_rates)]


@dataclass
class Read:
    """What the walk reads from a workspace: the two snapshots' deals, those
    deals' records today, the reps (name, team), the stages' sequences and
    the exchange rates."""
    deals: pd.DataFrame
    reps: dict[str, tuple[str | None, str | None]]  # rep_id: (name, team)
    sequence: dict[str, int]
    rates: list[tuple[str, date, float]]
    snapshots: list[Snapshot] = field(default_factory=list)  # every one, oldest first (asked)


def asked(ws, since: str | None = None, until: str | None = None, by: list[str] = (),
          where: dict[str, str] | None = None, now: datetime | None = None,
          closing: tuple[date, date] | None = None) -> tuple[Changes, Read]:
    """The walk between the snapshots `since` and `until` name (pick): the
    later one by default the latest, the earlier one by default the one
    before it; and what was read for it (the reps' names among it)."""
    settings = ws.settings()
    now = now or now_utc()
    with ws.reader_table_by_table() as (con, take):
        found = snapshots(con)
        if not found:
            raise ChangesError(NO_SNAPSHOT["en"], NO_SNAPSHOT["nl"])
        then = pick(found, until, settings.tz, now) if until else found[-1]
        if since:
            base = pick(found, since, settings.tz, now)
        elif found.index(then) == 0:
            raise ChangesError(f"no snapshot was taken before {then.import_id} "
                               f"({local_text(then.taken_at, settings.tz)}): every import or sync takes one; "
                               "import again later, or name an earlier one")
        else:
            base = found[found.index(then) - 1]
        records = read(con, take, base, then)
    records.snapshots = found
    return changes(records, settings.tz, settings.currency, base, then, by, where, closing), records


def read(con: duckdb.DuckDBPyConnection, take, base: Snapshot, then: Snapshot) -> Read:
    """`take(name)` before each canonical table is read (Workspace.reader_table_by_table:
    a PostgreSQL workspace holds one at a time)."""
    before, after = _snapshot_rows(con, base), _snapshot_rows(con, then)
    before["_in"], after["_in"] = True, True
    d = before.merge(after, on="opportunity_id", how="outer", suffixes=("_before", "_after"))
    d["_in_before"] = d.pop("_in_before").eq(True)
    d["_in_after"] = d.pop("_in_after").eq(True)
    take("opportunities")
    con.register("_changes_ids", d[["opportunity_id"]])
    try:
        now = con.execute("""
            SELECT o.opportunity_id, o.owner_id AS owner, o.status, o.created_at, o.closed_at
            FROM opportunities o JOIN _changes_ids i USING (opportunity_id)""").df()
    finally:
        con.unregister("_changes_ids")
    take("reps")
    reps = {r: (n, t) for r, n, t in con.execute("SELECT rep_id, name, team FROM reps").fetchall()}
    take("stages")
    sequence = dict(con.execute("SELECT stage, sequence FROM stages").fetchall())
    take("exchange_rates")
    rates = con.execute("SELECT currency, valid_from, rate FROM exchange_rates").fetchall()
    return Read(d.merge(now, on="opportunity_id", how="left"), reps, sequence, rates)


def changes(found: Read, tz: ZoneInfo, currency: str, base: Snapshot, then: Snapshot,
            by: list[str] = (), where: dict[str, str] | None = None,
            closing: tuple[date, date] | None = None) -> Changes:
    """`closing`: only the deals the earlier snapshot expected to close in
    [first, end): what became of the pipeline expected in a period (won,
    lost, or still open: slipped)."""
    if base.taken_at > then.taken_at:
        raise ChangesError(f"the earlier snapshot ({base.import_id}) was taken after the later one "
                           f"({then.import_id}); swap --since and --until")
    rates = _Rates(found.rates, currency)
    deals = _deals(found, tz, rates, base, then)
    for dim, value in (where or {}).items():
        deals = deals[deals[dim].fillna("") == value]
    if closing is not None:
        expected = pd.to_datetime(deals["expected_close_on_before"])
        deals = deals[(expected >= pd.Timestamp(closing[0])) & (expected < pd.Timestamp(closing[1]))]
    # the rates missing for the deals asked about (an amount of nothing needs none), not for those left out
    day_before, day_after = local_date(base.taken_at, tz), local_date(then.taken_at, tz)
    held_before = deals["_in_before"] & deals["amount_before"].fillna(0).ne(0)
    held_after = deals["_in_after"] & deals["amount_after"].fillna(0).ne(0)
    needed = ({(c, day_before) for c in deals.loc[held_before, "currency_before"].dropna()}
              | {(c, day_after) for c in deals.loc[held_after, "currency_after"].dropna()})
    return Changes(base, then, deals.reset_index(drop=True), _lines(deals, list(by)), rates.missing & needed)


def _snapshot_rows(con, snap: Snapshot) -> pd.DataFrame:
    rows = con.execute(
        "SELECT opportunity_id, stage, amount, currency, probability, expected_close_on, forecast_category "
        "FROM koers_snapshots WHERE import_id = ?", [snap.import_id]).df()
    close = pd.to_datetime(rows["expected_close_on"])
    rows["expected_close_on"] = close.dt.date.astype(object).where(close.notna(), None)  # dates, not midnights
    return rows


def _deals(found: Read, tz: ZoneInfo, rates: _Rates, base: Snapshot, then: Snapshot) -> pd.DataFrame:
    d = found.deals.copy()
    d.insert(d.columns.get_loc("owner") + 1, "team", d["owner"].map(lambda r: found.reps.get(r, (None, None))[1]))
    sequence = found.sequence
    day_before, day_after = local_date(base.taken_at, tz), local_date(then.taken_at, tz)
    # a null amount counts as 0 (kpis.md); a deal's value in a snapshot it is not in is empty, not 0
    amount_before, amount_after = d["amount_before"].fillna(0.0), d["amount_after"].fillna(0.0)
    rate_before, rate_after = rates.on(d["currency_before"], day_before), rates.on(d["currency_after"], day_after)
    d["value_before"] = _times(amount_before, rate_before).where(d["_in_before"])
    d["value_after"] = _times(amount_after, rate_after).where(d["_in_after"])

    both = d["_in_before"] & d["_in_after"]
    # the same currency on both sides (null is the workspace's own): the amount's change, at the later rate, and
    # the rate's change on the earlier amount; another currency: one change of value, neither of these
    same_currency = both & d["currency_before"].fillna(rates.currency).eq(d["currency_after"].fillna(rates.currency))
    created_later = pd.to_datetime(d["created_at"]) >= pd.Timestamp(base.taken_at)
    line = pd.Series(None, index=d.index, dtype=object)
    line[~d["_in_before"] & created_later] = "new"
    line[~d["_in_before"] & ~created_later] = "added"
    gone = d["_in_before"] & ~d["_in_after"]
    line[gone & d["status"].eq("won")] = "won"
    line[gone & d["status"].eq("lost")] = "lost"
    line[gone & ~d["status"].isin(["won", "lost"])] = "left"
    raised = amount_after - amount_before  # in the deal's own currency: known even where a rate is not
    line[same_currency & (raised > 0)] = "increased"
    line[same_currency & (raised < 0)] = "decreased"
    line[both & ~same_currency] = "currency_changed"
    d["line"] = line
    d["value_change"] = d["value_after"].where(d["_in_after"], 0.0) - d["value_before"].where(d["_in_before"], 0.0)
    d["amount_change"] = _times(raised, rate_after).where(same_currency)
    d["rate_change"] = _times(amount_before, rate_after - rate_before).where(same_currency)
    # a rate that moved, or that cannot be known on one of the two days
    d["rate_moved"] = same_currency & (d["rate_change"].isna() | d["rate_change"].ne(0))
    d["changed"] = _changed_fields(d, both)

    seq_before, seq_after = d["stage_before"].map(sequence), d["stage_after"].map(sequence)
    close_before, close_after = pd.to_datetime(d["expected_close_on_before"]), pd.to_datetime(d["expected_close_on_after"])
    moves = {
        "stage_forward": both & (seq_after > seq_before),
        "stage_back": both & (seq_after < seq_before),
        "close_pushed_out": both & (close_after > close_before),
        "close_pulled_in": both & (close_after < close_before),
    }
    named = [np.where(moves[m].to_numpy(dtype=bool), m, "") for m in MOVES]
    d["moves"] = [",".join(m for m in row if m) or None for row in zip(*named)]
    for m in MOVES:
        d["_" + m] = moves[m]
    return d.sort_values("opportunity_id", kind="stable")


def _times(amount: pd.Series, rate: pd.Series) -> pd.Series:
    """amount × rate, where nothing is 0 at any rate, known or not."""
    return (amount * rate).where(amount != 0, 0.0)


class _Rates:
    """Exchange rates in force on a day: the last valid_from on or before it."""

    def __init__(self, rows: list[tuple[str, date, float]], currency: str):
        self.currency = currency
        self.by_currency: dict[str, list[tuple[date, float]]] = {}
        for cur, valid_from, rate in sorted(rows):
            self.by_currency.setdefault(cur, []).append((valid_from, float(rate)))
        self.missing: set[tuple[str, date]] = set()

    def rate(self, cur, day: date) -> float:
        if cur is None or (isinstance(cur, float) and pd.isna(cur)) or cur == self.currency:
            return 1.0
        found = [r for valid_from, r in self.by_currency.get(cur, []) if valid_from <= day]
        if not found:
            self.missing.add((cur, day))
            return float("nan")
        return found[-1]

    def on(self, currencies: pd.Series, day: date) -> pd.Series:
        """Each currency's rate (1 for the workspace's own and for null; NaN
        where none is in force, never a silent 1:1)."""
        known = {c: self.rate(c, day) for c in currencies.dropna().unique()}
        return currencies.map(known).astype(float).where(currencies.notna(), 1.0)


def split(c: Changes, by: list[str]) -> pd.DataFrame:
    """The lines of `c` per group of `by` (a walk asked whole, split after)."""
    return _lines(c.deals, by)


def _lines(d: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Every line of the walk and the moves, per group of `by` (a group
    each owner or team with a deal in either snapshot): each deal's part in
    each line, summed per group in one pass. A value that cannot be known
    (no rate) makes its line's value empty, never a partial sum."""
    parts = {}
    for line in LINES:
        counted, value = _part(d, line)
        parts[("count", line)] = counted.astype("int64")
        parts[("value", line)] = value.where(counted, 0.0).fillna(0.0)
        parts[("unknown", line)] = (counted & value.isna()).astype("int64")
    frame = pd.DataFrame(parts, index=d.index)
    if by:
        none = "\x00none"  # a null dimension's group key (pandas groups NaN keys unreliably across levels)
        keys = d[by].astype(object).where(d[by].notna(), none)
        summed = frame.groupby([keys[c] for c in by], sort=False).sum()
        groups = [g if isinstance(g, tuple) else (g,) for g in summed.index]
        order = sorted(range(len(groups)), key=lambda i: tuple((v == none, "" if v == none else v) for v in groups[i]))
        rows = [(tuple(None if v == none else v for v in groups[i]), summed.iloc[i]) for i in order]
    else:
        rows = [((), frame.sum())]
    out = []
    for key, row in rows:
        out += [(*key, line, int(row[("count", line)]),
                 float("nan") if row[("unknown", line)] else float(row[("value", line)])) for line in LINES]
    return pd.DataFrame(out, columns=[*by, "line", "count", "value"])


def _part(d: pd.DataFrame, line: str) -> tuple[pd.Series, pd.Series]:
    """Which deals a line counts, and what each adds to its value."""
    if line == "start":
        return d["_in_before"], d["value_before"]
    if line == "end":
        return d["_in_after"], d["value_after"]
    if line == "exchange_rates":
        return d["rate_moved"], d["rate_change"]
    if line in ("increased", "decreased"):
        return d["line"] == line, d["amount_change"]
    if line == "currency_changed":
        return d["line"] == line, d["value_change"]
    if line in MOVES:
        return d["_" + line], d["value_after"]
    return d["line"] == line, d["value_change"]


DEAL_COLUMNS = ("opportunity_id", "owner", "team", "line", "moves", "rate_moved", "changed", "value_before",
                "value_after", "value_change", "amount_change", "rate_change",
                "stage_before", "stage_after", "amount_before", "amount_after", "currency_before", "currency_after",
                "expected_close_on_before", "expected_close_on_after", "probability_before", "probability_after",
                "forecast_category_before", "forecast_category_after", "status", "created_at", "closed_at")


def deal_rows(c: Changes, line: str | None = None) -> pd.DataFrame:
    """The deals behind the lines, every one that changed (or those of one
    line), with each side's stage, amount and dates: the records behind a
    figure of the walk, the biggest change of value first."""
    d = c.deals
    if line is None:
        d = d[d["line"].notna() | d["moves"].notna() | d["rate_moved"] | d["changed"].notna()]
    elif line == "start":
        d = d[d["_in_before"]]
    elif line == "end":
        d = d[d["_in_after"]]
    elif line == "exchange_rates":
        d = d[d["rate_moved"]]
    elif line in MOVES:
        d = d[d["_" + line]]
    else:
        d = d[d["line"] == line]
    # the biggest changes first, as a sales meeting goes through them
    d = d.assign(_size=d["value_change"].abs()).sort_values(["_size", "opportunity_id"], ascending=[False, True],
                                                            kind="stable", na_position="last")
    return d[list(DEAL_COLUMNS)].reset_index(drop=True)


def said(deal: dict) -> list[str]:
    """A deal's lines, as line ids (a deal of deal_rows): its line of the
    walk, its rate's part, its moves."""
    line = deal["line"]
    return (([] if line is None or line != line else [line]) + (["exchange_rates"] if deal["rate_moved"] else [])
            + (deal["moves"].split(",") if deal["moves"] else []))


FIELDS = ("stage", "amount", "currency", "probability", "expected_close_on", "forecast_category")


def _changed_fields(d: pd.DataFrame, both: pd.Series) -> list[str | None]:
    """Per deal open in both snapshots, the snapshot fields that differ
    (FIELDS, comma-separated; a null against a value differs too)."""
    differs = []
    for f in FIELDS:
        a, b = d[f + "_before"], d[f + "_after"]
        differs.append((both & ~((a == b) | (a.isna() & b.isna()))).to_numpy(dtype=bool))
    named = [np.where(x, f, "") for f, x in zip(FIELDS, differs)]
    return [",".join(f for f in row if f) or None for row in zip(*named)]


def arrow(before, after) -> str:
    """before → after when both are known and differ, else the one known
    (a deal won or new is in one snapshot only)."""
    from koers.output import plain

    b, a = plain(before), plain(after)
    return f"{b} → {a}" if b and a and b != a else b or a or "–"


def what_changed(deal: dict, lang: str, field_label) -> str:
    """A deal's lines as people read them; a deal in none of them, the
    fields that changed (a stage of the same sequence, a close date set),
    each as `field_label(field, lang)` names it."""
    lines = said(deal)
    if lines:
        return ", ".join(line_label(x, lang) for x in lines)
    return ", ".join(field_label(f, lang) for f in (deal["changed"] or "").split(",") if f) or "–"
