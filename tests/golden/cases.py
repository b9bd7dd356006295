"""Hand-computed golden cases for `koers kpi` over tests/golden/data.

Every expected value was derived from the text of the spec (kpis.md,
data-model.md, cli.md) and the readings listed in README.md, never by
running Koers. Each case carries a `derivation` that can be checked with a
calculator.

A case is what `koers kpi KPI --period PERIOD [--grain GRAIN] [--by a,b]
[--where dim=value ...] --as-of AS_OF --format csv` receives, and `rows` is
the complete expected output (one dict per printed row). Numbers are
compared with a relative tolerance of 1e-9; None means an empty field.
Rows are listed sorted by period, then target_kpi, then the --by
dimensions (None last); compare them as a set keyed on period + dimensions
if the engine sorts nulls differently.

Conventions used in derivations:
- "local" times are Europe/Amsterdam: CET = UTC+01:00 until 2025-03-30
  02:00, CEST = UTC+02:00 until 2025-10-26 03:00, CET again after.
- Durations are real elapsed time, so a span across 2025-03-30 is one hour
  shorter than the wall clock says, across 2025-10-26 one hour longer.
- Exchange rates (1 unit = rate EUR): USD 0.92 from 2024-01-01, 0.90 from
  2025-03-15, 0.85 from 2025-07-01; GBP 1.16 from 2024-01-01, 1.20 from
  2025-06-01.
"""

T0 = "2026-01-01T00:00:00+01:00"  # after every event except OR17 (2026-12-29)


def r(period, value, numerator=None, denominator=None, **dims):
    """One expected output row."""
    row = {"period": period}
    row.update(dims)
    row.update(value=value, numerator=numerator, denominator=denominator)
    return row


def c(id, kpi, period, rows, derivation, grain=None, by=(), where=None, as_of=T0):
    return dict(
        id=id,
        kpi=kpi,
        period=period,
        grain=grain,
        by=list(by),
        where=dict(where or {}),
        as_of=as_of,
        rows=rows,
        derivation=derivation,
    )


CASES = []
add = CASES.append

# ---------------------------------------------------------------- Leads
add(
    c(
        "leads-2025-03",
        "leads",
        "2025-03",
        [r("2025-03-01", 5)],
        "Leads created in [2025-03-01 00:00 CET, 2025-04-01 00:00 CEST): L05 (03-03 09:00), L19 (03-30 01:45 CET), "
        "L06 (03-30 01:30 CET), L09 (03-12), L10 (03-31 23:59:59 CEST, last second of March) = 5. "
        "Excluded: L11 created exactly 2025-04-01T00:00:00+02:00 = start of April; L12 2025-03-31T22:30:00+00:00 "
        "= 2025-04-01 00:30 local (April although its UTC date is 31 March).",
    )
)
add(
    c(
        "leads-2025-04",
        "leads",
        "2025-04",
        [r("2025-04-01", 4)],
        "April leads: L11 (exactly 2025-04-01 00:00 local), L12 (22:30Z on 03-31 = 00:30 local 04-01), "
        "L13 (2025-04-10T08:00-05:00 = 15:00 local), L15 (04-14) = 4. L14 2025-04-30T19:00:00-05:00 = "
        "2025-05-01T00:00Z = 02:00 local on 1 May, so May; L10 (03-31 23:59:59) is March.",
    )
)
add(
    c(
        "leads-2025-03-by-source",
        "leads",
        "2025-03",
        [
            r("2025-03-01", 1, source="paid_ads"),
            r("2025-03-01", 1, source="referral"),
            r("2025-03-01", 2, source="website"),
            r("2025-03-01", 1, source=None),
        ],
        "March leads by lead source: paid_ads L19; referral L05; website L06, L10; L09 has no source, so it is "
        "the empty (null) group with 1.",
        by=["source"],
    )
)
add(
    c(
        "leads-2025-01..06-month",
        "leads",
        "2025-01..2025-06",
        [
            r("2025-01-01", 3),
            r("2025-02-01", 4),
            r("2025-03-01", 5),
            r("2025-04-01", 4),
            r("2025-05-01", 3),
            r("2025-06-01", 2),
        ],
        "Jan: L01, L02, L08 = 3. Feb: L03, L04, L07, L25 = 4. Mar: L05, L06, L09, L10, L19 = 5. "
        "Apr: L11, L12, L13, L15 = 4. May: L14 (02:00 local on 1 May), L16, L24 = 3. Jun: L17, L22 = 2.",
    )
)
add(
    c(
        "leads-2025-03-30-dst-day",
        "leads",
        "2025-03-30",
        [r("2025-03-30", 2)],
        "Day 2025-03-30 is [2025-03-29T23:00Z, 2025-03-30T22:00Z), 23 hours. L06 (01:30 CET) and L19 "
        "(01:45 CET) fall in it = 2.",
    )
)
add(
    c(
        "leads-2025-W14",
        "leads",
        "2025-W14",
        [r("2025-03-31", 3)],
        "ISO week 2025-W14 = Mon 2025-03-31 .. Sun 2025-04-06: L10 (03-31 23:59:59), L11 (04-01 00:00), "
        "L12 (04-01 00:30 local) = 3.",
    )
)
add(
    c(
        "leads-2025-03-asof-L19",
        "leads",
        "2025-03",
        [r("2025-03-01", 3)],
        "As of T = 2025-03-30T01:45:00+01:00, the instant L19 is created: an event at T has not happened, so L19 "
        "does not exist yet; L10 is later still. March leads before T: L05, L09, L06 (01:30 CET) = 3. "
        "March is not over at T; the count is its state at T.",
        as_of="2025-03-30T01:45:00+01:00",
    )
)

add(
    c(
        "qualified_leads-2025-03",
        "qualified_leads",
        "2025-03",
        [r("2025-03-01", 3)],
        "qualified_at in March: L05 (03-03 10:30), L25 (created 02-20, qualified 03-05), L09 (03-20) = 3. "
        "L10 is created in March but qualified 2025-04-01 09:00 (April).",
    )
)
add(
    c(
        "qualified_leads-2025-Q1-month",
        "qualified_leads",
        "2025-Q1",
        [r("2025-01-01", 2), r("2025-02-01", 2), r("2025-03-01", 3)],
        "Jan: L01 (01-14), L02 (01-20) = 2; L08 never qualified. Feb: L03 (02-07), L07 (02-18) = 2. "
        "Mar: L05, L25, L09 = 3.",
        grain="month",
    )
)
add(
    c(
        "qualified_leads-2025-04-asof",
        "qualified_leads",
        "2025-04",
        [r("2025-04-01", 1)],
        "As of T = 2025-04-11T10:00:00+02:00: L10 qualified 04-01 09:00 counts; L13 is qualified exactly at T "
        "(not happened); L15 on 04-15 is after T. = 1.",
        as_of="2025-04-11T10:00:00+02:00",
    )
)


add(
    c(
        "lead_conversion_rate-2025-Q1",
        "lead_conversion_rate",
        "2025-Q1",
        [r("2025-01-01", 9 / 12, 9, 12)],
        "Leads created in Q1: Jan L01 L02 L08, Feb L03 L04 L07 L25, Mar L05 L06 L09 L10 L19 = 12. Converted "
        "before T: L01, L02, L03, L05, L07, L08, L09 (03-20), L25 (03-21), L10 (2025-04-02: after Q1 but before "
        "T, still counts) = 9. Not converted: L04, L06, L19. 9/12.",
    )
)
add(
    c(
        "lead_conversion_rate-2025-Q1-asof",
        "lead_conversion_rate",
        "2025-Q1",
        [r("2025-01-01", 5 / 8, 5, 8)],
        "As of T = 2025-03-03T11:00:00+01:00. Leads created in Q1 before T: L01 L02 L08 L03 L04 L07 L25 and L05 "
        "(03-03 09:00) = 8. Converted before T: L01 (01-15), L08 (01-27), L02 (01-20), L03 (02-10), L07 (02-18) "
        "= 5. L05 converts exactly at T (not happened), L25 on 03-21 is after T: both count as unconverted.",
        as_of="2025-03-03T11:00:00+01:00",
    )
)
add(
    c(
        "lead_conversion_rate-2025-03-by-source",
        "lead_conversion_rate",
        "2025-03",
        [
            r("2025-03-01", 0.0, 0, 1, source="paid_ads"),
            r("2025-03-01", 1.0, 1, 1, source="referral"),
            r("2025-03-01", 0.5, 1, 2, source="website"),
            r("2025-03-01", 1.0, 1, 1, source=None),
        ],
        "March leads: paid_ads L19 not converted 0/1; referral L05 converted 1/1; website L06 no, L10 yes "
        "(04-02) 1/2; null source L09 converted 03-20 1/1.",
        by=["source"],
    )
)
add(
    c(
        "lead_conversion_rate-2025-08-empty",
        "lead_conversion_rate",
        "2025-08",
        [r("2025-08-01", None, 0, 0)],
        "No lead is created in August 2025: denominator 0, so the value is null; numerator 0 and denominator 0 "
        "are still printed.",
    )
)

add(
    c(
        "lead_to_customer_rate-2025-Q1",
        "lead_to_customer_rate",
        "2025-Q1",
        [r("2025-01-01", 4 / 12, 4, 12)],
        "The 12 Q1 leads (see lead_conversion_rate-2025-Q1). Linked by an opportunity won before T: L01 (O01 won "
        "03-10), L03 (O02 won 03-31), L05 (O03 won 04-01 00:00), L08 (O07 won 05-05) = 4. L02 -> O04 lost, "
        "L07 -> O06 lost, L10 -> O09 lost, L25 -> O16 lost, L09 -> O18 open. 4/12.",
    )
)
add(
    c(
        "lead_to_customer_rate-2025-Q1-asof",
        "lead_to_customer_rate",
        "2025-Q1",
        [r("2025-01-01", 2 / 12, 2, 12)],
        "As of T = 2025-04-01T00:00:00+02:00. All 12 Q1 leads exist (L10 at 03-31 23:59:59 < T). Won before T: "
        "O01 (L01), O02 (L03, won 03-31 23:30+02:00). O03 closes exactly at T: not yet won, so L05 does not "
        "count; O07 wins in May. 2/12.",
        as_of="2025-04-01T00:00:00+02:00",
    )
)
add(
    c(
        "lead_to_customer_rate-2025-Q1-by-owner",
        "lead_to_customer_rate",
        "2025-Q1",
        [
            r("2025-01-01", 2 / 4, 2, 4, owner="R1"),
            r("2025-01-01", 1 / 3, 1, 3, owner="R2"),
            r("2025-01-01", 1 / 2, 1, 2, owner="R3"),
            r("2025-01-01", 0.0, 0, 2, owner="R4"),
            r("2025-01-01", 0.0, 0, 1, owner="R5"),
        ],
        "R1: L01 yes, L02 no, L08 yes, L09 no = 2/4. R2: L03 yes, L06 no, L25 no = 1/3. R3: L05 yes, L10 no = "
        "1/2. R4: L07 no, L19 no = 0/2. R5: L04 no = 0/1.",
        by=["owner"],
    )
)

add(
    c(
        "lead_response_time-2025-03",
        "lead_response_time",
        "2025-03",
        [r("2025-03-01", 3601 / 3600)],
        "March leads with a first response, in real hours: L05 09:00->10:00 = 1; L06 01:30 CET -> 03:30 CEST = 1 "
        "(not 2: the clock jumps 02:00->03:00); L10 23:59:59 -> 04-01 01:00:00 = 3601 s = 1.000278; L19 01:45 CET "
        "-> 04:15 CEST = 1.5; L09 10:00->13:00 = 3. Sorted 1, 1, 3601/3600, 1.5, 3: median = 3601/3600 hours.",
    )
)
add(
    c(
        "lead_response_time-2025-10",
        "lead_response_time",
        "2025-10",
        [r("2025-10-01", 2.25)],
        "October leads: L18 2025-10-26 01:30 CEST (23:30Z) -> 03:30 CET (02:30Z) = 3 hours (wall clock says 2); "
        "L20 2025-10-27T10:00:00+00:00 = 11:00 CET -> 12:30 = 1.5; L21 has no response (left out). "
        "Even count: median = (1.5 + 3) / 2 = 2.25.",
    )
)
add(
    c(
        "lead_response_time-2025-03-by-owner",
        "lead_response_time",
        "2025-03",
        [
            r("2025-03-01", 3.0, owner="R1"),
            r("2025-03-01", 1.0, owner="R2"),
            r("2025-03-01", (1 + 3601 / 3600) / 2, owner="R3"),
            r("2025-03-01", 1.5, owner="R4"),
        ],
        "R1: L09 3 h. R2: L06 1 h (DST night). R3: L05 1 h and L10 3601/3600 h, median = mean of the two = "
        "1 + 1/7200. R4: L19 1.5 h.",
        by=["owner"],
    )
)
add(
    c(
        "lead_response_sla-2025-03",
        "lead_response_sla",
        "2025-03",
        [r("2025-03-01", 4 / 5, 4, 5)],
        "SLA 2 hours, real time. L05 1 h yes; L06 1 h yes; L10 1.000278 h yes; L19 1.5 h yes (wall clock 2.5 h "
        "across the spring-forward, real 1.5 h); L09 3 h no. 4/5.",
    )
)
add(
    c(
        "lead_response_sla-2025-03-asof",
        "lead_response_sla",
        "2025-03",
        [r("2025-03-01", 3 / 5, 3, 5)],
        "As of T = 2025-04-01T00:30:00+02:00 (March is over). L10's first response at 04-01 01:00 is after T, so "
        "L10 is unanswered and counts as missed: L05, L06, L19 within SLA = 3/5.",
        as_of="2025-04-01T00:30:00+02:00",
    )
)
add(
    c(
        "lead_response_sla-2025-10",
        "lead_response_sla",
        "2025-10",
        [r("2025-10-01", 1 / 3, 1, 3)],
        "L18 3 real hours across the fall-back (wall clock 2 h) is missed; L20 1.5 h within; L21 unanswered = "
        "missed. 1/3.",
    )
)
add(
    c(
        "lead_response_sla-2025-01",
        "lead_response_sla",
        "2025-01",
        [r("2025-01-01", 1.0, 3, 3)],
        "L01 1.5 h, L02 exactly 2 h (<= SLA counts), L08 0.75 h: 3/3.",
    )
)
add(
    c(
        "referrals-2025-Q2",
        "referrals",
        "2025-Q2",
        [r("2025-04-01", 2)],
        "Q2 leads with referred_by_customer_id: L15 (C2, 04-14), L16 (C5, 05-08) = 2.",
    )
)
add(
    c(
        "referrals-2025-Q2-by-owner",
        "referrals",
        "2025-Q2",
        [r("2025-04-01", 1, owner="R1"), r("2025-04-01", 1, owner="R3")],
        "L15 owner R1, L16 owner R3; no other owner has a referral, so no other rows.",
        by=["owner"],
    )
)
# ---------------------------------------------------------------- Pipeline
OPEN_END_MARCH = (
    "Open at end(March) = 2025-04-01T00:00+02:00 (created before and closed_at null or >= it): "
    "O03 (closed exactly at end(March), so still open), O05, O06, O07, O14, O16, O18; O01, O02 "
    "(03-31 23:30+02:00), O04 closed before. "
)
add(
    c(
        "open_pipeline_value-2025-03",
        "open_pipeline_value",
        "2025-03",
        [r("2025-03-01", 30520)],
        OPEN_END_MARCH + "Amounts at the rate of 2025-03-31: O03 4000 + O05 USD 3000 x 0.90 = 2700 + O06 5000 + "
        "O07 8000 + O14 7000 + O16 GBP 2000 x 1.16 = 2320 + O18 1500 = 30520.",
    )
)
add(
    c(
        "open_pipeline_value-2025-03-by-stage",
        "open_pipeline_value",
        "2025-03",
        [
            r("2025-03-01", 4000, stage="Negotiation"),
            r("2025-03-01", 3820, stage="New"),
            r("2025-03-01", 17700, stage="Proposal"),
            r("2025-03-01", 5000, stage="Qualified"),
        ],
        OPEN_END_MARCH + "Stage at end(March) = last stage_history row entered before it: O03 Negotiation (its Won "
        "row is entered exactly at end(March), not before); Proposal O05 2700 + O07 8000 + O14 7000 (re-entered "
        "03-17) = 17700; Qualified O06 5000; New O16 2320 + O18 1500 (O18 has no stage_history rows: import "
        "gives it New at its created_at) = 3820.",
        by=["stage"],
    )
)
add(
    c(
        "open_pipeline_value-2025-03-asof",
        "open_pipeline_value",
        "2025-03",
        [r("2025-03-01", 35060)],
        "As of T = 2025-03-14T12:00:00+01:00, March is not over: the state at T, amounts at the rate of T's day "
        "2025-03-14 (USD still 0.92). Open at T: O02 USD 2500 x 0.92 = 2300, O03 4000, O04 6000 (lost only on "
        "03-18, after T), O05 USD 3000 x 0.92 = 2760, O06 5000, O07 8000, O14 7000 = 35060. O01 closed 03-10; "
        "O16, O18 not created yet.",
        as_of="2025-03-14T12:00:00+01:00",
    )
)
add(
    c(
        "open_pipeline_value-2025-quarters",
        "open_pipeline_value",
        "2025",
        [r("2025-01-01", 30520), r("2025-04-01", 24100), r("2025-07-01", 16050), r("2025-10-01", 20050)],
        "Q1 = end of March, 30520 (see open_pipeline_value-2025-03). Q2, open at 2025-07-01 00:00, rates of "
        "06-30: O05 USD 3000 x 0.90 = 2700, O11 USD 5000 x 0.90 = 4500 (closes 07-01 01:30 local, after the end), "
        "O15 12000, O16 GBP 2000 x 1.20 = 2400, O18 1500, O20 1000 = 24100. Q3, open at 10-01, rates of 09-30: "
        "O05 3000 x 0.85 = 2550, O15 12000, O18 1500 = 16050. Q4, open at 2026-01-01: O05 2550, O15 12000, "
        "O18 1500, O19 4000 = 20050.",
        grain="quarter",
    )
)

add(
    c(
        "open_pipeline_count-2025-01..04",
        "open_pipeline_count",
        "2025-01..2025-04",
        [r("2025-01-01", 5), r("2025-02-01", 6), r("2025-03-01", 7), r("2025-04-01", 7)],
        "End Jan (02-01): O01, O04, O07, O08 (won 02-12), O12 (lost 02-25) = 5. End Feb (03-01): O01, O02, O04, "
        "O06, O07, O14 = 6. End Mar: O03, O05, O06, O07, O14, O16, O18 = 7. End Apr (05-01): O05, O06, O07, "
        "O13, O15, O16, O18 = 7 (O03 won 04-01, O14 lost 04-22, O09 lost 04-28).",
    )
)
add(
    c(
        "open_pipeline_count-2025-03-asof-close-at-T",
        "open_pipeline_count",
        "2025-03",
        [r("2025-03-01", 8)],
        "As of T = 2025-03-10T14:00:00+01:00, the instant O01 is won: its close has not happened, so O01 is open "
        "at T. Open at T: O01, O02, O03, O04, O05, O06, O07, O14 = 8 (O16, O18 do not exist yet).",
        as_of="2025-03-10T14:00:00+01:00",
    )
)
add(
    c(
        "weighted_pipeline_value-2025-03",
        "weighted_pipeline_value",
        "2025-03",
        [r("2025-03-01", 14432)],
        OPEN_END_MARCH + "p = the opportunity's probability, else its stage's at end(March): O03 4000 x 80% = "
        "3200; O05 2700 x 50% (Proposal) = 1350; O06 5000 x 40% = 2000; O07 8000 x 50% = 4000; O14 7000 x 50% = "
        "3500; O16 2320 x 10% (New) = 232; O18 1500 x 10% = 150. Total 14432.",
    )
)
add(
    c(
        "weighted_pipeline_value-2025-06",
        "weighted_pipeline_value",
        "2025-06",
        [r("2025-06-01", 10375)],
        "Open at 2025-07-01 00:00, rates of 06-30: O05 2700 x 50% = 1350; O11 USD 5000 x 0.90 = 4500 x 75% "
        "(Negotiation) = 3375; O15 12000 x 30% (own) = 3600; O16 GBP 2000 x 1.20 = 2400 x 75% (Negotiation since "
        "06-05) = 1800; O18 1500 x 10% = 150; O20 1000 x 10% (New) = 100. Total 10375.",
    )
)

add(
    c(
        "new_pipeline_value-2025-03",
        "new_pipeline_value",
        "2025-03",
        [r("2025-03-01", 10580)],
        "Created in March, amount at the rate of the creation day: O03 4000; O05 USD 3000 on 03-05 x 0.92 = 2760 "
        "(not 0.90, which starts 03-15); O16 GBP 2000 on 03-21 x 1.16 = 2320; O18 1500. Total 10580.",
    )
)
add(
    c(
        "new_pipeline_value-2025-03-by-source",
        "new_pipeline_value",
        "2025-03",
        [
            r("2025-03-01", 5080, source="outbound"),
            r("2025-03-01", 4000, source="referral"),
            r("2025-03-01", 1500, source=None),
        ],
        "Opportunity source, else its lead's: O05 own source outbound 2760; O16 null -> lead L25 outbound 2320; "
        "outbound = 5080. O03 null -> L05 referral 4000. O18 null -> L09 whose source is also null: empty group "
        "1500.",
        by=["source"],
    )
)
add(
    c(
        "new_pipeline_value-2025-03-asof-by-stage",
        "new_pipeline_value",
        "2025-03",
        [r("2025-03-01", 4000, stage="Negotiation"), r("2025-03-01", 4260, stage="New")],
        "As of T = 2025-03-21T10:00:00+01:00: O16 is created exactly at T, so it does not exist yet. March "
        "opportunities before T: O03 4000, O05 2760, O18 1500. Stage = the stage at T: O03 Negotiation (entered "
        "03-20 15:00), O05 New (Proposal only 03-25), O18 New. New 2760 + 1500 = 4260; Negotiation 4000.",
        by=["stage"],
        as_of="2025-03-21T10:00:00+01:00",
    )
)

add(
    c(
        "pipeline_age-2025-03",
        "pipeline_age",
        "2025-03",
        [r("2025-03-01", 5731 / 168)],
        OPEN_END_MARCH + "Real hours to 2025-03-31T22:00Z: O03 (03-03 10:00Z) 684; O05 (03-05 09:00Z) 637; O06 "
        "(02-18 09:00Z) 997; O07 (01-27 08:00Z) 1526; O14 (02-03 09:00Z) 1357; O16 (03-21 09:00Z) 253; O18 "
        "(03-20 09:00Z) 277. Sum 5731 h / 7 / 24 = 34.113 days (each is one hour short of its wall-clock span).",
    )
)
add(
    c(
        "pipeline_age-2025-04-asof",
        "pipeline_age",
        "2025-04",
        [r("2025-04-01", 7451 / 192)],
        "As of T = 2025-04-15T12:00:00+02:00 (10:00Z): April is not over, ages run to T. Open at T: O05 985 h, "
        "O06 1345, O07 1874, O09 (04-02 08:00Z) 314, O13 (04-15 08:00Z) 2, O14 1705, O16 601, O18 625. Sum 7451 h "
        "/ 8 / 24 = 38.807 days.",
        as_of="2025-04-15T12:00:00+02:00",
    )
)
add(
    c(
        "pipeline_age-2025-03-30-dst-day",
        "pipeline_age",
        "2025-03-30",
        [r("2025-03-30", 6729 / 192)],
        "end of the 23-hour day 2025-03-30 = 2025-03-31T00:00+02:00 = 2025-03-30T22:00Z. Open: O02 (02-10 08:00Z) "
        "1166 h, O03 660, O05 613, O06 973, O07 1502, O14 1333, O16 229, O18 253. Sum 6729 h / 8 / 24 = 35.047 "
        "days.",
    )
)

add(
    c(
        "pipeline_coverage-2025-03",
        "pipeline_coverage",
        "2025-03",
        [r("2025-03-01", 30520 / 30000, 30520, 30000)],
        "open_pipeline_value at end(March) 30520 / company won_value target of April: the only company won_value "
        "row is 2025 = 365000, prorated 30/365 days = 30000.",
    )
)
add(
    c(
        "pipeline_coverage-2025-Q1",
        "pipeline_coverage",
        "2025-Q1",
        [r("2025-01-01", 30520 / 91000, 30520, 91000)],
        "Open pipeline at end(Q1) 30520 / won_value target of 2025-Q2: 365000 x 91/365 = 91000.",
    )
)
add(
    c(
        "pipeline_coverage-2025-Q1-by-team",
        "pipeline_coverage",
        "2025-Q1",
        [
            r("2025-01-01", 14520 / 60000, 14520, 60000, team="North"),
            r("2025-01-01", 16000 / 40000, 16000, 40000, team="South"),
        ],
        "Open at end(Q1) by the owner's team: North (R1, R2) O05 2700 + O07 8000 + O16 2320 + O18 1500 = 14520; "
        "South (R3, R4, R5) O03 4000 + O06 5000 + O14 7000 = 16000. Team-scope won_value targets for 2025-Q2: "
        "North 60000, South 40000.",
        by=["team"],
    )
)
add(
    c(
        "pipeline_coverage-2025-05-by-team-nothing-open",
        "pipeline_coverage",
        "2025-05",
        [
            r("2025-05-01", 19720 / (60000 * 30 / 91), 19720, 60000 * 30 / 91, team="North"),
            r("2025-05-01", 0.0, 0.0, 40000 * 30 / 91, team="South"),
        ],
        "Team won_value targets of June: the 2025-Q2 rows prorated 30/91 days, North 60000 and South 40000. "
        "North's open pipeline at end(May): O05 3000 USD x 0.90 = 2700, O10 1200, O15 12000, O16 2000 GBP x 1.16 = 2320, "
        "O18 1500; 19720. South's reps R3, R4, "
        "R5 have nothing open then (O06 closed 05-12, O13 05-20): an open pipeline of 0, so coverage 0, as the "
        "company total would give; not an empty value.",
        by=["team"],
    )
)

add(
    c(
        "stale_opportunities-2025-03",
        "stale_opportunities",
        "2025-03",
        [r("2025-03-01", 1)],
        OPEN_END_MARCH + "Entered their stage at end(March) more than 30 x 24 = 720 hours before 2025-03-31T22:00Z: "
        "O07 (Proposal since 02-20 09:00Z, 949 h) yes. O06 entered Qualified 2025-03-01T23:00 CET = 22:00Z, "
        "exactly 720 h before (wall clock 30 days 1 hour): not more than 720, not stale. O14 Proposal since "
        "03-17 (349 h, its re-entry), O03 272 h, O05 158 h, O16 253 h, O18 277 h. = 1.",
    )
)
add(
    c(
        "stale_opportunities-2025-04-asof",
        "stale_opportunities",
        "2025-04",
        [r("2025-04-01", 2)],
        "As of T = 2025-04-15T12:00:00+02:00, ages run to T (10:00Z). Open at T with hours in stage: O06 1068 "
        "yes, O07 1297 yes, O14 697 (Proposal 03-17 09:00Z) no, O18 625 no, O16 601 no, O05 506 no, O09 146 no, "
        "O13 2 no. = 2.",
        as_of="2025-04-15T12:00:00+02:00",
    )
)
add(
    c(
        "stale_opportunities-2025-12-by-stage",
        "stale_opportunities",
        "2025-12",
        [r("2025-12-01", 1, stage="New"), r("2025-12-01", 1, stage="Proposal"), r("2025-12-01", 1, stage="Qualified")],
        "Open at 2026-01-01 00:00: O05 Proposal since 03-25 (stale), O15 Qualified since 05-02 (stale), O18 New "
        "since its created_at 03-20 (import-given row; stale), O19 Proposal since 12-10 10:00, 518 h (not stale). "
        "One stale per stage.",
        by=["stage"],
    )
)

# ---------------------------------------------------------------- Deals
add(
    c(
        "won_deals-2025-03",
        "won_deals",
        "2025-03",
        [r("2025-03-01", 2)],
        "Won with closed_at in March: O01 (03-10 14:00), O02 (2025-03-31T23:30:00+02:00, half an hour before the "
        "end) = 2. O03 closes exactly at 2025-04-01T00:00:00+02:00 = end(March): April.",
    )
)
add(
    c(
        "won_deals-2025-quarters",
        "won_deals",
        "2025",
        [r("2025-01-01", 3), r("2025-04-01", 4), r("2025-07-01", 1), r("2025-10-01", 1)],
        "Q1: O01, O02, O08 (02-12). Q2: O03 (04-01 00:00), O07 (05-05), O13 (05-20), O10 (06-10). Q3: O11, "
        "closed 2025-06-30T18:30:00-05:00 = 23:30Z = 2025-07-01 01:30 local, so July. Q4: O17 (10-26).",
        grain="quarter",
    )
)
add(
    c(
        "won_value-2025-03",
        "won_value",
        "2025-03",
        [r("2025-03-01", 12250)],
        "O01 EUR 10000 + O02 USD 2500 at the rate of its close day 2025-03-31 (0.90, valid from 03-15; it was "
        "0.92 at creation) = 2250. Total 12250.",
    )
)
add(
    c(
        "won_value-2025-07",
        "won_value",
        "2025-07",
        [r("2025-07-01", 4250)],
        "O11 USD 5000, closed 2025-06-30T18:30:00-05:00 = 2025-07-01 01:30 local: July, and the close day is "
        "the local day 07-01, when USD becomes 0.85: 5000 x 0.85 = 4250 (not 0.90 of 30 June).",
    )
)
add(
    c(
        "won_value-2025-03-asof-close-at-T",
        "won_value",
        "2025-03",
        [r("2025-03-01", 0)],
        "As of T = 2025-03-10T14:00:00+01:00 = O01's closed_at: the close has not happened, O01 is still open. "
        "No other March win before T (O02 closes 03-31). Sum over nothing = 0.",
        as_of="2025-03-10T14:00:00+01:00",
    )
)
add(
    c(
        "won_value-2025-Q1-by-product_line",
        "won_value",
        "2025-Q1",
        [r("2025-01-01", 1740, product_line="Add-ons"), r("2025-01-01", 12250, product_line="Software")],
        "Add-ons: O08 GBP 1500 x 1.16 (close day 02-12) = 1740. Software: O01 10000 + O02 2250 = 12250.",
        by=["product_line"],
    )
)
add(
    c(
        "won_value-2025-Q2-by-deal_type",
        "won_value",
        "2025-Q2",
        [
            r("2025-04-01", 1200, deal_type="cross_sell"),
            r("2025-04-01", 12000, deal_type="new_business"),
            r("2025-04-01", 900, deal_type="upsell"),
        ],
        "O10 cross_sell 1200; O03 4000 + O07 8000 have a null deal_type = new_business, 12000; O13 upsell 900.",
        by=["deal_type"],
    )
)
add(
    c(
        "won_value-2025-10-26-dst-day",
        "won_value",
        "2025-10-26",
        [r("2025-10-26", 3000)],
        "Day 2025-10-26 = [2025-10-25T22:00Z, 2025-10-26T23:00Z), 25 hours. O17 closed 2025-10-26T02:30:00+01:00 "
        "(the second 02:30) = 01:30Z: in it. EUR 3000.",
    )
)

add(
    c(
        "win_rate-2025-Q1",
        "win_rate",
        "2025-Q1",
        [r("2025-01-01", 3 / 5, 3, 5)],
        "Closed in Q1: won O01, O02, O08; lost O04 (03-18), O12 (02-25). 3 / (3 + 2).",
    )
)
add(
    c(
        "win_rate-2025-01..04",
        "win_rate",
        "2025-01..2025-04",
        [
            r("2025-01-01", None, 0, 0),
            r("2025-02-01", 1 / 2, 1, 2),
            r("2025-03-01", 2 / 3, 2, 3),
            r("2025-04-01", 1 / 3, 1, 3),
        ],
        "Jan: nothing closes, 0/0: null with numerator 0, denominator 0. Feb: O08 won, O12 lost = 1/2. Mar: O01, "
        "O02 won, O04 lost = 2/3. Apr: O03 won (04-01 00:00), O14 lost (04-22), O09 lost (04-28) = 1/3.",
    )
)
add(
    c(
        "win_rate-2025-Q1-by-owner",
        "win_rate",
        "2025-Q1",
        [
            r("2025-01-01", 1 / 2, 1, 2, owner="R1"),
            r("2025-01-01", 1 / 2, 1, 2, owner="R2"),
            r("2025-01-01", 1.0, 1, 1, owner="R5"),
        ],
        "R1: O01 won, O04 lost. R2: O02 won, O12 lost. R5: O08 won. R3, R4 close nothing in Q1: no row.",
        by=["owner"],
    )
)
add(
    c(
        "win_rate-2025-03-asof",
        "win_rate",
        "2025-03",
        [r("2025-03-01", 1 / 2, 1, 2)],
        "As of T = 2025-03-31T23:30:00+02:00 = O02's close: not happened. Closed before T: O01 won, O04 lost.",
        as_of="2025-03-31T23:30:00+02:00",
    )
)

add(
    c(
        "average_deal_size-2025-Q1",
        "average_deal_size",
        "2025-Q1",
        [r("2025-01-01", 13990 / 3)],
        "won_value(Q1) = O01 10000 + O02 2250 + O08 1740 = 13990, over 3 won deals.",
    )
)
add(
    c(
        "average_deal_size-2025-01-empty",
        "average_deal_size",
        "2025-01",
        [r("2025-01-01", None)],
        "No deal won in January: 0 deals, value null.",
    )
)
add(
    c(
        "average_deal_size-2025-Q2-by-owner",
        "average_deal_size",
        "2025-Q2",
        [r("2025-04-01", 8000, owner="R1"), r("2025-04-01", 1200, owner="R2"), r("2025-04-01", 2450, owner="R3")],
        "R1: O07 8000. R2: O10 1200. R3: O03 4000 and O13 900, mean 2450.",
        by=["owner"],
    )
)

add(
    c(
        "sales_cycle_length-2025-Q1",
        "sales_cycle_length",
        "2025-Q1",
        [r("2025-01-01", 4510.5 / 72)],
        "Won in Q1, from first contact (lead's created_at, else the opportunity's): O01 from L01 01-10 09:00 to "
        "03-10 14:00 = 59 d 5 h = 1421 h; O02 from L03 02-03 10:00 CET (09:00Z) to 03-31 23:30 CEST (21:30Z) = "
        "56 d 12.5 h = 1356.5 h (one hour less than the wall clock); O08 has no lead: 2024-12-02 10:00 to "
        "02-12 15:00 = 72 d 5 h = 1733 h. Mean = 4510.5 h / 3 / 24 = 62.6458 days.",
    )
)
add(
    c(
        "sales_cycle_length-2025-Q2",
        "sales_cycle_length",
        "2025-Q2",
        [r("2025-04-01", 4578 / 96)],
        "O03 from L05 03-03 09:00 CET (08:00Z) to 04-01 00:00 CEST (03-31 22:00Z) = 686 h; O07 from L08 01-27 "
        "08:00 CET (07:00Z) to 05-05 10:00 CEST (08:00Z) = 98 d 1 h = 2353 h; O13 (no lead) 04-15 10:00 to 05-20 "
        "11:00 = 841 h; O10 (no lead) 05-12 10:00 to 06-10 12:00 = 698 h. Sum 4578 h / 4 / 24 = 47.6875 days.",
    )
)
add(
    c(
        "sales_cycle_length-2025-10",
        "sales_cycle_length",
        "2025-10",
        [r("2025-10-01", 137.5 / 24)],
        "O17 (no lead) from 10-20 10:00 CEST (08:00Z) to 2025-10-26T02:30:00+01:00 (01:30Z) = 5 d 17.5 h = "
        "137.5 h (wall clock 16.5 h past 5 days; the fall-back adds one hour) = 5.7292 days.",
    )
)

MARCH_STAYS = (
    "Stays in open stages that end in March (end = next row's entered_at, else closed_at), real hours: "
    "O06 New 02-18 10:00 -> 03-01 23:00 = 277; O14 Qualified 02-17 -> 03-03 = 336; O14 Proposal "
    "03-03 -> 03-10 = 168; O01 Proposal 02-20 11:00 -> 03-10 14:00 = 435; O03 New 03-03 11:00 -> "
    "03-12 10:00 = 215; O14 Qualified (re-entry) 03-10 -> 03-17 = 168; O04 Qualified 02-10 10:00 -> "
    "03-18 16:00 = 870; O03 Qualified 03-12 10:00 -> 03-20 15:00 = 197; O05 New 03-05 10:00 -> 03-25 "
    "09:00 = 479; O02 Proposal 02-25 10:00 CET -> 03-31 23:30 CEST = 828.5. O03 Negotiation ends "
    "exactly at 04-01 00:00: April. "
)
add(
    c(
        "stage_duration-2025-03",
        "stage_duration",
        "2025-03",
        [r("2025-03-01", 3973.5 / 240)],
        MARCH_STAYS + "Sum 3973.5 h over 10 stays = 3973.5 / 10 / 24 = 16.556 days.",
    )
)
add(
    c(
        "stage_duration-2025-03-by-stage",
        "stage_duration",
        "2025-03",
        [
            r("2025-03-01", 971 / 72, stage="New"),
            r("2025-03-01", 1431.5 / 72, stage="Proposal"),
            r("2025-03-01", 1571 / 96, stage="Qualified"),
        ],
        MARCH_STAYS + "New: 277 + 215 + 479 = 971 h / 3 stays. Proposal: 168 + 435 + 828.5 = 1431.5 h / 3. "
        "Qualified: 336 + 168 + 870 + 197 = 1571 h / 4 (O14's two Qualified stays count separately).",
        by=["stage"],
    )
)
add(
    c(
        "stage_duration-2025-04",
        "stage_duration",
        "2025-04",
        [r("2025-04-01", 1766 / 96)],
        "Stays ending in April: O03 Negotiation 03-20 15:00 CET -> 04-01 00:00 CEST = 272 h; O09 New 04-02 -> "
        "04-09 = 168 h; O14 Proposal 03-17 10:00 CET -> 04-22 10:00 CEST = 863 h; O09 Qualified 04-09 10:00 -> "
        "04-28 17:00 = 463 h. Sum 1766 h / 4 / 24 = 18.396 days.",
    )
)
add(
    c(
        "stage_duration-2025-03-asof",
        "stage_duration",
        "2025-03",
        [r("2025-03-01", 1599 / 144)],
        "As of T = 2025-03-18T16:00:00+01:00 = O04's close: O04's Qualified stay has not ended. Stays ended in "
        "March before T: O06 New 277, O14 Qualified 336, O14 Proposal 168, O01 Proposal 435, O03 New 215, "
        "O14 Qualified 168 = 1599 h / 6 / 24 = 11.104 days.",
        as_of="2025-03-18T16:00:00+01:00",
    )
)

Q1_PAIRS = (
    "Pairs (opportunity, open stage first entered in Q1) and whether it later (before T) entered a "
    "higher open/won stage or was won: New: O01 O02 O03 O04 O05 O06 O07 O14 O16 (Negotiation 06-05) yes, "
    "O18 (import row New, still open) no = 9/10. Qualified: O01 yes, O03 yes (skipped Proposal to "
    "Negotiation), O14 yes (first entry 02-17, Proposal 03-03), O04 no (lost), O06 no (lost), O12 no "
    "(lost) = 3/6; O02 skipped Qualified: no pair. Proposal: O01, O02 (won), O07 (won 05-05, after Q1 but "
    "before T) yes; O05 no (open), O14 no (first entry 03-03, then only Qualified, Proposal again, Lost) "
    "= 3/5. Negotiation: O03 won 04-01 = 1/1. "
)
add(
    c(
        "stage_conversion_rate-2025-Q1",
        "stage_conversion_rate",
        "2025-Q1",
        [r("2025-01-01", 16 / 22, 16, 22)],
        Q1_PAIRS + "Total 16/22.",
    )
)
add(
    c(
        "stage_conversion_rate-2025-Q1-by-stage",
        "stage_conversion_rate",
        "2025-Q1",
        [
            r("2025-01-01", 1.0, 1, 1, stage="Negotiation"),
            r("2025-01-01", 9 / 10, 9, 10, stage="New"),
            r("2025-01-01", 3 / 5, 3, 5, stage="Proposal"),
            r("2025-01-01", 3 / 6, 3, 6, stage="Qualified"),
        ],
        Q1_PAIRS,
        by=["stage"],
    )
)
add(
    c(
        "stage_conversion_rate-2025-02..03",
        "stage_conversion_rate",
        "2025-02..2025-03",
        [r("2025-02-01", 8 / 9, 8, 9), r("2025-03-01", 6 / 10, 6, 10)],
        "One pair per period. Feb: New O02, O06, O14 yes (3/3); Qualified O01 yes, O04 no, O14 yes (02-17 -> "
        "Proposal 03-03) (2/3); Proposal O01, O02, O07 yes (3/3) = 8/9. Mar: New O03, O05, O16 yes, O18 no "
        "(3/4); Qualified O03 yes, O06 no, O14 yes (its first March entry 03-10 -> Proposal 03-17) (2/3); "
        "Proposal O05 no, O14 no (first March entry 03-03; later only Qualified, Proposal again, Lost) (0/2); "
        "Negotiation O03 yes (1/1) = 6/10.",
    )
)
add(
    c(
        "stage_conversion_rate-2025-Q1-asof-by-stage",
        "stage_conversion_rate",
        "2025-Q1",
        [
            r("2025-01-01", 0.0, 0, 1, stage="Negotiation"),
            r("2025-01-01", 8 / 10, 8, 10, stage="New"),
            r("2025-01-01", 2 / 5, 2, 5, stage="Proposal"),
            r("2025-01-01", 3 / 6, 3, 6, stage="Qualified"),
        ],
        "As of T = 2025-04-01T00:00:00+02:00 (Q1 is over, later events are cut). Same 22 pairs as "
        "stage_conversion_rate-2025-Q1, but O03's win is exactly at T: Negotiation 0/1; O16 reaches Negotiation "
        "only 06-05: New 8/10; O07 wins only 05-05: Proposal 2/5 (O01, O02); Qualified unchanged 3/6.",
        by=["stage"],
        as_of="2025-04-01T00:00:00+02:00",
    )
)

add(
    c(
        "sales_velocity-2025-Q1",
        "sales_velocity",
        "2025-Q1",
        [r("2025-01-01", 2 * (3 / 5) * (13990 / 3) / (4510.5 / 72))],
        "open_pipeline_count at start(Q1) 2025-01-01 00:00: O08 (created 2024-12-02), O12 (2024-12-16) = 2; "
        "win_rate 3/5; average_deal_size 13990/3; sales_cycle_length 4510.5/72 days. 2 x 0.6 x 4663.33 / "
        "62.6458 = 89.3276 EUR per day.",
    )
)
add(
    c(
        "sales_velocity-2025-Q2",
        "sales_velocity",
        "2025-Q2",
        [r("2025-04-01", 7 * (4 / 7) * (14100 / 4) / (4578 / 96))],
        "Open at start(Q2) = 2025-04-01 00:00: O03 (closes exactly then, so open), O05, O06, O07, O14, O16, O18 "
        "= 7. Q2 closes: won O03, O07, O13, O10; lost O14, O09, O06 (05-12): win_rate 4/7. won_value 4000 + "
        "8000 + 900 + 1200 = 14100, average 3525. Cycle 4578/96 = 47.6875 days. 7 x 4/7 x 3525 / 47.6875 = "
        "295.675.",
    )
)
add(
    c(
        "sales_velocity-2025-01-null",
        "sales_velocity",
        "2025-01",
        [r("2025-01-01", None)],
        "January has no closed deal: win_rate, average_deal_size and sales_cycle_length are null, so is the velocity.",
    )
)

add(
    c(
        "follow_ups_per_win-2025-Q1",
        "follow_ups_per_win",
        "2025-Q1",
        [r("2025-01-01", 5 / 3)],
        "O01 (lead L01): A01 (L01, done 01-16), A02 (O01), A03 (linked to both L01 and O01, counted once) = 3; "
        "A04 done 03-12 after the close and A05 never done do not count. O02 (lead L03): A06 (L03), A07 (O02, "
        "done exactly at closed_at, <= counts) = 2. O08: no activities = 0. Mean (3 + 2 + 0) / 3.",
    )
)
add(
    c(
        "follow_ups_per_win-2025-Q2",
        "follow_ups_per_win",
        "2025-Q2",
        [r("2025-04-01", 0.5)],
        "O03: A12 = 1 (nothing on lead L05). O07: A16 (done 04-01 00:00, before its 05-05 close) = 1. O13: 0. "
        "O10: 0. Mean 2/4.",
    )
)
add(
    c(
        "follow_ups_per_win-2025-10",
        "follow_ups_per_win",
        "2025-10",
        [r("2025-10-01", 1.0)],
        "O17 closed 2025-10-26T02:30:00+01:00 = 01:30Z. A28 (O17) done 10-26 01:30 CEST = 10-25 23:30Z, before "
        "the close: 1. (A27 is linked to lead L18, not to O17.)",
    )
)

add(
    c(
        "upsell_rate-2025-Q1",
        "upsell_rate",
        "2025-Q1",
        [r("2025-01-01", 1 / 3, 1, 3)],
        "Customers active at 2025-01-01 00:00: C1, C2, C3 (C4 acquired exactly 2025-01-01 is not active at that "
        "instant) = 3. Upsell/cross-sell won in Q1: O08 (upsell, C1) = 1/3.",
    )
)
add(
    c(
        "upsell_rate-2025-Q2",
        "upsell_rate",
        "2025-Q2",
        [r("2025-04-01", 1 / 5, 1, 5)],
        "Active at 2025-04-01 00:00: C1, C2, C3, C4, C5 = 5 (C7 acquired 04-01 is not). Won in Q2: O10 "
        "cross_sell for C3 counts; O13 upsell for C7 does not (C7 not in the denominator). 1/5.",
    )
)
add(
    c(
        "upsell_rate-2025-Q2-by-owner",
        "upsell_rate",
        "2025-Q2",
        [
            r("2025-04-01", 0.0, 0, 3, owner="R1"),
            r("2025-04-01", 1.0, 1, 1, owner="R2"),
            r("2025-04-01", 0.0, 0, 1, owner="R5"),
        ],
        "By the customer's owner: R1 has C1, C4, C5 (0/3); R2 has C3 (O10) 1/1; R5 has C2 0/1. R3 owns C7 "
        "which is not active at start(Q2): no R3 row.",
        by=["owner"],
    )
)
# ---------------------------------------------------------------- Revenue
MARCH_ORDERS = (
    "March orders, amounts at the rate of the order date: OR06 EUR 3000; OR07 USD 1000 on 03-14 x "
    "0.92 = 920; OR08 USD 1000 on 03-15 x 0.90 (new rate valid from that very day) = 900; OR09 credit "
    "EUR -500. "
)
add(
    c(
        "revenue-2025-03",
        "revenue",
        "2025-03",
        [r("2025-03-01", 4320)],
        MARCH_ORDERS + "Total 3000 + 920 + 900 - 500 = 4320.",
    )
)
add(
    c(
        "revenue-2025-quarters",
        "revenue",
        "2025",
        [r("2025-01-01", 7660), r("2025-04-01", 5228), r("2025-07-01", 3000), r("2025-10-01", 3400)],
        "Q1: OR04 1500 + OR05 USD 2000 x 0.92 (02-03) = 1840 + March 4320 = 7660. Q2: OR10 2500 + OR11 GBP 800 x "
        "1.16 (05-15) = 928 + OR12 600 + OR13 1200 = 5228. Q3: OR14 3000. Q4: OR15 GBP 2000 x 1.20 (10-15) = "
        "2400 + OR16 1000 = 3400.",
        grain="quarter",
    )
)
add(
    c(
        "revenue-2025-03-by-owner",
        "revenue",
        "2025-03",
        [r("2025-03-01", 1320, owner="R1"), r("2025-03-01", 3000, owner="R5")],
        MARCH_ORDERS + "Owner = the customer's owner_id: OR07, OR08 (C5) and OR09 (C1) -> R1: 920 + 900 - 500 = "
        "1320. OR06 is for C2, owner R5: 3000 (its own orders.owner_id R2 is not used).",
        by=["owner"],
    )
)
add(
    c(
        "revenue-2025-Q1-by-product",
        "revenue",
        "2025-Q1",
        [r("2025-01-01", 1000, product="Koers Analytics"), r("2025-01-01", 6660, product="Koers Pro")],
        "Orders carry their own product. Koers Analytics: OR04 1500 + OR09 -500 = 1000. Koers Pro: OR05 1840 + "
        "OR06 3000 + OR07 920 + OR08 900 = 6660.",
        by=["product"],
    )
)
add(
    c(
        "revenue-2025-W10..W12",
        "revenue",
        "2025-W10..2025-W12",
        [r("2025-03-03", 3000), r("2025-03-10", 1820), r("2025-03-17", 0)],
        "W10 (03-03..03-09): OR06 3000. W11 (03-10..03-16): OR07 920 + OR08 900 = 1820. W12 (03-17..03-23): "
        "no orders, 0.",
    )
)
add(
    c(
        "revenue-2025-03-asof",
        "revenue",
        "2025-03",
        [r("2025-03-01", 3920)],
        "As of T = 2025-03-15T00:00:00+01:00: OR08's order date 03-15 (local midnight = T) has not happened. "
        "OR06 3000 + OR07 920 = 3920.",
        as_of="2025-03-15T00:00:00+01:00",
    )
)
add(
    c(
        "revenue_growth-2025-01..06",
        "revenue_growth",
        "2025-01..2025-06",
        [
            r("2025-01-01", (1500 - 2000) / 2000, 1500 - 2000, 2000),
            r("2025-02-01", (1840 - 1500) / 1500, 1840 - 1500, 1500),
            r("2025-03-01", (4320 - 1840) / 1840, 4320 - 1840, 1840),
            r("2025-04-01", (2500 - 4320) / 4320, 2500 - 4320, 4320),
            r("2025-05-01", (1528 - 2500) / 2500, 1528 - 2500, 2500),
            r("2025-06-01", (1200 - 1528) / 1528, 1200 - 1528, 1528),
        ],
        "Monthly revenue: 2024-12 OR03 2000 (outside the span but it is January's base); Jan 1500; Feb 1840; "
        "Mar 4320; Apr 2500; May 928 + 600 = 1528; Jun 1200. Each row (R(P) - R(P-1), R(P-1)).",
    )
)
add(
    c(
        "revenue_growth-2025-10-zero-base",
        "revenue_growth",
        "2025-10",
        [r("2025-10-01", None, 2400, 0)],
        "R(Oct) = OR15 GBP 2000 x 1.20 = 2400; R(Sep) = 0 (no orders): base 0, value null; numerator 2400 - 0, "
        "denominator 0.",
    )
)
add(
    c(
        "revenue_growth_yoy-2025-03",
        "revenue_growth_yoy",
        "2025-03",
        [r("2025-03-01", 3.32, 3320, 1000)],
        "R(2025-03) 4320 against R(2024-03) = OR01 1000: (4320 - 1000) / 1000 = 3.32.",
    )
)
add(
    c(
        "revenue_growth_yoy-2025-Q1",
        "revenue_growth_yoy",
        "2025-Q1",
        [r("2025-01-01", 6.66, 6660, 1000)],
        "R(2025-Q1) 7660 against R(2024-Q1) = OR01 1000.",
    )
)
add(
    c(
        "revenue_growth_yoy-2025-W11",
        "revenue_growth_yoy",
        "2025-W11",
        [r("2025-03-10", 0.82, 820, 1000)],
        "2025-W11 (2025-03-10..16): OR07 920 + OR08 900 = 1820. A year earlier = ISO week 2024-W11 "
        "(2024-03-11..17): OR01 on 2024-03-15, 1000. (1820 - 1000) / 1000.",
    )
)
add(
    c(
        "revenue_growth_yoy-2026-W53",
        "revenue_growth_yoy",
        "2026-W53",
        [r("2026-12-28", None, None, None)],
        "2026-W53 (2026-12-28..2027-01-03) holds OR17 (700), but ISO year 2025 has only 52 weeks: there is no "
        "period a year earlier, so the value is null and, with no base, numerator and denominator are empty.",
        as_of="2027-01-05T00:00:00+01:00",
    )
)
add(
    c(
        "revenue_growth_yoy-2025-Q3-zero-base",
        "revenue_growth_yoy",
        "2025-Q3",
        [r("2025-07-01", None, 3000, 0)],
        "R(2025-Q3) = OR14 3000; R(2024-Q3) = 0: null, numerator 3000, denominator 0.",
    )
)

add(
    c(
        "average_order_value-2025-03",
        "average_order_value",
        "2025-03",
        [r("2025-03-01", 1080)],
        MARCH_ORDERS + "4320 / 4 orders (the credit is an order) = 1080.",
    )
)
add(
    c(
        "average_order_value-2025-Q2",
        "average_order_value",
        "2025-Q2",
        [r("2025-04-01", 1307)],
        "5228 / 4 orders (OR10, OR11, OR12, OR13).",
    )
)
add(
    c(
        "gross_margin-2025-03",
        "gross_margin",
        "2025-03",
        [r("2025-03-01", 1650 / 3900, 1650, 3900)],
        "Orders in March with a known cost: OR06 amount 3000 cost 1800; OR08 USD 1000 cost USD 500 at 0.90 = 900 "
        "and 450. OR07 (cost unknown) and OR09 (credit, cost unknown) are left out. (3900 - 2250) / 3900.",
    )
)
add(
    c(
        "gross_margin-2025-Q1-by-product_line",
        "gross_margin",
        "2025-Q1",
        [
            r("2025-01-01", 600 / 1500, 600, 1500, product_line="Add-ons"),
            r("2025-01-01", 2386 / 5740, 2386, 5740, product_line="Software"),
        ],
        "Add-ons: OR04 1500 / cost 900 (OR09 has no cost). Software: OR05 USD 2000/1200 x 0.92 = 1840/1104, "
        "OR06 3000/1800, OR08 900/450 = 5740/3354: (5740 - 3354) / 5740. OR07 has no cost.",
        by=["product_line"],
    )
)
ACV_Q1 = (
    "Contracts starting in Q1, value at the rate of the start day, years = days / 365.25: K1 (C5) "
    "2025-03-10..2027-03-10 = 730 days, 20000 / (730/365.25) = 10006.849; K2 (C1) GBP 1500 x 1.16 = 1740, "
    "2025-02-12..2025-08-12 = 181 days, max(1, 0.4956) = 1, so 1740; K3 (C4) USD 9000 x 0.92 (2025-01-01) "
    "= 8280, 2025-01-01..2028-01-01 = 1095 days, 8280 / (1095/365.25) = 2761.890. "
)
add(
    c(
        "acv-2025-Q1",
        "acv",
        "2025-Q1",
        [r("2025-01-01", (20000 / (730 / 365.25) + 1740 + 8280 / (1095 / 365.25)) / 3)],
        ACV_Q1 + "Mean of the three = 4836.246.",
    )
)
add(
    c(
        "acv-2025-Q2",
        "acv",
        "2025-Q2",
        [r("2025-04-01", (4800 + 4320 / (1096 / 365.25)) / 2)],
        "K4 (C7) 2025-04-01..2026-04-01 = 365 days = 0.99932 years, max(1, .) = 1: 4800 (not 4803.29). K5 (C3) "
        "starts 2025-06-01, the day GBP becomes 1.20: 3600 x 1.20 = 4320, 2025-06-01..2028-06-01 = 1096 days "
        "(29 Feb 2028): 4320 / (1096/365.25) = 1439.671. Mean = 3119.836.",
    )
)
add(
    c(
        "acv-2025-Q1-by-region",
        "acv",
        "2025-Q1",
        [
            r("2025-01-01", 8280 / (1095 / 365.25), region="DE"),
            r("2025-01-01", (20000 / (730 / 365.25) + 1740) / 2, region="NL"),
        ],
        ACV_Q1 + "Customer region: C4 DE -> K3; C5 and C1 NL -> mean of K1 and K2.",
        by=["region"],
    )
)
add(
    c(
        "target_attainment-2025-03",
        "target_attainment",
        "2025-03",
        [
            r("2025-03-01", 5 / 34, 5, 34, target_kpi="leads"),
            r("2025-03-01", 4320 / 25000, 4320, 25000, target_kpi="revenue"),
            r("2025-03-01", (2 / 3) / 0.45, 2 / 3, 0.45, target_kpi="win_rate"),
            r("2025-03-01", 12250 / 31000, 12250, 31000, target_kpi="won_value"),
        ],
        "Company-scope rows overlapping March. leads (additive, weekly rows): W09 14 x 2/7 (03-01, 03-02) = 4, "
        "W10..W13 7 each = 28, W14 14 x 1/7 (03-31) = 2: target 34; actual 5 March leads. revenue: 2025-03 row "
        "25000; actual 4320. win_rate (not additive): rows 2025 (0.4) and 2025-Q1 (0.5) overlap March 31 days "
        "each, mean weighted by overlap = 0.45; actual 2/3. won_value: 2025 row 365000 x 31/365 = 31000; actual "
        "12250. (activities has a company row only for 2025-08: no row here.)",
    )
)
add(
    c(
        "target_attainment-2025-03-by-owner",
        "target_attainment",
        "2025-03",
        [
            r("2025-03-01", 2 / 20, 2, 20, target_kpi="activity_points", owner="R1"),
            r("2025-03-01", 7 / 10, 7, 10, target_kpi="activity_points", owner="R3"),
            r("2025-03-01", 1 / 3.1, 1, 3.1, target_kpi="leads", owner="R1"),
            r("2025-03-01", 1.0, 0.5, 0.5, target_kpi="win_rate", owner="R1"),
            r("2025-03-01", 10000 / 15000, 10000, 15000, target_kpi="won_value", owner="R1"),
            r("2025-03-01", 2250 / 5000, 2250, 5000, target_kpi="won_value", owner="R2"),
        ],
        "Rep-scope rows overlapping March. R1 activity_points 20; actual A04 email = 2 points (A05 not done, "
        "A16 done in April). R3 activity_points 10; actual A12 meeting 4 + A14 call 3 = 7. R1 leads: the 2025-Q1 "
        "row 9 prorated 31/90 = 3.1; actual L09 = 1. R1 win_rate 0.5; actual O01 won, O04 lost = 0.5. R1 "
        "won_value 15000 (the row's team South is ignored because rep_id is set); actual O01 10000. R2 won_value "
        "5000; actual O02 2250.",
        by=["owner"],
    )
)
add(
    c(
        "target_attainment-2025-03-by-team",
        "target_attainment",
        "2025-03",
        [
            r("2025-03-01", 17 / 14, 17, 14, target_kpi="activity_points", team="South"),
            r("2025-03-01", 12250 / 15500, 12250, 15500, target_kpi="won_value", team="North"),
            r("2025-03-01", 0.0, 0, 30000 * 31 / 90, target_kpi="won_value", team="South"),
        ],
        "Team-scope rows (rep_id null, team set) overlapping March. South activity_points: 2025-W13 (03-24..30) "
        "14, fully inside March; actual South (R3, R4, R5) points: R3 4 + 3, R4 A11 email 2 + A19 demo 6, R5 A15 "
        "quote 2 + A32 voicemail 0 (missing from the points table) = 17. won_value: 2025-Q1 rows prorated 31/90: "
        "North 45000 -> 15500, actual O01 + O02 = 12250; South 30000 -> 10333.33, actual 0 (O03 closes in April): "
        "attainment 0. R1's rep row with team South does not count for South.",
        by=["team"],
    )
)
add(
    c(
        "target_attainment-2025-Q1",
        "target_attainment",
        "2025-Q1",
        [
            r("2025-01-01", 12 / 44, 12, 44, target_kpi="leads"),
            r("2025-01-01", 7660 / 67000, 7660, 67000, target_kpi="revenue"),
            r("2025-01-01", 0.6 / 0.45, 0.6, 0.45, target_kpi="win_rate"),
            r("2025-01-01", 13990 / 90000, 13990, 90000, target_kpi="won_value"),
        ],
        "leads: W09 (02-24..03-02) 14 fully in Q1 + W10..W13 28 + W14 14 x 1/7 = 44; actual 12 Q1 leads. revenue: "
        "monthly rows 20000 + 22000 + 25000 = 67000; actual 7660. win_rate: 2025 (0.4) and 2025-Q1 (0.5) both "
        "overlap 90 days: 0.45; actual 3/5. won_value: 365000 x 90/365 = 90000; actual 13990.",
    )
)
add(
    c(
        "target_attainment-2025-01..03",
        "target_attainment",
        "2025-01..2025-03",
        [
            r("2025-01-01", 1500 / 20000, 1500, 20000, target_kpi="revenue"),
            r("2025-01-01", None, None, 0.45, target_kpi="win_rate"),
            r("2025-01-01", 0.0, 0, 31000, target_kpi="won_value"),
            r("2025-02-01", 4 / 10, 4, 10, target_kpi="leads"),
            r("2025-02-01", 1840 / 22000, 1840, 22000, target_kpi="revenue"),
            r("2025-02-01", 0.5 / 0.45, 0.5, 0.45, target_kpi="win_rate"),
            r("2025-02-01", 1740 / 28000, 1740, 28000, target_kpi="won_value"),
            r("2025-03-01", 5 / 34, 5, 34, target_kpi="leads"),
            r("2025-03-01", 4320 / 25000, 4320, 25000, target_kpi="revenue"),
            r("2025-03-01", (2 / 3) / 0.45, 2 / 3, 0.45, target_kpi="win_rate"),
            r("2025-03-01", 12250 / 31000, 12250, 31000, target_kpi="won_value"),
        ],
        "Jan: no company leads row overlaps January (W09 starts 02-24): no leads row. revenue 1500/20000. "
        "win_rate target 0.45, but nothing closes in January: actual null, attainment null (numerator empty, "
        "denominator the target). won_value 365000 x 31/365 = 31000, actual 0 -> 0. Feb: leads W09 14 x 5/7 "
        "(02-24..02-28) = 10, actual 4; revenue 1840/22000; win_rate 1/2 / 0.45; won_value 28000, actual O08 "
        "1740. Mar: see target_attainment-2025-03.",
    )
)
add(
    c(
        "target_attainment-2025-04-by-team",
        "target_attainment",
        "2025-04",
        [
            r("2025-04-01", 0.0, 0, 60000 * 30 / 91, target_kpi="won_value", team="North"),
            r("2025-04-01", 4000 / (40000 * 30 / 91), 4000, 40000 * 30 / 91, target_kpi="won_value", team="South"),
        ],
        "2025-Q2 team rows (91 days) prorated 30/91 to April: North 60000 -> 19780.22, no North win in April -> "
        "0; South 40000 -> 13186.81, actual O03 (R3) 4000.",
        by=["team"],
    )
)
add(
    c(
        "target_attainment-2025-08",
        "target_attainment",
        "2025-08",
        [
            r("2025-08-01", 4 / 10, 4, 10, target_kpi="activities"),
            r("2025-08-01", 0.0, 0.0, 0.4, target_kpi="win_rate"),
            r("2025-08-01", 0.0, 0, 31000, target_kpi="won_value"),
        ],
        "activities: 2025-08 row 10; done in August A20, A21, A22, A23 = 4. win_rate: only the 2025 row (0.4) "
        "overlaps; August closes: O16 lost -> 0/1 = 0. won_value 31000, nothing won -> 0.",
    )
)

add(
    c(
        "forecast_accuracy-2025-03",
        "forecast_accuracy",
        "2025-03",
        [r("2025-03-01", 9750 / 12250, 9750, 12250)],
        "Forecast rows with period 2025-03 and the latest submitted_on <= 2025-03-01: R1 the 03-01 row 14000 "
        "(the 03-05 row, 20000, is after start(P) and ignored; 02-20 is older); R2 3000; R3 5000. A = won_value "
        "in March: R1 O01 10000; R2 O02 2250; R3 0. Sum F 22000, sum A 12250: (22000 - 12250) / 12250.",
    )
)
add(
    c(
        "forecast_accuracy-2025-03-by-owner",
        "forecast_accuracy",
        "2025-03",
        [
            r("2025-03-01", 4000 / 10000, 4000, 10000, owner="R1"),
            r("2025-03-01", 750 / 2250, 750, 2250, owner="R2"),
            r("2025-03-01", None, 5000, 0, owner="R3"),
        ],
        "R1 (14000 - 10000) / 10000. R2 (3000 - 2250) / 2250. R3 forecast 5000 but won nothing: A = 0, value "
        "null, numerator 5000, denominator 0.",
        by=["owner"],
    )
)
add(
    c(
        "forecast_accuracy-2025-Q1",
        "forecast_accuracy",
        "2025-Q1",
        [r("2025-01-01", 23750 / 12250, 23750, 12250)],
        "Rows with period 2025-Q1 submitted on or before 2025-01-01: R1 30000 (2024-12-15); R2 6000 (submitted on "
        "2025-01-01 itself); R5's only row is from 01-02, after the start: R5 has no forecast and is left out "
        "(with its O08 win). A: R1 O01 10000, R2 O02 2250 (2025-03 monthly rows are another notation). "
        "(36000 - 12250) / 12250.",
    )
)
add(
    c(
        "forecast_accuracy-2025-Q2",
        "forecast_accuracy",
        "2025-Q2",
        [r("2025-04-01", 12100 / 12900, 12100, 12900)],
        "2025-Q2 rows: R1 20000 (03-28), R3 5000 (submitted 04-01 = start(P)'s date, kept). R1's and R2's 2025-04 "
        "rows are monthly, not used for a quarter: R2 is left out. A: R1 O07 8000; R3 O03 4000 + O13 900 = 4900. "
        "(25000 - 12900) / 12900.",
    )
)
add(
    c(
        "forecast_accuracy-2025-03-asof",
        "forecast_accuracy",
        "2025-03",
        [r("2025-03-01", None, 20000, 0)],
        "As of T = 2025-03-01T00:00:00+01:00: R1's row submitted 2025-03-01 (local midnight = T) has not happened; "
        "R1's latest is 02-20, 12000. R2 3000, R3 5000: F 20000. Nothing is won in March before T: A 0, so null "
        "with numerator 20000, denominator 0.",
        as_of="2025-03-01T00:00:00+01:00",
    )
)
add(
    c(
        "forecast_accuracy-no-forecast",
        "forecast_accuracy",
        "2025-W10",
        [r("2025-03-03", None, 0, 0)],
        "Forecasts are for months and quarters: no rep has one for an ISO week, so ΣF and ΣA run over no rep: "
        "0 and 0, and the value is null, as every ratio with nothing to divide by.",
    )
)

# ---------------------------------------------------------------- Customers
add(
    c(
        "new_customers-2025-Q2-month",
        "new_customers",
        "2025-Q2",
        [r("2025-04-01", 1), r("2025-05-01", 1), r("2025-06-01", 0)],
        "acquired_on in the month: April C7 (04-01); May C6 (05-05, churns 05-20 in the same month but was "
        "acquired); June none.",
        grain="month",
    )
)
add(
    c(
        "new_customers-2025-by-source",
        "new_customers",
        "2025",
        [
            r("2025-01-01", 1, source="event"),
            r("2025-01-01", 1, source="paid_ads"),
            r("2025-01-01", 1, source="referral"),
            r("2025-01-01", 1, source="website"),
            r("2025-01-01", 1, source=None),
        ],
        "Acquired in 2025: C4 (website, 2025-01-01), C5 (paid_ads), C6 (event), C7 (no source: empty group), "
        "C8 (referral).",
        by=["source"],
    )
)
add(
    c(
        "new_customers-2025-01",
        "new_customers",
        "2025-01",
        [r("2025-01-01", 1)],
        "C4 acquired exactly on 2025-01-01, the first day of the period: it is in January.",
    )
)

add(
    c(
        "active_customers-2025-04..07",
        "active_customers",
        "2025-04..2025-07",
        [r("2025-04-01", 6), r("2025-05-01", 6), r("2025-06-01", 5), r("2025-07-01", 6)],
        "Active at end(P) (acquired_on < end, churned_on null or >= end). End Apr (05-01): C1, C2, C3, C4, C5, C7 "
        "= 6. End May (06-01): C2's churned_on is 06-01 itself, so still active at that instant; C6 joined 05-05 "
        "and churned 05-20: = 6. End Jun (07-01): C2 gone; C8 acquired 07-01 is not yet active: C1, C3, C4, C5, "
        "C7 = 5. End Jul: + C8 = 6.",
    )
)
add(
    c(
        "active_customers-2025-05-asof",
        "active_customers",
        "2025-05",
        [r("2025-05-01", 7)],
        "As of T = 2025-05-10T12:00:00+02:00, May is not over: state at T. C6 (acquired 05-05) has not churned "
        "yet (05-20 is after T): C1, C2, C3, C4, C5, C6, C7 = 7.",
        as_of="2025-05-10T12:00:00+02:00",
    )
)
add(
    c(
        "churn_rate-2025-06",
        "churn_rate",
        "2025-06",
        [r("2025-06-01", 1 / 6, 1, 6)],
        "Active at 2025-06-01 00:00: C1, C2 (churned_on 06-01 >= that instant), C3, C4, C5, C7 = 6. churned_on in "
        "June: C2 (dated exactly on the period's first day) = 1/6.",
    )
)
add(
    c(
        "churn_rate-2025-05",
        "churn_rate",
        "2025-05",
        [r("2025-05-01", 0.0, 0, 6)],
        "Active at 05-01: C1, C2, C3, C4, C5, C7 = 6. C6 churns 05-20 but was not active at start(May) (acquired "
        "05-05): not counted. C2's churn is June. 0/6 = 0.",
    )
)
add(
    c(
        "churn_rate-2025",
        "churn_rate",
        "2025",
        [r("2025-01-01", 2 / 3, 2, 3)],
        "Active at 2025-01-01: C1, C2, C3 (C4 acquired that day is not). Churned in 2025: C2 (06-01), C3 (11-03). 2/3.",
    )
)
add(
    c(
        "churn_rate-2024-01-empty",
        "churn_rate",
        "2024-01",
        [r("2024-01-01", None, 0, 0)],
        "No customer is active at 2024-01-01 (C1 is acquired 2024-02-12): 0/0, null.",
    )
)

add(
    c(
        "customer_retention_rate-2025-06",
        "customer_retention_rate",
        "2025-06",
        [r("2025-06-01", 5 / 6, 5, 6)],
        "Of the 6 active at 06-01 (C1, C2, C3, C4, C5, C7), still active at 07-01: all but C2 = 5/6 "
        "(churn 1/6 + retention 5/6 = 1).",
    )
)
add(
    c(
        "customer_retention_rate-2025-06-asof",
        "customer_retention_rate",
        "2025-06",
        [r("2025-06-01", 1.0, 6, 6)],
        "As of T = 2025-06-01T00:00:00+02:00 = start(June): C2's churn dated 06-01 (local midnight = T) has not "
        "happened. Active at start: C1, C2, C3, C4, C5, C7 = 6; June is not over, its end state is the state at "
        "T: the same 6. 6/6.",
        as_of="2025-06-01T00:00:00+02:00",
    )
)

add(
    c(
        "cac-2025-Q1",
        "cac",
        "2025-Q1",
        [r("2025-01-01", 2900)],
        "Costs of Jan..Mar, at the rate of each month's first day: 2025-01 website 1000 + outbound 2000; 2025-02 "
        "USD 1500 x 0.92 = 1380; 2025-03 USD 1000 x 0.92 (rate of 03-01; 0.90 only from 03-15) = 920 + event 500. "
        "Total 5800 / new customers C4, C5 = 2900.",
    )
)
add(
    c(
        "cac-2025-Q1-by-source",
        "cac",
        "2025-Q1",
        [
            r("2025-01-01", None, source="event"),
            r("2025-01-01", None, source="outbound"),
            r("2025-01-01", 2300, source="paid_ads"),
            r("2025-01-01", 1000, source="website"),
        ],
        "Costs of a source / new customers with that source. event 500 / 0 = null; outbound 2000 / 0 = null; "
        "paid_ads 1380 + 920 = 2300 / C5 = 2300; website 1000 / C4 = 1000. (No cost or new Q1 customer has a "
        "null source.)",
        by=["source"],
    )
)
add(
    c(
        "cac-2025-Q1-asof",
        "cac",
        "2025-Q1",
        [r("2025-01-01", 4380)],
        "As of T = 2025-03-01T00:00:00+01:00: a cost happens at its month's first day, and 2025-03-01 00:00 is "
        "not before T, so March costs do not exist yet. Jan 3000 + Feb 1380 = 4380 / new customers before T: C4 "
        "= 4380.",
        as_of="2025-03-01T00:00:00+01:00",
    )
)
add(
    c(
        "cac-2025-06-null",
        "cac",
        "2025-06",
        [r("2025-06-01", None)],
        "June costs 720 but no customer acquired in June: division by 0, null.",
    )
)

add(
    c(
        "clv-2025-12",
        "clv",
        "2025-12",
        [r("2025-12-01", 3616.5)],
        "W = [2025-01-01, 2026-01-01). Orders in W: the 13 orders OR04..OR16, revenue 19288 (1500 + 1840 + 4320 "
        "+ 2500 + 1528 + 1200 + 3000 + 2400 + 1000). a = 19288/13. Customers active at some instant of W: C1..C8 "
        "= 8, f = 13/8. Active at W's start: C1, C2, C3; churned in W: C2, C3: c = 2/3, L = 1.5 years. "
        "clv = 19288/13 x 13/8 x 1.5 = 3616.5.",
    )
)
add(
    c(
        "clv-2025-06",
        "clv",
        "2025-06",
        [r("2025-06-01", 14888 / 7 * 2)],
        "W = [2024-07-01, 2025-07-01). Orders: OR03 2000 and OR04..OR13 (12888) = 14888 over 11 orders. Active "
        "at some instant of W: C1..C7 = 7 (C8 is acquired at W's end). Active at 2024-07-01: C1, C2; churned in W: "
        "C2 (2025-06-01): c = 1/2, L = 2. clv = 14888/11 x 11/7 x 2 = 4253.714.",
    )
)
add(
    c(
        "clv-2025-03-no-churn",
        "clv",
        "2025-03",
        [r("2025-03-01", 27320)],
        "W = [2024-04-01, 2025-04-01). Orders: OR02 4000, OR03 2000, OR04 1500, OR05 1840, OR06 3000, OR07 920, "
        "OR08 900, OR09 -500 = 13660 over 8 orders. Active at some instant: C1, C2, C3, C4, C5 = 5. Active at "
        "2024-04-01: only C1, not churned in W: c = 0, so L = 10 (the cap). 13660/8 x 8/5 x 10 = 27320.",
    )
)
add(
    c(
        "clv-2024-12-null",
        "clv",
        "2024-12",
        [r("2024-12-01", None)],
        "W = [2024-01-01, 2025-01-01): no customer is active at W's start (C1 arrives 2024-02-12), so c is "
        "undefined and clv is null.",
    )
)

add(
    c(
        "clv_cac_ratio-2025-12",
        "clv_cac_ratio",
        "2025-12",
        [r("2025-12-01", 3616.5 / 1944, 3616.5, 1944)],
        "clv over W = 2025 is 3616.5 (see clv-2025-12). cac over the same 12 months: all 2025 costs 1000 + 2000 + "
        "1380 + 920 + 500 + 800 + 2000 + 720 + 400 = 9720 / new customers C4, C5, C6, C7, C8 = 1944.",
    )
)
add(
    c(
        "clv_cac_ratio-2025-12-website",
        "clv_cac_ratio",
        "2025-12",
        [r("2025-12-01", 31200 / 1800, 31200, 1800)],
        "--where source=website: customers C1, C4. Orders in 2025: OR04 1500, OR09 -500, OR15 2400 (C1), OR05 1840, "
        "OR16 1000 (C4) = 6240 over 5 orders; active in W: C1, C4, f = 5/2; active at 2025-01-01: C1, not churned, "
        "c = 0, L = 10: clv = 1248 x 2.5 x 10 = 31200. cac: website costs 1000 (Jan) + 800 (Apr) = 1800 / website "
        "new customers C4 = 1800.",
        where={"source": "website"},
    )
)

add(
    c(
        "nps-2025-Q2",
        "nps",
        "2025-Q2",
        [r("2025-04-01", 100 / 7)],
        "Answers dated in Q2: 9, 6, 10, 7, 3, 10, 8 (C1 04-10, C2 04-15, C3 05-02, C4 05-20, C5 06-30, C1 06-12, "
        "C7 06-01). Promoters (9-10) 3, detractors (0-6) 2, n 7: (3/7 - 2/7) x 100 = 14.29.",
    )
)
add(
    c(
        "nps-2025-Q2-by-segment",
        "nps",
        "2025-Q2",
        [
            r("2025-04-01", -50.0, segment="Enterprise"),
            r("2025-04-01", 50.0, segment="MidMarket"),
            r("2025-04-01", 100 / 3, segment="SMB"),
        ],
        "Customer segment: Enterprise C2 6, C7 8 -> (0 - 1/2) x 100 = -50. MidMarket C3 10, C4 7 -> (1/2 - 0) x "
        "100 = 50. SMB C1 9, C1 10, C5 3 -> (2/3 - 1/3) x 100 = 33.33.",
        by=["segment"],
    )
)
add(c("nps-2025-07-empty", "nps", "2025-07", [r("2025-07-01", None)], "No answers in July: null."))

# ---------------------------------------------------------------- Activities
MARCH_DONE = (
    "Done in March (local time): A04 email R1, A07 call R2 (03-31 23:30+02:00), A11 email R4 "
    "(2025-03-03T23:30:00+00:00 = 03-04 00:30 local), A12 meeting R3, A13 linkedin R2 (03-30 00:30 "
    "local), A14 call R3 (03-31 00:30 local), A15 quote R5, A19 demo R4, A32 voicemail R5 = 9. A16 "
    "done exactly 2025-04-01 00:00 is April; A05 is not done. "
)
add(c("activities-2025-03", "activities", "2025-03", [r("2025-03-01", 9)], MARCH_DONE))
add(
    c(
        "activities-2025-03-by-type",
        "activities",
        "2025-03",
        [
            r("2025-03-01", 2, type="call"),
            r("2025-03-01", 1, type="demo"),
            r("2025-03-01", 2, type="email"),
            r("2025-03-01", 1, type="linkedin"),
            r("2025-03-01", 1, type="meeting"),
            r("2025-03-01", 1, type="quote"),
            r("2025-03-01", 1, type="voicemail"),
        ],
        MARCH_DONE + "call A07, A14; demo A19; email A04, A11; linkedin A13; meeting A12; quote A15; voicemail A32.",
        by=["type"],
    )
)
add(
    c(
        "activities-2025-03-29..31-day",
        "activities",
        "2025-03-29..2025-03-31",
        [r("2025-03-29", 0), r("2025-03-30", 1), r("2025-03-31", 2)],
        "Day 2025-03-30 = [03-29T23:00Z, 03-30T22:00Z) (23 hours). A13 done 2025-03-29T23:30:00+00:00 = 03-30 "
        "00:30 CET: 30 March, not 29. A14 done 2025-03-30T22:30:00+00:00 = 03-31 00:30 CEST: 31 March (a 24-hour "
        "day would wrongly keep it on the 30th). 31 March: A14, A07 (23:30+02:00) = 2. 29 March: 0.",
    )
)
add(
    c(
        "activities-2025-10-26-dst-day",
        "activities",
        "2025-10-26",
        [r("2025-10-26", 2)],
        "Day 2025-10-26 = [10-25T22:00Z, 10-26T23:00Z), 25 hours. A28 01:30 CEST (10-25 23:30Z) and A27 23:30 CET "
        "(10-26 22:30Z; a 24-hour day ending 22:00Z would miss it) = 2.",
    )
)
add(
    c(
        "activities-2025-03-asof",
        "activities",
        "2025-03",
        [r("2025-03-01", 8)],
        "As of T = 2025-03-31T23:30:00+02:00: A07 is done exactly at T, not yet done. 9 - 1 = 8.",
        as_of="2025-03-31T23:30:00+02:00",
    )
)

AUG = (
    "August 2025 (31 days, w = 31/7). Reps employed during August (hired_on < 09-01, left_on null or > "
    "08-01): R1, R2 (leaves 09-01), R3, R4 (leaves 08-15, during August), R5 = 5. Done in August: A20 R1, "
    "A21 R2, A22 R4 (08-14), A23 R1 = 4. "
)
add(
    c(
        "activities_per_rep_week-2025-08",
        "activities_per_rep_week",
        "2025-08",
        [r("2025-08-01", 4 / (5 * 31 / 7))],
        AUG + "4 / (5 x 31/7) = 28/155 = 0.1806.",
    )
)
add(
    c(
        "activities_per_rep_week-2025-08-by-owner",
        "activities_per_rep_week",
        "2025-08",
        [
            r("2025-08-01", 2 / (31 / 7), owner="R1"),
            r("2025-08-01", 1 / (31 / 7), owner="R2"),
            r("2025-08-01", 1 / (31 / 7), owner="R4"),
        ],
        AUG + "By owner, the rep's activities / w: R1 2 x 7/31; R2 7/31; R4 7/31. R3 and R5 did nothing in "
        "August: no row.",
        by=["owner"],
    )
)
add(
    c(
        "activities_per_rep_week-2025-08-by-team",
        "activities_per_rep_week",
        "2025-08",
        [r("2025-08-01", 3 / (2 * 31 / 7), team="North"), r("2025-08-01", 1 / (3 * 31 / 7), team="South")],
        AUG + "North: A20, A21, A23 = 3 / (R1, R2 = 2 reps x 31/7) = 21/62. South: A22 = 1 / (R3, R4, R5 = 3 x "
        "31/7) = 7/93.",
        by=["team"],
    )
)
SEP = (
    "September 2025 (30 days, w = 30/7). Employed during September: R1, R3, R5 = 3. R2's left_on is "
    "09-01 = start(P): employed at start(P) but not during P; R4 left 08-15. Done in September: A24 email R1, "
    "A25 meeting R3, A26 linkedin R3, A31 quote R5 = 4 (A30 never done). "
)
add(
    c(
        "activities_per_rep_week-2025-09",
        "activities_per_rep_week",
        "2025-09",
        [r("2025-09-01", 4 / (3 * 30 / 7))],
        SEP + "4 / (3 x 30/7) = 14/45 = 0.3111.",
    )
)
add(
    c(
        "activities_per_rep_week-2025-09-by-team",
        "activities_per_rep_week",
        "2025-09",
        [r("2025-09-01", 1 / (1 * 30 / 7), team="North"), r("2025-09-01", 3 / (2 * 30 / 7), team="South")],
        SEP + "North: 1 activity / (R1 only x 30/7) = 7/30. South: 3 / (R3, R5 x 30/7) = 7/20.",
        by=["team"],
    )
)
add(
    c(
        "activities_per_rep_week-2025-09-by-type",
        "activities_per_rep_week",
        "2025-09",
        [
            r("2025-09-01", 1 / (3 * 30 / 7), type="email"),
            r("2025-09-01", 1 / (3 * 30 / 7), type="linkedin"),
            r("2025-09-01", 1 / (3 * 30 / 7), type="meeting"),
            r("2025-09-01", 1 / (3 * 30 / 7), type="quote"),
        ],
        SEP + "By type, over all 3 employed reps: each type has 1 activity, 1 / (3 x 30/7) = 7/90.",
        by=["type"],
    )
)

POINTS = (
    "Points from the workspace's activity_points table (not the defaults): intake 8, demo 6, meeting 4, "
    "call 3, email 2, quote 2, linkedin 1, other 1; voicemail is missing, so it scores 0 (the default "
    "would give 1). "
)
add(
    c(
        "activity_points-2025-03",
        "activity_points",
        "2025-03",
        [r("2025-03-01", 23)],
        POINTS + MARCH_DONE + "2 + 3 + 2 + 4 + 1 + 3 + 2 + 6 + 0 = 23.",
    )
)
add(
    c(
        "activity_points-2025-03-by-type",
        "activity_points",
        "2025-03",
        [
            r("2025-03-01", 6, type="call"),
            r("2025-03-01", 6, type="demo"),
            r("2025-03-01", 4, type="email"),
            r("2025-03-01", 1, type="linkedin"),
            r("2025-03-01", 4, type="meeting"),
            r("2025-03-01", 2, type="quote"),
            r("2025-03-01", 0, type="voicemail"),
        ],
        POINTS + "call 2 x 3; demo 6; email 2 x 2; linkedin 1; meeting 4; quote 2; voicemail A32 counted with 0 "
        "points (a sum that counts a record has a row).",
        by=["type"],
    )
)
MARCH_DUE = (
    "Due in March: A04 (done 30 min late), A05 (never done), A07 (due 22:00, done 23:30: late), A11 (due "
    "03-04 09:00, done 03-04 00:30 local: on time), A12 (done exactly at due_at: on time), A13 (done "
    "00:30 before 10:00: on time), A14 (done 00:30 before 09:00: on time), A15 (late), A16 (due 03-31 "
    "18:00, done 04-01 00:00: late), A19 (30 min late) = 10; A17 is due exactly 04-01 00:00 (April). "
)
add(
    c(
        "activity_completion_rate-2025-03",
        "activity_completion_rate",
        "2025-03",
        [r("2025-03-01", 4 / 10, 4, 10)],
        MARCH_DUE + "On time 4/10.",
    )
)
add(
    c(
        "activity_completion_rate-2025-04",
        "activity_completion_rate",
        "2025-04",
        [r("2025-04-01", 1 / 2, 1, 2)],
        "Due in April: A17 (due exactly 2025-04-01T00:00:00+02:00, never done) and A29 (due 04-10, done 04-09: on "
        "time). 1/2.",
    )
)
add(
    c(
        "activity_completion_rate-2025-06-empty",
        "activity_completion_rate",
        "2025-06",
        [r("2025-06-01", None, 0, 0)],
        "No activity is due in June: 0/0, null.",
    )
)

add(
    c(
        "overdue_activities-2025-03",
        "overdue_activities",
        "2025-03",
        [r("2025-03-01", 3)],
        "Backlog at end(March) = 2025-04-01 00:00: due before it and not done before it. A05 (due 03-08, never "
        "done); A16 (due 03-31 18:00, done exactly at 04-01 00:00 = end(P), which is not before end(P)); A18 (due "
        "2025-01-20, never done: however old). A17 is due exactly at end(P), not before: not overdue. = 3.",
    )
)
add(
    c(
        "overdue_activities-2025-04",
        "overdue_activities",
        "2025-04",
        [r("2025-04-01", 3)],
        "Backlog at 2025-05-01: A05, A17 (due 04-01 00:00, never done), A18 = 3. A16 was done 04-01, before the end.",
    )
)
add(
    c(
        "overdue_activities-2025-03-asof",
        "overdue_activities",
        "2025-03",
        [r("2025-03-01", 4)],
        "As of T = 2025-03-31T23:00:00+02:00, March is not over: the backlog at T (due_at < T, not done before T; "
        "due_at is never cut). A05; A07 (due 22:00, done 23:30, after T); A16 (due 18:00, done 04-01); A18 = 4.",
        as_of="2025-03-31T23:00:00+02:00",
    )
)
# ---------------------------------------------------------------- Reps
add(
    c(
        "rep_retention-2025-Q3",
        "rep_retention",
        "2025-Q3",
        [r("2025-07-01", 3 / 5, 3, 5)],
        "Employed at 2025-07-01: R1, R2, R3, R4, R5 = 5. Still employed at 2025-10-01: R1, R3, R5 (R4 left 08-15, "
        "R2 09-01) = 3/5.",
    )
)
add(
    c(
        "rep_retention-2025-08",
        "rep_retention",
        "2025-08",
        [r("2025-08-01", 4 / 5, 4, 5)],
        "Employed at 08-01: all 5. At 09-01: R2's left_on is 09-01 (>= 09-01: still employed at that instant); R4 "
        "left during August: 4/5.",
    )
)
add(
    c(
        "rep_retention-2025-09",
        "rep_retention",
        "2025-09",
        [r("2025-09-01", 3 / 4, 3, 4)],
        "Employed at 09-01: R1, R2 (left_on = 09-01 = start(P), employed at start(P)), R3, R5 = 4. At 10-01: R1, "
        "R3, R5: R2 counts as lost in September. 3/4.",
    )
)
add(
    c(
        "rep_retention-2025-Q3-by-team",
        "rep_retention",
        "2025-Q3",
        [r("2025-07-01", 1 / 2, 1, 2, team="North"), r("2025-07-01", 2 / 3, 2, 3, team="South")],
        "North R1, R2 -> R1 stays: 1/2. South R3, R4, R5 -> R3, R5 stay: 2/3.",
        by=["team"],
    )
)
add(
    c(
        "rep_retention-2025-Q3-asof",
        "rep_retention",
        "2025-Q3",
        [r("2025-07-01", 4 / 5, 4, 5)],
        "As of T = 2025-08-20T12:00:00+02:00, Q3 is not over: end state = state at T. R2's leaving (09-01) has "
        "not happened; R4 left 08-15. Employed at 07-01: 5; at T: R1, R2, R3, R5 = 4/5.",
        as_of="2025-08-20T12:00:00+02:00",
    )
)
add(
    c(
        "rep_retention-2022-01-empty",
        "rep_retention",
        "2022-01",
        [r("2022-01-01", None, 0, 0)],
        "Nobody is employed at 2022-01-01 (R5, the first hire, starts 2022-05-02): 0/0, null.",
    )
)

add(
    c(
        "rep_ramp_time-2025-Q1",
        "rep_ramp_time",
        "2025-Q1",
        [r("2025-01-01", 8.5)],
        "Reps hired in Q1: R3 (02-03), R4 (02-17). R3's first done outreach activity: A09 call 02-05 (A08 intake "
        "on 02-04 is not an outreach type) = 2 days. R4: A10 voicemail (02-20) is not outreach; A11 email done "
        "2025-03-03T23:30:00+00:00 = 03-04 00:30 local, date 03-04 = 15 days. Mean (2 + 15) / 2 = 8.5.",
    )
)
add(
    c(
        "rep_ramp_time-2025-Q1-by-role",
        "rep_ramp_time",
        "2025-Q1",
        [r("2025-01-01", 2.0, role="field_sales"), r("2025-01-01", 15.0, role="inside_sales")],
        "R3 field_sales 2 days; R4 inside_sales 15 days (local date of A11).",
        by=["role"],
    )
)
add(
    c(
        "rep_ramp_time-2025-Q1-asof",
        "rep_ramp_time",
        "2025-Q1",
        [r("2025-01-01", 2.0)],
        "As of T = 2025-03-04T00:00:00+01:00: A11 (03-04 00:30 local) is not done yet and R4 has no other "
        "outreach activity: R4 is left out. R3: 2 days.",
        as_of="2025-03-04T00:00:00+01:00",
    )
)
add(
    c(
        "rep_ramp_time-2025-04-empty",
        "rep_ramp_time",
        "2025-04",
        [r("2025-04-01", None)],
        "Nobody is hired in April: null.",
    )
)

# ---------------------------------------------------------------- Filters (--where)
add(
    c(
        "won_value-2025-Q1-where-team-North",
        "won_value",
        "2025-Q1",
        [r("2025-01-01", 12250)],
        "--where team=North keeps opportunities whose owner is in North today (R1, R2): O01 10000 + O02 2250. "
        "O08 (R5, South) is filtered out.",
        where={"team": "North"},
    )
)
add(
    c(
        "open_pipeline_value-2025-03-by-owner-where-Proposal",
        "open_pipeline_value",
        "2025-03",
        [r("2025-03-01", 8000, owner="R1"), r("2025-03-01", 2700, owner="R2"), r("2025-03-01", 7000, owner="R3")],
        "--where stage=Proposal (the stage at end(March)): O07 (R1) 8000, O05 (R2) USD 3000 x 0.90 = 2700, O14 "
        "(R3, back in Proposal since 03-17) 7000. R4's O06 is in Qualified: filtered out.",
        by=["owner"],
        where={"stage": "Proposal"},
    )
)
