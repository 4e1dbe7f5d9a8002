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


WEDDING = (
    "Marlow Fenn and Odile Strand are married. The actors, who got engaged on a rooftop in Lisbon last summer, wed on "
    "Saturday at a vineyard in Sonoma, California, in front of around 120 guests, a representative confirmed.\n"
    '"It was perfect," said Marlow Fenn, 34.\n'
    "The couple have not said where they will spend their honeymoon. Strand is due back in London next month, and "
    "Fenn starts filming in Wales.\n")


@pytest.fixture
def wedding_bot(bot):
    _add(bot, WEDDING, "Fenn and Strand wed", "2019-10-06")
    return bot


def test_where_gets_the_place_after_the_words_it_answers(wedding_bot):
    answer = wedding_bot.ask("Where did Marlow Fenn and Odile Strand get married?")
    assert answer.answer_type == "place"
    assert answer.short_answer == "Sonoma, California"  # not Lisbon, where they got engaged
    assert answer.text.startswith("Sonoma, California")
    assert answer.short_answer in answer.citations[0].quote  # the span is taken from the first citation


def test_how_many_gets_the_count_and_who_never_a_name_from_the_question(wedding_bot):
    answer = wedding_bot.ask("How many guests were at Marlow Fenn and Odile Strand's wedding?")
    assert answer.answer_type == "number" and answer.short_answer == "around 120"
    who = wedding_bot.ask("Who is Odile Strand married to?")
    assert who.short_answer == "Marlow Fenn"


def test_a_place_never_stated_is_declined_by_type(wedding_bot):
    answer = wedding_bot.ask("Where did Marlow Fenn and Odile Strand go on their honeymoon?")
    assert answer.abstained and answer.short_answer is None and not answer.citations
    assert "don't say where" in answer.text


def test_a_title_in_the_question_is_what_is_asked_about(bot):
    # "Neon Saints" is capitalised like a name; it is the topic, and "wrote" answers "write"
    _add(bot, 'Priya Vance and Ada Kell are old friends. "We wrote "Neon Saints" in her kitchen in Lisbon in about two '
              'hours," Vance said. Kell later toured Japan.', "Vance and Kell", "2024-02-01")
    answer = bot.ask("Where did Priya Vance and Ada Kell write Neon Saints?")
    assert answer.short_answer == "Lisbon", answer.text


def test_still_question_gets_a_verdict_with_the_date_it_rests_on(bot):
    _add(bot, "Marlow Fenn and Odile Strand fell out over a film role in 2017.", "Fenn and Strand feud", "2017-03-01")
    _add(bot, "Marlow Fenn and Odile Strand have patched things up and are friends again.", "Friends again",
         "2023-03-22")
    answer = bot.ask("Are Marlow Fenn and Odile Strand still friends?")
    assert answer.verdict == "yes" and answer.as_of.isoformat() == "2023-03-22"
    assert answer.text.startswith("Yes — as of 22 March 2023")
    assert "[1]" in answer.text.split(".")[0]  # the quote the verdict rests on is citation 1


def test_still_question_reads_the_pairs_timeline_even_when_the_newest_sentence_is_elsewhere(bot):
    # the newest article ends the engagement; the question's words match the older engagement story better
    _add(bot, "Nadia Roe and Felix Amsel are engaged. Amsel proposed to Roe on a beach in Goa, and the engaged "
              "couple plan a summer wedding.", "Roe and Amsel engaged", "2022-02-15")
    _add(bot, "Nadia Roe and Felix Amsel have ended their engagement, a spokesperson said.", "Roe and Amsel split",
         "2024-07-02")
    answer = bot.ask("Are Nadia Roe and Felix Amsel still engaged?")
    assert answer.verdict == "no", answer.text
    assert answer.as_of.isoformat() == "2024-07-02"
    assert "ended their engagement" in answer.citations[0].quote


def test_a_hedged_newest_report_is_unclear(bot):
    _add(bot, "Marlow Fenn and Odile Strand are close friends.", "Close", "2019-01-01")
    _add(bot, "Marlow Fenn would not be drawn on whether he and Odile Strand were still friends.", "Hedge",
         "2024-01-01")
    answer = bot.ask("Are Marlow Fenn and Odile Strand still friends?")
    assert answer.verdict == "unclear" and "hedged" in answer.text


def test_a_rumour_reported_and_denied_is_answered_as_denied(bot):
    _add(bot, "Gossip sites claimed that Marlow Fenn and Odile Strand had fallen out over a film role. "
              "Strand said the rumours were completely untrue. The pair were seen at lunch in Soho on Friday.",
         "Fenn and Strand rumours", "2021-03-09")
    answer = bot.ask("Did Marlow Fenn and Odile Strand fall out?")
    assert answer.verdict == "no", answer.text
    assert any("untrue" in c.quote for c in answer.citations)
    assert answer.text.startswith("No")


def test_a_first_name_typed_alone_finds_text_that_uses_only_it(bot):
    _add(bot, "Tash Merriweather and Dazza Pilkington finished second on Love Lagoon. Merriweather, 25, thanked "
              "the team behind the show, who printed Team Tash shirts.", "Lagoon final", "2019-08-26")
    _add(bot, "Tash and Dazza are not back together, she said. \"We are NOT back together,\" she wrote after the "
              "charity match hug.", "Not back together", "2024-02-09")
    answer = bot.ask("are tash and dazza back together?")
    assert answer.people == ["Tash Merriweather", "Dazza Pilkington"]
    assert answer.verdict == "no", answer.text
    assert not any("Team Tash" == p for p, _ in bot.coverage().people)  # a shirt slogan is not a person


def test_flagship_still_friends_gets_a_yes(seeded_bot):
    friends = seeded_bot.ask("Are John Legend and Kanye West still friends?")
    assert friends.verdict == "yes"
    assert "still getting along fine" in friends.citations[0].quote


def test_a_couple_who_split_and_stayed_friends_are_not_still_married(bot):
    # names en_core_web_sm tags in a one-line text, so the pair's timeline has its events
    _add(bot, "David Moore and Emma Collins are married. The actors wed on Saturday in Sonoma.", "Moore and Collins wed",
         "2016-09-12")
    _add(bot, "David Moore and Emma Collins have split, a representative said.", "Moore and Collins split",
         "2022-03-14")
    _add(bot, "David Moore says he and Emma Collins are very close friends these days.", "Still close", "2024-11-04")
    answer = bot.ask("Are David Moore and Emma Collins still married?")
    assert answer.verdict == "no", answer.text  # the couple's own events decide, not the newest friendly word
    assert "have split" in answer.citations[0].quote


def test_a_separation_answers_still_married_in_text_without_capitals(bot):
    _add(bot, "david moore and emma collins have separated after six years of marriage, a representative said.",
         "moore and collins", "2022-03-14")
    answer = bot.ask("are david moore and emma collins still married?")
    assert answer.verdict == "no", answer.text


def test_the_feud_an_apology_ended_is_not_a_no_to_did_he_apologise(bot):
    _add(bot, "Marlow Fenn has apologised to Odile Strand, 18 months after the pair fell out over royalties from "
              "their album. \"Odile, I was wrong, and I'm sorry,\" Fenn wrote.", "Fenn apologises", "2022-01-10")
    answer = bot.ask("Did Marlow Fenn apologise to Odile Strand?")
    assert answer.verdict == "yes", answer.text


def test_did_they_arrive_together_reads_the_sentence_about_them_and_an_event_is_not_a_person(bot):
    _add(bot, "The Harbour Gala red carpet in Lisbon on Sunday was busier than ever, with actors and musicians arriving "
              "together. Marlow Fenn and Odile Strand arrived separately and did not speak.", "Harbour Gala", "2024-05-06")
    answer = bot.ask("Did Marlow Fenn and Odile Strand arrive at the Harbour Gala together?")
    assert answer.people == ["Marlow Fenn", "Odile Strand"]  # the gala is what is asked about, not a third person
    assert answer.verdict == "no", answer.text
    assert "separately" in answer.citations[0].quote


def test_a_refusal_to_apologise_is_a_no_even_beside_the_word_sorry(bot):
    _add(bot, "Asked directly whether he would say sorry to Odile Strand, Marlow Fenn replied: \"I'm not going to "
              "apologise for the film.\" Fenn stopped short of apologising.", "Fenn responds", "2019-04-09")
    answer = bot.ask("Did Marlow Fenn apologise to Odile Strand?")
    assert answer.verdict == "no", answer.text


def test_who_did_it_is_answered_by_the_subject_not_the_person_after_the_words(bot):
    _add(bot, "Peter Walsh and David Moore have been friends since drama school. Walsh wrote the lead role in his new "
              "play for Moore, and was best man at his wedding to the actress Emma Collins in 2016.", "Walsh's play",
         "2020-02-18")
    answer = bot.ask("Who was best man at David Moore's wedding?")
    assert answer.short_answer in ("Walsh", "Peter Walsh"), answer.text


def test_who_did_it_in_a_passive_sentence_is_the_person_after_by(bot):
    _add(bot, "Nina Hart threw the dinner. Emma Collins and David Moore, guests of Nina Hart, were introduced by the "
              "producer Peter Walsh.", "How they met", "2015-04-02")
    answer = bot.ask("Who introduced Emma Collins to David Moore?")
    assert answer.short_answer in ("Walsh", "Peter Walsh"), answer.text


QA = """Emma Collins on her new cookbook

Emma Collins talks to us about cooking, Cornwall and David Moore.

**You and David Moore presented Midnight Kitchen together for six years. There were stories in 2018 that you two were a couple.**

Collins: None. Never. He was the brother I never wanted.

**Have you spoken since the book came out?**

Collins: Not since August. I sent him one text.

Caption: Emma Collins and David Moore at the Midnight Kitchen launch in 2015.
"""


def test_an_interviewers_question_is_not_quoted_and_the_answer_means_what_was_asked(bot):
    _add(bot, QA, "Emma Collins on her new cookbook", "2022-10-01")
    answer = bot.ask("Were Emma Collins and David Moore ever a couple?")
    quotes = [c.quote for c in answer.citations]
    assert answer.verdict == "no", answer.text
    assert any("None" in q or "Never" in q for q in quotes), answer.text
    assert not any("There were stories" in q or q.startswith("**") for q in quotes), quotes
    assert not any(q.startswith("Caption") for q in quotes), quotes


def test_the_answer_to_an_interview_question_is_quoted_not_the_question(bot):
    _add(bot, QA, "Emma Collins on her new cookbook", "2022-10-01")
    answer = bot.ask("Have Emma Collins and David Moore spoken since her cookbook came out?")
    quotes = [c.quote for c in answer.citations]
    assert any("Not since August" in q for q in quotes), answer.text
    assert not any("Have you spoken" in q for q in quotes), quotes
    assert not any(q.startswith("Caption") for q in quotes), quotes


def test_the_best_quote_holds_the_short_answer_even_in_other_words_than_the_question(bot):
    _add(bot, "Emma Collins and David Moore starred in the thriller Salt Road in 2018. Salt Road took more than "
              "$60 million worldwide, a record for its studio.", "Salt Road", "2019-04-02")
    answer = bot.ask("How much did Salt Road make at the box office?")
    assert not answer.abstained, answer.text
    assert answer.short_answer and "$60 million" in answer.short_answer, answer.text
