"""The docs say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from koers.docs import catalog_markdown
from koers.kpis.catalog import CATALOG
from koers.model import TABLES
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]


def test_catalogue_page_is_current():
    assert (ROOT / "docs" / "kpis.md").read_text() == catalog_markdown(), "run `make docs`"


def test_catalogue_matches_the_spec():
    spec = (SHARED / "spec" / "kpis.md").read_text()
    pattern = r"^\| ([a-z_]+) \| (.+?)(?: / (.+?))? \| (action|result|insight), ([a-z ]+?), ([a-z0-9 ]+?) \|"
    rows = re.findall(pattern, spec, re.M)
    assert len(rows) == len(CATALOG)
    declared = {k.id: k for k in CATALOG}
    for kid, nl, en, kind, unit, better in rows:
        k = declared[kid]
        en = en or nl  # "Net Promoter Score" is one name in both languages
        assert (k.name_nl, k.name_en, k.type.value, k.unit.value, k.direction.value) == (nl, en, kind, unit, better)


def test_model_matches_the_spec():
    spec = (SHARED / "spec" / "data-model.md").read_text()
    for t in TABLES:
        section = spec.split(f"## {t.name}\n", 1)[1].split("\n## ", 1)[0]
        names = []
        for line in section.splitlines():
            m = re.match(r"^\| ([a-z_, ]+?) \|", line)
            if m and m.group(1) not in ("column",):
                names += [n.strip() for n in m.group(1).split(",")]
        assert names == t.column_names, t.name


def test_every_dimension_has_a_dutch_and_english_label():
    from koers.kpis.model import LABELS

    dims = {d for k in CATALOG for d in k.dimensions}
    assert dims <= set(LABELS), f"no label for {sorted(dims - set(LABELS))}"


def test_the_mapping_example_in_the_docs_is_a_valid_mapping():
    import yaml

    from koers.importers.mapping import parse_mapping

    text = (Path(__file__).resolve().parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    mapping = parse_mapping(yaml.safe_load(example), Path("import.md"))
    assert [t.table for t in mapping.tables] == ["opportunities", "reps", "stages"]
