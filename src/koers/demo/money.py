"""Exchange rates and the monthly marketing and sales costs."""

from __future__ import annotations

import numpy as np

from koers.demo.arrays import round_to
from koers.demo.vocabulary import EVENT, FOREIGN_EVENT, OUTBOUND, RATE_START, SALARY, WEBSITE
from koers.demo.worktime import DAY, month_first_day, month_number


class MoneyMixin:
    """Exchange rates (`build_rates`, `rate`) and costs (`build_costs`)."""

    def rate(self, cur, day) -> np.ndarray:
        """EUR per unit of currency code cur (-1 = EUR) on day."""
        cur = np.asarray(cur)
        i = np.clip(month_number(day) - self.rate_month0, 0, self.rates.shape[1] - 1)
        return np.where(cur < 0, 1.0, self.rates[np.maximum(cur, 0), i])

    def build_rates(self):
        rng = self.rng
        m0 = int(month_number(self.sim_day)) - 1
        m1 = int(month_number(self.until_day - 1))
        self.rate_month0 = m0
        k = m1 - m0 + 1
        steps = rng.normal(0, 0.015, (3, k))
        steps[:, 0] = 0
        self.rates = np.round(np.array(RATE_START)[:, None] * np.exp(np.cumsum(steps, axis=1)), 4)
        self.rate_months = np.arange(m0, m1 + 1)

    def build_costs(self):
        rng, L = self.rng, self.l
        m_first = int(month_number(self.start_day - 1)) + 1  # a cost counts at its month's first day
        m_last = int(month_number(self.until_day - 1))
        rows = []  # month, category(0 marketing, 1 sales), source, campaign, amount, currency
        lm = month_number(L["created"] // DAY)
        cpl = np.array([120.0, 150.0, 350.0, 250.0, 90.0, 400.0])  # per lead, by source
        key = (lm - m_first) * 10_000 + L["source"] * 1000 + (L["campaign"] + 1)
        uk, cnt = np.unique(key, return_counts=True)
        months = uk // 10_000 + m_first
        src = uk // 1000 % 10
        camp = uk % 1000 - 1
        amount = cnt * cpl[src] * rng.lognormal(0, 0.15, len(uk))
        ev_names = set(self.events[1].tolist())
        is_event_campaign = np.isin(camp, list(ev_names))
        keep = ~is_event_campaign & (months <= m_last) & (months >= m_first)
        cat = np.where(src == OUTBOUND, 1, 0)
        cur = np.full(len(uk), -1)
        linkedin = np.array([self.campaigns[c].startswith("LinkedIn") if c >= 0 else False for c in camp])
        amount = np.where(linkedin, amount / self.rate(0, month_first_day(months)), amount)
        cur = np.where(linkedin, 0, cur)
        rows.append((months[keep], cat[keep], src[keep], camp[keep], amount[keep], cur[keep]))
        # events: stand and travel in the event's month
        ev_day, ev_code = self.events
        em = month_number(ev_day)
        ek = (em >= m_first) & (em <= m_last)
        foreign = np.array([self.campaigns[c].startswith(FOREIGN_EVENT) for c in ev_code])
        ev_amt = rng.uniform(25000, 60000, len(ev_day)) * max(1.0, len(self.presales) / 1.5)
        ev_amt = np.where(foreign, ev_amt / self.rate(1, ev_day), ev_amt)
        rows.append((em[ek], np.zeros(ek.sum(), int), np.full(ek.sum(), EVENT), ev_code[ek], ev_amt[ek],
                     np.where(foreign, 1, -1)[ek]))
        # every month: content and SEO (website, no campaign) and partner fees are in the lead groups;
        # sales: salaries of everyone employed mid-month, and sales tooling (outbound, no campaign)
        all_m = np.arange(m_first, m_last + 1)
        mid = month_first_day(all_m) + 14
        salary = np.array([SALARY[r] for r in self.r_role]) * 1.3
        salary[0] = 11000 * 1.3
        emp = (self.r_hired[None, :] < mid[:, None]) & (self.r_left[None, :] > mid[:, None])
        pay = (emp * salary[None, :]).sum(axis=1) * rng.lognormal(0, 0.01, len(all_m))
        rows.append((all_m, np.ones(len(all_m), int), np.full(len(all_m), -1), np.full(len(all_m), -1), pay,
                     np.full(len(all_m), -1)))
        website = np.full(len(all_m), 6000.0) * max(1.0, self.n_reps / 15) * rng.lognormal(0, 0.1, len(all_m))
        rows.append((all_m, np.zeros(len(all_m), int), np.full(len(all_m), WEBSITE),
                     np.full(len(all_m), self.campaign("Website & SEO")), website, np.full(len(all_m), -1)))
        cols = [np.concatenate([r[i] for r in rows]) for i in range(6)]
        order = np.lexsort((cols[3], cols[2], cols[1], cols[0]))
        month, cat, src, camp, amt, cur = (c[order] for c in cols)
        # one row per (month, category, source, campaign)
        key = np.stack([month, cat, src, camp])
        dup = np.zeros(len(month), bool)
        dup[1:] = (key[:, 1:] == key[:, :-1]).all(axis=0)
        assert not dup.any()
        self.costs = dict(month=month, cat=cat, src=src, camp=camp, amount=round_to(amt, 0.01), cur=cur)
