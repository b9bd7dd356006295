"""Writing the tables as a canonical dataset folder (one CSV per table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from koers.demo.worktime import DAY, date_of, dst_bounds


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write zero-padded decimal digits of values into out[:, col:col + width] (ASCII)."""
    v = values.astype("int64")
    for i in range(width - 1, -1, -1):
        out[:, col + i] = 48 + v % 10
        v //= 10


def _utc_us_to_text(values: np.ndarray) -> pa.Array:
    """UTC microseconds (int64 min = NaT) to `YYYY-MM-DDTHH:MM:SS+01:00`, Europe/Amsterdam local time.

    Built as fixed-width bytes with numpy: pyarrow's strftime takes a microsecond or more per value.
    Sub-second parts are dropped.
    """
    nat = values == np.iinfo("int64").min
    ok = values[~nat]
    summer = np.zeros(len(values), bool)
    if len(ok):
        lo, hi = int(ok.min() // 60_000_000 // DAY), int(ok.max() // 60_000_000 // DAY)
        years = range(date_of(lo).year - 1, date_of(hi).year + 2)
        bounds = dst_bounds(years, utc=True) * 60_000_000
        summer = np.searchsorted(bounds, values, side="right") % 2 == 1
    sec = np.where(nat, 0, values // 1_000_000 + np.where(summer, 7200, 3600))
    days = sec // 86400
    tod = sec - days * 86400
    d = days.astype("M8[D]")
    year = d.astype("M8[Y]").astype("int64") + 1970
    month = d.astype("M8[M]").astype("int64") % 12 + 1
    dom = (d - d.astype("M8[M]").astype("M8[D]")).astype("int64") + 1
    out = np.frombuffer(b"0000-00-00T00:00:00+01:00" * len(values), dtype=np.uint8).reshape(-1, 25).copy()
    _digits(out, 0, year, 4)
    _digits(out, 5, month, 2)
    _digits(out, 8, dom, 2)
    _digits(out, 11, tod // 3600, 2)
    _digits(out, 14, tod // 60 % 60, 2)
    _digits(out, 17, tod % 60, 2)
    out[summer, 21] = ord("2")
    valid = pa.py_buffer(np.packbits(~nat, bitorder="little"))
    arr = pa.Array.from_buffers(pa.binary(25), len(values), [valid, pa.py_buffer(out)], null_count=int(nat.sum()))
    return arr.cast(pa.string())


def _number_column(s: pd.Series) -> pa.Array:
    """Plain numbers: integral columns without `.0`, never scientific notation."""
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    nan = ~np.isfinite(v)
    fin = v[~nan]
    if len(fin) == 0 or (np.all(fin == np.round(fin)) and np.abs(fin).max() < 2**53):
        return pa.array(np.where(nan, 0, v).astype("int64"), mask=nan)
    text = pc.cast(pa.array(v, mask=nan), pa.string())  # shortest round-trip form
    sci = np.asarray(pc.fill_null(pc.match_substring(text, "e"), False))
    if not sci.any():
        return text
    # the rare very large or very small value, written out in full
    out = text.to_numpy(zero_copy_only=False)
    out[sci] = [np.format_float_positional(x, trim="-") for x in v[sci]]
    return pa.array(out, pa.string())


def write_folder(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write tables as a canonical dataset folder: `<table>.csv` each.

    UTF-8 with a header; timestamps as ISO 8601 local time with offset
    (`2025-03-04T09:15:00+01:00`), dates `YYYY-MM-DD`, `costs.month` as
    `YYYY-MM`, null as an empty field, numbers plain.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        cols, arrays = [], []
        for col in df.columns:
            s = df[col]
            dt = s.dtype
            if isinstance(dt, pd.DatetimeTZDtype):
                us = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
                arr = _utc_us_to_text(us.to_numpy().view("int64"))
            elif pd.api.types.is_datetime64_dtype(dt):
                sec = s.astype("datetime64[s]").to_numpy().view("int64")
                nat = sec == np.iinfo("int64").min
                ts = pa.array(sec, type=pa.timestamp("s"), mask=nat)
                if name == "costs" and col == "month":
                    arr = pc.strftime(ts, format="%Y-%m")
                else:
                    arr = ts.cast(pa.date32())
            elif pd.api.types.is_bool_dtype(dt):
                arr = pa.array(s.to_numpy(dtype=object))
            elif pd.api.types.is_integer_dtype(dt):
                arr = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True).cast(pa.int64())
            elif pd.api.types.is_float_dtype(dt):
                arr = _number_column(s)
            elif isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
                arr = pa.array(s.array)  # already Arrow: no copy through Python objects
            else:
                arr = pa.array(s.to_numpy(dtype=object, na_value=None), pa.string(), from_pandas=True)
            cols.append(col)
            arrays.append(arr)
        table = pa.table(arrays, names=cols) if cols else pa.table({})
        pacsv.write_csv(table, folder / f"{name}.csv", pacsv.WriteOptions(quoting_style="needed"))
