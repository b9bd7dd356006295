"""compute(): (kpis, periods, by, where, as_of) -> one tidy table.

The one entry point that CLI, web pages, API and alerts share. A ratio is a
ratio of sums at every grain, never an average of ratios: every part returns
its numerator and denominator and composite KPIs combine those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from koers.kpis.catalog import CATALOG_BY_ID
from koers.kpis.context import Context
from koers.kpis.model import Agg, Kpi
from koers.periods import Period, trailing_year


class QueryError(ValueError):
    """A question that cannot be asked: unknown KPI, dimension or value."""


@dataclass
class Result:
    rows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def check_query(kpi_ids: list[str], by: list[str], where: dict[str, str]) -> list[Kpi]:
    unknown = [k for k in kpi_ids if k not in CATALOG_BY_ID]
    if unknown:
        raise QueryError(
            f"unknown KPI {', '.join(unknown)}; valid KPIs: {', '.join(sorted(CATALOG_BY_ID))}"
        )
    kpis = [CATALOG_BY_ID[k] for k in kpi_ids]
    for k in kpis:
        for dim in list(by) + list(where):
            if dim not in k.dimensions:
                raise QueryError(
                    f"'{dim}' is not a dimension of {k.id}; valid dimensions: {', '.join(k.dimensions)}"
                )
    if len(set(by)) != len(by):
        raise QueryError("a dimension is named twice in --by")
    check_values(where)
    return kpis


def check_values(filters: dict[str, str]) -> None:
    """A filter value with a NUL character: no text holds one, and the SQL
    a backend is sent could not quote it."""
    for dim, value in filters.items():
        if "\x00" in str(value):
            raise QueryError(f"the value of {dim} holds a NUL character")


def needs_warning(kpi: Kpi, missing: list[str]) -> str:
    """The warning of a KPI whose tables are absent or empty (cli.md)."""
    return f"{needs_prefix(kpi)}{_needs(missing)[len('needs '):]}; its values are empty"


def needs_prefix(kpi: Kpi) -> str:
    """How needs_warning() starts: a result with such a warning measured nothing."""
    return f"{kpi.id}: needs "


def _needs(missing: list[str]) -> str:
    if len(missing) == 1:
        return f"needs the table {missing[0]}, which is absent or empty"
    return f"needs the tables {', '.join(missing)}, which are absent or empty"


def one_value_each(items, what: str = "") -> dict[str, str]:
    """Name-value pairs (a query string's, or DIM=VALUE items) as one value
    per name. A name given twice with two values is refused: owner=R1&owner=R2
    does not mean "either", and keeping one would show a figure for the
    other rep than asked. A NUL character is no value any text holds."""
    out: dict[str, str] = {}
    for name, value in items:
        if "\x00" in name or "\x00" in value:
            raise QueryError(f"{what}{name}: a NUL character is not a value")
        if name in out and out[name] != value:
            raise QueryError(f"{what}{name} is given twice ('{out[name]}' and '{value}'); give one value")
        out[name] = value
    return out


def dim_values(items: list[str], what: str) -> dict[str, str]:
    """DIM=VALUE items (`--where`, the API's where and match) as one value per dimension, trimmed."""
    split = []
    for item in items:
        if "=" not in item:
            raise QueryError(f"{what} takes DIM=VALUE, got '{item}'")
        dim, value = item.split("=", 1)
        split.append((dim.strip(), value.strip()))
    return one_value_each(split, f"{what} ")


class Engine:
    """Computes KPIs for one set of periods as of one moment."""

    def __init__(self, con, settings, periods: list[Period], as_of: datetime, shared: dict | None = None):
        # `shared`: base tables built for the same as-of moment by an earlier run
        self.ctx = Context(con, settings, periods, as_of, shared=shared)
        self.periods = periods
        self._parts: dict = {}
        self._contexts: list[Context] = []  # kept alive: part() keys on id(ctx)
        self.warnings: list[str] = []

    def release(self) -> None:
        """Drop the run's temporary base tables: a long-lived connection
        (tests, the server) would otherwise keep every run's copies."""
        self.ctx.release()

    def missing_tables(self, kpi: Kpi) -> list[str]:
        return [t for t in kpi.needs if self.ctx.size(t) == 0]

    def part(self, kpi: Kpi, by: tuple[str, ...], where: tuple[tuple[str, str], ...], ctx=None) -> pd.DataFrame:
        """period, *by, value, numerator, denominator for one KPI; every
        period present when unsplit."""
        ctx = ctx or self.ctx
        key = (kpi.id, by, where, id(ctx))
        if key not in self._parts:
            if kpi.agg == Agg.COMPOSITE:
                df = kpi.combine(self, ctx, list(by), dict(where))
            else:
                df = self._aggregate(kpi, ctx, list(by), dict(where))
            # target_attainment has rows only where a target exists
            if not by and "target_kpi" not in df.columns:
                df = self._fill_periods(kpi, df, ctx)
            self._parts[key] = df
        return self._parts[key]

    def shifted(self, ctx, kind: str):
        """A context over other periods standing for ctx's: the previous
        period, the period a year earlier, or the 12 months ending at end(P).
        Returns it with the map from its `period` values back to ctx's."""
        key = ("shifted", id(ctx), kind)
        if key not in self._parts:
            pairs = []
            for p in ctx.periods:
                if kind == "previous":
                    q = p.previous()
                elif kind == "year":
                    q = p.year_earlier()
                else:
                    q = trailing_year(p)
                if q is not None:
                    pairs.append((p, q))
            new = Context(ctx.con, ctx.settings, [q for _, q in pairs], ctx.as_of, shared=ctx._shared)
            back = {getattr(q, "key", q.start): p.start for p, q in pairs}
            self._contexts.append(new)
            self._parts[key] = (new, back)
        return self._parts[key]

    def _aggregate(self, kpi: Kpi, ctx, by: list[str], where: dict[str, str]) -> pd.DataFrame:
        ctx.asked = {*by, *where}
        try:
            pop = kpi.population(ctx)
        finally:
            ctx.asked = None
        pop = apply_where(pop, where)
        keys = ["period"] + by
        agg = kpi.agg
        metrics = {}
        if agg == Agg.COUNT:
            metrics["numerator"] = pop.count()
        elif agg == Agg.SUM:
            metrics["numerator"] = pop._x.sum()
        elif agg == Agg.MEAN:
            metrics["numerator"] = pop._x.sum()
            metrics["denominator"] = pop._x.count()
        elif agg == Agg.RATIO:
            metrics["numerator"] = pop._n.sum()
            metrics["denominator"] = pop._d.sum()
        elif agg == Agg.MEDIAN:
            metrics["value"] = pop._x.median()
            metrics["denominator"] = pop._x.count()
        elif agg == Agg.NPS:
            metrics["numerator"] = (pop._n - pop._x).sum()
            metrics["denominator"] = pop.count()
        df = pop.group_by(keys).aggregate(**metrics).execute()
        df["period"] = as_dates(df["period"])
        return finish(kpi, df, by)

    def _fill_periods(self, kpi: Kpi, df: pd.DataFrame, ctx) -> pd.DataFrame:
        periods = pd.DataFrame({"period": pd.Series([getattr(p, "key", p.start) for p in ctx.periods], dtype=object)})
        df = periods.merge(df, on="period", how="left")
        if kpi.agg in (Agg.COUNT, Agg.SUM):
            df["numerator"] = df["numerator"].fillna(0)
            df["value"] = df["numerator"]
        elif kpi.agg in (Agg.RATIO, Agg.MEAN, Agg.NPS):
            df["numerator"] = df["numerator"].fillna(0)
            df["denominator"] = df["denominator"].fillna(0)
        return df

    def _warn_unmeasured_targets(self, kpi: Kpi, df: pd.DataFrame) -> None:
        """A target whose KPI's tables are absent has a null actual: say why, as for a KPI asked itself."""
        for target_kpi in sorted({t for t in df["target_kpi"] if isinstance(t, str) and t in CATALOG_BY_ID}):
            missing = self.missing_tables(CATALOG_BY_ID[target_kpi])
            if missing:
                self.warnings.append(f"{kpi.id}: the actual of {target_kpi} {_needs(missing)}; its attainment is empty")

    def compute(self, kpi_ids: list[str], by: list[str], where: dict[str, str]) -> Result:
        kpis = check_query(kpi_ids, by, where)
        frames = []
        for k in kpis:
            missing = self.missing_tables(k)
            if missing:
                self.warnings.append(needs_warning(k, missing))
                keys = [*k.split, *by]
                df = pd.DataFrame({"period": [p.start for p in self.periods]}) if not keys else pd.DataFrame(
                    columns=["period", *keys])
                for c in ("value", "numerator", "denominator"):
                    df[c] = None
            else:
                df = self.part(k, tuple(by), tuple(sorted(where.items())))
                if "target_kpi" in df.columns:
                    self._warn_unmeasured_targets(k, df)
            df = df.copy()
            df.insert(0, "kpi", k.id)
            if not k.is_ratio:
                df["numerator"] = None
                df["denominator"] = None
            frames.append(df)
        rows = tidy(frames, by)
        return Result(rows, self.warnings)


def as_dates(col: pd.Series) -> list:
    if col.dtype.kind == "M":  # as engines return them: by column, not a Timestamp per row
        out = col.dt.date.tolist()
        for i in np.flatnonzero(col.isna().to_numpy()):
            out[i] = None
        return out
    return [None if v is None or v is pd.NaT else pd.Timestamp(v).date() for v in col]


def apply_where(t, where: dict[str, str]):
    for dim, value in where.items():
        t = t.filter(t[dim].isnull() if value == "" else t[dim] == value)
    return t


def finish(kpi: Kpi, df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Add `value` from numerator and denominator by the KPI's aggregation."""
    agg = kpi.agg
    if agg in (Agg.COUNT, Agg.SUM):
        df["value"] = df["numerator"]
    elif agg in (Agg.MEAN, Agg.RATIO):
        df["value"] = [divide(n, d) for n, d in zip(df["numerator"], df["denominator"])]
    elif agg == Agg.NPS:
        df["value"] = [None if not d else 100.0 * n / d for n, d in zip(df["numerator"], df["denominator"])]
    for c in ("value", "numerator", "denominator"):
        if c not in df:
            df[c] = None
    # keys stay objects even when no row came back: pandas would make an
    # empty column float64, and composite KPIs merge parts on these keys
    for c in ("period", *by):
        df[c] = df[c].astype(object)
    return df[["period", *by, "value", "numerator", "denominator"]]


def divide(n, d):
    if d is None or n is None or _isnan(d) or _isnan(n) or d == 0:
        return None
    return n / d


def _isnan(x) -> bool:
    try:
        return x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False


def tidy(frames: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    """One table of every frame's rows, in object columns of plain Python
    values (None for missing), sorted by kpi, period, target KPI and the
    dimensions as text. Column by column: a row at a time cost more than
    the query on a large workspace."""
    cols = ["kpi", "period"]
    if any("target_kpi" in f.columns for f in frames):
        cols.append("target_kpi")
    cols += [*by, "value", "numerator", "denominator"]
    if not frames:
        return pd.DataFrame(columns=cols)
    frames = [f.reindex(columns=cols) for f in frames]
    data = {}
    for c in cols:
        data[c] = []
        for f in frames:
            data[c] += _plain(f[c])
    sort = ["kpi", "period"] + (["target_kpi"] if "target_kpi" in cols else []) + by
    order = _stable_order([_as_text(data[c]) for c in sort])
    return pd.DataFrame({c: _objects(data[c])[order] for c in cols})


def _as_text(values: list) -> list[str]:
    """The text a column sorts by: '' for missing."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if kinds <= {str, type(None)}:
        return ["" if v is None else v for v in values]
    # each distinct value once: a column of dates repeats a few values
    text = {v: "" if v is None else str(v) for v in set(values)}
    return [text[v] for v in values]


def _stable_order(keys: list[list[str]]) -> np.ndarray:
    """Row positions sorted by the keys, first key first, ties in row order:
    each key's rank among its sorted distinct values, then a stable lexsort."""
    ranks = [pd.factorize(_objects(k), sort=True)[0] for k in keys]
    return np.lexsort(ranks[::-1])


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _plain(col: pd.Series) -> list:
    """A column's values as Python objects, None where missing."""
    if col.dtype.kind in "fiub":
        values = col.to_numpy()
        out = values.tolist()
        if col.dtype.kind == "f":
            for i in np.flatnonzero(np.isnan(values)):
                out[i] = None
        return out
    out = col.tolist()
    for i in np.flatnonzero(col.isna().to_numpy()):
        out[i] = None
    if any(issubclass(kind, np.generic) for kind in set(map(type, out))):
        out = [v.item() if isinstance(v, np.generic) else v for v in out]
    return out


def compute(con, settings, kpi_ids, periods, by=(), where=None, as_of=None) -> Result:
    from koers.store import now_utc

    engine = Engine(con, settings, periods, as_of or now_utc())
    try:
        return engine.compute(list(kpi_ids), list(by), dict(where or {}))
    finally:
        engine.release()

