"""Tables derived from the canonical ones that do not depend on the as-of
moment: the stage history as stays (each row with the entry of the next),
and the opportunities with the dimensions they take from their lead.

Every workspace keeps them, rebuilt by every import that writes rows, so
a KPI run reads them instead of computing a window over the whole history
and a join to every lead each time: those two were most of a run's time on
a large workspace. A Spark workspace keeps them as Parquet files beside its
tables (on the small demo its deal KPIs by rep took 13 s instead of 20), a
PostgreSQL one as tables written back with the import's. A workspace from
before they existed gets the same expressions computed in the run, until
its next import makes them.

Cutting them at T gives exactly what computing them from the rows before T
would: the history rows entered before T are a prefix of each opportunity's
order (entered_at, then the stage's sequence and name), so a row's next entry is
before T, or it is at or after T and the row is the last one before T.
"""

from __future__ import annotations

import ibis

# The version of what the expressions below compute is in the tables' names
# (v2: rows at one instant go by stage sequence, then name). A workspace's
# tables of an older version do not count: its runs compute the stays
# themselves until its next import makes the new ones and drops the old.
VERSION = 2
SPANS = f"koers_stage_spans_v{VERSION}"
OPPORTUNITIES = f"koers_opportunity_dims_v{VERSION}"
DERIVED = (SPANS, OPPORTUNITIES)
OLDER = ("koers_stage_spans", "koers_opportunity_dims")  # the names of version 1
# what identifies a row of each (a PostgreSQL workspace writes back only the rows that changed)
KEYS = {SPANS: ("opportunity_id", "stage", "entered_at"), OPPORTUNITIES: ("opportunity_id",)}
# the canonical tables each derived table is made from (the opportunities take their stage from the stays)
_SPANS_FROM = {"stage_history", "stages"}
MADE_FROM = {SPANS: _SPANS_FROM, OPPORTUNITIES: {"opportunities", "leads"} | _SPANS_FROM}
# the derived tables each is made from (refresh reads the stays as kept)
USES = {SPANS: set(), OPPORTUNITIES: {SPANS}}


def stale(changed: set[str] | None) -> list[str]:
    """The derived tables made from a table in `changed` (None: every one)."""
    return [name for name in DERIVED if changed is None or MADE_FROM[name] & changed]


def needed_for(changed: set[str]) -> set[str]:
    """The derived tables an import that changes `changed` makes anew or reads."""
    made = stale(changed)
    return set(made).union(*(USES[name] for name in made))

# The opportunity dimensions that fall back to the lead's when empty.
FROM_LEAD = ("source", "campaign", "region", "segment")


def spans(con):
    """stage_history rows with the stage's sequence, probability and kind,
    and `_next_at`: the entered_at of the opportunity's next row (null for
    its last). Rows of a stage that is not in `stages` are left out."""
    h = con.table("stage_history")
    s = con.table("stages")
    s = s.select(_s_stage=s.stage, _s_seq=s.sequence, _s_prob=s.probability, _s_kind=s.kind)
    h = h.join(s, h.stage == s._s_stage).drop("_s_stage")
    # rows at one instant go by the stage's sequence, then its name: the same
    # stays whatever order the file lists them in
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.entered_at, h._s_seq, h.stage])
    return h.mutate(_next_at=h.entered_at.lead().over(w))


def opportunities(con, spans_table):
    """opportunities with the lead's source, campaign, region and segment
    where their own are empty, `first_contact_at` (the lead's creation, or
    the opportunity's without a lead), `close_month`, `deal_type` defaulted,
    and `_stage_now`: the stage of the last history row, which is the stage
    at any T after every history row of the opportunity."""
    o = con.table("opportunities")
    ld = con.table("leads")
    lead = ld.select(
        _l_id=ld.lead_id, _l_created=ld.created_at, _l_source=ld.source, _l_campaign=ld.campaign,
        _l_region=ld.region, _l_segment=ld.segment,
    )
    last = spans_table.filter(spans_table._next_at.isnull())
    last = last.select(_n_opp=last.opportunity_id, _stage_now=last.stage)
    j = o.left_join(lead, o.lead_id == lead._l_id)
    j = j.left_join(last, j.opportunity_id == last._n_opp)

    def column(name: str):
        if name in FROM_LEAD:
            return j[name].fill_null(j[f"_l_{name}"]).name(name)
        if name == "deal_type":
            return j[name].fill_null("new_business").name(name)
        return j[name]

    return j.select(
        *[column(c) for c in o.columns],
        close_month=j.expected_close_on.strftime("%Y-%m"),
        first_contact_at=ibis.ifelse(j._l_id.notnull(), j._l_created, j.created_at),
        _stage_now=j._stage_now,
    )


# the text columns a derived table adds to those of the tables it is made from
_ADDED_TEXT = ("_s_kind", "_stage_now", "close_month")


def _compression(name: str) -> dict[str, str]:
    """How each text column of a derived table is stored: as in the canonical
    table it comes from (see store.compression), the added ones a dictionary."""
    from koers.model import TABLE_BY_NAME
    from koers.store import compression

    hints = dict.fromkeys(_ADDED_TEXT, "dictionary")
    for source in sorted(MADE_FROM[name] - {"stages"}):
        hints = compression(TABLE_BY_NAME[source]) | hints
    return hints


def refresh(con, changed: set[str] | None = None) -> None:
    """Rebuild the derived tables in a DuckDB workspace, inside the caller's
    transaction (an import's: its rows and these land together): those made
    from a table in `changed`, or all of them (None). Writing them is most
    of their cost (on the large demo 8 s, where the queries take 1 s), so an
    import of activities alone rebuilds none."""
    from koers.store import create_table_as, ensure_schema, views

    for name in OLDER:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    made = stale(changed)
    if not made:
        return
    for name in set(made) & views(con):  # a Spark writer's view over the version before
        con.execute(f"DROP VIEW {name}")
    # Compiled against an empty copy of the schema: the SQL names the tables
    # only, and the import's connection keeps its own session settings.
    scratch = ibis.duckdb.connect()
    try:
        ensure_schema(scratch.con)
        history = spans(scratch)
        if SPANS in made:
            create_table_as(con, SPANS, scratch.compile(history), _compression(SPANS))
        if OPPORTUNITIES in made:
            scratch.create_table(SPANS, schema=history.schema())
            kept = scratch.table(SPANS)  # named alone, as the import's connection knows it
            made_opps = scratch.compile(opportunities(scratch, kept))
            create_table_as(con, OPPORTUNITIES, made_opps, _compression(OPPORTUNITIES))
    finally:
        scratch.disconnect()


def present(con) -> bool:
    """Whether the workspace behind an ibis connection keeps the derived tables."""
    if con.name == "duckdb":
        return has_tables(con.raw_sql)
    # PostgreSQL holds them as tables; Spark has them registered by
    # engines.connect when the workspace's version has their files
    return set(DERIVED) <= set(con.list_tables())


def kept(execute) -> list[str]:
    """The derived tables a DuckDB connection (its execute) holds."""
    # a Spark workspace's reader holds them as views over their files
    rows = execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary UNION ALL "
                   "SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal").fetchall()
    tables = {r[0] for r in rows}
    return [name for name in DERIVED if name in tables]


def has_tables(execute) -> bool:
    """Whether a DuckDB connection (its execute) holds all the derived tables."""
    return len(kept(execute)) == len(DERIVED)
