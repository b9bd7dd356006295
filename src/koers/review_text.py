"""The review (koers.review) as text people read: its parts as sections of
formatted cells, which the terminal prints as tables and a mail carries as
HTML and plain text (the page and the workbook keep numbers, in
web/pages/review.py and workbook.review_workbook)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import urlencode

from koers import alerts, output
from koers.datalog import local_instant
from koers.kpis.catalog import CATALOG_BY_ID
from koers.review import CLOSING_SHOWN, WALK_SHOWN, WORDS, shown_walk


@dataclass
class Section:
    title: str
    headings: list[str]
    rows: list[list[str]]
    left: int = 1  # the first `left` columns are text, the rest figures (right-aligned), but for `texts`
    texts: tuple[int, ...] = ()
    lines: list[str] = field(default_factory=list)  # said above the table

    def right(self, i: int) -> bool:
        return i >= self.left and i not in self.texts


def title(found, lang: str, names: dict[str, str] | None = None) -> str:
    """`Review of 2025-10 · Inside Sales`; a rep's review by the rep's name (`names`: by id)."""
    so_far = f" ({WORDS['so_far'][lang]})" if found.running else ""
    scope = ", ".join((names or {}).get(v, v) if d == "owner" else v for d, v in found.where.items())
    return f"{WORDS['title'][lang]} {found.period.label}{so_far}" + (f" · {scope}" if scope else "")


def sections(found, lang: str, currency: str, names: dict[str, str], tz) -> list[Section]:
    """The review's parts in order: focus KPIs, reps, alerts, then the notes
    and the pipeline's walks. `names`: the reps' names by id."""
    said = WORDS

    def rep(v) -> str:
        return f"{names.get(v, v)} ({v})" if v in names else str(v)

    found_sections = []
    headline = Section(said["headline"][lang], ["KPI", said["value"][lang], said["previous"][lang],
                                                said["change"][lang], said["year"][lang], said["target"][lang],
                                                said["attainment"][lang], *([said["pace"][lang]] if found.running
                                                                            else [])], [])
    for r in found.headline.to_dict("records"):
        k = r["kpi"]
        headline.rows.append([CATALOG_BY_ID[k].name(lang), output.format_value(k, r["value"], lang, currency),
                              output.format_value(k, r["previous_value"], lang, currency),
                              output.format_change(r["previous_change"], r["change_unit"], lang),
                              output.format_value(k, r["year_value"], lang, currency),
                              output.format_value(k, r["target"], lang, currency),
                              output.format_percent(r["attainment"], lang),
                              *([output.format_percent(r["pace"], lang)] if found.running else [])])
    found_sections.append(headline)

    reps = Section(said["reps"][lang], [said["rep"][lang], said["team"][lang],
                                        *[CATALOG_BY_ID[k].name(lang) for k in found.rep_kpis],
                                        said["won_target"][lang], said["attainment"][lang]], [], left=2)
    for r in found.reps.to_dict("records"):
        reps.rows.append([rep(r["owner"]), output.plain(r["team"]) or "–",
                          *[output.format_value(k, r[k], lang, currency) for k in found.rep_kpis],
                          output.format_value("won_value", r["won_value_target"], lang, currency),
                          output.format_percent(r["won_value_attainment"], lang)])
    found_sections.append(reps)

    fired = found.alerts.fired
    by_name = {r.name: r for r in found.rules}
    shown = Section(f"{said['alerts'][lang]}: {said['fired'][lang].format(fired=len(fired), rules=len(found.rules))}",
                    [said["rule"][lang], said["period"][lang], said["scope"][lang], said["value"][lang],
                     said["set_against"][lang], said["worse_by"][lang]], [], left=3, texts=(4,))
    for r in fired.to_dict("records"):
        rule = by_name[r["rule"]]
        shown.rows.append([rule.name, rule.period(found.as_of, tz).label,
                           alerts.scope_text(rule, r, alerts.rep_names(names)),
                           output.format_value(rule.kpi, r["value"], lang, currency),
                           alerts.against_text(rule, r, lang, currency), alerts.worse_text(rule, r, lang, currency)])
    found_sections.append(shown)

    notes = found.notes_in(lang)
    for name, walk, lines in (("pipeline", found.pipeline, WALK_SHOWN), ("closing", found.closing, CLOSING_SHOWN)):
        if walk is None:
            continue
        found_sections.append(Section(
            f"{said[name][lang]} ({walk.base.import_id} → {walk.then.import_id})",
            [said["line"][lang], said["deals"][lang], said["value"][lang]],
            [[line, "" if count is None else str(count), output.format_value("won_value", value, lang, currency)]
             for line, count, value in shown_walk(walk.lines, lines, lang)], lines=notes))
        notes = []  # said once, above the first walk
    if notes:
        found_sections.append(Section(said["notes"][lang], [], [], lines=notes))
    return found_sections


def plain_table(section: Section) -> str:
    """A section as monospaced text: its title, its lines, and its columns padded."""
    out = [section.title, "=" * min(len(section.title), 72), *section.lines]
    if section.headings:
        widths = [max(len(c) for c in col) for col in zip(section.headings, *section.rows)]
        for row in [section.headings, *section.rows]:
            out.append("  ".join(c.rjust(w) if section.right(i) else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(out)


def html_table(section: Section) -> str:
    def cell(tag: str, text: str, i: int) -> str:
        align = "right" if section.right(i) else "left"
        return f'<{tag} style="text-align:{align};padding:2px 8px">{html.escape(text)}</{tag}>'

    parts = [f"<h3>{html.escape(section.title)}</h3>", *(f"<p>{html.escape(line)}</p>" for line in section.lines)]
    if section.headings:
        head = "".join(cell("th", h, i) for i, h in enumerate(section.headings))
        body = "".join("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(row)) + "</tr>" for row in section.rows)
        parts.append(f'<table style="border-collapse:collapse"><tr>{head}</tr>{body}</table>')
    return "".join(parts)


def mail_body(found, lang: str, currency: str, names: dict[str, str], tz, link: str | None) -> tuple[str, str]:
    """The review as a mail's plain text and HTML; with `link` (the cockpit's
    address), a link to the review's page."""
    parts = sections(found, lang, currency, names, tz)
    head = title(found, lang, names)
    moment = local_instant(found.as_of, tz)
    stood = f"{WORDS['as_of'][lang]} {moment.strftime('%Y-%m-%d %H:%M')} ({tz.key})"
    text = [head, stood, "", *(plain_table(s) + "\n" for s in parts)]
    page = [f"<h2>{html.escape(head)}</h2><p>{html.escape(stood)}</p>", *(html_table(s) for s in parts)]
    if link:
        # pinned to the review's moment, so the page shows the figures the mail does, whenever it is opened
        query = {"period": found.period.label, "lang": lang, **found.where,
                 "as_of": moment.isoformat(timespec="seconds")}
        url = f"{link.rstrip('/')}/review?{urlencode(query)}"
        text.append(MAIL_WORDS["page"][lang].format(url=url))
        page.append(f'<p><a href="{html.escape(url)}">{html.escape(MAIL_WORDS["page_link"][lang])}</a></p>')
    text.append(MAIL_WORDS["attached"][lang])
    page.append(f'<p style="color:#666">{html.escape(MAIL_WORDS["attached"][lang])}</p>')
    return "\n".join(text) + "\n", f"<html><body>{''.join(page)}</body></html>"


MAIL_WORDS = {
    "subject": {"en": "Koers: {title}", "nl": "Koers: {title}"},
    "page": {"en": "The review in Koers, each figure linked to its records: {url}",
             "nl": "De terugblik in Koers, elk cijfer gekoppeld aan zijn records: {url}"},
    "page_link": {"en": "The review in Koers, each figure linked to its records",
                  "nl": "De terugblik in Koers, elk cijfer gekoppeld aan zijn records"},
    "attached": {"en": "Sent by Koers (koers review --mail-to). The workbook attached holds every figure as a number.",
                 "nl": "Verstuurd door Koers (koers review --mail-to). De bijgevoegde werkmap bevat elk cijfer als "
                       "getal."},
}
