"""Salesforce records -> canonical rows (data-model.md); docs/sync-salesforce.md
explains every choice made here. Pure functions: no network, no workspace."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

USER, LEAD, OPPORTUNITY = "005", "00Q", "006"  # key prefixes of the record ids

# picklist values (API names and labels) -> canonical values; unknown ones are null
FORECAST = {"Pipeline": "pipeline", "Best Case": "best_case", "BestCase": "best_case", "Commit": "commit",
            "Forecast": "commit", "Omitted": "omitted"}  # "Closed" has no canonical category
DEAL_TYPES = {"New Customer": "new_business", "New Business": "new_business",
              "Existing Customer - Upgrade": "upsell", "Existing Business": "upsell", "Renewal": "renewal"}
ACTIVITY_TYPES = {"call": "call", "email": "email", "listemail": "email", "meeting": "meeting", "demo": "demo",
                  "voicemail": "voicemail", "linkedin": "linkedin", "intake": "intake", "quote": "quote"}
DISQUALIFIED = ("closed - not converted", "unqualified", "disqualified")


def ts(value: str | None) -> str | None:
    """Salesforce's 2025-03-04T09:15:00.000+0000 as 2025-03-04T09:15:00+00:00."""
    if not value:
        return None
    moment = parse_ts(value)
    return moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_day(value: str, tz: ZoneInfo) -> str:
    """The date of a timestamp in the workspace zone."""
    return parse_ts(value).astimezone(tz).date().isoformat()


def end_of_day(day: str | None, tz: ZoneInfo) -> datetime | None:
    """The last second of a Salesforce date in the workspace zone."""
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), tz)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _num(value) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _user(value: str | None, reps: set[str]) -> str | None:
    """An owner that is one of the reps read, else null (a queue, a system user)."""
    return value if value in reps else None


def company_size(employees) -> str | None:
    if employees is None:
        return None
    n = int(employees)
    for top, label in ((9, "1-9"), (49, "10-49"), (249, "50-249"), (999, "250-999")):
        if n <= top:
            return label
    return "1000+"


def rep(r: dict, managers: set[str], tz: ZoneInfo) -> dict:
    role = (r.get("UserRole") or {}).get("Name")
    return {
        "rep_id": r["Id"], "name": r.get("Name"), "email": r.get("Email"),
        "team": role or r.get("Department"),
        "manager_id": r.get("ManagerId") if r.get("ManagerId") in managers else None,
        "hired_on": local_day(r["CreatedDate"], tz),
        "left_on": None if r.get("IsActive", True) else local_day(r["LastModifiedDate"], tz),
    }


def stage(r: dict) -> dict:
    kind = ("won" if r.get("IsWon") else "lost") if r.get("IsClosed") else "open"
    return {
        "stage": r["MasterLabel"], "sequence": _num(r.get("SortOrder")),
        "probability": _num(r.get("DefaultProbability")), "kind": kind,
        "forecast_category": FORECAST.get(r.get("ForecastCategoryName") or ""),
    }


def status(r: dict) -> str:
    return ("won" if r.get("IsWon") else "lost") if r.get("IsClosed") else "open"


def opportunity(r: dict, lead_of: dict[str, str], tz: ZoneInfo) -> dict:
    state = status(r)
    closed = None
    if state != "open":
        # CloseDate is a date: the deal closed by the end of that day; never before it was created
        closed = max(end_of_day(r.get("CloseDate"), tz) or parse_ts(r["CreatedDate"]), parse_ts(r["CreatedDate"]))
    return {
        "opportunity_id": r["Id"], "lead_id": lead_of.get(r["Id"]),
        "customer_id": r.get("AccountId") if state == "won" else None,
        "owner_id": r.get("OwnerId"), "created_at": ts(r["CreatedDate"]),
        "closed_at": _iso(closed), "status": state, "stage": r.get("StageName"),
        "amount": _num(r.get("Amount")), "currency": r.get("CurrencyIsoCode"),
        "probability": _num(r.get("Probability")),
        "expected_close_on": r.get("CloseDate") if state == "open" else None,
        "forecast_category": FORECAST.get(r.get("ForecastCategoryName") or ""),
        "source": r.get("LeadSource"), "campaign": r.get("CampaignId"),
        "deal_type": DEAL_TYPES.get(r.get("Type") or ""),
    }


def history(records: list[dict]) -> list[dict]:
    """One row per stage entered: consecutive rows in the same stage (an amount
    or date changed) collapse into the first. Records sorted by opportunity, time."""
    rows: list[dict] = []
    last: tuple[str, str] | None = None
    for r in records:
        opp, name = r["OpportunityId"], r.get("StageName")
        if not name or last == (opp, name):
            continue
        last = (opp, name)
        rows.append({"opportunity_id": opp, "stage": name, "entered_at": ts(r["CreatedDate"])})
    return rows


def lead(r: dict, reps: set[str], tz: ZoneInfo) -> dict:
    state = (r.get("Status") or "").strip().lower()
    converted = None
    if r.get("IsConverted"):  # ConvertedDate is a date, as CloseDate: the end of that day
        created = parse_ts(r["CreatedDate"])
        converted = _iso(max(end_of_day(r.get("ConvertedDate"), tz) or created, created))
    qualified = converted or (ts(r.get("LastModifiedDate")) if state == "qualified" else None)
    return {
        "lead_id": r["Id"], "created_at": ts(r["CreatedDate"]), "owner_id": _user(r.get("OwnerId"), reps),
        "source": r.get("LeadSource"), "region": r.get("Country"), "industry": r.get("Industry"),
        "company_size": company_size(r.get("NumberOfEmployees")),
        "qualified_at": qualified, "converted_at": converted,
        "disqualified_at": ts(r.get("LastModifiedDate")) if state in DISQUALIFIED else None,
    }


def customer(r: dict, first_win: str | None, reps: set[str]) -> dict:
    return {
        "customer_id": r["Id"], "name": r.get("Name"), "acquired_on": first_win,
        "owner_id": _user(r.get("OwnerId"), reps), "region": r.get("BillingCountry"),
        "industry": r.get("Industry"), "company_size": company_size(r.get("NumberOfEmployees")),
        "source": r.get("AccountSource"),
    }


def _links(r: dict) -> dict:
    who, what = r.get("WhoId") or "", r.get("WhatId") or ""
    return {"lead_id": who if who.startswith(LEAD) else None,
            "opportunity_id": what if what.startswith(OPPORTUNITY) else None}


def activity_type(*names: str | None, default: str = "other") -> str:
    for name in names:
        found = ACTIVITY_TYPES.get((name or "").replace(" ", "").lower())
        if found:
            return found
    return default


def task(r: dict, tz: ZoneInfo) -> dict:
    done = r.get("CompletedDateTime") or (
        r.get("LastModifiedDate") if r.get("IsClosed") or r.get("Status") == "Completed" else None)
    return {
        "activity_id": r["Id"], "owner_id": r.get("OwnerId"),
        "type": activity_type(r.get("TaskSubtype"), r.get("Type")), **_links(r),
        "due_at": _iso(end_of_day(r.get("ActivityDate"), tz)), "done_at": ts(done),
    }


def event(r: dict, now: datetime) -> dict:
    start = r.get("StartDateTime") or r.get("ActivityDateTime")
    held = start is not None and parse_ts(start) <= now
    return {
        "activity_id": r["Id"], "owner_id": r.get("OwnerId"),
        "type": activity_type(r.get("Type"), r.get("EventSubtype"), default="meeting"), **_links(r),
        "due_at": ts(start), "done_at": ts(start) if held else None,
    }
