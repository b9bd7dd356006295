"""Activities: first responses to leads, work on deals (demos, quotes) and account check-ins,
done on time, late or never."""

from __future__ import annotations

import numpy as np

from koers.demo.arrays import categorical, repeat_ranges
from koers.demo.vocabulary import (
    ACT_BASE,
    ACT_TYPES_BY_KIND,
    ACT_WEEKLY,
    DEMO,
    ENTERPRISE,
    FIELD,
    INTAKE,
    QUOTE_ACT,
    by_activity_type,
)
from koers.demo.worktime import DAY, NEVER, WORK_LEN


class ActivitiesMixin:
    """Builds the activities (`build_activities`), after leads, deals and customers."""

    def build_activities(self):
        rng, cal, L, D, C = self.rng, self.cal, self.l, self.o, self.c
        parts = []
        horizon = self.until + 14 * DAY  # open work is planned up to two weeks ahead

        def part(owner, typ, t, lead=-1, opp=-1, cust=-1, planned=True, due=None):
            m = len(t)
            parts.append(dict(
                owner=np.asarray(owner, dtype="int32"), type=np.broadcast_to(typ, (m,)).astype("int8"),
                t=np.asarray(t, dtype="int64"), lead=np.broadcast_to(lead, (m,)).astype("int32"),
                opp=np.broadcast_to(opp, (m,)).astype("int32"), cust=np.broadcast_to(cust, (m,)).astype("int32"),
                planned=np.broadcast_to(planned, (m,)).astype(bool),
                due=np.broadcast_to(NEVER, (m,)).astype("int64") if due is None else due))

        # first response: an SLA task (due two hours after the lead came in) for inbound leads,
        # a logged call or message for outbound ones
        li = np.flatnonzero(L["resp"] < NEVER)
        ob = L["outbound"][li]
        typ = np.where(ob, categorical(rng, by_activity_type(call=0.6, email=0.15, linkedin=0.25), n=len(li)),
                       categorical(rng, by_activity_type(call=0.55, email=0.35, linkedin=0.1), n=len(li)))
        part(L["rep"][li], typ, L["resp"][li], lead=li, planned=False,
             due=np.where(ob, NEVER, L["created"][li] + 120))
        # follow-up attempts on inbound leads before they are qualified or dropped
        li2 = np.flatnonzero((L["resp"] < NEVER) & ~L["outbound"])
        idx, _ = repeat_ranges(rng.poisson(0.35, len(li2)))
        lead = li2[idx]
        end = np.minimum(np.minimum(L["q_at"][lead], L["d_at"][lead]), cal.add(L["resp"][lead], 10 * WORK_LEN))
        w0, w1 = cal.wm(L["resp"][lead]), cal.wm(np.minimum(end, horizon))
        t = cal.at(w0 + 1 + (rng.random(len(lead)) * np.maximum(w1 - w0 - 1, 1)).astype("int64"))
        follow_up = by_activity_type(call=0.3, email=0.35, voicemail=0.35)
        part(L["rep"][lead], categorical(rng, follow_up, n=len(lead)), t, lead=lead)
        # the intake meeting qualifies the lead
        lq = np.flatnonzero(L["q_at"] < NEVER)
        part(L["rep"][lq], INTAKE, L["q_at"][lq], lead=lq)
        del li, ob, typ, li2, idx, lead, end, w0, w1, t, lq

        # deal work, spread over the life of the deal
        n = self.n_opps
        end = np.where(D["closed"] < NEVER, D["closed"], horizon)
        weeks = np.minimum((end - D["created"]) / (7 * DAY), 26)
        rep0 = self.owner_at(D["rep_orig"], D["created"] // DAY)
        idx, _ = repeat_ranges(rng.poisson(self.r_act[rep0] * (ACT_BASE[D["kind"]] + ACT_WEEKLY[D["kind"]] * weeks)))
        w0, w1 = cal.wm(D["created"][idx]), cal.wm(end[idx])
        t = cal.at(w0 + (rng.random(len(idx)) * np.maximum(w1 - w0, 1)).astype("int64"))
        del w0, w1
        part(D["rep_orig"][idx], categorical(rng, ACT_TYPES_BY_KIND, D["kind"][idx]), t, opp=idx,
             cust=D["customer"][idx], planned=rng.random(len(idx)) < 0.9)
        del idx, t, end, weeks, rep0
        # a demo during needs analysis (field deals often by a pre-sales consultant), quotes at the quote stage
        ent = D["ent_t"]
        dm = np.flatnonzero((ent[:, 2] < NEVER) & (rng.random(n) < 0.7))
        t = cal.add(ent[dm, 2], rng.integers(60, 3 * WORK_LEN, len(dm)))
        owner = D["rep_orig"][dm]
        if len(self.presales):
            field = np.isin(D["kind"][dm], (FIELD, ENTERPRISE)) & (rng.random(len(dm)) < 0.4)
            owner = np.where(field, self.presales[rng.integers(0, len(self.presales), len(dm))], owner)
        part(owner, DEMO, t, opp=dm, cust=D["customer"][dm])
        qt = np.flatnonzero(D["reached_quote"])
        idx, j = repeat_ranges(1 + rng.poisson(0.3, len(qt)))
        t = cal.add(ent[qt[idx], 3], j * rng.integers(WORK_LEN, 4 * WORK_LEN, len(idx)))
        part(D["rep_orig"][qt[idx]], QUOTE_ACT, t, opp=qt[idx], cust=D["customer"][qt[idx]])
        del dm, t, owner, qt, idx, j

        # account management check-ins with customers
        lo = C["acq"] + 14
        hi = np.minimum(C["churn"], self.until_day + 14)
        cu, _ = repeat_ranges(rng.poisson(np.maximum(hi - lo, 0) / np.array([180.0, 90.0, 40.0])[C["seg"]]))
        day = cal.bd_shift(lo[cu] + (rng.random(len(cu)) * (hi[cu] - lo[cu])).astype("int64"), 0)
        part(C["am"][cu], categorical(rng, by_activity_type(call=0.35, email=0.25, meeting=0.3, other=0.1), n=len(cu)),
             self.working_time(day), cust=cu)
        del lo, hi, cu, day

        A = {}
        for key in list(parts[0]):
            A[key] = np.concatenate([p.pop(key) for p in parts])
        parts.clear()
        m = len(A["t"])
        # planned work is due at its moment; done on time, late, or never
        due = np.where(A["planned"], A["t"], A["due"])
        del A["due"]
        u = rng.random(m, dtype=np.float32)
        late = np.flatnonzero(A["planned"] & (u < 0.11))
        never = A["planned"] & (u >= 0.11) & (u < 0.145)
        del u
        done = A.pop("t")
        done[late] = cal.add(done[late], rng.lognormal(np.log(WORK_LEN), 0.9, len(late)).astype("int64") + 30)
        done[never | (done >= self.until)] = NEVER
        del late, never, A["planned"]
        # keep what is done, or planned up to the horizon; ids in order of the moment
        moment = np.minimum(done, due)
        keep = np.flatnonzero(moment < horizon)
        keep = keep[np.argsort(moment[keep], kind="stable")]
        moment = np.where(done < NEVER, done, due)[keep]
        for key in list(A):
            A[key] = A[key][keep]
        A["due"], A["done"] = due[keep], done[keep]
        del due, done, keep
        ps = np.isin(A["owner"], self.presales)
        A["owner"] = np.where(ps, A["owner"], self.owner_at(A["owner"], moment // DAY)).astype("int32")
        self.a = A
