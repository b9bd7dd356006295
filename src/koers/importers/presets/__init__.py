"""Mappings for the standard exports of the CRMs Koers knows, shipped with it.

A preset is an ordinary mapping (see koers.importers.mapping) whose one file
is whatever export the user gives (`path: "*"`). docs/presets.md lists the
columns each one reads; a test keeps that list and the presets in step.
"""

from __future__ import annotations

import re
from pathlib import Path

from koers.importers.mapping import MappingError, load_mapping

_HERE = Path(__file__).resolve().parent
PRESETS: tuple[str, ...] = tuple(sorted(p.stem for p in _HERE.glob("*.yaml")))
_FIELD = re.compile(r"\{([^{}]+)\}")


def preset_path(name: str) -> Path:
    if name not in PRESETS:
        raise MappingError(f"no preset '{name}'; presets: {', '.join(PRESETS)}")
    return _HERE / f"{name}.yaml"


def expected_columns(name: str) -> dict[str, bool]:
    """Every column of the export the preset reads, and whether the export must have it
    (a column offered among alternatives is required when the mapping needs one of them)."""
    mapping = load_mapping(preset_path(name))
    found: dict[str, bool] = {}
    for table in mapping.tables:
        canonical = {c.target for c in table.columns}
        for c in table.columns:
            names = list(c.column) + [n for t in c.templates() for n in _FIELD.findall(t)]
            names += [n for n in c.refers_to() if n not in canonical]
            for n in names:
                found[n] = found.get(n, False) or not c.optional
    return found
