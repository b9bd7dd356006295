"""The parts of one Odoo read: customers, stage history, activities,
orders and reps, each from the records a run found changed (odoo.py)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from koers.connectors import odoo_rows as R
from koers.connectors.odoo_client import ARCHIVED_TOO, MissingModel, NoAccess, Odoo, read_from
from koers.connectors.runner import Batch

OPEN_ACTIVITIES = "mail.activity/open"  # marker: the open activities of the last run, as rows
MATCHED_MESSAGES = "mail.message/matched"  # marker: done messages already joined to their activity


class Pull:
    def __init__(self, odoo: Odoo, markers: dict[str, str], tz: ZoneInfo, warnings: list[str] | None = None):
        self.odoo, self.markers, self.tz = odoo, markers, tz
        self.batch = Batch()
        self.users_wanted: set[int] = set()
        self.lead_cache: dict[int, dict] = {}
        self.warnings = warnings if warnings is not None else []

    def say(self, text: str) -> None:
        self.odoo.say(text)

    def warn(self, text: str) -> None:
        """Something skipped: on the progress line, and kept for the end of the run."""
        self.warnings.append(text)
        self.odoo.say(text)

    def changed(self, model: str, domain: list, fields: list[str], context: dict | None = None) -> list[dict]:
        """The records of model written since its marker; the new marker goes in the batch."""
        records = self.odoo.read_changed(model, domain, self.odoo.present(model, fields),
                                         self.markers.get(model), context)
        self.batch.read[model] = len(records)
        if records:
            self.batch.markers[model] = max(str(r["write_date"]) for r in records)
        return records

    def whole(self, model: str, domain: list, fields: list[str], context: dict | None = None) -> list[dict]:
        records = self.odoo.read_all(model, domain, self.odoo.present(model, fields), context)
        self.batch.read[model] = self.batch.read.get(model, 0) + len(records)
        return records

    def leads_by_id(self, ids: set[int]) -> dict[int, dict]:
        """crm.lead records by id (archived ones too), read once per run."""
        missing = sorted(i for i in ids if i and i not in self.lead_cache)
        if missing:
            fields = self.odoo.present("crm.lead", ["id", "type", "create_date", "date_conversion", "user_id",
                                                    "active", "probability", "stage_id"])
            for r in self.odoo.read_in("crm.lead", "id", missing, [], fields, ARCHIVED_TOO):
                self.lead_cache[r["id"]] = r
        return {i: self.lead_cache[i] for i in ids if i in self.lead_cache}



def revenue(p: Pull) -> tuple[list[dict], str | None]:
    """Confirmed sales orders; posted customer invoices when Sales is not installed."""
    try:
        return p.changed("sale.order", [("state", "in", ["sale", "done"])], [
            "id", "name", "partner_id", "date_order", "amount_untaxed", "currency_id", "user_id",
            "opportunity_id", "margin"]), "sale.order"
    except (MissingModel, NoAccess) as e:
        p.warn(f"no sales orders ({e}): reading invoices")
    try:
        return p.changed("account.move", [("move_type", "in", ["out_invoice", "out_refund"]),
                                          ("state", "=", "posted")], [
            "id", "name", "partner_id", "invoice_date", "amount_untaxed", "currency_id", "invoice_user_id",
            "move_type"]), "account.move"
    except (MissingModel, NoAccess) as e:
        p.warn(f"no invoices either ({e}): no orders")
        return [], None


def customers(p: Pull, partner_ids: set[int], won_stages: set[int], order_model: str | None):
    """customers rows of the companies behind the partners, and partner id -> its company's id.

    A company is a customer from its first won opportunity or confirmed order
    on it or any of its contacts (acquired_on); until then it is no customer."""
    if not partner_ids:
        return {}, {}
    odoo, tz = p.odoo, p.tz
    read = odoo.read_in("res.partner", "id", partner_ids, [], ["id", "commercial_partner_id"], ARCHIVED_TOO)
    commercial = {r["id"]: str(R.m2o_id(r["commercial_partner_id"]) or r["id"]) for r in read}
    cids = sorted({int(c) for c in commercial.values()})
    companies = odoo.read_in("res.partner", "id", cids, [], odoo.present(
        "res.partner", ["id", "name", "user_id", "industry_id", "country_id"]), ARCHIVED_TOO)
    contacts = odoo.read_in("res.partner", "commercial_partner_id", cids, [], ["id", "commercial_partner_id"],
                            ARCHIVED_TOO)
    company_of = {r["id"]: str(R.m2o_id(r["commercial_partner_id"]) or r["id"]) for r in contacts}
    company_of.update({c: str(c) for c in cids})
    ids = sorted(company_of)
    first: dict[str, tuple[str, str | None]] = {}  # company -> (first day, source of that deal)

    def seen(partner, day, source=None):
        cid = company_of.get(R.m2o_id(partner))
        if cid and day and (cid not in first or day < first[cid][0]):
            first[cid] = (day, source)

    if won_stages:
        # active ones only: a deal archived in a won stage is lost
        for r in odoo.read_in("crm.lead", "partner_id", ids, [("stage_id", "in", sorted(won_stages))],
                              ["id", "partner_id", "date_closed", "write_date", "source_id"]):
            seen(r["partner_id"], R.local_day(r.get("date_closed") or r.get("write_date"), tz),
                 R.m2o_name(r.get("source_id")))
    if order_model == "sale.order":
        for r in odoo.read_in("sale.order", "partner_id", ids, [("state", "in", ["sale", "done"])],
                              ["id", "partner_id", "date_order"]):
            seen(r["partner_id"], R.local_day(r.get("date_order"), tz))
    elif order_model == "account.move":
        for r in odoo.read_in("account.move", "partner_id", ids, [
                ("state", "=", "posted"), ("move_type", "in", ["out_invoice", "out_refund"])],
                ["id", "partner_id", "invoice_date"]):
            seen(r["partner_id"], R.local_day(r.get("invoice_date"), tz))
    rows = {}
    for c in companies:
        cid = str(c["id"])
        if cid in first:
            rows[cid] = {
                "customer_id": cid, "name": c.get("name") or None, "acquired_on": first[cid][0],
                "owner_id": R.ref(c.get("user_id")), "region": R.m2o_name(c.get("country_id")),
                "industry": R.m2o_name(c.get("industry_id")), "source": first[cid][1],
            }
    return rows, {pid: company_of.get(pid, cid) for pid, cid in commercial.items()}


def history(p: Pull, opps: list[dict], stage_names: dict[int, str]) -> None:
    """stage_history of the changed opportunities, from stage_id tracking values."""
    if not opps:
        return
    odoo = p.odoo
    ids = sorted(int(o["opportunity_id"]) for o in opps)
    messages = odoo.read_in("mail.message", "res_id", ids, [("model", "=", "crm.lead"),
                                                            ("tracking_value_ids", "!=", False)],
                            ["id", "res_id", "date"])
    changes: dict[int, list] = {}
    try:
        _tracking(p, messages, changes)
    except (MissingModel, NoAccess) as e:  # tracking values are for Settings users in recent Odoo
        p.warn(f"no stage history ({e}); opportunities get their stage at creation")
    for o in opps:
        lead = p.lead_cache[int(o["opportunity_id"])]
        rows = sorted(changes.get(int(o["opportunity_id"]), []))
        last = stage_names.get(R.m2o_id(lead.get("stage_id")))
        for row in R.history_rows(o, [(d, old, new) for d, _, old, new in rows], stage_names, last):
            p.batch.add("stage_history", row)


def _tracking(p: Pull, messages: list[dict], changes: dict[int, list]) -> None:
    """(date, message id, old stage id, new stage id) per crm.lead id, from stage_id tracking values."""
    if not messages:
        return
    odoo = p.odoo
    by_id = {m["id"]: m for m in messages}
    tv_fields = odoo.fields("mail.tracking.value")
    field_key = "field_id" if "field_id" in tv_fields else "field"
    if tv_fields.get(field_key, {}).get("type") == "many2one":
        fid = odoo.read_all("ir.model.fields", [("model", "=", "crm.lead"), ("name", "=", "stage_id")], ["id"])
        which = (field_key, "in", [f["id"] for f in fid])
    else:
        which = (field_key, "=", "stage_id")
    values = odoo.read_in("mail.tracking.value", "mail_message_id", by_id, [which],
                          ["id", "mail_message_id", "old_value_integer", "new_value_integer"])
    p.batch.read["mail.tracking.value"] = len(values)
    for v in values:
        m = by_id.get(R.m2o_id(v["mail_message_id"]))
        if m:
            changes.setdefault(m["res_id"], []).append(
                (m["date"], m["id"], v.get("old_value_integer") or None, v.get("new_value_integer") or None))


def _link(lead: dict | None, at: str | None) -> dict:
    """The lead or opportunity row an activity on crm.lead `lead` belongs to."""
    if not lead:
        return {}
    rid = str(lead["id"])
    if lead.get("type") == "lead":
        return {"lead_id": rid}
    link = {"opportunity_id": rid}
    if R.converted(lead) and at and at < R.ts(lead["date_conversion"]):
        link["lead_id"] = rid
    return link


def activity_records(p: Pull) -> tuple[list[dict], list[dict]]:
    """The changed open activities on crm.lead, and the new done-activity messages."""
    opened = p.changed("mail.activity", [("res_model", "=", "crm.lead")], [
        "id", "res_id", "activity_type_id", "user_id", "date_deadline", "create_date"])
    done = p.changed("mail.message", [("model", "=", "crm.lead"), ("mail_activity_type_id", "!=", False)], [
        "id", "res_id", "date", "author_id", "mail_activity_type_id"])
    return opened, done


def records(p: Pull, model: str, ids: set[int], fields: list[str]) -> list[dict]:
    """Records by id, archived ones too."""
    if not ids:
        return []
    found = p.odoo.read_in(model, "id", ids, [], p.odoo.present(model, fields), ARCHIVED_TOO)
    p.batch.read[model] = p.batch.read.get(model, 0) + len(found)
    return found


def first_done(p: Pull, lead_ids: set[int]) -> dict[int, str]:
    """crm.lead id -> the date of its first done activity."""
    if not lead_ids:
        return {}
    first: dict[int, str] = {}
    for m in p.odoo.read_in("mail.message", "res_id", lead_ids, [("model", "=", "crm.lead"),
                            ("mail_activity_type_id", "!=", False)], ["id", "res_id", "date"]):
        if m["res_id"] not in first or m["date"] < first[m["res_id"]]:
            first[m["res_id"]] = m["date"]
    return first


def activities(p: Pull, opened: list[dict], done: list[dict], types: dict[int, dict],
               user_of_partner: dict) -> None:
    """Open mail.activity on crm.lead, and done ones: the messages Odoo posts when one is done.

    An open activity that disappeared since the last run was done (it gets
    its done message's date) or cancelled (its due_at is cleared: it then
    counts nowhere)."""
    b, odoo = p.batch, p.odoo
    before = json.loads(p.markers.get(OPEN_ACTIVITIES) or "{}")
    matched_before = set(json.loads(p.markers.get(MATCHED_MESSAGES) or "[]"))
    still_open = set(odoo.call("mail.activity", "search", [[("res_model", "=", "crm.lead")]]))
    leads = p.leads_by_id({a["res_id"] for a in opened} | {m["res_id"] for m in done})

    now_open = {}
    for a in opened:
        if a["id"] not in still_open:
            continue
        due = f"{a['date_deadline']}T23:59:59" if a.get("date_deadline") else None
        row = {"activity_id": f"act{a['id']}", "owner_id": R.ref(a.get("user_id")),
               "type": R.activity_type(types.get(R.m2o_id(a.get("activity_type_id")))),
               "lead_id": None, "opportunity_id": None, "customer_id": None, "due_at": due, "done_at": None}
        row.update(_link(leads.get(a["res_id"]), R.ts(a.get("create_date"))))
        now_open[str(a["id"])] = row
    for aid, row in before.items():
        if int(aid) in still_open and aid not in now_open:
            now_open[aid] = row

    done_rows = []
    for m in done:
        if m["id"] in matched_before:
            continue
        lead = leads.get(m["res_id"])
        uid = user_of_partner.get(R.m2o_id(m.get("author_id"))) or (R.m2o_id(lead.get("user_id")) if lead else None)
        row = {"activity_id": f"msg{m['id']}", "owner_id": str(uid) if uid else None,
               "type": R.activity_type(types.get(R.m2o_id(m.get("mail_activity_type_id")))),
               "lead_id": None, "opportunity_id": None, "customer_id": None, "due_at": None,
               "done_at": R.ts(m["date"])}
        row.update(_link(lead, row["done_at"]))
        done_rows.append((m, row))

    matched = set()
    for aid, row in before.items():
        if int(aid) in still_open:
            continue
        row = dict(row)
        same = [(m, r) for m, r in done_rows if m["id"] not in matched and r["type"] == row["type"]
                and (r["opportunity_id"] or r["lead_id"]) == (row["opportunity_id"] or row["lead_id"])]
        if same:
            m, r = min(same, key=lambda mr: (mr[0]["date"], mr[0]["id"]))
            matched.add(m["id"])
            row["done_at"] = r["done_at"]
        else:  # cancelled: it was never done, and is no longer due
            row["due_at"] = None
        b.add("activities", row)
    read_now = {str(a["id"]) for a in opened}
    for aid in sorted(now_open, key=int):
        if aid in read_now:
            b.add("activities", now_open[aid])
    for m, row in done_rows:
        if m["id"] not in matched:
            b.add("activities", row, raw=m)
    for row in b.rows.get("activities", []):
        if row["owner_id"]:
            p.users_wanted.add(int(row["owner_id"]))
    if now_open != before:
        b.markers[OPEN_ACTIVITIES] = json.dumps(now_open, sort_keys=True)
    last = b.markers.get("mail.message")
    if last:  # the joined messages the next run reads again
        b.markers[MATCHED_MESSAGES] = json.dumps(sorted(
            m["id"] for m in done if m["id"] in matched | matched_before and str(m["write_date"]) >= read_from(last)))


def orders(p: Pull, orders: list[dict], model: str | None, commercial: dict, customers: dict) -> None:
    if not model:
        return
    opp_ids = {R.m2o_id(o.get("opportunity_id")) for o in orders} - {None}
    opps = {i for i, lead in p.leads_by_id(opp_ids).items() if lead.get("type") == "opportunity"}
    for o in orders:
        cid = commercial.get(R.m2o_id(o.get("partner_id")))
        if model == "sale.order":
            amount, day, owner = o.get("amount_untaxed"), o.get("date_order"), o.get("user_id")
            oid = f"so{o['id']}"
        else:
            amount = (o.get("amount_untaxed") or 0) * (-1 if o.get("move_type") == "out_refund" else 1)
            day, owner, oid = o.get("invoice_date"), o.get("invoice_user_id"), f"inv{o['id']}"
        margin = o.get("margin")
        row = {
            "order_id": oid, "customer_id": cid,
            "opportunity_id": str(R.m2o_id(o["opportunity_id"])) if R.m2o_id(o.get("opportunity_id")) in opps else None,
            "ordered_on": R.local_day(day, p.tz), "amount": R.num(amount),
            "currency": R.m2o_name(o.get("currency_id")),
            "cost": R.num(amount - margin) if isinstance(margin, (int, float)) and margin is not False
            and amount is not False else None,
            "owner_id": R.ref(owner),
        }
        if row["owner_id"]:
            p.users_wanted.add(int(row["owner_id"]))
        p.batch.add("orders", row, raw=o)


def reps(p: Pull, users: dict[int, dict], teams: dict[int, dict]) -> None:
    """Sales team members, team leaders and every user the batch names."""
    leaders = {R.m2o_id(t.get("user_id")) for t in teams.values()} - {None}
    wanted = set(p.users_wanted) | leaders
    wanted |= {uid for uid, u in users.items() if u.get("sale_team_id") and not u.get("share")}
    for uid in sorted(wanted):
        u = users.get(uid)
        if not u:
            continue
        team = teams.get(R.m2o_id(u.get("sale_team_id")))
        manager = R.m2o_id(team.get("user_id")) if team else None
        email = u.get("email") or (u.get("login") if "@" in str(u.get("login") or "") else None)
        p.batch.add("reps", {
            "rep_id": str(uid), "name": u.get("name") or u.get("login"), "email": email or None,
            "team": team["name"] if team else None,
            "role": "sales_manager" if uid in leaders else None,
            "manager_id": str(manager) if manager and manager != uid and manager in users else None,
            "hired_on": R.local_day(u.get("create_date"), p.tz),
            "left_on": R.local_day(u.get("write_date"), p.tz) if u.get("active") is False else None,
        }, raw=u)
