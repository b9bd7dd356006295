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

from collections.abc import Callable
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from koers.connectors import odoo_read as read
from koers.connectors import odoo_rows as R
from koers.connectors.odoo_client import ARCHIVED_TOO, Odoo
from koers.connectors.runner import Batch

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
        url: Annotated[str, typer.Option(help="the Odoo address, e.g. https://mycompany.odoo.com",
                                            envvar="KOERS_ODOO_URL")],
        db: Annotated[str, typer.Option(help="the Odoo database name", envvar="KOERS_ODOO_DB")],
        user: Annotated[str, typer.Option(help="the login of the Odoo user whose API key is used",
                                             envvar="KOERS_ODOO_USER")],
        page_size: Annotated[int, typer.Option(help="records per request")] = 500,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Read Odoo CRM (and Sales or Invoicing) into the workspace (docs/sync.md). The API key
        comes from KOERS_ODOO_API_KEY, else api_key in the odoo section of the credentials file."""
        from rich.markup import escape

        from koers.cli import err, open_workspace, usage_error
        from koers.connectors.secrets import secret

        if page_size < 1:
            usage_error("--page-size must be 1 or more")
        tz = open_workspace(workspace).settings().tz
        warnings: list[str] = []

        def pull_for(say: Callable[[str], None]):
            def pull(markers: dict[str, str]) -> Batch:
                key = secret("KOERS_ODOO_API_KEY", "odoo", "api_key")
                return pull_odoo(Odoo(url, db, user, key, say, page_size), markers, tz, warnings)

            return pull

        try:
            run(workspace, "odoo", pull_for)
        finally:
            for w in warnings:
                err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)


def pull_odoo(odoo: Odoo, markers: dict[str, str], tz: ZoneInfo, warnings: list[str] | None = None) -> Batch:
    """Everything that changed since `markers`, as canonical rows; what had to
    be skipped (an app not installed, a model the user may not read) is
    added to `warnings`."""
    odoo.login()
    p = read.Pull(odoo, markers, tz, warnings)
    b = p.batch

    # reference models, read whole
    stages, stage_names, won_stages = R.stage_rows(p.whole(
        "crm.stage", [], ["id", "name", "sequence", "is_won", "probability"]))
    teams = {t["id"]: t for t in p.whole("crm.team", [], ["id", "name", "user_id"], ARCHIVED_TOO)}
    users = {u["id"]: u for u in p.whole(  # internal users: not the portal users of a web shop
        "res.users", [("share", "=", False)], ["id", "name", "login", "email", "sale_team_id", "create_date",
                                                "write_date", "active", "share", "partner_id"], ARCHIVED_TOO)}
    types = {t["id"]: t for t in p.whole("mail.activity.type", [], ["id", "name", "category"], ARCHIVED_TOO)}
    user_of_partner = {R.m2o_id(u.get("partner_id")): uid for uid, u in users.items() if u.get("partner_id")}

    # what changed
    leads = p.changed("crm.lead", [], LEAD_FIELDS, ARCHIVED_TOO)
    for r in leads:
        p.lead_cache[r["id"]] = r
    opened, done = read.activity_records(p)
    orders, order_model = read.revenue(p)
    # companies and persons without a company: the partners that can be customers
    partners_changed = p.changed("res.partner", ["|", ("is_company", "=", True), ("parent_id", "=", False)],
                                 ["id", "commercial_partner_id"], ARCHIVED_TOO)

    # a lead's first response is its first done activity: a lead with a newly
    # done activity is written again even when the lead itself did not change
    touched = p.leads_by_id({m["res_id"] for m in done} - {r["id"] for r in leads})
    again = read.records(p, "crm.lead", {i for i, r in touched.items()
                                         if r.get("type") == "lead" or R.converted(r)}, LEAD_FIELDS)
    lead_records = [r for r in leads + again if r.get("type") == "lead" or R.converted(r)]
    first_done = read.first_done(p, {r["id"] for r in lead_records})

    # customers of every partner the changed records name
    partner_ids = {R.m2o_id(r.get("partner_id")) for r in leads + orders} | {r["id"] for r in partners_changed}
    customers, commercial = read.customers(p, partner_ids - {None}, won_stages, order_model)

    def owner(lead: dict) -> str | None:
        """The salesperson, else the team leader, else the creator: an internal user (a rep)."""
        team = teams.get(R.m2o_id(lead.get("team_id"))) or {}
        for candidate in (lead.get("user_id"), team.get("user_id"), lead.get("create_uid")):
            uid = R.m2o_id(candidate)
            if uid in users:
                p.users_wanted.add(uid)
                return str(uid)
        return None

    for lead in lead_records:
        row = R.lead_row(lead, tz)
        row["first_response_at"] = R.ts(first_done.get(lead["id"]))
        uid = R.m2o_id(lead.get("user_id"))
        row["owner_id"] = str(uid) if uid in users else None
        if uid in users:
            p.users_wanted.add(uid)
        b.add("leads", row, raw=lead)
    opp_rows: list[dict] = []
    for lead in leads:
        if lead.get("type") == "opportunity":
            cid = commercial.get(R.m2o_id(lead.get("partner_id")))
            row = R.opportunity_row(lead, stage_names, won_stages, owner(lead), None)
            if cid in customers and (row["status"] == "won" or customers[cid]["acquired_on"] < row["created_at"][:10]):
                row["customer_id"] = cid
            opp_rows.append(row)
            b.add("opportunities", row, raw=lead)

    read.history(p, opp_rows, stage_names)
    read.activities(p, opened, done, types, user_of_partner)
    read.orders(p, orders, order_model, commercial, customers)

    for c in customers.values():
        if c["owner_id"]:
            p.users_wanted.add(int(c["owner_id"]))
        b.add("customers", c)
    read.reps(p, users, teams)
    for s in stages:
        b.add("stages", s)
    return b


