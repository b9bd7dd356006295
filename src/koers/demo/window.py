"""Trimming the simulated history to the window the tables cover."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from koers.demo.worktime import DAY, NEVER


class WindowMixin:
    """Trims the warm-up years (`trim`)."""

    def trim(self):
        """Drop what ended before the window; keep what was still running at its start.

        Kept from the warm-up year: deals open at the start (with their leads and stage
        history), leads with an event in the window, customers active at the start (and any
        a kept record names) with their running contracts. A reference to a dropped
        warm-up deal (an order or contract of a deal won before the window) becomes null.
        """
        S, s_day = self.start_day * DAY, self.start_day
        L, D, C = self.l, self.o, self.c

        def remap(keep):
            new = np.full(len(keep) + 1, -1, dtype="int64")  # index -1 maps to -1
            new[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
            return new

        def ref(new, idx):
            return new[np.where(idx < 0, -1, idx)]

        keep_o = (D["created"] >= S) | (D["closed"] >= S)
        keep_l = np.zeros(self.n_leads, bool)
        keep_l[D["lead"][keep_o & (D["lead"] >= 0)]] = True
        keep_l |= L["created"] >= S
        for k in ("resp", "q_at", "c_at", "d_at"):
            keep_l |= (L[k] >= S) & (L[k] < NEVER)
        keep_c = C["churn"] >= s_day
        keep_c[D["customer"][keep_o & (D["customer"] >= 0)]] = True
        keep_c[L["referrer"][keep_l & (L["referrer"] >= 0)]] = True
        new_o, new_l, new_c = remap(keep_o), remap(keep_l), remap(keep_c)

        self.l = {k: v[keep_l] for k, v in L.items()}
        self.l["referrer"] = ref(new_c, self.l["referrer"])
        D = {k: v[keep_o] for k, v in D.items()}
        D["lead"], D["customer"] = ref(new_l, D["lead"]), ref(new_c, D["customer"])
        self.o = D
        h = keep_o[self.h["deal"]]
        self.h = {k: v[h] for k, v in self.h.items()}
        self.h["deal"] = new_o[self.h["deal"]]
        C["source"] = L["source"][C.pop("lead")]
        C["name"] = np.array(C["name"].to_pylist(), dtype=object) if isinstance(C["name"], pa.Array) else C["name"]
        self.c = {k: v[keep_c] for k, v in C.items()}
        self.c["opp"] = ref(new_o, self.c["opp"])
        ct = self.ct
        k = (ct["end"] > s_day) & keep_c[ct["cust"]]
        self.ct = {key: v[k] for key, v in ct.items()}
        self.ct["cust"], self.ct["opp"] = new_c[self.ct["cust"]], ref(new_o, self.ct["opp"])
        od = self.orders
        k = (od["day"] >= s_day) & keep_c[od["cust"]]
        self.orders = {key: v[k] for key, v in od.items()}
        self.orders["cust"], self.orders["opp"] = new_c[self.orders["cust"]], ref(new_o, self.orders["opp"])
        nps = self.nps
        k = (nps["day"] >= s_day) & keep_c[nps["cust"]]
        self.nps = {key: v[k] for key, v in nps.items()}
        self.nps["cust"] = new_c[self.nps["cust"]]
        a = self.a
        moment = np.where(a["done"] < NEVER, a["done"], a["due"])
        k = moment >= S
        for key, new in (("lead", new_l), ("opp", new_o), ("cust", new_c)):
            k &= (a[key] < 0) | (new[np.maximum(a[key], 0)] >= 0)
        k = np.flatnonzero(k)
        for key in list(a):
            a[key] = a[key][k]
        for key, new in (("lead", new_l), ("opp", new_o), ("cust", new_c)):
            a[key] = ref(new, a[key]).astype("int32")
        self.n_leads, self.n_opps, self.n_cust = int(keep_l.sum()), int(keep_o.sum()), int(keep_c.sum())
