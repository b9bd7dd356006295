"""Targets (per rep, team and year) and the reps' forecasts of won value."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from koers.demo.arrays import period_month, period_quarter, round_to
from koers.demo.vocabulary import ACTIVITY_POINTS, AM, ENTERPRISE, FIELD, INSIDE
from koers.demo.worktime import DAY, NEVER, day_number, month_first_day, month_number


class PlansMixin:
    """Builds targets and forecasts, last: they follow from the won value and activity."""

    def won_by_rep_month(self):
        D = self.o
        w = np.flatnonzero(D["status"] == 1)
        eur = D["amount"][w] * self.rate(D["cur"][w], D["closed"][w] // DAY)
        m = month_number(D["closed"][w] // DAY) - self.m0
        A = np.zeros((self.n_reps, self.m_end - self.m0))
        np.add.at(A, (D["rep"][w][m >= 0], m[m >= 0]), eur[m >= 0])
        return A

    def build_targets_and_forecasts(self):
        rng, cal = self.rng, self.cal
        m_data_end = int(month_number(self.until_day - 1)) + 1  # months with data: [m0, m_data_end)
        self.m0 = int(month_number(self.start_day))
        self.m_end = ((m_data_end + 2) // 3 + 1) * 3  # targets run to the end of the quarter after next month
        M = self.m_end - self.m0
        months = np.arange(self.m0, self.m_end)
        mstart = month_first_day(months)
        mnext = month_first_day(months + 1)
        data = months < m_data_end
        A = self.won_by_rep_month()
        sellers = np.flatnonzero(np.isin(self.r_role, ["inside_sales", "field_sales", "account_manager"]))
        emp = (self.r_hired[:, None] < mnext[None, :]) & (self.r_left[:, None] > mstart[None, :])
        full = (self.r_hired[:, None] < mstart[None, :] - 45) & (self.r_left[:, None] > mnext[None, :])
        shape = self.intensity(mstart + 14)  # season and growth of each month

        def typical(X, reps):
            """Mean value per full rep-month with data, per unit of `shape`."""
            f = full[reps][:, data]
            if not f.any():
                return 0.0
            return float((X[reps][:, data][f] / shape[data][np.nonzero(f)[1]]).mean())

        trows = []  # (period, kpi, rep, team, value)

        def add(period, kpi, rep, team, value):
            k = len(period)
            trows.append((np.asarray(period).astype(str), np.full(k, kpi), np.broadcast_to(rep, (k,)),
                          np.broadcast_to(team, (k,)), np.broadcast_to(value, (k,)).astype(float)))

        # won value per rep and month, from the team's typical month; new reps ramp up
        team_target = np.zeros((len(self.team_names), M))
        for t in range(len(self.team_names)):
            reps = sellers[self.r_team[sellers] == t]
            if not len(reps):
                continue
            ramp = np.clip((mstart[None, :] - self.r_hired[reps][:, None]) / 120.0, 0.25, 1)
            tv = np.maximum(1000, round_to(typical(A, reps) * 1.08 * shape[None, :] * ramp, 1000)) * emp[reps]
            team_target[t] = tv.sum(axis=0)
            ri, mi = np.nonzero(emp[reps])
            add(period_month(months[mi]), "won_value", reps[ri], -1, tv[ri, mi])
        # activity points and qualified leads for inside sales, per month
        a = self.a
        done = a["done"] >= self.start_day * DAY
        done &= a["done"] < NEVER
        P = np.zeros((self.n_reps, M))
        np.add.at(P, (a["owner"][done], month_number(a["done"][done] // DAY) - self.m0),
                  np.array(ACTIVITY_POINTS)[a["type"][done]])
        L = self.l
        qm = (L["q_at"] < NEVER) & (L["q_at"] >= self.start_day * DAY)
        Q = np.zeros((self.n_reps, M))
        q_owner = self.owner_at(L["rep"][qm], L["q_at"][qm] // DAY)
        np.add.at(Q, (q_owner, month_number(L["q_at"][qm] // DAY) - self.m0), 1)
        inside = sellers[self.r_kind[sellers] == INSIDE]
        for kpi, X, step in (("activity_points", P, 10), ("qualified_leads", Q, 1)):
            tv = np.maximum(step, round_to(typical(X, inside) * 1.05 * shape, step))
            ri, mi = np.nonzero(emp[inside])
            add(period_month(months[mi]), kpi, inside[ri], -1, tv[mi])
        # team targets per quarter (quarters wholly inside the months above): won value for every
        # selling team, revenue for account management
        q_of = months // 3
        quarters = np.array([q for q in np.unique(q_of) if (q_of == q).sum() == 3])
        orders = self.orders
        rev = orders["amount"] * self.rate(orders["cur"], orders["day"])
        rev_team = self.r_team[self.owner_at(self.c["am"][orders["cust"]], orders["day"])]
        rev_q = month_number(orders["day"]) // 3
        for t, team in enumerate(self.cfg.teams):
            if team_target[t].sum() > 0:
                add(period_quarter(quarters), "won_value", -1, t,
                    np.array([team_target[t][q_of == q].sum() for q in quarters]))
            if team.kind == AM:
                qr = np.array([rev[(rev_team == t) & (rev_q == q)].sum() for q in quarters])
                has = quarters * 3 + 3 <= m_data_end
                base = qr[has][-2:].mean() if has.any() else 0.0
                qr = np.where(has, qr, base * 1.05)
                add(period_quarter(quarters), "revenue", -1, t, np.maximum(1000, round_to(qr * 1.06, 1000)))
        # company targets per year: last year's pace (annualised) plus 8%
        years = np.unique(months // 12)
        y_text = [str(1970 + y) for y in years]
        covered = np.array([max(min(day_number(_dt.date(1971 + y, 1, 1)), self.until_day)
                                - max(day_number(_dt.date(1970 + y, 1, 1)), self.start_day), 0) for y in years], float)
        acq = self.c["acq"][self.c["acq"] >= self.start_day]
        created = L["created"][L["created"] >= self.start_day * DAY] // DAY
        for kpi, ys, vals, step in (
            ("revenue", month_number(orders["day"]) // 12, rev, 1000),
            ("new_customers", month_number(acq) // 12, None, 1),
            ("leads", month_number(created) // 12, None, 10),
        ):
            tot = np.array([(vals[ys == y].sum() if vals is not None else (ys == y).sum()) for y in years], float)
            annual = np.where(covered >= 90, tot * 365.25 / np.maximum(covered, 1), np.nan)
            valid = np.flatnonzero(~np.isnan(annual))
            near = valid[np.abs(np.arange(len(years))[:, None] - valid[None, :]).argmin(axis=1)]
            annual = annual[near] * (1 + self.cfg.growth) ** (np.arange(len(years)) - near) * 1.08
            add(y_text, kpi, -1, -1, np.maximum(step, round_to(annual, step)))
        in_year = np.array([((months // 12) == y).sum() for y in years])
        yv = np.array([team_target[:, (months // 12) == y].sum() for y in years]) * 12 / in_year
        add(y_text, "won_value", -1, -1, round_to(yv, 1000))
        self.targets = {k: np.concatenate([r[i] for r in trows])
                        for i, k in enumerate(("period", "kpi", "rep", "team", "value"))}

        # forecasts of won value: each rep for next month, submitted on the last working day
        # before it (some revise an earlier one); field reps also for the next quarter
        trailing = np.zeros_like(A)
        for j in range(M):
            trailing[:, j] = A[:, max(0, j - 3):j].mean(axis=1) if j else A[:, 0]
        expect = np.where(data[None, :], 0.85 * A + 0.15 * trailing, trailing)  # reps know their pipeline
        final_day = cal.bd_shift(mstart, -1)
        ok = full & (final_day < self.until_day)[None, :] & (mstart > self.start_day)[None, :]
        ok[~np.isin(np.arange(self.n_reps), sellers)] = False
        f_rows = []
        ri, mi = np.nonzero(ok)
        amt = expect[ri, mi] * self.r_bias[ri] * rng.lognormal(0, 0.1, len(ri))
        f_rows.append((ri, period_month(months[mi]), final_day[mi], amt))
        rv = rng.random(len(ri)) < np.where(ri == self.r_profile["over_forecaster"], 0.6, 0.3)
        early = cal.bd_shift(mstart[mi[rv]], -1 - rng.integers(2, 6, rv.sum()))
        f_rows.append((ri[rv], period_month(months[mi[rv]]), early, amt[rv] * rng.lognormal(0, 0.12, rv.sum())))
        field = sellers[np.isin(self.r_kind[sellers], (FIELD, ENTERPRISE))]
        for q in quarters:
            qm = np.flatnonzero(q_of == q)
            sub = field[ok[field, qm[0]]]
            if len(sub):
                amt_q = expect[sub][:, qm].sum(axis=1) * self.r_bias[sub] * rng.lognormal(0, 0.1, len(sub))
                f_rows.append((sub, period_quarter(np.full(len(sub), q)), np.full(len(sub), final_day[qm[0]]), amt_q))
        fc = {k: np.concatenate([np.broadcast_to(r[i], (len(r[0]),)) for r in f_rows])
              for i, k in enumerate(("rep", "period", "day", "amount"))}
        fc["amount"] = np.maximum(0, round_to(fc["amount"], 500))
        o = np.lexsort((fc["day"], fc["period"], fc["rep"]))
        self.forecasts = {k: v[o] for k, v in fc.items()}
