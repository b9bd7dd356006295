"""Leads: their flow per rep and day (seasonality, growth, ramp-up), sources and campaigns,
and each lead's way through response, qualification and conversion in working time."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from koers.demo.arrays import categorical
from koers.demo.vocabulary import (
    ENTERPRISE,
    EVENT,
    EVENTS,
    FIELD,
    INDUSTRY_P,
    INSIDE,
    LEADS_PER_DAY,
    OUTBOUND,
    PAID_ADS,
    PARTNER_K,
    PRODUCT_BY_SEGMENT,
    REFERRAL,
    SEGMENT_BY_KIND,
    SIZE_BY_SEGMENT,
    SOURCE_BY_KIND,
    WEBSITE,
    WEEKEND_LEADS,
)
from koers.demo.worktime import DAY, NEVER, WORK_LEN, WORK_START, date_of, day_number, weekday


class LeadsMixin:
    """Builds the leads (`build_leads`), after the reps."""

    def build_leads(self):
        cfg, rng, cal = self.cfg, self.rng, self.cal
        sellers = np.flatnonzero(np.isin(self.r_kind, (INSIDE, FIELD, ENTERPRISE, PARTNER_K)))
        sellers = sellers[np.isin(self.r_role, ["inside_sales", "field_sales"])[sellers]]
        days = np.arange(self.sim_day, self.until_day)
        kind = self.r_kind[sellers]
        lam = (LEADS_PER_DAY[kind] * self.r_leads[sellers] * cfg.scale)[None, :] * self.intensity(days)[:, None]
        bd = cal.business(days)
        lam *= np.where(bd[:, None], 1.0, WEEKEND_LEADS[kind][None, :])
        active_from = self.r_hired[sellers] + 14
        active_to = np.where(self.r_left[sellers] < NEVER, self.r_left[sellers] - 12, NEVER)
        rel = days[:, None] - active_from[None, :]
        ramp = np.clip(0.3 + 0.7 * rel / 90.0, 0, 1) * (rel >= 0) * (days[:, None] < active_to[None, :])
        counts = rng.poisson(lam * ramp).ravel()
        rep = np.repeat(np.tile(sellers, len(days)), counts)
        day = np.repeat(np.repeat(days, len(sellers)), counts)
        n = len(rep)
        kind = self.r_kind[rep]
        team = self.r_team[rep]

        source = categorical(rng, SOURCE_BY_KIND, kind)
        weekend = ~cal.business(day)
        source = np.where(weekend, np.where(rng.random(n) < 0.6, WEBSITE, PAID_ADS), source)
        web = (source == WEBSITE) | (source == PAID_ADS)
        hour_w = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 4, 6, 6, 5.5, 4.5, 5, 5.5, 5, 4.5, 3.5, 2.5, 2.5,
                           2.8, 2.5, 1.5, 0.6])
        minute = np.where(web, categorical(rng, hour_w, n=n) * 60 + rng.integers(0, 60, n),
                          WORK_START + rng.integers(0, WORK_LEN, n))

        # event leads are met at an event and entered within a few working days
        y0, y1 = date_of(self.sim_day).year - 1, date_of(self.until_day).year
        ev_day, ev_code = [], []
        for y in range(y0, y1 + 1):
            for month, name in EVENTS:
                first = day_number(_dt.date(y, month, 1))
                tue = first + (1 - int(weekday(first))) % 7 + 7  # second Tuesday
                ev_day.append(tue + int(rng.integers(0, 3)))
                ev_code.append(self.campaign(f"{name} {y}"))
        ev_day, ev_code = np.array(ev_day), np.array(ev_code)
        order = np.argsort(ev_day, kind="stable")
        ev_day, ev_code = ev_day[order], ev_code[order]
        self.events = (ev_day, ev_code)
        is_ev = source == EVENT
        k = np.searchsorted(ev_day, day, side="right") - 1
        met = cal.bd_shift(ev_day[np.maximum(k, 0)], rng.geometric(0.45, n) - 1)
        move = (is_ev & (k >= 0) & (met >= self.r_hired[rep] + 14) & (met >= self.sim_day) & (met <= day)
                & (met < self.r_left[rep] - 12))
        day = np.where(move, met, day)
        campaign = np.full(n, -1)
        campaign[is_ev & (k >= 0)] = ev_code[k[is_ev & (k >= 0)]]

        years = (day.astype("M8[D]").astype("M8[Y]").astype("int64") + 1970)
        quarter = day.astype("M8[D]").astype("M8[M]").astype("int64") % 12 // 3 + 1
        ys = np.arange(years.min(), years.max() + 1)
        google = np.array([self.campaign(f"Google Ads {y}") for y in ys])
        linkedin = np.array([self.campaign(f"LinkedIn Ads {y}") for y in ys])
        letter = np.array([self.campaign(f"Nieuwsbrief {y}") for y in ys])
        cold = np.array([[self.campaign(f"Koude acquisitie {y}-Q{q}") for q in range(1, 5)] for y in ys])
        kwk = self.campaign("Klant-werft-klant")
        u = rng.random(n)
        yi = years - ys[0]
        campaign = np.where(source == PAID_ADS, np.where(u < 0.6, google[yi], linkedin[yi]), campaign)
        campaign = np.where((source == WEBSITE) & (u < 0.2), letter[yi], campaign)
        campaign = np.where((source == OUTBOUND) & (u < 0.5), cold[yi, quarter - 1], campaign)
        campaign = np.where((source == REFERRAL) & (u < 0.6), kwk, campaign)

        created = day * DAY + minute
        order = np.argsort(created, kind="stable")
        created, rep, kind, team, source, campaign = (a[order] for a in (created, rep, kind, team, source, campaign))
        n = len(created)

        region = categorical(rng, [cfg.teams[t].regions for t in range(len(cfg.teams))], team)
        segment = categorical(rng, SEGMENT_BY_KIND, kind)
        industry = categorical(rng, INDUSTRY_P, n=n)
        csize = categorical(rng, SIZE_BY_SEGMENT, segment)
        product = categorical(rng, PRODUCT_BY_SEGMENT, segment)

        # the funnel of a lead, in working time
        outbound = source == OUTBOUND
        slow = rep == self.r_profile["slow_responder"]
        answered = outbound | (rng.random(n) > np.where(slow, 0.08, 0.025))
        delay = np.maximum(1, rng.lognormal(np.log(self.r_resp[rep]), 0.9)).astype("int64")
        resp = np.where(outbound, created + rng.integers(0, 6, n), cal.add(created, delay))
        resp = np.where(answered, resp, NEVER)
        q_p = np.array([0.45, 0.7, 0.38, 0.45, 0.32, 0.6])[source] * np.where(kind == ENTERPRISE, 0.9, 1.0)
        qualified = answered & (rng.random(n) < q_p)
        q_at = np.where(qualified, cal.add(resp, rng.lognormal(np.log(WORK_LEN * 1.5), 0.8, n).astype("int64") + 5),
                        NEVER)
        converted = qualified & (rng.random(n) < np.where(kind == INSIDE, 0.78, 0.82))
        c_at = np.where(converted, cal.add(q_at, rng.lognormal(np.log(WORK_LEN * 2.0), 0.7, n).astype("int64") + 5),
                        NEVER)
        disq = ~converted & (rng.random(n) < np.where(qualified, 0.7, 0.8))
        disq_from = np.where(qualified, q_at, np.where(answered, resp, created))
        d_at = np.where(disq, cal.add(disq_from, rng.lognormal(np.log(WORK_LEN * 5.0), 1.0, n).astype("int64") + 5),
                        NEVER)
        # nothing happens at or after until
        resp, q_at, c_at, d_at = (np.where(a < self.until, a, NEVER) for a in (resp, q_at, c_at, d_at))

        self.l = dict(created=created, rep=rep, kind=kind, team=team, source=source, campaign=campaign,
                      region=region, segment=segment, industry=industry, size=csize, product=product,
                      resp=resp, q_at=q_at, c_at=c_at, d_at=d_at, outbound=outbound)
        self.n_leads = n
