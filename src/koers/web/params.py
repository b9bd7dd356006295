"""What a page is asked: every filter lives in the query string, so a view
can be bookmarked and shared. One parse for every page; the API takes the
CLI's own parameter names instead (api/v1.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from koers.kpis.drill import MATCH_PREFIX
from koers.kpis.model import Kpi
from koers.periods import GRAINS, Period, PeriodError, default_periods, last_complete_month, parse_instant, parse_spec
from koers.settings import Settings
from koers.store import now_utc
from koers.web.i18n import LANGS

# The filters every page offers (issue 3); a KPI applies those among its dimensions.
FILTER_DIMS = ("owner", "team", "product", "region", "source", "segment")
# Parameters that belong to one page and are not carried to another.
PAGE_ONLY = ("split", "page", "kpi", "rank_by", "role", "export", "table", "saved", "import_id", "records", "since",
             "until", "line", "closing")


class BadRequest(ValueError):
    """A question the page cannot answer; shown as a 400 with the reason."""


@dataclass
class View:
    lang: str
    period_text: str
    grain: str
    periods: list[Period]
    where: dict[str, str]
    as_of: datetime  # naive UTC
    query: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> Period:
        """The period the dashboards are about: the last of the span."""
        return self.periods[-1]

    def trailing(self, n: int = 12) -> list[Period]:
        """The n periods ending at P, of P's grain; a range spec stands for itself."""
        return self.periods if len(self.periods) > 1 else trailing(self.period, n)

    def url(self, path: str, keep_page_params: bool = False, **changes) -> str:
        """This view's filters on another path, with some parameters changed
        (None removes one)."""
        q = {k: v for k, v in self.query.items() if keep_page_params or k not in PAGE_ONLY}
        for k, v in changes.items():
            if v is None:
                q.pop(k, None)
            else:
                q[k] = str(v)
        return path + ("?" + urlencode(q) if q else "")

    def applicable(self, kpi: Kpi) -> tuple[dict[str, str], list[str]]:
        """The filters the KPI can take, and the names of those it cannot
        (shown on the page, never silently dropped)."""
        kept = {d: v for d, v in self.where.items() if d in kpi.dimensions}
        return kept, [d for d in self.where if d not in kpi.dimensions]


def parse_view(query: dict[str, str], settings: Settings, now: datetime | None = None) -> View:
    lang = query.get("lang") or "nl"
    if lang not in LANGS:
        raise BadRequest(f"lang must be one of: {', '.join(LANGS)} (got '{lang}')")
    grain = query.get("grain") or None
    if grain is not None and grain not in GRAINS:
        raise BadRequest(f"unknown grain '{grain}'; valid grains: {', '.join(GRAINS)}")
    as_of_text = query.get("as_of") or ""
    try:
        # Without as_of the moment is now to the minute: the cache keys on it,
        # so a page reloaded within the minute is answered from memory.
        as_of = parse_instant(as_of_text, settings.tz) if as_of_text else minute(now or now_utc())
        if query.get("period"):
            period_text = query["period"]
            periods = parse_spec(period_text, grain)
        else:
            period_text = last_complete_month(as_of, settings.tz).label
            periods = default_periods(as_of, settings.tz, grain)
    except PeriodError as e:
        raise BadRequest(str(e)) from None
    if len(periods) > 400:
        raise BadRequest(f"'{period_text}' at grain {periods[0].grain} is {len(periods)} periods; ask for at most 400")
    where = {d: query[d].strip() for d in FILTER_DIMS if query.get(d, "").strip()}
    kept = {k: v for k, v in query.items() if v != "" or k.startswith(MATCH_PREFIX)}
    return View(lang, period_text, grain or periods[-1].grain, periods, where, as_of, kept)


def trailing(p: Period, n: int) -> list[Period]:
    """The n periods of p's grain ending at p."""
    out = [p]
    while len(out) < n:
        out.insert(0, out[0].previous())
    return out


def minute(t: datetime) -> datetime:
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t.replace(second=0, microsecond=0)


def match_of(query: dict[str, str]) -> dict[str, str]:
    """The dimension values of the figure a drill-down explains (m_DIM=VALUE;
    an empty value stands for a null dimension)."""
    return {k[len(MATCH_PREFIX):]: v.strip() for k, v in query.items() if k.startswith(MATCH_PREFIX)}
