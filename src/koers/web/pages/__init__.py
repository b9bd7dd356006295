"""The HTML pages: dashboards, the catalogue and a page per KPI, settings."""

from koers.web.pages import dashboards, kpi, leaderboard, settings

routers = [dashboards.router, leaderboard.router, kpi.router, settings.router]
