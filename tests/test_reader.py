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


WEDDING = """Marlow Fenn and Odile Strand are married. The actors, who got engaged on a rooftop in Lisbon last summer,
wed on Saturday at a vineyard in Sonoma, California, in front of around 120 guests, a representative confirmed.
Caption: Fenn and Strand at the vineyard in Sonoma.
The couple have not said where they will spend their honeymoon. Strand is due back in London next month.
"""

INTERVIEW = """Odile Strand on her new film

**There were reports that you and Marlow Fenn had split. Was there anything to that?**

No, that was never true. Marlow and I are still very happy together.
"""


@pytest.fixture
def wedding_bot(bot):
    _add(bot, WEDDING, "Fenn and Strand wed", "2019-10-06")
    return bot


def test_where_gets_the_place_after_the_words_it_answers(wedding_bot):
    answer = wedding_bot.ask("Where did Marlow Fenn and Odile Strand get married?")
    assert answer.answer_type == "place"
    assert answer.short_answer == "Sonoma, California"  # not Lisbon, where they got engaged
    assert answer.text.startswith("Sonoma, California")
    assert any(answer.short_answer in c.quote for c in answer.citations)


def test_how_many_gets_the_count_and_never_a_name_from_the_question(wedding_bot):
    answer = wedding_bot.ask("How many guests were at Marlow Fenn and Odile Strand's wedding?")
    assert answer.answer_type == "number" and answer.short_answer == "around 120"
    who = wedding_bot.ask("Who is Odile Strand married to?")
    assert who.short_answer == "Marlow Fenn"


def test_a_place_never_stated_is_declined_by_type(wedding_bot):
    answer = wedding_bot.ask("Where did Marlow Fenn and Odile Strand go on their honeymoon?")
    assert answer.abstained and answer.short_answer is None
    assert "don't say where" in answer.text


def test_a_caption_is_not_quoted_as_evidence(wedding_bot):
    answer = wedding_bot.ask("What do the articles say about Marlow Fenn and Odile Strand at the vineyard?")
    assert not any(c.quote.startswith("Caption:") for c in answer.citations)


def test_a_rumour_in_the_interviewers_question_is_answered_as_denied(bot):
    _add(bot, INTERVIEW, "Odile Strand on her new film", "2024-03-14")
    answer = bot.ask("Did Marlow Fenn and Odile Strand split?")
    assert not any("Was there anything to that" in c.quote for c in answer.citations)  # the question is no evidence
    assert answer.verdict == "no" and answer.text.startswith("No")


def test_still_question_gets_a_verdict_with_the_date_it_rests_on(bot):
    _add(bot, "Marlow Fenn and Odile Strand fell out over a film role in 2017.", "Fenn and Strand feud", "2017-03-01")
    _add(bot, "Marlow Fenn and Odile Strand have patched things up and are friends again.", "Friends again",
         "2023-03-22")
    answer = bot.ask("Are Marlow Fenn and Odile Strand still friends?")
    assert answer.verdict == "yes" and answer.as_of.isoformat() == "2023-03-22"
    assert answer.text.startswith("Yes — as of 22 March 2023")


def test_a_hedged_newest_report_is_unclear(bot):
    _add(bot, "Marlow Fenn and Odile Strand are close friends.", "Close", "2019-01-01")
    _add(bot, "Marlow Fenn would not be drawn on whether he and Odile Strand were still friends.", "Hedge",
         "2024-01-01")
    answer = bot.ask("Are Marlow Fenn and Odile Strand still friends?")
    assert answer.verdict == "unclear" and "hedged" in answer.text


def test_flagship_still_friends_gets_a_yes(seeded_bot):
    friends = seeded_bot.ask("Are John Legend and Kanye West still friends?")
    assert friends.verdict == "yes"  # "Not only do the two admire each other's work" is no negation
