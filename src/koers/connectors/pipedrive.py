"""`koers sync pipedrive`: deals, stages, activities, users and organizations
from Pipedrive's REST API v1 (docs/sync-pipedrive.md).

The first run reads every record through the list endpoints; later runs read
deals, activities and organizations changed since the marker (the highest
update_time seen) through /recents, and users, pipelines and stages whole
(they are few). Pipedrive writes its timestamps in UTC without an offset;
they are passed on with +00:00.

An organization is a customer from its first won deal (acquired_on: the
day of that deal's won_time in the workspace time zone), as the other syncs
do; an organization without a won deal is a prospect and no customer. A
later run reads, for every organization its changed deals, activities or
own record name, the organization and its won deals, so that a deal won
today makes its organization a customer even when the organization did not
change, and acquired_on stays the first win's day whatever was won since.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from koers.connectors.rest import Rest
from koers.connectors.runner import Batch, SyncError
from koers.connectors.secrets import secret

PAGE = 500  # Pipedrive's largest page
ACTIVITY_TYPES = {"call", "email", "meeting", "demo", "voicemail", "linkedin", "intake", "quote"}
# Pipedrive's own activity types that are one of ours under another name
ACTIVITY_ALIASES = {"lunch": "meeting"}
INCREMENTAL = {"deals": "deal", "activities": "activity", "organizations": "organization"}


def register(sync_app: typer.Typer, run) -> None:
    from koers.cli import WorkspaceOpt, open_workspace, usage_error

    @sync_app.command("pipedrive")
    def pipedrive_cmd(
        company_domain: Annotated[str | None, typer.Option(
            help="your Pipedrive address without .pipedrive.com: acme for https://acme.pipedrive.com",
            envvar="KOERS_PIPEDRIVE_COMPANY_DOMAIN")] = None,
        workspace: WorkspaceOpt = None,
        base_url: Annotated[str | None, typer.Option(hidden=True, envvar="KOERS_PIPEDRIVE_BASE_URL")] = None,
    ) -> None:
        """Deals, stages, activities, users and organizations from Pipedrive (changes since the last run).
        API token from KOERS_PIPEDRIVE_API_TOKEN or the credentials file. See docs/sync-pipedrive.md."""
        if not base_url:
            if not company_domain:
                usage_error("--company-domain is required (acme for https://acme.pipedrive.com)")
            domain = company_domain.strip().removeprefix("https://").split(".pipedrive.com")[0]
            base_url = f"https://{domain}.pipedrive.com/api/v1"
        tz = open_workspace(workspace).settings().tz
        run(workspace, "pipedrive", lambda say: pull_for(base_url, say, tz))


def pull_for(base_url: str, say: Callable[[str], None] = lambda _: None,
             tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")) -> Callable[[dict[str, str]], Batch]:
    """tz: the workspace time zone, in which a first win's day is taken."""
    def pull(markers: dict[str, str]) -> Batch:
        token = secret("KOERS_PIPEDRIVE_API_TOKEN", "pipedrive", "api_token")
        return Reader(Rest("Pipedrive", base_url, token, params={"api_token": token}), say, tz).read(markers)

    return pull


class Reader:
    def __init__(self, api: Rest, say: Callable[[str], None], tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")):
        self.api, self.say, self.tz = api, say, tz

    def pages(self, path: str, params: dict, what: str) -> Iterator[dict]:
        start, n = 0, 0
        while True:
            data = self.api.call("GET", path, {**params, "start": start, "limit": PAGE})
            if not isinstance(data, dict) or data.get("success") is False:
                error = data.get("error") if isinstance(data, dict) else None
                raise SyncError(f"Pipedrive refused {path}: {error or 'unexpected answer'}")
            items = data.get("data") or []
            n += len(items)
            self.say(f"read {n} {what}")
            yield from items
            pagination = (data.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection") or pagination.get("next_start") is None:
                return
            start = pagination["next_start"]

    def organization(self, org_id: str) -> dict | None:
        """One organization by id; None when Pipedrive no longer has it."""
        data = self.api.call("GET", f"/organizations/{org_id}", missing=(404, 410))
        if data is None:
            return None
        if not isinstance(data, dict) or data.get("success") is False:
            error = data.get("error") if isinstance(data, dict) else None
            raise SyncError(f"Pipedrive refused /organizations/{org_id}: {error or 'unexpected answer'}")
        found = data.get("data")
        return found if isinstance(found, dict) else None

    def won_deals(self, org_id: str) -> list[dict]:
        """The won deals of an organization (its own deals, not those of its persons)."""
        return [d for d in self.pages(f"/organizations/{org_id}/deals",
                                      {"status": "won", "only_primary_association": 1},
                                      f"won deals of organization {org_id}")
                if ref(d.get("org_id")) == org_id]

    def customers(self, markers: dict[str, str], orgs: dict[str, dict], deals: list[dict],
                  activities: list[dict]) -> tuple[dict[str, datetime], dict[str, dict]]:
        """(organization -> the moment of its first won deal, for the
        organizations that are customers; organization -> its record).

        The first run read every deal: the won ones say it all. A later run
        read only changed deals, so for every organization named by a changed
        deal, activity or organization it reads that organization's won deals
        (skipped when its record counts no won deal and none was read now)
        and the organization itself when its record was not read."""
        first: dict[str, datetime] = {}

        def won(d: dict) -> None:
            oid, moment = ref(d.get("org_id")), won_at(d)
            if oid and moment and (oid not in first or moment < first[oid]):
                first[oid] = moment

        for d in deals:
            won(d)
        records = dict(orgs)
        if "deals" in markers:
            named = {ref(d.get("org_id")) for d in deals} | {ref(a.get("org_id")) for a in activities} | set(orgs)
            for oid in sorted(named - {None}, key=_order):
                if oid not in records:
                    found = self.organization(oid)
                    if found is None:
                        continue
                    records[oid] = found
                if records[oid].get("won_deals_count") == 0 and oid not in first:
                    continue  # a prospect
                for d in self.won_deals(oid):
                    won(d)
        else:  # a won deal of an organization the list did not give (deleted, hidden)
            for oid in sorted(set(first) - set(records), key=_order):
                found = self.organization(oid)
                if found is not None:
                    records[oid] = found
        return first, records

    def changed(self, model: str, markers: dict[str, str]) -> list[dict]:
        """Every record of `model`, or those changed since its marker."""
        since = markers.get(model)
        if since is None:
            params = {"user_id": 0} if model == "activities" else {}
            return list(self.pages(f"/{model}", params, model))
        item = INCREMENTAL[model]
        # a second early: a record changed in the marker's second after the
        # last run read it is read again, whether /recents counts from or after
        since = (datetime.fromisoformat(since) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
        return [r["data"] for r in self.pages("/recents", {"since_timestamp": since, "items": item}, model)
                if r.get("item") == item and isinstance(r.get("data"), dict)]

    def read(self, markers: dict[str, str]) -> Batch:
        batch = Batch()
        users = list(self.pages("/users", {}, "users"))
        pipelines = list(self.pages("/pipelines", {}, "pipelines"))
        stages = list(self.pages("/stages", {}, "stages"))
        records = {model: self.changed(model, markers) for model in INCREMENTAL}
        for model, rows in records.items():
            batch.read[model] = len(rows)
            seen = [r["update_time"] for r in rows if r.get("update_time")]
            marker = max(seen + ([markers[model]] if model in markers else []), default=None)
            if marker:
                batch.markers[model] = marker
        batch.read.update(users=len(users), stages=len(stages))

        for u in users:
            batch.add("reps", rep(u), u)
        names = stage_names(stages, pipelines)
        for s in stages:
            batch.add("stages", stage(s, names), s)
        deals = [d for d in records["deals"] if d.get("status") != "deleted" and not d.get("deleted")]
        activities = [a for a in records["activities"] if a.get("active_flag", True) is not False]
        orgs = {str(o["id"]): o for o in records["organizations"]}
        first, org_records = self.customers(markers, orgs, deals, activities)
        for oid in sorted(first, key=_order):
            # an organization Pipedrive no longer gives: what its deals say of it
            o = org_records.get(oid) or next(
                ({**d["org_id"], "id": oid} for d in deals if ref(d.get("org_id")) == oid and isinstance(
                    d.get("org_id"), dict)), {"id": oid})
            batch.add("customers", customer(o, local_day(first[oid], self.tz)), o)
        for d in deals:
            row = opportunity(d, names)
            oid, created = row["customer_id"], _utc(d.get("add_time"))
            # the organization for a won deal, and for one created once it was a customer (an upsell)
            upsell = oid in first and created is not None and first[oid] < created
            if not (oid in first and row["status"] == "won") and not upsell:
                row["customer_id"] = None
            batch.add("opportunities", row, d)
        # a deal that never changed stage is in its stage since add_time, the
        # history Koers generates; the others' moves come from their flow
        moved = [d for d in deals if d.get("stage_change_time")]
        for d in moved:
            flow = list(self.pages(f"/deals/{d['id']}/flow", {"items": "dealChange"}, f"changes of deal {d['id']}"))
            for row in stage_history(d, flow, names):
                batch.add("stage_history", row)
        if moved:
            batch.read["deal flows"] = len(moved)
        for a in activities:
            row = activity(a)
            if row["customer_id"] not in first:  # a prospect's activity names no customer
                row["customer_id"] = None
            batch.add("activities", row, a)
        return batch


# -- field mapping ------------------------------------------------------------
def ref(value) -> str | None:
    """An id as Pipedrive writes it: a number, or an object with value/id."""
    if isinstance(value, dict):
        value = value.get("value", value.get("id"))
    return None if value in (None, "", 0) else str(value)


def ts(value) -> str | None:
    """'2025-03-10 14:00:00' (UTC) -> '2025-03-10T14:00:00+00:00'."""
    if not value:
        return None
    return str(value).strip().replace(" ", "T") + "+00:00"


def day(value) -> str | None:
    return str(value)[:10] if value else None


def num(value) -> str | None:
    return None if value is None or value == "" else str(value)


def stage_names(stages: list[dict], pipelines: list[dict]) -> dict[int, str]:
    """Stage id -> canonical stage name. A name used in more than one pipeline
    keeps it in the first pipeline (Pipedrive's pipeline order) and is
    'Name (Pipeline)' in the others."""
    order = {p["id"]: (p.get("order_nr") or 0, p["id"]) for p in pipelines}
    title = {p["id"]: p.get("name") or f"pipeline {p['id']}" for p in pipelines}
    first: dict[str, int] = {}
    for s in sorted(stages, key=lambda s: (order.get(s.get("pipeline_id"), (1 << 30, 0)), s.get("order_nr") or 0)):
        first.setdefault(s["name"], s.get("pipeline_id"))
    names = {}
    for s in stages:
        pid = s.get("pipeline_id")
        names[s["id"]] = s["name"] if first[s["name"]] == pid else \
            f"{s['name']} ({s.get('pipeline_name') or title.get(pid) or pid})"
    return names


def stage_history(d: dict, flow: list[dict], names: dict[int, str]) -> list[dict]:
    """The stages a deal entered: the one it was added in, at add_time, then
    every stage_id change of its flow at its log_time."""
    changes = sorted(
        (c["data"].get("log_time") or c.get("timestamp"), c["data"].get("old_value"), c["data"].get("new_value"))
        for c in flow
        if c.get("object") == "dealChange" and (c.get("data") or {}).get("field_key") == "stage_id"
    )
    if not changes:
        return []
    entered = [(changes[0][1], d.get("add_time"))] + [(new, when) for when, _, new in changes]
    rows = []
    for stage_id, when in entered:
        name = names.get(_int(stage_id))
        if name and when:
            rows.append({"opportunity_id": str(d["id"]), "stage": name, "entered_at": ts(when)})
    return rows


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rep(u: dict) -> dict:
    return {
        "rep_id": str(u["id"]),
        "name": u.get("name"),
        "email": u.get("email"),
        "hired_on": day(u.get("created")),
        # a deactivated user left; Pipedrive keeps no date for it but the last change
        "left_on": day(u.get("modified")) if u.get("active_flag") is False else None,
    }


def stage(s: dict, names: dict[int, str]) -> dict:
    return {
        "stage": names[s["id"]],
        "sequence": num(s.get("order_nr")),
        "probability": num(s.get("deal_probability")),
        "kind": "open",  # won and lost are a deal's status in Pipedrive, never a stage
    }


def _utc(value) -> datetime | None:
    """Pipedrive's '2025-03-10 14:00:00' (UTC) as a moment."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).strip().replace(" ", "T")).replace(tzinfo=UTC)
    except ValueError:
        return None


def won_at(d: dict) -> datetime | None:
    """When a won deal was won (won_time, else close_time); None for any other deal."""
    if d.get("status") != "won" or d.get("deleted"):
        return None
    return _utc(d.get("won_time") or d.get("close_time"))


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _order(org_id: str) -> tuple[int, str]:
    return (len(org_id), org_id)


def customer(o: dict, acquired_on: str) -> dict:
    """An organization with a won deal; acquired_on = its first win's local day."""
    return {
        "customer_id": str(o["id"]),
        "name": o.get("name"),
        "acquired_on": acquired_on,
        "owner_id": ref(o.get("owner_id")),
        "region": o.get("address_country") or None,
    }


def opportunity(d: dict, names: dict[int, str]) -> dict:
    status = d.get("status") if d.get("status") in ("open", "won", "lost") else "open"
    closed = {"won": d.get("won_time"), "lost": d.get("lost_time")}.get(status)
    if status != "open" and not closed:
        closed = d.get("close_time")
    return {
        "opportunity_id": str(d["id"]),
        "customer_id": ref(d.get("org_id")),
        "owner_id": ref(d.get("user_id")),
        "created_at": ts(d.get("add_time")),
        "closed_at": ts(closed) if status != "open" else None,
        "status": status,
        "stage": names.get(d.get("stage_id")),
        "amount": num(d.get("value")),
        "currency": d.get("currency") or None,
        "probability": num(d.get("probability")),
        "expected_close_on": day(d.get("expected_close_date")),
        "lost_reason": (d.get("lost_reason") or None) if status == "lost" else None,
    }


def activity(a: dict) -> dict:
    kind = str(a.get("type") or "").lower()
    kind = kind if kind in ACTIVITY_TYPES else ACTIVITY_ALIASES.get(kind, "other")
    due = None
    if a.get("due_date"):
        # with a time, both are UTC; without one it is a day-long task: its
        # start in the workspace's time zone
        t = str(a.get("due_time") or "")
        due = f"{a['due_date']}T{t}{':00' if len(t) == 5 else ''}+00:00" if t else f"{a['due_date']}T00:00:00"
    done = None
    if a.get("done"):
        done = ts(a.get("marked_as_done_time") or a.get("update_time"))
    return {
        "activity_id": str(a["id"]),
        "owner_id": ref(a.get("user_id")),
        "type": kind,
        "opportunity_id": ref(a.get("deal_id")),
        "customer_id": ref(a.get("org_id")),
        "due_at": due,
        "done_at": done,
    }
