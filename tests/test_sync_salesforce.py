"""`koers sync salesforce` against recorded REST answers (tests/data/salesforce),
served by a requests transport adapter: no network, every SOQL query seen."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from requests.adapters import BaseAdapter
from typer.testing import CliRunner

from koers.cli import app
from koers.connectors import salesforce
from koers.connectors.runner import SyncError, markers, run_sync, sync_log

DATA = Path(__file__).parent / "data" / "salesforce"
URL = "https://koers-test.my.salesforce.com"
TOKEN = "00D1t000000SECRET!AQ0AQNotForYourEyes"
NOW = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Amsterdam")
ANNA, BRAM, MIA, OLD = "0051t00000AnnaVAAQ", "0051t00000BramVAAQ", "0051t00000MiaMVAAQ", "0051t00000OldRVAAQ"
ACME = "0011t00000AcmeBAAQ"
L1, L2, L3 = "00Q1t00000Lead1AAQ", "00Q1t00000Lead2AAQ", "00Q1t00000Lead3AAQ"
O1, O2, O3, O4, O5 = (f"0061t00000Opp{i}xAAQ" for i in range(1, 6))
PAGE_2 = "/services/data/v59.0/query/01g1t00000OppQryAAQ-3"

FIRST = {k: k for k in ("user", "opportunitystage", "opportunity", "opportunityhistory", "lead-links", "lead",
                        "account", "task", "event")}
UNCHANGED = {"user": "user", "opportunitystage": "opportunitystage"}
CHANGED = {**UNCHANGED, "opportunity": "opportunity-changed", "opportunityhistory": "opportunityhistory-changed",
           "account-won": "account-won-changed"}


def route(soql: str) -> str:
    """Which recorded answer a query gets: by its object (subqueries aside) and shape."""
    outer = soql
    while "(" in outer:
        outer = re.sub(r"\([^()]*\)", "", outer)
    obj = re.search(r"\bFROM (\w+)", outer).group(1)
    if obj == "Lead" and "ConvertedOpportunityId IN" in soql:
        return "lead-links"
    if obj == "Account" and "IsWon = true AND SystemModstamp" in soql:
        return "account-won"
    return obj.lower()


def selected(soql: str) -> set[str]:
    """The record keys a query's answer has: its fields, relationships and child relationships."""
    head = soql[len("SELECT "):]
    depth, start, items = 0, 0, []
    for i, c in enumerate(head):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0 and (c == "," or head.startswith(" FROM ", i)):
            items.append(head[start:i].strip())
            start = i + 1
            if c != ",":
                break
    return {re.search(r"\bFROM (\w+)", i).group(1) if i.startswith("(") else i.split(".")[0] for i in items}


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


class Recorded(BaseAdapter):
    """Answers Salesforce REST calls from tests/data/salesforce; `fail` maps a
    path or a route to an exception to raise or an HTTP status to answer;
    `hide` leaves fields out of an object's describe (field-level security)."""

    def __init__(self, answers: dict[str, str], fail: dict | None = None, hide: dict | None = None):
        super().__init__()
        self.answers, self.fail, self.hide = answers, fail or {}, hide or {}
        self.soql: list[str] = []
        self.auth: list[str] = []
        self.logins: list[tuple[str, str]] = []  # (url, SOAP body)

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        self.auth.append(request.headers.get("Authorization", ""))
        key, status = url.path, 200
        if url.path.startswith("/services/Soap/u/"):  # a username and password login
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            self.logins.append((request.url, body))
            fault = "INVALID_LOGIN" in self.fail
            return self.answer(request, 500 if fault else 200, (DATA / ("login-fault.xml" if fault else "login.xml"))
                               .read_bytes(), "text/xml;charset=UTF-8")
        if url.path.endswith("/query/"):
            soql = parse_qs(url.query)["q"][0]
            self.soql.append(soql)
            key, self.paging = route(soql), soql
            body = load(self.answers[key]) if key in self.answers else {"totalSize": 0, "done": True, "records": []}
        elif url.path == PAGE_2:  # the next page of the query before it
            body = load("opportunity-2")
        elif m := re.fullmatch(r"/services/data/v[\d.]+/sobjects/(\w+)/describe", url.path):
            key, body = m.group(1), load(f"describe-{m.group(1)}")
            body["fields"] = [f for f in body["fields"] if f["name"] not in self.hide.get(key, ())]
        else:
            status, body = 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        if status == 200 and "records" in body:  # only the fields asked for, as Salesforce answers
            keep = selected(self.paging) | {"attributes"}
            body["records"] = [{k: v for k, v in r.items() if k in keep} for r in body["records"]]
        failure = self.fail.get(key)
        if isinstance(failure, Exception):
            raise failure
        if isinstance(failure, int):
            status, body = failure, [{"errorCode": "INVALID_SESSION_ID" if failure == 401 else "SERVER_ERROR",
                                      "message": "Session expired or invalid" if failure == 401 else "try again"}]
        return self.answer(request, status, json.dumps(body).encode(), "application/json;charset=UTF-8")

    @staticmethod
    def answer(request, status: int, content: bytes, kind: str) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = status, content
        response.headers["Content-Type"] = kind
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


@pytest.fixture
def serve(monkeypatch):
    """serve(answers, fail=None) -> the adapter every Salesforce request goes to."""
    monkeypatch.setenv("KOERS_SALESFORCE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("KOERS_CONFIG", "/nonexistent/credentials.toml")

    def make(answers, fail=None, hide=None):
        adapter = Recorded(answers, fail, hide)

        def session():
            s = requests.Session()
            s.mount("https://", adapter)
            return s

        monkeypatch.setattr(salesforce, "new_session", session)
        return adapter

    return make


def sync(ws, now=NOW):
    pull = salesforce.make_pull(lambda: salesforce.connect(URL, "login", None), TZ, lambda _: None, now=lambda: now)
    return run_sync(ws, "salesforce", pull)


def table(ws, name: str, columns: str, order: str) -> list[tuple]:
    """Rows as text; timestamps are stored in UTC."""
    cols = ", ".join(f"CAST({c.strip()} AS VARCHAR)" for c in columns.split(","))
    with ws.reader() as con:
        return con.execute(f"SELECT {cols} FROM {name} ORDER BY {order}").fetchall()


def test_a_first_sync_lands_every_table(tmp_ws, serve):
    adapter = serve(FIRST)
    done = sync(tmp_ws)
    assert done.result.rejected == 0, (done.result.rejects_path or Path()).parent
    assert all(a == f"Bearer {TOKEN}" for a in adapter.auth)
    assert table(tmp_ws, "reps", "rep_id, name, email, team, manager_id, hired_on, left_on", "rep_id") == [
        (ANNA, "Anna de Vries", "anna@example.com", "Sales North", MIA, "2024-01-02", None),
        (BRAM, "Bram Jansen", "bram@example.com", "Field Sales", MIA, "2024-03-01", None),
        (MIA, "Mia Bakker", "mia@example.com", "Sales Management", None, "2023-06-01", None),
        (OLD, "Olaf Smit", "olaf@example.com", "Sales North", None, "2024-01-02", "2025-01-31"),
    ]
    assert table(tmp_ws, "stages", "stage, sequence, probability, kind, forecast_category", "sequence") == [
        ("Prospecting", "1", "10.0", "open", "pipeline"),
        ("Qualification", "2", "10.0", "open", "pipeline"),
        ("Proposal/Price Quote", "3", "75.0", "open", "best_case"),
        ("Negotiation/Review", "4", "90.0", "open", "commit"),
        ("Closed Won", "5", "100.0", "won", None),
        ("Closed Lost", "6", "0.0", "lost", "omitted"),
    ]
    assert table(tmp_ws, "opportunities",
                 "opportunity_id, lead_id, customer_id, owner_id, created_at, closed_at, status, stage, amount, "
                 "currency, probability, expected_close_on, forecast_category, source, deal_type",
                 "opportunity_id") == [
        (O1, L1, ACME, ANNA, "2025-02-10 10:00:00", "2025-03-10 22:59:59", "won", "Closed Won", "12000.0", "EUR",
         "100.0", None, None, "Web", "new_business"),
        (O2, None, None, BRAM, "2025-03-03 13:00:00", "2025-03-20 22:59:59", "lost", "Closed Lost", "8000.0", "EUR",
         "0.0", None, "omitted", "Partner", "new_business"),
        (O3, None, None, ANNA, "2025-03-15 09:00:00", None, "open", "Negotiation/Review", "5000.0", "EUR",
         "90.0", "2025-04-30", "commit", "Web", "upsell"),
        # created and won on the same day: the end of the close date, in Amsterdam
        (O4, None, ACME, BRAM, "2025-03-25 15:00:00", "2025-03-25 22:59:59", "won", "Closed Won", "3000.0", "EUR",
         "100.0", None, None, "Web", "upsell"),
        # a close date before the creation (migrated data) closes it when it was created
        (O5, None, None, BRAM, "2025-03-05 10:00:00", "2025-03-05 10:00:00", "lost", "Closed Lost", "2000.0", "EUR",
         "0.0", None, "omitted", None, None),
    ]
    assert table(tmp_ws, "stage_history", "opportunity_id, stage, entered_at", "opportunity_id, entered_at") == [
        (O1, "Prospecting", "2025-02-10 10:00:00"),  # the amount change on 12 Feb is no new stage
        (O1, "Proposal/Price Quote", "2025-02-20 09:00:00"),
        (O1, "Closed Won", "2025-03-10 14:00:00"),
        (O2, "Qualification", "2025-03-03 13:00:00"),
        (O2, "Closed Lost", "2025-03-20 10:00:00"),
        (O3, "Prospecting", "2025-03-15 09:00:00"),
        (O3, "Negotiation/Review", "2025-03-28 11:00:00"),
        (O4, "Closed Won", "2025-03-25 15:00:00"),
        (O5, "Closed Lost", "2025-03-05 10:00:00"),  # no history: generated on import
    ]
    assert table(tmp_ws, "leads", "lead_id, created_at, owner_id, source, region, industry, company_size, "
                 "qualified_at, converted_at, disqualified_at", "lead_id") == [
        (L1, "2025-02-03 09:00:00", ANNA, "Web", "Netherlands", "Manufacturing", "50-249",
         "2025-02-10 22:59:59", "2025-02-10 22:59:59", None),
        (L2, "2025-02-05 10:30:00", None, "Trade Show", "Netherlands", "Food", "1-9", None, None, None),  # a queue's
        (L3, "2025-02-06 11:00:00", BRAM, "Partner", "Germany", None, None, None, None, "2025-02-20 12:00:00"),
    ]
    assert table(tmp_ws, "activities", "activity_id, owner_id, type, lead_id, opportunity_id, customer_id, "
                 "due_at, done_at", "activity_id") == [
        ("00T1t00000Task1AAQ", ANNA, "call", L1, None, None, "2025-02-04 22:59:59", "2025-02-04 08:30:00"),
        ("00T1t00000Task2AAQ", ANNA, "email", None, O1, None, None, "2025-02-21 10:00:00"),
        ("00T1t00000Task3AAQ", ANNA, "other", None, O3, None, "2025-04-02 21:59:59", None),
        ("00U1t0000Event1AAQ", ANNA, "meeting", None, O1, None, "2025-02-25 13:00:00", "2025-02-25 13:00:00"),
        ("00U1t0000Event2AAQ", ANNA, "meeting", None, O3, None, "2025-04-03 09:00:00", None),  # still to come
        ("00U1t0000Event3AAQ", BRAM, "demo", L3, None, None, "2025-02-18 14:00:00", "2025-02-18 14:00:00"),
    ]
    assert table(tmp_ws, "customers", "customer_id, name, acquired_on, owner_id, region, industry, company_size, "
                 "source", "customer_id") == [
        (ACME, "Acme BV", "2025-03-10", ANNA, "Netherlands", "Manufacturing", "50-249", "Web"),
    ]
    assert markers(tmp_ws, "salesforce") == {
        "Task": "2025-03-28T11:05:00Z", "Event": "2025-03-28T11:10:00Z", "Opportunity": "2025-03-28T11:00:00Z",
        "Lead": "2025-02-20T12:00:00Z", "Account": "2025-03-10T14:00:00Z",
    }
    assert done.read["Opportunity"] == 5  # two pages
    assert not any("CurrencyIsoCode" in q and "FROM Opportunity" not in q for q in adapter.soql)


def test_a_second_run_without_changes_asks_from_the_markers_and_writes_nothing(tmp_ws, serve):
    serve(FIRST)
    sync(tmp_ws)
    counts = tmp_ws.counts()
    adapter = serve(UNCHANGED)
    again = sync(tmp_ws)
    assert again.result.written == 0 and tmp_ws.counts() == counts
    sent = "\n".join(adapter.soql)
    assert "FROM Opportunity WHERE SystemModstamp >= 2025-03-28T11:00:00Z ORDER BY SystemModstamp" in sent
    assert "FROM Task WHERE SystemModstamp >= 2025-03-28T11:05:00Z ORDER BY SystemModstamp" in sent
    assert "FROM Lead WHERE SystemModstamp >= 2025-02-20T12:00:00Z ORDER BY SystemModstamp" in sent
    assert ("FROM Event WHERE SystemModstamp >= 2025-03-28T11:10:00Z OR (StartDateTime >= 2025-03-28T11:10:00Z "
            "AND StartDateTime <= 2025-04-01T12:00:00Z)") in sent
    assert "WHERE OpportunityId IN (SELECT Id FROM Opportunity WHERE SystemModstamp >= 2025-03-28T11:00:00Z)" in sent
    assert "AND SystemModstamp >= 2025-03-10T14:00:00Z ORDER BY SystemModstamp" in sent  # accounts
    assert markers(tmp_ws, "salesforce")["Opportunity"] == "2025-03-28T11:00:00Z"


def test_a_changed_opportunity_is_updated_with_its_history_and_customer(tmp_ws, serve):
    serve(FIRST)
    sync(tmp_ws)
    serve(CHANGED)
    done = sync(tmp_ws)
    assert done.result.rejected == 0
    written = {t.table: t.written for t in done.result.tables}
    assert written == {"reps": 0, "stages": 0, "customers": 0, "opportunities": 1, "stage_history": 1}
    assert table(tmp_ws, "opportunities", "status, closed_at, amount, customer_id, expected_close_on",
                 "opportunity_id LIMIT 1 OFFSET 2") == [("won", "2025-04-02 21:59:59", "5500.0", ACME, None)]
    assert table(tmp_ws, "stage_history", "stage, entered_at", "entered_at") [-1] == ("Closed Won",
                                                                                      "2025-04-02 10:00:00")
    assert markers(tmp_ws, "salesforce")["Opportunity"] == "2025-04-02T10:00:00Z"
    assert markers(tmp_ws, "salesforce")["Task"] == "2025-03-28T11:05:00Z"  # nothing new: kept


def test_an_event_is_done_once_it_has_begun(tmp_ws, serve):
    serve(FIRST)
    sync(tmp_ws)
    serve({**UNCHANGED, "event": "event"})  # the begun event is asked again
    sync(tmp_ws, now=datetime(2025, 4, 3, 10, 0, tzinfo=UTC))
    assert table(tmp_ws, "activities", "done_at", "activity_id")[4] == ("2025-04-03 09:00:00",)


@pytest.mark.parametrize("fail", [
    {PAGE_2: requests.ConnectionError("connection reset by peer")},
    {"opportunity": 500},
])
def test_a_failure_halfway_writes_nothing_and_the_next_run_catches_up(tmp_ws, serve, fail):
    serve(FIRST)
    sync(tmp_ws)
    counts, before = tmp_ws.counts(), markers(tmp_ws, "salesforce")
    serve({**CHANGED, "opportunity": "opportunity"}, fail=fail)
    with pytest.raises(SyncError, match="connection reset|500"):
        sync(tmp_ws)
    assert tmp_ws.counts() == counts and markers(tmp_ws, "salesforce") == before
    assert sync_log(tmp_ws, "salesforce")[0]["status"] == "failed"
    serve(CHANGED)
    sync(tmp_ws)
    assert table(tmp_ws, "opportunities", "status", "opportunity_id")[2] == ("won",)


def test_a_first_run_that_fails_on_page_2_leaves_nothing(tmp_ws, serve):
    serve(FIRST, fail={PAGE_2: requests.ConnectionError("timed out")})
    with pytest.raises(SyncError):
        sync(tmp_ws)
    assert sum(tmp_ws.counts().values()) == 0 and markers(tmp_ws, "salesforce") == {}
    serve(FIRST)
    assert sync(tmp_ws).result.rejected == 0
    assert tmp_ws.counts()["opportunities"] == 5


def test_fields_the_org_lacks_or_hides_are_not_asked(tmp_ws, serve):
    adapter = serve(FIRST, hide={"Opportunity": {"CurrencyIsoCode"}, "Task": {"CompletedDateTime"},
                                 "User": {"UserRoleId"}})
    assert sync(tmp_ws).result.rejected == 0
    opp_query = next(q for q in adapter.soql if q.startswith("SELECT Id, OwnerId, CreatedDate, CloseDate"))
    assert "CurrencyIsoCode" not in opp_query and "CampaignId" in opp_query
    assert not any("CompletedDateTime" in q or "UserRole.Name" in q for q in adapter.soql)
    # a closed task without its completion moment: done at its last edit
    assert table(tmp_ws, "activities", "done_at", "activity_id")[:2] == [("2025-02-04 08:30:00",),
                                                                        ("2025-02-21 10:00:00",)]
    assert table(tmp_ws, "reps", "team", "rep_id") == [("Sales",), ("Field Sales",), ("Sales",), ("Sales",)]


def test_a_required_field_the_user_cannot_see_stops_the_sync(tmp_ws, serve):
    serve(FIRST, hide={"Opportunity": {"StageName"}})
    with pytest.raises(SyncError, match="cannot read Opportunity.StageName"):
        sync(tmp_ws)
    assert sum(tmp_ws.counts().values()) == 0


def cli(*args, env=None):
    return CliRunner().invoke(app, ["sync", "salesforce", *args], env=env)


def test_on_the_command_line_with_a_kpi_after_it(tmp_ws, serve):
    serve(FIRST)
    res = cli("--instance-url", URL, "--workspace", tmp_ws.url)
    assert res.exit_code == 0, res.output
    assert TOKEN not in res.output
    kpi = CliRunner().invoke(app, ["kpi", "win_rate", "--period", "2025-03", "--format", "csv", "--workspace",
                                   tmp_ws.url, "--as-of", "2026-01-01T00:00:00+01:00"])
    rows = list(csv.DictReader(io.StringIO(kpi.output)))
    # won O1 and O4, lost O2 and O5 in March
    assert [(r["value"], r["numerator"], r["denominator"]) for r in rows] == [("0.5", "2", "4")]


def test_missing_credentials_exit_3_with_what_to_set(tmp_ws, monkeypatch, tmp_path):
    for name in ("ACCESS_TOKEN", "INSTANCE_URL", "USERNAME", "PASSWORD", "SECURITY_TOKEN"):
        monkeypatch.delenv(f"KOERS_SALESFORCE_{name}", raising=False)
    monkeypatch.setenv("KOERS_CONFIG", str(tmp_path / "none.toml"))
    res = cli("--workspace", tmp_ws.url)
    assert res.exit_code == 3
    assert "KOERS_SALESFORCE_ACCESS_TOKEN" in res.output and "nothing was written" in res.output
    monkeypatch.setenv("KOERS_SALESFORCE_ACCESS_TOKEN", TOKEN)
    res = cli("--workspace", tmp_ws.url)
    assert res.exit_code == 3 and "--instance-url" in res.output and TOKEN not in res.output
    res = cli("--workspace", tmp_ws.url, "--username", "anna@example.com", "--domain", "prod")
    assert res.exit_code == 2


def test_a_refused_token_is_reported_and_never_shown_or_stored(tmp_ws, serve):
    serve(FIRST, fail={"task": 401})
    res = cli("--instance-url", URL, "--workspace", tmp_ws.url)
    assert res.exit_code == 3
    assert "INVALID_SESSION_ID" in res.output and TOKEN not in res.output
    assert TOKEN not in json.dumps(sync_log(tmp_ws), default=str)


def test_a_password_login_on_a_sandbox(tmp_ws, serve, monkeypatch):
    monkeypatch.delenv("KOERS_SALESFORCE_ACCESS_TOKEN")
    monkeypatch.setenv("KOERS_SALESFORCE_PASSWORD", "pa55-w0rd")
    monkeypatch.setenv("KOERS_SALESFORCE_SECURITY_TOKEN", "SecTok123")
    adapter = serve(FIRST)
    res = cli("--username", "anna@example.com", "--domain", "test", "--workspace", tmp_ws.url)
    assert res.exit_code == 0, res.output
    (url, body), = adapter.logins
    assert url == "https://test.salesforce.com/services/Soap/u/59.0"
    assert "<n1:username>anna@example.com</n1:username>" in body and "pa55-w0rdSecTok123" in body
    assert adapter.auth[-1] == "Bearer 00D1t000000Koers!SessionFromLogin"
    assert "pa55-w0rd" not in res.output and "SecTok123" not in res.output
    adapter = serve(FIRST, fail={"INVALID_LOGIN": True})
    res = cli("--username", "anna@example.com", "--workspace", tmp_ws.url)
    assert res.exit_code == 3 and "INVALID_LOGIN" in res.output
    assert adapter.logins[0][0] == "https://login.salesforce.com/services/Soap/u/59.0"
    assert "pa55-w0rd" not in res.output + json.dumps(sync_log(tmp_ws), default=str)
