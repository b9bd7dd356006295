"""HubSpot records -> canonical rows (docs/sync-hubspot.md).

HubSpot writes datetimes as ISO 8601 in UTC (`2025-03-10T14:00:00.000Z`);
they pass as such. Property values are text; an unset one is null or ''.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

COMPANY_PROPERTIES = ["name", "createdate", "hubspot_owner_id", "country", "industry",
                      "hs_lifecyclestage_customer_date"]
DEAL_PROPERTIES = ["dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate", "createdate",
                   "hubspot_owner_id", "hs_is_closed", "hs_is_closed_won", "dealtype", "closed_lost_reason",
                   "hs_forecast_probability", "hs_manual_forecast_category"]
# what tells whether a deal is won, and when
WON_PROPERTIES = ["dealstage", "pipeline", "closedate", "createdate", "hs_is_closed", "hs_is_closed_won"]
ACTIVITY_PROPERTIES = {
    "calls": ["hs_timestamp", "hubspot_owner_id", "hs_call_status"],
    "emails": ["hs_timestamp", "hubspot_owner_id", "hs_email_status", "hs_email_direction"],
    "meetings": ["hs_timestamp", "hubspot_owner_id", "hs_meeting_start_time", "hs_meeting_outcome"],
    "tasks": ["hs_timestamp", "hubspot_owner_id", "hs_task_status", "hs_task_type", "hs_task_completion_date"],
}
DEAL_TYPES = {"newbusiness": "new_business", "existingbusiness": "upsell"}
FORECAST = {"OMIT": "omitted", "PIPELINE": "pipeline", "BEST_CASE": "best_case", "COMMIT": "commit"}
TASK_TYPES = {"CALL": "call", "EMAIL": "email", "LINKED_IN": "linkedin", "MEETING": "meeting"}
# a call in one of these states has not (yet) taken place
CALL_NOT_DONE = {"QUEUED", "CALLING_CRM_USER", "CONNECTING", "RINGING", "IN_PROGRESS", "CANCELED"}
EMAIL_NOT_DONE = {"SCHEDULED", "FAILED", "BOUNCED"}


def value(record: dict, name: str) -> str | None:
    v = (record.get("properties") or {}).get(name)
    return None if v is None or str(v).strip() == "" else str(v).strip()


def day(v: str | None) -> str | None:
    return v[:10] if v else None


def number(v: str | None) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def plain(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


def stages(pipelines: list[dict]) -> dict[str, dict]:
    """Stage id -> {'row': stage row, 'raw': HubSpot stage, 'kind': open|won|lost}.

    Every pipeline's stages; a label used in more than one pipeline keeps it
    in the first pipeline (HubSpot's display order) and is 'Label (Pipeline)'
    in the others."""
    ordered = sorted(pipelines, key=lambda p: (p.get("displayOrder") or 0, p.get("id") != "default", p["id"]))
    taken: dict[str, str] = {}
    out = {}
    for p in ordered:
        for s in sorted(p.get("stages") or [], key=lambda s: s.get("displayOrder") or 0):
            label = s.get("label") or s["id"]
            name = label if taken.setdefault(label, p["id"]) == p["id"] else f"{label} ({p.get('label') or p['id']})"
            meta = s.get("metadata") or {}
            probability = number(meta.get("probability"))
            closed = str(meta.get("isClosed")).lower() == "true"
            kind = "open" if not closed else ("won" if probability == 1.0 else "lost")
            out[str(s["id"])] = {
                "row": {
                    "stage": name,
                    "sequence": str((s.get("displayOrder") or 0) + 1),
                    "probability": plain(probability * 100) if probability is not None else None,
                    "kind": kind,
                },
                "raw": {"pipeline": p.get("label"), **s},
                "kind": kind,
            }
    return out


def entered_properties(stages: dict[str, dict]) -> list[str]:
    """The deal properties holding when a deal last entered each stage."""
    return [f"{prefix}{sid}" for sid in stages for prefix in ("hs_v2_date_entered_", "hs_date_entered_")]


def history(d: dict, stages: dict[str, dict]) -> list[dict]:
    """A row per stage the deal has a date of entering for (HubSpot keeps
    the last time it entered each stage)."""
    out = []
    for sid, stage in stages.items():
        when = value(d, f"hs_v2_date_entered_{sid}") or value(d, f"hs_date_entered_{sid}")
        if when:
            out.append({"opportunity_id": str(d["id"]), "stage": stage["row"]["stage"], "entered_at": when})
    return out


def rep(o: dict) -> dict:
    name = " ".join(x for x in (o.get("firstName"), o.get("lastName")) if x) or o.get("email") or str(o["id"])
    team = next((t.get("name") for t in o.get("teams") or [] if t.get("primary")), None)
    return {
        "rep_id": str(o["id"]),
        "name": name,
        "email": o.get("email"),
        "team": team,
        "hired_on": day(o.get("createdAt")),
        # an archived (deactivated) owner left; HubSpot keeps no date but its last change
        "left_on": day(o.get("updatedAt")) if o.get("archived") else None,
    }


def moment(v: str | None) -> datetime | None:
    """A HubSpot datetime (ISO 8601, or milliseconds since the epoch) as a moment."""
    if not v:
        return None
    try:
        if v.isdigit():
            return datetime.fromtimestamp(int(v) / 1000, UTC)
        found = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def local_day(m: datetime, tz: ZoneInfo) -> str:
    return m.astimezone(tz).date().isoformat()


def status(d: dict, stages: dict[str, dict]) -> str:
    """open | won | lost: the kind of the deal's stage, else HubSpot's closed flags."""
    stage = stages.get(value(d, "dealstage") or "")
    if stage is not None:
        return stage["kind"]
    if value(d, "hs_is_closed_won") == "true":
        return "won"
    return "lost" if value(d, "hs_is_closed") == "true" else "open"


def won_at(d: dict, stages: dict[str, dict]) -> datetime | None:
    """When a won deal was won (its closedate); None for any other deal."""
    return moment(value(d, "closedate")) if status(d, stages) == "won" else None


def customer_since(c: dict) -> datetime | None:
    """When HubSpot's lifecycle stage says the company became a customer."""
    return moment(value(c, "hs_lifecyclestage_customer_date"))


def customer(c: dict, acquired_on: str) -> dict:
    """A company that is a customer; acquired_on = its first day as one (local)."""
    return {
        "customer_id": str(c["id"]),
        "name": value(c, "name"),
        "acquired_on": acquired_on,
        "owner_id": value(c, "hubspot_owner_id"),
        "region": value(c, "country"),
        "industry": value(c, "industry"),
    }


def opportunity(d: dict, stages: dict[str, dict], companies: list[str]) -> dict:
    stage = stages.get(value(d, "dealstage") or "")
    status_ = status(d, stages)
    close = value(d, "closedate")
    probability = number(value(d, "hs_forecast_probability"))
    return {
        "opportunity_id": str(d["id"]),
        "customer_id": companies[0] if companies else None,
        "owner_id": value(d, "hubspot_owner_id"),
        "created_at": value(d, "createdate") or d.get("createdAt"),
        "closed_at": close if status_ != "open" else None,
        "status": status_,
        "stage": stage["row"]["stage"] if stage else None,
        "amount": value(d, "amount"),
        "currency": value(d, "deal_currency_code"),
        "probability": plain(probability * 100) if probability is not None else None,
        "expected_close_on": day(close) if status_ == "open" else None,
        "forecast_category": FORECAST.get(value(d, "hs_manual_forecast_category") or ""),
        "deal_type": DEAL_TYPES.get(value(d, "dealtype") or ""),
        "lost_reason": value(d, "closed_lost_reason") if status_ == "lost" else None,
    }


def is_activity(kind: str, a: dict) -> bool:
    """An email received is the prospect's doing, not the rep's: not an activity."""
    return not (kind == "emails" and value(a, "hs_email_direction") == "INCOMING_EMAIL")


def activity(kind: str, a: dict, deals: list[str], companies: list[str]) -> dict:
    when = value(a, "hs_timestamp")
    due = done = None
    if kind == "calls":
        kind_ = "call"
        done = when if (value(a, "hs_call_status") or "COMPLETED") not in CALL_NOT_DONE else None
    elif kind == "emails":
        kind_ = "email"
        done = when if (value(a, "hs_email_status") or "SENT") not in EMAIL_NOT_DONE else None
    elif kind == "meetings":
        kind_ = "meeting"
        due = value(a, "hs_meeting_start_time") or when
        done = due if value(a, "hs_meeting_outcome") == "COMPLETED" else None
    else:
        kind_ = TASK_TYPES.get(value(a, "hs_task_type") or "", "other")
        due = when
        if value(a, "hs_task_status") == "COMPLETED":
            done = value(a, "hs_task_completion_date") or value(a, "hs_lastmodifieddate")
    return {
        "activity_id": f"{kind}-{a['id']}",
        "owner_id": value(a, "hubspot_owner_id"),
        "type": kind_,
        "opportunity_id": deals[0] if deals else None,
        "customer_id": companies[0] if companies else None,
        "due_at": due,
        "done_at": done,
    }
