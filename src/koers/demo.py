"""The synthetic demo company: Noordwind Systemen B.V.

`build_demo(size, seed, until)` returns every canonical table of
`../shared/spec/data-model.md` as a pandas DataFrame (keys and columns in the
spec's order); `write_folder(tables, folder)` writes them as a canonical
dataset folder. Same (size, seed, until), same data: the only source of chance
is `numpy.random.default_rng(seed)`.

The company
-----------
Noordwind Systemen B.V. (Zwolle, domain noordwind.nl) sells planning software,
scanning hardware and services to Dutch and Belgian businesses:

=========================  ============  ================================
product                    product_line  sold as
=========================  ============  ================================
FlowPlan Cloud             Software      subscription (1-3 year contract)
FlowPlan On-Premise        Software      one-off licence
ScanPoint Terminals        Hardware      one-off
Implementatie & Training   Diensten      one-off
Support Plus               Diensten      subscription (1-3 year contract)
=========================  ============  ================================

Inside Sales answers inbound leads (website, paid_ads, ...), mostly SMB;
Field Sales, Enterprise and Partner Sales reps work Mid-market and
Enterprise accounts from outbound, events, referrals and partners; Account
Management owns the customers: renewals of expiring contracts (a renewal deal
75-100 days before the end; a lost renewal ends the customer), upsells and
cross-sells. A commercial director (R001) manages one sales manager per team.
Reps join during the history and some leave; a leaver's open work passes to
a successor hired a few weeks earlier, so `rep_retention` and
`rep_ramp_time` have data. Leads follow seasonality (quiet July/August and
late December, busy spring and Q4) and the business grows every year.
Subscriptions are invoiced monthly (quarterly for SMB), one-off deals when
won; about 1% of orders get a credit. A few Mid-market/Enterprise deals are
in USD, GBP or CHF (their orders and contracts too), LinkedIn Ads are paid in
USD and the London fair in GBP; `exchange_rates` has monthly rates for these
from before their first use.

The window
----------
The tables cover the years before `until` (default: the first day of the
current month): 1 (small), 3 (medium) or 5 (large). The business is
simulated from two years earlier so that the window opens on a going concern;
of those years the tables keep only what still runs at the window's start:
deals open then (with their leads and stage history), leads with an event in
the window, customers active then (with their running contracts). Orders,
NPS answers, costs, targets and forecasts start in the window; an order or
contract whose deal was won before the window has a null opportunity_id.
Every event (created, closed, done, acquired, churned, left, ordered,
submitted, answered, ...) lies before `until` (local midnight, Europe/
Amsterdam); only plans look ahead: `activities.due_at` up to two weeks,
contract end dates, targets (to the end of the quarter after next month) and
the forecasts for the month starting at `until`.

Sizes
-----
* small: 8 selling reps (3 Inside Sales, 3 Field Sales, 2 Account
  Management; one inside sales rep and one account manager leave during the
  year and are replaced) plus 3 sales managers, the director and a pre-sales
  consultant (role other); ~6k opportunities, ~60k activities, <1 s.
* medium: 40 selling reps in 6 teams at the end; ~107k opportunities,
  ~1.07M activities, ~4 s, ~1 GB peak.
* large: 200 selling reps in 14 teams at the end; ~1.04M opportunities,
  ~10M activities, 20-26 s and ~3 GB peak on 2 cores.

Reps with a deliberate profile (the same ids and names in every size and
seed; `PROFILE_REPS` maps the profile to the rep_id):

* R002 Sanne Visser (Field Sales; medium/large Field Sales Noord) -- the
  star: loses about a third as often at every stage, so she has the highest
  win rate on new business (about twice her colleagues'), and logs about
  twice the activities per deal (the most done activities of her team).
* R003 Bram de Boer (Inside Sales; large Inside Sales Noord) -- the slow
  responder: a median of eight working hours before the first outreach to a
  new lead, so his median `lead_response_time` is the worst (about a day
  against under an hour for the others) and his `lead_response_sla` the
  lowest (~0.2); he also leaves a few more leads unanswered.
* R004 Joris Peeters (Field Sales; medium/large Field Sales Zuid) -- loses
  after the quote: most of his deals that reach Offerte are lost there or in
  Onderhandeling, mostly "Te duur" or "Concurrent gekozen", so his win rate
  is the lowest (~0.1) and his `stage_conversion_rate` from Offerte the
  poorest (~0.3 against 0.6-0.9).
* R005 Lotte Mulder (Inside Sales; large Inside Sales Noord) -- the
  over-forecaster: her monthly forecasts are about 40% above her won value
  (`forecast_accuracy` ~ +0.4) and she revises more often; the other reps
  forecast within a few per cent either way.

Returned dtypes
---------------
* ids and text: object dtype holding Python `str` or None for small and
  medium; pandas `string[pyarrow]` (`pd.StringDtype("pyarrow")`, missing =
  `pd.NA`) for large, which keeps 10M activities in about 1 GB.
* timestamps: `datetime64[us, UTC]` (generated in Europe/Amsterdam working
  hours 08:30-17:30 on Dutch working days, then converted), missing = NaT.
* dates: `datetime64[s]`, naive, at midnight; `costs.month` is the month's
  first day in this form (`write_folder` writes it as `YYYY-MM`).
* numbers: float64 (missing = NaN); `stages.sequence` and `nps.score` int64.
* `targets.period` and `forecasts.period`: text (`2025`, `2025-Q3`,
  `2025-07`).
Ids: R001, L0000001, O0000001, A00000001, C000001, ORD00000001, CT000001
(the widths hold the large size).
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from koers.model import ACTIVITY_TYPES, TABLE_BY_NAME
from koers.settings import DEFAULT_ACTIVITY_POINTS

__all__ = ["build_demo", "write_folder", "PROFILE_REPS", "SIZES", "TABLE_ORDER"]

PROFILE_REPS = {
    "star": "R002",
    "slow_responder": "R003",
    "quote_loser": "R004",
    "over_forecaster": "R005",
}

TABLE_ORDER = (
    "reps", "stages", "leads", "opportunities", "stage_history", "activities",
    "activity_points", "customers", "orders", "contracts", "costs", "targets",
    "forecasts", "nps", "exchange_rates",
)

COLUMNS = {name: tuple(TABLE_BY_NAME[name].column_names) for name in TABLE_ORDER}


# --------------------------------------------------------------------------
# The company's vocabulary

DOMAIN = "noordwind.nl"

STAGES = (  # stage, sequence, probability, kind, forecast_category
    ("Nieuw", 1, 10.0, "open", "pipeline"),
    ("Gekwalificeerd", 2, 20.0, "open", "pipeline"),
    ("Behoefteanalyse", 3, 40.0, "open", "pipeline"),
    ("Offerte", 4, 60.0, "open", "best_case"),
    ("Onderhandeling", 5, 80.0, "open", "commit"),
    ("Gewonnen", 6, 100.0, "won", "commit"),
    ("Verloren", 7, 0.0, "lost", "omitted"),
)
WON, LOST, QUOTE = 5, 6, 3
STAGE_PROB = np.array([s[2] for s in STAGES])
STAGE_DAYS = np.array([3.0, 5.0, 9.0, 8.0, 6.0])  # mean working days in each open stage (Mid-market)
BASE_PASS = np.array([0.85, 0.80, 0.76, 0.66, 0.76])  # chance to move on from each open stage

ACTIVITY_POINTS = tuple(float(DEFAULT_ACTIVITY_POINTS[t]) for t in ACTIVITY_TYPES)  # the spec's defaults
DEMO, INTAKE, QUOTE_ACT = (ACTIVITY_TYPES.index(t) for t in ("demo", "intake", "quote"))


def _by_type(**p: float) -> tuple[float, ...]:
    """Weights per activity type, in ACTIVITY_TYPES order (0 for a type not named)."""
    return tuple(p.get(t, 0.0) for t in ACTIVITY_TYPES)


SOURCES = ("website", "referral", "paid_ads", "event", "outbound", "partner")
WEBSITE, REFERRAL, PAID_ADS, EVENT, OUTBOUND, PARTNER = range(6)
REGIONS = ("Randstad", "Noord", "Oost", "Zuid", "Vlaanderen", "Brussel")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
INDUSTRIES = (
    "Logistiek", "Groothandel", "Bouw & Installatie", "Maakindustrie", "Zorg", "Retail",
    "Zakelijke dienstverlening", "Agri & Food", "Overheid", "Onderwijs",
)
INDUSTRY_P = (0.18, 0.14, 0.12, 0.14, 0.08, 0.1, 0.1, 0.07, 0.04, 0.03)
COMPANY_SIZES = ("1-9", "10-49", "50-249", "250-999", "1000+")
SIZE_BY_SEGMENT = ((0.35, 0.65, 0, 0, 0), (0, 0.12, 0.88, 0, 0), (0, 0, 0.1, 0.6, 0.3))
PRODUCTS = (
    ("FlowPlan Cloud", "Software"),
    ("FlowPlan On-Premise", "Software"),
    ("ScanPoint Terminals", "Hardware"),
    ("Implementatie & Training", "Diensten"),
    ("Support Plus", "Diensten"),
)
PRODUCT_LINES = ("Software", "Hardware", "Diensten")
LINE_OF_PRODUCT = np.array([0, 0, 1, 2, 2])
SUBSCRIPTION = np.array([True, False, False, False, True])
PRODUCT_BY_SEGMENT = ((0.46, 0.04, 0.22, 0.06, 0.22), (0.4, 0.1, 0.28, 0.1, 0.12), (0.32, 0.2, 0.28, 0.12, 0.08))
PRICE = np.array(  # EUR; a year for subscriptions, by SMB / Mid-market / Enterprise
    [[4800, 24000, 96000], [9000, 40000, 150000], [6000, 30000, 120000], [2500, 12000, 45000], [1800, 7200, 24000]],
    dtype=float,
)
COST_SHARE = ((0.55, 0.62), (0.55, 0.65), (0.68, 0.75), (0.60, 0.72), (0.55, 0.65))
CURRENCIES = ("USD", "GBP", "CHF")
RATE_START = (0.92, 1.17, 1.05)  # EUR per unit

LOST_REASONS = (
    "Te duur", "Concurrent gekozen", "Geen budget", "Geen reactie", "Geen behoefte",
    "Project uitgesteld", "Verkeerde timing", "Product past niet",
)
LOST_EARLY_P = (0.06, 0.08, 0.25, 0.27, 0.17, 0.07, 0.07, 0.03)
LOST_LATE_P = (0.35, 0.3, 0.1, 0.05, 0.02, 0.1, 0.03, 0.05)
LOST_QUOTE_LOSER_P = (0.52, 0.38, 0.03, 0.02, 0.0, 0.03, 0.01, 0.01)
LOST_RENEWAL_P = (0.45, 0.35, 0.1, 0.0, 0.05, 0.0, 0.0, 0.05)
CHURN_REASONS = (
    "Te duur", "Overgestapt naar concurrent", "Ontevreden over support", "Bedrijf gestopt",
    "Faillissement", "Overgenomen door ander bedrijf", "Geen gebruik meer",
)
CHURN_P = (0.22, 0.25, 0.14, 0.1, 0.09, 0.08, 0.12)
NPS_GOOD = (0.02, 0.01, 0.01, 0.02, 0.03, 0.04, 0.06, 0.12, 0.2, 0.25, 0.24)
NPS_BAD = (0.07, 0.05, 0.06, 0.08, 0.09, 0.11, 0.13, 0.15, 0.13, 0.08, 0.05)

WARM_UP_DAYS = 730
SEASON = np.array([0.95, 1.0, 1.12, 1.1, 1.05, 1.0, 0.62, 0.58, 1.05, 1.15, 1.2, 0.9])
EVENTS = (
    (2, "Vakbeurs Logistiek"), (3, "Smart Industry Beurs"), (5, "Techniek Nederland Live"),
    (9, "Transport & Logistiek Gent"), (10, "Logistics Expo London"), (11, "Noordwind Klantendag"),
)
FOREIGN_EVENT = "Logistics Expo London"  # paid in GBP

# Team kinds: how a team finds its business.
INSIDE, FIELD, ENTERPRISE, PARTNER_K, AM = range(5)
KIND_ROLE = ("inside_sales", "field_sales", "field_sales", "field_sales", "account_manager")
LEADS_PER_DAY = np.array([9.0, 4.4, 1.8, 3.6, 0.0])  # per rep per working day, before scaling
WEEKEND_LEADS = np.array([0.15, 0.0, 0.0, 0.0, 0.0])
SOURCE_BY_KIND = (
    (0.36, 0.08, 0.26, 0.08, 0.14, 0.08),
    (0.10, 0.14, 0.04, 0.18, 0.38, 0.16),
    (0.04, 0.16, 0.0, 0.22, 0.46, 0.12),
    (0.02, 0.05, 0.0, 0.08, 0.05, 0.80),
    (1, 0, 0, 0, 0, 0),
)
SEGMENT_BY_KIND = ((0.82, 0.18, 0), (0.2, 0.6, 0.2), (0, 0.2, 0.8), (0.5, 0.4, 0.1), (1, 0, 0))
ACT_TYPES_BY_KIND = (  # the day-to-day work on a deal, by team kind
    _by_type(call=0.34, email=0.34, meeting=0.05, demo=0.03, voicemail=0.12, linkedin=0.07, other=0.05),
    _by_type(call=0.25, email=0.30, meeting=0.20, demo=0.05, voicemail=0.06, linkedin=0.09, other=0.05),
    _by_type(call=0.20, email=0.30, meeting=0.28, demo=0.06, voicemail=0.04, linkedin=0.08, other=0.04),
    _by_type(call=0.25, email=0.30, meeting=0.20, demo=0.05, voicemail=0.06, linkedin=0.09, other=0.05),
    _by_type(call=0.30, email=0.30, meeting=0.25, demo=0.03, voicemail=0.05, linkedin=0.02, other=0.05),
)
ACT_BASE = np.array([1.0, 1.6, 2.2, 1.6, 1.3])  # activities per deal, plus per week open:
ACT_WEEKLY = np.array([0.45, 0.65, 0.75, 0.6, 0.5])
SALARY = {"inside_sales": 4600.0, "field_sales": 6400.0, "account_manager": 5500.0, "sales_manager": 8200.0, "other": 5800.0}

ALL_REGIONS = (0.42, 0.1, 0.15, 0.18, 0.11, 0.04)
NL_REGIONS = (0.47, 0.12, 0.18, 0.23, 0, 0)
NOORD = (0.45, 0.35, 0.2, 0, 0, 0)
ZUID = (0.25, 0, 0, 0.75, 0, 0)
OOST = (0, 0.2, 0.8, 0, 0, 0)
RANDSTAD = (1, 0, 0, 0, 0, 0)
BELGIE = (0, 0, 0, 0, 0.8, 0.2)

FIRST_NL = (
    "Anna", "Bas", "Chantal", "Daan", "Eva", "Femke", "Gijs", "Hanneke", "Inge", "Jeroen", "Kim",
    "Lars", "Maarten", "Noor", "Olaf", "Pieter", "Ruben", "Sophie", "Thijs", "Ilse", "Vincent",
    "Wouter", "Yvonne", "Ziggy", "Anouk", "Bart", "Charlotte", "Dennis", "Esther", "Floor",
    "Geert", "Hugo", "Iris", "Jasper", "Koen", "Lieke", "Mark", "Nina", "Roel", "Sander", "Tessa",
    "Tim", "Vera", "Willem", "Jan", "Sem", "Lisa", "Mila", "Rick", "Marloes", "Niels", "Paul",
    "Emma", "Julia", "Robin", "Stijn", "Merel", "Mees", "Fleur", "Joost",
)
LAST_NL = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Smit",
    "Meijer", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs",
    "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn",
    "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra",
    "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman", "Postma",
    "Kuipers", "Veenstra", "Kramer", "van der Laan", "Scholten", "Wijnands", "Boersma",
)
FIRST_BE = (
    "Arne", "Bram", "Elke", "Fien", "Griet", "Hanne", "Jens", "Jolien", "Kobe", "Lien", "Lore",
    "Matthias", "Nele", "Pieterjan", "Ruben", "Sien", "Tine", "Wout", "Jef", "Ine", "Seppe",
    "Annelies", "Dries", "Kato",
)
LAST_BE = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
    "De Smet", "Dubois", "Lambert", "Dupont", "Hermans", "Van den Bossche", "Vermeersch",
    "De Clercq", "Aerts", "Declercq", "Van Damme", "Michiels", "Desmet", "Verstraete", "Pauwels",
)
PROFILE_NAMES = {
    "director": "Marieke van den Berg",
    "star": "Sanne Visser",
    "slow_responder": "Bram de Boer",
    "quote_loser": "Joris Peeters",
    "over_forecaster": "Lotte Mulder",
}
CITY_BY_REGION = (
    ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Leiden", "Haarlem", "Delft", "Amersfoort"),
    ("Groningen", "Leeuwarden", "Assen", "Drachten", "Emmen", "Heerenveen"),
    ("Zwolle", "Enschede", "Apeldoorn", "Arnhem", "Nijmegen", "Deventer", "Hengelo"),
    ("Eindhoven", "Breda", "Tilburg", "Maastricht", "'s-Hertogenbosch", "Venlo", "Helmond"),
    ("Antwerpen", "Gent", "Brugge", "Leuven", "Hasselt", "Kortrijk", "Mechelen"),
    ("Brussel", "Anderlecht", "Zaventem", "Vilvoorde"),
)
WORD_BY_INDUSTRY = (
    ("Logistiek", "Transport", "Distributie", "Expeditie"),
    ("Groothandel", "Trading", "Handelsonderneming"),
    ("Bouw", "Installatietechniek", "Bouwgroep"),
    ("Metaal", "Techniek", "Productie", "Machinebouw"),
    ("Zorggroep", "Thuiszorg", "Medisch"),
    ("Retail", "Winkels", "Mode"),
    ("Consultancy", "Advies", "Diensten"),
    ("Food", "Kwekerij", "Agrarisch"),
    ("Gemeentelijke Diensten", "Waterschap", "Facilitair Bedrijf"),
    ("Scholengroep", "Opleidingen", "Onderwijsgroep"),
)


@dataclass(frozen=True)
class Team:
    name: str
    kind: int
    regions: tuple
    headcount: int  # selling reps at the end of the history
    segments: tuple = (0, 1, 2)  # the customer segments an account management team serves


@dataclass(frozen=True)
class Size:
    years: int
    teams: tuple
    profile_teams: dict  # profile -> team name
    scale: float  # lead volume multiplier
    growth: float  # yearly growth of the lead flow
    start_share: float  # share of the final headcount already employed at the start
    presales: int  # pre-sales consultants (role other) in the first field team
    attrition: float  # yearly chance that a rep leaves (medium, large)


SIZES = {
    "small": Size(
        years=1,
        teams=(
            Team("Inside Sales", INSIDE, ALL_REGIONS, 3),
            Team("Field Sales", FIELD, ALL_REGIONS, 3),
            Team("Account Management", AM, ALL_REGIONS, 2),
        ),
        profile_teams={"star": "Field Sales", "slow_responder": "Inside Sales",
                       "quote_loser": "Field Sales", "over_forecaster": "Inside Sales"},
        scale=1.0, growth=0.10, start_share=1.0, presales=1, attrition=0.0,
    ),
    "medium": Size(
        years=3,
        teams=(
            Team("Inside Sales", INSIDE, ALL_REGIONS, 10),
            Team("Field Sales Noord", FIELD, NOORD, 7),
            Team("Field Sales Zuid", FIELD, ZUID, 7),
            Team("Sales Vlaanderen", FIELD, BELGIE, 4),
            Team("Enterprise", ENTERPRISE, ALL_REGIONS, 4),
            Team("Account Management", AM, ALL_REGIONS, 8),
        ),
        profile_teams={"star": "Field Sales Noord", "slow_responder": "Inside Sales",
                       "quote_loser": "Field Sales Zuid", "over_forecaster": "Inside Sales"},
        scale=1.35, growth=0.15, start_share=0.75, presales=2, attrition=0.12,
    ),
    "large": Size(
        years=5,
        teams=(
            Team("Inside Sales Noord", INSIDE, NOORD, 22),
            Team("Inside Sales Zuid", INSIDE, (0.2, 0, 0.35, 0.45, 0, 0), 22),
            Team("Inside Sales Vlaanderen", INSIDE, BELGIE, 10),
            Team("Field Sales Noord", FIELD, NOORD, 18),
            Team("Field Sales Oost", FIELD, OOST, 14),
            Team("Field Sales Zuid", FIELD, ZUID, 18),
            Team("Field Sales Randstad", FIELD, RANDSTAD, 20),
            Team("Field Sales Vlaanderen", FIELD, BELGIE, 12),
            Team("Enterprise NL", ENTERPRISE, NL_REGIONS, 10),
            Team("Enterprise BE", ENTERPRISE, BELGIE, 4),
            Team("Partner Sales", PARTNER_K, ALL_REGIONS, 8),
            Team("Account Management MKB", AM, ALL_REGIONS, 20, (0,)),
            Team("Account Management Enterprise", AM, ALL_REGIONS, 12, (1, 2)),
            Team("Customer Success", AM, ALL_REGIONS, 10),
        ),
        profile_teams={"star": "Field Sales Noord", "slow_responder": "Inside Sales Noord",
                       "quote_loser": "Field Sales Zuid", "over_forecaster": "Inside Sales Noord"},
        scale=1.22, growth=0.15, start_share=0.75, presales=6, attrition=0.12,
    ),
}

# --------------------------------------------------------------------------
# Time: local minutes since 1970-01-01 00:00 Europe/Amsterdam wall clock

NEVER = np.int64(2**62)  # "not (yet)": compares after every real moment
DAY = 1440
WORK_START, WORK_LEN = 510, 540  # 08:30-17:30


def _day(d: _dt.date) -> int:
    return (d - _dt.date(1970, 1, 1)).days


def _date(day: int) -> _dt.date:
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))


def _weekday(days):
    return (np.asarray(days) + 3) % 7  # Monday 0


def _month_no(days) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return np.asarray(days, dtype="int64").astype("M8[D]").astype("M8[M]").astype("int64")


def _month_first_day(months) -> np.ndarray:
    return np.asarray(months, dtype="int64").astype("M8[M]").astype("M8[D]").astype("int64")


def _add_months(days, k) -> np.ndarray:
    """The same day of the month k months later (the month's last day when it is shorter)."""
    days = np.asarray(days, dtype="int64")
    m = _month_no(days)
    dom = days - _month_first_day(m)
    target = m + np.asarray(k, dtype="int64")
    length = _month_first_day(target + 1) - _month_first_day(target)
    return _month_first_day(target) + np.minimum(dom, length - 1)


def _easter(year: int) -> _dt.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def _holidays(years) -> list[int]:
    out = []
    for y in years:
        e = _easter(y)
        king = _dt.date(y, 4, 27)
        if king.weekday() == 6:
            king = _dt.date(y, 4, 26)
        for d in (_dt.date(y, 1, 1), e + _dt.timedelta(1), king, e + _dt.timedelta(39),
                  e + _dt.timedelta(50), _dt.date(y, 12, 25), _dt.date(y, 12, 26)):
            out.append(_day(d))
    return out


def _last_sunday(year: int, month: int) -> int:
    last = _day(_dt.date(year, month, 31))
    return last - (int(_weekday(last)) + 1) % 7


def _dst_bounds(years, utc: bool) -> np.ndarray:
    """Sorted [start, end) pairs of summer time, in local or UTC minutes."""
    out = []
    for y in years:
        s, e = _last_sunday(y, 3) * DAY, _last_sunday(y, 10) * DAY
        out += [s + 60, e + 60] if utc else [s + 120, e + 180]
    return np.array(out, dtype="int64")


def _local_to_utc_us(t: np.ndarray) -> np.ndarray:
    """Local wall-clock minutes (NEVER = missing) to UTC microseconds (NaT = missing)."""
    t = np.asarray(t, dtype="int64")
    ok = t < NEVER
    if not ok.any():
        return np.full(len(t), np.iinfo("int64").min, dtype="int64")
    lo, hi = int(t[ok].min()), int(t[ok].max())
    years = range(_date(lo // DAY).year - 1, _date(hi // DAY).year + 2)
    summer = np.searchsorted(_dst_bounds(years, utc=False), t, side="right") % 2 == 1
    utc = (t - np.where(summer, 120, 60)) * 60_000_000
    return np.where(ok, utc, np.iinfo("int64").min)


class Calendar:
    """Dutch working days (Mon-Fri without public holidays), 08:30-17:30.

    A working-minute count `wm` numbers the working minutes from the first
    day of the calendar; adding working time is adding to `wm`.
    """

    def __init__(self, first_day: int, last_day: int):
        days = np.arange(first_day, last_day)
        years = range(_date(first_day).year, _date(last_day).year + 1)
        self.first = first_day
        self.is_bd = (_weekday(days) < 5) & ~np.isin(days, _holidays(years))
        self.bd_before = np.concatenate([[0], np.cumsum(self.is_bd)[:-1]]).astype("int64")
        self.bd_days = days[self.is_bd]

    def business(self, days) -> np.ndarray:
        i = np.clip(np.asarray(days) - self.first, 0, len(self.is_bd) - 1)
        return self.is_bd[i]

    def wm(self, t) -> np.ndarray:
        t = np.asarray(t, dtype="int64")
        d = t // DAY
        i = np.clip(d - self.first, 0, len(self.is_bd) - 1)
        inside = np.where(self.is_bd[i], np.clip(t - d * DAY - WORK_START, 0, WORK_LEN), 0)
        return self.bd_before[i] * WORK_LEN + inside

    def at(self, w) -> np.ndarray:
        """The local moment of working minute w."""
        w = np.asarray(w, dtype="int64")
        k = np.clip(w // WORK_LEN, 0, len(self.bd_days) - 1)
        return self.bd_days[k] * DAY + WORK_START + w % WORK_LEN

    def add(self, t, minutes) -> np.ndarray:
        """t plus working minutes: a lead at 21:00 plus 30 minutes is 09:00 next working day."""
        return self.at(self.wm(t) + np.asarray(minutes, dtype="int64"))

    def bd_shift(self, days, n) -> np.ndarray:
        """The n-th working day after (n > 0) or before (n < 0) each day; n = 0 rolls forward."""
        i = np.clip(np.asarray(days) - self.first, 0, len(self.is_bd) - 1)
        n = np.asarray(n)
        idx = self.bd_before[i] + n - ((n > 0) & ~self.is_bd[i])
        return self.bd_days[np.clip(idx, 0, len(self.bd_days) - 1)]


# --------------------------------------------------------------------------
# Small vectorised helpers


def _pick(rng, probs, groups=None, n=None) -> np.ndarray:
    """Categorical draws: probs (K,) for n draws, or (G, K) rows chosen by groups."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs)
        cum /= cum[-1]
        return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)
    groups = np.asarray(groups)
    u = rng.random(len(groups))
    out = np.zeros(len(groups), dtype="int64")
    for g in range(probs.shape[0]):
        m = groups == g
        if m.any() and probs[g].sum() > 0:
            cum = np.cumsum(probs[g])
            cum /= cum[-1]
            out[m] = np.minimum(np.searchsorted(cum, u[m], side="right"), len(cum) - 1)
    return out


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    width = max(width, len(str(n)))
    nums = pc.cast(pa.array(np.arange(1, n + 1, dtype="int64")), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def _take(values, idx) -> pa.Array:
    """values[idx] as a pyarrow string array, null where idx < 0."""
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), pa.string())
    idx = np.asarray(idx, dtype="int64")
    return pc.take(values, pa.array(idx, mask=idx < 0))


def _round_to(x, step):
    return np.round(np.asarray(x, dtype=float) / step) * step


def _repeat_ranges(counts) -> tuple[np.ndarray, np.ndarray]:
    """For counts c_i: (owner index i repeated c_i times, 0..c_i-1 within each)."""
    counts = np.asarray(counts, dtype="int64")
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    within = np.arange(counts.sum()) - np.repeat(starts, counts)
    return owner, within


def _period_month(months) -> np.ndarray:
    m = np.asarray(months, dtype="int64")
    return np.char.add(np.char.add((1970 + m // 12).astype(str), "-"), np.char.zfill((m % 12 + 1).astype(str), 2))


def _period_quarter(quarters) -> np.ndarray:
    q = np.asarray(quarters, dtype="int64")  # quarters since 1970-Q1
    return np.char.add(np.char.add((1970 + q // 4).astype(str), "-Q"), (q % 4 + 1).astype(str))


def _release_memory() -> None:
    """Hand freed memory back to the OS (glibc keeps freed heap otherwise); a no-op elsewhere."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


# --------------------------------------------------------------------------
# Building


class _Builder:
    def __init__(self, size: Size, seed: int, until: _dt.date, arrow_strings: bool):
        self.cfg = size
        self.rng = np.random.default_rng(seed)
        self.arrow = arrow_strings
        self.until_day = _day(until)
        try:
            start = until.replace(year=until.year - size.years)
        except ValueError:  # 29 February
            start = until.replace(year=until.year - size.years, day=28)
        self.start_day = _day(start)
        # The business runs two years before the window, so the window opens on a going concern
        # (customers, contracts, open deals); `trim` keeps of those years only what is still running.
        self.sim_day = self.start_day - WARM_UP_DAYS
        self.until = self.until_day * DAY  # local midnight: every event is before it
        self.cal = Calendar(self.sim_day - 400, self.until_day + 5 * 366)
        self.campaigns: list[str] = []
        self._campaign_code: dict[str, int] = {}

    # -- helpers ------------------------------------------------------------
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

    def rate(self, cur, day) -> np.ndarray:
        """EUR per unit of currency code cur (-1 = EUR) on day."""
        cur = np.asarray(cur)
        i = np.clip(_month_no(day) - self.rate_month0, 0, self.rates.shape[1] - 1)
        return np.where(cur < 0, 1.0, self.rates[np.maximum(cur, 0), i])

    def working_time(self, days) -> np.ndarray:
        """A random moment within working hours on each (working) day."""
        days = np.asarray(days, dtype="int64")
        return days * DAY + WORK_START + self.rng.integers(0, WORK_LEN, len(days))

    # -- reps ---------------------------------------------------------------
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
            return int(d + (7 - _weekday(d)) % 7)

        def first_of_next_month(d):
            return int(_month_first_day(_month_no(d) + 1))

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
            "rep_id": _ids("R", n, 3),
            "name": pa.array(self.r_name),
            "email": pa.array([
                _ascii(f"{nm.split(' ', 1)[0]}.{nm.split(' ', 1)[1]}").lower().replace(" ", "").replace("'", "")
                + "@" + DOMAIN for nm in self.r_name]),
            "team": _take(self.team_names + ["Directie"], np.where(self.r_team < 0, len(self.team_names), self.r_team)),
            "role": pa.array(self.r_role),
            "manager_id": self.r_manager,  # resolved to ids in frames
            "hired_on": ("date", self.r_hired),
            "left_on": ("date", np.where(left < 0, NEVER, left)),
        }

    # -- leads --------------------------------------------------------------
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

        source = _pick(rng, SOURCE_BY_KIND, kind)
        weekend = ~cal.business(day)
        source = np.where(weekend, np.where(rng.random(n) < 0.6, WEBSITE, PAID_ADS), source)
        web = (source == WEBSITE) | (source == PAID_ADS)
        hour_w = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 4, 6, 6, 5.5, 4.5, 5, 5.5, 5, 4.5, 3.5, 2.5, 2.5,
                           2.8, 2.5, 1.5, 0.6])
        minute = np.where(web, _pick(rng, hour_w, n=n) * 60 + rng.integers(0, 60, n),
                          WORK_START + rng.integers(0, WORK_LEN, n))

        # event leads are met at an event and entered within a few working days
        y0, y1 = _date(self.sim_day).year - 1, _date(self.until_day).year
        ev_day, ev_code = [], []
        for y in range(y0, y1 + 1):
            for month, name in EVENTS:
                first = _day(_dt.date(y, month, 1))
                tue = first + (1 - int(_weekday(first))) % 7 + 7  # second Tuesday
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

        region = _pick(rng, [cfg.teams[t].regions for t in range(len(cfg.teams))], team)
        segment = _pick(rng, SEGMENT_BY_KIND, kind)
        industry = _pick(rng, INDUSTRY_P, n=n)
        csize = _pick(rng, SIZE_BY_SEGMENT, segment)
        product = _pick(rng, PRODUCT_BY_SEGMENT, segment)

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

    # -- the pipeline -------------------------------------------------------
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
        term = np.where(SUBSCRIPTION[product], _pick(rng, (0.5, 0.25, 0.25), n=n) + 1, 1)
        eur = PRICE[product, seg] * rng.lognormal(0, 0.35, n) * term
        cur = np.where((seg > 0) & (rng.random(n) < 0.06), _pick(rng, (0.55, 0.35, 0.10), n=n), -1)
        return self.deals(pipe, created=created, rep_orig=L["rep"][li], lead=li, customer=np.full(n, -1),
                          product=product, seg=seg, eur=eur, cur=cur, term=term,
                          deal_type=np.where(rng.random(n) < 0.1, -1, 0), kind=L["kind"][li])

    def deals(self, pipe, *, created, rep_orig, lead, customer, product, seg, eur, cur, term, deal_type, kind):
        rng = self.rng
        n = len(created)
        amount = np.maximum(50.0, _round_to(eur / self.rate(cur, created // DAY), 50))
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
        reason = np.where(ql & exit_late, _pick(rng, LOST_QUOTE_LOSER_P, n=n),
                          np.where(exit_late, _pick(rng, LOST_LATE_P, n=n), _pick(rng, LOST_EARLY_P, n=n)))
        renewal = deal_type == 3
        reason = np.where(renewal, _pick(rng, LOST_RENEWAL_P, n=n), reason)
        reason = np.where((status == 2) & (rng.random(n) < 0.95), reason, -1)
        return dict(created=created, rep_orig=rep_orig, lead=lead, customer=customer, product=product, seg=seg,
                    eur=eur, cur=cur, term=term, deal_type=deal_type, kind=kind, amount=amount, prob=prob, fc=fc,
                    reason=reason, **{k: pipe[k] for k in ("status", "closed", "stage", "expected",
                                                           "reached_quote", "ent_t")}, h=pipe["h"])

    # -- customers ----------------------------------------------------------
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
        C["reason"] = np.where(C["churn"] < NEVER, _pick(rng, CHURN_P, n=n), -1)

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
            end = _add_months(start, 12 * term)
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
            new_term = _pick(rng, (0.5, 0.25, 0.25), n=m) + 1
            new_total = total / term * rng.uniform(1.02, 1.06, m) * new_term
            cur = C["cur"][cust]
            rep0 = self.owner_at(C["am"][cust], created // DAY)
            d = self.deals(pipe, created=created, rep_orig=rep0, lead=np.full(m, -1), customer=cust,
                           product=C["product"][cust], seg=seg, eur=new_total * self.rate(cur, created // DAY),
                           cur=cur, term=new_term, deal_type=np.full(m, 3), kind=np.full(m, AM))
            d["amount"] = _round_to(new_total, 1.0)
            deals.append(d)
            ids = offset + np.arange(m)
            offset += m
            won = (d["status"] == 1) & (end < self.until_day)
            lost = (d["status"] == 2) & (end < self.until_day)
            lc = cust[lost]
            earlier = C["churn"][lc] > end[lost]
            C["churn"][lc[earlier]] = end[lost][earlier]
            C["reason"][lc[earlier]] = np.where(d["reason"][lost][earlier] == 1, 1,
                                                _pick(rng, CHURN_P, n=int(earlier.sum())))
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
        cust, _ = _repeat_ranges(count)
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

    # -- all deals together ---------------------------------------------------
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

    # -- orders and contracts -------------------------------------------------
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
            k, j = _repeat_ranges(n_bills)
            day = _add_months(ct["start"][k], j * step[k])
            keep = day < stop[k]
            k, day = k[keep], day[keep]
            amount = _round_to(ct["total"][k] / ct["term"][k] / 12 * step[k], 0.01)
            cust = ct["cust"][k]
            parts.append(dict(cust=cust, opp=ct["opp"][k], day=day, amount=amount, product=C["product"][cust],
                              rep=self.owner_at(C["am"][cust], day)))
        Od = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        n = len(Od["day"])
        lo_hi = np.array(COST_SHARE)[Od["product"]]
        cost = _round_to(Od["amount"] * rng.uniform(lo_hi[:, 0], lo_hi[:, 1]), 0.01)
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
        Od["amount"][n:] = -_round_to(Od["amount"][n:] * frac, 0.01)
        cost = np.concatenate([cost, -_round_to(cost[cr] * frac, 0.01)])
        Od["cost"] = cost
        Od["cur"] = C["cur"][Od["cust"]]
        order = np.lexsort((Od["cust"], Od["day"]))
        self.orders = {k: v[order] for k, v in Od.items()}

    # -- activities ---------------------------------------------------------
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
        typ = np.where(ob, _pick(rng, _by_type(call=0.6, email=0.15, linkedin=0.25), n=len(li)),
                       _pick(rng, _by_type(call=0.55, email=0.35, linkedin=0.1), n=len(li)))
        part(L["rep"][li], typ, L["resp"][li], lead=li, planned=False,
             due=np.where(ob, NEVER, L["created"][li] + 120))
        # follow-up attempts on inbound leads before they are qualified or dropped
        li2 = np.flatnonzero((L["resp"] < NEVER) & ~L["outbound"])
        idx, _ = _repeat_ranges(rng.poisson(0.35, len(li2)))
        lead = li2[idx]
        end = np.minimum(np.minimum(L["q_at"][lead], L["d_at"][lead]), cal.add(L["resp"][lead], 10 * WORK_LEN))
        w0, w1 = cal.wm(L["resp"][lead]), cal.wm(np.minimum(end, horizon))
        t = cal.at(w0 + 1 + (rng.random(len(lead)) * np.maximum(w1 - w0 - 1, 1)).astype("int64"))
        part(L["rep"][lead], _pick(rng, _by_type(call=0.3, email=0.35, voicemail=0.35), n=len(lead)), t, lead=lead)
        # the intake meeting qualifies the lead
        lq = np.flatnonzero(L["q_at"] < NEVER)
        part(L["rep"][lq], INTAKE, L["q_at"][lq], lead=lq)
        del li, ob, typ, li2, idx, lead, end, w0, w1, t, lq

        # deal work, spread over the life of the deal
        n = self.n_opps
        end = np.where(D["closed"] < NEVER, D["closed"], horizon)
        weeks = np.minimum((end - D["created"]) / (7 * DAY), 26)
        rep0 = self.owner_at(D["rep_orig"], D["created"] // DAY)
        idx, _ = _repeat_ranges(rng.poisson(self.r_act[rep0] * (ACT_BASE[D["kind"]] + ACT_WEEKLY[D["kind"]] * weeks)))
        w0, w1 = cal.wm(D["created"][idx]), cal.wm(end[idx])
        t = cal.at(w0 + (rng.random(len(idx)) * np.maximum(w1 - w0, 1)).astype("int64"))
        del w0, w1
        part(D["rep_orig"][idx], _pick(rng, ACT_TYPES_BY_KIND, D["kind"][idx]), t, opp=idx,
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
        idx, j = _repeat_ranges(1 + rng.poisson(0.3, len(qt)))
        t = cal.add(ent[qt[idx], 3], j * rng.integers(WORK_LEN, 4 * WORK_LEN, len(idx)))
        part(D["rep_orig"][qt[idx]], QUOTE_ACT, t, opp=qt[idx], cust=D["customer"][qt[idx]])
        del dm, t, owner, qt, idx, j

        # account management check-ins with customers
        lo = C["acq"] + 14
        hi = np.minimum(C["churn"], self.until_day + 14)
        cu, _ = _repeat_ranges(rng.poisson(np.maximum(hi - lo, 0) / np.array([180.0, 90.0, 40.0])[C["seg"]]))
        day = cal.bd_shift(lo[cu] + (rng.random(len(cu)) * (hi[cu] - lo[cu])).astype("int64"), 0)
        part(C["am"][cu], _pick(rng, _by_type(call=0.35, email=0.25, meeting=0.3, other=0.1), n=len(cu)),
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

    # -- nps ------------------------------------------------------------------
    def build_nps(self):
        rng, C = self.rng, self.c
        first = C["acq"] + 60 + rng.integers(0, 120, self.n_cust)
        stop = np.minimum(C["churn"], self.until_day)
        waves = np.maximum(0, np.ceil((stop - first) / 182.5)).astype("int64")
        cu, j = _repeat_ranges(waves)
        day = first[cu] + np.round(j * 182.5).astype("int64") + rng.integers(0, 10, len(cu))
        keep = (day < stop[cu]) & (rng.random(len(cu)) < 0.32)
        cu, day = cu[keep], day[keep]
        bad = C["unhappy"][cu] | (C["churn"][cu] < NEVER)
        score = np.where(bad, _pick(rng, NPS_BAD, n=len(cu)), _pick(rng, NPS_GOOD, n=len(cu)))
        order = np.lexsort((cu, day))
        self.nps = dict(cust=cu[order], day=day[order], score=score[order])

    # -- money ----------------------------------------------------------------
    def build_rates(self):
        rng = self.rng
        m0 = int(_month_no(self.sim_day)) - 1
        m1 = int(_month_no(self.until_day - 1))
        self.rate_month0 = m0
        k = m1 - m0 + 1
        steps = rng.normal(0, 0.015, (3, k))
        steps[:, 0] = 0
        self.rates = np.round(np.array(RATE_START)[:, None] * np.exp(np.cumsum(steps, axis=1)), 4)
        self.rate_months = np.arange(m0, m1 + 1)

    def build_costs(self):
        rng, L = self.rng, self.l
        m_first = int(_month_no(self.start_day - 1)) + 1  # a cost counts at its month's first day
        m_last = int(_month_no(self.until_day - 1))
        rows = []  # month, category(0 marketing, 1 sales), source, campaign, amount, currency
        lm = _month_no(L["created"] // DAY)
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
        amount = np.where(linkedin, amount / self.rate(0, _month_first_day(months)), amount)
        cur = np.where(linkedin, 0, cur)
        rows.append((months[keep], cat[keep], src[keep], camp[keep], amount[keep], cur[keep]))
        # events: stand and travel in the event's month
        ev_day, ev_code = self.events
        em = _month_no(ev_day)
        ek = (em >= m_first) & (em <= m_last)
        foreign = np.array([self.campaigns[c].startswith(FOREIGN_EVENT) for c in ev_code])
        ev_amt = rng.uniform(25000, 60000, len(ev_day)) * max(1.0, len(self.presales) / 1.5)
        ev_amt = np.where(foreign, ev_amt / self.rate(1, ev_day), ev_amt)
        rows.append((em[ek], np.zeros(ek.sum(), int), np.full(ek.sum(), EVENT), ev_code[ek], ev_amt[ek],
                     np.where(foreign, 1, -1)[ek]))
        # every month: content and SEO (website, no campaign) and partner fees are in the lead groups;
        # sales: salaries of everyone employed mid-month, and sales tooling (outbound, no campaign)
        all_m = np.arange(m_first, m_last + 1)
        mid = _month_first_day(all_m) + 14
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
        self.costs = dict(month=month, cat=cat, src=src, camp=camp, amount=_round_to(amt, 0.01), cur=cur)

    # -- targets and forecasts ------------------------------------------------
    def won_by_rep_month(self):
        D = self.o
        w = np.flatnonzero(D["status"] == 1)
        eur = D["amount"][w] * self.rate(D["cur"][w], D["closed"][w] // DAY)
        m = _month_no(D["closed"][w] // DAY) - self.m0
        A = np.zeros((self.n_reps, self.m_end - self.m0))
        np.add.at(A, (D["rep"][w][m >= 0], m[m >= 0]), eur[m >= 0])
        return A

    def build_targets_and_forecasts(self):
        rng, cal = self.rng, self.cal
        m_data_end = int(_month_no(self.until_day - 1)) + 1  # months with data: [m0, m_data_end)
        self.m0 = int(_month_no(self.start_day))
        self.m_end = ((m_data_end + 2) // 3 + 1) * 3  # targets run to the end of the quarter after next month
        M = self.m_end - self.m0
        months = np.arange(self.m0, self.m_end)
        mstart = _month_first_day(months)
        mnext = _month_first_day(months + 1)
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
            tv = np.maximum(1000, _round_to(typical(A, reps) * 1.08 * shape[None, :] * ramp, 1000)) * emp[reps]
            team_target[t] = tv.sum(axis=0)
            ri, mi = np.nonzero(emp[reps])
            add(_period_month(months[mi]), "won_value", reps[ri], -1, tv[ri, mi])
        # activity points and qualified leads for inside sales, per month
        a = self.a
        done = a["done"] >= self.start_day * DAY
        done &= a["done"] < NEVER
        P = np.zeros((self.n_reps, M))
        np.add.at(P, (a["owner"][done], _month_no(a["done"][done] // DAY) - self.m0),
                  np.array(ACTIVITY_POINTS)[a["type"][done]])
        L = self.l
        qm = (L["q_at"] < NEVER) & (L["q_at"] >= self.start_day * DAY)
        Q = np.zeros((self.n_reps, M))
        np.add.at(Q, (self.owner_at(L["rep"][qm], L["q_at"][qm] // DAY), _month_no(L["q_at"][qm] // DAY) - self.m0), 1)
        inside = sellers[self.r_kind[sellers] == INSIDE]
        for kpi, X, step in (("activity_points", P, 10), ("qualified_leads", Q, 1)):
            tv = np.maximum(step, _round_to(typical(X, inside) * 1.05 * shape, step))
            ri, mi = np.nonzero(emp[inside])
            add(_period_month(months[mi]), kpi, inside[ri], -1, tv[mi])
        # team targets per quarter (quarters wholly inside the months above): won value for every
        # selling team, revenue for account management
        q_of = months // 3
        quarters = np.array([q for q in np.unique(q_of) if (q_of == q).sum() == 3])
        orders = self.orders
        rev = orders["amount"] * self.rate(orders["cur"], orders["day"])
        rev_team = self.r_team[self.owner_at(self.c["am"][orders["cust"]], orders["day"])]
        rev_q = _month_no(orders["day"]) // 3
        for t, team in enumerate(self.cfg.teams):
            if team_target[t].sum() > 0:
                add(_period_quarter(quarters), "won_value", -1, t,
                    np.array([team_target[t][q_of == q].sum() for q in quarters]))
            if team.kind == AM:
                qr = np.array([rev[(rev_team == t) & (rev_q == q)].sum() for q in quarters])
                has = quarters * 3 + 3 <= m_data_end
                base = qr[has][-2:].mean() if has.any() else 0.0
                qr = np.where(has, qr, base * 1.05)
                add(_period_quarter(quarters), "revenue", -1, t, np.maximum(1000, _round_to(qr * 1.06, 1000)))
        # company targets per year: last year's pace (annualised) plus 8%
        years = np.unique(months // 12)
        y_text = [str(1970 + y) for y in years]
        covered = np.array([max(min(_day(_dt.date(1971 + y, 1, 1)), self.until_day)
                                - max(_day(_dt.date(1970 + y, 1, 1)), self.start_day), 0) for y in years], float)
        acq = self.c["acq"][self.c["acq"] >= self.start_day]
        created = L["created"][L["created"] >= self.start_day * DAY] // DAY
        for kpi, ys, vals, step in (
            ("revenue", _month_no(orders["day"]) // 12, rev, 1000),
            ("new_customers", _month_no(acq) // 12, None, 1),
            ("leads", _month_no(created) // 12, None, 10),
        ):
            tot = np.array([(vals[ys == y].sum() if vals is not None else (ys == y).sum()) for y in years], float)
            annual = np.where(covered >= 90, tot * 365.25 / np.maximum(covered, 1), np.nan)
            valid = np.flatnonzero(~np.isnan(annual))
            near = valid[np.abs(np.arange(len(years))[:, None] - valid[None, :]).argmin(axis=1)]
            annual = annual[near] * (1 + self.cfg.growth) ** (np.arange(len(years)) - near) * 1.08
            add(y_text, kpi, -1, -1, np.maximum(step, _round_to(annual, step)))
        in_year = np.array([((months // 12) == y).sum() for y in years])
        yv = np.array([team_target[:, (months // 12) == y].sum() for y in years]) * 12 / in_year
        add(y_text, "won_value", -1, -1, _round_to(yv, 1000))
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
        f_rows.append((ri, _period_month(months[mi]), final_day[mi], amt))
        rv = rng.random(len(ri)) < np.where(ri == self.r_profile["over_forecaster"], 0.6, 0.3)
        early = cal.bd_shift(mstart[mi[rv]], -1 - rng.integers(2, 6, rv.sum()))
        f_rows.append((ri[rv], _period_month(months[mi[rv]]), early, amt[rv] * rng.lognormal(0, 0.12, rv.sum())))
        field = sellers[np.isin(self.r_kind[sellers], (FIELD, ENTERPRISE))]
        for q in quarters:
            qm = np.flatnonzero(q_of == q)
            sub = field[ok[field, qm[0]]]
            if len(sub):
                amt_q = expect[sub][:, qm].sum(axis=1) * self.r_bias[sub] * rng.lognormal(0, 0.1, len(sub))
                f_rows.append((sub, _period_quarter(np.full(len(sub), q)), np.full(len(sub), final_day[qm[0]]), amt_q))
        fc = {k: np.concatenate([np.broadcast_to(r[i], (len(r[0]),)) for r in f_rows])
              for i, k in enumerate(("rep", "period", "day", "amount"))}
        fc["amount"] = np.maximum(0, _round_to(fc["amount"], 500))
        o = np.lexsort((fc["day"], fc["period"], fc["rep"]))
        self.forecasts = {k: v[o] for k, v in fc.items()}

    # -- the window ----------------------------------------------------------
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

    # -- output ---------------------------------------------------------------
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
        _release_memory()
        self.build_costs()
        self.build_targets_and_forecasts()
        return self.frames()

    def text(self, arr) -> pd.Series:
        if not isinstance(arr, (pa.Array, pa.ChunkedArray)):
            arr = pa.array(arr, pa.string())
        if self.arrow:
            return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr])))
        return pd.Series(arr.to_numpy(zero_copy_only=False), dtype=object)

    @staticmethod
    def ts(t) -> pd.Series:
        return pd.Series(_local_to_utc_us(t).view("M8[us]")).dt.tz_localize("UTC")

    @staticmethod
    def date(days) -> pd.Series:
        days = np.asarray(days, dtype="int64")
        sec = np.where(days < NEVER, days * 86400, np.iinfo("int64").min)
        return pd.Series(sec.view("M8[s]"))

    def frame(self, table: str, cols: dict) -> pd.DataFrame:
        out = {}
        for name in COLUMNS[table]:
            v = cols[name]
            if isinstance(v, tuple):
                kind, data = v
                out[name] = self.ts(data) if kind == "ts" else self.date(data)
            elif isinstance(v, (pa.Array, pa.ChunkedArray)):
                out[name] = self.text(v)
            else:
                arr = np.asarray(v)
                out[name] = pd.Series(arr.astype("int64") if arr.dtype.kind in "iu" else arr.astype("float64"))
        df = pd.DataFrame(out, copy=False)
        _release_memory()
        return df

    def frames(self) -> dict[str, pd.DataFrame]:
        """Convert to DataFrames, biggest first, dropping each table's arrays once converted."""
        rep_ids = self.reps["rep_id"]
        lead_ids = _ids("L", self.n_leads, 7)
        opp_ids = _ids("O", self.n_opps, 7)
        cust_ids = _ids("C", self.n_cust, 6)
        stage_names = pa.array([s[0] for s in STAGES])
        products = [p[0] for p in PRODUCTS]
        tables = {}
        a = self.a
        tables["activities"] = self.frame("activities", {
            "activity_id": _ids("A", len(a["due"]), 8), "owner_id": _take(rep_ids, a.pop("owner")),
            "type": _take(ACTIVITY_TYPES, a.pop("type")), "lead_id": _take(lead_ids, a.pop("lead")),
            "opportunity_id": _take(opp_ids, a.pop("opp")), "customer_id": _take(cust_ids, a.pop("cust")),
            "due_at": ("ts", a.pop("due")), "done_at": ("ts", a.pop("done"))})
        del self.a, a
        H = self.h
        tables["stage_history"] = self.frame("stage_history", {
            "opportunity_id": _take(opp_ids, H["deal"]), "stage": _take(stage_names, H["stage"]),
            "entered_at": ("ts", H["at"])})
        del self.h, H
        L, D, C = self.l, self.o, self.c
        lead = D["lead"]
        li = np.maximum(lead, 0)
        copy = D["copy_lead"]
        ci = np.maximum(D["customer"], 0)
        region = np.where(lead >= 0, np.where(copy, L["region"][li], -1), C["region"][ci])
        segment = np.where(lead >= 0, np.where(copy, L["segment"][li], -1), C["seg"][ci])
        tables["opportunities"] = self.frame("opportunities", {
            "opportunity_id": opp_ids, "lead_id": _take(lead_ids, lead),
            "customer_id": _take(cust_ids, D["customer"]), "owner_id": _take(rep_ids, D["rep"]),
            "created_at": ("ts", D["created"]), "closed_at": ("ts", D["closed"]),
            "status": _take(("open", "won", "lost"), D["status"]), "stage": _take(stage_names, D["stage"]),
            "amount": D["amount"], "currency": _take(CURRENCIES, D["cur"]), "probability": D["prob"],
            "expected_close_on": ("date", D["expected"]),
            "forecast_category": _take(("pipeline", "best_case", "commit", "omitted"), D["fc"]),
            "product": _take(products, D["product"]),
            "product_line": _take(PRODUCT_LINES, LINE_OF_PRODUCT[D["product"]]),
            "region": _take(REGIONS, region), "segment": _take(SEGMENTS, segment),
            "source": _take(SOURCES, np.where(copy, L["source"][li], -1)),
            "campaign": _take(self.campaigns, np.where(copy, L["campaign"][li], -1)),
            "deal_type": _take(("new_business", "upsell", "cross_sell", "renewal"), D["deal_type"]),
            "lost_reason": _take(LOST_REASONS, D["reason"])})
        del self.o, D, lead, li, copy, ci, region, segment
        tables["leads"] = self.frame("leads", {
            "lead_id": lead_ids, "created_at": ("ts", L["created"]),
            "owner_id": _take(rep_ids, self.owner_at(
                L["rep"], np.minimum(np.minimum(L["c_at"], L["d_at"]), self.until) // DAY)),
            "source": _take(SOURCES, L["source"]),
            "channel": _take(("inbound", "outbound"), L["outbound"].astype(int)),
            "campaign": _take(self.campaigns, L["campaign"]),
            "region": _take(REGIONS, L["region"]), "segment": _take(SEGMENTS, L["segment"]),
            "industry": _take(INDUSTRIES, L["industry"]), "company_size": _take(COMPANY_SIZES, L["size"]),
            "product": _take(products, L["product"]),
            "qualified_at": ("ts", L["q_at"]), "first_response_at": ("ts", L["resp"]),
            "converted_at": ("ts", L["c_at"]), "disqualified_at": ("ts", L["d_at"]),
            "referred_by_customer_id": _take(cust_ids, L["referrer"])})
        del self.l, L, lead_ids
        od = self.orders
        tables["orders"] = self.frame("orders", {
            "order_id": _ids("ORD", len(od["day"]), 8), "customer_id": _take(cust_ids, od["cust"]),
            "opportunity_id": _take(opp_ids, od["opp"]), "ordered_on": ("date", od["day"]),
            "amount": od["amount"], "currency": _take(CURRENCIES, od["cur"]), "cost": od["cost"],
            "product": _take(products, od["product"]),
            "product_line": _take(PRODUCT_LINES, LINE_OF_PRODUCT[od["product"]]),
            "owner_id": _take(rep_ids, od["rep"])})
        del self.orders, od
        r = dict(self.reps)
        r["manager_id"] = _take(rep_ids, self.r_manager)
        tables["reps"] = self.frame("reps", r)
        tables["stages"] = self.frame("stages", {
            "stage": stage_names, "sequence": np.array([s[1] for s in STAGES]),
            "probability": STAGE_PROB, "kind": pa.array([s[3] for s in STAGES]),
            "forecast_category": pa.array([s[4] for s in STAGES])})
        tables["activity_points"] = self.frame("activity_points", {
            "type": pa.array(ACTIVITY_TYPES), "points": np.array(ACTIVITY_POINTS)})
        tables["customers"] = self.frame("customers", {
            "customer_id": cust_ids, "name": pa.array(C["name"], pa.string()), "acquired_on": ("date", C["acq"]),
            "churned_on": ("date", C["churn"]), "churn_reason": _take(CHURN_REASONS, C["reason"]),
            "owner_id": _take(rep_ids, self.owner_at(C["am"], np.minimum(C["churn"], self.until_day))),
            "region": _take(REGIONS, C["region"]), "segment": _take(SEGMENTS, C["seg"]),
            "industry": _take(INDUSTRIES, C["industry"]), "company_size": _take(COMPANY_SIZES, C["size"]),
            "source": _take(SOURCES, C["source"])})
        ct = self.ct
        tables["contracts"] = self.frame("contracts", {
            "contract_id": _ids("CT", len(ct["cust"]), 6), "customer_id": _take(cust_ids, ct["cust"]),
            "opportunity_id": _take(opp_ids, ct["opp"]), "start_on": ("date", ct["start"]),
            "end_on": ("date", ct["end"]), "total_value": ct["total"],
            "currency": _take(CURRENCIES, C["cur"][ct["cust"]]),
            "owner_id": _take(rep_ids, self.owner_at(C["am"][ct["cust"]], ct["start"]))})
        co = self.costs
        tables["costs"] = self.frame("costs", {
            "month": ("date", _month_first_day(co["month"])),
            "category": _take(("marketing", "sales"), co["cat"]), "source": _take(SOURCES, co["src"]),
            "campaign": _take(self.campaigns, co["camp"]), "amount": co["amount"],
            "currency": _take(CURRENCIES, co["cur"])})
        tg = self.targets
        tables["targets"] = self.frame("targets", {
            "period": pa.array(tg["period"]), "kpi": pa.array(tg["kpi"]),
            "rep_id": _take(rep_ids, tg["rep"]), "team": _take(self.team_names, tg["team"]), "value": tg["value"]})
        fc = self.forecasts
        tables["forecasts"] = self.frame("forecasts", {
            "rep_id": _take(rep_ids, fc["rep"]), "period": pa.array(fc["period"]),
            "submitted_on": ("date", fc["day"]), "amount": fc["amount"]})
        nps = self.nps
        tables["nps"] = self.frame("nps", {
            "customer_id": _take(cust_ids, nps["cust"]), "responded_on": ("date", nps["day"]),
            "score": nps["score"].astype("int64")})
        cur_i, mon_i = np.nonzero(np.ones_like(self.rates, dtype=bool))
        tables["exchange_rates"] = self.frame("exchange_rates", {
            "currency": _take(CURRENCIES, cur_i), "valid_from": ("date", _month_first_day(self.rate_months[mon_i])),
            "rate": self.rates[cur_i, mon_i]})
        return {name: tables[name] for name in TABLE_ORDER}

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
            _take(cap, last), _take(words, word), _take(cities, city), _take(("B.V.", "BV", "NV", "Groep B.V."), legal),
            " ")


def build_demo(size: str = "small", seed: int = 42, until: _dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The demo company's canonical tables, one DataFrame per table of data-model.md.

    `size` is small (1 year, 8 selling reps), medium (3 years, 40 reps) or
    large (5 years, 200 reps); `until` is the day after the last day of data
    (default: the first day of the current month). Text columns are object
    dtype (str or None) for small and medium, `string[pyarrow]` for large;
    see the module docstring for every dtype and the reps with a profile.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    if until is None:
        until = _dt.date.today().replace(day=1)
    if isinstance(until, _dt.datetime):
        until = until.date()
    return _Builder(SIZES[size], int(seed), until, arrow_strings=size == "large").build()


# --------------------------------------------------------------------------
# Writing a canonical dataset folder


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write zero-padded decimal digits of values into out[:, col:col + width] (ASCII)."""
    v = values.astype("int64")
    for i in range(width - 1, -1, -1):
        out[:, col + i] = 48 + v % 10
        v //= 10


def _utc_us_to_text(values: np.ndarray) -> pa.Array:
    """UTC microseconds (int64 min = NaT) to `YYYY-MM-DDTHH:MM:SS+01:00`, Europe/Amsterdam local time.

    Built as fixed-width bytes with numpy: pyarrow's strftime takes a microsecond or more per value.
    Sub-second parts are dropped.
    """
    nat = values == np.iinfo("int64").min
    ok = values[~nat]
    summer = np.zeros(len(values), bool)
    if len(ok):
        lo, hi = int(ok.min() // 60_000_000 // DAY), int(ok.max() // 60_000_000 // DAY)
        years = range(_date(lo).year - 1, _date(hi).year + 2)
        bounds = _dst_bounds(years, utc=True) * 60_000_000
        summer = np.searchsorted(bounds, values, side="right") % 2 == 1
    sec = np.where(nat, 0, values // 1_000_000 + np.where(summer, 7200, 3600))
    days = sec // 86400
    tod = sec - days * 86400
    d = days.astype("M8[D]")
    year = d.astype("M8[Y]").astype("int64") + 1970
    month = d.astype("M8[M]").astype("int64") % 12 + 1
    dom = (d - d.astype("M8[M]").astype("M8[D]")).astype("int64") + 1
    out = np.frombuffer(b"0000-00-00T00:00:00+01:00" * len(values), dtype=np.uint8).reshape(-1, 25).copy()
    _digits(out, 0, year, 4)
    _digits(out, 5, month, 2)
    _digits(out, 8, dom, 2)
    _digits(out, 11, tod // 3600, 2)
    _digits(out, 14, tod // 60 % 60, 2)
    _digits(out, 17, tod % 60, 2)
    out[summer, 21] = ord("2")
    valid = pa.py_buffer(np.packbits(~nat, bitorder="little"))
    arr = pa.Array.from_buffers(pa.binary(25), len(values), [valid, pa.py_buffer(out)], null_count=int(nat.sum()))
    return arr.cast(pa.string())


def _number_column(s: pd.Series) -> pa.Array:
    """Plain numbers: integral columns without `.0`, never scientific notation."""
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    nan = ~np.isfinite(v)
    fin = v[~nan]
    if len(fin) == 0 or (np.all(fin == np.round(fin)) and np.abs(fin).max() < 2**53):
        return pa.array(np.where(nan, 0, v).astype("int64"), mask=nan)
    text = pc.cast(pa.array(v, mask=nan), pa.string())  # shortest round-trip form
    sci = np.asarray(pc.fill_null(pc.match_substring(text, "e"), False))
    if not sci.any():
        return text
    # the rare very large or very small value, written out in full
    out = text.to_numpy(zero_copy_only=False)
    out[sci] = [np.format_float_positional(x, trim="-") for x in v[sci]]
    return pa.array(out, pa.string())


def write_folder(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write tables as a canonical dataset folder: `<table>.csv` each.

    UTF-8 with a header; timestamps as ISO 8601 local time with offset
    (`2025-03-04T09:15:00+01:00`), dates `YYYY-MM-DD`, `costs.month` as
    `YYYY-MM`, null as an empty field, numbers plain.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        cols, arrays = [], []
        for col in df.columns:
            s = df[col]
            dt = s.dtype
            if isinstance(dt, pd.DatetimeTZDtype):
                us = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
                arr = _utc_us_to_text(us.to_numpy().view("int64"))
            elif pd.api.types.is_datetime64_dtype(dt):
                sec = s.astype("datetime64[s]").to_numpy().view("int64")
                nat = sec == np.iinfo("int64").min
                ts = pa.array(sec, type=pa.timestamp("s"), mask=nat)
                if name == "costs" and col == "month":
                    arr = pc.strftime(ts, format="%Y-%m")
                else:
                    arr = ts.cast(pa.date32())
            elif pd.api.types.is_bool_dtype(dt):
                arr = pa.array(s.to_numpy(dtype=object))
            elif pd.api.types.is_integer_dtype(dt):
                arr = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True).cast(pa.int64())
            elif pd.api.types.is_float_dtype(dt):
                arr = _number_column(s)
            elif isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
                arr = pa.array(s.array)  # already Arrow: no copy through Python objects
            else:
                arr = pa.array(s.to_numpy(dtype=object, na_value=None), pa.string(), from_pandas=True)
            cols.append(col)
            arrays.append(arr)
        table = pa.table(arrays, names=cols) if cols else pa.table({})
        pacsv.write_csv(table, folder / f"{name}.csv", pacsv.WriteOptions(quoting_style="needed"))
