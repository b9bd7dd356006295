"""The builder: one state, built step by step, and `build_demo`."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from koers.demo.activities import ActivitiesMixin
from koers.demo.arrays import release_memory
from koers.demo.customers import CustomersMixin
from koers.demo.frames import FramesMixin
from koers.demo.leads import LeadsMixin
from koers.demo.money import MoneyMixin
from koers.demo.people import RepsMixin
from koers.demo.pipeline import PipelineMixin
from koers.demo.plans import PlansMixin
from koers.demo.sizes import SIZES, Size
from koers.demo.vocabulary import SEASON, WARM_UP_DAYS
from koers.demo.window import WindowMixin
from koers.demo.worktime import DAY, NEVER, WORK_LEN, WORK_START, Calendar, day_number


class DemoBuilder(RepsMixin, LeadsMixin, PipelineMixin, CustomersMixin, ActivitiesMixin, MoneyMixin, PlansMixin,
                  WindowMixin, FramesMixin):
    """The demo company, built in steps that share this state (rng, calendar, the arrays of each table).

    Each concern is a mixin in its own module rather than a function passing a dozen arrays along:
    the steps read and amend each other's arrays, and the random draws must keep their order
    (see `build`) so that the same seed gives the same data.
    """

    def __init__(self, size: Size, seed: int, until: _dt.date, arrow_strings: bool):
        self.cfg = size
        self.rng = np.random.default_rng(seed)
        self.arrow = arrow_strings
        self.until_day = day_number(until)
        try:
            start = until.replace(year=until.year - size.years)
        except ValueError:  # 29 February
            start = until.replace(year=until.year - size.years, day=28)
        self.start_day = day_number(start)
        # The business runs two years before the window, so the window opens on a going concern
        # (customers, contracts, open deals); `trim` keeps of those years only what is still running.
        self.sim_day = self.start_day - WARM_UP_DAYS
        self.until = self.until_day * DAY  # local midnight: every event is before it
        self.cal = Calendar(self.sim_day - 400, self.until_day + 5 * 366)
        self.campaigns: list[str] = []
        self._campaign_code: dict[str, int] = {}

    def campaign(self, name: str) -> int:
        if name not in self._campaign_code:
            self._campaign_code[name] = len(self.campaigns)
            self.campaigns.append(name)
        return self._campaign_code[name]

    def intensity(self, days) -> np.ndarray:
        """Seasonality times growth of the business on each day."""
        days = np.asarray(days)
        dt = days.astype("M8[D]")
        month = dt.astype("M8[M]").astype("int64") % 12
        dom = (dt - dt.astype("M8[M]").astype("M8[D]")).astype("int64") + 1
        s = SEASON[month] * np.where((month == 11) & (dom >= 20), 0.3, 1.0)
        return s * (1 + self.cfg.growth) ** ((days - self.start_day) / 365.25)

    @staticmethod
    def day_start(days) -> np.ndarray:
        """The first minute of each day (NEVER stays NEVER)."""
        days = np.asarray(days, dtype="int64")
        return np.where(days < NEVER // DAY, days * DAY, NEVER)

    def working_time(self, days) -> np.ndarray:
        """A random moment within working hours on each (working) day."""
        days = np.asarray(days, dtype="int64")
        return days * DAY + WORK_START + self.rng.integers(0, WORK_LEN, len(days))

    def build(self) -> dict[str, pd.DataFrame]:
        self.build_reps()
        self.build_rates()
        self.build_leads()
        self.build_opportunities()
        self.build_orders()
        self.build_activities()
        self.build_nps()
        self.c["name"] = self.customer_names()
        self.trim()
        release_memory()
        self.build_costs()
        self.build_targets_and_forecasts()
        return self.frames()


def build_demo(size: str = "small", seed: int = 42, until: _dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The demo company's canonical tables, one DataFrame per table of data-model.md.

    `size` is small (1 year, 8 selling reps), medium (3 years, 40 reps) or
    large (5 years, 200 reps); `until` is the day after the last day of data
    (default: the first day of the current month). Text columns are object
    dtype (str or None) for small and medium, `string[pyarrow]` for large;
    see the package docstring (`koers.demo`) for every dtype and the reps with a profile.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    if until is None:
        until = _dt.date.today().replace(day=1)
    if isinstance(until, _dt.datetime):
        until = until.date()
    return DemoBuilder(SIZES[size], int(seed), until, arrow_strings=size == "large").build()
