"""`koers alerts add|list|remove|check|send`: alert rules on KPIs
(koers.alerts), kept in the workspace, checked at any moment, and mailed
(koers.alert_mail)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from koers import alerts, output
from koers.cli import (
    FormatOpt,
    LangOpt,
    OutputOpt,
    WorkspaceOpt,
    _names,
    app,
    check_choice,
    check_output,
    connected,
    err,
    open_workspace,
    out,
    reading,
    usage_error,
    warn_unheld,
    write_out,
)
from koers.cli_mail import deliver, mail_setup
from koers.kpis.compute import QueryError, dim_values
from koers.kpis.model import label
from koers.store import WorkspaceError, now_utc

alerts_app = typer.Typer(no_args_is_help=True, help="Alert rules on KPIs, and which of them fire.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="the rule's name (letters, digits, - and _)")],
    kpi: Annotated[str, typer.Argument(help="the KPI it watches (koers kpis lists them)")],
    below: Annotated[str | None, typer.Option(help="fires for a figure below this value (a share as 0.25 or "
                                                   "25%, money in the workspace currency)")] = None,
    above: Annotated[str | None, typer.Option(help="fires for a figure above this value")] = None,
    worse_than: Annotated[str | None, typer.Option(help="previous | year | target: fires for a figure worse "
                                                        "than the period before, a year earlier or its target, "
                                                        "by the KPI's direction")] = None,
    by_more_than: Annotated[str | None, typer.Option(help="with --worse-than: only when worse by more than this "
                                                          "(10% for amounts and counts, 5pp for shares)")] = None,
    when: Annotated[str, typer.Option(help="last (the last complete period) | current (the period running, "
                                           "to date)")] = "last",
    grain: Annotated[str, typer.Option(help="day | week | month | quarter | year")] = "month",
    by: Annotated[str | None, typer.Option(help="dimensions, comma-separated: a figure, and an alert, each")] = None,
    where: Annotated[list[str] | None, typer.Option(help="DIM=VALUE (repeatable)")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite a rule of the same name")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add an alert rule to the workspace."""
    try:
        filters = dim_values(where or [], "--where")
        by_dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
        rule = alerts.make_rule(name, kpi, below, above, worse_than, by_more_than, when, grain, by_dims, filters)
    except (QueryError, alerts.AlertError) as e:
        usage_error(str(e))
    ws = open_workspace(workspace)
    try:
        alerts.save(ws, rule, replace)
    except (alerts.AlertError, WorkspaceError) as e:
        usage_error(str(e))
    warn_unheld(ws, [(dict(rule.where), f"rule {rule.name}: where")])
    err.print(f"{'replaced' if replace else 'added'} {rule.name}: {alerts.describe(rule, 'en', ws.settings().currency)}",
              highlight=False)


@alerts_app.command("list")
def list_cmd(format: FormatOpt = "table", lang: LangOpt = "en", workspace: WorkspaceOpt = None) -> None:
    """The workspace's alert rules."""
    check_choice("format", format, ("table", "csv", "json"))
    check_choice("lang", lang, ("nl", "en"))
    ws = open_workspace(workspace, read_only=True)
    try:
        found, currency = alerts.rules(ws), ws.settings().currency
    except WorkspaceError as e:
        usage_error(str(e))
    rows = alerts.rules_table(found, lang, currency)
    if format == "csv":
        write_out(output.to_csv(rows), None)
    elif format == "json":
        write_out(output.to_json(rows) + "\n", None)
    elif rows.empty:
        err.print(WORDS["no_rules"][lang], highlight=False)
    else:
        t = Table(WORDS["rule"][lang], WORDS["watches"][lang])
        for r in rows.itertuples(index=False):
            t.add_row(escape(r.rule), escape(r.description))
        out.print(t)


@alerts_app.command("remove")
def remove_cmd(names: Annotated[list[str], typer.Argument(help="the rules' names")],
               workspace: WorkspaceOpt = None) -> None:
    """Remove alert rules from the workspace."""
    ws = open_workspace(workspace)
    try:
        alerts.remove(ws, list(dict.fromkeys(names)))
    except (alerts.AlertError, WorkspaceError) as e:
        usage_error(str(e))
    err.print(f"removed {', '.join(dict.fromkeys(names))}", highlight=False)


@alerts_app.command("check")
def check_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="the rules to check (default: every rule)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the moment the rules are checked at "
                                                              "(default: now)")] = None,
    every: Annotated[bool, typer.Option("--all", help="every figure the rules looked at, each with whether it "
                                                      "fires (default: the alerts alone)")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="exit 1 when an alert fires (for a scheduled "
                                                                "job that mails)")] = False,
    format: FormatOpt = "table",
    lang: LangOpt = "en",
    output_path: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Check the alert rules: every figure that breaks one, with what it was set against."""
    check_choice("format", format, ("table", "csv", "json"))
    check_output(format, output_path)
    check_choice("lang", lang, ("nl", "en"))
    ws, settings, moment = reading(workspace, as_of)
    asked = _asked_rules(ws, names)
    from koers.engines import close

    con = connected(ws)
    try:
        checked = alerts.check(alerts.Direct(con, settings), settings, asked, moment)
        rep_names = _names(con, checked.rows.columns) if format == "table" else {}
    finally:
        close(con)
    for w in checked.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    warn_unheld(ws, [(dict(r.where), f"rule {r.name}: where") for r in asked])
    rows = checked.rows if every else checked.fired
    if format == "csv":
        write_out(output.to_csv(rows), output_path)
    elif format == "json":
        write_out(output.to_json(rows) + "\n", output_path)
    else:
        _print_alerts(rows, asked, checked, moment, settings, lang, rep_names, every)
    if exit_code and len(checked.fired):
        raise typer.Exit(1)


def _asked_rules(ws, names: list[str] | None) -> list[alerts.Rule]:
    """The workspace's rules named (every one when none is); exit 2 naming the rules for a name that is none."""
    try:
        kept = alerts.rules(ws)
    except WorkspaceError as e:
        usage_error(str(e))
    unknown = [n for n in names or [] if n not in {r.name for r in kept}]
    if unknown:
        usage_error(f"no rule named {', '.join(unknown)}; the rules: {', '.join(r.name for r in kept) or 'none'} "
                    f"(koers alerts add makes one)")
    return [r for r in kept if not names or r.name in names]


def _print_alerts(rows, asked, checked, moment, settings, lang: str, names: dict, every: bool) -> None:
    """A section per rule that fires (or, with --all, was checked): the rule
    in words, then a line per figure."""
    out.print(alerts.summary(len(checked.fired), len(checked.rows), len(asked), lang), highlight=False)
    currency = settings.currency
    for rule in asked:
        mine = rows[rows["rule"] == rule.name]
        if mine.empty:
            continue
        period = rule.period(moment, settings.tz).label + (WORDS["so_far"][lang] if rule.when == "current" else "")
        out.print(f"\n[bold]{escape(rule.name)}[/bold] · {escape(period)} · "
                  f"{escape(alerts.describe(rule, lang, currency))}", highlight=False)
        dims = list(rule.scope())
        t = Table(*[label(d, lang) for d in dims], WORDS["value"][lang],
                  WORDS["set_against"][lang], WORDS["worse_by"][lang], *([WORDS["fires"][lang]] if every else []))
        for c in t.columns[len(dims):]:
            c.justify = "right"
        for rec in mine.to_dict("records"):
            cells = []
            for d in dims:
                v = rec.get(d)
                cells.append(escape("–" if output.missing(v) else f"{names[d][v]} ({v})" if v in names.get(d, {})
                                    else str(v)))
            t.add_row(*cells, output.format_value(rule.kpi, rec["value"], lang, currency),
                      escape(alerts.against_text(rule, rec, lang, currency)), escape(alerts.worse_text(rule, rec, lang, currency)),
                      *([WORDS["yes"][lang] if rec["fired"] else ""] if every else []))
        out.print(t)


WORDS = {
    **alerts.HEADINGS,
    "no_rules": {"en": "no alert rules yet: koers alerts add NAME KPI --below VALUE makes one",
                 "nl": "nog geen alertregels: koers alerts add NAAM KPI --below WAARDE maakt er een"},
    "watches": {"en": "Watches", "nl": "Bewaakt"},
    "period": {"en": "Period", "nl": "Periode"},
    "fires": {"en": "Fires", "nl": "Gaat af"},
    "yes": {"en": "yes", "nl": "ja"},
    "so_far": {"en": " (so far)", "nl": " (tot nu)"},
}


@alerts_app.command("send")
def send_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="the rules to send (default: every rule)")] = None,
    to: Annotated[str | None, typer.Option(help="addresses, comma-separated, told every alert")] = None,
    reps: Annotated[bool, typer.Option("--reps", help="tell each rep with an email the alerts about the rep")] = False,
    managers: Annotated[bool, typer.Option("--managers", help="tell each rep's manager (manager_id) the alerts "
                                                              "about the reps who report to them")] = False,
    link: Annotated[str | None, typer.Option(help="the cockpit's address (http://host:8000): each figure links "
                                                  "to its records")] = None,
    outbox: Annotated[str | None, typer.Option(help="write the mails into this folder as .eml files instead of "
                                                    "sending them")] = None,
    again: Annotated[bool, typer.Option("--again", help="tell figures already mailed for their period too")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the moment the rules are checked at "
                                                              "(default: now)")] = None,
    lang: LangOpt = "en",
    workspace: WorkspaceOpt = None,
) -> None:
    """Mail the alerts that fire: each figure once per period to whom it concerns."""
    from koers import alert_mail, mail
    from koers.engines import close
    from koers.periods import local_date

    check_choice("lang", lang, ("nl", "en"))
    addresses, link, server = mail_setup(to, "--to", link, outbox)
    if not addresses and not reps and not managers:
        usage_error("say whom to tell: --to ADDRESS[,ADDRESS...], --reps or --managers")
    ws, settings, moment = reading(workspace, as_of)
    asked = _asked_rules(ws, names)
    con = connected(ws)
    try:
        checked = alerts.check(alerts.Direct(con, settings), settings, asked, moment)
        people = con.table("reps").select("rep_id", "name", "email", "manager_id", "hired_on", "left_on").to_pandas()
    finally:
        close(con)
    for w in checked.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    found = alert_mail.figures(checked, asked, moment, settings.tz)
    names_of = {r: n for r, n in zip(people["rep_id"], people["name"]) if isinstance(n, str) and n}
    whom = alert_mail.addressed(found, addresses, people, reps, managers, local_date(moment, settings.tz))
    for w in whom.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    if whom.untold:
        said = "; ".join(f"{f.rule.name} ({alerts.scope_text(f.rule, f.rec, lambda d, v: str(v)) or 'the company'})"
                         for f in whom.untold)
        err.print(f"[yellow]warning:[/yellow] {len(whom.untold)} figure(s) concern no one asked for (--reps and "
                  f"--managers tell a rep's own figures; --to tells every figure): {escape(said)}", highlight=False)
    writable = open_workspace(workspace)  # the log of what was sent is written
    mails = whom.mails if again else alert_mail.unsent(writable, whom.mails)
    messages = [alert_mail.compose(m, server.sender if server else mail.sender(), moment, settings, lang, names_of,
                                   link) for m in mails]
    if not messages:
        told = len(found) - len(whom.untold)
        why = ("no alert fires" if not found else
               f"{len(found)} alert(s) fire, none concerning the recipients asked for" if not told else
               f"{len(found)} alert(s) fire, each already mailed to whom it concerns" if told == len(found) else
               f"{len(found)} alert(s) fire; the {told} concerning the recipients asked for are already mailed to them")
        err.print(f"nothing to send: {why}", highlight=False)
        return
    figures = len({(f.rule.name, f.key) for m in mails for f in m.figures})
    if not deliver(messages, server, outbox, f"{figures} figure(s)",
                   lambda sent: alert_mail.record(writable, [mails[i] for i in sent], now_utc())):
        raise typer.Exit(1)
