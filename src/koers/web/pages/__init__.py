"""The HTML pages: dashboards, the catalogue and a page per KPI, the data log, settings."""

from koers.web.pages import alerts, changes, dashboards, data, kpi, leaderboard, review, settings

routers = [dashboards.router, changes.router, alerts.router, review.router, leaderboard.router, kpi.router, data.router, settings.router]
