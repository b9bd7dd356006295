"""Customers from won deals: account managers, churn, contracts and their renewals, upsells,
orders, NPS answers and the customers' names."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from koers.demo.arrays import categorical, repeat_ranges, round_to, take_text
from koers.demo.names import CITY_BY_REGION, LAST_BE, LAST_NL, WORD_BY_INDUSTRY
from koers.demo.vocabulary import AM, CHURN_P, COST_SHARE, NPS_BAD, NPS_GOOD, PRICE, REFERRAL, SUBSCRIPTION, WEBSITE
from koers.demo.worktime import DAY, NEVER, add_months


class CustomersMixin:
    """Customers, contracts, renewal and upsell deals, orders, NPS answers."""

    def build_customers(self, nb):
        rng, L, cfg = self.rng, self.l, self.cfg
        won = np.flatnonzero(nb["status"] == 1)
        acq = nb["closed"][won] // DAY
        order = np.argsort(acq, kind="stable")
        won, acq = won[order], acq[order]
        n = len(won)
        nb["customer"][won] = np.arange(n)
        li = nb["lead"][won]
        seg = L["segment"][li]
        # account manager: one employed on the day, of a team serving the segment
        am = np.full(n, -1)
        teams = [t for t, team in enumerate(cfg.teams) if team.kind == AM]
        for s in range(3):
            cand = np.flatnonzero(np.isin(self.r_team, [t for t in teams if s in cfg.teams[t].segments])
                                  & np.array([r == "account_manager" for r in self.r_role]))
            m = np.flatnonzero(seg == s)
            if len(m) == 0:
                continue
            emp = (self.r_hired[cand][None, :] < acq[m, None]) & (self.r_left[cand][None, :] > acq[m, None] + 30)
            emp[~emp.any(axis=1)] = True
            w = np.cumsum(emp, axis=1)
            pick = (rng.random(len(m)) * w[:, -1]).astype("int64")
            am[m] = cand[(w <= pick[:, None]).sum(axis=1)]
        self.c = dict(opp=won, acq=acq, lead=li, seg=seg, am=am, product=nb["product"][won], cur=nb["cur"][won],
                      region=L["region"][li], industry=L["industry"][li], size=L["size"][li],
                      churn=np.full(n, NEVER), reason=np.full(n, -1), unhappy=rng.random(n) < 0.15)
        self.n_cust = n

        # referrals name a customer acquired before the lead came in
        ref = np.flatnonzero(L["source"] == REFERRAL)
        avail = np.searchsorted(acq, L["created"][ref] // DAY, side="left")
        has = avail > 0
        L["referrer"] = np.full(self.n_leads, -1)
        L["referrer"][ref[has]] = (rng.random(has.sum()) * avail[has]).astype("int64")
        none = ref[~has]  # before the first customer there is nobody to refer
        L["source"][none] = WEBSITE
        L["campaign"][none] = -1

    def customer_churn(self):
        """Customers without a running contract leave at a yearly rate; contracts end through renewals."""
        rng, C = self.rng, self.c
        n = self.n_cust
        sub = SUBSCRIPTION[C["product"]]
        yearly = np.where(sub, 0.03, np.array([0.25, 0.12, 0.06])[C["seg"]]) * np.where(C["unhappy"], 3, 1)
        churn = C["acq"] + 30 + rng.exponential(365.25 / yearly).astype("int64")
        C["churn"] = np.where(churn < self.until_day, churn, NEVER)
        C["reason"] = np.where(C["churn"] < NEVER, categorical(rng, CHURN_P, n=n), -1)

    def contracts_and_renewals(self, opp_base):
        """Contracts of subscription customers; each expiring contract brings a renewal deal."""
        rng, C = self.rng, self.c
        cust = np.flatnonzero(SUBSCRIPTION[C["product"]])
        nb = self.nb
        opp = C["opp"][cust]
        start = C["acq"][cust]
        term = nb["term"][opp]
        total = nb["amount"][opp]
        ct = []
        deals = []
        offset = opp_base
        cur_opp = opp
        while len(cust):
            end = add_months(start, 12 * term)
            ct.append(dict(cust=cust, opp=cur_opp, start=start, end=end, total=total, term=term))
            create_day = self.cal.bd_shift(end - 75 - rng.integers(0, 25, len(cust)), 0)
            go = (create_day < self.until_day) & (create_day < C["churn"][cust])
            cust, end, total, term, create_day = cust[go], end[go], total[go], term[go], create_day[go]
            if not len(cust):
                break
            m = len(cust)
            created = self.working_time(create_day)
            seg = C["seg"][cust]
            loss = np.where(C["unhappy"][cust], 3.0, 1.0) * np.array([1.6, 1.0, 0.7])[seg] * 0.4
            pipe = self.run_pipeline(created, np.full(m, 3), loss, np.full(m, 2.0), np.zeros(m, bool),
                                     np.array([0, 0, 0, 0, 0.4]), lose_after=self.day_start(C["churn"][cust]))
            new_term = categorical(rng, (0.5, 0.25, 0.25), n=m) + 1
            new_total = total / term * rng.uniform(1.02, 1.06, m) * new_term
            cur = C["cur"][cust]
            rep0 = self.owner_at(C["am"][cust], created // DAY)
            d = self.deals(pipe, created=created, rep_orig=rep0, lead=np.full(m, -1), customer=cust,
                           product=C["product"][cust], seg=seg, eur=new_total * self.rate(cur, created // DAY),
                           cur=cur, term=new_term, deal_type=np.full(m, 3), kind=np.full(m, AM))
            d["amount"] = round_to(new_total, 1.0)
            deals.append(d)
            ids = offset + np.arange(m)
            offset += m
            won = (d["status"] == 1) & (end < self.until_day)
            lost = (d["status"] == 2) & (end < self.until_day)
            lc = cust[lost]
            earlier = C["churn"][lc] > end[lost]
            C["churn"][lc[earlier]] = end[lost][earlier]
            C["reason"][lc[earlier]] = np.where(d["reason"][lost][earlier] == 1, 1,
                                                categorical(rng, CHURN_P, n=int(earlier.sum())))
            cust, start, term, total, cur_opp = cust[won], end[won], new_term[won], d["amount"][won], ids[won]
        keys = ("cust", "opp", "start", "end", "total", "term")
        ct = {k: np.concatenate([c[k] for c in ct] + [np.zeros(0, "int64")]) for k in keys}
        keep = np.flatnonzero(ct["start"] < self.until_day)
        keep = keep[np.lexsort((ct["cust"][keep], ct["start"][keep]))]
        self.ct = {k: v[keep] for k, v in ct.items()}
        return deals, offset

    def upsells(self, opp_base):
        rng, C = self.rng, self.c
        lo = C["acq"] + 45
        hi = np.minimum(C["churn"], self.until_day)
        years = np.maximum(hi - lo, 0) / 365.25
        count = rng.poisson(years * np.array([0.35, 0.8, 1.6])[C["seg"]])
        cust, _ = repeat_ranges(count)
        m = len(cust)
        day = lo[cust] + (rng.random(m) * (hi[cust] - lo[cust])).astype("int64")
        day = self.cal.bd_shift(day, 0)
        keep = day < hi[cust]
        cust, day = cust[keep], day[keep]
        m = len(cust)
        created = self.working_time(day)
        seg = C["seg"][cust]
        cross = rng.random(m) < 0.45
        other = (C["product"][cust] + 1 + rng.integers(0, 4, m)) % 5
        product = np.where(cross, other, C["product"][cust])
        rep0 = self.owner_at(C["am"][cust], day)
        loss = np.array([0.7, 0.6, 0.6])[seg] * self.r_loss[rep0]
        pipe = self.run_pipeline(created, np.where(rng.random(m) < 0.6, 1, 2), loss, np.full(m, 0.8),
                                 np.zeros(m, bool), np.array([0, 0, 0.1, 0, 0.25]),
                                 lose_after=self.day_start(C["churn"][cust]))
        eur = PRICE[product, seg] * np.where(cross, 0.8, 0.3) * rng.lognormal(0, 0.35, m)
        return self.deals(pipe, created=created, rep_orig=rep0, lead=np.full(m, -1), customer=cust,
                          product=product, seg=seg, eur=eur, cur=C["cur"][cust], term=np.ones(m, "int64"),
                          deal_type=np.where(cross, 2, 1), kind=np.full(m, AM))

    def build_orders(self):
        rng, D, C = self.rng, self.o, self.c
        parts = []
        # one-off deals: an order when won
        won = np.flatnonzero((D["status"] == 1) & ((D["deal_type"] == 1) | (D["deal_type"] == 2)
                                                     | ~SUBSCRIPTION[D["product"]]) & (D["deal_type"] != 3))
        parts.append(dict(cust=D["customer"][won], opp=won, day=D["closed"][won] // DAY, amount=D["amount"][won],
                          product=D["product"][won], rep=D["rep"][won]))
        # subscriptions: billed monthly (quarterly for SMB) while the contract runs
        ct = self.ct
        if len(ct["cust"]):
            seg = C["seg"][ct["cust"]]
            step = np.where(seg == 0, 3, 1)
            stop = np.minimum(np.minimum(ct["end"], C["churn"][ct["cust"]]), self.until_day)
            months = np.round(ct["term"] * 12).astype("int64")
            n_bills = np.minimum(np.ceil((stop - ct["start"]) / (30.4375 * step)).astype("int64") + 1, months // step)
            n_bills = np.maximum(n_bills, 0)
            k, j = repeat_ranges(n_bills)
            day = add_months(ct["start"][k], j * step[k])
            keep = day < stop[k]
            k, day = k[keep], day[keep]
            amount = round_to(ct["total"][k] / ct["term"][k] / 12 * step[k], 0.01)
            cust = ct["cust"][k]
            parts.append(dict(cust=cust, opp=ct["opp"][k], day=day, amount=amount, product=C["product"][cust],
                              rep=self.owner_at(C["am"][cust], day)))
        Od = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        n = len(Od["day"])
        lo_hi = np.array(COST_SHARE)[Od["product"]]
        cost = round_to(Od["amount"] * rng.uniform(lo_hi[:, 0], lo_hi[:, 1]), 0.01)
        cost = np.where(rng.random(n) < 0.04, np.nan, cost)
        # credits
        cr = np.flatnonzero(rng.random(n) < 0.012)
        frac = np.where(rng.random(len(cr)) < 0.3, 1.0, rng.uniform(0.1, 0.5, len(cr)))
        cday = Od["day"][cr] + rng.integers(5, 60, len(cr))
        keep = cday < self.until_day
        cr, frac, cday = cr[keep], frac[keep], cday[keep]
        for key in Od:
            Od[key] = np.concatenate([Od[key], Od[key][cr]])
        Od["day"][n:] = cday
        Od["amount"][n:] = -round_to(Od["amount"][n:] * frac, 0.01)
        cost = np.concatenate([cost, -round_to(cost[cr] * frac, 0.01)])
        Od["cost"] = cost
        Od["cur"] = C["cur"][Od["cust"]]
        order = np.lexsort((Od["cust"], Od["day"]))
        self.orders = {k: v[order] for k, v in Od.items()}

    def build_nps(self):
        rng, C = self.rng, self.c
        first = C["acq"] + 60 + rng.integers(0, 120, self.n_cust)
        stop = np.minimum(C["churn"], self.until_day)
        waves = np.maximum(0, np.ceil((stop - first) / 182.5)).astype("int64")
        cu, j = repeat_ranges(waves)
        day = first[cu] + np.round(j * 182.5).astype("int64") + rng.integers(0, 10, len(cu))
        keep = (day < stop[cu]) & (rng.random(len(cu)) < 0.32)
        cu, day = cu[keep], day[keep]
        bad = C["unhappy"][cu] | (C["churn"][cu] < NEVER)
        score = np.where(bad, categorical(rng, NPS_BAD, n=len(cu)), categorical(rng, NPS_GOOD, n=len(cu)))
        order = np.lexsort((cu, day))
        self.nps = dict(cust=cu[order], day=day[order], score=score[order])

    def customer_names(self) -> pa.Array:
        rng, C = self.rng, self.c
        n = self.n_cust
        be = C["region"] >= 4
        lasts = np.array(LAST_NL + LAST_BE, dtype=object)
        last = np.where(be, len(LAST_NL) + rng.integers(0, len(LAST_BE), n), rng.integers(0, len(LAST_NL), n))
        words = [w for ws in WORD_BY_INDUSTRY for w in ws]
        starts = np.cumsum([0] + [len(ws) for ws in WORD_BY_INDUSTRY])
        counts = np.diff(starts)
        word = starts[C["industry"]] + (rng.random(n) * counts[C["industry"]]).astype("int64")
        cities = [c for cs in CITY_BY_REGION for c in cs]
        cstart = np.cumsum([0] + [len(cs) for cs in CITY_BY_REGION])
        city = cstart[C["region"]] + (rng.random(n) * np.diff(cstart)[C["region"]]).astype("int64")
        legal = np.where(be, np.where(rng.random(n) < 0.6, 1, 2), np.where(rng.random(n) < 0.85, 0, 3))
        cap = pa.array([s[0].upper() + s[1:] for s in lasts])
        return pc.binary_join_element_wise(
            take_text(cap, last), take_text(words, word), take_text(cities, city),
            take_text(("B.V.", "BV", "NV", "Groep B.V."), legal),
            " ")
