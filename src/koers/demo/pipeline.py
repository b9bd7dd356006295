"""Deals through the stages: new business from converted leads, the pipeline walk every deal
takes (renewals and upsells too), and all deals numbered together."""

from __future__ import annotations

import numpy as np

from koers.demo.arrays import categorical, round_to
from koers.demo.vocabulary import (
    BASE_PASS,
    LOST,
    LOST_EARLY_P,
    LOST_LATE_P,
    LOST_QUOTE_LOSER_P,
    LOST_RENEWAL_P,
    PRICE,
    QUOTE,
    STAGE_DAYS,
    STAGE_PROB,
    SUBSCRIPTION,
    WON,
)
from koers.demo.worktime import DAY, NEVER, WORK_LEN


class PipelineMixin:
    """Builds every deal (`build_opportunities`) and its stage history."""

    def run_pipeline(self, created, first, loss_mult, scale, quote_loser, skip_p, lose_after=None):
        """Walk deals through the open stages; every deal starts at stage `first`.

        A deal that would be won at or after `lose_after` (the customer has gone by then)
        is lost in its last stage instead.

        Returns status (0 open, 1 won, 2 lost), closed (NEVER when open),
        current stage, exit stage and the history rows (deal, stage, entered).
        """
        rng, cal = self.rng, self.cal
        n = len(created)
        stages = np.arange(5)
        loss = (1 - BASE_PASS)[None, :] * loss_mult[:, None]
        loss[quote_loser, 3] = 0.72
        loss[quote_loser, 4] = 0.5
        loss = np.clip(loss, 0.01, 0.95)
        fail = rng.random((n, 5)) < loss
        reach = stages[None, :] >= first[:, None]
        skip = (rng.random((n, 5)) < skip_p[None, :]) & (stages[None, :] > first[:, None])
        active = reach & ~skip
        fail &= active
        lost = fail.any(axis=1)
        exit_ = np.where(lost, fail.argmax(axis=1), 5)
        entered = active & (stages[None, :] <= exit_[:, None])
        dur = rng.lognormal(np.log(STAGE_DAYS), 0.7, (n, 5)) * scale[:, None] * WORK_LEN
        drag = np.where(rng.random(n) < 0.04, 10.0, 1.5)  # lost deals linger; a few for months
        at_exit = stages[None, :] == exit_[:, None]
        dur = np.where(at_exit & lost[:, None], dur * drag[:, None], dur)
        dur = np.where(entered, np.maximum(dur, 5), 0).astype("int64")
        w0 = cal.wm(created)
        cum = np.cumsum(dur, axis=1)
        start_w = w0[:, None] + cum - dur
        closed = cal.at(w0 + cum[:, -1])
        if lose_after is not None:
            late = ~lost & (closed >= lose_after)
            lost |= late
            exit_ = np.where(late, 4 - np.argmax(entered[:, ::-1], axis=1), exit_)
        ent_t = cal.at(start_w)
        ent_t[np.arange(n), first] = created  # the first stage is entered when the deal is created
        ent_t = np.where(entered & (ent_t < self.until), ent_t, NEVER)
        is_closed = closed < self.until
        status = np.where(is_closed, np.where(lost, 2, 1), 0)
        closed = np.where(is_closed, closed, NEVER)
        last_open = 4 - np.argmax((ent_t < NEVER)[:, ::-1], axis=1)
        stage = np.where(status == 1, WON, np.where(status == 2, LOST, last_open))
        ri, rs = np.nonzero(ent_t < NEVER)
        h_deal = np.concatenate([ri, np.flatnonzero(is_closed)])
        h_stage = np.concatenate([rs, stage[is_closed]])
        h_at = np.concatenate([ent_t[ri, rs], closed[is_closed]])
        # the rep's expected close date, set at creation
        plan = (STAGE_DAYS[None, :] * reach).sum(axis=1) * scale * 1.4 * rng.lognormal(0, 0.3, n)
        expected = np.where(rng.random(n) < 0.85, created // DAY + np.round(plan).astype("int64"), NEVER)
        return dict(status=status, closed=closed, stage=stage, exit=exit_, h=(h_deal, h_stage, h_at),
                    expected=expected, reached_quote=entered[:, QUOTE] & (ent_t[:, QUOTE] < NEVER),
                    ent_t=ent_t)

    def new_business(self):
        rng, L = self.rng, self.l
        li = np.flatnonzero(L["c_at"] < NEVER)
        n = len(li)
        created = L["c_at"][li]
        rep = self.owner_at(L["rep"][li], created // DAY)
        seg = L["segment"][li]
        src = L["source"][li]
        loss = (np.array([0.85, 1.0, 1.15])[seg] * np.array([1.0, 0.75, 1.0, 1.0, 1.15, 0.9])[src]
                * self.r_loss[rep])
        scale = np.array([0.6, 1.0, 1.8])[seg]
        skip_p = np.array([0, 0.10, 0.08, 0, 0.12])
        pipe = self.run_pipeline(created, np.zeros(n, dtype="int64"), loss, scale, self.r_quote_loser[rep],
                                 skip_p)
        product = L["product"][li]
        term = np.where(SUBSCRIPTION[product], categorical(rng, (0.5, 0.25, 0.25), n=n) + 1, 1)
        eur = PRICE[product, seg] * rng.lognormal(0, 0.35, n) * term
        cur = np.where((seg > 0) & (rng.random(n) < 0.06), categorical(rng, (0.55, 0.35, 0.10), n=n), -1)
        return self.deals(pipe, created=created, rep_orig=L["rep"][li], lead=li, customer=np.full(n, -1),
                          product=product, seg=seg, eur=eur, cur=cur, term=term,
                          deal_type=np.where(rng.random(n) < 0.1, -1, 0), kind=L["kind"][li])

    def deals(self, pipe, *, created, rep_orig, lead, customer, product, seg, eur, cur, term, deal_type, kind):
        rng = self.rng
        n = len(created)
        amount = np.maximum(50.0, round_to(eur / self.rate(cur, created // DAY), 50))
        status, stage = pipe["status"], pipe["stage"]
        prob = np.where(rng.random(n) < 0.15,
                        np.clip(STAGE_PROB[stage] + rng.choice([-10, -5, 5, 10], n), 5, 95), np.nan)
        prob = np.where(status == 1, np.where(np.isnan(prob), np.nan, 100.0), prob)
        prob = np.where(status == 2, np.where(np.isnan(prob), np.nan, 0.0), prob)
        fc = np.where(stage == 3, np.where(rng.random(n) < 0.4, 2, 1), np.where(stage == 4, 2, 0))
        fc = np.where(rng.random(n) < 0.05, 3, fc)
        fc = np.where(status == 1, 2, np.where(status == 2, 3, fc))
        fc = np.where(rng.random(n) < 0.25, fc, -1)
        exit_late = pipe["exit"] >= 3
        ql = self.r_quote_loser[rep_orig]
        reason = np.where(ql & exit_late, categorical(rng, LOST_QUOTE_LOSER_P, n=n),
                          np.where(exit_late, categorical(rng, LOST_LATE_P, n=n), categorical(rng, LOST_EARLY_P, n=n)))
        renewal = deal_type == 3
        reason = np.where(renewal, categorical(rng, LOST_RENEWAL_P, n=n), reason)
        reason = np.where((status == 2) & (rng.random(n) < 0.95), reason, -1)
        return dict(created=created, rep_orig=rep_orig, lead=lead, customer=customer, product=product, seg=seg,
                    eur=eur, cur=cur, term=term, deal_type=deal_type, kind=kind, amount=amount, prob=prob, fc=fc,
                    reason=reason, **{k: pipe[k] for k in ("status", "closed", "stage", "expected",
                                                           "reached_quote", "ent_t")}, h=pipe["h"])

    def build_opportunities(self):
        self.nb = self.new_business()
        self.build_customers(self.nb)
        self.customer_churn()
        renewals, offset = self.contracts_and_renewals(len(self.nb["created"]))
        ups = self.upsells(offset)
        batches = [self.nb] + renewals + [ups]
        keys = [k for k in self.nb if k != "h"]
        D = {k: np.concatenate([b[k] for b in batches]) for k in keys}
        base = np.cumsum([0] + [len(b["created"]) for b in batches])
        h_deal = np.concatenate([b["h"][0] + base[i] for i, b in enumerate(batches)])
        h_stage = np.concatenate([b["h"][1] for b in batches])
        h_at = np.concatenate([b["h"][2] for b in batches])
        # ids in order of creation
        order = np.argsort(D["created"], kind="stable")
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        D = {k: v[order] for k, v in D.items()}
        self.c["opp"] = inv[self.c["opp"]]
        self.ct["opp"] = inv[self.ct["opp"]]
        lead = D["lead"]
        D["copy_lead"] = (lead >= 0) & (self.rng.random(len(lead)) < 0.3)  # some CRMs fill these in on the deal
        h_deal = inv[h_deal]
        ho = np.lexsort((h_at, h_deal))
        self.h = dict(deal=h_deal[ho], stage=h_stage[ho], at=h_at[ho])
        D["rep"] = self.owner_at(D["rep_orig"], np.minimum(D["closed"], self.until) // DAY)
        self.o = D
        self.n_opps = len(order)
        # upsells and renewals bring the customer; won new business the customer it made
        del self.nb
