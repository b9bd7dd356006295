"""Importers: everything that brings source data into the canonical tables."""
