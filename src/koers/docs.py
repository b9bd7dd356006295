"""Generate docs/kpis.md from the catalogue (`make docs`); a test keeps it current."""

from __future__ import annotations

from koers.kpis.catalog import CATALOG, FAMILIES
from koers.kpis.model import KpiType

INSIGHT_NOTE = "Insight KPIs are for understanding, not for judging a rep."


def sentence(text: str) -> str:
    """A definition as a sentence: capitalised, unless it starts with an identifier or
    a variable (won_value / won_deals, revenue(P), clv / cac, a × f × L), which keep their case."""
    first, _, rest = text.partition(" ")
    keep = "_" in first or "(" in first or len(first) == 1 or rest.startswith("/ ")
    return (text if keep else text[0].upper() + text[1:]) + "."


def catalog_markdown() -> str:
    lines = [
        "# The Koers KPI catalogue",
        "",
        "Generated from `src/koers/kpis/catalog/` by `make docs`; do not edit by hand.",
        "The contract these follow is `../shared/spec/kpis.md`; time, as-of, currency and",
        "target rules are in `docs/engine.md`.",
        "",
        f"Types: *action* KPIs measure what reps do, *result* KPIs what it yields. {INSIGHT_NOTE}",
        "",
    ]
    for family in FAMILIES:
        kpis = [k for k in CATALOG if k.family == family]
        lines += [f"## {family.capitalize()}", ""]
        for k in kpis:
            lines += [
                f"### `{k.id}`: {k.name_en} / {k.name_nl}",
                "",
                f"- type: {k.type.value}" + (f" ({INSIGHT_NOTE.lower()[:-1]})" if k.type == KpiType.INSIGHT else ""),
                f"- unit: {k.unit.value}; better: {k.direction.value}",
                f"- dimensions: {', '.join(f'`{d}`' for d in k.dimensions)}",
                f"- needs: {', '.join(k.needs)}",
                *([f"- built from: {', '.join(f'`{p}`' for p in k.parts)}"] if k.parts else []),
                *([f"- other records behind a figure: "
                   f"{', '.join(f'`{t}` (`koers drill {k.id} --table {t}`)' for t in k.record_tables)}"]
                  if k.records else []),
                "",
                sentence(k.definition_in("en")),
                "",
                f"*NL:* {sentence(k.definition_in('nl'))}",
                "",
            ]
            if k.notes:  # how Koers reads what the definition leaves open
                lines += [*(f"- *Note:* {n}" for n in k.notes), "",
                          *(f"- *NL:* {n}" for n in k.notes_in("nl")), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalog_markdown(), end="")
