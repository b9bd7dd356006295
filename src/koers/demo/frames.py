"""The built arrays as one pandas DataFrame per canonical table, ids and text resolved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from koers.demo.arrays import numbered_ids, release_memory, take_text
from koers.demo.vocabulary import (
    ACTIVITY_POINTS,
    CHURN_REASONS,
    COMPANY_SIZES,
    CURRENCIES,
    INDUSTRIES,
    LINE_OF_PRODUCT,
    LOST_REASONS,
    PRODUCT_LINES,
    PRODUCTS,
    REGIONS,
    SEGMENTS,
    SOURCES,
    STAGE_PROB,
    STAGES,
)
from koers.demo.worktime import DAY, NEVER, local_to_utc_us, month_first_day
from koers.model import ACTIVITY_TYPES, TABLE_BY_NAME

TABLE_ORDER = (
    "reps", "stages", "leads", "opportunities", "stage_history", "activities",
    "activity_points", "customers", "orders", "contracts", "costs", "targets",
    "forecasts", "nps", "exchange_rates",
)

COLUMNS = {name: tuple(TABLE_BY_NAME[name].column_names) for name in TABLE_ORDER}


class FramesMixin:
    """Turns the builder's arrays into the returned DataFrames (`frames`)."""

    def text(self, arr) -> pd.Series:
        if not isinstance(arr, (pa.Array, pa.ChunkedArray)):
            arr = pa.array(arr, pa.string())
        if self.arrow:
            return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr])))
        return pd.Series(arr.to_numpy(zero_copy_only=False), dtype=object)

    @staticmethod
    def ts(t) -> pd.Series:
        return pd.Series(local_to_utc_us(t).view("M8[us]")).dt.tz_localize("UTC")

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
        release_memory()
        return df

    def frames(self) -> dict[str, pd.DataFrame]:
        """Convert to DataFrames, biggest first, dropping each table's arrays once converted."""
        rep_ids = self.reps["rep_id"]
        lead_ids = numbered_ids("L", self.n_leads, 7)
        opp_ids = numbered_ids("O", self.n_opps, 7)
        cust_ids = numbered_ids("C", self.n_cust, 6)
        stage_names = pa.array([s[0] for s in STAGES])
        products = [p[0] for p in PRODUCTS]
        tables = {}
        a = self.a
        tables["activities"] = self.frame("activities", {
            "activity_id": numbered_ids("A", len(a["due"]), 8), "owner_id": take_text(rep_ids, a.pop("owner")),
            "type": take_text(ACTIVITY_TYPES, a.pop("type")), "lead_id": take_text(lead_ids, a.pop("lead")),
            "opportunity_id": take_text(opp_ids, a.pop("opp")), "customer_id": take_text(cust_ids, a.pop("cust")),
            "due_at": ("ts", a.pop("due")), "done_at": ("ts", a.pop("done"))})
        del self.a, a
        H = self.h
        tables["stage_history"] = self.frame("stage_history", {
            "opportunity_id": take_text(opp_ids, H["deal"]), "stage": take_text(stage_names, H["stage"]),
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
            "opportunity_id": opp_ids, "lead_id": take_text(lead_ids, lead),
            "customer_id": take_text(cust_ids, D["customer"]), "owner_id": take_text(rep_ids, D["rep"]),
            "created_at": ("ts", D["created"]), "closed_at": ("ts", D["closed"]),
            "status": take_text(("open", "won", "lost"), D["status"]), "stage": take_text(stage_names, D["stage"]),
            "amount": D["amount"], "currency": take_text(CURRENCIES, D["cur"]), "probability": D["prob"],
            "expected_close_on": ("date", D["expected"]),
            "forecast_category": take_text(("pipeline", "best_case", "commit", "omitted"), D["fc"]),
            "product": take_text(products, D["product"]),
            "product_line": take_text(PRODUCT_LINES, LINE_OF_PRODUCT[D["product"]]),
            "region": take_text(REGIONS, region), "segment": take_text(SEGMENTS, segment),
            "source": take_text(SOURCES, np.where(copy, L["source"][li], -1)),
            "campaign": take_text(self.campaigns, np.where(copy, L["campaign"][li], -1)),
            "deal_type": take_text(("new_business", "upsell", "cross_sell", "renewal"), D["deal_type"]),
            "lost_reason": take_text(LOST_REASONS, D["reason"])})
        del self.o, D, lead, li, copy, ci, region, segment
        tables["leads"] = self.frame("leads", {
            "lead_id": lead_ids, "created_at": ("ts", L["created"]),
            "owner_id": take_text(rep_ids, self.owner_at(
                L["rep"], np.minimum(np.minimum(L["c_at"], L["d_at"]), self.until) // DAY)),
            "source": take_text(SOURCES, L["source"]),
            "channel": take_text(("inbound", "outbound"), L["outbound"].astype(int)),
            "campaign": take_text(self.campaigns, L["campaign"]),
            "region": take_text(REGIONS, L["region"]), "segment": take_text(SEGMENTS, L["segment"]),
            "industry": take_text(INDUSTRIES, L["industry"]), "company_size": take_text(COMPANY_SIZES, L["size"]),
            "product": take_text(products, L["product"]),
            "qualified_at": ("ts", L["q_at"]), "first_response_at": ("ts", L["resp"]),
            "converted_at": ("ts", L["c_at"]), "disqualified_at": ("ts", L["d_at"]),
            "referred_by_customer_id": take_text(cust_ids, L["referrer"])})
        del self.l, L, lead_ids
        od = self.orders
        tables["orders"] = self.frame("orders", {
            "order_id": numbered_ids("ORD", len(od["day"]), 8), "customer_id": take_text(cust_ids, od["cust"]),
            "opportunity_id": take_text(opp_ids, od["opp"]), "ordered_on": ("date", od["day"]),
            "amount": od["amount"], "currency": take_text(CURRENCIES, od["cur"]), "cost": od["cost"],
            "product": take_text(products, od["product"]),
            "product_line": take_text(PRODUCT_LINES, LINE_OF_PRODUCT[od["product"]]),
            "owner_id": take_text(rep_ids, od["rep"])})
        del self.orders, od
        r = dict(self.reps)
        r["manager_id"] = take_text(rep_ids, self.r_manager)
        tables["reps"] = self.frame("reps", r)
        tables["stages"] = self.frame("stages", {
            "stage": stage_names, "sequence": np.array([s[1] for s in STAGES]),
            "probability": STAGE_PROB, "kind": pa.array([s[3] for s in STAGES]),
            "forecast_category": pa.array([s[4] for s in STAGES])})
        tables["activity_points"] = self.frame("activity_points", {
            "type": pa.array(ACTIVITY_TYPES), "points": np.array(ACTIVITY_POINTS)})
        tables["customers"] = self.frame("customers", {
            "customer_id": cust_ids, "name": pa.array(C["name"], pa.string()), "acquired_on": ("date", C["acq"]),
            "churned_on": ("date", C["churn"]), "churn_reason": take_text(CHURN_REASONS, C["reason"]),
            "owner_id": take_text(rep_ids, self.owner_at(C["am"], np.minimum(C["churn"], self.until_day))),
            "region": take_text(REGIONS, C["region"]), "segment": take_text(SEGMENTS, C["seg"]),
            "industry": take_text(INDUSTRIES, C["industry"]), "company_size": take_text(COMPANY_SIZES, C["size"]),
            "source": take_text(SOURCES, C["source"])})
        ct = self.ct
        tables["contracts"] = self.frame("contracts", {
            "contract_id": numbered_ids("CT", len(ct["cust"]), 6), "customer_id": take_text(cust_ids, ct["cust"]),
            "opportunity_id": take_text(opp_ids, ct["opp"]), "start_on": ("date", ct["start"]),
            "end_on": ("date", ct["end"]), "total_value": ct["total"],
            "currency": take_text(CURRENCIES, C["cur"][ct["cust"]]),
            "owner_id": take_text(rep_ids, self.owner_at(C["am"][ct["cust"]], ct["start"]))})
        co = self.costs
        tables["costs"] = self.frame("costs", {
            "month": ("date", month_first_day(co["month"])),
            "category": take_text(("marketing", "sales"), co["cat"]), "source": take_text(SOURCES, co["src"]),
            "campaign": take_text(self.campaigns, co["camp"]), "amount": co["amount"],
            "currency": take_text(CURRENCIES, co["cur"])})
        tg = self.targets
        tables["targets"] = self.frame("targets", {
            "period": pa.array(tg["period"]), "kpi": pa.array(tg["kpi"]),
            "rep_id": take_text(rep_ids, tg["rep"]), "team": take_text(self.team_names, tg["team"]),
            "value": tg["value"]})
        fc = self.forecasts
        tables["forecasts"] = self.frame("forecasts", {
            "rep_id": take_text(rep_ids, fc["rep"]), "period": pa.array(fc["period"]),
            "submitted_on": ("date", fc["day"]), "amount": fc["amount"]})
        nps = self.nps
        tables["nps"] = self.frame("nps", {
            "customer_id": take_text(cust_ids, nps["cust"]), "responded_on": ("date", nps["day"]),
            "score": nps["score"].astype("int64")})
        cur_i, mon_i = np.nonzero(np.ones_like(self.rates, dtype=bool))
        tables["exchange_rates"] = self.frame("exchange_rates", {
            "currency": take_text(CURRENCIES, cur_i), "valid_from": ("date", month_first_day(self.rate_months[mon_i])),
            "rate": self.rates[cur_i, mon_i]})
        return {name: tables[name] for name in TABLE_ORDER}
