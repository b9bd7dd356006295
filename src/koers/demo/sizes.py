"""The three sizes of the demo company: its teams, their regions and headcount, and how it grows."""

from __future__ import annotations

from dataclasses import dataclass

from koers.demo.vocabulary import AM, ENTERPRISE, FIELD, INSIDE, PARTNER_K

# Regions a team works, as weights over REGIONS
ALL_REGIONS = (0.42, 0.1, 0.15, 0.18, 0.11, 0.04)
NL_REGIONS = (0.47, 0.12, 0.18, 0.23, 0, 0)
NOORD = (0.45, 0.35, 0.2, 0, 0, 0)
ZUID = (0.25, 0, 0, 0.75, 0, 0)
OOST = (0, 0.2, 0.8, 0, 0, 0)
RANDSTAD = (1, 0, 0, 0, 0, 0)
BELGIE = (0, 0, 0, 0, 0.8, 0.2)


@dataclass(frozen=True)
class Team:
    name: str
    kind: int
    regions: tuple
    headcount: int  # selling reps at the end of the history
    segments: tuple = (0, 1, 2)  # the customer segments an account management team serves


@dataclass(frozen=True)
class Size:
    years: int
    teams: tuple
    profile_teams: dict  # profile -> team name
    scale: float  # lead volume multiplier
    growth: float  # yearly growth of the lead flow
    start_share: float  # share of the final headcount already employed at the start
    presales: int  # pre-sales consultants (role other) in the first field team
    attrition: float  # yearly chance that a rep leaves (medium, large)


SIZES = {
    "small": Size(
        years=1,
        teams=(
            Team("Inside Sales", INSIDE, ALL_REGIONS, 3),
            Team("Field Sales", FIELD, ALL_REGIONS, 3),
            Team("Account Management", AM, ALL_REGIONS, 2),
        ),
        profile_teams={"star": "Field Sales", "slow_responder": "Inside Sales",
                       "quote_loser": "Field Sales", "over_forecaster": "Inside Sales"},
        scale=1.0, growth=0.10, start_share=1.0, presales=1, attrition=0.0,
    ),
    "medium": Size(
        years=3,
        teams=(
            Team("Inside Sales", INSIDE, ALL_REGIONS, 10),
            Team("Field Sales Noord", FIELD, NOORD, 7),
            Team("Field Sales Zuid", FIELD, ZUID, 7),
            Team("Sales Vlaanderen", FIELD, BELGIE, 4),
            Team("Enterprise", ENTERPRISE, ALL_REGIONS, 4),
            Team("Account Management", AM, ALL_REGIONS, 8),
        ),
        profile_teams={"star": "Field Sales Noord", "slow_responder": "Inside Sales",
                       "quote_loser": "Field Sales Zuid", "over_forecaster": "Inside Sales"},
        scale=1.35, growth=0.15, start_share=0.75, presales=2, attrition=0.12,
    ),
    "large": Size(
        years=5,
        teams=(
            Team("Inside Sales Noord", INSIDE, NOORD, 22),
            Team("Inside Sales Zuid", INSIDE, (0.2, 0, 0.35, 0.45, 0, 0), 22),
            Team("Inside Sales Vlaanderen", INSIDE, BELGIE, 10),
            Team("Field Sales Noord", FIELD, NOORD, 18),
            Team("Field Sales Oost", FIELD, OOST, 14),
            Team("Field Sales Zuid", FIELD, ZUID, 18),
            Team("Field Sales Randstad", FIELD, RANDSTAD, 20),
            Team("Field Sales Vlaanderen", FIELD, BELGIE, 12),
            Team("Enterprise NL", ENTERPRISE, NL_REGIONS, 10),
            Team("Enterprise BE", ENTERPRISE, BELGIE, 4),
            Team("Partner Sales", PARTNER_K, ALL_REGIONS, 8),
            Team("Account Management MKB", AM, ALL_REGIONS, 20, (0,)),
            Team("Account Management Enterprise", AM, ALL_REGIONS, 12, (1, 2)),
            Team("Customer Success", AM, ALL_REGIONS, 10),
        ),
        profile_teams={"star": "Field Sales Noord", "slow_responder": "Inside Sales Noord",
                       "quote_loser": "Field Sales Zuid", "over_forecaster": "Inside Sales Noord"},
        scale=1.22, growth=0.15, start_share=0.75, presales=6, attrition=0.12,
    ),
}
