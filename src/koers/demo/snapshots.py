"""The weekly snapshots a demo company's imports would have left.

Every import records its open pipeline (data-model.md, "Snapshots kept by
Koers itself"), but the demo company is imported once, so `koers changes`
would have nothing to compare. These are the snapshots of weekly imports on
the Mondays at 08:00 before the data ends: each the deals open at that
moment, in the stage they were in then. A source keeps no history of
amounts and close dates, and neither do the demo's tables, so some deals
carry a revision instead: a quarter of them had another amount until a day
after their creation (raised or lowered later), and a fifth an earlier
expected close (pushed out later), each chosen by a hash of the deal's id,
so the same seed gives the same snapshots.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKS = 12
ID_SUFFIX = "-demo"  # their import ids: the moment, then this (no import logged them)


def mondays_before(until: date, tz: ZoneInfo, weeks: int = WEEKS) -> list[datetime]:
    """The last `weeks` Mondays at 08:00 local before `until`, oldest first, as naive UTC."""
    monday = until - timedelta(days=(until.weekday() or 7))  # the last Monday strictly before until
    days = [monday - timedelta(weeks=w) for w in range(weeks)][::-1]
    return [datetime.combine(d, time(8), tz).astimezone(timezone.utc).replace(tzinfo=None) for d in days]


def record_past_snapshots(con, until: date, tz: ZoneInfo) -> int:
    """Insert the snapshots into koers_snapshots (those it lacks); the rows written."""
    moments = mondays_before(until, tz)
    values = ", ".join(f"(TIMESTAMP '{m.isoformat(sep=' ')}')" for m in moments)
    return con.execute(f"""
        INSERT INTO koers_snapshots
        WITH every_moment(t) AS (VALUES {values}),
        -- a demo made again into the same workspace keeps the snapshots it holds, never two of one moment
        moments AS (SELECT t FROM every_moment WHERE strftime(t, '%Y%m%dT%H%M%S') || '{ID_SUFFIX}' NOT IN
                    (SELECT import_id FROM koers_snapshots)),
        open_then AS (
            SELECT m.t, o.*, md5_number_lower(o.opportunity_id) AS h
            FROM opportunities o JOIN moments m
              ON o.created_at < m.t AND (o.closed_at IS NULL OR o.closed_at >= m.t)),
        staged AS (
            SELECT a.*, s.stage AS stage_then
            FROM open_then a ASOF LEFT JOIN stage_history s
              ON a.opportunity_id = s.opportunity_id AND a.t > s.entered_at),
        revised AS (
            SELECT *,
                   h % 4 = 0 AND t < created_at + to_days(CAST(1 + (h >> 8) % 60 AS INTEGER)) AS other_amount,
                   h % 5 = 1 AND t < created_at + to_days(CAST(1 + (h >> 24) % 45 AS INTEGER)) AS earlier_close
            FROM staged)
        SELECT strftime(t, '%Y%m%dT%H%M%S') || '{ID_SUFFIX}', t, opportunity_id, coalesce(stage_then, stage),
               CASE WHEN other_amount THEN round(amount * [0.8, 0.9, 1.15, 1.3][CAST(1 + (h >> 16) % 4 AS BIGINT)], 0)
                    ELSE amount END,
               currency, probability,
               CASE WHEN earlier_close THEN expected_close_on - CAST(14 + 7 * ((h >> 32) % 5) AS INTEGER)
                    ELSE expected_close_on END,
               forecast_category
        FROM revised""").fetchone()[0]
