"""`koers alerts send`: the firing figures mailed to whom they concern, once
per period, through a mail server (tests/smtp_stub.py) or into an outbox.

The golden workspace's rule `behind` (won value by rep worse than target)
fires at 1 April 2025 for March's Anna Jansen (R1: 10,000 against 15,000)
and Bram de Vries (R2: 2,250 against 5,000), as tests/test_alerts.py
derives. Bram reports to Anna, Anna to Eva Visser (R5), reps.csv says."""

from __future__ import annotations

import email
import os
import shutil
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from koers.cli import app
from koers.importers.canonical import import_folder
from koers.store import Workspace
from tests.conftest import GOLDEN
from tests.smtp_stub import SmtpStub

runner = CliRunner()
APRIL = "2025-04-01T00:00:00+02:00"


@pytest.fixture(scope="module")
def golden_ws(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("mail") / "ws.duckdb")
    assert import_folder(Workspace.open(path), GOLDEN).rejected == 0
    return path


@pytest.fixture
def ws(golden_ws, tmp_path, monkeypatch) -> str:
    """A copy of the golden workspace with the rule `behind`, and no mail
    server but what a test names (not the credentials of whoever runs them)."""
    for k in list(os.environ):
        if k.startswith("KOERS_SMTP_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("KOERS_CONFIG", str(tmp_path / "no-credentials.toml"))
    copy = str(tmp_path / "ws.duckdb")
    shutil.copy(golden_ws, copy)
    result = koers("alerts", "add", "behind", "won_value", "--worse-than", "target", "--by", "owner", "-w", copy)
    assert result.exit_code == 0, result.output
    return copy


def koers(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def send(ws: str, *args: str, env: dict[str, str] | None = None):
    return koers("alerts", "send", "--as-of", APRIL, *args, "-w", ws, env=env)


def test_each_figure_goes_to_whom_it_concerns_once_per_period(ws):
    with SmtpStub(user="koers", password="s3cret") as smtp:
        result = send(ws, "--to", "boss@example.nl", "--reps", "--managers", "--link", "http://cockpit:8000/",
                      env=smtp.env())
        assert result.exit_code == 0, result.output
        assert smtp.logins == ["koers"]
        got = {m.recipients[0]: m for m in smtp.received}
        # boss: every figure; each rep their own; a manager those of the reps reporting to them
        assert sorted(got) == ["anna@example.nl", "boss@example.nl", "bram@example.nl", "eva@example.nl"]
        told = {to: [line for line in m.text().splitlines() if line.startswith("- ")] for to, m in got.items()}
        anna = "- Anna Jansen: €10,000.00; its target: €15,000.00; worse by 33.3%"
        bram = "- Bram de Vries: €2,250.00; its target: €5,000.00; worse by 55.0%"
        assert told == {"boss@example.nl": [anna, bram], "anna@example.nl": [anna, bram],
                        "bram@example.nl": [bram], "eva@example.nl": [anna]}
        assert got["bram@example.nl"].message["To"] == "Bram de Vries <bram@example.nl>"
        assert got["boss@example.nl"].message["Subject"] == "Koers: 2 alerts (2025-04-01)"
        assert got["boss@example.nl"].message["From"] == "Koers <koers@example.nl>"
        text, page = got["eva@example.nl"].text(), got["eva@example.nl"].html()
        assert "Closed won value by rep, the last complete month: worse than its target (2025-03)" in text
        link = ("http://cockpit:8000/kpi/won_value/drill?period=2025-03&lang=en&as_of=2025-04-01T00%3A00%3A00%2B02%3A00"
                "&m_owner=R1")
        assert link in text and f'<a href="{link.replace("&", "&amp;")}">€10,000.00</a>' in page
        assert "http://cockpit:8000/alerts?lang=en" in text

        # told once: a second run sends nothing, a new address gets every figure, --again sends again
        again = send(ws, "--to", "boss@example.nl", "--reps", "--managers", env=smtp.env())
        assert again.exit_code == 0 and len(smtp.received) == 4
        assert "nothing to send: 2 alert(s) fire, each already mailed" in again.output
        send(ws, "--to", "Boss@Example.nl,cro@example.nl", env=smtp.env())
        assert [m.recipients for m in smtp.received[4:]] == [["cro@example.nl"]]
        assert send(ws, "--to", "boss@example.nl", "--again", env=smtp.env()).exit_code == 0
        assert [m.recipients for m in smtp.received[5:]] == [["boss@example.nl"]]
        # a rule replaced under its name tells its figures anew
        koers("alerts", "add", "behind", "won_value", "--worse-than", "target", "--by-more-than", "40%", "--by", "owner",
              "--replace", "-w", ws)
        assert send(ws, "--to", "boss@example.nl", env=smtp.env()).exit_code == 0
        assert [line for line in smtp.received[6].text().splitlines() if line.startswith("- ")] == [bram]
        # a new rule's figure goes out beside those told; May's check looks at April, a period of its own
        koers("alerts", "add", "co-won", "won_value", "--below", "1000000", "-w", ws)
        assert send(ws, "--to", "boss@example.nl", env=smtp.env()).exit_code == 0
        may = koers("alerts", "send", "--as-of", "2025-05-01T00:00", "--to", "boss@example.nl", "-w", ws,
                    env=smtp.env())
        assert may.exit_code == 0, may.output
        assert [[line for line in m.text().splitlines() if "(2025-" in line] for m in smtp.received[7:]] == [
            ["Closed won value, the last complete month: below €1,000,000.00 (2025-03)"],
            ["Closed won value, the last complete month: below €1,000,000.00 (2025-04)"]]


def test_the_link_opens_the_figure_s_records(ws):
    from fastapi.testclient import TestClient

    from koers.web.app import create_app

    outbox = os.path.dirname(ws) + "/outbox"
    assert send(ws, "--to", "boss@example.nl", "--link", "http://cockpit", "--outbox", outbox).exit_code == 0
    [eml] = sorted(os.listdir(outbox))
    message = email.message_from_bytes(open(f"{outbox}/{eml}", "rb").read())
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    url = urlsplit(next(line.strip() for line in text.splitlines() if "m_owner=R2" in line))
    with TestClient(create_app(ws)) as c:
        page = c.get(f"{url.path}?{url.query}")
        assert page.status_code == 200, page.text
        assert "Bram de Vries" in page.text and "€2,250.00" in page.text


def test_the_outbox_takes_the_mails_as_files_and_counts_them_sent(ws, tmp_path):
    outbox = tmp_path / "outbox"
    result = send(ws, "--to", "boss@example.nl", "--reps", "--lang", "nl", "--outbox", str(outbox),
                  env={"KOERS_SMTP_FROM": "Sales Ops <ops@example.nl>"})  # (the server's From, no server needed)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in outbox.iterdir()) == ["0001-boss@example.nl.eml",
                                                         "0002-Anna_Jansen__anna@example.nl_.eml",
                                                         "0003-Bram_de_Vries__bram@example.nl_.eml"]
    message = email.message_from_bytes((outbox / "0002-Anna_Jansen__anna@example.nl_.eml").read_bytes())
    assert message["Subject"] == "Koers: 1 signaal (2025-04-01)" and message["From"] == "Sales Ops <ops@example.nl>"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Hallo Anna Jansen," in text and "- Anna Jansen: € 10.000,00; het target: € 15.000,00" in text.replace(
        "\xa0", " ")
    assert "nothing to send" in send(ws, "--to", "boss@example.nl", "--outbox", str(outbox)).output
    assert len(list(outbox.iterdir())) == 3


def test_a_failed_send_says_why_and_records_only_what_went(ws):
    with SmtpStub(user="koers", password="s3cret", refuse={"bram@example.nl"}) as smtp:
        wrong = send(ws, "--to", "boss@example.nl", env=smtp.env(KOERS_SMTP_PASSWORD="wrong"))
        assert wrong.exit_code == 1
        assert f"the mail server 127.0.0.1:{smtp.port} refused the login of koers: 535" in wrong.output
        assert not smtp.received
        # one refused mailbox keeps no one else's mail back: boss and Bram come after Anna
        smtp.refuse = {"anna@example.nl"}
        refused = send(ws, "--to", "boss@example.nl", "--reps", env=smtp.env())
        assert refused.exit_code == 1, refused.output
        said = " ".join(refused.output.split())
        assert "refused anna@example.nl (550 no mailbox anna@example.nl)" in said and "sent 2 mail(s)" in said
        assert [m.recipients for m in smtp.received] == [["boss@example.nl"], ["bram@example.nl"]]
        # theirs were recorded as sent, Anna's was not: once the server takes it, it goes, and theirs not again
        smtp.refuse.clear()
        assert send(ws, "--to", "boss@example.nl", "--reps", env=smtp.env()).exit_code == 0
        assert [m.recipients for m in smtp.received[2:]] == [["anna@example.nl"]]
        # a server that offers no STARTTLS, asked for it
        tls = send(ws, "--to", "x@example.nl", "--again", env=smtp.env(KOERS_SMTP_SECURITY="starttls"))
        assert tls.exit_code == 1 and "does not offer STARTTLS: set KOERS_SMTP_SECURITY=ssl" in " ".join(
            tls.output.split())
    unreachable = send(ws, "--to", "boss@example.nl", "--again", env=smtp.env())
    assert unreachable.exit_code == 1 and f"could not reach the mail server 127.0.0.1:{smtp.port}" in unreachable.output


@pytest.mark.parametrize("args, env, said", [
    (["--to", "boss@example.nl"], {}, "no mail server set: set KOERS_SMTP_HOST and KOERS_SMTP_FROM"),
    ([], {"KOERS_SMTP_HOST": "h", "KOERS_SMTP_FROM": "k@example.nl"}, "say whom to tell: --to"),
    (["--to", "boss@example.nl,nobody"], {}, "--to: nobody is no mail address"),
    (["--to", "b@example.nl", "--link", "cockpit:8000"], {}, "--link is the cockpit's address"),
    (["--to", "b@example.nl", "--link", "http://"], {}, "--link is the cockpit's address"),
    (["--to", "b@example.nl", "--link", "http://k:8000/?x=1"], {}, "without a query or fragment"),
    (["--to", "jürgen@müller.nl"], {}, "has letters beyond ASCII"),
    (["--to", "b@example.nl", "--outbox", "ws.duckdb"], {}, "--outbox ws.duckdb: cannot make a folder there"),
    (["--to", "b@example.nl"], {"KOERS_SMTP_HOST": "h", "KOERS_SMTP_FROM": "k@example.nl", "KOERS_SMTP_PORT": "x"},
      "KOERS_SMTP_PORT (or port under [smtp]) is a number from 1 to 65535, not 'x'"),
    (["--to", "b@example.nl"], {"KOERS_SMTP_HOST": "h", "KOERS_SMTP_FROM": "k@example.nl", "KOERS_SMTP_PORT": "99999"},
     "is a number from 1 to 65535, not '99999'"),
    (["--to", "b@example.nl"], {"KOERS_SMTP_HOST": "h", "KOERS_SMTP_FROM": "k@example.nl",
                                "KOERS_SMTP_SECURITY": "tls"}, "is one of starttls, ssl, none, not 'tls'"),
    (["--to", "b@example.nl", "nope"], {"KOERS_SMTP_HOST": "h", "KOERS_SMTP_FROM": "k@example.nl"},
     "no rule named nope; the rules: behind"),
])
def test_usage_errors_say_what_to_set(ws, args, env, said, monkeypatch):
    monkeypatch.chdir(os.path.dirname(ws))  # where ws.duckdb is a file
    result = send(ws, *args, env=env)
    assert result.exit_code == 2 and said in result.output.replace("\n", " "), result.output


def test_the_server_may_be_set_in_the_credentials_file(ws, tmp_path, monkeypatch):
    with SmtpStub(user="koers", password="from-file") as smtp:
        config = tmp_path / "credentials.toml"
        config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
                          f'from = "koers@example.nl"\nuser = "koers"\npassword = "from-file"\n')
        monkeypatch.setenv("KOERS_CONFIG", str(config))
        config.chmod(0o644)
        shared = send(ws, "--to", "boss@example.nl")
        assert shared.exit_code == 2 and "can be read by others" in shared.output and not smtp.received
        config.chmod(0o600)
        assert send(ws, "--to", "boss@example.nl").exit_code == 0
        assert smtp.logins == ["koers"] and smtp.received[0].recipients == ["boss@example.nl"]


def test_what_was_mailed_is_kept_in_a_spark_and_a_postgresql_workspace_too(tmp_path):
    from datetime import datetime

    from koers import alert_mail, alerts
    from tests.conftest import pg_server

    rule = alerts.make_rule("behind", "won_value", worse_than="target", by=["owner"])
    figure = alert_mail.Figure(rule, {"owner": "R1"}, "2025-03", '{"owner": "R1"}')
    other = alert_mail.Figure(rule, {"owner": "R2"}, "2025-03", '{"owner": "R2"}')
    for url in (f"spark:{tmp_path / 'ws'}", pg_server().new_database()):
        ws = Workspace.open(url)
        mails = [alert_mail.Mail("boss@example.nl", None, [figure, other])]
        alert_mail.record(ws, [alert_mail.Mail("Boss@example.nl", None, [figure])], datetime(2025, 4, 1, 6))
        [left] = alert_mail.unsent(Workspace.open(url), mails)
        assert left.figures == [other]


def test_a_rep_is_mailed_while_employed_at_a_valid_address_and_no_figure_goes_untold_unsaid():
    """alert_mail.addressed on the golden reps, checked on 2025-09-10: Bram
    (R2) left on 09-01; Carla (R3) has no email, Daan (R4, here still
    employed) one that is none;
    Anna (R1) and Eva (R5) are mailed. A team's figure concerns no rep."""
    from datetime import date

    import pandas as pd

    from koers import alert_mail, alerts

    people = pd.read_csv(GOLDEN / "reps.csv", dtype=str)
    people.loc[people["rep_id"] == "R3", "email"] = None
    people.loc[people["rep_id"] == "R4", ["email", "left_on"]] = ["daan@example.nl, ceo@example.nl", None]
    rule = alerts.make_rule("r", "won_value", below="1000", by=["owner"])
    teams = alerts.make_rule("t", "won_value", below="1000", by=["team"])
    figures = [alert_mail.Figure(rule, {"owner": r}, "2025-08", f'{{"owner": "{r}"}}') for r in ("R1", "R2", "R3", "R4")]
    figures.append(alert_mail.Figure(teams, {"team": "North"}, "2025-08", '{"team": "North"}'))
    whom = alert_mail.addressed(figures, [], people, reps=True, managers=True, today=date(2025, 9, 10))
    got = {m.address: [f.rec.get("owner") for f in m.figures] for m in whom.mails}
    # Anna her own and Bram's (he reported to her); Eva those of Anna, Carla and Daan, who report to her
    assert got == {"anna@example.nl": ["R1", "R2"], "eva@example.nl": ["R1", "R3", "R4"]}
    assert whom.warnings == ["rep R2 (Bram de Vries) left on 2025-09-01: not mailed",
                             "rep R3 (Carla Smit) has no email: not mailed",
                             "rep R4 (Daan Bakker) has no valid email ('daan@example.nl, ceo@example.nl'): not mailed"]
    assert [f.rule.name for f in whom.untold] == ["t"]


def test_a_name_with_a_comma_or_quotes_stays_one_recipient():
    from email import message_from_bytes, policy
    from email.utils import getaddresses

    from koers.mail import message

    m = message("koers@example.nl", [("Peeters, Jöris", "joris@example.nl"), ('Bram <b> & "de" Böer', "b@example.nl")],
                "s", "t", "<p>h</p>")
    back = message_from_bytes(bytes(m), policy=policy.compat32)
    assert [a for _, a in getaddresses([str(back["To"])])] == ["joris@example.nl", "b@example.nl"]
    assert message_from_bytes(bytes(m), policy=policy.default)["To"].addresses[0].display_name == "Peeters, Jöris"
