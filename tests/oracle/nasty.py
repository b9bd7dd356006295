"""A deterministic generator of a small but deliberately nasty canonical dataset.

`write_nasty(folder, seed)` writes the 15 canonical CSV files of
data-model.md into `folder` and returns the as-of moment T and the period
ranges to ask the KPIs with. Every row is valid (an import rejects nothing),
but the data sits on every edge the definitions of kpis.md have, so that
Koers's engine and the independent reference in this folder are held against
each other where they are most likely to differ. Only `random.Random(seed)`
draws: the same seed gives byte-identical files.

The nasty cases, in the workspace zone Europe/Amsterdam:
- moments exactly on period starts (local midnight on the 1st, Monday 00:00,
  1 January), one second before them (23:59:59), exactly at T and at T - 1s;
- the DST changes (2024-10-27, 2025-03-30, 2025-10-26, 2026-03-29): events
  on those days, lead responses, stage stays and sales cycles across them;
  a local time in the spring gap or in the repeated autumn hour is never
  written without an offset (with one it is, e.g. 02:30+01:00 and +02:00);
- about 15% of timestamps written with an offset (Z, +00:00, +01:00, +02:00,
  -05:00), so that the UTC date, month or year differs from the local one;
- dates on the 1st, on Mondays, on 1 January, on DST Sundays, on T's date
  and on the day after it;
- reps: hired mid-month, leaving on a 1st, leaving the day after T, hired
  after T, left before the data starts yet still owning records, no team;
- customers acquired and churned in the same month and on the same day,
  churned on a month, quarter or year start, on T's date and after T;
- deals open across period ends, closed on boundaries, at T and after T,
  in USD and GBP, without amount, probability, deal_type or dimensions
  (taken from the lead, or null without one), without a lead; stage
  histories that skip stages, re-enter a stage, start after created_at, and
  won or lost deals with and without a final won or lost row; a stage
  without probability;
- leads answered at creation, exactly 2 hours later (the SLA, also across a
  DST change where wall-clock hours differ), one second over it, after T or
  never; converted after T; without owner; referrals;
- activities of every type, without due_at or done_at, done exactly on
  time, late, after T, due after T; done exactly at a won deal's closed_at
  and one second after it; linked to a deal, a lead, both, a customer or
  nothing; two types without points (they score 0);
- orders with credits, unknown cost and mixed currencies, and an order and
  an NPS answer dated before their customer's acquired_on (signed on T's
  day and the day after); contracts of a
  day, months, exactly a year and several years; costs with null source and
  in USD; exchange rates changing on a 1st, on a DST Sunday and after T;
- targets at every grain (year, quarter, month, ISO week, one week across a
  year end) and scope (rep, team, company, a rep row carrying a team, a
  rep and a team without a record of the KPI), overlapping; forecasts submitted before, on and after a period's first
  day and after T; NPS scores 0-10 with 6, 7, 8 and 9, on boundaries.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tests.oracle.base import COLUMNS, TZ, UTC

FMT = "%Y-%m-%dT%H:%M:%S"

# (stage, sequence, probability, kind, forecast_category); "Demo" has no probability
STAGES = [
    ("Nieuw", 10, 10, "open", "pipeline"),
    ("Kwalificatie", 20, 20, "open", None),
    ("Demo", 30, None, "open", "best_case"),
    ("Offerte", 40, 60, "open", "commit"),
    ("In onderhandeling", 50, 85, "open", "commit"),
    ("Gewonnen", 90, 100, "won", None),
    ("Verloren", 95, 0, "lost", "omitted"),
]
OPEN_STAGES = [s[0] for s in STAGES if s[3] == "open"]
ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "voicemail", "linkedin", "intake", "quote", "other"]
POINTS = {"intake": 6, "demo": 4, "meeting": 3, "quote": 2.5, "call": 2, "email": 1, "linkedin": 0.5}  # no voicemail, other
SOURCES = ["website", "referral", "paid_ads", "event", "outbound", "partner"]
CAMPAIGNS = ["voorjaar-2025", "najaar-2025", "beurs-utrecht", "webinar-q1"]
REGIONS = ["Noord-Holland", "Zuid-Holland", "Utrecht", "Gelderland", "Noord-Brabant", "Vlaanderen"]
SEGMENTS = ["SMB", "Mid-market", "Enterprise"]
INDUSTRIES = ["Bouw", "Logistiek", "Zorg", "Retail", "Software", "Productie"]
SIZES = ["1-10", "11-50", "51-200", "201-1000", "1000+"]
PRODUCTS = [("Koers Basis", "Licenties"), ("Koers Pro", "Licenties"), ("Koers Enterprise", "Licenties"),
            ("Implementatie", "Diensten"), ("Training", "Diensten")]
FIRST_NAMES = ["Anouk", "Bram", "Daan", "Emma", "Fleur", "Gijs", "Iris", "Jesse", "Lotte", "Milan", "Noor",
               "Ruben", "Sanne", "Thijs", "Zoë"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos",
              "Peters", "Hendriks", "van Dijk", "Dekker"]
COMPANY_WORDS = ["Alfa", "Bever", "Cirkel", "Duin", "Eik", "Fjord", "Gouw", "Haven", "IJssel", "Kade", "Linde",
                 "Molen", "Noorderlicht", "Polder", "Rivier", "Sluis", "Toren", "Uiterwaard", "Veen", "Wierde"]
COMPANY_FORMS = ["BV", "B.V.", "NV", "& Zn", "Groep", "Holding"]
OFFSETS = ["Z", "+00:00", "+01:00", "+02:00", "-05:00", "local"]
_AUTO = object()  # "draw this value" for the keyword arguments of the _add_* methods


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """The instant (UTC) of a local wall time that exists exactly once."""
    wall = datetime(y, mo, d, h, mi, s)
    moment = wall.replace(tzinfo=TZ).astimezone(UTC)
    assert moment.astimezone(TZ).replace(tzinfo=None) == wall and not ambiguous(moment), wall
    return moment


def fixed(text: str) -> datetime:
    """An instant that is written exactly as `text`, offset and all."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    name = "Z" if text.endswith("Z") else text[-6:]
    return moment.replace(tzinfo=timezone(moment.utcoffset(), name))


def ambiguous(moment: datetime) -> bool:
    """Whether the local wall time of the instant occurs twice (the autumn hour)."""
    wall = moment.astimezone(TZ)
    return wall.replace(fold=1 - wall.fold).utcoffset() != wall.utcoffset()


def later(moment: datetime, **delta) -> datetime:
    """Real elapsed time added (UTC arithmetic); the result is written freely."""
    return (moment + timedelta(**delta)).astimezone(UTC)


def day_of(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def midnight(d: date) -> datetime:
    return local(d.year, d.month, d.day)


def offset_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def month_firsts(first: date, last: date) -> list[date]:
    out, d = [], date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def mondays(first: date, last: date) -> list[date]:
    d = first + timedelta(days=(7 - first.weekday()) % 7)
    out = []
    while d <= last:
        out.append(d)
        d += timedelta(days=7)
    return out


PRE_START = local(2024, 9, 1)  # the old records of the rep who left before the data starts
DATA_START = local(2024, 10, 1)
DATA_END = local(2026, 4, 1)  # exclusive
LAST_DAY = date(2026, 3, 31)
# T by seed % 3: a Thursday morning, a Tuesday afternoon, a Monday at 00:00 (a week start)
AS_OF_CHOICES = [local(2026, 2, 12, 9, 15, 30), local(2026, 2, 17, 14, 30), local(2026, 2, 16)]
DST_MOMENTS = [
    local(2024, 10, 27, 1, 30), fixed("2024-10-27T02:15:00+01:00"), fixed("2024-10-27T02:45:00+02:00"),
    local(2025, 3, 30), local(2025, 3, 30, 1, 59, 59), local(2025, 3, 30, 3), fixed("2025-03-30T02:30:00+01:00"),
    local(2025, 10, 26, 1, 59, 59), fixed("2025-10-26T02:00:00+02:00"), fixed("2025-10-26T02:30:00+01:00"),
    local(2025, 10, 26, 3), local(2026, 3, 29, 1, 59, 59), local(2026, 3, 29, 3),
]
DST_DAYS = [date(2024, 10, 27), date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29)]
MOMENT_WEIGHTS = {"month": 4, "second_before": 2, "monday": 3, "year": 1, "as_of": 2, "dst": 2}
DAY_WEIGHTS = {"first": 4, "monday": 3, "jan1": 1, "as_of": 2, "dst": 1}


class _Nasty:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.T = AS_OF_CHOICES[seed % len(AS_OF_CHOICES)]
        self.t_day = day_of(self.T)
        self.t_next = self.t_day + timedelta(days=1)
        self.rows: dict[str, list[dict]] = {name: [] for name in COLUMNS}
        firsts = month_firsts(date(2024, 9, 1), date(2026, 4, 1))
        starts = [midnight(d) for d in firsts]
        self.moment_pools = {
            "month": starts,
            "second_before": [later(s, seconds=-1) for s in starts],
            "monday": [midnight(d) for d in mondays(date(2024, 9, 1), date(2026, 4, 6))],
            "year": [local(2025, 1, 1), local(2026, 1, 1)],
            "as_of": [self.T, later(self.T, seconds=-1)],
            "dst": DST_MOMENTS,
        }
        self.day_pools = {
            "first": firsts,
            "monday": mondays(date(2024, 9, 1), date(2026, 4, 6)),
            "jan1": [date(2025, 1, 1), date(2026, 1, 1)],
            "as_of": [self.t_day, self.t_next],
            "dst": DST_DAYS,
        }
        self.has_opp: set[str] = set()  # membership only: never iterated

    # -- drawing ------------------------------------------------------------
    def maybe(self, values, null_share: float):
        return None if self.rng.random() < null_share else self.rng.choice(values)

    def between(self, lo: datetime, hi: datetime) -> datetime:
        span = int((hi - lo).total_seconds())
        if span <= 0:
            return lo.astimezone(UTC)
        step = 60 if span > 86400 else 1
        return later(lo, seconds=self.rng.randrange(span // step + 1) * step)

    def boundary(self, pools: dict, weights: dict, lo, hi, nasty: float):
        """With chance `nasty`, a boundary value in [lo, hi] from `pools`
        (a pool picked by its weight); else None."""
        if self.rng.random() < nasty:
            inside = [(k, [v for v in pool if lo <= v <= hi]) for k, pool in pools.items()]
            inside = [(k, p) for k, p in inside if p]
            if inside:
                _, pool = self.rng.choices(inside, [weights[k] for k, _ in inside])[0]
                return self.rng.choice(pool)
        return None

    def moment(self, lo: datetime, hi: datetime, nasty: float = 0.15) -> datetime:
        """A moment in [lo, hi]; with chance `nasty` a boundary moment in it."""
        picked = self.boundary(self.moment_pools, MOMENT_WEIGHTS, lo, hi, nasty)
        return self.between(lo, hi) if picked is None else picked

    def day(self, lo: date, hi: date, nasty: float = 0.3) -> date:
        """A date in [lo, hi]; with chance `nasty` a boundary date in it."""
        picked = self.boundary(self.day_pools, DAY_WEIGHTS, lo, hi, nasty)
        return lo + timedelta(days=self.rng.randrange(max(0, (hi - lo).days) + 1)) if picked is None else picked

    def money(self, lo: float, hi: float) -> float:
        return round(self.rng.uniform(lo, hi), self.rng.choice([0, 2]))

    def currency(self) -> str | None:
        return self.rng.choices([None, "EUR", "USD", "GBP"], [62, 12, 15, 11])[0]

    def employed(self, rep: dict, d: date) -> bool:
        return rep["hired_on"] <= d and (rep["left_on"] is None or d < rep["left_on"])

    def rep_at(self, d: date, preferred: str | None = None) -> str:
        """`preferred` when employed on d, else a rep employed on d."""
        reps = self.rows["reps"]
        if preferred and any(r["rep_id"] == preferred and self.employed(r, d) for r in reps):
            return preferred
        employed = [r["rep_id"] for r in reps if self.employed(r, d)]
        return self.rng.choice(employed or ["r01"])

    def customer_at(self, d: date) -> str | None:
        """A customer active on d; else one acquired by then; else none."""
        cs = self.rows["customers"]
        active = [c for c in cs if c["acquired_on"] <= d and (c["churned_on"] is None or d < c["churned_on"])]
        pool = active or [c for c in cs if c["acquired_on"] <= d]
        return self.rng.choice(pool)["customer_id"] if pool else None

    # -- reference tables -----------------------------------------------------
    def exchange_rates(self) -> None:
        r = self.rng
        usd = [date(2024, 1, 1), date(2025, 1, 1), date(2025, 3, 30), date(2025, 7, 14), date(2025, 11, 1),
               self.t_day]
        gbp = [date(2024, 1, 1), date(2024, 12, 16), date(2025, 4, 1), date(2025, 10, 26), date(2026, 2, 2),
               date(2026, 3, 1)]
        for cur, days, base in (("USD", usd, 0.91), ("GBP", gbp, 1.17)):
            for d in days:
                rate = f"{base + r.uniform(-0.05, 0.05):.{r.choice([4, 6])}f}"
                self.rows["exchange_rates"].append({"currency": cur, "valid_from": d, "rate": rate})

    def stages(self) -> None:
        for stage, seq, prob, kind, cat in STAGES:
            self.rows["stages"].append({"stage": stage, "sequence": seq, "probability": prob, "kind": kind,
                                        "forecast_category": cat})
        for kind, points in POINTS.items():
            self.rows["activity_points"].append({"type": kind, "points": points})

    def reps(self) -> None:
        r = self.rng
        firsts, lasts = r.sample(FIRST_NAMES, 10), r.sample(LAST_NAMES, 10)
        specs = [  # rep_id, team, role, manager_id, hired_on, left_on
            ("r01", "Noord", "sales_manager", None, date(2019, 3, 1), None),
            ("r02", "Noord", "inside_sales", "r01", date(2022, 6, 13), self.t_next),
            ("r03", "Noord", "field_sales", "r01", date(2025, 4, 14), date(2025, 11, 1)),
            ("r04", "Zuid", "sales_manager", None, date(2020, 1, 1), None),
            ("r05", "Zuid", "account_manager", "r04", date(2023, 9, 4), None),
            ("r06", "Zuid", "inside_sales", "r04", date(2025, 1, 1), None),
            ("r07", "Oost", "field_sales", "r04", date(2021, 5, 17), date(2024, 10, 1)),
            ("r08", "Oost", "account_manager", "r01", date(2024, 10, 1), None),
            ("r09", None, "other", None, date(2025, 6, 18), None),
            ("r10", "Oost", None, "r08", self.t_next, None),
        ]
        for (rid, team, role, manager, hired, left), first, last in zip(specs, firsts, lasts):
            email = None if rid == "r09" else f"{first}.{last}@koers-demo.nl".lower().replace(" ", "").replace("ë", "e")
            self.rows["reps"].append({"rep_id": rid, "name": f"{first} {last}", "email": email, "team": team,
                                      "role": role, "manager_id": manager, "hired_on": hired, "left_on": left})

    # -- customers ------------------------------------------------------------
    def customers(self) -> None:
        r = self.rng
        special = [  # acquired_on, churned_on, owner (None: drawn)
            (date(2023, 11, 15), None, "r07"), (date(2024, 4, 1), None, "r07"),
            (date(2024, 6, 3), date(2025, 7, 1), "r07"), (date(2024, 7, 1), None, None),
            (date(2024, 9, 2), None, None), (date(2024, 9, 30), date(2024, 10, 1), None),
            (date(2025, 1, 1), None, None), (date(2026, 1, 1), None, None),
            (date(2025, 3, 3), date(2025, 3, 24), None),  # acquired and churned in the same month
            (date(2025, 6, 2), date(2025, 6, 2), None),  # churned the day it was acquired
            (date(2025, 2, 3), date(2025, 10, 1), None), (date(2024, 10, 1), date(2026, 1, 1), None),
            (date(2025, 5, 12), self.t_day, None), (date(2025, 8, 1), self.t_next, None),
            (self.t_day, None, None), (self.t_next, None, None), (date(2025, 3, 30), date(2025, 10, 26), None),
        ]
        for acquired, churned, owner in special:
            self.add_customer(acquired, churned, owner)
        for _ in range(r.randint(40, 52)):
            acquired = self.day(date(2024, 10, 1), LAST_DAY, 0.35)
            churned = None
            if r.random() < 0.12 and acquired < LAST_DAY:
                churned = self.day(acquired + timedelta(days=1), LAST_DAY, 0.4)
            self.add_customer(acquired, churned, None)

    def add_customer(self, acquired: date, churned: date | None, owner: str | None) -> None:
        r = self.rng
        cid = f"C{len(self.rows['customers']) + 1:03d}"
        name = f"{r.choice(COMPANY_WORDS)} {r.choice(COMPANY_FORMS)}"
        if r.random() < 0.08:
            name = r.choice([f'Bakkerij "{name}"', f"{r.choice(LAST_NAMES)}, {name}", f"Café {name}"])
        if owner is None and r.random() > 0.08:
            owner = self.rep_at(acquired)
        self.rows["customers"].append({
            "customer_id": cid, "name": name, "acquired_on": acquired, "churned_on": churned,
            "churn_reason": r.choice(["prijs", "faillissement", "concurrent", None]) if churned else None,
            "owner_id": owner, "region": self.maybe(REGIONS, 0.1), "segment": self.maybe(SEGMENTS, 0.1),
            "industry": self.maybe(INDUSTRIES, 0.15), "company_size": self.maybe(SIZES, 0.15),
            "source": self.maybe(SOURCES, 0.15),
        })

    # -- leads --------------------------------------------------------------
    def leads(self) -> None:
        r = self.rng
        T = self.T
        # the rep who left on 2024-10-01 still owns these, and their deals
        for created, status, closed in (
            (local(2024, 9, 2, 9), "won", local(2024, 10, 1)),
            (local(2024, 9, 16), "lost", local(2024, 9, 30, 23, 59, 59)),
            (local(2024, 9, 20, 11), "open", None),
        ):
            lead = self.add_lead(created, owner="r07", converted=later(created, days=1))
            self.add_opp(lead["converted_at"], lead=lead, status=status, closed=closed, owner="r07")
        specials = [  # created_at, first_response_at
            (local(2025, 3, 30, 1, 30), local(2025, 3, 30, 4, 30)),  # 2 real hours, 3 on the wall clock
            (local(2025, 3, 30), local(2025, 3, 30, 3)),  # the same, from midnight
            (local(2025, 3, 29, 12), local(2025, 3, 30, 12)),  # a 23-hour day
            (local(2025, 10, 26, 1, 15), local(2025, 10, 26, 3, 15)),  # 3 real hours, 2 on the wall clock
            (local(2025, 10, 26), fixed("2025-10-26T02:00:00+02:00")),  # exactly 2 hours, in the repeated hour
            (fixed("2025-10-26T02:30:00+01:00"), local(2025, 10, 26, 4, 30)),  # exactly 2 hours
            (fixed("2024-10-27T02:45:00+02:00"), fixed("2024-10-27T02:15:00+01:00")),  # 30 minutes, wall clock -30
            (local(2025, 10, 25, 20), local(2025, 10, 26, 20)),  # a 25-hour day
            (fixed("2025-05-31T23:30:00+00:00"), fixed("2025-06-01T01:30:00Z")),  # June local, May in UTC
            (fixed("2025-12-31T23:00:00Z"), local(2026, 1, 1, 2, 0, 1)),  # 2026 local, 2025 in UTC; 2h + 1s
            (fixed("2025-06-30T18:00:00-05:00"), None),  # 2025-07-01 01:00 local, a quarter start
            (local(2025, 9, 30, 23, 59, 59), local(2025, 10, 1, 1, 59, 59)),  # exactly 2 hours, across a quarter
            (local(2025, 12, 1), local(2025, 12, 1)),  # answered at creation, on a month start
            (later(T, hours=-1), later(T, hours=1)),  # answered after T
            (later(T, minutes=-30), T),  # answered exactly at T
            (T, T),  # created and answered at T
            (local(2026, 3, 29, 1), local(2026, 3, 29, 4)),  # after T, across the spring change
        ]
        for created, response in specials:
            self.add_lead(created, response=response)
        self.add_lead(later(T, days=-3), converted=later(T, days=1))  # converted after T
        self.add_lead(later(T, days=-10), converted=T)  # converted exactly at T
        for _ in range(r.randint(165, 195)):
            self.add_lead(self.moment(DATA_START, later(DATA_END, seconds=-1), 0.2))

    def add_lead(self, created: datetime, response=_AUTO, converted=_AUTO, owner=_AUTO) -> dict:
        r = self.rng
        d = day_of(created)
        source = self.maybe(SOURCES, 0.1)
        referred = self.customer_at(d) if source == "referral" or r.random() < 0.04 else None
        qualified = self.moment(created, later(created, days=20), 0.3) if r.random() < 0.55 else None
        if converted is _AUTO:
            start = qualified or created
            chance = 0.75 if qualified else 0.4
            converted = self.moment(start, later(start, days=40), 0.2) if r.random() < chance else None
        disqualified = None
        if converted is None and r.random() < 0.4:
            disqualified = self.moment(created, later(created, days=30), 0.2)
        lead = {
            "lead_id": f"L{len(self.rows['leads']) + 1:04d}", "created_at": created,
            "owner_id": (None if r.random() < 0.04 else self.rep_at(d)) if owner is _AUTO else owner,
            "source": source, "channel": self.maybe(["inbound", "outbound"], 0.08),
            "campaign": self.maybe(CAMPAIGNS, 0.3) if source in ("paid_ads", "event", None) else None,
            "region": self.maybe(REGIONS, 0.1), "segment": self.maybe(SEGMENTS, 0.1),
            "industry": self.maybe(INDUSTRIES, 0.1), "company_size": self.maybe(SIZES, 0.1),
            "product": self.maybe([p for p, _ in PRODUCTS], 0.15), "qualified_at": qualified,
            "first_response_at": self.response(created) if response is _AUTO else response,
            "converted_at": converted, "disqualified_at": disqualified, "referred_by_customer_id": referred,
        }
        for col in ("qualified_at", "first_response_at", "converted_at", "disqualified_at"):
            if lead[col] is not None and lead[col] >= DATA_END:
                lead[col] = None
        self.rows["leads"].append(lead)
        return lead

    def response(self, created: datetime) -> datetime | None:
        kind = self.rng.choices(["none", "same", "sla", "over", "under", "minutes", "hours", "days"],
                                [12, 8, 10, 4, 3, 25, 25, 13])[0]
        r = self.rng
        delta = {
            "none": None, "same": timedelta(0), "sla": timedelta(hours=2), "over": timedelta(hours=2, seconds=1),
            "under": timedelta(hours=2, seconds=-1), "minutes": timedelta(minutes=r.randint(1, 119)),
            "hours": timedelta(minutes=r.randint(121, 48 * 60)), "days": timedelta(days=r.uniform(2, 9)),
        }[kind]
        return None if delta is None else later(created, seconds=int(delta.total_seconds()))

    # -- opportunities and their stage history ---------------------------------
    def opportunities(self) -> None:
        r = self.rng
        T = self.T
        for lead in list(self.rows["leads"]):
            if lead["converted_at"] is not None and lead["lead_id"] not in self.has_opp:
                created = lead["converted_at"]
                if r.random() < 0.25:
                    created = min(later(created, minutes=r.randint(1, 600)), later(DATA_END, seconds=-1))
                self.add_opp(created, lead=lead)
        specials = [  # status, closed_at, currency, deal_type
            ("won", local(2025, 7, 1), "USD", "new_business"), ("won", fixed("2025-06-30T22:00:00Z"), "GBP", None),
            ("won", local(2025, 12, 31, 23, 59, 59), "USD", "upsell"), ("won", local(2026, 1, 1), "GBP", None),
            ("won", fixed("2025-03-31T22:00:00+00:00"), None, "cross_sell"),  # 2025-04-01 00:00 local
            ("won", local(2025, 3, 30, 3), "EUR", None), ("lost", fixed("2025-10-26T02:59:59+01:00"), None, None),
            ("won", T, "USD", "renewal"), ("lost", T, None, None), ("won", later(T, seconds=-1), None, "upsell"),
            ("won", later(T, days=1), "GBP", None), ("lost", later(T, hours=2), None, None),
            ("won", local(2025, 10, 27), None, None), ("lost", local(2025, 2, 28, 23, 59, 59), None, None),
            ("won", fixed("2025-01-01T00:00:00+01:00"), None, "renewal"),
        ]
        for status, closed, cur, deal_type in specials:
            created = later(closed, days=-r.uniform(3, 80))
            self.add_opp(created, status=status, closed=closed, currency=cur, deal_type=deal_type)
        for _ in range(r.randint(22, 30)):
            self.add_opp(self.moment(DATA_START, later(DATA_END, seconds=-1), 0.2))

    def outcome(self, created: datetime) -> tuple[str, datetime | None]:
        r = self.rng
        status = r.choices(["won", "lost", "open"], [40, 30, 30])[0]
        if status == "open":
            return status, None
        lo, hi = r.choices([(0.05, 1), (1, 30), (30, 120), (120, 220)], [5, 40, 40, 15])[0]
        closed = later(created, days=r.uniform(lo, hi), hours=1)
        if r.random() < 0.25:
            closed = self.moment(later(created, hours=1), later(closed, days=hi / 2), 1.0)
        return (status, closed) if closed < DATA_END else ("open", None)

    def add_opp(self, created: datetime, lead: dict | None = None, status=_AUTO, closed=_AUTO, owner=_AUTO,
                currency=_AUTO, deal_type=_AUTO) -> None:
        r = self.rng
        oid = f"O{len(self.rows['opportunities']) + 1:04d}"
        if status is _AUTO:
            status, closed = self.outcome(created)
        if deal_type is _AUTO:
            deal_type = r.choices([None, "new_business", "upsell", "cross_sell", "renewal"], [45, 25, 12, 10, 8])[0]
        customer = None
        if deal_type in ("upsell", "cross_sell", "renewal"):
            customer = self.customer_at(day_of(created))
        elif status == "won":
            customer = self.customer_at(day_of(closed))
        if owner is _AUTO:
            owner = self.rep_at(day_of(created), lead["owner_id"] if lead else None)
        product = self.maybe(PRODUCTS, 0.1) or (None, None)
        opp = {
            "opportunity_id": oid, "lead_id": lead["lead_id"] if lead else None, "customer_id": customer,
            "owner_id": owner, "created_at": created, "closed_at": closed, "status": status,
            "amount": None if r.random() < 0.06 else 0 if r.random() < 0.03 else self.money(300, 60000),
            "currency": self.currency() if currency is _AUTO else currency,
            "probability": self.maybe([0, 10, 25, 33.5, 50, 75, 90, 100], 0.45),
            "expected_close_on": None, "forecast_category": self.maybe(["pipeline", "best_case", "commit", "omitted"],
                                                                        0.75),
            "product": product[0], "product_line": product[1], "deal_type": deal_type,
            "lost_reason": self.maybe(["prijs", "timing", "concurrent", "geen budget"], 0.2) if status == "lost" else None,
        }
        for col, values in (("region", REGIONS), ("segment", SEGMENTS), ("source", SOURCES), ("campaign", CAMPAIGNS)):
            own = r.random()
            if lead is None:
                opp[col] = None if own < 0.5 else r.choice(values)
            else:  # null takes the lead's; some copy it, some differ
                opp[col] = None if own < 0.55 else lead[col] if own < 0.85 else r.choice(values)
        if r.random() > 0.15:
            opp["expected_close_on"] = day_of(closed or later(created, days=r.uniform(5, 120)))
        opp["stage"] = self.history(oid, created, status, closed)
        self.rows["opportunities"].append(opp)
        if lead is not None:
            self.has_opp.add(lead["lead_id"])

    def walk(self) -> list[str]:
        """Open stages entered in order: skips (a step of 2, a start past the
        first) and now and then a re-entry of an earlier stage, then the same
        stage again."""
        r = self.rng
        i = r.choices([0, 1, 2], [80, 15, 5])[0]
        path = [i]
        for _ in range(r.choices([0, 1, 2, 3, 4], [15, 25, 25, 20, 15])[0]):
            if i >= 4:
                break
            i = min(4, i + r.choices([1, 2], [70, 30])[0])
            path.append(i)
        if len(path) >= 2 and r.random() < 0.25:
            k = r.randrange(1, len(path))
            path[k + 1:k + 1] = [path[k - 1], path[k]]
        return [OPEN_STAGES[j] for j in path]

    def history(self, oid: str, created: datetime, status: str, closed: datetime | None) -> str:
        """Write the stage_history rows; returns the stage column's value: the
        last row's stage, or for most closed deals their closing stage."""
        r = self.rng
        path = self.walk()
        end = closed if closed is not None else min(later(created, days=150), later(DATA_END, seconds=-1))
        first = created
        if r.random() < 0.15 and end - created > timedelta(hours=4):
            first = self.between(later(created, seconds=1), created + (end - created) / 4)
        draws = sorted(self.moment(later(first, seconds=1), later(end, seconds=-1), 0.12) for _ in path[1:])
        times = [first]
        for t in draws:
            if t > times[-1] and t < end:
                times.append(t)
        rows = list(zip(path, times))
        if closed is not None and r.random() < 0.7:
            rows.append(("Gewonnen" if status == "won" else "Verloren", closed))
        for stage, at in rows:
            self.rows["stage_history"].append({"opportunity_id": oid, "stage": stage, "entered_at": at})
        if closed is not None and r.random() < 0.8:
            # a CRM's stage column names the closing stage, with or without a history row for it
            return "Gewonnen" if status == "won" else "Verloren"
        return rows[-1][0]

    # -- activities -----------------------------------------------------------
    def activities(self) -> None:
        r = self.rng
        for opp in self.rows["opportunities"]:
            lo = later(opp["created_at"], days=-2)
            hi = later(opp["closed_at"] or later(opp["created_at"], days=120), days=5)
            for _ in range(r.choices(range(7), [8, 12, 18, 22, 18, 12, 10])[0]):
                lead = opp["lead_id"] if r.random() < 0.3 else None
                customer = opp["customer_id"] if r.random() < 0.12 else None
                self.add_activity(lo, hi, opp["owner_id"], lead=lead, opp=opp["opportunity_id"], customer=customer)
        for lead in self.rows["leads"]:
            for _ in range(r.choices([0, 1, 2], [45, 35, 20])[0]):
                self.add_activity(lead["created_at"], later(lead["created_at"], days=14), lead["owner_id"],
                                  lead=lead["lead_id"])
        customers = self.rows["customers"]
        for _ in range(r.randint(60, 80)):
            c = r.choice(customers)
            lo = max(midnight(c["acquired_on"]), DATA_START)
            hi = midnight(c["churned_on"]) if c["churned_on"] else DATA_END
            self.add_activity(lo, max(lo, hi), c["owner_id"], customer=c["customer_id"])
        for _ in range(r.randint(40, 60)):
            self.add_activity(DATA_START, DATA_END, None)
        self.special_activities()

    def special_activities(self) -> None:
        r, T = self.rng, self.T
        won = [o for o in self.rows["opportunities"] if o["status"] == "won"]
        for opp in r.sample(won, 6):  # done exactly at the close, and one second after it
            closed = opp["closed_at"]
            self.add_activity(closed, closed, opp["owner_id"], opp=opp["opportunity_id"], due=None, done=closed)
            self.add_activity(closed, closed, opp["owner_id"], lead=opp["lead_id"],
                              opp=None if opp["lead_id"] else opp["opportunity_id"], due=closed,
                              done=later(closed, seconds=1))
        for due, done in (
            (None, T), (T, later(T, hours=3)), (T, T), (later(T, days=2), None), (later(T, days=-1), later(T, days=1)),
            (None, None), (fixed("2025-10-26T02:15:00+01:00"), fixed("2025-10-26T02:15:00+02:00")),
            (local(2025, 3, 30, 1, 59, 59), local(2025, 3, 30, 3)), (None, fixed("2025-03-30T02:30:00+01:00")),
            (local(2025, 3, 29, 10), local(2025, 3, 30, 10)), (local(2025, 10, 25, 10), local(2025, 10, 26, 10)),
            (local(2025, 1, 1), local(2024, 12, 31, 23, 59, 59)), (local(2025, 3, 24), local(2025, 3, 24)),
        ):
            self.add_activity(T, T, None, customer=self.customer_at(self.t_day), due=due, done=done)
        hired = midnight(self.t_next)  # the rep hired after T: activities only after it
        for _ in range(3):
            self.add_activity(hired, later(DATA_END, seconds=-1), "r10")

    def add_activity(self, lo: datetime, hi: datetime, owner: str | None, lead=None, opp=None, customer=None,
                     due=_AUTO, done=_AUTO) -> None:
        r = self.rng
        lo, hi = max(lo, PRE_START), min(hi, later(DATA_END, seconds=-1))
        lo = min(lo, hi)
        if due is _AUTO:
            due, done = self.timing(lo, hi)
        anchor = done or due or lo
        self.rows["activities"].append({
            "activity_id": f"A{len(self.rows['activities']) + 1:05d}",
            "owner_id": owner if owner == "r10" else self.rep_at(day_of(anchor), owner),
            "type": r.choice(ACTIVITY_TYPES), "lead_id": lead, "opportunity_id": opp, "customer_id": customer,
            "due_at": due, "done_at": done,
        })

    def timing(self, lo: datetime, hi: datetime) -> tuple[datetime | None, datetime | None]:
        """(due_at, done_at): no plan, not done, done exactly on time, late or early."""
        r = self.rng
        base = self.moment(lo, hi, 0.15)
        kind = r.choices(["no_due", "not_done", "on_time", "late", "early"], [18, 14, 12, 30, 26])[0]
        if kind == "no_due":
            return None, base
        if kind == "not_done":
            return base, None
        if kind == "on_time":
            return base, base
        if kind == "late":
            return base, self.moment(base, min(later(base, days=10), later(DATA_END, seconds=-1)), 0.1)
        return base, self.moment(max(PRE_START, later(base, days=-3)), base, 0.1)

    # -- revenue ------------------------------------------------------------
    def orders(self) -> None:
        r = self.rng
        for opp in self.rows["opportunities"]:
            if opp["status"] == "won" and opp["customer_id"] and r.random() < 0.75:
                d = min(day_of(opp["closed_at"]) + timedelta(days=r.choice([0, 0, 0, 1, 7, 20])), LAST_DAY)
                amount = opp["amount"] if opp["amount"] is not None else self.money(100, 20000)
                self.add_order(opp["customer_id"], d, amount, opp["currency"], opp["opportunity_id"], opp["owner_id"])
        spans = self.customer_spans()
        for d in (date(2024, 10, 1), date(2025, 1, 1), date(2026, 1, 1), date(2025, 3, 30), date(2025, 10, 1),
                  self.t_day, self.t_next, self.t_day, date(2025, 12, 31)):
            active = [c for c, lo, hi in spans if lo <= d <= hi]
            if not active:
                continue
            c = r.choice(active)
            self.add_order(c["customer_id"], d, self.money(100, 20000), self.currency(), None, c["owner_id"])
        for _ in range(r.randint(200, 240)):
            c, lo, hi = r.choice(spans)
            self.add_order(c["customer_id"], self.day(lo, hi, 0.3), self.money(50, 20000), self.currency(), None,
                           c["owner_id"] if r.random() < 0.8 else None)
        for c in self.signed_around_t():  # a paid trial before signing: dated before acquired_on
            self.add_order(c["customer_id"], c["acquired_on"] - timedelta(days=10), self.money(100, 2000), None,
                           None, c["owner_id"])

    def signed_around_t(self) -> list[dict]:
        """The customers acquired on T's day and the day after: their records
        dated before acquired_on have happened at T, while the one acquired
        after T is no customer yet."""
        return [c for c in self.rows["customers"] if c["acquired_on"] in (self.t_day, self.t_next)]

    def customer_spans(self) -> list[tuple[dict, date, date]]:
        """(customer, first, last day it can order in the data): active days only."""
        spans = []
        for c in self.rows["customers"]:
            lo = max(c["acquired_on"], date(2024, 10, 1))
            hi = min(c["churned_on"] - timedelta(days=1), LAST_DAY) if c["churned_on"] else LAST_DAY
            if lo <= hi:
                spans.append((c, lo, hi))
        return spans

    def add_order(self, customer: str, d: date, amount: float, cur: str | None, opp: str | None,
                  owner: str | None) -> None:
        r = self.rng
        if r.random() < 0.08:
            amount = -abs(amount) or -10.0  # a credit
        product = self.maybe(PRODUCTS, 0.1) or (None, None)
        cost = None if r.random() < 0.25 else round(amount * r.uniform(0.3, 0.8), 2)
        self.rows["orders"].append({
            "order_id": f"S{len(self.rows['orders']) + 1:05d}", "customer_id": customer, "opportunity_id": opp,
            "ordered_on": d, "amount": amount, "currency": cur, "cost": cost, "product": product[0],
            "product_line": product[1], "owner_id": owner,
        })

    def contracts(self) -> None:
        r = self.rng
        spans = self.customer_spans()
        won = {}
        for o in self.rows["opportunities"]:
            if o["status"] == "won" and o["customer_id"]:
                won.setdefault(o["customer_id"], []).append(o["opportunity_id"])
        lengths = ["day", "3m", "6m", "year_less_a_day", "365d", "year", "18m", "2y", "3y"]
        for i in range(r.randint(32, 45)):
            c, lo, hi = r.choice(spans)
            start = self.day(lo, hi, 0.7)
            length = lengths[i] if i < len(lengths) else r.choice(lengths)
            end = {
                "day": start, "3m": add_months(start, 3), "6m": add_months(start, 6) - timedelta(days=1),
                "year_less_a_day": add_months(start, 12) - timedelta(days=1), "365d": start + timedelta(days=365),
                "year": date(start.year + 1, start.month, min(start.day, 28)), "18m": add_months(start, 18),
                "2y": add_months(start, 24), "3y": add_months(start, 36) - timedelta(days=1),
            }[length]
            opp = r.choice(won[c["customer_id"]]) if c["customer_id"] in won and r.random() < 0.6 else None
            self.rows["contracts"].append({
                "contract_id": f"K{i + 1:03d}", "customer_id": c["customer_id"], "opportunity_id": opp,
                "start_on": start, "end_on": max(end, start), "total_value": self.money(1000, 150000),
                "currency": self.currency(), "owner_id": c["owner_id"],
            })

    def costs(self) -> None:
        r = self.rng
        for first in month_firsts(date(2024, 10, 1), LAST_DAY):
            month = first.strftime("%Y-%m")
            keys = [("marketing", None, None), ("sales", None, None)]
            keys += [("marketing", s, None) for s in ("website", "paid_ads", "event", "referral") if r.random() < 0.7]
            if r.random() < 0.5:
                keys.append(("marketing", "paid_ads", r.choice(CAMPAIGNS)))
            if r.random() < 0.4:
                keys.append(("sales", "outbound", None))
            for category, source, campaign in keys:
                cur = r.choices([None, "EUR", "USD"], [75, 10, 15])[0]
                self.rows["costs"].append({"month": month, "category": category, "source": source,
                                           "campaign": campaign, "amount": self.money(200, 15000), "currency": cur})

    # -- targets and forecasts ------------------------------------------------
    def targets(self) -> None:
        r = self.rng
        iso = self.t_day.isocalendar()
        t_week = f"{iso.year}-W{iso.week:02d}"
        rows = [  # period, kpi, rep_id, team, value range
            ("2025", "won_value", None, None, (800000, 1200000)), ("2026", "won_value", None, None, (900000, 1400000)),
            ("2025", "revenue", None, None, (900000, 1500000)), ("2026", "revenue", None, None, (900000, 1500000)),
            *[(q, "revenue", None, None, (200000, 400000))
              for q in ("2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1")],
            *[(m, "won_value", None, None, (60000, 120000)) for m in ("2026-01", "2026-02", "2026-03")],
            *[(w, "activities", None, None, (20, 60))
              for w in ("2025-W01", "2025-W12", "2025-W13", "2025-W14", "2025-W15", "2026-W01", t_week)],
            ("2025", "win_rate", None, None, (0.25, 0.4)), ("2025-Q2", "win_rate", None, None, (0.3, 0.5)),
            ("2025", "churn_rate", None, None, (0.01, 0.05)), ("2025", "lead_response_time", None, None, (2, 6)),
            ("2026-Q1", "lead_response_time", None, None, (1, 3)),
            ("2026-Q1", "open_pipeline_value", None, None, (300000, 600000)),
            ("2025", "average_deal_size", None, None, (10000, 30000)), ("2025", "new_customers", None, None, (30, 60)),
            ("2025", "leads", None, None, (100, 200)), ("2025", "qualified_leads", None, None, (50, 100)),
            ("2025", "referrals", None, None, (5, 20)), ("2025-Q3", "new_pipeline_value", None, None, (2e5, 5e5)),
            *[(m, "leads", None, team, (3, 15)) for team in ("Noord", "Zuid")
              for m in ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03")],
            *[(q, "qualified_leads", None, "Zuid", (5, 20)) for q in ("2025-Q4", "2026-Q1")],
            ("2026-Q1", "won_value", None, "Zuid", (50000, 150000)), ("2026-Q1", "win_rate", None, "Noord", (0.2, 0.5)),
            ("2025", "activity_points", None, "Oost", (500, 1500)),
            *[(m, "won_value", rep, None, (10000, 40000)) for rep in ("r02", "r05", "r06", "r08")
              for m in ("2026-01", "2026-02", "2026-03")],
            ("2026-Q1", "won_value", "r02", "Zuid", (30000, 90000)),  # the team is ignored: a rep's row
            *[(w, "activity_points", "r02", None, (10, 40)) for w in ("2026-W07", "2026-W08")],
            ("2025-09", "activities", "r09", None, (10, 30)), ("2025-Q3", "new_pipeline_value", "r03", None, (1e4, 9e4)),
            ("2025-Q4", "new_pipeline_value", "r03", None, (1e4, 9e4)), ("2025", "referrals", "r05", None, (2, 8)),
            ("2025-Q4", "new_customers", "r05", None, (2, 8)), ("2025", "average_deal_size", "r05", None, (5e3, 2e4)),
            ("2026-02", "open_pipeline_value", "r08", None, (5e4, 2e5)), ("2026-03", "activities", "r10", None, (5, 20)),
            ("2025-W13", "activities", "r06", None, (5, 15)),
            # Ks that split by team but not by owner (rep_retention), by neither (cac), or are scores (nps)
            ("2025", "cac", "r05", None, (500, 3000)), ("2025", "cac", None, "Noord", (500, 3000)),
            ("2025", "cac", None, None, (500, 3000)), ("2025-Q3", "rep_retention", None, "Zuid", (0.8, 0.99)),
            ("2025-Q3", "rep_retention", "r02", None, (0.8, 0.99)), ("2025", "nps", None, None, (20, 60)),
        ]
        for period, kpi, rep, team, (lo, hi) in rows:
            value = round(r.uniform(lo, hi), 3 if hi < 1 else 0)
            self.rows["targets"].append({"period": period, "kpi": kpi, "rep_id": rep, "team": team, "value": value})
        # Scopes with no record of their K in P: r10 (hired after T, so not
        # there at T) and West (a team no rep is in). A count or sum, stock or
        # flow, is 0 there; per rep week 0 for r10, null for West (no reps).
        # Fixed values, not drawn: the draws after these stay as they were.
        for period, kpi, rep, team, value in [
            ("2026-02", "open_pipeline_count", "r10", None, 5), ("2026-02", "open_pipeline_value", "r10", None, 50000),
            ("2026-02", "weighted_pipeline_value", "r10", None, 20000), ("2026-02", "active_customers", "r10", None, 4),
            ("2026-02", "activities_per_rep_week", "r10", None, 6), ("2026-02", "pipeline_age", "r10", None, 30),
            ("2025-Q4", "open_pipeline_value", None, "West", 80000), ("2025-Q4", "stale_opportunities", None, "West", 2),
            ("2025-Q4", "activities_per_rep_week", None, "West", 5), ("2025-Q4", "overdue_activities", None, "West", 1),
            ("2025-Q4", "win_rate", None, "West", 0.3), ("2026-01", "won_value", None, "West", 40000),
        ]:
            self.rows["targets"].append({"period": period, "kpi": kpi, "rep_id": rep, "team": team, "value": value})

    def forecasts(self) -> None:
        r = self.rng
        months = [(f"{d:%Y-%m}", d) for d in month_firsts(date(2025, 10, 1), LAST_DAY)]
        quarters = [("2025-Q4", date(2025, 10, 1)), ("2026-Q1", date(2026, 1, 1))]
        for rep in ("r02", "r03", "r05", "r06", "r08", "r09"):
            for period, first in r.sample(months, 3) + quarters:
                if rep == "r03" and first >= date(2025, 11, 1):
                    continue  # left on 2025-11-01
                when = {"before": first - timedelta(days=r.randint(3, 20)), "first": first,
                        "after": first + timedelta(days=r.randint(1, 10))}
                chosen = [k for k in when if r.random() < 0.7] or ["first"]
                for k in chosen:
                    self.add_forecast(rep, period, when[k])
        self.add_forecast("r02", "2026-03", self.t_next)  # submitted after T
        self.add_forecast("r05", "2026-03", self.t_day)
        self.add_forecast("r06", "2026-Q1", self.t_next)

    def add_forecast(self, rep: str, period: str, submitted: date) -> None:
        rows = self.rows["forecasts"]
        if any(f["rep_id"] == rep and f["period"] == period and f["submitted_on"] == submitted for f in rows):
            return
        scale = 3 if "Q" in period else 1
        rows.append({"rep_id": rep, "period": period, "submitted_on": submitted,
                     "amount": self.money(5000 * scale, 60000 * scale)})

    def nps(self) -> None:
        r = self.rng
        spans = self.customer_spans()
        scores = [6, 7, 8, 9, 0, 10, 6, 9]
        seen: set[tuple[str, date]] = set()  # membership only
        target = r.randint(62, 80)
        while len(self.rows["nps"]) < target:
            c, lo, hi = r.choice(spans)
            d = self.day(lo, hi, 0.4)
            if (c["customer_id"], d) in seen:
                continue
            seen.add((c["customer_id"], d))
            n = len(self.rows["nps"])
            score = scores[n] if n < len(scores) else r.choices(range(11), [2, 1, 1, 2, 2, 3, 5, 8, 10, 9, 7])[0]
            self.rows["nps"].append({"customer_id": c["customer_id"], "responded_on": d, "score": score})
        for c, score in zip(self.signed_around_t(), (10, 3)):
            self.rows["nps"].append({"customer_id": c["customer_id"], "responded_on": c["acquired_on"] - timedelta(days=5),
                                     "score": score})

    # -- writing ------------------------------------------------------------
    def stamp(self, moment: datetime) -> str:
        """Local time without offset, or (about 15%, and always in the
        repeated autumn hour) with an offset; a `fixed` moment as written."""
        if moment.tzinfo is not UTC:
            return moment.strftime(FMT) + moment.tzname()
        wall = moment.astimezone(TZ)
        draw = self.rng.random()
        if draw >= 0.15:
            if not ambiguous(moment):
                return wall.strftime(FMT)
            return wall.strftime(FMT) + offset_text(wall.utcoffset())
        choice = self.rng.choice(OFFSETS)
        if choice == "local":
            return wall.strftime(FMT) + offset_text(wall.utcoffset())
        if choice == "Z":
            return moment.strftime(FMT) + "Z"
        sign = 1 if choice[0] == "+" else -1
        shown = moment.astimezone(timezone(sign * timedelta(hours=int(choice[1:3]))))
        return shown.strftime(FMT) + choice

    def cell(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return self.stamp(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            return format(value, "f").rstrip("0").rstrip(".")
        return str(value)

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, columns in COLUMNS.items():
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                out = csv.writer(f, lineterminator="\n")
                out.writerow(columns)
                for row in self.rows[name]:
                    assert set(row) <= set(columns), (name, sorted(set(row) - set(columns)))
                    out.writerow([self.cell(row.get(c)) for c in columns])

    def build(self) -> None:
        self.exchange_rates()
        self.stages()
        self.reps()
        self.customers()
        self.leads()
        self.opportunities()
        self.activities()
        self.orders()
        self.contracts()
        self.costs()
        self.targets()
        self.forecasts()
        self.nps()


def write_nasty(folder: Path, seed: int) -> dict:
    """Write the nasty dataset of `seed` into `folder` (created if missing).

    Returns {"as_of": T (aware, Europe/Amsterdam), "months", "weeks",
    "quarters": range specs `A..B` covering the data (weeks: around the
    spring DST change of 2025), "time_zone", "seed", "counts": rows per table}.
    """
    gen = _Nasty(seed)
    gen.build()
    gen.write(Path(folder))
    return {
        "as_of": gen.T.astimezone(TZ),
        "months": "2024-09..2026-03",
        "weeks": "2025-W12..2025-W15",
        "quarters": "2024-Q3..2026-Q1",
        "time_zone": "Europe/Amsterdam",
        "seed": seed,
        "counts": {name: len(rows) for name, rows in gen.rows.items()},
    }


if __name__ == "__main__":
    import sys

    print(write_nasty(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))
