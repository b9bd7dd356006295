"""The sales organisation: reps, their teams and managers, hires, leavers and successors,
and each rep's behaviour (with the four deliberate profiles)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from koers.demo.arrays import ascii_only, numbered_ids, take_text
from koers.demo.names import DOMAIN, FIRST_BE, FIRST_NL, LAST_BE, LAST_NL, PROFILE_NAMES
from koers.demo.sizes import BELGIE
from koers.demo.vocabulary import AM, FIELD, INSIDE, KIND_ROLE
from koers.demo.worktime import NEVER, month_first_day, month_number, weekday

PROFILE_REPS = {
    "star": "R002",
    "slow_responder": "R003",
    "quote_loser": "R004",
    "over_forecaster": "R005",
}


class RepsMixin:
    """Builds the reps (`build_reps`) and tells who holds a rep's work on a day."""

    def owner_at(self, rep, day) -> np.ndarray:
        """Who holds the work of `rep` on `day`: a leaver's work passes to the successor."""
        rep = np.array(rep, dtype="int64", copy=True)
        day = np.asarray(day, dtype="int64")
        for _ in range(20):
            m = day >= self.r_left[rep]
            if not m.any():
                break
            rep[m] = self.r_succ[rep[m]]
        return rep

    def build_reps(self):
        cfg, rng = self.cfg, self.rng
        start, until, sim = self.start_day, self.until_day, self.sim_day
        span = until - start
        used = set(PROFILE_NAMES.values())
        team_ix = {t.name: i for i, t in enumerate(cfg.teams)}

        def name_for(team):
            be = team is not None and cfg.teams[team].regions == BELGIE
            firsts, lasts = (FIRST_BE, LAST_BE) if be else (FIRST_NL, LAST_NL)
            while True:
                nm = f"{firsts[rng.integers(len(firsts))]} {lasts[rng.integers(len(lasts))]}"
                if nm not in used:
                    used.add(nm)
                    return nm

        def monday(d):
            return int(d + (7 - weekday(d)) % 7)

        def first_of_next_month(d):
            return int(month_first_day(month_number(d) + 1))

        reps = []

        def add(name, team, role, hired, kind=None, profile=None, group="seller"):
            r = dict(name=name, team=team, role=role, hired=hired, left=None, succ=None,
                     kind=kind, profile=profile, group=group)
            reps.append(r)
            return r

        director = add(PROFILE_NAMES["director"], None, "sales_manager", monday(sim - 3300), group="director")
        profiles = []
        for p in ("star", "slow_responder", "quote_loser", "over_forecaster"):
            t = team_ix[cfg.profile_teams[p]]
            profiles.append(add(PROFILE_NAMES[p], t, KIND_ROLE[cfg.teams[t].kind],
                                monday(sim - int(rng.integers(200, 1900))), cfg.teams[t].kind, p))
        managers = [add(name_for(t), t, "sales_manager", monday(sim - int(rng.integers(100, 2700))), group="manager")
                    for t in range(len(cfg.teams))]
        field_team = next(i for i, t in enumerate(cfg.teams) if t.kind == FIELD)
        presales = [add(name_for(field_team), field_team, "other", monday(sim - int(rng.integers(30, 2200))),
                        group="presales") for _ in range(cfg.presales)]
        others = []
        for t, team in enumerate(cfg.teams):
            n_prof = sum(1 for p in profiles if p["team"] == t)
            n_start = max(n_prof, int(round(team.headcount * cfg.start_share))) - n_prof
            for _ in range(n_start):
                others.append(add(name_for(t), t, KIND_ROLE[team.kind],
                                  monday(sim - int(rng.integers(30, 2600))), team.kind))
            for _ in range(team.headcount - n_prof - n_start):  # growth hires
                others.append(add(name_for(t), t, KIND_ROLE[team.kind],
                                  monday(start + int(rng.uniform(0.05, 0.92) * span)), team.kind))

        def replace(r, left):
            r["left"] = left
            s = add(name_for(r["team"]), r["team"], r["role"], monday(left - int(rng.integers(18, 45))), r["kind"])
            r["succ"] = s
            return s

        if cfg.attrition == 0:  # small: one inside sales rep and one account manager leave
            for kind, share in ((INSIDE, 0.55), (AM, 0.35)):
                r = next(o for o in others if o["kind"] == kind)
                replace(r, first_of_next_month(start + int(share * span)))
        else:
            queue = list(others)
            while queue:
                r = queue.pop(0)
                begin = max(r["hired"] + 120, sim)
                left = first_of_next_month(begin + rng.exponential(365.25 / cfg.attrition))
                if left < until - 20:
                    queue.append(replace(r, left))

        # ids: director, the profiles (R002-R005), managers, pre-sales, then the rest by hire date
        rest = sorted((r for r in reps if r["group"] == "seller" and r["profile"] is None),
                      key=lambda r: (r["hired"], r["name"]))
        ordered = [director] + profiles + managers + presales + rest
        for i, r in enumerate(ordered):
            r["ix"] = i
        n = len(ordered)
        self.n_reps = n
        self.r_name = [r["name"] for r in ordered]
        self.r_team = np.array([-1 if r["team"] is None else r["team"] for r in ordered])
        self.r_role = [r["role"] for r in ordered]
        self.r_kind = np.array([-1 if r["kind"] is None else r["kind"] for r in ordered])
        self.r_hired = np.array([r["hired"] for r in ordered], dtype="int64")
        self.r_left = np.array([NEVER if r["left"] is None else r["left"] for r in ordered], dtype="int64")
        self.r_succ = np.array([-1 if r["succ"] is None else r["succ"]["ix"] for r in ordered])
        self.r_manager = np.array(
            [-1 if r is director else (director["ix"] if r["group"] == "manager" else managers[r["team"]]["ix"])
             for r in ordered])
        self.r_profile = {r["profile"]: r["ix"] for r in ordered if r["profile"]}
        self.team_names = [t.name for t in cfg.teams]
        self.presales = np.array([r["ix"] for r in presales], dtype="int64")

        # behaviour
        self.r_resp = np.exp(rng.normal(np.log(35), 0.35, n))  # median working minutes to respond
        self.r_loss = np.exp(rng.normal(0, 0.12, n))  # multiplies the chance to lose at every stage
        self.r_act = np.exp(rng.normal(0, 0.12, n))  # activities per deal
        self.r_bias = np.exp(rng.normal(0, 0.05, n))  # forecast / won value
        self.r_leads = np.exp(rng.normal(0, 0.1, n))
        self.r_quote_loser = np.zeros(n, dtype=bool)
        p = self.r_profile
        self.r_loss[p["star"]], self.r_act[p["star"]], self.r_leads[p["star"]] = 0.35, 2.0, 1.1
        self.r_resp[p["slow_responder"]] = 480.0
        self.r_quote_loser[p["quote_loser"]] = True
        self.r_bias[p["over_forecaster"]] = 1.4
        self.r_bias[p["star"]] = 0.97

        left = np.where(self.r_left < NEVER, self.r_left, -1)
        self.reps = {
            "rep_id": numbered_ids("R", n, 3),
            "name": pa.array(self.r_name),
            "email": pa.array([
                ascii_only(f"{nm.split(' ', 1)[0]}.{nm.split(' ', 1)[1]}").lower().replace(" ", "").replace("'", "")
                + "@" + DOMAIN for nm in self.r_name]),
            "team": take_text(self.team_names + ["Directie"],
                              np.where(self.r_team < 0, len(self.team_names), self.r_team)),
            "role": pa.array(self.r_role),
            "manager_id": self.r_manager,  # resolved to ids in frames
            "hired_on": ("date", self.r_hired),
            "left_on": ("date", np.where(left < 0, NEVER, left)),
        }
