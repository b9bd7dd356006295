"""The JSON API under /api/v1: the catalogue, KPI values with the CLI's
parameters, and the records behind a figure."""

from koers.web.api.v1 import router

__all__ = ["router"]
