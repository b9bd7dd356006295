"""`koers sync hubspot` against HubSpot's CRM API served from recorded
responses (tests/data/hubspot) on 127.0.0.1: what lands, incremental runs,
paging, failures halfway, credentials, and which companies are customers
(those with a won deal, or whose lifecycle stage says so, from that first day)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.connectors import rest
from koers.connectors.runner import markers, sync_log
from tests.vendor_http import Drop, FakeVendor, exported, kpi_value, load

DATA = Path(__file__).parent / "data" / "hubspot"
TOKEN = "pat-eu1-secret-0000-1111"
FIRST = {
    ("companies", None): "companies.json",
    ("deals", None): "deals.0.json",
    ("deals", "2"): "deals.2.json",
    ("calls", None): "calls.json",
    ("emails", None): "emails.json",
    ("meetings", None): "meetings.json",
    ("tasks", None): "tasks.json",
}
SAME = {**{k: "empty.json" for k in FIRST}, ("deals", None): "deals.same.json",
        ("companies", None): "companies.same.json"}
# deal 403 (Acme) won, deal 407 (Globex) new and won, deal 405 (Globex) new, task 801 read again;
# no company changed: Globex becomes a customer through deal 407
CHANGED = {**SAME, ("deals", None): "deals.changed.0.json", ("deals", "1"): "deals.changed.1.json",
           ("companies", None): "empty.json", ("tasks", None): "tasks.same.json"}
MARKERS = {"companies": "2025-03-10T14:00:09.000Z", "deals": "2025-03-21T10:00:00.000Z",
           "calls": "2025-03-05T09:21:00.000Z", "emails": "2025-03-07T10:00:00.000Z",
           "meetings": "2025-03-18T13:05:00.000Z", "tasks": "2025-03-22T08:00:00.000Z"}

EXPECTED = {
    "reps": [
        "rep_id,name,email,team,role,manager_id,hired_on,left_on",
        "201,Anna de Vries,anna@example.nl,Sales North,,,2024-01-15,",
        "202,Bram Jansen,bram@example.nl,Sales North,,,2024-03-01,",
        "203,Carla Smit,carla@example.nl,,,,2023-05-01,2025-01-31",
    ],
    "stages": [
        "stage,sequence,probability,kind,forecast_category",
        "Appointment Scheduled,1,20.0,open,",
        "Closed Lost,5,0.0,lost,",
        "Closed Lost (Renewals),3,0.0,lost,",
        "Closed Won,4,100.0,won,",
        "Closed Won (Renewals),2,100.0,won,",
        "Contract Sent,3,90.0,open,",
        "Qualified To Buy,2,40.0,open,",
        "Qualified To Buy (Renewals),1,50.0,open,",
    ],
    # Acme won deal 401 on 2025-03-10; Initech has no won deal but its lifecycle stage says customer
    # since 2024-12-31 23:30 UTC (1 January in Amsterdam); Globex (a lost deal) and Umbrella (an open one)
    # are prospects
    "customers": [
        "customer_id,name,acquired_on,churned_on,churn_reason,owner_id,region,segment,industry,company_size,source",
        "301,Acme BV,2025-03-10,,,201,Netherlands,,COMPUTER_SOFTWARE,,",
        "303,Initech,2025-01-01,,,203,Belgium,,,,",
    ],
    "opportunities": [
        "opportunity_id,lead_id,customer_id,owner_id,created_at,closed_at,status,stage,amount,currency,probability,"
        "expected_close_on,forecast_category,product,product_line,region,segment,source,campaign,deal_type,lost_reason",
        "401,,301,201,2025-01-20T10:00:00+01:00,2025-03-10T15:00:00+01:00,won,Closed Won,10000.0,EUR,,,,,,,,,,"
        "new_business,",
        "402,,,202,2025-02-03T09:15:00+01:00,2025-03-12T12:30:00+01:00,lost,Closed Lost,5000.0,EUR,,,,,,,,,,,"
        "Too expensive",
        # created before Acme's first win: no customer yet
        "403,,,201,2025-03-01T11:00:00+01:00,,open,Contract Sent,7500.5,EUR,60.0,2025-04-30,commit,,,,,,,upsell,",
        # a renewal of a customer: created after it became one
        "404,,303,203,2025-01-05T14:45:00+01:00,,open,Qualified To Buy (Renewals),2000.0,,,,,,,,,,,,",
        "406,,,201,2025-03-15T11:00:00+01:00,,open,Qualified To Buy,1500.0,EUR,,2025-05-15,,,,,,,,new_business,",
    ],
    "stage_history": [
        "opportunity_id,stage,entered_at",
        "401,Appointment Scheduled,2025-01-20T10:00:00+01:00",
        "401,Closed Won,2025-03-10T15:00:00+01:00",
        "401,Contract Sent,2025-02-15T13:00:00+01:00",
        "402,Closed Lost,2025-03-12T12:30:00+01:00",
        "402,Qualified To Buy,2025-02-03T09:15:00+01:00",
        "403,Contract Sent,2025-03-01T11:00:00+01:00",
        "404,Qualified To Buy (Renewals),2025-01-05T14:45:00+01:00",
        "406,Qualified To Buy,2025-03-15T11:00:00+01:00",
    ],
    "activities": [
        "activity_id,owner_id,type,lead_id,opportunity_id,customer_id,due_at,done_at",
        "calls-501,201,call,,401,301,,2025-03-05T10:20:00+01:00",
        "emails-601,202,email,,402,,,2025-03-06T09:00:00+01:00",
        "meetings-701,202,meeting,,402,,2025-03-25T15:30:00+01:00,",
        "meetings-702,201,meeting,,403,301,2025-03-18T12:00:00+01:00,2025-03-18T12:00:00+01:00",
        "tasks-801,201,other,,,,2025-03-28T08:00:00+01:00,",
        "tasks-802,202,call,,402,,2025-03-14T10:00:00+01:00,2025-03-14T11:15:00+01:00",
    ],
}


class Vendor(FakeVendor):
    """HubSpot: owners, pipelines, search pages per (object, after) and batch
    association reads answered for the ids asked."""

    def __init__(self):
        super().__init__(self.answer)
        self.routes = dict(FIRST)
        self.fail: tuple | None = None  # (object, after, 'drop' | status)

    def answer(self, method, path, query, body):
        if self.log[-1].headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"status": "error", "message": "Authentication credentials not found.",
                         "category": "INVALID_AUTHENTICATION", "correlationId": "c0ffee"}
        parts = path.strip("/").split("/")
        if path == "/crm/v3/owners":
            if query.get("archived") == "true":
                return 200, load(DATA, "owners.archived.json")
            return 200, load(DATA, "owners.after.json" if query.get("after") == "201" else "owners.json")
        if path == "/crm/v3/pipelines/deals":
            return 200, load(DATA, "pipelines.json")
        if parts[:3] == ["crm", "v3", "objects"] and parts[-1] == "search" and method == "POST":
            key = (parts[3], body.get("after"))
            if self.fail and key == self.fail[:2]:
                if self.fail[2] == "drop":
                    raise Drop
                return self.fail[2], {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}
            return 200, load(DATA, self.routes[key])
        if parts[:3] == ["crm", "v3", "objects"] and parts[-2:] == ["batch", "read"] and method == "POST":
            recorded = load(DATA, f"{parts[3]}.batch.json")
            asked = [i["id"] for i in body["inputs"]]
            found = [r for r in recorded["results"] if r["id"] in asked]
            missing = [i for i in asked if i not in {r["id"] for r in found}]
            if not missing:
                return 200, {**recorded, "results": found}
            errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some objects",
                       "context": {"ids": missing}}]
            return 207, {**recorded, "results": found, "errors": errors, "numErrors": len(errors)}
        if parts[:3] == ["crm", "v4", "associations"] and parts[-2:] == ["batch", "read"]:
            recorded = load(DATA, f"assoc.{parts[3]}.{parts[4]}.json")
            asked = [i["id"] for i in body["inputs"]]
            found = [r for r in recorded["results"] if r["from"]["id"] in asked]
            missing = [i for i in asked if i not in {r["from"]["id"] for r in found}]
            if not missing:
                return 200, {**recorded, "results": found}
            errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"No {parts[4]} is associated",
                       "context": {"fromObjectId": missing}}]
            return 207, {**recorded, "results": found, "errors": errors, "numErrors": len(errors)}
        return 404, {"status": "error", "message": f"no route {method} {path}", "category": "OBJECT_NOT_FOUND"}


@pytest.fixture
def vendor(monkeypatch, tmp_path):
    monkeypatch.setenv("KOERS_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("KOERS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr(rest, "_sleep", lambda s: None)
    v = Vendor().start()
    yield v
    v.stop()


def sync(vendor, ws):
    res = CliRunner().invoke(app, ["sync", "hubspot", "--workspace", ws.url, "--base-url", vendor.url])
    assert TOKEN not in res.output
    return res


def tables(ws, tmp_path) -> dict[str, list[str]]:
    return exported(ws, tmp_path, EXPECTED)


kpi = kpi_value


def searches(vendor) -> dict[str, list]:
    """object -> the filters of each search request."""
    out: dict[str, list] = {}
    for r in vendor.log:
        if r.path.endswith("/search"):
            out.setdefault(r.path.split("/")[4], []).append(r.body["filterGroups"])
    return out


def millis(iso: str) -> str:
    return str(int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000))


def test_a_first_sync_lands_every_table(vendor, tmp_ws, tmp_path):
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 0, res.output
    assert tables(tmp_ws, tmp_path) == EXPECTED
    assert markers(tmp_ws, "hubspot") == MARKERS
    # everything on the first run: no filter; the deals over two pages
    assert all(f == [] for fs in searches(vendor).values() for f in fs)
    assert len(searches(vendor)["deals"]) == 2
    deal_search = next(r.body for r in vendor.log if r.path.endswith("/deals/search"))
    assert "hs_v2_date_entered_closedwon" in deal_search["properties"]
    assert deal_search["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert kpi(tmp_ws, "won_value", "2025-03") == "10000"
    # Initech in January, Acme in March; not the prospects Globex and Umbrella
    assert [kpi(tmp_ws, "new_customers", p) for p in ("2025-01", "2025-02", "2025-03")] == ["1", "0", "1"]
    # every company and deal was read: nothing is read again by id
    assert not [p for p in vendor.paths() if p.startswith("/crm/v3/objects/") and p.endswith("/batch/read")]
    assert "/crm/v4/associations/companies/deals/batch/read" not in vendor.paths()


def test_a_second_run_without_changes_searches_from_the_markers_and_writes_nothing(vendor, tmp_ws, tmp_path):
    assert sync(vendor, tmp_ws).exit_code == 0
    vendor.log.clear()
    vendor.routes = dict(SAME)
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 0, res.output
    for model, filters in searches(vendor).items():
        assert filters == [[{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                          "value": millis(MARKERS[model])}]}]], model
    last = sync_log(tmp_ws, "hubspot")
    assert sum(r["rows_written"] for r in last if r["run_id"] == last[0]["run_id"]) == 0
    assert tables(tmp_ws, tmp_path) == EXPECTED
    assert markers(tmp_ws, "hubspot") == MARKERS


def test_a_changed_deal_is_updated_and_a_new_one_added_over_two_pages(vendor, tmp_ws, tmp_path):
    assert sync(vendor, tmp_ws).exit_code == 0
    vendor.routes = dict(CHANGED)
    vendor.log.clear()
    assert sync(vendor, tmp_ws).exit_code == 0
    now = tables(tmp_ws, tmp_path)
    assert now["opportunities"][3] == ("403,,301,201,2025-03-01T11:00:00+01:00,2025-03-25T17:00:00+01:00,won,"
                                       "Closed Won,7500.5,EUR,100.0,,commit,,,,,,,upsell,")
    # created after Globex's first win (deal 407): named for its customer
    assert now["opportunities"][5] == ("405,,302,202,2025-03-26T10:00:00+01:00,,open,Appointment Scheduled,3000.0,"
                                       "EUR,,2025-05-31,,,,,,,,,")
    # won 2025-03-23 23:30 UTC, 2025-03-24 in Amsterdam
    assert now["opportunities"][7] == ("407,,302,202,2025-03-22T10:00:00+01:00,2025-03-24T00:30:00+01:00,won,"
                                       "Closed Won,4000.0,EUR,,,,,,,,,,new_business,")
    assert now["stage_history"][6:8] == ["403,Closed Won,2025-03-25T17:00:00+01:00",
                                         "403,Contract Sent,2025-03-01T11:00:00+01:00"]
    assert markers(tmp_ws, "hubspot")["deals"] == "2025-03-26T09:00:00.500Z"
    assert kpi(tmp_ws, "won_value", "2025-03") == "21500.5"
    # Globex became a customer through deal 407 though no company changed; Acme keeps its first
    # win's day although the run saw only its later win (403): its other deals were read by id
    assert now["customers"] == [
        EXPECTED["customers"][0],
        "301,Acme BV,2025-03-10,,,201,Netherlands,,COMPUTER_SOFTWARE,,",
        "302,Globex,2025-03-24,,,202,,,,,",
        "303,Initech,2025-01-01,,,203,Belgium,,,,",
    ]
    # the task read again names its company now that it is a customer; the email, not read, does not
    assert now["activities"][5] == "tasks-801,201,other,,,302,2025-03-28T08:00:00+01:00,"
    assert now["activities"][2] == EXPECTED["activities"][2]
    assert kpi(tmp_ws, "new_customers", "2025-03") == "2"
    assert kpi(tmp_ws, "active_customers", "2025-03") == "3"
    asked = {r.path: [i["id"] for i in r.body["inputs"]] for r in vendor.log if r.path.endswith("/batch/read")
             and "/deals/companies/" not in r.path}
    assert asked == {"/crm/v3/objects/companies/batch/read": ["301", "302"],
                     "/crm/v4/associations/companies/deals/batch/read": ["301", "302"],
                     "/crm/v3/objects/deals/batch/read": ["401", "402"],  # the others were read as changed
                     "/crm/v4/associations/tasks/deals/batch/read": ["801"],
                     "/crm/v4/associations/tasks/companies/batch/read": ["801"]}


@pytest.mark.parametrize("failure", ["drop", 500])
def test_a_failure_on_page_two_writes_nothing_and_the_next_run_catches_up(vendor, tmp_ws, tmp_path, failure):
    assert sync(vendor, tmp_ws).exit_code == 0
    before = tables(tmp_ws, tmp_path)
    vendor.routes = dict(CHANGED)
    vendor.fail = ("deals", "1", failure)
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3, res.output
    assert "sync hubspot failed" in res.output and "nothing was written" in res.output
    assert tables(tmp_ws, tmp_path) == before
    assert markers(tmp_ws, "hubspot") == MARKERS
    assert sync_log(tmp_ws, "hubspot")[0]["status"] == "failed"
    vendor.fail = None
    assert sync(vendor, tmp_ws).exit_code == 0
    assert markers(tmp_ws, "hubspot")["deals"] == "2025-03-26T09:00:00.500Z"
    assert len(tables(tmp_ws, tmp_path)["opportunities"]) == 8
    assert len(tables(tmp_ws, tmp_path)["customers"]) == 4


def test_rate_limiting_is_retried_a_bounded_number_of_times(vendor, tmp_ws, tmp_path):
    calls = {"n": 0}
    answer = vendor.handler

    def limited(method, path, query, body):
        if path.endswith("/deals/search") and calls["n"] < 3:
            calls["n"] += 1
            return 429, {"status": "error", "message": "You have reached your secondly limit.",
                         "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}
        return answer(method, path, query, body)

    vendor.handler = limited
    assert sync(vendor, tmp_ws).exit_code == 0
    assert tables(tmp_ws, tmp_path) == EXPECTED
    vendor.handler = lambda *a: (429, {"status": "error", "message": "You have reached your secondly limit."})
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3 and "rate limiting" in res.output


def test_a_wrong_token_is_refused_with_a_clear_message_and_never_shown(vendor, tmp_ws, monkeypatch):
    monkeypatch.setenv("KOERS_HUBSPOT_TOKEN", "pat-eu1-wrong-9999")
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3
    said = " ".join(res.output.split())
    assert "HubSpot refused the credentials (HTTP 401" in said and "Authentication credentials not found" in said
    assert "pat-eu1-wrong-9999" not in res.output
    assert "pat-eu1-wrong-9999" not in sync_log(tmp_ws, "hubspot")[0]["message"]


def test_a_missing_token_exits_3_with_a_clear_message(vendor, tmp_ws, monkeypatch):
    monkeypatch.delenv("KOERS_HUBSPOT_TOKEN")
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3
    said = " ".join(res.output.split())
    assert "no token for hubspot: set KOERS_HUBSPOT_TOKEN, or token under" in said
    assert vendor.log == []


def test_the_token_is_sent_as_a_bearer_header_only(vendor, tmp_ws):
    assert sync(vendor, tmp_ws).exit_code == 0
    assert all(TOKEN not in str(r.query) and TOKEN not in str(r.body) for r in vendor.log)


def test_past_the_search_apis_10000_results_a_new_query_starts_from_the_last_change(vendor, tmp_ws, tmp_path,
                                                                                   monkeypatch):
    from koers.connectors import hubspot

    monkeypatch.setattr(hubspot, "SEARCH_CAP", 2)  # deals.0.json's next page is at offset 2
    answer = vendor.handler
    since = millis("2025-03-12T11:30:02.000Z")  # the last change on the first page

    def restart(method, path, query, body):
        if path.endswith("/deals/search") and body["filterGroups"]:
            assert body["filterGroups"][0]["filters"][0]["value"] == since and "after" not in body
            return 200, load(DATA, "deals.2.json")
        return answer(method, path, query, body)

    vendor.handler = restart
    assert sync(vendor, tmp_ws).exit_code == 0
    assert tables(tmp_ws, tmp_path) == EXPECTED
    assert len(searches(vendor)["deals"]) == 2


@pytest.mark.parametrize("customer_date, acquired_on, deal_403", [
    ("2025-02-20T10:00:00.000Z", "2025-02-20", "301"),  # a customer before its first win in HubSpot
    ("2025-03-12T09:00:00.000Z", "2025-03-10", ""),  # set by hand after the first win: the win counts
])
def test_a_company_is_a_customer_from_the_earlier_of_its_first_win_and_its_lifecycle_date(
        vendor, tmp_ws, tmp_path, customer_date, acquired_on, deal_403):
    companies = load(DATA, "companies.json")
    for c in companies["results"]:
        if c["id"] == "301":
            c["properties"]["hs_lifecyclestage_customer_date"] = customer_date
    answer = vendor.handler

    def lifecycle(method, path, query, body):
        if path.endswith("/companies/search"):
            return 200, companies
        return answer(method, path, query, body)

    vendor.handler = lifecycle
    assert sync(vendor, tmp_ws).exit_code == 0
    now = tables(tmp_ws, tmp_path)
    assert now["customers"][1] == f"301,Acme BV,{acquired_on},,,201,Netherlands,,COMPUTER_SOFTWARE,,"
    # deal 403 was created on 2025-03-01: an upsell only when Acme was a customer by then
    assert now["opportunities"][3].split(",")[2] == deal_403
