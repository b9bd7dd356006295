"""The HTML pages: dashboards, the catalogue and a page per KPI, the data log, settings."""

from koers.web.pages import dashboards, data, kpi, leaderboard, settings

routers = [dashboards.router, leaderboard.router, kpi.router, data.router, settings.router]
