"""The demo company: its tables follow ../shared/spec/data-model.md, hang together,
and show the documented rep profiles.

The spec is parsed here (columns, types, required, unique, allowed values, ranges,
references), so these tests check the demo against the spec, not against a copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from koers.demo import PROFILE_REPS, build_demo, write_folder

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "data-model.md"
# KOERS_DEMO_SEED and KOERS_DEMO_UNTIL (YYYY-MM-DD) rerun these checks on other data
SEED = int(os.environ.get("KOERS_DEMO_SEED", "42"))
UNTIL = dt.date.fromisoformat(os.environ.get("KOERS_DEMO_UNTIL", "2025-11-01"))
START = (pd.Timestamp(UNTIL) - pd.DateOffset(years=1)).date()  # small: one year of history
AMS = "Europe/Amsterdam"
T = pd.Timestamp(UNTIL, tz=AMS).tz_convert("UTC")  # local midnight at the start of `until`
T_START = pd.Timestamp(START, tz=AMS).tz_convert("UTC")
OUTREACH = {"call", "email", "meeting", "demo", "linkedin"}


# --------------------------------------------------------------------------
# The spec


@dataclass
class SpecColumn:
    name: str
    type: str  # the type cell as written

    @property
    def kind(self) -> str:
        t = self.type
        if t.startswith("timestamp"):
            return "timestamp"
        if t.startswith("date"):
            return "date"
        if t.startswith("`YYYY-MM`") and " or " not in t:  # costs.month; periods of several notations are text
            return "month"
        if t.startswith("number"):
            return "number"
        if t.startswith("integer"):
            return "integer"
        return "text"

    @property
    def required(self) -> bool:
        return "required" in self.type

    @property
    def unique(self) -> bool:
        return "unique" in self.type

    @property
    def allowed(self) -> list[str] | None:
        if "\\|" not in self.type:
            return None
        return [v.split(",")[0].strip() for v in self.type.split("\\|")]

    @property
    def ref(self) -> str | None:
        m = re.search(r"→ (\w+)", self.type)
        if not m:
            return None
        if m.group(1) == "their":  # lead_id, opportunity_id, customer_id → their tables
            return {"lead_id": "leads", "opportunity_id": "opportunities", "customer_id": "customers"}[self.name]
        return m.group(1)


def parse_spec() -> dict[str, list[SpecColumn]]:
    if not SPEC.exists():
        pytest.skip(f"the spec is not at {SPEC}")
    tables: dict[str, list[SpecColumn]] = {}
    current = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## (\w+)$", line)
        if m:
            current = m.group(1)
            continue
        if line.startswith("## "):
            current = None
        if current is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells[0] in ("column", "") or set(cells[0]) <= {"-"}:
            continue
        for name in cells[0].split(","):
            tables.setdefault(current, []).append(SpecColumn(name.strip().strip("`"), cells[1]))
    return tables


@pytest.fixture(scope="module")
def spec() -> dict[str, list[SpecColumn]]:
    return parse_spec()


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_demo("small", seed=SEED, until=UNTIL)


def local(s: pd.Series) -> pd.Series:
    return s.dt.tz_convert(AMS)


def local_midnight(dates: pd.Series) -> pd.Series:
    """A date stands for its first instant, local time."""
    return dates.dt.tz_localize(AMS).dt.tz_convert("UTC")


def rates_lookup(tables, frame: pd.DataFrame, currency: str, when: str) -> pd.Series:
    """EUR per unit of `currency` column at the local date of column `when` (1 for EUR)."""
    rates = tables["exchange_rates"].sort_values("valid_from")
    day = frame[when]
    if isinstance(day.dtype, pd.DatetimeTZDtype):
        day = local(day).dt.tz_localize(None).dt.normalize()
    left = pd.DataFrame({"day": day.astype("datetime64[s]"), "currency": frame[currency], "i": range(len(frame))})
    foreign = left[left.currency.notna()].sort_values("day")
    merged = pd.merge_asof(foreign, rates, left_on="day", right_on="valid_from", by="currency")
    out = pd.Series(1.0, index=range(len(frame)))
    out[merged.i.to_numpy()] = merged.rate.to_numpy()
    return pd.Series(out.to_numpy(), index=frame.index)


# --------------------------------------------------------------------------
# Shape, types and the spec's rules


def test_tables_and_columns_follow_the_spec(tables, spec):
    assert list(tables) == list(spec)
    for name, cols in spec.items():
        assert list(tables[name].columns) == [c.name for c in cols], name


def test_every_table_has_rows(tables):
    for name, df in tables.items():
        assert len(df) > 0, name
    assert len(tables["opportunities"]) > 2000
    assert len(tables["activities"]) > 20000


def test_dtypes_follow_the_spec(tables, spec):
    for name, cols in spec.items():
        df = tables[name]
        for c in cols:
            s = df[c.name]
            if c.kind == "timestamp":
                assert s.dtype == "datetime64[us, UTC]", (name, c.name, s.dtype)
            elif c.kind in ("date", "month"):
                assert s.dtype == "datetime64[s]", (name, c.name, s.dtype)
                assert (s.dropna() == s.dropna().dt.normalize()).all()
                if c.kind == "month":
                    assert (s.dt.day == 1).all()
            elif c.kind == "number":
                assert s.dtype == "float64", (name, c.name, s.dtype)
            elif c.kind == "integer":
                assert s.dtype == "int64", (name, c.name, s.dtype)
            else:
                assert s.dtype == object, (name, c.name, s.dtype)
                assert s.map(lambda v: v is None or type(v) is str).all(), (name, c.name)


def test_required_unique_and_allowed_values(tables, spec):
    for name, cols in spec.items():
        df = tables[name]
        for c in cols:
            s = df[c.name]
            if c.required:
                assert s.notna().all(), (name, c.name)
            if c.unique:
                assert s.is_unique, (name, c.name)
            if c.allowed:
                bad = set(s.dropna()) - set(c.allowed)
                assert not bad, (name, c.name, bad)
            if c.name == "currency":
                assert s.dropna().str.fullmatch(r"[A-Z]{3}").all()
                assert "EUR" not in set(s.dropna())  # null is the workspace currency


def test_numbers_stay_in_their_ranges(tables, spec):
    for name, cols in spec.items():
        for c in cols:
            s = tables[name][c.name].dropna()
            if m := re.search(r"(\d+)–(\d+)", c.type):
                assert s.between(float(m.group(1)), float(m.group(2))).all(), (name, c.name)
            if "≥ 0" in c.type:
                assert (s >= 0).all(), (name, c.name)
            if "> 0" in c.type:
                assert (s > 0).all(), (name, c.name)
            if m := re.search(r">= (\w+)", c.type):
                other = tables[name][m.group(1)]
                both = tables[name][c.name].notna()
                assert (tables[name][c.name][both] >= other[both]).all(), (name, c.name)


def test_every_reference_resolves(tables, spec):
    checked = 0
    for name, cols in spec.items():
        for c in cols:
            if c.ref is None:
                continue
            key = spec[c.ref][0].name
            values = tables[name][c.name].dropna()
            missing = set(values) - set(tables[c.ref][key])
            assert not missing, (name, c.name, sorted(missing)[:5])
            checked += len(values)
    assert checked > 100_000


def test_ids_are_readable(tables):
    for name, col, pattern in (
        ("reps", "rep_id", r"R\d{3}"), ("leads", "lead_id", r"L\d{7}"), ("opportunities", "opportunity_id", r"O\d{7}"),
        ("activities", "activity_id", r"A\d{8}"), ("customers", "customer_id", r"C\d{6}"),
        ("orders", "order_id", r"ORD\d{8}"), ("contracts", "contract_id", r"CT\d{6}"),
    ):
        assert tables[name][col].str.fullmatch(pattern).all(), name


# --------------------------------------------------------------------------
# Same input, same data


def test_same_seed_same_data_other_seed_other_data(tables):
    again = build_demo("small", seed=SEED, until=UNTIL)
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True, obj=name)
    other = build_demo("small", seed=SEED + 1, until=UNTIL)
    assert not tables["leads"]["created_at"].equals(other["leads"]["created_at"])
    assert not tables["opportunities"]["amount"].equals(other["opportunities"]["amount"])
    assert list(other["reps"].loc[1:4, "rep_id"]) == list(PROFILE_REPS.values())  # the profiles do not move


def test_until_defaults_to_the_first_of_this_month():
    first = dt.date.today().replace(day=1)
    t = build_demo("small")
    assert t["leads"]["created_at"].max() < pd.Timestamp(first, tz=AMS)
    assert t["leads"]["created_at"].max() >= pd.Timestamp(first, tz=AMS) - pd.Timedelta(days=7)


def test_koers_demo_ends_its_data_at_the_first_of_this_month_in_the_workspace_zone():
    """At 23:30 UTC on 30 November it is 1 December in Amsterdam: the demo's
    last month is November, the one the cockpit and the alerts call last
    month (the machine's date made it October and left November empty)."""
    from zoneinfo import ZoneInfo

    from koers.demo_load import demo_until

    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert demo_until(amsterdam, dt.datetime(2026, 11, 30, 23, 30)) == dt.date(2026, 12, 1)
    assert demo_until(amsterdam, dt.datetime(2026, 11, 30, 22, 59)) == dt.date(2026, 11, 1)
    assert demo_until(ZoneInfo("America/New_York"), dt.datetime(2026, 12, 1, 2, 0)) == dt.date(2026, 11, 1)


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="small, medium, large"):
        build_demo("huge")


# --------------------------------------------------------------------------
# Time: nothing happens at or after `until`; the window is one year


EVENTS = {
    "reps": ["left_on"],
    "leads": ["created_at", "qualified_at", "first_response_at", "converted_at", "disqualified_at"],
    "opportunities": ["created_at", "closed_at"],
    "stage_history": ["entered_at"],
    "activities": ["done_at"],
    "customers": ["acquired_on", "churned_on"],
    "orders": ["ordered_on"],
    "contracts": ["start_on"],
    "costs": ["month"],
    "forecasts": ["submitted_on"],
    "nps": ["responded_on"],
}


def test_every_event_is_before_until(tables):
    for name, cols in EVENTS.items():
        for col in cols:
            s = tables[name][col].dropna()
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                assert (s < T).all(), (name, col, s.max())
            else:
                assert (s < pd.Timestamp(UNTIL)).all(), (name, col, s.max())


def test_the_window_opens_on_a_going_concern(tables):
    # new records start in the window; what was running at its start came along
    leads, opps, cust = tables["leads"], tables["opportunities"], tables["customers"]
    assert (leads.created_at >= T_START).mean() > 0.9
    assert (opps.created_at >= T_START).mean() > 0.85
    open_at_start = (opps.created_at < T_START) & (opps.closed_at.isna() | (opps.closed_at >= T_START))
    assert open_at_start.sum() > 100
    assert ((opps.created_at >= T_START) | open_at_start).all()
    active_at_start = (cust.acquired_on < pd.Timestamp(START)) & (
        cust.churned_on.isna() | (cust.churned_on >= pd.Timestamp(START)))
    assert active_at_start.sum() > 200
    for name, col in (("orders", "ordered_on"), ("nps", "responded_on")):
        assert (tables[name][col] >= pd.Timestamp(START)).all()
    assert (tables["costs"]["month"] >= pd.Timestamp(START)).all()


# --------------------------------------------------------------------------
# Deals


def test_status_closed_at_and_stage_agree(tables):
    o = tables["opportunities"]
    kind = o.stage.map(tables["stages"].set_index("stage").kind)
    closed = o.status.isin(["won", "lost"])
    assert o.closed_at[closed].notna().all()
    assert o.closed_at[~closed].isna().all()
    assert (kind == o.status.where(closed, "open")).all()
    assert (o.closed_at[closed] >= o.created_at[closed]).all()
    assert (o.lost_reason.notna() <= (o.status == "lost")).all()
    assert (o.lost_reason[o.status == "lost"].notna().mean()) > 0.9
    assert {"Te duur", "Concurrent gekozen", "Geen budget", "Geen reactie"} <= set(o.lost_reason.dropna())
    assert set(o.status) == {"open", "won", "lost"}
    assert set(o.deal_type.dropna()) == {"new_business", "upsell", "cross_sell", "renewal"}
    assert o.deal_type.isna().any()  # null = new_business
    # mostly the stage's probability and category, some set by the rep
    assert 0.05 < o.probability.notna().mean() < 0.3
    assert 0.1 < o.forecast_category.notna().mean() < 0.5
    assert o.expected_close_on.notna().mean() > 0.7
    assert (o.lead_id.notna() | o.customer_id.notna()).all()
    assert (o.lead_id.isna() == o.deal_type.isin(["upsell", "cross_sell", "renewal"])).all()


def test_owners_are_employed_when_they_hold_a_deal(tables):
    o = tables["opportunities"].merge(tables["reps"], left_on="owner_id", right_on="rep_id")
    moment = o.closed_at.fillna(T - pd.Timedelta(minutes=1))
    assert (local_midnight(o.hired_on) < moment).all()
    assert (o.left_on.isna() | (local_midnight(o.left_on) > moment)).all()
    assert set(o.role) <= {"inside_sales", "field_sales", "account_manager"}


def test_stage_history_follows_the_deals(tables):
    o = tables["opportunities"].set_index("opportunity_id")
    st = tables["stages"].set_index("stage")
    h = tables["stage_history"].sort_values(["opportunity_id", "entered_at"], kind="stable")
    h = h.join(st[["sequence", "kind"]], on="stage")
    assert set(h.opportunity_id) == set(o.index)
    first = h.groupby("opportunity_id").first()
    last = h.groupby("opportunity_id").last()
    assert (first.entered_at == o.created_at.reindex(first.index)).all()
    same = h.opportunity_id.eq(h.opportunity_id.shift())
    assert (h.entered_at > h.entered_at.shift())[same].all()
    opens = h[h.kind == "open"]
    same_o = opens.opportunity_id.eq(opens.opportunity_id.shift())
    assert (opens.sequence > opens.sequence.shift())[same_o].all()  # in funnel order
    closed_at = o.closed_at.reindex(h.opportunity_id).to_numpy()
    assert (h.entered_at.to_numpy()[~pd.isna(closed_at)] <= closed_at[~pd.isna(closed_at)]).all()
    closed = o.status != "open"
    assert (last.stage == o.stage.reindex(last.index)).all()
    assert (last.entered_at[closed.reindex(last.index)] == o.closed_at[closed].reindex(last.index)[
        closed.reindex(last.index)]).all()
    assert (h.kind != "open").sum() == closed.sum()  # one won or lost row per closed deal
    # sometimes a stage is skipped
    seq = opens.groupby("opportunity_id").sequence.apply(lambda s: (s.diff().dropna() > 1).any())
    assert 0.02 < seq.mean() < 0.5
    # open deals that sit in their stage for over 30 days (stale) exist
    open_last = last[~closed.reindex(last.index)]
    assert ((T - open_last.entered_at) > pd.Timedelta(days=30)).sum() >= 5


def test_foreign_currencies_have_rates_from_before_their_first_use(tables):
    rates = tables["exchange_rates"]
    first = rates.groupby("currency").valid_from.min()
    used = set()
    for name, col in (("opportunities", "created_at"), ("orders", "ordered_on"), ("contracts", "start_on"),
                      ("costs", "month")):
        df = tables[name][tables[name].currency.notna()]
        assert len(df) > 0, name
        day = df[col]
        if isinstance(day.dtype, pd.DatetimeTZDtype):
            day = local(day).dt.tz_localize(None).dt.normalize()
        assert (day.astype("datetime64[s]") >= df.currency.map(first)).all(), name
        used |= set(df.currency)
    assert used == set(rates.currency) == {"USD", "GBP", "CHF"}
    assert rates.rate.between(0.5, 2.0).all()
    # monthly, without gaps, up to the month before until
    for _, r in rates.groupby("currency"):
        months = r.valid_from.sort_values()
        assert (months.dt.day == 1).all() and (months.diff().dropna().dt.days <= 31).all()
        assert months.max() == pd.Timestamp(UNTIL - dt.timedelta(days=1)).to_period("M").to_timestamp()


# --------------------------------------------------------------------------
# Leads


def test_lead_funnel_moments_are_in_order(tables):
    lead = tables["leads"]
    for later, earlier in (("first_response_at", "created_at"), ("qualified_at", "first_response_at"),
                           ("converted_at", "qualified_at"), ("disqualified_at", "created_at")):
        both = lead[later].notna()
        assert lead[earlier][both].notna().all(), later
        assert (lead[later][both] >= lead[earlier][both]).all(), later
    assert not (lead.converted_at.notna() & lead.disqualified_at.notna()).any()
    assert ((lead.source == "outbound") == (lead.channel == "outbound")).all()
    assert set(lead.source) == {"website", "referral", "paid_ads", "event", "outbound", "partner"}
    assert lead.campaign.notna().mean() > 0.3
    for col in ("region", "segment", "industry", "company_size", "product", "owner_id"):
        assert lead[col].notna().all(), col
    assert set(lead.segment) == {"SMB", "Mid-market", "Enterprise"}


def test_converted_leads_become_opportunities(tables):
    lead = tables["leads"].set_index("lead_id")
    o = tables["opportunities"]
    from_leads = o[o.lead_id.notna()]
    assert from_leads.lead_id.is_unique
    assert set(from_leads.lead_id) == set(lead.index[lead.converted_at.notna()])
    assert (from_leads.created_at.to_numpy() == lead.converted_at.reindex(from_leads.lead_id).to_numpy()).all()
    assert 0.2 < lead.converted_at.notna().mean() < 0.6


def test_first_response_respects_working_hours(tables):
    lead = tables["leads"]
    inbound = lead[(lead.channel == "inbound") & lead.first_response_at.notna()]
    r = local(inbound.first_response_at)
    minutes = r.dt.hour * 60 + r.dt.minute
    assert (r.dt.weekday < 5).all()
    assert minutes.between(8 * 60 + 30, 17 * 60 + 30).all()
    c = local(inbound.created_at)
    evening = (c.dt.hour >= 18) & (c.dt.weekday < 4)
    assert evening.sum() > 50
    assert (r[evening].dt.date > c[evening].dt.date).all()  # answered the next morning at the earliest


def test_referrals_name_a_customer_acquired_before_the_lead(tables):
    lead = tables["leads"]
    cust = tables["customers"].set_index("customer_id")
    ref = lead[lead.referred_by_customer_id.notna()]
    assert len(ref) > 100
    assert (ref.source == "referral").all()
    assert (lead.source == "referral").sum() == len(ref)
    acquired = local_midnight(cust.acquired_on.reindex(ref.referred_by_customer_id)).to_numpy()
    assert (acquired < ref.created_at.to_numpy()).all()


# --------------------------------------------------------------------------
# Customers, orders, contracts


def test_customers_come_from_won_new_business(tables):
    o = tables["opportunities"]
    cust = tables["customers"].set_index("customer_id")
    nb_won = o[(o.status == "won") & o.deal_type.fillna("new_business").eq("new_business")]
    assert nb_won.customer_id.notna().all() and nb_won.customer_id.is_unique
    acquired = cust.acquired_on.reindex(nb_won.customer_id).to_numpy()
    assert (acquired == local(nb_won.closed_at).dt.tz_localize(None).dt.normalize().astype("datetime64[s]")).all()
    # every customer acquired in the window came from such a deal
    new = cust.index[cust.acquired_on >= pd.Timestamp(START)]
    assert set(new) <= set(nb_won.customer_id)
    nb_other = o[o.status.ne("won") & o.deal_type.fillna("new_business").eq("new_business")]
    assert nb_other.customer_id.isna().all()
    assert (cust.churned_on.dropna() > cust.acquired_on[cust.churned_on.notna()]).all()
    assert 0.03 < cust.churned_on.notna().mean() < 0.3
    assert cust.churn_reason.notna().equals(cust.churned_on.notna())
    for col in ("name", "owner_id", "region", "segment", "industry", "company_size", "source"):
        assert cust[col].notna().all(), col
    am = tables["reps"].set_index("rep_id").role.reindex(cust.owner_id)
    assert (am == "account_manager").all()
    # the customer keeps the lead's attributes
    lead = tables["leads"].set_index("lead_id")
    won_with_lead = nb_won[nb_won.lead_id.notna()]
    for col in ("region", "segment", "industry", "company_size", "source"):
        assert (cust[col].reindex(won_with_lead.customer_id).to_numpy()
                == lead[col].reindex(won_with_lead.lead_id).to_numpy()).all(), col


def test_orders_and_contracts_are_realistic(tables):
    od = tables["orders"]
    ok = od.cost.notna() & (od.amount > 0)
    share = od.cost[ok] / od.amount[ok]
    assert share.between(0.54, 0.76).all()
    assert 0.9 < od.cost.notna().mean() < 1
    credits = od[od.amount < 0]
    assert 0 < len(credits) < 0.05 * len(od)
    # a won one-off deal is invoiced when won; contracts bill their deal (null when it was won before the window)
    o = tables["opportunities"]
    subscription = o["product"].isin(["FlowPlan Cloud", "Support Plus"])
    one_off = o[(o.status == "won") & (~subscription | o.deal_type.isin(["upsell", "cross_sell"]))]
    assert len(one_off) > 100
    assert set(one_off.opportunity_id) <= set(od.opportunity_id.dropna())
    assert od.opportunity_id.notna().mean() > 0.3
    cust = tables["customers"].set_index("customer_id")
    churned = cust.churned_on.reindex(od.customer_id).to_numpy()
    late = ~pd.isna(churned) & (od.ordered_on.to_numpy() >= churned) & (od.amount.to_numpy() > 0)
    assert not late.any()  # no sales after a customer left (credits may follow)
    ct = tables["contracts"]
    years = (ct.end_on - ct.start_on).dt.days / 365.25
    assert years.between(0.99, 3.01).all()
    assert (ct.total_value > 0).all()
    assert (ct.end_on > pd.Timestamp(START)).all()
    share_with_contract = ct.customer_id.nunique() / len(cust)
    assert 0.2 < share_with_contract < 0.9


def test_upsells_and_renewals_belong_to_customers(tables):
    o = tables["opportunities"]
    cust = tables["customers"].set_index("customer_id")
    ex = o[o.deal_type.isin(["upsell", "cross_sell", "renewal"])]
    assert ex.customer_id.notna().all()
    acquired = local_midnight(cust.acquired_on.reindex(ex.customer_id)).to_numpy()
    assert (ex.created_at.to_numpy() > acquired).all()
    assert (ex.status == "won").sum() > 30


# --------------------------------------------------------------------------
# Reps, activities


def test_reps_hierarchy_and_turnover(tables):
    reps = tables["reps"].set_index("rep_id")
    assert (reps.left_on.dropna() > reps.hired_on[reps.left_on.notna()]).all()
    managers = reps.manager_id.dropna()
    assert (reps.role.reindex(managers).to_numpy() == "sales_manager").all()
    top = reps[reps.manager_id.isna()]
    assert len(top) == 1 and top.role.iloc[0] == "sales_manager"
    assert set(reps.role) == {"inside_sales", "account_manager", "field_sales", "sales_manager", "other"}
    assert reps.email.str.fullmatch(r"[a-z.]+@noordwind\.nl").all() and reps.email.is_unique
    assert reps.name.is_unique
    # every selling team has its manager
    sellers = reps[reps.role.isin(["inside_sales", "field_sales", "account_manager"])]
    for team, group in sellers.groupby("team"):
        assert (reps.loc[group.manager_id, "team"] == team).all()
    window = (pd.Timestamp(START), pd.Timestamp(UNTIL))
    left = reps.left_on.between(*window, inclusive="left")
    hired = reps.hired_on.between(*window, inclusive="left")
    assert left.sum() >= 1 and hired.sum() >= 1
    # rep_ramp_time has data: a rep hired in the window does outreach
    a = tables["activities"]
    done = a[a.done_at.notna() & a.type.isin(OUTREACH)]
    first = done.groupby("owner_id").done_at.min()
    new = reps.index[hired]
    assert first.reindex(new).notna().any()
    days = (local(first.reindex(new).dropna()).dt.tz_localize(None) - reps.hired_on.reindex(
        first.reindex(new).dropna().index)).dt.days
    assert (days > 7).all()  # onboarding first


def test_activity_owners_are_employed_at_the_moment(tables):
    a = tables["activities"]
    reps = tables["reps"].set_index("rep_id")
    moment = a.done_at.fillna(a.due_at)
    assert moment.notna().all()
    hired = local_midnight(reps.hired_on.reindex(a.owner_id)).to_numpy()
    left = local_midnight(reps.left_on.reindex(a.owner_id)).to_numpy()
    assert (hired < moment.to_numpy()).all()
    assert (pd.isna(left) | (left > moment.to_numpy())).all()


def test_activities_cover_every_type_and_are_mostly_on_time(tables, spec):
    a = tables["activities"]
    types = next(c for c in spec["activities"] if c.name == "type").allowed
    assert set(a.type) == set(types)
    assert (a.lead_id.notna() | a.opportunity_id.notna() | a.customer_id.notna()).all()
    assert 0.75 < a.due_at.notna().mean() < 0.99
    planned_done = a.due_at.notna() & a.done_at.notna()
    on_time = (a.done_at <= a.due_at)[planned_done].mean()
    assert 0.6 < on_time < 0.95
    assert (a.done_at > a.due_at).sum() > 100  # some late
    never = a.done_at.isna() & (a.due_at < T)
    assert never.sum() > 100
    recent = never & (a.due_at >= T - pd.Timedelta(days=21))
    assert recent.sum() > 10  # overdue work in the last weeks
    assert (a.due_at >= T).sum() > 10  # and some planned ahead
    assert set(tables["activity_points"].type) == set(types)
    points = tables["activity_points"].set_index("type").points
    assert points["intake"] == 5 and points["voicemail"] == 1 and points["other"] == 0


# --------------------------------------------------------------------------
# Targets, forecasts, costs, NPS


def test_targets_cover_reps_teams_and_company(tables):
    tg = tables["targets"]
    assert not tg.duplicated(["period", "kpi", "rep_id", "team"]).any()
    rep_rows = tg[tg.rep_id.notna()]
    assert rep_rows.period.str.fullmatch(r"\d{4}-\d{2}").all()
    assert {"won_value", "activity_points", "qualified_leads"} <= set(rep_rows.kpi)
    team_rows = tg[tg.rep_id.isna() & tg.team.notna()]
    assert team_rows.period.str.fullmatch(r"\d{4}-Q[1-4]").all() and len(team_rows) > 0
    company = tg[tg.rep_id.isna() & tg.team.isna()]
    assert company.period.str.fullmatch(r"\d{4}").all()
    assert {"won_value", "revenue", "new_customers", "leads"} <= set(company.kpi)
    assert (tg.value > 0).all()
    # the month after the data has a won_value target (pipeline coverage looks ahead)
    assert (rep_rows.period == UNTIL.strftime("%Y-%m")).any()
    assert set(tables["reps"].team) >= set(team_rows.team)


def test_forecasts_are_submitted_before_their_period(tables):
    fc = tables["forecasts"]
    assert not fc.duplicated(["rep_id", "period", "submitted_on"]).any()
    month = fc.period.str.fullmatch(r"\d{4}-\d{2}")
    quarter = fc.period.str.fullmatch(r"\d{4}-Q[1-4]")
    assert (month | quarter).all() and quarter.any()
    first_day = pd.to_datetime(fc.period.where(month, fc.period.str.replace(
        r"-Q(\d)", lambda m: f"-{3 * int(m.group(1)) - 2:02d}", regex=True)) + "-01")
    assert (fc.submitted_on <= first_day).all()
    assert (fc.submitted_on.dt.weekday < 5).all()
    assert (fc.groupby(["rep_id", "period"]).size() > 1).any()  # revisions
    assert (fc.period == UNTIL.strftime("%Y-%m")).any()  # next month's forecast is in


def test_costs_by_month_category_source_and_campaign(tables):
    co = tables["costs"]
    assert not co.duplicated(["month", "category", "source", "campaign"]).any()
    assert set(co.category) == {"marketing", "sales"}
    salaries = co[(co.category == "sales") & co.source.isna()]
    assert len(salaries) == 12
    marketing_sources = set(co[co.category == "marketing"].source.dropna())
    assert {"website", "paid_ads", "event", "referral", "partner"} <= marketing_sources
    # paid campaigns cost money in the months they bring leads; events in the month they are held
    leads = tables["leads"]
    first_month = local_midnight(pd.Series([pd.Timestamp(START - dt.timedelta(days=1)).to_period("M").to_timestamp()
                                            + pd.offsets.MonthBegin(1)]))[0]
    ads = leads[(leads.source == "paid_ads") & (leads.created_at >= first_month)]
    ad_months = set(zip(local(ads.created_at).dt.strftime("%Y-%m"), ads.campaign))
    assert ad_months <= set(zip(co.month.dt.strftime("%Y-%m"), co.campaign))
    events = co[co.source == "event"].campaign.dropna()
    assert len(events) >= 4 and set(events) <= set(leads.campaign.dropna())


def test_nps_has_promoters_passives_and_detractors(tables):
    n = tables["nps"]
    assert not n.duplicated(["customer_id", "responded_on"]).any()
    promoters, detractors = (n.score >= 9).mean(), (n.score <= 6).mean()
    assert 0.3 < promoters < 0.7 and 0.1 < detractors < 0.4
    cust = tables["customers"].set_index("customer_id")
    acquired = cust.acquired_on.reindex(n.customer_id).to_numpy()
    churned = cust.churned_on.reindex(n.customer_id).to_numpy()
    assert (n.responded_on.to_numpy() > acquired).all()
    assert (pd.isna(churned) | (n.responded_on.to_numpy() < churned)).all()


def test_seasonality(tables):
    lead = tables["leads"]
    lead = lead[lead.created_at >= T_START]
    month = local(lead.created_at).dt.month
    per_day = month.value_counts() / pd.Series({m: pd.Period(f"2025-{m:02d}").days_in_month for m in range(1, 13)})
    assert per_day[[7, 8]].mean() < 0.75 * per_day[[3, 10]].mean()
    dec = local(lead.created_at)
    late_dec = (dec.dt.month == 12) & (dec.dt.day >= 20)
    assert late_dec.sum() / 12 < 0.6 * per_day[12]


# --------------------------------------------------------------------------
# The reps with a profile (module docstring of koers.demo)


def closed_deals(tables):
    o = tables["opportunities"]
    return o[o.status != "open"]


def test_slow_responder_answers_slowest(tables):
    lead = tables["leads"]
    answered = lead[lead.first_response_at.notna() & (lead.created_at >= T_START)]
    hours = (answered.first_response_at - answered.created_at).dt.total_seconds() / 3600
    median = hours.groupby(answered.owner_id).median()
    counts = answered.groupby("owner_id").size()
    median = median[counts >= 100]
    slow = PROFILE_REPS["slow_responder"]
    assert median.idxmax() == slow
    assert median[slow] > 8 and median.drop(slow).max() < 2
    all_leads = lead[lead.created_at >= T_START]
    within = ((all_leads.first_response_at - all_leads.created_at) <= pd.Timedelta(hours=2))
    sla = within.groupby(all_leads.owner_id).mean()[counts[counts >= 100].index]
    assert sla.idxmin() == slow and sla[slow] < 0.3 and sla.drop(slow).min() > 0.55


def test_quote_loser_loses_after_the_quote(tables):
    closed = closed_deals(tables)
    win = (closed.status == "won").groupby(closed.owner_id).mean()[closed.groupby("owner_id").size() >= 50]
    loser = PROFILE_REPS["quote_loser"]
    assert win.idxmin() == loser and win[loser] < 0.5 * win.drop(loser).median()
    # from the quote stage on, few of his deals go further
    h = tables["stage_history"].merge(tables["opportunities"][["opportunity_id", "owner_id"]], on="opportunity_id")
    seq = h.stage.map(tables["stages"].set_index("stage").sequence)
    quoted = h[h.stage == "Offerte"].opportunity_id.unique()
    later = h[seq.isin([5, 6]) & h.opportunity_id.isin(quoted)].opportunity_id.unique()
    owners = tables["opportunities"].set_index("opportunity_id").owner_id
    conv = pd.Series(np.isin(quoted, later), index=quoted).groupby(owners.reindex(quoted).to_numpy()).mean()
    conv = conv[pd.Series(owners.reindex(quoted).to_numpy()).value_counts().reindex(conv.index) >= 30]
    assert conv.idxmin() == loser and conv[loser] < 0.5 * conv.drop(loser).median()
    lost = closed[(closed.status == "lost") & closed.lead_id.notna()]
    price_or_rival = lost.lost_reason.isin(["Te duur", "Concurrent gekozen"]).groupby(lost.owner_id == loser).mean()
    assert price_or_rival[True] > price_or_rival[False] + 0.1


def test_over_forecaster_forecasts_forty_percent_too_much(tables):
    o = tables["opportunities"]
    won = o[o.status == "won"].copy()
    won["eur"] = won.amount * rates_lookup(tables, won, "currency", "closed_at")
    won["period"] = local(won.closed_at).dt.strftime("%Y-%m")
    actual = won.groupby(["owner_id", "period"]).eur.sum()
    fc = tables["forecasts"]
    fc = fc[fc.period.str.fullmatch(r"\d{4}-\d{2}") & (fc.period < UNTIL.strftime("%Y-%m"))]
    latest = fc.sort_values("submitted_on").groupby(["rep_id", "period"]).amount.last()
    both = pd.DataFrame({"f": latest, "a": actual.reindex(latest.index).fillna(0)})
    sums = both.groupby(level=0).sum()
    accuracy = (sums.f - sums.a) / sums.a
    over = PROFILE_REPS["over_forecaster"]
    assert accuracy.idxmax() == over
    assert 0.25 < accuracy[over] < 0.6
    assert accuracy.drop(over).abs().max() < 0.2


def test_star_wins_most_and_works_hardest(tables):
    closed = closed_deals(tables)
    star = PROFILE_REPS["star"]
    new = closed[closed.lead_id.notna()]
    win_new = (new.status == "won").groupby(new.owner_id).mean()[new.groupby("owner_id").size() >= 50]
    assert win_new.idxmax() == star and win_new[star] > 1.25 * win_new.drop(star).max()
    a = tables["activities"]
    reps = tables["reps"].set_index("rep_id")
    done = a[a.done_at.notna()]
    per_rep = done.groupby("owner_id").size()
    team = reps.team[star]
    assert per_rep[reps.index[reps.team == team].intersection(per_rep.index)].idxmax() == star
    o = tables["opportunities"]
    deal_work = done[done.opportunity_id.notna()].merge(o[["opportunity_id", "owner_id"]], on="opportunity_id",
                                                         suffixes=("", "_deal"))
    mine = deal_work[deal_work.owner_id == deal_work.owner_id_deal]
    sellers = reps.index[reps.role.isin(["inside_sales", "field_sales"])]
    deals = o[o.lead_id.notna()].groupby("owner_id").size().reindex(sellers).dropna()
    per_deal = (mine.groupby("owner_id").size().reindex(deals.index) / deals)[deals >= 50]
    assert per_deal.idxmax() == star and per_deal[star] > 1.4 * per_deal.drop(star).max()
    names = reps.name
    assert names[star] == "Sanne Visser" and names[PROFILE_REPS["slow_responder"]] == "Bram de Boer"


# --------------------------------------------------------------------------
# The canonical folder


def test_write_folder_round_trips(tables, tmp_path, spec):
    write_folder(tables, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.csv" for n in spec)
    for name, cols in spec.items():
        path = tmp_path / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == [c.name for c in cols], name
        assert len(rows) - 1 == len(tables[name]), name
        for i, c in enumerate(cols):
            values = [r[i] for r in rows[1:] if r[i] != ""]
            nulls = sum(1 for r in rows[1:] if r[i] == "")
            assert nulls == tables[name][c.name].isna().sum(), (name, c.name)
            if c.kind == "timestamp":
                assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", v) for v in values), (name, c.name)
            elif c.kind == "date":
                assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in values), (name, c.name)
            elif c.kind == "month":
                assert all(re.fullmatch(r"\d{4}-\d\d", v) for v in values), (name, c.name)
            elif c.kind == "integer":
                assert all(re.fullmatch(r"-?\d+", v) for v in values), (name, c.name)
            elif c.kind == "number":
                assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values), (name, c.name)
    # instants survive the trip, winter and summer offsets both
    back = pd.read_csv(tmp_path / "leads.csv", dtype=str, keep_default_na=False)
    created = back.created_at
    assert created.str.endswith("+01:00").any() and created.str.endswith("+02:00").any()
    parsed = pd.to_datetime(created, format="ISO8601", utc=True).dt.as_unit("us")
    assert parsed.equals(tables["leads"].created_at)
    orders = pd.read_csv(tmp_path / "orders.csv")
    assert np.allclose(orders.amount, tables["orders"].amount)


def test_write_folder_is_the_same_for_arrow_strings(tables, tmp_path):
    # large returns string[pyarrow] columns; the files must not depend on it
    arrow = {name: df.astype({c: "string[pyarrow]" for c in df.columns if df[c].dtype == object})
             for name, df in tables.items() if name in ("leads", "costs", "reps")}
    write_folder({k: tables[k] for k in arrow}, tmp_path / "object")
    write_folder(arrow, tmp_path / "arrow")
    for name in arrow:
        assert (tmp_path / "object" / f"{name}.csv").read_bytes() == (tmp_path / "arrow" / f"{name}.csv").read_bytes()


def test_write_folder_numbers_are_plain(tmp_path):
    frame = pd.DataFrame({"a": [1e15, 2.5e10, 0.5, None, -3.25, 4.3e-7], "b": [1.0, 2.0, None, 4.0, 5.0, 6.0]})
    write_folder({"t": frame}, tmp_path)
    with (tmp_path / "t.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["a", "b"]
    assert rows[1:] == [
        ["1000000000000000", "1"], ["25000000000", "2"], ["0.5", ""], ["", "4"], ["-3.25", "5"],
        ["0.00000043", "6"]]


# --------------------------------------------------------------------------
# Figures for medium and large: printed, not asserted (KOERS_DEMO_BENCH=1 to run)


@pytest.mark.skipif(not os.environ.get("KOERS_DEMO_BENCH"), reason="set KOERS_DEMO_BENCH=1 to time medium and large")
@pytest.mark.parametrize("size", ["medium", "large"])
def test_bench(size, tmp_path):
    code = textwrap.dedent(f"""
        import datetime, resource, time
        from koers.demo import build_demo, write_folder
        t = time.perf_counter()
        d = build_demo({size!r}, until=datetime.date(2025, 11, 1))
        built = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        write_folder(d, {str(tmp_path)!r})
        written = time.perf_counter() - t
        rows = {{k: len(v) for k, v in d.items()}}
        print(f"{size}: build {{built:.1f}} s, peak RSS {{peak:.0f}} MB, write_folder {{written:.1f}} s, "
              f"{{rows['opportunities']}} opportunities, {{rows['activities']}} activities, {{rows['leads']}} leads")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True)
    print(out.stdout)
