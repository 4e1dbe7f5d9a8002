"""The reader: entities at ingest, answer lines (verdict, short answer), evidence filters, abstention by type.

Every article here is invented (fictional celebrities), written like entertainment journalism.
"""

from __future__ import annotations

import json

import pytest

GALA = """Marlow Fenn and Odile Strand arrive at the Harbour Gala

Marlow Fenn and Odile Strand walked the carpet together at the Harbour Gala in Lisbon on Friday.
Caption: Fenn and Strand pose for photographers.
Teo Varga/Getty Images
The pair met in 2014 on the set of the drama Salt Road, Fenn told reporters.
"""


def _add(bot, text: str, title: str, published: str | None = None):
    result = bot.add_text(text, title, published=published)
    assert result.ok, result
    return result


def test_a_photo_credit_is_not_a_covered_person(bot):
    _add(bot, GALA, "Harbour Gala", "2023-05-05")
    people = [p for p, _ in bot.coverage().people]
    assert "Marlow Fenn" in people and "Odile Strand" in people
    assert not any("Varga" in p for p in people)


def test_entities_are_stored_with_the_article_and_typed(bot, make_bot):
    added = _add(bot, GALA, "Harbour Gala", "2023-05-05")
    reopened = make_bot()  # a new process would read them from the record, not re-run NER
    rec = reopened.article(added.article_id)
    stored = json.loads(rec.entities_json)
    by_label = {}
    for start, end, label in stored:
        by_label.setdefault(label, []).append(rec.text[start:end])
    assert "Odile Strand" in by_label["PERSON"]
    assert "Lisbon" in by_label["GPE"]
    assert "2014" in by_label["DATE"]


def test_lower_case_text_gets_no_entities(bot):
    added = _add(bot, "marlow fenn and odile strand met in lisbon in 2014 and have been friends since.", "lower")
    assert json.loads(bot.article(added.article_id).entities_json) == []


def test_a_misspelled_name_gets_did_you_mean(bot):
    _add(bot, GALA, "Harbour Gala", "2023-05-05")
    answer = bot.ask("How did Marlow Fen and Odile Strand meet?")
    assert answer.abstained
    assert "Did you mean Marlow Fenn?" in answer.text
