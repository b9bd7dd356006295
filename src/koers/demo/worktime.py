"""Time as local minutes since 1970-01-01 00:00, Europe/Amsterdam wall clock.

Working on plain int64 minutes (not datetimes) keeps millions of moments cheap; conversion to
UTC happens only when the tables are made (`local_to_utc_us`).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

NEVER = np.int64(2**62)  # "not (yet)": compares after every real moment
DAY = 1440
WORK_START, WORK_LEN = 510, 540  # 08:30-17:30


def day_number(d: _dt.date) -> int:
    return (d - _dt.date(1970, 1, 1)).days


def date_of(day: int) -> _dt.date:
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))


def weekday(days):
    return (np.asarray(days) + 3) % 7  # Monday 0


def month_number(days) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return np.asarray(days, dtype="int64").astype("M8[D]").astype("M8[M]").astype("int64")


def month_first_day(months) -> np.ndarray:
    return np.asarray(months, dtype="int64").astype("M8[M]").astype("M8[D]").astype("int64")


def add_months(days, k) -> np.ndarray:
    """The same day of the month k months later (the month's last day when it is shorter)."""
    days = np.asarray(days, dtype="int64")
    m = month_number(days)
    dom = days - month_first_day(m)
    target = m + np.asarray(k, dtype="int64")
    length = month_first_day(target + 1) - month_first_day(target)
    return month_first_day(target) + np.minimum(dom, length - 1)


def _easter(year: int) -> _dt.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def _holidays(years) -> list[int]:
    out = []
    for y in years:
        e = _easter(y)
        king = _dt.date(y, 4, 27)
        if king.weekday() == 6:
            king = _dt.date(y, 4, 26)
        for d in (_dt.date(y, 1, 1), e + _dt.timedelta(1), king, e + _dt.timedelta(39),
                  e + _dt.timedelta(50), _dt.date(y, 12, 25), _dt.date(y, 12, 26)):
            out.append(day_number(d))
    return out


def _last_sunday(year: int, month: int) -> int:
    last = day_number(_dt.date(year, month, 31))
    return last - (int(weekday(last)) + 1) % 7


def dst_bounds(years, utc: bool) -> np.ndarray:
    """Sorted [start, end) pairs of summer time, in local or UTC minutes."""
    out = []
    for y in years:
        s, e = _last_sunday(y, 3) * DAY, _last_sunday(y, 10) * DAY
        out += [s + 60, e + 60] if utc else [s + 120, e + 180]
    return np.array(out, dtype="int64")


def local_to_utc_us(t: np.ndarray) -> np.ndarray:
    """Local wall-clock minutes (NEVER = missing) to UTC microseconds (NaT = missing)."""
    t = np.asarray(t, dtype="int64")
    ok = t < NEVER
    if not ok.any():
        return np.full(len(t), np.iinfo("int64").min, dtype="int64")
    lo, hi = int(t[ok].min()), int(t[ok].max())
    years = range(date_of(lo // DAY).year - 1, date_of(hi // DAY).year + 2)
    summer = np.searchsorted(dst_bounds(years, utc=False), t, side="right") % 2 == 1
    utc = (t - np.where(summer, 120, 60)) * 60_000_000
    return np.where(ok, utc, np.iinfo("int64").min)


class Calendar:
    """Dutch working days (Mon-Fri without public holidays), 08:30-17:30.

    A working-minute count `wm` numbers the working minutes from the first
    day of the calendar; adding working time is adding to `wm`.
    """

    def __init__(self, first_day: int, last_day: int):
        days = np.arange(first_day, last_day)
        years = range(date_of(first_day).year, date_of(last_day).year + 1)
        self.first = first_day
        self.is_bd = (weekday(days) < 5) & ~np.isin(days, _holidays(years))
        self.bd_before = np.concatenate([[0], np.cumsum(self.is_bd)[:-1]]).astype("int64")
        self.bd_days = days[self.is_bd]

    def business(self, days) -> np.ndarray:
        i = np.clip(np.asarray(days) - self.first, 0, len(self.is_bd) - 1)
        return self.is_bd[i]

    def wm(self, t) -> np.ndarray:
        t = np.asarray(t, dtype="int64")
        d = t // DAY
        i = np.clip(d - self.first, 0, len(self.is_bd) - 1)
        inside = np.where(self.is_bd[i], np.clip(t - d * DAY - WORK_START, 0, WORK_LEN), 0)
        return self.bd_before[i] * WORK_LEN + inside

    def at(self, w) -> np.ndarray:
        """The local moment of working minute w."""
        w = np.asarray(w, dtype="int64")
        k = np.clip(w // WORK_LEN, 0, len(self.bd_days) - 1)
        return self.bd_days[k] * DAY + WORK_START + w % WORK_LEN

    def add(self, t, minutes) -> np.ndarray:
        """t plus working minutes: a lead at 21:00 plus 30 minutes is 09:00 next working day."""
        return self.at(self.wm(t) + np.asarray(minutes, dtype="int64"))

    def bd_shift(self, days, n) -> np.ndarray:
        """The n-th working day after (n > 0) or before (n < 0) each day; n = 0 rolls forward."""
        i = np.clip(np.asarray(days) - self.first, 0, len(self.is_bd) - 1)
        n = np.asarray(n)
        idx = self.bd_before[i] + n - ((n > 0) & ~self.is_bd[i])
        return self.bd_days[np.clip(idx, 0, len(self.bd_days) - 1)]
