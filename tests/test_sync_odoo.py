"""`koers sync odoo` against a fake Odoo (tests/fake_odoo.py): what lands in
each canonical table, incremental runs, failures halfway, credentials."""

from __future__ import annotations

import xmlrpc.client
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.connectors import odoo_rows
from koers.connectors.odoo import pull_odoo
from koers.connectors.odoo_client import Odoo
from koers.connectors.runner import SyncError, markers, run_sync, sync_log
from koers.kpis.compute import compute
from koers.periods import parse_instant, parse_spec
from tests.fake_odoo import DB, KEY, LOGIN, FakeOdoo, HttpError, m2o

TZ = ZoneInfo("Europe/Amsterdam")
EUR = m2o(1, "EUR")
SALES = m2o(1, "Sales")
ANNA, BRAM, ADMIN = m2o(6, "Anna de Vries"), m2o(7, "Bram Jansen"), m2o(2, "Mitchell Admin")
NEW, QUAL, PROP, WON = m2o(1, "New"), m2o(2, "Qualified"), m2o(3, "Proposition"), m2o(4, "Won")


def lead(id_, **kw):
    base = {"id": id_, "name": f"Deal {id_}", "type": "opportunity", "active": True, "probability": 10.0,
            "stage_id": NEW, "user_id": ANNA, "team_id": SALES, "partner_id": False, "create_uid": ADMIN,
            "create_date": "2025-01-06 09:00:00", "write_date": "2025-01-06 09:00:00", "date_closed": False,
            "date_conversion": False, "date_deadline": False, "expected_revenue": 0.0, "company_currency": EUR,
            "source_id": False, "medium_id": False, "campaign_id": False, "lost_reason_id": False,
            "country_id": False}
    base.update(kw)
    return base


def tracking(msg_id, value_id, lead_id, date, old, new):
    message = {"id": msg_id, "model": "crm.lead", "res_id": lead_id, "date": date, "write_date": date,
               "author_id": m2o(10, "Anna de Vries"), "mail_activity_type_id": False, "tracking_value_ids": [value_id]}
    value = {"id": value_id, "mail_message_id": m2o(msg_id, "msg"), "field_id": m2o(900, "Stage"),
             "old_value_integer": old, "new_value_integer": new, "old_value_char": "", "new_value_char": ""}
    return message, value


def odoo_data() -> dict[str, list[dict]]:
    messages, values = zip(*[
        tracking(501, 701, 101, "2025-01-20 10:00:00", 1, 2),
        tracking(502, 702, 101, "2025-02-01 11:00:00", 2, 3),
        tracking(503, 703, 101, "2025-02-14 15:30:00", 3, 4),
        tracking(504, 704, 102, "2025-01-15 10:00:00", 1, 3),
    ])
    done = [
        {"id": 601, "model": "crm.lead", "res_id": 101, "date": "2025-02-10 14:00:00",
         "write_date": "2025-02-10 14:00:00", "author_id": m2o(10, "Anna de Vries"),
         "mail_activity_type_id": m2o(3, "Meeting"), "tracking_value_ids": []},
        {"id": 602, "model": "crm.lead", "res_id": 104, "date": "2025-02-06 09:00:00",
         "write_date": "2025-02-06 09:00:00", "author_id": m2o(11, "Bram Jansen"),
         "mail_activity_type_id": m2o(1, "Email"), "tracking_value_ids": []},
    ]
    return {
        "res.users": [
            {"id": 2, "name": "Mitchell Admin", "login": "admin", "email": "admin@example.com", "active": True,
             "share": False, "sale_team_id": SALES, "partner_id": m2o(3, "Mitchell Admin"),
             "create_date": "2024-01-01 08:00:00", "write_date": "2024-06-01 08:00:00"},
            {"id": 6, "name": "Anna de Vries", "login": "anna@example.com", "email": False, "active": True,
             "share": False, "sale_team_id": SALES, "partner_id": m2o(10, "Anna de Vries"),
             "create_date": "2024-02-01 09:00:00", "write_date": "2024-02-01 09:00:00"},
            {"id": 7, "name": "Bram Jansen", "login": "bram", "email": "bram@example.com", "active": True,
             "share": False, "sale_team_id": SALES, "partner_id": m2o(11, "Bram Jansen"),
             "create_date": "2024-03-01 23:30:00", "write_date": "2024-03-01 23:30:00"},
            {"id": 8, "name": "Petra Boekhouding", "login": "petra", "email": "petra@example.com", "active": True,
             "share": False, "sale_team_id": False, "partner_id": m2o(12, "Petra"),
             "create_date": "2024-03-01 08:00:00", "write_date": "2024-03-01 08:00:00"},
        ],
        "crm.team": [{"id": 1, "name": "Sales", "user_id": ADMIN, "active": True}],
        "crm.stage": [
            {"id": 1, "name": "New", "sequence": 1, "is_won": False},
            {"id": 2, "name": "Qualified", "sequence": 2, "is_won": False},
            {"id": 3, "name": "Proposition", "sequence": 3, "is_won": False},
            {"id": 4, "name": "Won", "sequence": 70, "is_won": True},
        ],
        "mail.activity.type": [
            {"id": 1, "name": "Email", "category": "default"},
            {"id": 2, "name": "Call", "category": "phonecall"},
            {"id": 3, "name": "Meeting", "category": "meeting"},
            {"id": 4, "name": "To-Do", "category": "default"},
        ],
        "res.partner": [
            {"id": 20, "name": "Acme BV", "commercial_partner_id": m2o(20, "Acme BV"), "user_id": False,
             "country_id": m2o(166, "Netherlands"), "industry_id": m2o(5, "Manufacturing"),
             "write_date": "2025-01-01 08:00:00"},
            {"id": 21, "name": "Jan (Acme)", "commercial_partner_id": m2o(20, "Acme BV"), "user_id": False,
             "country_id": False, "industry_id": False, "write_date": "2025-01-01 08:00:00"},
            {"id": 22, "name": "Globex", "commercial_partner_id": m2o(22, "Globex"), "user_id": False,
             "country_id": False, "industry_id": False, "write_date": "2025-01-01 08:00:00"},
            {"id": 23, "name": "Initech", "commercial_partner_id": m2o(23, "Initech"), "user_id": BRAM,
             "country_id": False, "industry_id": False, "write_date": "2025-01-01 08:00:00"},
        ],
        "crm.lead": [
            lead(101, stage_id=WON, probability=100.0, partner_id=m2o(21, "Jan (Acme)"),
                 date_conversion="2025-01-06 09:00:00", date_closed="2025-02-14 15:30:00",
                 write_date="2025-02-14 15:30:00", expected_revenue=12000.0, source_id=m2o(1, "Website"),
                 medium_id=m2o(1, "Website"), campaign_id=m2o(1, "Spring"), country_id=m2o(166, "Netherlands")),
            lead(102, stage_id=PROP, active=False, probability=0.0, partner_id=m2o(22, "Globex"), user_id=BRAM,
                 create_date="2025-01-10 10:00:00", date_closed="2025-02-20 12:00:00",
                 write_date="2025-02-20 12:00:00", expected_revenue=8000.0,
                 lost_reason_id=m2o(1, "Too expensive")),
            lead(103, stage_id=QUAL, probability=30.0, partner_id=m2o(23, "Initech"),
                 create_date="2025-02-03 08:00:00", write_date="2025-02-10 08:00:00", expected_revenue=5000.0,
                 date_deadline="2025-04-30"),
            lead(104, type="lead", user_id=BRAM, create_date="2025-02-05 13:00:00",
                 write_date="2025-02-05 13:00:00", source_id=m2o(2, "LinkedIn"), medium_id=m2o(2, "Cold calling")),
            lead(105, user_id=BRAM, create_date="2025-01-02 09:00:00", date_conversion="2025-01-03 10:00:00",
                 write_date="2025-01-03 10:00:00", expected_revenue=3000.0),
            lead(106, type="lead", active=False, probability=0.0, user_id=False,
                 create_date="2025-01-08 09:00:00", date_closed="2025-01-09 09:00:00",
                 write_date="2025-01-09 09:00:00"),
        ],
        "mail.message": [*messages, *done],
        "mail.tracking.value": list(values),
        "ir.model.fields": [{"id": 900, "model": "crm.lead", "name": "stage_id"}],
        "mail.activity": [
            {"id": 301, "res_model": "crm.lead", "res_id": 103, "activity_type_id": m2o(2, "Call"),
             "user_id": ANNA, "date_deadline": "2025-02-20", "create_date": "2025-02-10 08:00:00",
             "write_date": "2025-02-10 08:00:00"},
            {"id": 302, "res_model": "crm.lead", "res_id": 104, "activity_type_id": m2o(1, "Email"),
             "user_id": BRAM, "date_deadline": "2025-02-07", "create_date": "2025-02-05 13:05:00",
             "write_date": "2025-02-05 13:05:00"},
        ],
        "sale.order": [
            {"id": 801, "name": "S00001", "partner_id": m2o(21, "Jan (Acme)"), "state": "sale",
             "date_order": "2025-02-15 10:00:00", "amount_untaxed": 12000.0, "currency_id": EUR, "user_id": ANNA,
             "opportunity_id": m2o(101, "Deal 101"), "margin": 4000.0, "write_date": "2025-02-15 10:00:00"},
            {"id": 802, "name": "S00002", "partner_id": m2o(23, "Initech"), "state": "draft",
             "date_order": "2025-02-16 10:00:00", "amount_untaxed": 900.0, "currency_id": EUR, "user_id": ANNA,
             "opportunity_id": False, "margin": 0.0, "write_date": "2025-02-16 10:00:00"},
        ],
    }


@pytest.fixture
def odoo():
    with FakeOdoo(odoo_data()) as fake:
        yield fake


def pull(fake, page_size=500, key=KEY, said=None, warnings=None):
    say = said.append if said is not None else (lambda _: None)
    return lambda m: pull_odoo(Odoo(fake.url, DB, LOGIN, key, say, page_size), m, TZ, warnings)


def changed_pages(fake, model):
    """The incremental reads of model (the others read records by id)."""
    return [c for c in fake.calls(model) if c["kw"].get("order") == "write_date asc, id asc"]


def rows(ws, table, order):
    with ws.reader() as con:
        cur = con.execute(f"SELECT * FROM {table} ORDER BY {order}")
        names = [d[0] for d in cur.description]
        return [{k: (str(v) if v is not None else None) for k, v in zip(names, r)} for r in cur.fetchall()]


def pick(ws, table, order, *cols):
    return [tuple(r[c] for c in cols) for r in rows(ws, table, order)]


def test_a_first_sync_lands_every_table(tmp_ws, odoo):
    said = []
    done = run_sync(tmp_ws, "odoo", pull(odoo, said=said))
    assert done.result.rejected == 0, (done.result.rejects_path and done.result.rejects_path.read_text())
    assert any(s.startswith("read ") and "crm.lead" in s for s in said)
    # stored timestamps are UTC
    assert pick(tmp_ws, "reps", "rep_id", "rep_id", "name", "email", "team", "role", "manager_id", "hired_on",
                "left_on") == [
        ("2", "Mitchell Admin", "admin@example.com", "Sales", "sales_manager", None, "2024-01-01", None),
        ("6", "Anna de Vries", "anna@example.com", "Sales", None, "2", "2024-02-01", None),
        ("7", "Bram Jansen", "bram@example.com", "Sales", None, "2", "2024-03-02", None),  # local day
    ]
    assert pick(tmp_ws, "stages", "sequence", "stage", "sequence", "probability", "kind") == [
        ("New", "1", None, "open"), ("Qualified", "2", None, "open"), ("Proposition", "3", None, "open"),
        ("Won", "4", "100.0", "won"), ("Lost", "5", "0.0", "lost"),
    ]
    assert pick(tmp_ws, "opportunities", "opportunity_id", "opportunity_id", "lead_id", "customer_id",
                "owner_id", "created_at", "closed_at", "status", "stage", "amount", "currency", "probability",
                "expected_close_on", "source", "campaign", "lost_reason") == [
        ("101", None, "20", "6", "2025-01-06 09:00:00", "2025-02-14 15:30:00", "won", "Won", "12000.0", "EUR",
         "100.0", None, "Website", "Spring", None),
        ("102", None, None, "7", "2025-01-10 10:00:00", "2025-02-20 12:00:00", "lost", "Lost", "8000.0", "EUR",
         "0.0", None, None, None, "Too expensive"),
        ("103", None, None, "6", "2025-02-03 08:00:00", None, "open", "Qualified", "5000.0", "EUR", "30.0",
         "2025-04-30", None, None, None),
        ("105", "105", None, "7", "2025-01-03 10:00:00", None, "open", "New", "3000.0", "EUR", "10.0",
         None, None, None, None),
    ]
    assert pick(tmp_ws, "leads", "lead_id", "lead_id", "created_at", "owner_id", "source", "channel",
                "qualified_at", "first_response_at", "converted_at", "disqualified_at") == [
        ("104", "2025-02-05 13:00:00", "7", "LinkedIn", "outbound", None, "2025-02-06 09:00:00", None, None),
        ("105", "2025-01-02 09:00:00", "7", None, None, "2025-01-03 10:00:00", None, "2025-01-03 10:00:00", None),
        ("106", "2025-01-08 09:00:00", None, None, None, None, None, None, "2025-01-09 09:00:00"),
    ]
    assert pick(tmp_ws, "stage_history", "opportunity_id, entered_at", "opportunity_id", "stage", "entered_at") == [
        ("101", "New", "2025-01-06 09:00:00"), ("101", "Qualified", "2025-01-20 10:00:00"),
        ("101", "Proposition", "2025-02-01 11:00:00"), ("101", "Won", "2025-02-14 15:30:00"),
        ("102", "New", "2025-01-10 10:00:00"), ("102", "Proposition", "2025-01-15 10:00:00"),
        ("102", "Lost", "2025-02-20 12:00:00"),
        ("103", "Qualified", "2025-02-03 08:00:00"),  # no tracking: the import's generated row
        ("105", "New", "2025-01-03 10:00:00"),
    ]
    assert pick(tmp_ws, "activities", "activity_id", "activity_id", "owner_id", "type", "lead_id",
                "opportunity_id", "due_at", "done_at") == [
        ("act301", "6", "call", None, "103", "2025-02-20 22:59:59", None),  # end of the local due day
        ("act302", "7", "email", "104", None, "2025-02-07 22:59:59", None),
        ("msg601", "6", "meeting", None, "101", None, "2025-02-10 14:00:00"),
        ("msg602", "7", "email", "104", None, None, "2025-02-06 09:00:00"),
    ]
    assert pick(tmp_ws, "customers", "customer_id", "customer_id", "name", "acquired_on", "owner_id", "region",
                "industry", "source") == [
        ("20", "Acme BV", "2025-02-14", None, "Netherlands", "Manufacturing", "Website"),
    ]
    assert pick(tmp_ws, "orders", "order_id", "order_id", "customer_id", "opportunity_id", "ordered_on", "amount",
                "currency", "cost", "owner_id") == [
        ("so801", "20", "101", "2025-02-15", "12000.0", "EUR", "8000.0", "6"),
    ]
    assert markers(tmp_ws, "odoo")["crm.lead"] == "2025-02-20 12:00:00"


def test_a_second_run_without_changes_writes_nothing(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    before = tmp_ws.counts()
    again = run_sync(tmp_ws, "odoo", pull(odoo))
    assert again.result.written == 0 and again.result.rejected == 0
    assert tmp_ws.counts() == before
    # from the marker (the highest write_date seen) less the 10 minutes overlap
    assert ["write_date", ">=", "2025-02-20 11:50:00"] in changed_pages(odoo, "crm.lead")[-1]["domain"]


def test_a_changed_lead_syncs_alone_and_pages_are_all_read(tmp_ws, odoo):
    first = run_sync(tmp_ws, "odoo", pull(odoo, page_size=2))
    assert first.read["crm.lead"] == 6
    pages = changed_pages(odoo, "crm.lead")
    assert len(pages) == 4 and all(c["kw"]["limit"] == 2 for c in pages)  # 2 + 2 + 2 + an empty page
    assert all(c["kw"]["context"] == {"active_test": False} for c in pages)

    odoo.log.clear()
    odoo.put("crm.lead", {"id": 103, "stage_id": PROP, "probability": 50.0, "write_date": "2025-03-01 09:00:00"})
    message, value = tracking(505, 705, 103, "2025-03-01 09:00:00", 2, 3)
    odoo.put("mail.message", message)
    odoo.put("mail.tracking.value", value)
    second = run_sync(tmp_ws, "odoo", pull(odoo, page_size=2))
    first_page = changed_pages(odoo, "crm.lead")[0]
    assert ["write_date", ">=", "2025-02-20 11:50:00"] in first_page["domain"]
    assert second.read["crm.lead"] == 2  # 103, and 102 written at the marker
    written = {t.table: t.written for t in second.result.tables}
    assert written["opportunities"] == 1 and "leads" not in written and written["reps"] == 0
    assert pick(tmp_ws, "opportunities", "opportunity_id", "opportunity_id", "stage", "probability")[2] == (
        "103", "Proposition", "50.0")
    history = pick(tmp_ws, "stage_history", "entered_at", "opportunity_id", "stage", "entered_at")
    assert [h for h in history if h[0] == "103"] == [
        ("103", "Qualified", "2025-02-03 08:00:00"), ("103", "Proposition", "2025-03-01 09:00:00")]
    assert markers(tmp_ws, "odoo")["crm.lead"] == "2025-03-01 09:00:00"


def test_a_failure_on_page_two_writes_nothing_and_the_next_run_catches_up(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    odoo.put("crm.lead", {"id": 103, "stage_id": PROP, "write_date": "2025-03-01 09:00:00"})
    odoo.put("crm.lead", {"id": 105, "expected_revenue": 3500.0, "write_date": "2025-03-02 09:00:00"})
    before, marks = tmp_ws.counts(), markers(tmp_ws, "odoo")
    snapshot = rows(tmp_ws, "opportunities", "opportunity_id")

    def second_page(model, method, domain, kw, log):
        pages = [c for c in log if c["model"] == "crm.lead" and c["method"] == "search_read"
                 and c["kw"].get("order") == "write_date asc, id asc"]
        if model == "crm.lead" and len(pages) == 2:
            return xmlrpc.client.Fault(1, "psycopg2.OperationalError: server closed the connection unexpectedly")
        return None

    odoo.fail = second_page
    with pytest.raises(SyncError, match="reading crm.lead"):
        run_sync(tmp_ws, "odoo", pull(odoo, page_size=1))
    assert tmp_ws.counts() == before and markers(tmp_ws, "odoo") == marks
    assert rows(tmp_ws, "opportunities", "opportunity_id") == snapshot
    assert sync_log(tmp_ws)[0]["status"] == "failed"

    odoo.fail = None
    run_sync(tmp_ws, "odoo", pull(odoo, page_size=1))
    assert pick(tmp_ws, "opportunities", "opportunity_id", "opportunity_id", "stage", "amount")[2:] == [
        ("103", "Proposition", "5000.0"), ("105", "New", "3500.0")]
    assert markers(tmp_ws, "odoo")["crm.lead"] == "2025-03-02 09:00:00"


def test_an_http_error_in_a_later_model_writes_nothing_either(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    before, marks = tmp_ws.counts(), markers(tmp_ws, "odoo")
    odoo.put("crm.lead", {"id": 103, "stage_id": PROP, "write_date": "2025-03-01 09:00:00"})

    def gateway(model, method, domain, kw, log):
        if model == "sale.order" and method == "search_read":
            raise HttpError("502 Bad Gateway")

    odoo.fail = gateway
    with pytest.raises(SyncError, match="reading sale.order: HTTP 500"):
        run_sync(tmp_ws, "odoo", pull(odoo))
    assert tmp_ws.counts() == before and markers(tmp_ws, "odoo") == marks
    assert pick(tmp_ws, "opportunities", "opportunity_id", "opportunity_id", "stage")[2] == ("103", "Qualified")


def test_a_dropped_connection_is_a_sync_error(tmp_ws, odoo):
    odoo.server.shutdown()
    odoo.server.server_close()
    with pytest.raises(SyncError, match="failed while logging in"):
        run_sync(tmp_ws, "odoo", pull(odoo))
    assert tmp_ws.counts() == {t: 0 for t in tmp_ws.counts()}


def test_a_done_activity_closes_its_open_row_and_a_cancelled_one_stops_being_due(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    # 301 is done (Odoo deletes it and posts a message), 302 is cancelled (deleted)
    del odoo.store["mail.activity"][301]
    del odoo.store["mail.activity"][302]
    odoo.put("mail.message", {"id": 610, "model": "crm.lead", "res_id": 103, "date": "2025-02-19 10:00:00",
                              "write_date": "2025-02-19 10:00:00", "author_id": m2o(10, "Anna de Vries"),
                              "mail_activity_type_id": m2o(2, "Call"), "tracking_value_ids": []})
    run_sync(tmp_ws, "odoo", pull(odoo))
    got = pick(tmp_ws, "activities", "activity_id", "activity_id", "type", "due_at", "done_at")
    assert got[:2] == [("act301", "call", "2025-02-20 22:59:59", "2025-02-19 10:00:00"),
                       ("act302", "email", None, None)]
    assert "msg610" not in [g[0] for g in got]
    # the done message, read again in the marker's second, is not counted twice
    again = run_sync(tmp_ws, "odoo", pull(odoo))
    assert again.result.written == 0
    assert "msg610" not in [g[0] for g in pick(tmp_ws, "activities", "activity_id", "activity_id")]


def test_a_newly_done_activity_gives_an_unchanged_lead_its_first_response(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    odoo.put("mail.message", {"id": 620, "model": "crm.lead", "res_id": 105, "date": "2025-03-03 08:00:00",
                              "write_date": "2025-03-03 08:00:00", "author_id": m2o(11, "Bram Jansen"),
                              "mail_activity_type_id": m2o(2, "Call"), "tracking_value_ids": []})
    again = run_sync(tmp_ws, "odoo", pull(odoo))
    assert {t.table: t.written for t in again.result.tables}["leads"] == 1
    assert pick(tmp_ws, "leads", "lead_id", "lead_id", "first_response_at")[1] == ("105", "2025-03-03 08:00:00")
    assert pick(tmp_ws, "activities", "activity_id", "activity_id", "opportunity_id", "done_at")[-1] == (
        "msg620", "105", "2025-03-03 08:00:00")
    again = run_sync(tmp_ws, "odoo", pull(odoo))
    assert again.result.written == 0
    assert "msg610" not in [g[0] for g in pick(tmp_ws, "activities", "activity_id", "activity_id")]


def test_invoices_stand_in_for_sales_orders_and_a_missing_app_is_skipped(tmp_ws):
    data = odoo_data()
    del data["sale.order"]
    data["account.move"] = [
        {"id": 901, "name": "INV/2025/0001", "partner_id": m2o(21, "Jan (Acme)"), "move_type": "out_invoice",
         "state": "posted", "invoice_date": "2025-02-16", "amount_untaxed": 12000.0, "currency_id": EUR,
         "invoice_user_id": ANNA, "write_date": "2025-02-16 10:00:00"},
        {"id": 902, "name": "RINV/2025/0001", "partner_id": m2o(21, "Jan (Acme)"), "move_type": "out_refund",
         "state": "posted", "invoice_date": "2025-02-18", "amount_untaxed": 500.0, "currency_id": EUR,
         "invoice_user_id": ANNA, "write_date": "2025-02-18 10:00:00"},
    ]
    warnings = []
    with FakeOdoo(data) as fake:
        done = run_sync(tmp_ws, "odoo", pull(fake, warnings=warnings))
    assert done.result.rejected == 0
    assert warnings == ["no sales orders (Odoo has no model sale.order: is its app installed?): reading invoices"]
    assert pick(tmp_ws, "orders", "order_id", "order_id", "customer_id", "ordered_on", "amount") == [
        ("inv901", "20", "2025-02-16", "12000.0"), ("inv902", "20", "2025-02-18", "-500.0")]

    del data["account.move"]
    warnings.clear()
    with FakeOdoo(data) as fake:
        done = run_sync(tmp_ws, "odoo", pull(fake, warnings=warnings))
    assert "no orders" in warnings[-1] and done.result.rejected == 0


def test_without_access_to_tracking_values_opportunities_get_their_generated_history(tmp_ws, odoo):
    def refuse(model, method, domain, kw, log):
        if model == "mail.tracking.value" and method == "search_read":
            return xmlrpc.client.Fault(4, "You are not allowed to access 'Tracking Value' (mail.tracking.value) "
                                          "records.\n\nThis operation is allowed for the following groups:\n"
                                          "\t- Administration/Settings")
        return None

    odoo.fail = refuse
    warnings = []
    done = run_sync(tmp_ws, "odoo", pull(odoo, warnings=warnings))
    assert done.result.rejected == 0
    assert warnings and warnings[0].startswith("no stage history (the Odoo user may not read mail.tracking.value")
    assert pick(tmp_ws, "stage_history", "opportunity_id, entered_at", "opportunity_id", "stage", "entered_at")[:3] == [
        ("101", "Won", "2025-01-06 09:00:00"),
        ("102", "Proposition", "2025-01-10 10:00:00"), ("102", "Lost", "2025-02-20 12:00:00")]


def test_the_command_line_bad_credentials_exit_3_without_the_key(tmp_ws, odoo, monkeypatch):
    monkeypatch.setenv("KOERS_ODOO_API_KEY", "wrong-key-123")
    args = ["sync", "odoo", "--url", odoo.url, "--db", DB, "--user", LOGIN, "--workspace", tmp_ws.url]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 3, res.output
    assert "Odoo refused login" in res.output and LOGIN in res.output and DB in res.output
    assert "wrong-key-123" not in res.output

    monkeypatch.setenv("KOERS_ODOO_API_KEY", KEY)
    del odoo.store["sale.order"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert KEY not in res.output
    assert "warning: no sales orders" in res.output
    res = CliRunner().invoke(app, ["sync", "log", "--source", "odoo", "--workspace", tmp_ws.url, "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()[1:]
    assert any(",odoo," in line and ",opportunities,4,4,0," in line and ",ok," in line for line in lines)
    assert any(",failed," in line and "Odoo refused login" in line for line in lines)
    assert all(KEY not in line for line in lines)


def test_kpis_after_a_sync(tmp_ws, odoo):
    run_sync(tmp_ws, "odoo", pull(odoo))
    settings = tmp_ws.settings()
    from koers.engines import close, connect

    con = connect(tmp_ws)
    try:
        result = compute(con, settings, ["win_rate", "won_value"], parse_spec("2025-02", "month"), (), {},
                         parse_instant("2025-03-01T00:00:00", settings.tz))
    finally:
        close(con)
    got = {r["kpi"]: r for r in result.rows.to_dict("records")}
    assert got["won_value"]["value"] == 12000
    assert got["win_rate"]["value"] == 0.5
    assert (got["win_rate"]["numerator"], got["win_rate"]["denominator"]) == (1, 2)


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, "open"),
    ({"stage_id": WON, "probability": 100.0}, "won"),
    ({"active": False, "probability": 0.0}, "lost"),
    ({"stage_id": WON, "active": False, "probability": 0.0}, "lost"),  # Odoo lets a deal be lost in a won stage
    ({"active": False, "probability": 20.0}, "open"),  # archived, not lost
])
def test_status_as_odoo_reads_it(changes, expected):
    assert odoo_rows.status(lead(1, **changes), {4}) == expected


@pytest.mark.parametrize(("name", "category", "expected"), [
    ("Call", "phonecall", "call"), ("Bellen", "default", "call"), ("Email", "default", "email"),
    ("E-mail", "default", "email"), ("Meeting", "meeting", "meeting"), ("Afspraak", "default", "meeting"),
    ("Offerte opvolgen", "default", "quote"), ("Order Upsell", "default", "quote"), ("To-Do", "default", "other"),
    ("Upload Document", "upload_file", "other"),
])
def test_activity_types(name, category, expected):
    assert odoo_rows.activity_type({"name": name, "category": category}) == expected


def test_an_opportunity_without_salesperson_goes_to_its_team_leader(tmp_ws, odoo):
    public = m2o(4, "Public user")  # a web form's creator: a portal user, no rep
    odoo.put("crm.lead", lead(107, user_id=False, create_uid=public, write_date="2025-02-21 08:00:00"))
    odoo.put("crm.lead", lead(108, type="lead", user_id=False, team_id=False, create_uid=public,
                              write_date="2025-02-21 08:00:00"))
    done = run_sync(tmp_ws, "odoo", pull(odoo))
    assert done.result.rejected == 0
    assert pick(tmp_ws, "opportunities", "opportunity_id", "opportunity_id", "owner_id")[-1] == ("107", "2")
    assert pick(tmp_ws, "leads", "lead_id", "lead_id", "owner_id")[-1] == ("108", None)
    assert "4" not in [r[0] for r in pick(tmp_ws, "reps", "rep_id", "rep_id")]


def test_odoo_16_tracking_values_name_their_field_field(tmp_ws):
    data = odoo_data()
    for v in data["mail.tracking.value"]:
        v["field"] = v.pop("field_id")  # Odoo 14 to 16; field_id from Odoo 17
    with FakeOdoo(data) as fake:
        run_sync(tmp_ws, "odoo", pull(fake))
    assert [h for h in pick(tmp_ws, "stage_history", "entered_at", "opportunity_id", "stage") if h[0] == "101"] == [
        ("101", "New"), ("101", "Qualified"), ("101", "Proposition"), ("101", "Won")]
