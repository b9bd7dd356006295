"""An independent reference implementation of kpis.md in plain Python.

It reads a canonical dataset folder itself and computes each KPI straight
from the spec's text, without Koers's model, engine or periods, so that a
test can hold Koers's figures against a second reading of the same spec.
"""
