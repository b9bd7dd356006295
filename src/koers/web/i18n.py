"""The words of the web pages in Dutch and English; KPI names and dimension
labels come from the catalogue (kpis.model) and are not repeated here."""

from __future__ import annotations

LANGS = ("nl", "en")

WORDS: dict[str, tuple[str, str]] = {
    # navigation
    "overview": ("Overzicht", "Overview"),
    "pipeline": ("Pijplijn", "Pipeline"),
    "activities": ("Teamactiviteiten", "Team activities"),
    "performance": ("Prestaties", "Performance"),
    "stages": ("Fase-analyse", "Stage analysis"),
    "leaderboard": ("Ranglijst", "Leaderboard"),
    "alerts": ("Signalen", "Alerts"),
    "review": ("Terugblik", "Review"),
    "catalogue": ("KPI's", "KPIs"),
    "settings": ("Instellingen", "Settings"),
    "data": ("Gegevens", "Data"),
    "last_import": ("Laatste import", "Last import"),
    "never": ("nog nooit", "never"),
    "sync_failed": ("De laatste synchronisatie mislukte", "The last sync failed"),
    "imports": ("Imports", "Imports"),
    "syncs": ("Synchronisaties", "Syncs"),
    "sync_tables": ("Synchronisaties per tabel", "Syncs per table"),
    "imported_at": ("Geïmporteerd", "Imported"),
    "origin": ("Bron", "Source"),
    "read": ("Gelezen", "Read"),
    "written": ("Geschreven", "Written"),
    "rejected": ("Afgewezen", "Rejected"),
    "rejects_path": ("Afgewezen rijen in", "Rejected rows in"),
    "rejected_rows": ("Afgewezen rijen", "Rejected rows"),
    "rejects_help": ("De rijen die deze import niet kon overnemen, met de reden: herstel ze in de bron en "
                     "importeer opnieuw (de goede rijen staan er al).",
                     "The rows this import could not take, with the reason: fix them at the source and import "
                     "again (the good rows are in already)."),
    "rejects_gone": ("Het bestand met afgewezen rijen is er niet meer.", "The file of rejected rows is gone."),
    "rejects_cut": ("Deze pagina toont de eerste 10.000; het bestand bevat ze allemaal.",
                    "This page shows the first 10,000; the file holds every one."),
    "file": ("Bestand", "File"),
    "line": ("Regel", "Line"),
    "column": ("Kolom", "Column"),
    "reason": ("Reden", "Reason"),
    "started": ("Gestart", "Started"),
    "finished": ("Klaar", "Finished"),
    "status": ("Status", "Status"),
    "message": ("Melding", "Message"),
    "table": ("Tabel", "Table"),
    "data_help": ("Wat er in deze werkruimte kwam en wanneer: elke import en elke synchronisatie, de nieuwste "
                  "eerst. Tijden in de tijdzone van de werkruimte.",
                  "What came into this workspace and when: every import and every sync, newest first. Times "
                  "in the workspace's time zone."),
    "api": ("API", "API"),
    # filters
    "period": ("Periode", "Period"),
    "filters": ("Filters", "Filters"),
    "grain": ("Korrel", "Grain"),
    "all": ("Alle", "All"),
    "apply": ("Toepassen", "Apply"),
    "reset": ("Wissen", "Reset"),
    "day": ("dag", "day"),
    "week": ("week", "week"),
    "month": ("maand", "month"),
    "quarter": ("kwartaal", "quarter"),
    "year": ("jaar", "year"),
    "as_of": ("stand per", "as of"),
    "filter_unheld": ("geen record heeft deze waarde, dus de cijfers tellen geen enkel record",
                      "no record holds this value, so the figures count no record"),
    "did_you_mean": ("bedoelde u", "did you mean"),
    "or": ("of", "or"),
    "filters_not_applied": ("Filter geldt niet voor deze KPI", "Filter does not apply to this KPI"),
    # cards
    "vs_previous": ("t.o.v. vorige periode", "vs previous period"),
    "vs_year": ("t.o.v. vorig jaar", "vs same period last year"),
    "target": ("Doel", "Target"),
    "actual": ("Realisatie", "Actual"),
    "attainment": ("Realisatie t.o.v. doel", "Attainment"),
    "on_pace_for": ("op koers voor", "on pace for"),
    "of_target": ("van het doel", "of target"),
    "no_target": ("geen doel gezet", "no target set"),
    "target_not_scoped": ("doelen bestaan per verkoper, team of bedrijf; niet onder dit filter",
                          "targets exist per rep, team or company, not under this filter"),
    "definition": ("Definitie", "Definition"),
    "details": ("Details", "Details"),
    "last_12": ("laatste 12 perioden", "last 12 periods"),
    "pp": ("pp", "pp"),
    "no_data": ("geen gegevens", "no data"),
    # roles
    "role": ("Rol", "Role"),
    "focus": ("Focus-KPI's", "Focus KPIs"),
    "inside_sales": ("Binnendienst", "Inside sales"),
    "account_manager": ("Accountmanager", "Account manager"),
    "sales_manager": ("Salesmanager", "Sales manager"),
    # KPI page
    "type": ("Soort", "Type"),
    "unit": ("Eenheid", "Unit"),
    "better": ("Beter is", "Better is"),
    "family": ("Familie", "Family"),
    "dimensions": ("Dimensies", "Dimensions"),
    "notes": ("Opmerkingen", "Notes"),
    "trend": ("Verloop", "Trend"),
    "split_by": ("Uitsplitsen naar", "Split by"),
    "none": ("geen", "none"),
    "insight_note": (
        "Inzicht-KPI: om te begrijpen wat er gebeurt, niet om een verkoper op te beoordelen.",
        "Insight KPI: for understanding what happens, not for judging a rep.",
    ),
    "action": ("actie", "action"),
    "result": ("resultaat", "result"),
    "insight": ("inzicht", "insight"),
    "higher": ("hoger", "higher"),
    "lower": ("lager", "lower"),
    "closer to 0": ("dichter bij 0", "closer to 0"),
    "records": ("Records", "Records"),
    "drill": ("records", "records"),
    "drill_title": ("De records achter het cijfer", "The records behind the figure"),
    "built_from": ("Samengesteld uit", "Built from"),
    "other_records": ("Ook achter dit cijfer", "Also behind this figure"),
    "own_records": ("De eigen records van dit cijfer", "This figure's own records"),
    "composite_note": (
        "Deze KPI wordt berekend uit andere KPI's; bekijk de records van de onderdelen.",
        "This KPI is computed from other KPIs; see the records of its parts.",
    ),
    "page": ("Pagina", "Page"),
    "of": ("van", "of"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "export": ("Exporteren", "Export"),
    "print": ("Afdrukken of PDF", "Print or PDF"),
    "warnings": ("Waarschuwingen", "Warnings"),
    "matching": ("records", "records"),
    # tables
    "rank": ("#", "#"),
    "rep": ("Verkoper", "Rep"),
    "team": ("Team", "Team"),
    "change": ("Verandering", "Change"),
    "rank_by": ("Rangschikken", "Rank"),
    "reps": ("verkopers", "reps"),
    "teams": ("teams", "teams"),
    "kpi": ("KPI", "KPI"),
    "value": ("Waarde", "Value"),
    "share_previous": ("% van vorige stap", "% of previous step"),
    "share_first": ("% van eerste stap", "% of first step"),
    "step": ("Stap", "Step"),
    "funnel": ("Trechter", "Funnel"),
    "funnel_note": (
        "Elke stap telt wat in de periode gebeurde (leads aangemaakt, gekwalificeerd, deals die een fase "
        "binnengingen, gewonnen); geen cohort: een deal kan in een eerdere periode als lead begonnen zijn.",
        "Each step counts what happened in the period (leads created, qualified, deals entering a stage, won); "
        "not a cohort: a deal may have started as a lead in an earlier period.",
    ),
    "entered_stage": ("Fase binnengegaan", "Entered stage"),
    "team_total": ("Team (alle verkopers)", "Team (all reps)"),
    "previous_year": ("Vorig jaar", "Previous year"),
    "this_year": ("Deze periode", "This period"),
    # settings
    "save": ("Opslaan", "Save"),
    "saved": ("Opgeslagen.", "Saved."),
    "focus_help": (
        "Kies 3 tot 7 KPI's voor de kaarten op het overzicht.",
        "Pick 3 to 7 KPIs for the cards on the overview.",
    ),
    "too_many_focus": (
        "Meer dan 7 focus-KPI's: het overzicht verliest zijn focus. Overweeg er minder te kiezen.",
        "More than 7 focus KPIs: the overview loses its focus. Consider picking fewer.",
    ),
    "too_few_focus": ("Kies er minstens 3.", "Pick at least 3."),
    "use_preset": ("Gebruik voorinstelling", "Use preset"),
    "workspace_settings": ("Werkruimte-instellingen", "Workspace settings"),
    "setting_time_zone": ("Tijdzone", "Time zone"),
    "setting_currency": ("Valuta", "Currency"),
    "setting_response_sla_hours": ("Reactienorm leads", "Lead response SLA"),
    "setting_stale_days": ("Vastgelopen na", "Stale after"),
    "setting_outreach_types": ("Activiteiten die als benadering tellen (inwerktijd)",
                               "Activity types that count as outreach (ramp time)"),
    "setting_activity_points": ("Activiteitspunten", "Activity points"),
    "change_with": ("Wijzigen met", "Change with"),
    "hours_word": ("uur", "hours"),
    "days_word": ("dagen", "days"),
    "error": ("Dat kan niet", "That cannot be asked"),
    "not_found": ("Niet gevonden", "Not found"),
    "stale_deals": ("Vastgelopen deals", "Stale deals"),
    # pipeline changes between two snapshots
    "pipeline_changes": ("Pijplijnveranderingen", "Pipeline changes"),
    "changes_since": ("Van", "From"),
    "changes_until": ("Tot", "To"),
    "changes_closing": ("Verwacht te sluiten in", "Expected to close in"),
    "changes_note": ("Elke import legt de open deals vast; dit zet twee van die momenten naast elkaar. Waarden in "
                     "de valuta van de werkruimte tegen de koers van elke dag; per verkoper de eigenaar van nu.",
                     "Every import records the open deals; this sets two of those moments side by side. Values in "
                     "the workspace currency at each day's rate; per rep, the owner today."),
    "changes_cut": ("De eerste 1000 deals; de export geeft ze alle.", "The first 1,000 deals; the export gives them all."),
    "all_changed": ("alle gewijzigde deals", "every deal that changed"),
    # alerts (koers.alerts)
    "alerts_note": ("De signaalregels van deze werkruimte, getoetst aan de cijfers op het peilmoment. Elke regel "
                    "kijkt naar een periode vanaf dat moment: de laatste volle periode of de lopende.",
                    "This workspace's alert rules, checked against the figures at the as-of moment. Each rule looks "
                    "at a period from that moment: the last complete one or the one running."),
    "alerts_quiet": ("Regels zonder signaal", "Rules without an alert"),
    "alerts_quiet_filtered": ("Regels zonder signaal voor deze filters", "Rules without an alert for these filters"),
    "alerts_none": ("Nog geen signaalregels. Een regel maak je met de opdrachtregel, bijvoorbeeld:",
                    "No alert rules yet. Make one on the command line, for example:"),
    "so_far": ("tot nu", "so far"),
    "scope": ("Voor", "For"),
    # the review (koers.review)
    "review_left_out": ("Weggelaten, want niet te splitsen naar dit filter", "Left out, as they do not split by this filter"),
    "review_note": ("Wat het verkoopoverleg doorneemt over de periode: de focus-KPI's naast de periode ervoor, een "
                    "jaar eerder en het target; elke verkoper; de signalen, elke regel over de laatste volle periode "
                    "van zijn korrel aan het eind van deze; en wat er in de pijplijn veranderde tussen de "
                    "momentopnamen aan het begin en het eind.",
                    "What the sales meeting goes through for the period: the focus KPIs beside the period before, a "
                    "year earlier and the target; every rep; the alerts, each rule over the last complete period of its "
                    "grain at this one's end; and what changed in the pipeline between the snapshots at "
                    "its start and its end."),
    "review_over": ("De cijfers zoals ze stonden aan het eind van de periode,", "The figures as they stood at the "
                    "period's end,"),
    "review_running": ("De periode loopt nog: de cijfers tot nu,", "The period is running: the figures so far,"),
    "deals": ("Deals", "Deals"),
    "other": ("Overig", "Other"),
    "deals_changed": ("Gewijzigde deals", "Deals that changed"),
    "not_by_team": ("Niet per team te splitsen", "Does not split by team"),
    "not_computed": ("Kon niet worden berekend", "Could not be computed"),
    "top": ("top", "top"),
    "show_all": ("Alle tonen", "Show all"),
    # KPI families and units (ids in the catalogue)
    "family_leads": ("Leads", "Leads"), "family_pipeline": ("Pijplijn", "Pipeline"),
    "family_deals": ("Deals", "Deals"), "family_revenue": ("Omzet", "Revenue"),
    "family_customers": ("Klanten", "Customers"), "family_activities": ("Activiteiten", "Activities"),
    "family_reps": ("Verkopers", "Reps"),
    "unit_count": ("aantal", "count"), "unit_money": ("bedrag", "money"), "unit_ratio": ("verhouding", "ratio"),
    "unit_hours": ("uren", "hours"), "unit_days": ("dagen", "days"), "unit_points": ("punten", "points"),
    "unit_score": ("score", "score"), "unit_money per day": ("bedrag per dag", "money per day"),
}


# The columns of the records a drill-down lists (dimensions are labelled in kpis.model.LABELS).
RECORD_COLUMNS: dict[str, tuple[str, str]] = {
    "activity_id": ("Activiteit", "Activity"), "contract_id": ("Contract", "Contract"),
    "customer_id": ("Klant", "Customer"), "lead_id": ("Lead", "Lead"), "opportunity_id": ("Deal", "Deal"),
    "order_id": ("Order", "Order"), "rep_id": ("Verkoper-id", "Rep id"), "owner_id": ("Verkoper-id", "Rep id"),
    "manager_id": ("Manager", "Manager"), "referred_by_customer_id": ("Verwezen door", "Referred by"),
    "name": ("Naam", "Name"), "email": ("E-mail", "Email"), "status": ("Status", "Status"),
    "amount": ("Bedrag", "Amount"), "currency": ("Valuta", "Currency"), "cost": ("Kosten", "Cost"),
    "total_value": ("Totale waarde", "Total value"), "probability": ("Kans (%)", "Probability (%)"),
    "forecast_category": ("Prognosecategorie", "Forecast category"), "lost_reason": ("Reden verlies", "Lost reason"),
    "churn_reason": ("Reden vertrek", "Churn reason"), "score": ("Score", "Score"),
    "created_at": ("Aangemaakt", "Created"), "closed_at": ("Gesloten", "Closed"),
    "qualified_at": ("Gekwalificeerd", "Qualified"), "first_response_at": ("Eerste reactie", "First response"),
    "first_contact_at": ("Eerste contact", "First contact"), "converted_at": ("Geconverteerd", "Converted"),
    "disqualified_at": ("Gediskwalificeerd", "Disqualified"), "due_at": ("Gepland", "Due"),
    "done_at": ("Gedaan", "Done"), "entered_at": ("Fase in", "Entered stage"),
    "expected_close_on": ("Verwachte sluiting", "Expected close"), "acquired_on": ("Klant sinds", "Customer since"),
    "churned_on": ("Vertrokken op", "Churned on"), "ordered_on": ("Besteld op", "Ordered on"),
    "start_on": ("Start", "Start"), "end_on": ("Einde", "End"), "hired_on": ("In dienst", "Hired"),
    "left_on": ("Uit dienst", "Left"), "responded_on": ("Beantwoord op", "Answered on"),
    # the other records behind a figure (koers.kpis.records)
    "month": ("Maand", "Month"), "category": ("Soort", "Category"), "submitted_on": ("Ingediend op", "Submitted on"),
    "won_value": ("Gewonnen waarde", "Won value"), "days_in_period": ("Dagen in periode", "Days in period"),
    "days_overlapping": ("Dagen overlap", "Days overlapping"), "prorated": ("Naar rato", "Prorated"),
    "rep_team": ("Team van de verkoper", "Rep's team"), "counted_over": ("Geteld over", "Counted over"),
}


# the deals behind `koers changes` (koers.pipeline_changes): a field before and after, and what changed
CHANGED_DEAL_COLUMNS: dict[str, tuple[str, str]] = {
    "line": ("Regel", "Line"), "moves": ("Bewegingen", "Moves"), "rate_moved": ("Koers bewogen", "Rate moved"),
    "changed": ("Gewijzigde velden", "Fields changed"), "value_change": ("Verandering waarde", "Change in value"),
    "amount_change": ("Verandering bedrag", "Change in amount"), "rate_change": ("Verandering koers", "Change in rate"),
}
SIDES = {"before": ("ervoor", "before"), "after": ("erna", "after")}


def column_label(name: str, lang: str) -> str:
    """A record column's heading: the catalogue's label for a dimension, else ours, else its name."""
    from koers.kpis.model import LABELS, label

    if name in LABELS:
        return label(name, lang)
    field, _, side = name.rpartition("_")
    if side in SIDES and field:  # stage_before: "Fase (ervoor)"
        nl, en = SIDES[side]
        return f"{column_label(field, lang)} ({nl if lang == 'nl' else en})"
    nl, en = RECORD_COLUMNS.get(name) or CHANGED_DEAL_COLUMNS.get(name, (name, name))
    return nl if lang == "nl" else en


def word(key: str, lang: str) -> str:
    nl, en = WORDS.get(key, (key, key))
    return nl if lang == "nl" else en
