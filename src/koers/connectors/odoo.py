"""`koers sync odoo`: Odoo CRM, Sales and Invoicing through the external API
(XML-RPC). docs/sync.md says which models and fields become which canonical
columns, and why.

Reference models (users, teams, stages, activity types) are read whole each
run; crm.lead, mail.activity, mail.message, sale.order / account.move and
res.partner from the write_date each reached last time (>=, so a record
written in the same second as the marker is read again; the import is
idempotent).

No `from __future__ import annotations` here: the command's options are
annotated with names imported inside register()."""

import json
from collections.abc import Callable
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from koers.connectors import odoo_rows as R
from koers.connectors.odoo_client import ARCHIVED_TOO, MissingModel, Odoo
from koers.connectors.runner import Batch

OPEN_ACTIVITIES = "mail.activity/open"  # marker: the open activities of the last run, as rows
MATCHED_MESSAGES = "mail.message/matched"  # marker: done messages already joined to their activity

LEAD_FIELDS = [
    "id", "name", "type", "active", "probability", "stage_id", "user_id", "team_id", "partner_id",
    "create_date", "create_uid", "write_date", "date_closed", "date_conversion", "date_deadline",
    "expected_revenue", "planned_revenue", "company_currency", "source_id", "medium_id", "campaign_id",
    "lost_reason_id", "lost_reason", "country_id",
]


def register(sync_app: typer.Typer, run: Callable) -> None:
    from koers.cli import WorkspaceOpt

    @sync_app.command("odoo")
    def odoo_cmd(
        url: Annotated[str, typer.Option(help="the Odoo address, e.g. https://mycompany.odoo.com")],
        db: Annotated[str, typer.Option(help="the Odoo database name")],
        user: Annotated[str, typer.Option(help="the login of the Odoo user whose API key is used")],
        page_size: Annotated[int, typer.Option(help="records per request")] = 500,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Read Odoo CRM (and Sales or Invoicing) through its API key; the key comes from
        KOERS_ODOO_API_KEY or api_key under [odoo] in the credentials file."""
        from koers.cli import open_workspace, usage_error
        from koers.connectors.secrets import secret

        if page_size < 1:
            usage_error("--page-size must be 1 or more")
        tz = open_workspace(workspace).settings().tz

        def pull_for(say: Callable[[str], None]):
            def pull(markers: dict[str, str]) -> Batch:
                key = secret("KOERS_ODOO_API_KEY", "odoo", "api_key")
                return pull_odoo(Odoo(url, db, user, key, say, page_size), markers, tz)

            return pull

        run(workspace, "odoo", pull_for)


class _Pull:
    def __init__(self, odoo: Odoo, markers: dict[str, str], tz: ZoneInfo):
        self.odoo, self.markers, self.tz = odoo, markers, tz
        self.batch = Batch()
        self.users_wanted: set[int] = set()
        self.lead_cache: dict[int, dict] = {}

    def say(self, text: str) -> None:
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
            for r in self.odoo.read_all("crm.lead", [("id", "in", missing)], fields, ARCHIVED_TOO):
                self.lead_cache[r["id"]] = r
        return {i: self.lead_cache[i] for i in ids if i in self.lead_cache}


def pull_odoo(odoo: Odoo, markers: dict[str, str], tz: ZoneInfo) -> Batch:
    odoo.login()
    p = _Pull(odoo, markers, tz)
    b = p.batch

    # reference models, read whole
    stages, stage_names, won_stages = R.stage_rows(p.whole(
        "crm.stage", [], ["id", "name", "sequence", "is_won", "probability"]))
    teams = {t["id"]: t for t in p.whole("crm.team", [], ["id", "name", "user_id"], ARCHIVED_TOO)}
    users = {u["id"]: u for u in p.whole(
        "res.users", [], ["id", "name", "login", "email", "sale_team_id", "create_date", "write_date", "active",
                          "share", "partner_id"], ARCHIVED_TOO)}
    types = {t["id"]: t for t in p.whole("mail.activity.type", [], ["id", "name", "category"], ARCHIVED_TOO)}
    user_of_partner = {R.m2o_id(u.get("partner_id")): uid for uid, u in users.items() if u.get("partner_id")}

    # what changed
    leads = p.changed("crm.lead", [], LEAD_FIELDS, ARCHIVED_TOO)
    for r in leads:
        p.lead_cache[r["id"]] = r
    orders, order_model = _revenue(p)
    partners_changed = p.changed("res.partner", [], ["id", "commercial_partner_id"], ARCHIVED_TOO)

    # customers of every partner the changed records name
    partner_ids = {R.m2o_id(r.get("partner_id")) for r in leads + orders} | {r["id"] for r in partners_changed}
    customers, commercial = _customers(p, partner_ids - {None}, won_stages, order_model)

    def owner(lead: dict) -> str | None:
        uid = R.m2o_id(lead.get("user_id")) or R.m2o_id((teams.get(R.m2o_id(lead.get("team_id"))) or {})
                                                      .get("user_id")) or R.m2o_id(lead.get("create_uid"))
        if uid:
            p.users_wanted.add(uid)
        return str(uid) if uid else None

    opp_rows: list[dict] = []
    for lead in leads:
        if lead.get("type") == "lead" or R.converted(lead):
            row = R.lead_row(lead, tz)
            if row["owner_id"]:
                p.users_wanted.add(int(row["owner_id"]))
            b.add("leads", row, raw=lead)
        if lead.get("type") == "opportunity":
            cid = commercial.get(R.m2o_id(lead.get("partner_id")))
            row = R.opportunity_row(lead, stage_names, won_stages, owner(lead), None)
            if cid in customers and (row["status"] == "won" or customers[cid]["acquired_on"] < row["created_at"][:10]):
                row["customer_id"] = cid
            opp_rows.append(row)
            b.add("opportunities", row, raw=lead)

    _history(p, opp_rows, stage_names)
    _activities(p, types, user_of_partner)
    _orders(p, orders, order_model, commercial, customers)

    for c in customers.values():
        if c["owner_id"]:
            p.users_wanted.add(int(c["owner_id"]))
        b.add("customers", c)
    _reps(p, users, teams)
    for s in stages:
        b.add("stages", s)
    return b


def _revenue(p: _Pull) -> tuple[list[dict], str | None]:
    """Confirmed sales orders; posted customer invoices when Sales is not installed."""
    try:
        return p.changed("sale.order", [("state", "in", ["sale", "done"])], [
            "id", "name", "partner_id", "date_order", "amount_untaxed", "currency_id", "user_id",
            "opportunity_id", "margin"]), "sale.order"
    except MissingModel:
        p.say("sale.order is not there (Sales not installed): reading invoices")
    try:
        return p.changed("account.move", [("move_type", "in", ["out_invoice", "out_refund"]),
                                          ("state", "=", "posted")], [
            "id", "name", "partner_id", "invoice_date", "amount_untaxed", "currency_id", "invoice_user_id",
            "move_type"]), "account.move"
    except MissingModel:
        p.say("account.move is not there either (Invoicing not installed): no orders")
        return [], None


def _customers(p: _Pull, partner_ids: set[int], won_stages: set[int], order_model: str | None):
    """customers rows of the companies behind the partners, and partner id -> its company's id.

    A company is a customer from its first won opportunity or confirmed order
    on it or any of its contacts (acquired_on); until then it is no customer."""
    if not partner_ids:
        return {}, {}
    odoo, tz = p.odoo, p.tz
    read = odoo.read_all("res.partner", [("id", "in", sorted(partner_ids))], ["id", "commercial_partner_id"],
                         ARCHIVED_TOO)
    commercial = {r["id"]: str(R.m2o_id(r["commercial_partner_id"]) or r["id"]) for r in read}
    cids = sorted({int(c) for c in commercial.values()})
    companies = odoo.read_all("res.partner", [("id", "in", cids)], odoo.present(
        "res.partner", ["id", "name", "user_id", "industry_id", "country_id"]), ARCHIVED_TOO)
    contacts = odoo.read_all("res.partner", [("commercial_partner_id", "in", cids)],
                             ["id", "commercial_partner_id"], ARCHIVED_TOO)
    company_of = {r["id"]: str(R.m2o_id(r["commercial_partner_id"]) or r["id"]) for r in contacts}
    company_of.update({c: str(c) for c in cids})
    ids = sorted(company_of)
    first: dict[str, tuple[str, str | None]] = {}  # company -> (first day, source of that deal)

    def seen(partner, day, source=None):
        cid = company_of.get(R.m2o_id(partner))
        if cid and day and (cid not in first or day < first[cid][0]):
            first[cid] = (day, source)

    if won_stages:
        for r in odoo.read_all("crm.lead", [("partner_id", "in", ids), ("stage_id", "in", sorted(won_stages))],
                               ["id", "partner_id", "date_closed", "write_date", "source_id"], ARCHIVED_TOO):
            seen(r["partner_id"], R.local_day(r.get("date_closed") or r.get("write_date"), tz),
                 R.m2o_name(r.get("source_id")))
    if order_model == "sale.order":
        for r in odoo.read_all("sale.order", [("partner_id", "in", ids), ("state", "in", ["sale", "done"])],
                               ["id", "partner_id", "date_order"]):
            seen(r["partner_id"], R.local_day(r.get("date_order"), tz))
    elif order_model == "account.move":
        for r in odoo.read_all("account.move", [("partner_id", "in", ids), ("state", "=", "posted"),
                                                ("move_type", "in", ["out_invoice", "out_refund"])],
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


def _history(p: _Pull, opps: list[dict], stage_names: dict[int, str]) -> None:
    """stage_history of the changed opportunities, from stage_id tracking values."""
    if not opps:
        return
    odoo = p.odoo
    ids = sorted(int(o["opportunity_id"]) for o in opps)
    messages = odoo.read_all("mail.message", [("model", "=", "crm.lead"), ("res_id", "in", ids),
                                              ("tracking_value_ids", "!=", False)], ["id", "res_id", "date"])
    changes: dict[int, list] = {}
    if messages:
        by_id = {m["id"]: m for m in messages}
        tv_fields = odoo.fields("mail.tracking.value")
        field_key = "field_id" if "field_id" in tv_fields else "field"
        if tv_fields.get(field_key, {}).get("type") == "many2one":
            fid = odoo.read_all("ir.model.fields", [("model", "=", "crm.lead"), ("name", "=", "stage_id")], ["id"])
            which = (field_key, "in", [f["id"] for f in fid])
        else:
            which = (field_key, "=", "stage_id")
        values = odoo.read_all("mail.tracking.value", [("mail_message_id", "in", sorted(by_id)), which],
                               ["id", "mail_message_id", "old_value_integer", "new_value_integer"])
        p.batch.read["mail.tracking.value"] = len(values)
        for v in values:
            m = by_id.get(R.m2o_id(v["mail_message_id"]))
            if m:
                changes.setdefault(m["res_id"], []).append(
                    (m["date"], m["id"], v.get("old_value_integer") or None, v.get("new_value_integer") or None))
    for o in opps:
        lead = p.lead_cache[int(o["opportunity_id"])]
        rows = sorted(changes.get(int(o["opportunity_id"]), []))
        last = stage_names.get(R.m2o_id(lead.get("stage_id")))
        for row in R.history_rows(o, [(d, old, new) for d, _, old, new in rows], stage_names, last):
            p.batch.add("stage_history", row)


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


def _activities(p: _Pull, types: dict[int, dict], user_of_partner: dict) -> None:
    """Open mail.activity on crm.lead, and done ones: the messages Odoo posts when one is done.

    An open activity that disappeared since the last run was done (it gets
    its done message's date) or cancelled (its due_at is cleared: it then
    counts nowhere)."""
    b, odoo = p.batch, p.odoo
    opened = p.changed("mail.activity", [("res_model", "=", "crm.lead")], [
        "id", "res_id", "activity_type_id", "user_id", "date_deadline", "create_date"])
    done = p.changed("mail.message", [("model", "=", "crm.lead"), ("mail_activity_type_id", "!=", False)], [
        "id", "res_id", "date", "author_id", "mail_activity_type_id"])
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
    for aid in sorted(now_open, key=int):
        if any(str(a["id"]) == aid for a in opened):
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
    if last:
        b.markers[MATCHED_MESSAGES] = json.dumps(sorted(
            m["id"] for m in done if m["id"] in matched | matched_before and str(m["write_date"]) >= last))


def _orders(p: _Pull, orders: list[dict], model: str | None, commercial: dict, customers: dict) -> None:
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


def _reps(p: _Pull, users: dict[int, dict], teams: dict[int, dict]) -> None:
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
