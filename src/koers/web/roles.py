"""Role presets: the KPIs each role steers on, as a starting point for the
overview (the manager's own pick lives in the focus_kpis setting)."""

from __future__ import annotations

PRESETS: dict[str, tuple[str, ...]] = {
    # answers inbound leads fast and books meetings
    "inside_sales": ("leads", "qualified_leads", "lead_response_time", "lead_response_sla", "lead_conversion_rate",
                     "activities_per_rep_week", "activity_points"),
    # keeps and grows the customers
    "account_manager": ("revenue", "active_customers", "upsell_rate", "customer_retention_rate", "churn_rate", "nps",
                        "average_order_value"),
    # steers the team to target
    "sales_manager": ("won_value", "win_rate", "open_pipeline_value", "pipeline_coverage", "sales_cycle_length",
                      "average_deal_size", "forecast_accuracy"),
}
