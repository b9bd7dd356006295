"""`koers sync salesforce`: the live sync from Salesforce's REST API (SOQL).

Reads reps (User), stages (OpportunityStage), opportunities, their stage
history, leads, activities (Task, Event) and customers (Account) into a Batch
for run_sync. Changed records are read per object from the highest
SystemModstamp the last good run saw; docs/sync-salesforce.md has the field
mapping and the choices made.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from koers.connectors import salesforce_rows as rows
from koers.connectors.runner import Batch, SyncError
from koers.connectors.secrets import config_path, secret

API_VERSION = "59.0"
TIMEOUT = 120  # seconds per request

# object -> (the fields a sync cannot do without, the fields read when the org has
# them and the user may see them); the describe of each object decides
FIELDS = {
    "Task": ("Id OwnerId SystemModstamp",
             "WhoId WhatId TaskSubtype Type ActivityDate Status IsClosed CompletedDateTime LastModifiedDate "
             "IsRecurrence"),
    "Event": ("Id OwnerId StartDateTime SystemModstamp", "WhoId WhatId Type EventSubtype IsRecurrence"),
    "Opportunity": ("Id OwnerId CreatedDate CloseDate IsClosed IsWon StageName SystemModstamp",
                    "AccountId Amount CurrencyIsoCode Probability ForecastCategoryName LeadSource Type CampaignId"),
    "Lead": ("Id CreatedDate IsConverted SystemModstamp",
             "OwnerId Status ConvertedDate ConvertedOpportunityId LeadSource Industry NumberOfEmployees Country "
             "LastModifiedDate"),
    "Account": ("Id SystemModstamp", "Name OwnerId Industry NumberOfEmployees AccountSource BillingCountry"),
    "OpportunityStage": ("MasterLabel SortOrder IsClosed IsWon", "DefaultProbability ForecastCategoryName"),
    "User": ("Id Name IsActive CreatedDate LastModifiedDate", "Email Department UserRole.Name ManagerId"),
}
FIRST_WIN = "(SELECT CloseDate FROM Opportunities WHERE IsWon = true ORDER BY CloseDate LIMIT 1)"


def new_session() -> requests.Session:
    """The HTTP session every request goes through (tests mount recorded answers on it)."""
    return requests.Session()


def _optional(env: str, key: str) -> str | None:
    """$env or `key` under [salesforce], or None when neither is set."""
    try:
        return secret(env, "salesforce", key)
    except SyncError as e:
        if str(e).startswith(f"no {key} "):
            return None
        raise


def connect(instance_url: str | None, domain: str, username: str | None) -> Salesforce:
    """A logged-in client: an access token with the instance URL, else username,
    password and security token. Secrets are never printed nor stored."""
    token = _optional("KOERS_SALESFORCE_ACCESS_TOKEN", "access_token")
    try:
        if token:
            url = instance_url or _optional("KOERS_SALESFORCE_INSTANCE_URL", "instance_url")
            if not url:
                raise SyncError("an access token needs the instance URL: --instance-url https://yourorg.my.salesforce.com"
                                " (or KOERS_SALESFORCE_INSTANCE_URL, or instance_url under [salesforce])")
            return Salesforce(instance_url=url, session_id=token, version=API_VERSION, session=new_session())
        user = username or _optional("KOERS_SALESFORCE_USERNAME", "username")
        if not user:
            raise SyncError(
                "no Salesforce credentials: set KOERS_SALESFORCE_ACCESS_TOKEN and --instance-url, or --username with "
                f"KOERS_SALESFORCE_PASSWORD and KOERS_SALESFORCE_SECURITY_TOKEN, or the [salesforce] section of "
                f"{config_path()} (chmod 600)")
        password = secret("KOERS_SALESFORCE_PASSWORD", "salesforce", "password")
        security_token = _optional("KOERS_SALESFORCE_SECURITY_TOKEN", "security_token") or ""
        return Salesforce(username=user, password=password, security_token=security_token, domain=domain,
                          version=API_VERSION, session=new_session())
    except SalesforceAuthenticationFailed as e:
        raise SyncError(f"Salesforce refused the login: {e}") from None
    except requests.RequestException as e:
        raise SyncError(f"cannot reach Salesforce: {type(e).__name__}") from None


def soql_time(value: str) -> str:
    """A SystemModstamp as a SOQL datetime literal in UTC, to the second."""
    return rows.parse_ts(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _failure(e: Exception) -> SyncError:
    if isinstance(e, SalesforceError):
        content = e.content
        if isinstance(content, list) and content and isinstance(content[0], dict):
            content = "; ".join(f"{c.get('errorCode')}: {c.get('message')}" for c in content)
        return SyncError(f"Salesforce answered {e.status} to {e.resource_name}: {content}")
    if isinstance(e, requests.RequestException):
        return SyncError(f"cannot read Salesforce: {type(e).__name__}: {e}")
    return SyncError(f"Salesforce sent an answer that is not a query result: {e}")


class Reader:
    """Runs SOQL, pages with nextRecordsUrl, counts what it read and the markers."""

    def __init__(self, sf: Salesforce, say: Callable[[str], None], batch: Batch):
        self.sf, self.say, self.batch = sf, say, batch

    def query(self, soql: str, name: str) -> list[dict]:
        records: list[dict] = []
        try:
            page = self.sf.query(soql, timeout=TIMEOUT)
            while True:
                records += page["records"]
                self.say(f"read {len(records)} {name}")
                if page.get("done", True):
                    break
                page = self.sf.query_more(page["nextRecordsUrl"], identifier_is_url=True, timeout=TIMEOUT)
        except (SalesforceError, requests.RequestException, ValueError, KeyError) as e:
            raise _failure(e) from None
        self.batch.read[name] = self.batch.read.get(name, 0) + len(records)
        return records

    def changed(self, obj: str, fields: str, since: str | None, where: str | None = None) -> list[dict]:
        """The records of `obj` modified at or after `since` (all on the first
        run), in SystemModstamp order; the highest one seen becomes the marker."""
        clause = where or (f"SystemModstamp >= {since}" if since else None)
        soql = f"SELECT {fields} FROM {obj}" + (f" WHERE {clause}" if clause else "") + " ORDER BY SystemModstamp"
        records = self.query(soql, obj)
        self.mark(obj, records)
        return records

    def mark(self, obj: str, records: list[dict]) -> None:
        stamps = [r["SystemModstamp"] for r in records if r.get("SystemModstamp")]
        if stamps:
            top = soql_time(max(stamps, key=rows.parse_ts))
            self.batch.markers[obj] = max(top, self.batch.markers.get(obj, top))

    def fields(self, obj: str) -> set[str]:
        """The fields of `obj` this user can see (its describe)."""
        try:
            described = self.sf.restful(f"sobjects/{obj}/describe", timeout=TIMEOUT)
        except (SalesforceError, requests.RequestException, ValueError) as e:
            raise _failure(e) from None
        return {f["name"] for f in (described or {}).get("fields", [])}

    def select(self, obj: str) -> list[str]:
        """FIELDS[obj] that `obj` has: a missing optional field is not asked
        (a query naming it would fail), a missing required one stops the sync."""
        present = self.fields(obj)
        required, optional = (names.split() for names in FIELDS[obj])

        def has(name: str) -> bool:  # UserRole.Name is readable when UserRoleId is
            return (name.split(".")[0] + "Id" if "." in name else name) in present

        missing = [f for f in required if not has(f)]
        if missing:
            raise SyncError(f"this Salesforce user cannot read {', '.join(f'{obj}.{f}' for f in missing)}: "
                            "give its profile read access to these fields")
        return required + [f for f in optional if has(f)]


def _raw(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "attributes"}


def read(sf: Salesforce, markers: dict[str, str], tz: ZoneInfo, now: datetime,
         say: Callable[[str], None] = lambda _: None) -> Batch:
    """Everything changed since `markers`, as canonical rows.

    Objects are read dependents first (activities, history, opportunities,
    leads, accounts, then stages and users): a record created while the sync
    reads is then either missed by its dependent (and read next run) or
    found by the later query of what it refers to, never referred to unread."""
    batch = Batch()
    r = Reader(sf, say, batch)
    since = {obj: soql_time(m) for obj, m in markers.items()}
    opp_since = since.get("Opportunity")
    changed_opps = "SELECT Id FROM Opportunity" + (f" WHERE SystemModstamp >= {opp_since}" if opp_since else "")
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    tasks = r.changed("Task", ", ".join(r.select("Task")), since.get("Task"))
    ev = since.get("Event")
    # an event is done once it has begun: events that began since the last run are read again
    events = r.changed(
        "Event", ", ".join(r.select("Event")), ev,
        where=f"SystemModstamp >= {ev} OR (StartDateTime >= {ev} AND StartDateTime <= {stamp})" if ev else None)
    # the whole history of every changed opportunity, so that collapsing repeated stages is stable
    history = r.query("SELECT OpportunityId, StageName, CreatedDate FROM OpportunityHistory"
                      + (f" WHERE OpportunityId IN ({changed_opps})" if opp_since else "")
                      + " ORDER BY OpportunityId, CreatedDate, Id", "OpportunityHistory")
    opps = r.changed("Opportunity", ", ".join(r.select("Opportunity")), opp_since)
    lead_fields = r.select("Lead")
    links = []
    if "ConvertedOpportunityId" in lead_fields:
        links = r.query(
            f"SELECT Id, ConvertedOpportunityId FROM Lead WHERE ConvertedOpportunityId IN ({changed_opps})",
            "Lead (converted)")
    leads = r.changed("Lead", ", ".join(lead_fields), since.get("Lead"))
    account_fields = ", ".join([*r.select("Account"), FIRST_WIN])
    customers_won = "Id IN (SELECT AccountId FROM Opportunity WHERE IsWon = true)"
    acc_since = since.get("Account")
    accounts = r.changed("Account", account_fields, acc_since,
                         where=customers_won + (f" AND SystemModstamp >= {acc_since}" if acc_since else ""))
    if opp_since:  # accounts that became customers, or won again, through a changed opportunity
        seen = {a["Id"] for a in accounts}
        accounts += [a for a in r.query(
            f"SELECT {account_fields} FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity "
            f"WHERE IsWon = true AND SystemModstamp >= {opp_since}) ORDER BY Id", "Account (won)")
            if a["Id"] not in seen]
    stages = r.query(f"SELECT {', '.join(r.select('OpportunityStage'))} FROM OpportunityStage ORDER BY SortOrder",
                     "OpportunityStage")
    users = r.query(f"SELECT {', '.join(r.select('User'))} FROM User WHERE UserType = 'Standard' ORDER BY Id", "User")

    reps = {u["Id"] for u in users}
    for u in users:
        batch.add("reps", rows.rep(u, reps, tz), _raw(u))
    for s in stages:
        batch.add("stages", rows.stage(s), _raw(s))
    for a in accounts:
        first = ((a.get("Opportunities") or {}).get("records") or [{}])[0].get("CloseDate")
        batch.add("customers", rows.customer(a, first, reps), _raw(a))
    for lead in leads:
        batch.add("leads", rows.lead(lead, reps, tz), _raw(lead))
    lead_of = {x["ConvertedOpportunityId"]: x["Id"] for x in links if x.get("ConvertedOpportunityId")}
    for o in opps:
        batch.add("opportunities", rows.opportunity(o, lead_of, tz), _raw(o))
    for h in rows.history(history):
        batch.add("stage_history", h)
    # the series record of a recurring task or event is no activity: its occurrences are
    for t in tasks:
        if not t.get("IsRecurrence"):
            batch.add("activities", rows.task(t, tz), _raw(t))
    for e in events:
        if not e.get("IsRecurrence"):
            batch.add("activities", rows.event(e, now), _raw(e))
    return batch


def make_pull(connect_: Callable[[], Salesforce], tz: ZoneInfo, say: Callable[[str], None],
              now: Callable[[], datetime] = lambda: datetime.now(UTC)):
    def pull(markers: dict[str, str]) -> Batch:
        sf = connect_()
        try:
            return read(sf, markers, tz, now(), say)
        except SyncError as e:  # an answer that echoes the session never shows it
            token = sf.session_id
            if token and token in str(e):
                raise SyncError(str(e).replace(token, "***")) from None
            raise

    return pull


def register(sync_app, run) -> None:
    import typer

    from koers.cli import WorkspaceOpt, check_choice, open_workspace

    @sync_app.command("salesforce")
    def salesforce_cmd(
        instance_url: Annotated[str | None, typer.Option(
            help="https://yourorg.my.salesforce.com, with an access token in KOERS_SALESFORCE_ACCESS_TOKEN")] = None,
        domain: Annotated[str, typer.Option(help="login | test (a sandbox), for a login with --username")] = "login",
        username: Annotated[str | None, typer.Option(
            help="log in as this user; password and security token from KOERS_SALESFORCE_PASSWORD and "
                 "KOERS_SALESFORCE_SECURITY_TOKEN")] = None,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Sync reps, stages, opportunities and their stage history, leads, activities and customers
        from Salesforce (changes since the last run). See docs/sync-salesforce.md."""
        check_choice("domain", domain, ("login", "test"))
        tz = open_workspace(workspace).settings().tz
        run(workspace, "salesforce",
            lambda say: make_pull(lambda: connect(instance_url, domain, username), tz, say))
