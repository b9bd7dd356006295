"""Koers: the sales-KPI cockpit. Canonical workspace, KPI catalogue and engine."""

__version__ = "0.1.0"
