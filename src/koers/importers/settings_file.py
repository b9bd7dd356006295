"""The workspace settings beside an export (`koers_settings.csv`).

A canonical folder's rows mean what they mean in their workspace's settings:
an empty currency is the workspace's currency, and a date or a period is
local to its time zone. So `koers export` writes the settings beside the
tables, and `koers import` of that folder reads them:

- into a workspace nothing was imported into yet, they become its settings,
  so the export reads as it did where it came from;
- into one holding data, a time zone or currency other than its own stops
  the import (the rows would be read in the wrong money or zone); the other
  settings (how KPIs are asked: the response SLA, the stale threshold, ...)
  stay the workspace's, and the import says where they differ.

Other tools may ignore the file; an import of a folder without it is as
before.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from koers.settings import SETTING_NAMES, Settings, parse_setting

FILE = "koers_settings.csv"
# the settings the rows' meaning rests on
MEANING = ("time_zone", "currency")


class SettingsFileError(ValueError):
    pass


def write(settings: Settings, folder: Path) -> None:
    """Each setting as `koers settings NAME=VALUE` takes it."""
    with open(folder / FILE, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["setting", "value"])
        out.writerows(settings.as_inputs().items())


def read(path: Path) -> dict[str, object]:
    """The settings the file gives, checked as `koers settings` checks them."""
    told: dict[str, object] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        if next(rows, None) != ["setting", "value"]:
            raise SettingsFileError(f"{path.name}: the header (line 1) must be setting,value")
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 2:
                raise SettingsFileError(f"{path.name}, line {line}: not a setting and its value")
            name, text = row
            if name in told:
                raise SettingsFileError(f"{path.name}, line {line}: {name} is given twice")
            try:
                told[name] = parse_setting(name, text)
            except ValueError as e:
                raise SettingsFileError(f"{path.name}, line {line}: {e}") from None
    return told


def reconcile(told: dict[str, object], current: Settings, new_workspace: bool) -> tuple[Settings, list[str]]:
    """The settings the import goes on with, and what it says of them."""
    differ = {name: value for name, value in told.items() if getattr(current, name) != value}
    if not differ:
        return current, []
    shown = replace(current, **differ).as_inputs()
    said = ", ".join(f"{name}={shown[name]}" for name in SETTING_NAMES if name in differ)
    if new_workspace:
        return replace(current, **differ), [f"{FILE}: the workspace takes the export's settings ({said})"]
    clash = [name for name in MEANING if name in differ]
    if clash:
        mine = current.as_inputs()
        raise SettingsFileError(
            f"{FILE}: the export's {' and '.join(f'{n} is {shown[n]}' for n in clash)}, this workspace's "
            f"{' and '.join(mine[n] for n in clash)}; its rows would be read in the wrong "
            f"{' and '.join(n.replace('_', ' ') for n in clash)}. Import it into a new workspace, or change "
            "this one's first (koers settings)")
    return current, [f"{FILE}: the workspace keeps its own settings where the export's differ ({said})"]
