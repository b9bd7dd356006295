"""`koers sync hubspot`: deals, pipelines, owners, companies, calls, emails,
meetings and tasks from HubSpot's CRM API v3 (docs/sync-hubspot.md).

Objects are read through the search API sorted by hs_lastmodifieddate, from
the marker on (everything on the first run); associations (deal -> company,
activity -> deal and company) through the v4 batch association API, as the
search API returns none. Owners and pipelines are few and read whole.
The search API stops at 10,000 results per query: a longer read starts a new
query from the last modification date it reached.

A company is a customer from its first won deal (the deal's primary
company), or from the day its lifecycle stage became customer
(hs_lifecyclestage_customer_date) when that is earlier or it has no won deal
in HubSpot: acquired_on is the earlier of the two, as a day in the workspace
time zone. A later run reads, for every company its changed deals,
activities or own record name, the company and its deals, so that a deal won
today makes its company a customer even when the company did not change,
and acquired_on stays the first day whatever was won since.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from koers.connectors import hubspot_rows as rows
from koers.connectors.rest import Rest
from koers.connectors.runner import Batch, SyncError
from koers.connectors.secrets import secret

API = "https://api.hubapi.com"
PAGE = 200  # the search API's largest page
SEARCH_CAP = 10_000  # the search API returns no result past this offset
BATCH = 1000  # ids per batch association read
READ_BATCH = 100  # ids per batch object read
MODIFIED = "hs_lastmodifieddate"
ACTIVITIES = ("calls", "emails", "meetings", "tasks")


def register(sync_app: typer.Typer, run) -> None:
    from koers.cli import WorkspaceOpt, open_workspace

    @sync_app.command("hubspot")
    def hubspot_cmd(
        workspace: WorkspaceOpt = None,
        base_url: Annotated[str | None, typer.Option(hidden=True, envvar="KOERS_HUBSPOT_BASE_URL")] = None,
    ) -> None:
        """Deals, pipelines, owners, companies and activities from HubSpot (changes since the last run).
        Private app token from KOERS_HUBSPOT_TOKEN or the credentials file. See docs/sync-hubspot.md."""
        tz = open_workspace(workspace).settings().tz
        run(workspace, "hubspot", lambda say: pull_for(base_url or API, say, tz))


def pull_for(base_url: str, say: Callable[[str], None] = lambda _: None,
             tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")) -> Callable[[dict[str, str]], Batch]:
    """tz: the workspace time zone, in which a customer's first day is taken."""
    def pull(markers: dict[str, str]) -> Batch:
        token = secret("KOERS_HUBSPOT_TOKEN", "hubspot", "token")
        api = Rest("HubSpot", base_url, token, headers={"Authorization": f"Bearer {token}"})
        return Reader(api, say, tz).read(markers)

    return pull


class Reader:
    def __init__(self, api: Rest, say: Callable[[str], None], tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")):
        self.api, self.say, self.tz = api, say, tz

    def listed(self, path: str, params: dict, what: str) -> Iterator[dict]:
        """A GET list endpoint, page by page (`paging.next.after`)."""
        after, n = None, 0
        while True:
            data = self.api.call("GET", path, {**params, **({"after": after} if after else {})})
            results = _results(data, path)
            n += len(results)
            self.say(f"read {n} {what}")
            yield from results
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def search(self, kind: str, properties: list[str], since: str | None) -> list[dict]:
        """Every `kind` record modified at or after `since` (all when None),
        oldest change first."""
        path = f"/crm/v3/objects/{kind}/search"
        found: dict[str, dict] = {}
        after = None
        while True:
            body = {
                "filterGroups": [{"filters": [
                    {"propertyName": MODIFIED, "operator": "GTE", "value": str(_millis(since))}]}] if since else [],
                "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                "properties": sorted({*properties, MODIFIED}),
                "limit": PAGE,
                **({"after": after} if after else {}),
            }
            data = self.api.call("POST", path, body=body)
            for r in _results(data, path):
                found[str(r["id"])] = r
            self.say(f"read {len(found)} {kind}")
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return list(found.values())
            if int(after) >= SEARCH_CAP:  # start a new query from the last change reached
                last = max(_modified(r) for r in found.values())
                if since is not None and _millis(last) <= _millis(since):
                    raise SyncError(f"more than {SEARCH_CAP} HubSpot {kind} changed at the same moment "
                                    f"({last}); the search API cannot page past them")
                since, after = last, None

    def associations(self, kind: str, to: str, ids: list[str]) -> dict[str, list[str]]:
        """id -> the ids of its `to` records, the primary one first."""
        found: dict[str, list[str]] = {}
        for i in range(0, len(ids), BATCH):
            path = f"/crm/v4/associations/{kind}/{to}/batch/read"
            data = self.api.call("POST", path, body={"inputs": [{"id": x} for x in ids[i:i + BATCH]]})
            for r in _results(data, path):
                linked = sorted(r.get("to") or [], key=lambda t: not any(
                    (a.get("label") or "").lower() == "primary" for a in t.get("associationTypes") or []))
                found[str((r.get("from") or {}).get("id"))] = [str(t["toObjectId"]) for t in linked]
        return found

    def batch_read(self, kind: str, ids: list[str], properties: list[str]) -> list[dict]:
        """The `kind` records with these ids (those HubSpot still has)."""
        found: list[dict] = []
        for i in range(0, len(ids), READ_BATCH):
            path = f"/crm/v3/objects/{kind}/batch/read"
            data = self.api.call("POST", path, body={
                "properties": sorted({*properties, MODIFIED}), "inputs": [{"id": x} for x in ids[i:i + READ_BATCH]]})
            found += [r for r in _results(data, path) if not r.get("archived")]
            self.say(f"read {len(found)} {kind} by id")
        return found

    def customers(self, markers: dict[str, str], companies: dict[str, dict], deals: list[dict],
                  company_of: dict[str, list[str]], named: set[str],
                  stages: dict[str, dict]) -> tuple[dict[str, datetime], dict[str, dict]]:
        """(company -> the moment it became a customer, for the companies that
        are customers; company -> its record).

        The first run read every company and deal: they say it all. A later
        run read only changed ones, so for every company in `named` (those the
        changed deals, activities and companies name) it reads the company
        when its record was not read, and its deals, to find its first win."""
        first: dict[str, datetime] = {}

        def won(d: dict, primary: list[str]) -> None:
            moment = rows.won_at(d, stages)
            if primary and moment and (primary[0] not in first or moment < first[primary[0]]):
                first[primary[0]] = moment

        for d in deals:
            won(d, company_of.get(str(d["id"]), []))
        records = dict(companies)
        if "deals" in markers:
            wanted = sorted(named - set(records), key=_order)
        else:  # a won deal's company the company search did not give
            wanted = sorted(set(first) - set(records), key=_order)
        if wanted:
            records.update({str(c["id"]): c for c in self.batch_read("companies", wanted, rows.COMPANY_PROPERTIES)})
        if "deals" in markers and named:
            read = {str(d["id"]) for d in deals}
            linked = self.associations("companies", "deals", sorted(named, key=_order))
            others = sorted({i for ids in linked.values() for i in ids} - read, key=_order)
            found = [d for d in self.batch_read("deals", others, rows.WON_PROPERTIES) if rows.won_at(d, stages)]
            primary = self.associations("deals", "companies", [str(d["id"]) for d in found]) if found else {}
            for d in found:
                if (primary.get(str(d["id"])) or [None])[0] in named:
                    won(d, primary[str(d["id"])])
        for cid, c in records.items():
            since = rows.customer_since(c)
            if since and (cid not in first or since < first[cid]):
                first[cid] = since
        return first, records

    def read(self, markers: dict[str, str]) -> Batch:
        batch = Batch()
        owners = list(self.listed("/crm/v3/owners", {"limit": 100, "archived": "false"}, "owners"))
        owners += list(self.listed("/crm/v3/owners", {"limit": 100, "archived": "true"}, "archived owners"))
        pipelines = list(self.listed("/crm/v3/pipelines/deals", {}, "pipelines"))
        stages = rows.stages(pipelines)
        records = {
            "companies": self.search("companies", rows.COMPANY_PROPERTIES, markers.get("companies")),
            "deals": self.search("deals", rows.DEAL_PROPERTIES + rows.entered_properties(stages),
                                 markers.get("deals")),
            **{k: self.search(k, rows.ACTIVITY_PROPERTIES[k], markers.get(k)) for k in ACTIVITIES},
        }
        batch.read.update(owners=len(owners), stages=len(stages))
        for model, found in records.items():
            batch.read[model] = len(found)
            marker = max([_modified(r) for r in found] + ([markers[model]] if model in markers else []),
                         key=_millis, default=None)
            if marker:
                batch.markers[model] = marker

        for o in owners:
            batch.add("reps", rows.rep(o), o)
        for s in stages.values():
            batch.add("stages", s["row"], s["raw"])
        deals = [d for d in records["deals"] if not d.get("archived")]
        companies = self.associations("deals", "companies", [str(d["id"]) for d in deals]) if deals else {}
        activities = []  # (kind, record, its deals, its companies)
        for kind in ACTIVITIES:
            found = [a for a in records[kind] if not a.get("archived") and rows.is_activity(kind, a)]
            if not found:
                continue
            ids = [str(a["id"]) for a in found]
            to_deals = self.associations(kind, "deals", ids)
            to_companies = self.associations(kind, "companies", ids)
            activities += [(kind, a, to_deals.get(str(a["id"]), []), to_companies.get(str(a["id"]), []))
                           for a in found]
        changed = {str(c["id"]): c for c in records["companies"] if not c.get("archived")}
        named = set(changed) | {ids[0] for ids in companies.values() if ids} | {a[3][0] for a in activities if a[3]}
        first, company_records = self.customers(markers, changed, deals, companies, named, stages)

        for cid in sorted(first, key=_order):
            c = company_records.get(cid) or {"id": cid}
            batch.add("customers", rows.customer(c, rows.local_day(first[cid], self.tz)), c)
        for d in deals:
            row = rows.opportunity(d, stages, companies.get(str(d["id"]), []))
            cid, created = row["customer_id"], rows.moment(row["created_at"])
            # the company for a won deal, and for one created once it was a customer (upsell, renewal)
            upsell = cid in first and created is not None and first[cid] < created
            if not (cid in first and row["status"] == "won") and not upsell:
                row["customer_id"] = None
            batch.add("opportunities", row, d)
            for h in rows.history(d, stages):
                batch.add("stage_history", h, d)
        for kind, a, to_deals, to_companies in activities:
            row = rows.activity(kind, a, to_deals, to_companies)
            if row["customer_id"] not in first:  # a prospect's activity names no customer
                row["customer_id"] = None
            batch.add("activities", row, a)
        return batch


def _results(data, path: str) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise SyncError(f"HubSpot answered {path} with something unexpected")
    return data.get("results") or []


def _order(record_id: str) -> tuple[int, str]:
    return (len(record_id), record_id)


def _modified(record: dict) -> str:
    return (record.get("properties") or {}).get(MODIFIED) or record.get("updatedAt") or ""


def _millis(iso: str) -> int:
    """HubSpot's datetime filter value: milliseconds since the epoch."""
    if not iso:
        return 0
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
