"""Alerts by mail: the figures `koers alerts check` finds firing, each told
to whom it concerns (the addresses asked for: every figure; with `reps`, a
rep the figures about the rep; with `managers`, a rep's manager those of
the reps who report to them), once per period: what was mailed to whom is
kept in the workspace (`koers_alert_mail`), so a daily scheduled send tells
a figure the day it first fires and not again for the same period (unless
its rule is replaced by another under the same name).

A mail says each rule in words, and per figure its value, what it was set
against and by how much it is worse, in the same words and formats as the
alerts page; given the cockpit's address, each figure links to the records
behind it as of the moment checked."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from urllib.parse import urlencode

import pandas as pd

from koers import alerts, output
from koers.alerts import Rule
from koers.datalog import local_instant
from koers.kpis.drill import MATCH_PREFIX

TABLE = "koers_alert_mail"


@dataclass(frozen=True)
class Figure:
    """One firing figure: its rule, its row of check(), its period's label and its key (the scope's values)."""
    rule: Rule
    rec: dict = field(hash=False, compare=False)
    period: str = ""
    key: str = ""

    @property
    def owner(self) -> str | None:
        v = self.rec.get("owner") if "owner" in self.rule.scope() else None
        return None if output.missing(v) else str(v)


@dataclass
class Mail:
    """The figures one recipient is told."""
    address: str
    name: str | None
    figures: list[Figure]


def figures(checked: alerts.Checked, rules: list[Rule], moment: datetime, tz) -> list[Figure]:
    by_name = {r.name: r for r in rules}
    found = []
    for rec in checked.fired.to_dict("records"):
        rule = by_name[rec["rule"]]
        scope = {d: (None if output.missing(rec.get(d)) else str(rec.get(d))) for d in rule.scope()}
        found.append(Figure(rule, rec, rule.period(moment, tz).label, json.dumps(scope, sort_keys=True)))
    return found


@dataclass
class Addressed:
    mails: list[Mail]
    warnings: list[str]  # reps left out, and why
    untold: list[Figure]  # figures no one asked for is told


def addressed(found: list[Figure], to: list[str], people: pd.DataFrame, reps: bool, managers: bool,
              today: date) -> Addressed:
    """Who is told what: every address of `to` every figure; with `reps`, a
    rep the figures whose scope is that rep; with `managers`, a rep's
    manager (manager_id) the figures of the reps who report to them. A rep
    is mailed only while employed on `today` (the local day checked) and at
    a valid address; one who is not is named in a warning. An address asked
    for twice gets one mail. `people`: the reps table's rep_id, name, email,
    manager_id, hired_on, left_on."""
    from koers.mail import is_address

    by_id = {r["rep_id"]: r for r in people.to_dict("records")}
    warnings: dict[str, str] = {}

    def email(rep_id) -> tuple[str, str | None] | None:
        rep = by_id.get(rep_id)
        if rep is None:
            return None
        who = f"{rep_id} ({rep.get('name')})" if isinstance(rep.get("name"), str) else str(rep_id)
        left = _day(rep.get("left_on"))
        if left is not None and left <= today:
            warnings[rep_id] = f"rep {who} left on {left}: not mailed"
            return None
        address = rep.get("email").strip() if isinstance(rep.get("email"), str) else ""
        if not address:
            warnings[rep_id] = f"rep {who} has no email: not mailed"
            return None
        if not is_address(address):
            warnings[rep_id] = f"rep {who} has no valid email ('{address}'): not mailed"
            return None
        return address, rep.get("name") if isinstance(rep.get("name"), str) else None

    mails: dict[str, Mail] = {}
    untold = []

    def tell(address: str, name: str | None, figure: Figure) -> None:
        mail = mails.setdefault(address.lower(), Mail(address, name, []))
        if figure not in mail.figures:
            mail.figures.append(figure)

    for figure in found:
        told = bool(to)
        for address in to:
            tell(address, None, figure)
        owner = figure.owner
        if owner is not None and reps and (me := email(owner)):
            tell(*me, figure)
            told = True
        manager = by_id.get(owner, {}).get("manager_id") if owner is not None else None
        if managers and isinstance(manager, str) and (boss := email(manager)):
            tell(*boss, figure)
            told = True
        if not told:
            untold.append(figure)
    return Addressed(list(mails.values()), list(warnings.values()), untold)


def _day(value) -> date | None:
    """A reps date as read (a date, a timestamp, NaT or None) as a date or None."""
    return None if output.missing(value) else pd.Timestamp(value).date()


def definition(rule: Rule) -> str:
    """A short fingerprint of what the rule asks: a rule replaced under the
    same name (another threshold, KPI or split) tells its figures anew."""
    return hashlib.sha256(rule.to_json().encode()).hexdigest()[:16]


def unsent(ws, mails: list[Mail]) -> list[Mail]:
    """The mails with only the figures not yet mailed to their recipient
    (for the same rule as it stands, period and scope); those left with none
    dropped."""
    with ws.meta_reader(TABLE) as con:
        sent = {tuple(r) for r in con.execute(f"SELECT rule, definition, period, figure, lower(recipient) "
                                              f"FROM {TABLE}").fetchall()}
    kept = []
    for mail in mails:
        new = [f for f in mail.figures
               if (f.rule.name, definition(f.rule), f.period, f.key, mail.address.lower()) not in sent]
        if new:
            kept.append(Mail(mail.address, mail.name, new))
    return kept


def record(ws, mails: list[Mail], sent_at: datetime) -> None:
    """Keep what was mailed to whom (sent_at naive UTC)."""
    rows = [[f.rule.name, definition(f.rule), f.period, f.key, m.address, sent_at] for m in mails for f in m.figures]
    if not rows:
        return
    with ws.writer(touches=()) as con:
        con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)", rows)


def drill_url(link: str, figure: Figure, moment: datetime, tz, lang: str) -> str:
    """The web page of the records behind `figure`, as they stood at `moment`."""
    rule = figure.rule
    params = {"period": figure.period, "lang": lang, "as_of": _pinned(moment, tz),
              **{f"{MATCH_PREFIX}{d}": (v or "") for d, v in json.loads(figure.key).items()}}
    return f"{link.rstrip('/')}/kpi/{rule.kpi}/drill?{urlencode(params)}"


def _pinned(moment: datetime, tz) -> str:
    """`moment` as a page's as_of, so a link shows the figures as they were checked."""
    return local_instant(moment, tz).isoformat(timespec="seconds")


def compose(mail: Mail, sender: str, moment: datetime, settings, lang: str, names: dict[str, str],
            link: str | None) -> EmailMessage:
    """The mail of `mail`'s figures, a section per rule, in `lang`;
    `names`: the reps' names by id."""
    from koers.mail import message

    tz, currency = settings.tz, settings.currency
    said = WORDS
    when = local_instant(moment, tz).strftime("%Y-%m-%d %H:%M")
    count = len(mail.figures)
    subject = said["subject"][lang].format(n=count, alerts=said["alert" if count == 1 else "alerts"][lang],
                                           when=when[:10])
    name = alerts.rep_names(names)
    text = [said["hello"][lang].format(name=f" {mail.name}" if mail.name else ""), "",
            said["intro"][lang].format(when=when), ""]
    parts = [f"<p>{html.escape(text[0])}</p><p>{html.escape(text[2])}</p>"]
    rules = list(dict.fromkeys(f.rule for f in mail.figures))
    for rule in rules:
        mine = [f for f in mail.figures if f.rule == rule]
        heading = f"{alerts.describe(rule, lang, currency)} ({mine[0].period})"  # (describe says "so far")
        text += [heading, "-" * min(len(heading), 72)]
        rows = []
        for f in mine:
            who = alerts.scope_text(rule, f.rec, name) or said["company"][lang]
            value = output.format_value(rule.kpi, f.rec["value"], lang, currency)
            against = alerts.against_text(rule, f.rec, lang, currency)
            worse = alerts.worse_text(rule, f.rec, lang, currency)
            url = drill_url(link, f, moment, tz, lang) if link else None
            text.append(f"- {who}: {value}; {against}; {said['worse_by'][lang].lower()} {worse}"
                        + (f"\n  {url}" if url else ""))
            shown = f'<a href="{html.escape(url)}">{html.escape(value)}</a>' if url else html.escape(value)
            rows.append(f"<tr><td>{html.escape(who)}</td><td style=\"text-align:right\">{shown}</td>"
                        f"<td>{html.escape(against)}</td><td style=\"text-align:right\">{html.escape(worse)}</td></tr>")
        text.append("")
        head = "".join(f"<th style=\"text-align:left\">{html.escape(h)}</th>"
                       for h in (said["scope"][lang], said["value"][lang], said["set_against"][lang],
                                 said["worse_by"][lang]))
        parts.append(f"<h3>{html.escape(heading)}</h3><table cellpadding=\"4\"><tr>{head}</tr>{''.join(rows)}</table>")
    if link:
        page = f"{link.rstrip('/')}/alerts?{urlencode({'lang': lang, 'as_of': _pinned(moment, tz)})}"
        text.append(said["page"][lang].format(url=page))
        parts.append(f"<p><a href=\"{html.escape(page)}\">{html.escape(said['page_link'][lang])}</a></p>")
    text.append(said["footer"][lang])
    parts.append(f"<p style=\"color:#666\">{html.escape(said['footer'][lang])}</p>")
    return message(sender, [(mail.name, mail.address)], subject, "\n".join(text) + "\n",
                   f"<html><body>{''.join(parts)}</body></html>")


WORDS = {
    **alerts.HEADINGS,
    "subject": {"en": "Koers: {n} {alerts} ({when})", "nl": "Koers: {n} {alerts} ({when})"},
    "alert": {"en": "alert", "nl": "signaal"},
    "alerts": {"en": "alerts", "nl": "signalen"},
    "hello": {"en": "Hello{name},", "nl": "Hallo{name},"},
    "intro": {"en": "These figures break an alert rule, checked at {when}:",
              "nl": "Deze cijfers overschrijden een signaalregel, gecontroleerd op {when}:"},
    "page": {"en": "Every alert: {url}", "nl": "Alle signalen: {url}"},
    "page_link": {"en": "Every alert in Koers", "nl": "Alle signalen in Koers"},
    "footer": {"en": "Sent by Koers (koers alerts send). Each figure is told once per period.",
               "nl": "Verstuurd door Koers (koers alerts send). Elk cijfer wordt één keer per periode gemeld."},
}
