"""THE one place KPIs are declared, one module per family."""

from __future__ import annotations

from koers.kpis.catalog import activities, customers, deals, leads, pipeline, reps, revenue, targets

FAMILIES = ("leads", "pipeline", "deals", "revenue", "customers", "activities", "reps")

CATALOG = (
    leads.KPIS + pipeline.KPIS + deals.KPIS + revenue.KPIS[:-1] + targets.KPIS + revenue.KPIS[-1:]
    + customers.KPIS + activities.KPIS + reps.KPIS
)
CATALOG_BY_ID = {k.id: k for k in CATALOG}
assert len(CATALOG_BY_ID) == len(CATALOG), "a KPI id is declared twice"
