"""Published datasets, through the recipes shipped in docs/recipes, against
figures published in independent analyses of them. The data is read from
../shared/data, never copied into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from koers.engines import close, connect
from koers.importers.mapping import import_mapped
from koers.kpis.compute import compute
from koers.periods import parse_spec
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]
OLIST = SHARED / "data" / "olist-funnel"
FILES = [OLIST / "olist_marketing_qualified_leads_dataset.csv", OLIST / "olist_closed_deals_dataset.csv"]

# origin: (leads, converted, conversion %) as published (section D2)
PUBLISHED = {
    "unknown": (1159, 193, 16.65), "paid_search": (1586, 195, 12.30), "organic_search": (2296, 271, 11.80),
    "direct_traffic": (499, 56, 11.22), "referral": (284, 24, 8.45), "social": (1350, 75, 5.56),
    "display": (118, 6, 5.08), "other_publicities": (65, 3, 4.62), "email": (493, 15, 3.04), "other": (150, 4, 2.67),
}


@pytest.mark.skipif(not OLIST.is_dir(), reason="the shared Olist data is not here")
def test_olist_recipe_reproduces_the_published_lead_conversion(tmp_ws):
    """Figures published in jazzlanders0111-hash/Olist-B2B-Sales-Funnel-Analysis,
    README.md (commit 1c7cac16f86c63bd1a2f962c7ead61ec25c1f599), "C1. What is the
    overall conversion rate?" (8,000 leads, 842 closed, 10.53%) and "D2. What is the
    conversion rate by origin?" (the table in PUBLISHED; leads without an origin
    counted as unknown, as the recipe does).

    The same README ("Date integrity check") finds one deal won two days before its
    lead's first contact. The data model does not forbid a close before the start,
    so that deal lands as given and counts, and the import warns of it."""
    tmp_ws.set_settings(time_zone="America/Sao_Paulo", currency="BRL")
    result = import_mapped(tmp_ws, ROOT / "docs" / "recipes" / "olist-funnel.yaml", FILES)
    assert [(t.table, t.written, t.rejected) for t in result.tables] == [
        ("reps", 22, 0), ("leads", 8000, 0), ("opportunities", 842, 0)]
    assert any(w.startswith("olist_closed_deals_dataset.csv: 1 row with closed_at before created_at")
               for w in result.warnings), result.warnings

    con = connect(tmp_ws)
    try:  # leads from 2017-06-14 to 2018-05-31: both years, added up (a ratio of sums)
        rows = compute(con, tmp_ws.settings(), ["lead_to_customer_rate"], parse_spec("2017..2018"),
                       ["source"], {}).rows
    finally:
        close(con)
    by_origin = rows.groupby("source")[["numerator", "denominator"]].sum()
    koers = {o: (int(r.denominator), int(r.numerator)) for o, r in by_origin.iterrows()}
    assert koers == {o: (leads, won) for o, (leads, won, _) in PUBLISHED.items()}
    for origin, (_, _, pct) in PUBLISHED.items():
        assert round(100 * koers[origin][1] / koers[origin][0], 2) == pct, origin
    total_leads, total_won = by_origin.denominator.sum(), by_origin.numerator.sum()
    assert (total_leads, total_won) == (8000, 842)
    assert round(100 * total_won / total_leads, 2) == 10.53  # the published figure
    assert import_mapped(tmp_ws, ROOT / "docs" / "recipes" / "olist-funnel.yaml", FILES).written == 0
