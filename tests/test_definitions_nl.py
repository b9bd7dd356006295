"""Every KPI's definition in Dutch, complete, translated, and shown wherever the English one is."""

from __future__ import annotations

import html
import json
import re

import pytest
from typer.testing import CliRunner

from koers.cli import app as cli
from koers.docs import catalog_markdown, sentence
from koers.kpis.catalog import CATALOG, CATALOG_BY_ID
from koers.kpis.definitions_nl import DEFINITIONS_NL, NOTES_NL

# English words a Dutch sentence has no use for (Dutch "of" = or, "over" and "in" are Dutch too)
ENGLISH = re.compile(
    r"\b(the|of the|over the|and|with|that|which|when|while|before|after|share|each|only|else|from|"
    r"or|to|by|than|their|its|are|was|were|still|some|same|number|sum|mean|days|hours|opportunity|opportunities|"
    r"customers|reps|rep|created|won with|set|default|null when)\b"
)
IDENTIFIER = re.compile(r"`[^`]*`|[A-Za-z]+(?:[._][A-Za-z0-9]+)+|(?:start|end)\(P\)|\d+(?:\.\d+)?")


def english_words(text: str) -> list[str]:
    """The English words left in a text, outside `code` and identifiers (created_at, orders.amount)."""
    bare = re.sub(r"`[^`]*`|[A-Za-z]+(?:[._][A-Za-z0-9]+)+", " ", text)
    return ENGLISH.findall(bare.lower())


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda k: k.id)
def test_every_catalogue_kpi_has_a_dutch_definition_and_notes(kpi):
    assert kpi.id in DEFINITIONS_NL, f"{kpi.id}: no Dutch definition in koers/kpis/definitions_nl.py"
    nl = DEFINITIONS_NL[kpi.id]
    assert nl.strip() == nl and nl and not nl.endswith(".")
    assert len(NOTES_NL.get(kpi.id, ())) == len(kpi.notes), f"{kpi.id}: Dutch notes do not match the notes"
    assert kpi.definition_in("nl") == nl and kpi.definition_in("en") == kpi.definition
    assert kpi.notes_in("nl") == NOTES_NL.get(kpi.id, ()) and kpi.notes_in("en") == kpi.notes


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda k: k.id)
def test_dutch_texts_are_translated_and_keep_every_identifier(kpi):
    for en, nl in [(kpi.definition, kpi.definition_in("nl")), *zip(kpi.notes, kpi.notes_in("nl"))]:
        assert not english_words(nl), f"{kpi.id}: untranslated English in {nl!r}: {english_words(nl)}"
        kept = set(IDENTIFIER.findall(en)) - set(IDENTIFIER.findall(nl))
        assert not kept, f"{kpi.id}: the Dutch text lost {sorted(kept)}"


def test_no_dutch_text_for_a_kpi_that_is_not_in_the_catalogue():
    assert set(DEFINITIONS_NL) <= set(CATALOG_BY_ID) and set(NOTES_NL) <= set(CATALOG_BY_ID)


def test_the_heuristic_catches_english():
    assert english_words(CATALOG_BY_ID["lead_conversion_rate"].definition)
    assert not english_words("van de leads met `--by owner` en referred_by_customer_id in P")


def test_the_docs_show_the_dutch_definition_under_the_english_one():
    md = catalog_markdown()
    for k in CATALOG:
        section = md.split(f"### `{k.id}`:", 1)[1].split("\n### ", 1)[0]
        assert f"\n{sentence(k.definition)}\n\n*NL:* {sentence(k.definition_in('nl'))}\n" in section, k.id


def test_the_cli_lists_definitions_in_the_asked_language():
    runner = CliRunner()
    for lang in ("nl", "en"):
        result = runner.invoke(cli, ["kpis", "--format", "json", "--lang", lang])
        assert result.exit_code == 0, result.output
        listed = {r["id"]: r["definition"] for r in json.loads(result.output)}
        assert listed == {k.id: k.definition_in(lang) for k in CATALOG}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from koers.web.app import create_app
    from tests.test_web import build_small_demo

    with TestClient(create_app(build_small_demo(tmp_path_factory.mktemp("nl")))) as c:
        yield c


def test_pages_show_the_definition_in_the_asked_language(client):
    # the KPI page, the catalogue, and a dashboard card's definition
    for path, kpi in [("/kpi/win_rate", "win_rate"), ("/kpis", "win_rate"), ("/pipeline", "weighted_pipeline_value")]:
        k = CATALOG_BY_ID[kpi]
        nl = html.unescape(client.get(path, params={"lang": "nl"}).text)
        en = html.unescape(client.get(path, params={"lang": "en"}).text)
        assert k.definition_in("nl") in nl and k.definition not in nl, path
        assert k.definition in en and k.definition_in("nl") not in en, path


def test_api_catalogue_carries_the_dutch_definition_and_notes(client):
    for lang in ("nl", "en"):
        listed = client.get("/api/v1/kpis", params={"lang": lang}).json()
        for row in listed:
            k = CATALOG_BY_ID[row["id"]]
            assert (row["definition"], row["definition_nl"]) == (k.definition, k.definition_in("nl"))
            assert (row["notes"], row["notes_nl"]) == (list(k.notes), list(k.notes_in("nl")))
    one = client.get("/api/v1/kpis/win_rate").json()
    assert one["definition_nl"] == DEFINITIONS_NL["win_rate"]


def test_a_kpi_page_and_koers_kpis_show_the_notes_in_the_asked_language(client):
    k = CATALOG_BY_ID["weighted_pipeline_value"]
    assert len(k.notes) == 2
    for lang in ("nl", "en"):
        page = html.unescape(client.get(f"/kpi/{k.id}", params={"lang": lang}).text)
        card = CliRunner().invoke(cli, ["kpis", k.id, "--lang", lang]).output
        for note in k.notes_in(lang):
            assert f"<li>{note}</li>" in page
            assert f"- {note}" in " ".join(card.split())  # the terminal wraps it

