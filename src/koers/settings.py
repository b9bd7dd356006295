"""Workspace settings the KPI definitions use, with the spec's defaults."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ACTIVITY_POINTS = {
    "intake": 5,
    "demo": 4,
    "meeting": 3,
    "quote": 3,
    "call": 2,
    "email": 1,
    "linkedin": 1,
    "voicemail": 1,
    "other": 0,
}

# The KPIs a sales leader opens the cockpit for: the Overview's cards until a
# manager picks their own 3 to 7 (more than 7 is allowed, with a warning).
DEFAULT_FOCUS_KPIS = ("won_value", "win_rate", "open_pipeline_value", "lead_response_time", "revenue", "churn_rate")
FOCUS_ADVISED_MAX = 7


@dataclass(frozen=True)
class Settings:
    time_zone: str = "Europe/Amsterdam"
    currency: str = "EUR"
    response_sla_hours: float = 2.0
    stale_days: float = 30.0
    outreach_types: tuple[str, ...] = ("call", "email", "meeting", "demo", "linkedin")
    activity_points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ACTIVITY_POINTS))
    focus_kpis: tuple[str, ...] = DEFAULT_FOCUS_KPIS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def as_strings(self) -> dict[str, str]:
        return {k: json.dumps(v) for k, v in asdict(self).items()}

    def as_inputs(self) -> dict[str, str]:
        """Each setting as `koers settings NAME=VALUE` takes it, so what is shown can be copied back."""
        shown = {}
        for name, value in asdict(self).items():
            if isinstance(value, (list, tuple)):
                shown[name] = ",".join(value)
            elif isinstance(value, dict):
                shown[name] = ",".join(f"{k}={_plain(v)}" for k, v in value.items())
            else:
                shown[name] = _plain(value)
        return shown

    @classmethod
    def from_strings(cls, stored: dict[str, str]) -> Settings:
        values = {}
        for f in fields(cls):
            if f.name in stored:
                v = json.loads(stored[f.name])
                values[f.name] = tuple(v) if f.name in ("outreach_types", "focus_kpis") else v
        return cls(**values)


def _plain(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def parse_assignments(items: list[tuple[str, str]], current: Settings) -> dict[str, object]:
    """Settings from NAME=VALUE pairs, checked; `activity_points.TYPE=POINTS`
    changes one type's points and keeps the others' (from `current`, or an
    earlier pair)."""
    values: dict[str, object] = {}
    for name, text in items:
        if name.startswith("activity_points."):
            one = parse_setting("activity_points", f"{name.split('.', 1)[1]}={text}")
            values["activity_points"] = {**values.get("activity_points", current.activity_points), **one}
        else:
            values[name] = parse_setting(name, text)
    return values


def parse_setting(name: str, text: str) -> object:
    """A setting's value from the command line, checked."""
    if name not in SETTING_NAMES:
        raise ValueError(f"unknown setting '{name}'; valid settings: {', '.join(SETTING_NAMES)}")
    if name == "time_zone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{text}' is not an IANA time zone (e.g. Europe/Amsterdam)") from None
        return text
    if name == "currency":
        if len(text) != 3 or not text.isalpha() or not text.isupper():
            raise ValueError(f"'{text}' is not an ISO 4217 currency code (e.g. EUR)")
        return text
    if name in ("response_sla_hours", "stale_days"):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number of {name.split('_')[-1]}, got '{text}'") from None
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {text}")
        return value
    if name == "outreach_types":
        from koers.model import ACTIVITY_TYPES

        types = tuple(t.strip() for t in text.split(",") if t.strip())
        bad = [t for t in types if t not in ACTIVITY_TYPES]
        if bad or not types:
            raise ValueError(f"outreach types must come from: {', '.join(ACTIVITY_TYPES)}")
        return types
    if name == "focus_kpis":
        return parse_focus_kpis(text)
    # activity_points: type=points,type=points
    from koers.model import ACTIVITY_TYPES

    points = {}
    for part in text.split(","):
        if "=" not in part:
            raise ValueError("activity_points is written as type=points,type=points (e.g. intake=5,call=2)")
        k, v = part.split("=", 1)
        k = k.strip()
        if k not in ACTIVITY_TYPES:
            raise ValueError(f"'{k}' is not an activity type; valid types: {', '.join(ACTIVITY_TYPES)}")
        try:
            points[k] = float(v)
        except ValueError:
            points[k] = math.nan
        if not math.isfinite(points[k]):  # float() takes nan and inf, which would poison every sum
            raise ValueError(f"points for '{k}' must be a number, got '{v.strip()}'")
    return points


def parse_focus_kpis(text: str) -> tuple[str, ...]:
    """KPI ids, comma-separated, each from the catalogue, each once."""
    from koers.kpis.catalog import CATALOG_BY_ID

    ids = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    if not ids:
        raise ValueError("focus_kpis needs at least one KPI id (koers kpis lists them), e.g. won_value,win_rate")
    unknown = [k for k in ids if k not in CATALOG_BY_ID]
    if unknown:
        raise ValueError(f"unknown KPI {', '.join(unknown)} in focus_kpis; koers kpis lists the valid ids")
    if "target_attainment" in ids:  # a card holds one figure; attainment is one per KPI with a target
        raise ValueError("target_attainment has a figure per KPI with a target, not one for a card: "
                         "the leaderboard shows it")
    return ids
