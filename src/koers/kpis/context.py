"""The tables a KPI is computed from, as of the moment T, with dimensions.

Every boundary rule of kpis.md that is not specific to one KPI lives here:
- events at or after T are cut (their timestamp becomes null, a record whose
  creation event is at or after T does not exist yet); due_at is a plan and
  is never cut;
- period bounds and the local midnights of dates are computed in Python as
  UTC instants (periods.py), so the engine never does time-zone arithmetic
  and a DST day has its real 23 or 25 hours;
- amounts are converted to the workspace currency at the rate in force on
  the day the KPI looks at;
- dimensions come from the base records (a null opportunity source takes the
  lead's; team is the owner's team in reps today).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import ibis
import ibis.expr.operations as ops
import pyarrow as pa

from koers.engines import drop_temp_view, temp_view
from koers.kpis import derived
from koers.model import TABLE_BY_NAME
from koers.periods import Period, ceil_date, local_date, local_midnight_utc
from koers.settings import Settings

NULL_TS = ibis.null("timestamp")
OPPORTUNITY_COLUMNS = TABLE_BY_NAME["opportunities"].column_names


def flag(condition):
    """1 where the condition holds, else 0, as a bigint on every backend
    (PostgreSQL casts no boolean to bigint)."""
    return ibis.ifelse(condition, ibis.literal(1, type="int64"), ibis.literal(0, type="int64"))


def seconds_between(later, earlier):
    """Real elapsed seconds, as a double on every backend: the difference in
    whole microseconds first, then divided. Two epochs in seconds subtracted
    would keep only what a double holds of each (about 0.2 µs of a moment
    in 2025, so 2 h between two instants with a fraction could come out a
    hair over 2 h), and Spark's epoch keeps whole seconds alone."""
    micros = later.delta(earlier, unit="microsecond").cast("float64")
    return micros / ibis.literal(1_000_000.0, type="float64")


def days_between(later, earlier):
    return seconds_between(later, earlier) / ibis.literal(86400.0, type="float64")


def hours_between(later, earlier):
    return seconds_between(later, earlier) / ibis.literal(3600.0, type="float64")
NULL_DATE = ibis.null("date")
# Stands for "never" in range joins, which an OR with IS NULL would turn into loops.
FAR_FUTURE = ibis.literal(datetime(9999, 1, 1), type="timestamp")


def uncut(col: str) -> str:
    """The name of an instant column as stored, beside its copy cut at T."""
    return f"_u_{col}"


def shared(fn):
    """A base table of the context: it depends on T alone, not on the
    periods, so contexts over other periods (previous period, a year earlier,
    trailing windows) with the same T share it."""
    name = fn.__name__

    def get(self):
        if name not in self._shared:
            self._shared[name] = fn(self)
        return self._shared[name]

    get.__doc__ = fn.__doc__
    return property(get)


def _naive(moment: datetime) -> datetime:
    """A timestamp as a naive UTC instant (engines return naive ones; pandas a Timestamp)."""
    return moment.to_pydatetime() if hasattr(moment, "to_pydatetime") else moment


def _filters_over_table(t):
    """(table, predicates, relations) when t is a table, filtered or not:
    the filters of the chain, innermost first, and the relations they read
    (the table and the filters, all with its columns); (None, [], ()) else."""
    op, predicates, chain = t.op(), [], []
    while isinstance(op, ops.Filter):
        predicates[:0] = op.predicates
        chain.append(op)
        op = op.parent
    if not isinstance(op, ops.PhysicalTable):
        return None, [], ()
    return op.to_expr(), predicates, (op, *chain)


def _refiltered(keyed, predicates: list, chain: tuple):
    """keyed filtered by predicates written on the relations of chain,
    whose columns keyed has too. A filter reads only its own table's
    fields; those of a subquery in it are the subquery's, and stay."""
    target = keyed.op()
    out = []
    for p in predicates:
        fields = p.find(ops.Field, filter=ops.Value)
        moved = p.replace({f: ops.Field(target, f.name) for f in fields if f.rel in chain}, filter=ops.Value)
        out.append(moved.to_expr())
    return keyed.filter(*out) if out else keyed


def instant_span(instants: list[datetime]):
    """The first and last of some instants, as literals; None for none. A
    state at the instants of a run needs no record out of this span."""
    if not instants:
        return None
    return ibis.literal(min(instants), type="timestamp"), ibis.literal(max(instants), type="timestamp")


def release_views(con, names: list[str]) -> None:
    """Drop a run's temporary base tables (a long-lived connection would
    otherwise keep every run's copies)."""
    for name in reversed(names):  # a view goes before the table it reads
        drop_temp_view(con, name)
    names.clear()


class Context:
    def __init__(self, con, settings: Settings, periods: list[Period], as_of, shared: dict | None = None):
        self.con = con
        self.settings = settings
        self.tz = settings.tz
        self.as_of = as_of  # naive UTC
        self.periods = periods
        self.T = ibis.literal(as_of, type="timestamp")
        self.T_date = ceil_date(as_of, self.tz)  # a date d is before T when d < T_date
        self.Td = ibis.literal(self.T_date, type="date")
        self.P = self.period_table(periods)
        self._shared = shared if shared is not None else {"_views": []}
        # The dimensions the current question splits or filters on (None:
        # any, as a drill-down shows every column), so a population may leave
        # out a costly dimension no one asked for.
        self.asked: set[str] | None = None
        self._views: list[str] = self._shared["_views"]

    def wants(self, dim: str) -> bool:
        return self.asked is None or dim in self.asked

    # -- periods -----------------------------------------------------------
    def period_table(self, periods: list[Period]):
        as_of_day = local_date(self.as_of, self.tz)
        starts = [p.start_utc(self.tz) for p in periods]
        ends = [p.end_utc(self.tz) for p in periods]
        data = pa.table(
            {
                "period": pa.array([getattr(p, "key", p.start) for p in periods], pa.date32()),
                "_p_start": pa.array(starts, pa.timestamp("us")),
                "_p_end": pa.array(ends, pa.timestamp("us")),
                "_d_start": pa.array([p.start for p in periods], pa.date32()),
                "_d_end": pa.array([p.end for p in periods], pa.date32()),
                "_e": pa.array(self.cut_ends(periods), pa.timestamp("us")),
                # the open pipeline converts at the rate of P's last day, or T's day
                "_rate_day": pa.array([min(p.end - timedelta(days=1), as_of_day) for p in periods], pa.date32()),
                "_days": pa.array([p.days for p in periods], pa.int64()),
            }
        )
        return ibis.memtable(data)

    def cut_ends(self, periods: list[Period]) -> list[datetime]:
        """end(P), or T for a period not over at T (`_e`: ages measured to
        end(P) run to T)."""
        return [min(p.end_utc(self.tz), self.as_of) for p in periods]

    def in_period(self, t, col: str, dated: bool = False):
        """Join each record to the period its event falls in. Periods that
        follow one another without gap or overlap (any range of one grain)
        are found by comparing with their bounds and joined on the key: a
        join on ranges cost ten times as much on ten million rows."""
        bounds = self._bounds(dated)
        if bounds is None:
            return self.join_on_ranges(t, col, dated)
        base, predicates, chain = _filters_over_table(t)
        if base is None:
            return self._keyed(t, col, dated, bounds)
        # A base table filtered: the base keyed once for the run and the
        # filters put back. Comparing with every bound is the largest part
        # of a KPI's expression; built and compiled once, not per KPI. The
        # bounds and T fix the periods, so contexts over the same share it.
        starts, end, keys = bounds
        key = ("keyed", base.op(), col, dated, tuple(starts), end, tuple(keys))
        if key not in self._shared:
            self._shared[key] = self.view(self._keyed(base, col, dated, bounds))
        return _refiltered(self._shared[key], predicates, chain)

    def _keyed(self, t, col: str, dated: bool, bounds):
        starts, end, keys = bounds
        x = t[col]
        kind = "date" if dated else "timestamp"
        if not dated and uncut(col) in t.columns:
            # A cut instant is in [start, end) when its stored one is in
            # [start, min(end, T)): a plain range on a stored column, which
            # the engine tests while scanning and uses to skip whole blocks.
            x, end = t[uncut(col)], min(end, self.as_of)

        def period_of(first: int, last: int):
            # binary search over the starts: a depth of log2(periods) comparisons
            if first == last:
                return ibis.literal(keys[first], type="date")
            mid = (first + last + 1) // 2
            return ibis.ifelse(x < ibis.literal(starts[mid], type=kind), period_of(first, mid - 1), period_of(mid, last))

        inside = t.filter((x >= ibis.literal(starts[0], type=kind)) & (x < ibis.literal(end, type=kind)))
        if isinstance(t.op(), ops.PhysicalTable):
            # joined on the key itself: a column added and dropped again
            # would be two more levels to compile (on a table the periods
            # are not already part of, where Ibis could not tell the sides)
            x = inside[x.get_name()]
            return inside.join(self.P, self.P.period == period_of(0, len(keys) - 1))
        inside = inside.mutate(_p_key=period_of(0, len(keys) - 1))
        return inside.join(self.P, inside._p_key == self.P.period).drop("_p_key")

    def join_on_ranges(self, t, col: str, dated: bool = False):
        P = self.P
        lo, hi = (P._d_start, P._d_end) if dated else (P._p_start, P._p_end)
        return t.join(P, (t[col] >= lo) & (t[col] < hi))

    def _bounds(self, dated: bool):
        """(starts, end of the last, keys) when the periods tile a span of
        time in order, else None (the trailing years of a year-to-date KPI
        overlap)."""
        if not self.periods:
            return None
        if dated:
            starts = [p.start for p in self.periods]
            ends = [p.end for p in self.periods]
        else:
            starts = [p.start_utc(self.tz) for p in self.periods]
            ends = [p.end_utc(self.tz) for p in self.periods]
        keys = [getattr(p, "key", p.start) for p in self.periods]
        if any(ends[i] != starts[i + 1] for i in range(len(starts) - 1)) or len(set(keys)) != len(keys):
            return None
        if any(s >= e for s, e in zip(starts, ends)):
            return None
        return starts, ends[-1], keys

    # -- the raw tables ----------------------------------------------------
    def raw(self, name: str):
        """A workspace table, looked up once a run: each lookup asks the
        engine for the table's columns."""
        key = ("raw", name)
        if key not in self._shared:
            self._shared[key] = self.con.table(name)
        return self._shared[key]

    def size(self, name: str) -> int:
        """A workspace table's rows, counted once for every run that shares
        the base tables: like them, the count changes only with the data."""
        key = ("size", name)
        if key not in self._shared:
            self._shared[key] = int(self.raw(name).count().execute())
        return self._shared[key]

    @shared
    def teams(self):
        r = self.raw("reps")
        return r.select(_team_rep=r.rep_id, team=r.team)

    @shared
    def rep_teams(self) -> dict[str, str | None]:
        """rep_id -> team as reps says today, for KPIs finished in Python."""
        rows = self.raw("reps").select("rep_id", "team").to_pyarrow().to_pylist()
        return {r["rep_id"]: r["team"] for r in rows}

    def with_team(self, t):
        j = t.left_join(self.teams, t.owner == self.teams._team_rep)
        return j.drop("_team_rep")

    def _teamed(self, plain: str):
        """The shared base table `plain`, with the owner's team when the
        question may split or filter on it: on ten million activities the
        join to reps cost more than counting them."""
        base = getattr(self, plain)
        if not self.wants("team"):
            return base
        key = f"{plain}_team"
        if key not in self._shared:
            self._shared[key] = self.view(self.with_team(base))
        return self._shared[key]

    def cut(self, col):
        return ibis.ifelse(col < self.T, col, NULL_TS)

    def cut_keeping(self, t, col: str) -> dict:
        """Columns for `mutate`: `col` cut at T, beside it as stored
        (`uncut(col)`), so that `in_period` can filter on the stored one."""
        return {col: self.cut(t[col]), uncut(col): t[col]}

    def cut_date(self, col):
        return ibis.ifelse(col < self.Td, col, NULL_DATE)

    def view(self, t, materialise: bool = False):
        """Name a base table for the run: every KPI starts from it, so each
        KPI's expression stays shallow and quick to compile. The costly ones
        (windows over the stage history) are computed once."""
        name = f"_koers_{uuid.uuid4().hex[:12]}"
        self._views.append(name)
        return temp_view(self.con, name, t, materialise)

    def release(self) -> None:
        release_views(self.con, self._views)

    # -- exchange rates ----------------------------------------------------
    @shared
    def rates(self):
        """Each rate with the dates and instants of its validity."""
        r = self.raw("exchange_rates").to_pyarrow().to_pylist()
        r.sort(key=lambda x: (x["currency"], x["valid_from"]))
        rows = []
        for i, x in enumerate(r):
            nxt = r[i + 1] if i + 1 < len(r) and r[i + 1]["currency"] == x["currency"] else None
            until = nxt["valid_from"] if nxt else date(9999, 1, 1)
            rows.append(
                {
                    "_r_cur": x["currency"],
                    "_r_from": x["valid_from"],
                    "_r_until": until,
                    "_r_from_ts": local_midnight_utc(x["valid_from"], self.tz),
                    "_r_until_ts": local_midnight_utc(min(until, date(9000, 1, 1)), self.tz),
                    "_r_rate": float(x["rate"]),
                }
            )
        schema = pa.schema(
            [("_r_cur", pa.string()), ("_r_from", pa.date32()), ("_r_until", pa.date32()),
             ("_r_from_ts", pa.timestamp("us")), ("_r_until_ts", pa.timestamp("us")), ("_r_rate", pa.float64())]
        )
        return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))

    def convert(self, t, amounts: dict[str, str], currency: str, at: str, dated: bool = True):
        """Add a column per entry of `amounts` (out: amount column): the amount
        in the workspace currency at the rate in force on the day of `at` (a
        date column, or an instant when not dated). A null amount counts as 0.
        One join with the rates for all of them."""
        r = self.rates
        lo, hi = (r._r_from, r._r_until) if dated else (r._r_from_ts, r._r_until_ts)
        # On the currency alone and its dates, so the engine hashes on the
        # currency: a rate of the workspace currency itself may match, once
        # (a currency's rates do not overlap), and is not used.
        j = t.left_join(r, (t[currency] == r._r_cur) & (t[at] >= lo) & (t[at] < hi))
        foreign = j[currency].notnull() & (j[currency] != self.settings.currency)
        values = {
            out: ibis.ifelse(foreign, j[a].fill_null(0) * j._r_rate, j[a].fill_null(0)) for out, a in amounts.items()
        }
        return j.mutate(**values).drop("_r_cur", "_r_from", "_r_until", "_r_from_ts", "_r_until_ts", "_r_rate")

    # -- canonical records as of T, with their dimensions ------------------
    @property
    def leads(self):
        return self._teamed("_leads")

    @shared
    def _leads(self):
        ld = self.raw("leads")
        ld = ld.filter(ld.created_at < self.T)
        ld = ld.mutate(
            owner=ld.owner_id,
            **self.cut_keeping(ld, "qualified_at"),
            first_response_at=self.cut(ld.first_response_at),
            converted_at=self.cut(ld.converted_at),
            disqualified_at=self.cut(ld.disqualified_at),
        )
        return self.view(ld)

    @shared
    def _derived(self) -> bool:
        return derived.present(self.con)

    @shared
    def _spans(self):
        """The whole stage history as stays (derived.spans), as kept by the
        workspace or computed once for the run."""
        if self._derived:
            return self.raw(derived.SPANS)
        return self.view(derived.spans(self.con), materialise=True)

    @shared
    def _opportunity_dims(self):
        if self._derived:
            return self.raw(derived.OPPORTUNITIES)
        return self.view(derived.opportunities(self.con, self._spans), materialise=True)

    @shared
    def _history_before_t(self) -> bool:
        """Whether every history row was entered before T (an as-of of now,
        typically): then each opportunity's stage at T is its last one."""
        last = self._spans.entered_at.max().execute()
        return last is None or _naive(last) < self.as_of

    @shared
    def history(self):
        """stage_history rows entered before T, with the stage's kind, sequence
        and probability, and the end of each stay (`_next_at`, null for the
        opportunity's stay at T)."""
        h = self._spans
        h = h.filter(h.entered_at < self.T)
        h = h.mutate(_next_at=self.cut(h._next_at))
        return self.view(h.mutate(_next_or_max=h._next_at.fill_null(FAR_FUTURE)))

    @shared
    def stage_at_t(self):
        """The stage each opportunity is in at T (its current stage as of T):
        history is cut at T, so it is the row with no next row."""
        h = self.history
        h = h.filter(h._next_at.isnull())
        return h.select(_h_opp=h.opportunity_id, _h_stage=h.stage)

    @property
    def opps(self):
        return self._teamed("_opps")

    @shared
    def _opps(self):
        o = self._opportunity_dims
        o = o.filter(o.created_at < self.T)
        # The import gives every opportunity with a stage a history row
        # (data-model.md), so an open one without a row before T is in no
        # stage yet (its first row comes later): null, not its `stage`
        # column, which may tell of events after T.
        if self._history_before_t:
            # no join: with the history whole before T, the stage at T is the last
            stage = o._stage_now
        else:
            s = self.stage_at_t
            o = o.left_join(s, o.opportunity_id == s._h_opp)
            stage = o._h_stage
        # A deal closed before T is in the stage it closed in, which its
        # `stage` column names (data-model.md: the current stage), whether
        # or not its history has a row for it ("rows for won or lost stages
        # may be present"): a won deal without one is not in the open stage
        # it was won from.
        stage = ibis.ifelse((o.closed_at < self.T) & o.stage.notnull(), o.stage, stage)
        closed = self.cut_keeping(o, "closed_at")
        # one projection: each level of an expression costs compilation time
        changed = {
            "closed_at": closed["closed_at"],
            "status": ibis.ifelse(o.closed_at < self.T, o.status, "open"),
            "stage": stage,
        }
        o = o.select(
            *[changed.get(c, o[c]).name(c) for c in OPPORTUNITY_COLUMNS],
            owner=o.owner_id,
            customer=o.customer_id,
            close_month=o.close_month,
            first_contact_at=o.first_contact_at,
            _closed_or_max=closed["closed_at"].fill_null(FAR_FUTURE),
            **{uncut("closed_at"): closed[uncut("closed_at")]},
        )
        # Over the derived table alone, a view is a cheap filter; joined to
        # the history cut at T, it is computed once for the run.
        return self.view(o, materialise=not self._history_before_t)

    def stage_at(self, open_at_p):
        """Add the stage at end(P) (`stage`, `_stage_entered`, `_stage_prob`)
        to rows of (opportunity, period) with `_p_end`: the history row
        entered before end(P) whose next row (in entered_at, sequence, stage order)
        is not, so exactly one row per pair and no window over the rows.
        Found with an inner join (hash on the id, then ranges) and joined
        back on equality: a left join with ranges would loop over all rows."""
        h = self.history
        hh = h.select(
            _k_opp=h.opportunity_id, _k_stage=h.stage, _k_at=h.entered_at, _k_next=h._next_or_max, _k_prob=h._s_prob
        )
        t = open_at_p
        found = t.join(
            hh, (t.opportunity_id == hh._k_opp) & (hh._k_at < t._p_end) & (hh._k_next >= t._p_end)
        ).select("_k_opp", "_k_stage", "_k_at", "_k_prob", _k_period="period")
        out = t.left_join(found, (t.opportunity_id == found._k_opp) & (t.period == found._k_period))
        # No row before end(P): in no stage at end(P), so none entered (never stale)
        return out.mutate(stage=out._k_stage, _stage_entered=out._k_at, _stage_prob=out._k_prob).drop(
            "_k_opp", "_k_stage", "_k_at", "_k_prob", "_k_period"
        )

    def open_at_end(self):
        """(opportunity, period) for every opportunity open at end(P)."""
        return self._open_at([p.end_utc(self.tz) for p in self.periods], "_p_end")

    def open_at_start(self):
        return self._open_at([p.start_utc(self.tz) for p in self.periods], "_p_start")

    def _open_at(self, instants: list[datetime], col: str):
        """Opportunities open at the instant `col` of each period. Those
        open at none of the run's instants (closed before the first, made
        after the last) are left out first: the years of closed deals are
        not paired with every period."""
        o, P = self.opps, self.P
        span = instant_span(instants)
        if span is not None:
            first, last = span
            o = o.filter((o.created_at < last) & (o._closed_or_max >= first))
        return o.join(P, (o.created_at < P[col]) & (o._closed_or_max >= P[col]))

    @property
    def activities(self):
        return self._teamed("_activities")

    @shared
    def _activities(self):
        a = self.raw("activities")
        a = a.mutate(owner=a.owner_id, **self.cut_keeping(a, "done_at"))
        return self.view(a)

    @shared
    def customers(self):
        c = self._customer_attributes
        c = c.filter(c.acquired_on < self.Td)
        return self.view(c.mutate(churned_on=self.cut_date(c.churned_on)), materialise=True)

    @shared
    def _customer_attributes(self):
        """Every customer with its dimensions, acquired before T or not: an
        order or NPS answer dated before T has happened even when its
        customer's acquired_on is later, and keeps that customer's dimensions."""
        c = self.raw("customers")
        return self.view(self.with_team(c.mutate(owner=c.owner_id)), materialise=True)

    def customer_dims(self, t, key: str = "customer_id"):
        """Give records of a customer the customer's dimensions."""
        c = self._customer_attributes
        cd = c.select(
            _c_id=c.customer_id, owner=c.owner, team=c.team, source=c.source, region=c.region,
            segment=c.segment, industry=c.industry, company_size=c.company_size,
        )
        drop = [n for n in ("owner", "team", "source", "region", "segment", "industry", "company_size") if n in t.columns]
        t = t.drop(*drop) if drop else t
        return t.join(cd, t[key] == cd._c_id).drop("_c_id")

    @shared
    def orders(self):
        """Orders dated before T, converted, with their customer's
        dimensions. A view, not a table: a question reads the orders of its
        periods (revenue of a month reads one month's), which the engine
        finds before the joins; a table of every order ever cost the first
        page that shows revenue seconds on a large workspace."""
        o = self.raw("orders")
        o = o.filter(o.ordered_on < self.Td)
        o = self.convert(o, {"_amount": "amount", "_cost": "cost"}, "currency", "ordered_on")
        o = o.mutate(_cost=ibis.ifelse(o.cost.isnull(), ibis.null("float64"), o._cost), customer=o.customer_id)
        return self.view(self.customer_dims(o.drop("owner_id")))

    @shared
    def reps(self):
        r = self.raw("reps")
        r = r.filter(r.hired_on < self.Td)
        return r.mutate(left_on=self.cut_date(r.left_on))

    # -- local days --------------------------------------------------------
    def local_day(self, t, col: str, out: str):
        """Add `out`: the local date of instant column `col`. The distinct
        instants of `t` are read and dated here, so the engine does no
        time-zone arithmetic: meant for a small `t` (a rep's first activity),
        and right for an instant of any year."""
        instants = t.select(_ld_at=t[col]).distinct().filter(lambda s: s._ld_at.notnull()).to_pyarrow()
        at = instants.column("_ld_at").to_pylist()
        days = ibis.memtable(pa.table({
            "_ld_at": pa.array(at, pa.timestamp("us")),
            "_ld_day": pa.array([local_date(x, self.tz) for x in at], pa.date32()),
        }))
        j = t.left_join(days, t[col] == days._ld_at)
        return j.mutate(**{out: j._ld_day}).drop("_ld_at", "_ld_day")
