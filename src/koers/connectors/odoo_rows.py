"""Odoo records -> canonical rows (text in the canonical file formats).

Pure functions over the dicts XML-RPC returns: a many2one is [id, name] or
False, an empty field is False, datetimes are UTC 'YYYY-MM-DD HH:MM:SS'.
docs/sync.md lists every mapping and why."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOST_STAGE = "Lost"
# seconds between creation and conversion below which a record counts as
# created as an opportunity (Odoo stamps date_conversion on those too)
CONVERTED_AFTER = 60

ACTIVITY_WORDS = (  # first match wins; Odoo's default types and their Dutch names
    ("voicemail", "voicemail"), ("linkedin", "linkedin"), ("demo", "demo"), ("intake", "intake"),
    ("call", "call"), ("phone", "call"), ("bel", "call"), ("telefo", "call"),
    ("mail", "email"),
    ("meeting", "meeting"), ("vergader", "meeting"), ("afspraak", "meeting"),
    ("quot", "quote"), ("offerte", "quote"), ("proposal", "quote"), ("upsell", "quote"),
)
OUTBOUND_WORDS = ("outbound", "cold", "prospect", "uitgaand", "koud")
INBOUND_WORDS = ("inbound", "website", "organic", "search", "referral", "inkomend")


def m2o_id(value) -> int | None:
    return value[0] if value else None


def m2o_name(value) -> str | None:
    return str(value[1]) if value and len(value) > 1 and value[1] not in (False, None) else None


def ref(value) -> str | None:
    """The canonical id of a many2one: Odoo's record id as text."""
    return str(value[0]) if value else None


def ts(value) -> str | None:
    """Odoo's UTC datetime text with an explicit offset."""
    if not value:
        return None
    return str(value).replace(" ", "T")[:19] + "+00:00"


def utc(value) -> datetime | None:
    return datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) if value else None


def local_day(value, tz: ZoneInfo) -> str | None:
    """The workspace-local date of an Odoo UTC datetime (a date passes as is)."""
    if not value:
        return None
    if len(str(value)) == 10:
        return str(value)
    return utc(value).astimezone(tz).date().isoformat()


def num(value) -> str | None:
    if value is False or value is None:
        return None
    f = float(value)
    return str(int(f)) if f.is_integer() else repr(round(f, 6))


def activity_type(type_record: dict | None) -> str:
    """An Odoo activity type (its category, else its name) -> a canonical activity type."""
    if not type_record:
        return "other"
    category = str(type_record.get("category") or "")
    if category == "phonecall":
        return "call"
    if category == "meeting":
        return "meeting"
    name = str(type_record.get("name") or "").lower()
    for word, kind in ACTIVITY_WORDS:
        if word in name:
            return kind
    return "other"


def channel(medium: str | None) -> str | None:
    """A UTM medium's name -> inbound/outbound when the name says so, else null."""
    if not medium:
        return None
    name = medium.lower()
    if any(w in name for w in OUTBOUND_WORDS):
        return "outbound"
    if any(w in name for w in INBOUND_WORDS):
        return "inbound"
    return None


def stage_rows(stages: list[dict]) -> tuple[list[dict], dict[int, str], set[int]]:
    """crm.stage -> stages rows, Odoo stage id -> canonical name, the won stage ids.

    Stages of the same name (one per team) become one canonical stage; the
    order is Odoo's (sequence, id), numbered 1, 2, ...; "Lost" comes last."""
    by_name: dict[str, dict] = {}
    names: dict[int, str] = {}
    won: set[int] = set()
    for s in sorted(stages, key=lambda s: (s.get("sequence") or 0, s["id"])):
        name = str(s["name"]).strip()
        names[s["id"]] = name
        if s.get("is_won"):
            won.add(s["id"])
        row = by_name.setdefault(name, {"stage": name, "kind": "open", "probability": None})
        if s.get("is_won"):
            row["kind"], row["probability"] = "won", "100"
        elif "probability" in s and row["kind"] == "open":  # Odoo 13 and before keep one per stage
            row["probability"] = num(s["probability"])
    lost = by_name.setdefault(LOST_STAGE, {"stage": LOST_STAGE})
    lost.update(kind="lost", probability="0")
    rows = [r for r in by_name.values() if r is not lost] + [lost]
    for i, r in enumerate(rows, 1):
        r["sequence"] = str(i)
        r.setdefault("forecast_category", None)
    return rows, names, won


def status(lead: dict, won_stages: set[int]) -> str:
    """Odoo's own reading: lost = archived with probability 0 (Odoo archives a
    lost deal where it stands, a won stage included); won = in a won stage."""
    if lead.get("active") is False and not lead.get("probability"):
        return "lost"
    if m2o_id(lead.get("stage_id")) in won_stages:
        return "won"
    return "open"


def converted(lead: dict) -> bool:
    """An opportunity that was a lead first (converted later than its creation)."""
    if lead.get("type") != "opportunity" or not lead.get("date_conversion"):
        return False
    return (utc(lead["date_conversion"]) - utc(lead["create_date"])).total_seconds() >= CONVERTED_AFTER


def lead_row(lead: dict, tz: ZoneInfo) -> dict:
    medium = m2o_name(lead.get("medium_id"))
    is_converted = converted(lead)
    lost = lead.get("type") == "lead" and lead.get("active") is False
    return {
        "lead_id": str(lead["id"]),
        "created_at": ts(lead.get("create_date")),
        "owner_id": ref(lead.get("user_id")),
        "source": m2o_name(lead.get("source_id")),
        "channel": channel(medium),
        "campaign": m2o_name(lead.get("campaign_id")),
        "region": m2o_name(lead.get("country_id")),
        "qualified_at": ts(lead.get("date_conversion")) if is_converted else None,
        "converted_at": ts(lead.get("date_conversion")) if is_converted else None,
        "disqualified_at": ts(lead.get("date_closed") or lead.get("write_date")) if lost else None,
    }


def opportunity_row(lead: dict, stage_names: dict[int, str], won_stages: set[int], owner: str | None,
                    customer: str | None) -> dict:
    st = status(lead, won_stages)
    created = lead.get("date_conversion") if converted(lead) else lead.get("create_date")
    closed = (lead.get("date_closed") or lead.get("write_date")) if st != "open" else None
    # Odoo 13 and before: planned_revenue is the amount (expected_revenue there is it × probability)
    amount = lead["planned_revenue"] if "planned_revenue" in lead else lead.get("expected_revenue")
    stage = LOST_STAGE if st == "lost" else stage_names.get(m2o_id(lead.get("stage_id")))
    lost_reason = lead.get("lost_reason_id", lead.get("lost_reason"))
    return {
        "opportunity_id": str(lead["id"]),
        "lead_id": str(lead["id"]) if converted(lead) else None,
        "customer_id": customer,
        "owner_id": owner,
        "created_at": ts(created),
        "closed_at": ts(closed),
        "status": st,
        "stage": stage,
        "amount": num(amount),
        "currency": m2o_name(lead.get("company_currency")),
        "probability": num(lead.get("probability")),
        "expected_close_on": str(lead["date_deadline"]) if lead.get("date_deadline") else None,
        "region": m2o_name(lead.get("country_id")),
        "source": m2o_name(lead.get("source_id")),
        "campaign": m2o_name(lead.get("campaign_id")),
        "lost_reason": m2o_name(lost_reason) if st == "lost" else None,
    }


def history_rows(opp: dict, changes: list[tuple[str, int | None, int | None]], stage_names: dict[int, str],
                 last_stage: str | None) -> list[dict]:
    """stage_history rows of one opportunity row from its stage_id tracking
    values (date, old stage id, new stage id), oldest first.

    The stage at creation is the old value of the first change; changes
    before the opportunity's created_at (while it was a lead) set the stage
    it starts in. A lost deal ends with the Lost stage at its closed_at.
    Without tracking, an open or won deal gets the import's generated row
    (its stage at created_at); a lost one its last Odoo stage at created_at."""
    created, oid = opp["created_at"], opp["opportunity_id"]
    entries: list[tuple[str, str | None]] = []
    if changes:
        entries.append((created, stage_names.get(changes[0][1])))
        for date, _old, new in changes:
            at = ts(date)
            if at <= created:
                entries = [(created, stage_names.get(new))]
            else:
                entries.append((at, stage_names.get(new)))
    elif opp["status"] == "lost":
        entries.append((created, last_stage))
    if opp["status"] == "lost" and opp["closed_at"]:
        entries.append((max(opp["closed_at"], created), LOST_STAGE))
    rows, seen = [], set()
    for at, stage in entries:
        if stage and (stage, at) not in seen:
            seen.add((stage, at))
            rows.append({"opportunity_id": oid, "stage": stage, "entered_at": at})
    return rows
