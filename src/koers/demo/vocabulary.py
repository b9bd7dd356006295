"""The company's vocabulary: stages, products, sources, reasons, and how each kind of team works.

The probabilities and rates here shape the data; changing any of them changes every demo file.
"""

from __future__ import annotations

import numpy as np

from koers.model import ACTIVITY_TYPES
from koers.settings import DEFAULT_ACTIVITY_POINTS

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


def by_activity_type(**p: float) -> tuple[float, ...]:
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
    by_activity_type(call=0.34, email=0.34, meeting=0.05, demo=0.03, voicemail=0.12, linkedin=0.07, other=0.05),
    by_activity_type(call=0.25, email=0.30, meeting=0.20, demo=0.05, voicemail=0.06, linkedin=0.09, other=0.05),
    by_activity_type(call=0.20, email=0.30, meeting=0.28, demo=0.06, voicemail=0.04, linkedin=0.08, other=0.04),
    by_activity_type(call=0.25, email=0.30, meeting=0.20, demo=0.05, voicemail=0.06, linkedin=0.09, other=0.05),
    by_activity_type(call=0.30, email=0.30, meeting=0.25, demo=0.03, voicemail=0.05, linkedin=0.02, other=0.05),
)
ACT_BASE = np.array([1.0, 1.6, 2.2, 1.6, 1.3])  # activities per deal, plus per week open:
ACT_WEEKLY = np.array([0.45, 0.65, 0.75, 0.6, 0.5])
SALARY = {"inside_sales": 4600.0, "field_sales": 6400.0, "account_manager": 5500.0, "sales_manager": 8200.0, "other": 5800.0}
