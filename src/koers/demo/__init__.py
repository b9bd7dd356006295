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

from koers.demo.builder import build_demo
from koers.demo.frames import TABLE_ORDER
from koers.demo.people import PROFILE_REPS
from koers.demo.sizes import SIZES
from koers.demo.writer import write_folder

__all__ = ["build_demo", "write_folder", "PROFILE_REPS", "SIZES", "TABLE_ORDER"]
