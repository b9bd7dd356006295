"""The catalogue's definitions and notes in Dutch, for the Dutch pages, API and docs.

A faithful translation of each KPI's English `definition` and `notes` (which
follow ../shared/spec/kpis.md): every boundary rule kept (end(P), T, "vóór",
N × 24 uur, ...), identifiers, KPI ids, column names and formulas as they are.
`Kpi.definition_in("nl")` and `Kpi.notes_in("nl")` read these;
tests/test_definitions_nl.py keeps them complete.
"""

from __future__ import annotations

DEFINITIONS_NL: dict[str, str] = {
    # Leads
    "leads": "leads met created_at in P",
    "qualified_leads": "leads met qualified_at in P",
    "lead_conversion_rate": "van de leads aangemaakt in P: het aandeel dat geconverteerd is (converted_at vóór T)",
    "lead_to_customer_rate": (
        "van de leads aangemaakt in P: het aandeel waaraan een vóór T gewonnen deal gekoppeld is "
        "(opportunities.lead_id)"
    ),
    "lead_response_time": (
        "mediaan van (first_response_at − created_at) in uren over de leads aangemaakt in P die een eerste "
        "reactie hebben"
    ),
    "lead_response_sla": (
        "van de leads aangemaakt in P: het aandeel dat binnen de reactienorm (SLA) beantwoord is "
        "(first_response_at − created_at <= SLA, standaard 2 uur); onbeantwoorde leads tellen als gemist"
    ),
    "referrals": "leads aangemaakt in P waarbij referred_by_customer_id ingevuld is",
    # Pipeline
    "open_pipeline_value": "som van amount over de deals die open zijn op end(P)",
    "open_pipeline_count": "aantal deals die open zijn op end(P)",
    "weighted_pipeline_value": (
        "som van amount × p / 100 over de deals die open zijn op end(P); p = de winkans (probability) van de "
        "deal, anders de winkans van de fase waarin de deal op end(P) staat"
    ),
    "new_pipeline_value": "som van amount over de deals aangemaakt in P",
    "pipeline_age": "gemiddelde van (end(P) − created_at) in dagen over de deals die open zijn op end(P)",
    "pipeline_coverage": (
        "open_pipeline_value op end(P) / het doel voor won_value van de volgende periode (zie Targets); "
        "alleen de dimensies `owner` en `team`"
    ),
    "stale_opportunities": (
        "deals die open zijn op end(P) en de fase waarin ze op end(P) staan, meer dan N × 24 uur vóór end(P) "
        "zijn binnengegaan (N is een instelling, standaard 30)"
    ),
    # Deals
    "won_deals": "gewonnen deals met closed_at in P",
    "won_value": "som van amount over de gewonnen deals met closed_at in P",
    "win_rate": "gewonnen / (gewonnen + verloren) over de deals gesloten in P",
    "average_deal_size": "won_value / won_deals",
    "sales_cycle_length": (
        "gemiddelde van (closed_at − eerste contact) in dagen over de deals gewonnen in P; eerste contact = "
        "created_at van de gekoppelde lead, anders created_at van de deal"
    ),
    "stage_duration": (
        "gemiddeld aantal dagen van de verblijven in fasen met kind open die in P eindigden; een verblijf "
        "eindigt op de entered_at van de volgende rij in stage_history of op closed_at; zonder uitsplitsing: "
        "het gemiddelde over al die verblijven"
    ),
    "stage_conversion_rate": (
        "over de paren (deal, S), met S een fase met kind open die de deal in P binnenging, één paar per periode, "
        "gemeten vanaf de eerste keer dat de deal in P fase S binnenging: het aandeel dat daarna (strikt later, "
        "vóór T) een fase met kind open of won en een hogere sequence dan S binnenging, of vóór T gewonnen werd"
    ),
    "sales_velocity": (
        "open_pipeline_count op start(P) × win_rate(P) × average_deal_size(P) / sales_cycle_length(P), elke "
        "factor op dezelfde manier uitgesplitst; null als een factor null is of de verkoopcyclus 0 is"
    ),
    "follow_ups_per_win": (
        "gemiddelde, over de deals gewonnen in P, van het aantal verschillende afgeronde activiteiten met "
        "done_at <= closed_at die gekoppeld zijn aan de deal of aan de bijbehorende lead"
    ),
    "upsell_rate": (
        "van de klanten die actief zijn op start(P): het aandeel met minstens één in P gewonnen deal met "
        "deal_type upsell of cross_sell (klantdimensies)"
    ),
    # Revenue
    "revenue": "som van orders.amount met ordered_on in P (creditnota's inbegrepen)",
    "revenue_growth": (
        "(revenue(P) − revenue(vorige periode)) / revenue(vorige periode); null als de basis 0 is of ontbreekt"
    ),
    "revenue_growth_yoy": "hetzelfde, ten opzichte van de periode een jaar eerder",
    "average_order_value": "revenue(P) / aantal orders in P (creditnota's tellen als orders)",
    "gross_margin": "(Σ amount − Σ cost) / Σ amount over de orders in P waarvan cost bekend is",
    "acv": (
        "gemiddelde over de contracten met start_on in P van total_value / max(1, jaren), jaren = "
        "(end_on − start_on) in dagen / 365.25"
    ),
    "target_attainment": (
        "altijd uitgesplitst naar `target_kpi`, de KPI K waarvoor een doel is gesteld: gerealiseerde K over "
        "P / het doel van K over P, voor de gevraagde scope (`--by owner`: elke verkoper; `--by team`: elk "
        "team; geen van beide: het bedrijf)"
    ),
    "forecast_accuracy": (
        "(F − A) / A per verkoper: F = de prognose van de verkoper voor P (die met de laatste submitted_on <= "
        "de datum van start(P), voor een periode in de eigen notatie van P), A = de won_value van de verkoper "
        "in P; gegroepeerd: ΣF en ΣA over de verkopers met zo'n prognose; positief = overschatting"
    ),
    # Customers
    "new_customers": "klanten met acquired_on in P",
    "active_customers": "klanten die actief zijn op end(P)",
    "churn_rate": "van de klanten die actief zijn op start(P): het aandeel met churned_on in P",
    "customer_retention_rate": (
        "van de klanten die actief zijn op start(P): het aandeel dat op end(P) nog actief is "
        "(dus klantverloop + klantretentie = 1)"
    ),
    "cac": (
        "Σ kosten (marketing en sales) van de maanden in P / new_customers(P); alleen dimensie `source`: de "
        "kosten van die bron / de nieuwe klanten met die bron"
    ),
    "clv": (
        "a × f × L over het venster W = de 12 maanden die eindigen op end(P): a = omzet / orders in W; "
        "f = orders in W / klanten die op enig moment van W actief zijn; L = 1 / c, begrensd op 10 jaar "
        "(10 als c = 0), c = van de klanten die actief zijn bij het begin van W, het aandeel dat in W vertrokken "
        "is; null als a of c niet gedefinieerd is"
    ),
    "clv_cac_ratio": (
        "clv / cac, beide over de 12 maanden die eindigen op end(P); alleen dimensie `source`; 3 of meer is gezond"
    ),
    "nps": "over de antwoorden gedateerd in P: (aandeel met score 9–10 − aandeel met score 0–6) × 100",
    # Activities
    "activities": "activiteiten met done_at in P",
    "activities_per_rep_week": (
        "activities(P) / (verkopers in dienst gedurende P × w), w = dagen in P / 7; per owner: activities(P) van "
        "de verkoper / w; per team: de activiteiten van het team / (de verkopers van het team in dienst "
        "gedurende P × w); per type: de activiteiten van dat type / (alle verkopers in dienst gedurende P × w)"
    ),
    "activity_points": "Σ punten van de activiteiten afgerond in P (een type zonder punten scoort 0)",
    "activity_completion_rate": (
        "van de activiteiten met due_at in P: het aandeel dat op tijd afgerond is (done_at <= due_at)"
    ),
    "overdue_activities": (
        "de achterstand op end(P): activiteiten met due_at < end(P) die niet vóór end(P) afgerond zijn, "
        "ongeacht hoe oud"
    ),
    # Reps
    "rep_retention": "van de verkopers die in dienst zijn op start(P): het aandeel dat op end(P) nog in dienst is",
    "rep_ramp_time": (
        "gemiddeld aantal hele dagen van hired_on tot de datum van de eerste afgeronde activiteit van de verkoper "
        "waarvan het type een outreachtype is, over de verkopers aangenomen in P die zo'n activiteit hebben"
    ),
}

# KPI id -> the Dutch notes, as many and in the same order as the KPI's `notes`
# (a KPI that gains notes needs them here too: the test says so).
STAGE_NOW_NL = ("Per fase: een deal die vóór T gesloten is, staat in de fase waarin hij gesloten is, zoals zijn "
                "fasekolom zegt; een deal die op T open is, staat in de fase die zijn stage_history op T geeft.")
_PIPELINE_RATE_NL = ("Een bedrag in een andere valuta wordt omgerekend tegen de koers die geldt op de laatste dag "
                     "van P, of op de dag van T als P op T nog niet voorbij is.")
NOTES_NL: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("won_deals", "won_value", "win_rate", "average_deal_size", "sales_cycle_length",
                     "follow_ups_per_win", "new_pipeline_value", "sales_velocity"), (STAGE_NOW_NL,)),
    "activities_per_rep_week": ("Uitgesplitst naar of gefilterd op één verkoper is het de activities(P) / w van "
                                "die verkoper, ook voor een verkoper die in P niet in dienst is geweest maar er "
                                "wel activiteiten in heeft: een filter geeft wat de uitsplitsing voor die verkoper "
                                "toont.",),
    "overdue_activities": ("Voor een periode die op het peilmoment T nog niet voorbij is, is de stand op end(P) de "
                           "stand op T: activiteiten die vóór T vervallen en vóór T niet afgerond zijn.",),
    "rep_ramp_time": ("Een verkoper met een afgeronde outreachactiviteit vóór hired_on heeft een negatieve "
                      "inwerktijd, die het gemiddelde meetelt: de fout in de gegevens blijft zichtbaar in plaats "
                      "van verborgen.",),
    "stage_conversion_rate": ("\"Gewonnen vóór T\" telt een winst op elk moment vóór T, ook een na P.",),
    "forecast_accuracy": ("Alleen prognoses in de notatie van P zelf tellen (`2025-03` voor een maand, `2025-Q1` "
                          "voor een kwartaal). Een periode zonder zo'n prognose (een ISO-week, of een maand waarvoor "
                          "niemand een prognose gaf) geeft teller en noemer 0 en geen waarde.",),
    "revenue_growth": ("Uitgesplitst naar een dimensie verschijnt een groep met omzet in P of in de vorige periode; "
                       "een groep zonder omzet in de vorige periode heeft geen waarde.",),
    "revenue_growth_yoy": ("Uitgesplitst naar een dimensie verschijnt een groep met omzet in P of een jaar eerder; "
                           "een groep zonder omzet een jaar eerder heeft geen waarde.",
                           "ISO-week 53 en 29 februari hebben geen periode een jaar eerder: waarde, teller en "
                           "noemer zijn leeg."),
    "pipeline_coverage": ("Een verkoper of team met open pijplijn en zonder won_value-doel voor de volgende "
                          "periode verschijnt zonder waarde, zodat een ontbrekend doel opvalt; een met een doel en "
                          "niets open heeft een dekking van 0.",),
    "target_attainment": ("Een scope zonder doel voor K heeft geen rij. De realisatie van een scope zonder records "
                          "van K is wat `koers kpi K --where owner=R` ervoor geeft: 0 voor een telling of som, leeg "
                          "voor een verhouding of gemiddelde.",),
    "open_pipeline_value": (_PIPELINE_RATE_NL,),
    "weighted_pipeline_value": (_PIPELINE_RATE_NL,
                                "Een open deal zonder eigen winkans en zonder fase op end(P) telt als 0."),
    "clv": ("Klanten die op enig moment van W actief zijn: verworven vóór het einde van W en niet vóór het begin "
            "van W vertrokken; een klant die op één dag instapt en vertrekt, is nooit actief.",),
    "cac": ("Per bron verschijnt een bron met kosten of nieuwe klanten in P; kosten zonder nieuwe klanten geven "
            "geen waarde, nieuwe klanten zonder kosten een CAC van 0.",),
}
