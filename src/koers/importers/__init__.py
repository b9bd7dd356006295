"""Importers: everything that brings source data into the canonical tables."""

import csv

# Python's csv module refuses a field of more than 128 KiB, where DuckDB's
# reader takes a line of up to 2 MB and a mapped file's value may be longer
# still (a note pasted into a CRM): the import's own readings take any field.
csv.field_size_limit(2**31 - 1)
