"""`koers sync pipedrive` against Pipedrive's API v1 served from recorded
responses (tests/data/pipedrive) on 127.0.0.1: what lands, incremental runs,
paging, failures halfway, credentials, and which organizations are customers
(those with a won deal, from the first win's day)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.connectors import rest
from koers.connectors.runner import markers, sync_log
from tests.vendor_http import Drop, FakeVendor, exported, kpi_value, load

DATA = Path(__file__).parent / "data" / "pipedrive"
TOKEN = "pd-secret-token-123456"
FIRST = {
    ("/api/v1/users", None, 0): "users.json",
    ("/api/v1/pipelines", None, 0): "pipelines.json",
    ("/api/v1/stages", None, 0): "stages.json",
    ("/api/v1/organizations", None, 0): "organizations.json",
    ("/api/v1/deals", None, 0): "deals.0.json",
    ("/api/v1/deals", None, 2): "deals.2.json",
    ("/api/v1/activities", None, 0): "activities.json",
    ("/api/v1/deals/1/flow", "dealChange", 0): "deals.1.flow.json",
}
SAME = {
    **{k: v for k, v in FIRST.items() if k[0] in ("/api/v1/users", "/api/v1/pipelines", "/api/v1/stages")},
    ("/api/v1/recents", "deal", 0): "recents.deal.same.json",
    ("/api/v1/recents", "activity", 0): "recents.activity.same.json",
    ("/api/v1/recents", "organization", 0): "recents.organization.same.json",
}
# deal 3 (Acme) won, deal 7 (Globex) new and won, deal 5 (Globex) new; the
# organizations themselves did not change: Globex becomes a customer through deal 7
CHANGED = {
    **SAME,
    ("/api/v1/recents", "deal", 0): "recents.deal.changed.0.json",
    ("/api/v1/recents", "deal", 1): "recents.deal.changed.1.json",
    ("/api/v1/recents", "organization", 0): "recents.organization.none.json",
    ("/api/v1/deals/3/flow", "dealChange", 0): "deals.3.flow.json",
    ("/api/v1/organizations/101", None, 0): "organization.101.json",
    ("/api/v1/organizations/101/deals", None, 0): "organization.101.deals.won.json",
    ("/api/v1/organizations/102", None, 0): "organization.102.json",
    ("/api/v1/organizations/102/deals", None, 0): "organization.102.deals.won.json",
}
MARKERS = {"deals": "2025-03-21 10:00:00", "activities": "2025-03-22 08:00:00",
           "organizations": "2025-02-01 12:00:00"}

EXPECTED = {
    "reps": [
        "rep_id,name,email,team,role,manager_id,hired_on,left_on",
        "11,Anna de Vries,anna@example.nl,,,,2024-01-15,",
        "12,Bram Jansen,bram@example.nl,,,,2024-03-01,2025-06-30",
    ],
    "stages": [
        "stage,sequence,probability,kind,forecast_category",
        "Negotiations Started,3,80.0,open,",
        "Proposal Made,2,50.0,open,",
        "Qualified,1,10.0,open,",
        "Qualified (Partners),1,20.0,open,",
    ],
    # Acme won deal 1 on 2025-03-10; Globex (a lost deal) and Initech (an open one) are prospects
    "customers": [
        "customer_id,name,acquired_on,churned_on,churn_reason,owner_id,region,segment,industry,company_size,source",
        "101,Acme BV,2025-03-10,,,11,Netherlands,,,,",
    ],
    "opportunities": [
        "opportunity_id,lead_id,customer_id,owner_id,created_at,closed_at,status,stage,amount,currency,probability,"
        "expected_close_on,forecast_category,product,product_line,region,segment,source,campaign,deal_type,lost_reason",
        "1,,101,11,2025-01-20T10:00:00+01:00,2025-03-10T15:00:00+01:00,won,Negotiations Started,10000.0,EUR,,"
        "2025-03-15,,,,,,,,,",
        "2,,,12,2025-02-03T09:15:00+01:00,2025-03-12T12:30:00+01:00,lost,Proposal Made,5000.0,EUR,,,,,,,,,,,"
        "Too expensive",
        # created before Acme's first win: no upsell, no customer yet
        "3,,,11,2025-03-01T11:00:00+01:00,,open,Proposal Made,7500.5,EUR,60.0,2025-04-30,,,,,,,,,",
        "4,,,11,2025-03-05T14:45:00+01:00,,open,Qualified (Partners),2000.0,EUR,,,,,,,,,,,",
        "6,,,11,2025-03-15T11:00:00+01:00,,open,Qualified,1500.0,EUR,,2025-05-15,,,,,,,,,",
    ],
    "stage_history": [
        "opportunity_id,stage,entered_at",
        "1,Negotiations Started,2025-02-15T13:00:00+01:00",
        "1,Proposal Made,2025-02-01T11:00:00+01:00",
        "1,Qualified,2025-01-20T10:00:00+01:00",
        "2,Proposal Made,2025-02-03T09:15:00+01:00",
        "3,Proposal Made,2025-03-01T11:00:00+01:00",
        "4,Qualified (Partners),2025-03-05T14:45:00+01:00",
        "6,Qualified,2025-03-15T11:00:00+01:00",
    ],
    "activities": [
        "activity_id,owner_id,type,lead_id,opportunity_id,customer_id,due_at,done_at",
        "1001,11,call,,1,101,2025-03-05T10:00:00+01:00,2025-03-05T10:20:00+01:00",
        "1002,12,meeting,,2,,2025-03-25T15:30:00+01:00,",
        "1003,11,other,,,,2025-03-28T00:00:00+01:00,",
        "1004,11,meeting,,3,101,2025-03-18T12:00:00+01:00,2025-03-18T14:05:00+01:00",
        "1005,11,call,,,,2025-03-20T00:00:00+01:00,",
    ],
}


class Vendor(FakeVendor):
    """Pipedrive: answers from a route table (path, items, start) -> recorded file."""

    def __init__(self):
        super().__init__(self.answer)
        self.routes = dict(FIRST)
        self.fail: tuple | None = None  # (path, items, start, 'drop' | status)

    def answer(self, method, path, query, body):
        if query.get("api_token") != TOKEN:
            return 401, {"success": False, "error": "unauthorized access", "errorCode": 401}
        key = (path, query.get("items"), int(query.get("start", 0)))
        if self.fail and key == self.fail[:3]:
            if self.fail[3] == "drop":
                raise Drop
            return self.fail[3], {"success": False, "error": "Internal server error"}
        if key not in self.routes:
            return 404, {"success": False, "error": f"no route {key}"}
        return 200, load(DATA, self.routes[key])


@pytest.fixture
def vendor(monkeypatch, tmp_path):
    monkeypatch.setenv("KOERS_PIPEDRIVE_API_TOKEN", TOKEN)
    monkeypatch.setenv("KOERS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr(rest, "_sleep", lambda s: None)
    v = Vendor().start()
    yield v
    v.stop()


def sync(vendor, ws):
    res = CliRunner().invoke(app, ["sync", "pipedrive", "--workspace", ws.url, "--base-url", f"{vendor.url}/api/v1"])
    assert TOKEN not in res.output
    return res


def tables(ws, tmp_path) -> dict[str, list[str]]:
    return exported(ws, tmp_path, EXPECTED)


kpi = kpi_value


def test_a_first_sync_lands_every_table(vendor, tmp_ws, tmp_path):
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 0, res.output
    assert tables(tmp_ws, tmp_path) == EXPECTED
    assert markers(tmp_ws, "pipedrive") == MARKERS
    # every activity, not only the token owner's; both pages of deals
    assert [r.query.get("user_id") for r in vendor.log if r.path == "/api/v1/activities"] == ["0"]
    assert [r.query["start"] for r in vendor.log if r.path == "/api/v1/deals"] == ["0", "2"]
    assert kpi(tmp_ws, "won_value", "2025-03") == "10000"
    # Acme, not the prospects Globex (added in February) and Initech (January)
    assert [kpi(tmp_ws, "new_customers", p) for p in ("2025-01", "2025-02", "2025-03")] == ["0", "0", "1"]
    # the flow is read only for the deal that moved; the others get Koers's own history
    assert [p for p in vendor.paths() if p.endswith("/flow")] == ["/api/v1/deals/1/flow"]
    # every deal was read: no organization is read again for its won deals
    assert [p for p in vendor.paths() if p.startswith("/api/v1/organizations/")] == []


def test_a_second_run_without_changes_reads_from_the_markers_and_writes_nothing(vendor, tmp_ws, tmp_path):
    assert sync(vendor, tmp_ws).exit_code == 0
    vendor.log.clear()
    vendor.routes = dict(SAME)
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 0, res.output
    recents = {r.query["items"]: r.query["since_timestamp"] for r in vendor.log if r.path == "/api/v1/recents"}
    # a second before each marker
    assert recents == {"deal": "2025-03-21 09:59:59", "activity": "2025-03-22 07:59:59",
                       "organization": "2025-02-01 11:59:59"}
    assert not {"/api/v1/deals", "/api/v1/activities", "/api/v1/organizations"} & set(vendor.paths())
    # Globex (its changed activity's organization) counts no won deal: a prospect, nothing more to read
    assert [p for p in vendor.paths() if p.startswith("/api/v1/organizations/")] == []
    assert sync_log(tmp_ws, "pipedrive")[0]["rows_written"] == 0
    assert sum(r["rows_written"] for r in sync_log(tmp_ws, "pipedrive") if r["run_id"] ==
               sync_log(tmp_ws, "pipedrive")[0]["run_id"]) == 0
    assert tables(tmp_ws, tmp_path) == EXPECTED
    assert markers(tmp_ws, "pipedrive") == MARKERS


def test_a_changed_deal_is_updated_and_a_new_one_added_over_two_pages(vendor, tmp_ws, tmp_path):
    assert sync(vendor, tmp_ws).exit_code == 0
    vendor.routes = dict(CHANGED)
    assert sync(vendor, tmp_ws).exit_code == 0
    now = tables(tmp_ws, tmp_path)
    opps = now["opportunities"]
    assert opps[3] == ("3,,101,11,2025-03-01T11:00:00+01:00,2025-03-25T17:00:00+01:00,won,Negotiations Started,"
                       "7500.5,EUR,60.0,2025-04-30,,,,,,,,,")
    # created after Globex's first win (deal 7): an upsell, named for its customer
    assert opps[5] == "5,,102,12,2025-03-26T10:00:00+01:00,,open,Qualified,3000.0,EUR,,2025-05-31,,,,,,,,,"
    # won 2025-03-23 23:30 UTC, 2025-03-24 in Amsterdam
    assert opps[7] == ("7,,102,12,2025-03-22T10:00:00+01:00,2025-03-24T00:30:00+01:00,won,Negotiations Started,"
                       "4000.0,EUR,,,,,,,,,,,")
    assert markers(tmp_ws, "pipedrive")["deals"] == "2025-03-26 09:00:00"
    assert kpi(tmp_ws, "won_value", "2025-03") == "21500.5"
    history = now["stage_history"]
    assert history[5:] == ["3,Negotiations Started,2025-03-25T16:00:00+01:00",
                           "3,Proposal Made,2025-03-01T11:00:00+01:00",
                           "4,Qualified (Partners),2025-03-05T14:45:00+01:00",
                           "5,Qualified,2025-03-26T10:00:00+01:00",
                           "6,Qualified,2025-03-15T11:00:00+01:00",
                           "7,Negotiations Started,2025-03-22T10:00:00+01:00"]
    # Globex became a customer through deal 7 though its record did not change; Acme keeps its
    # first win's day although the run saw only its later win (deal 3): its won deals were read
    assert now["customers"] == [
        EXPECTED["customers"][0],
        "101,Acme BV,2025-03-10,,,11,Netherlands,,,,",
        "102,Globex,2025-03-24,,,12,,,,,",
    ]
    # the activity read again names its organization now that it is a customer
    assert now["activities"][3] == "1003,11,other,,,102,2025-03-28T00:00:00+01:00,"
    assert now["activities"][2] == EXPECTED["activities"][2]
    assert kpi(tmp_ws, "new_customers", "2025-03") == "2"
    assert kpi(tmp_ws, "active_customers", "2025-03") == "2"
    asked = {r.path: r.query for r in vendor.log if r.path.startswith("/api/v1/organizations/")}
    assert sorted(asked) == ["/api/v1/organizations/101", "/api/v1/organizations/101/deals",
                             "/api/v1/organizations/102", "/api/v1/organizations/102/deals"]
    assert asked["/api/v1/organizations/102/deals"]["status"] == "won"
    assert asked["/api/v1/organizations/102/deals"]["only_primary_association"] == "1"


def test_a_won_deal_of_an_organization_pipedrive_no_longer_has_makes_a_customer_of_what_the_deal_says(
        vendor, tmp_ws, tmp_path):
    orgs = load(DATA, "organizations.json")
    answer = vendor.handler

    def without_acme(method, path, query, body):
        if path == "/api/v1/organizations":
            return 200, {**orgs, "data": [o for o in orgs["data"] if o["id"] != 101]}
        return answer(method, path, query, body)

    vendor.handler = without_acme  # /organizations/101 is not found either
    assert sync(vendor, tmp_ws).exit_code == 0
    assert tables(tmp_ws, tmp_path)["customers"][1:] == ["101,Acme BV,2025-03-10,,,11,,,,,"]
    assert "/api/v1/organizations/101" in vendor.paths()


@pytest.mark.parametrize("failure", ["drop", 500])
def test_a_failure_on_page_two_writes_nothing_and_the_next_run_catches_up(vendor, tmp_ws, tmp_path, failure):
    assert sync(vendor, tmp_ws).exit_code == 0
    before = tables(tmp_ws, tmp_path)
    vendor.routes = dict(CHANGED)
    vendor.fail = ("/api/v1/recents", "deal", 1, failure)
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3, res.output
    assert "sync pipedrive failed" in res.output and "nothing was written" in res.output
    assert tables(tmp_ws, tmp_path) == before
    assert markers(tmp_ws, "pipedrive") == MARKERS
    assert sync_log(tmp_ws, "pipedrive")[0]["status"] == "failed"
    vendor.fail = None
    assert sync(vendor, tmp_ws).exit_code == 0
    assert markers(tmp_ws, "pipedrive")["deals"] == "2025-03-26 09:00:00"
    assert len(tables(tmp_ws, tmp_path)["opportunities"]) == 8
    assert len(tables(tmp_ws, tmp_path)["customers"]) == 3


def test_a_failure_on_the_first_run_leaves_the_workspace_empty(vendor, tmp_ws, tmp_path):
    vendor.fail = ("/api/v1/deals", None, 2, 500)
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3 and "HTTP 500" in res.output
    assert sum(tmp_ws.counts().values()) == 0
    assert markers(tmp_ws, "pipedrive") == {}


def test_rate_limiting_is_retried_a_bounded_number_of_times(vendor, tmp_ws, tmp_path):
    calls = {"n": 0}
    answer = vendor.handler

    def limited(method, path, query, body):
        if path == "/api/v1/stages" and calls["n"] < 2:
            calls["n"] += 1
            return 429, {"success": False, "error": "Too many requests"}
        return answer(method, path, query, body)

    vendor.handler = limited
    assert sync(vendor, tmp_ws).exit_code == 0
    assert tables(tmp_ws, tmp_path) == EXPECTED
    vendor.handler = lambda *a: (429, {"success": False, "error": "Too many requests"})
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3 and "rate limiting" in res.output


def test_a_wrong_token_is_refused_with_a_clear_message_and_never_shown(vendor, tmp_ws, monkeypatch):
    monkeypatch.setenv("KOERS_PIPEDRIVE_API_TOKEN", "wrong-token-987654")
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3
    assert "refused the credentials (HTTP 401" in res.output
    assert "wrong-token-987654" not in res.output
    assert "wrong-token-987654" not in sync_log(tmp_ws, "pipedrive")[0]["message"]


def test_a_dropped_connection_message_never_shows_the_token(vendor, tmp_ws):
    vendor.fail = ("/api/v1/users", None, 0, "drop")
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3 and "could not be reached" in res.output
    assert TOKEN not in sync_log(tmp_ws, "pipedrive")[0]["message"]


def test_a_missing_token_exits_3_with_a_clear_message(vendor, tmp_ws, monkeypatch):
    monkeypatch.delenv("KOERS_PIPEDRIVE_API_TOKEN")
    res = sync(vendor, tmp_ws)
    assert res.exit_code == 3
    said = " ".join(res.output.split())
    assert "no api_token for pipedrive: set KOERS_PIPEDRIVE_API_TOKEN, or api_token under [pipedrive] in" in said
    assert vendor.log == []


def test_the_company_domain_is_required(tmp_ws):
    res = CliRunner().invoke(app, ["sync", "pipedrive", "--workspace", tmp_ws.url])
    assert res.exit_code == 2 and "--company-domain" in res.output
