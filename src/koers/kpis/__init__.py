"""The KPI catalogue and the engine that computes it."""
