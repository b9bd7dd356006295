"""`koers sync hubspot`: deals, pipelines, owners, companies, calls, emails,
meetings and tasks from HubSpot's CRM API v3 (docs/sync-hubspot.md).

Objects are read through the search API sorted by hs_lastmodifieddate, from
the marker on (everything on the first run); associations (deal -> company,
activity -> deal and company) through the v4 batch association API, as the
search API returns none. Owners and pipelines are few and read whole.
The search API stops at 10,000 results per query: a longer read starts a new
query from the last modification date it reached.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

import typer

from koers.connectors import hubspot_rows as rows
from koers.connectors.rest import Rest
from koers.connectors.runner import Batch, SyncError
from koers.connectors.secrets import secret

API = "https://api.hubapi.com"
PAGE = 200  # the search API's largest page
SEARCH_CAP = 10_000  # the search API returns no result past this offset
BATCH = 1000  # ids per batch association read
MODIFIED = "hs_lastmodifieddate"
ACTIVITIES = ("calls", "emails", "meetings", "tasks")


def register(sync_app: typer.Typer, run) -> None:
    from koers.cli import WorkspaceOpt

    @sync_app.command("hubspot")
    def hubspot_cmd(
        workspace: WorkspaceOpt = None,
        base_url: Annotated[str | None, typer.Option(hidden=True, envvar="KOERS_HUBSPOT_BASE_URL")] = None,
    ) -> None:
        """Deals, pipelines, owners, companies and activities from HubSpot (changes since the last run).
        Private app token from KOERS_HUBSPOT_TOKEN or the credentials file. See docs/sync-hubspot.md."""
        run(workspace, "hubspot", lambda say: pull_for(base_url or API, say))


def pull_for(base_url: str, say: Callable[[str], None] = lambda _: None) -> Callable[[dict[str, str]], Batch]:
    def pull(markers: dict[str, str]) -> Batch:
        token = secret("KOERS_HUBSPOT_TOKEN", "hubspot", "token")
        api = Rest("HubSpot", base_url, token, headers={"Authorization": f"Bearer {token}"})
        return Reader(api, say).read(markers)

    return pull


class Reader:
    def __init__(self, api: Rest, say: Callable[[str], None]):
        self.api, self.say = api, say

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
        for c in records["companies"]:
            batch.add("customers", rows.customer(c), c)
        deals = [d for d in records["deals"] if not d.get("archived")]
        companies = self.associations("deals", "companies", [str(d["id"]) for d in deals]) if deals else {}
        for d in deals:
            batch.add("opportunities", rows.opportunity(d, stages, companies.get(str(d["id"]), [])), d)
            for h in rows.history(d, stages):
                batch.add("stage_history", h, d)
        for kind in ACTIVITIES:
            found = [a for a in records[kind] if not a.get("archived") and rows.is_activity(kind, a)]
            if not found:
                continue
            ids = [str(a["id"]) for a in found]
            to_deals = self.associations(kind, "deals", ids)
            to_companies = self.associations(kind, "companies", ids)
            for a in found:
                i = str(a["id"])
                batch.add("activities", rows.activity(kind, a, to_deals.get(i, []), to_companies.get(i, [])), a)
        return batch


def _results(data, path: str) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise SyncError(f"HubSpot answered {path} with something unexpected")
    return data.get("results") or []


def _modified(record: dict) -> str:
    return (record.get("properties") or {}).get(MODIFIED) or record.get("updatedAt") or ""


def _millis(iso: str) -> int:
    """HubSpot's datetime filter value: milliseconds since the epoch."""
    if not iso:
        return 0
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
