"""Shorthand for declaring KPIs in the catalogue modules."""

from __future__ import annotations

from koers.kpis.model import Agg, Direction, Kpi, KpiType, Unit

TYPES = {t.value: t for t in KpiType}
UNITS = {u.value: u for u in Unit}
DIRECTIONS = {"higher": Direction.HIGHER, "lower": Direction.LOWER, "closer to 0": Direction.CLOSER_TO_ZERO}

# The note of every KPI whose `stage` is the current stage (kpis.md, Dimensions): kpis.md
# does not say whether a closed deal's stage column or its history rules (docs/engine.md)
STAGE_NOW = ("By stage: a deal closed before T is in the stage it closed in, as its stage column says; a deal "
             "open at T is in the stage its stage_history gives at T.")


def by_id(kpi_id: str) -> Kpi:
    """A declared KPI, for composite KPIs that combine others' parts (the
    catalogue imports the family modules, so it is looked up when called)."""
    from koers.kpis.catalog import CATALOG_BY_ID

    return CATALOG_BY_ID[kpi_id]


def kpi(id, nl, en, family, kind, unit, better, dims, definition, agg, needs, population=None, combine=None,
        additive=False, notes=(), parts=(), split=(), multiple=False, zero_when_empty_by=(), records=()):
    return Kpi(
        id=id, name_nl=nl, name_en=en, family=family, type=TYPES[kind], unit=UNITS[unit],
        direction=DIRECTIONS[better], dimensions=tuple(dims), definition=definition, agg=Agg(agg),
        needs=tuple(needs), population=population, combine=combine, additive=additive, notes=tuple(notes),
        parts=tuple(parts), split=tuple(split), multiple=multiple,
        zero_when_empty_by=tuple(zero_when_empty_by), records=tuple(records),
    )
