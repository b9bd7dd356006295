"""Koers on the web: dashboards, a page per KPI, drill-downs and a JSON API.

Pages and API ask the library (ResultCache over compute and drill) and only
present its answers: no SQL, no KPI arithmetic here.
"""
