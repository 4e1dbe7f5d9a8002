"""Grounded answers: verbatim quotes, follow-ups, abstention, recency, the LangChain retriever, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import askcelebs
from askcelebs import AskCelebs
from askcelebs.evaluation import fixture_paths
from tests.helpers.corpus import news_articles

from .conftest import SEED

HISTORY = [
    {"role": "user", "content": "Are John Legend and Kanye West still friends?"},
    {"role": "assistant", "content": "Legend told The Wall Street Journal that the argument didn't damage their friendship."},
]


def assert_verbatim(bot: AskCelebs, answer) -> None:
    for c in answer.citations:
        assert bot.article(c.article_id).text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.text


def test_answer_cites_short_verbatim_quotes_with_metadata(seeded_bot):
    answer = seeded_bot.ask("Are John Legend and Kanye West still friends?")
    assert not answer.abstained and answer.mode == "extractive"
    assert 1 <= len(answer.citations) <= 3
    assert_verbatim(seeded_bot, answer)
    for c in answer.citations:
        assert len(c.quote) <= 320, "a quote is a sentence or two, not a chunk"
        assert c.title == "Are John Legend And Kanye West Still Friends?"
        assert c.source.endswith(SEED.name)
    d = answer.to_dict()
    assert json.loads(json.dumps(d))["citations"][0]["quote"] == answer.citations[0].quote


def test_follow_up_with_pronoun_keeps_the_people(seeded_bot):
    answer = seeded_bot.ask("How did they meet?", history=HISTORY)
    assert "John Legend" in answer.question and "Kanye West" in answer.question
    assert not answer.abstained
    assert any("mutual friends" in c.quote or "meet his cousin" in c.quote for c in answer.citations)


def test_follow_up_accepts_gradio_style_content_parts(seeded_bot):
    history = [{"role": "user", "content": [{"type": "text", "text": HISTORY[0]["content"]}]},
               {"role": "assistant", "content": HISTORY[1]["content"]}]
    assert "Kanye West" in seeded_bot.ask("What did they argue about?", history=history).question


def test_unknown_people_abstain_with_what_the_index_covers(seeded_bot):
    answer = seeded_bot.ask("Are Taylor Swift and Katy Perry friends?")
    assert answer.abstained and answer.citations == []
    assert answer.text.startswith("The indexed articles don't say.")
    assert "Taylor Swift" in answer.text and "John Legend" in answer.text


def test_people_never_named_together_abstain(seeded_bot):
    depp = next(a for _, a in news_articles() if a.text.startswith("johnny depp: the acting outlaw"))
    seeded_bot.add_articles([("depp", depp)])
    answer = seeded_bot.ask("Are Johnny Depp and John Legend friends?")
    assert answer.abstained and not answer.citations
    assert "never in the same article" in answer.text


def test_present_tense_question_leads_with_newest_dated_evidence(bot):
    bot.add_text("Pop singers Mara Quill and Tessa Brandt are best friends. Mara Quill and Tessa Brandt "
                 "share a flat in Leeds and write songs together every week.", "Quill and Brandt, inseparable",
                 published="2018-04-02")
    bot.add_text("Mara Quill and Tessa Brandt no longer speak to each other. Quill said the friendship ended "
                 "after a dispute over songwriting credits.", "Quill and Brandt fall out", published="2022-09-15")
    answer = bot.ask("Are Mara Quill and Tessa Brandt still friends?")
    assert not answer.abstained
    assert answer.as_of and answer.as_of.isoformat() == "2022-09-15"
    assert answer.verdict == "no" and answer.text.startswith("No — as of 15 September 2022")
    assert answer.citations[0].published.isoformat() == "2022-09-15"
    dates = [c.published for c in answer.citations]
    assert dates == sorted(dates, reverse=True), "newest evidence first, older shown as older"
    if len(set(dates)) > 1:
        assert "Earlier (2 April 2018)" in answer.text
    assert_verbatim(bot, answer)


def test_langchain_retriever_returns_documents_with_offsets(seeded_bot):
    docs = seeded_bot.retriever.invoke("How did John Legend and Kanye West meet?")
    assert docs
    text = seeded_bot.articles()[0].article_id
    full = seeded_bot.article(text).text
    for d in docs:
        assert full[d.metadata["start"]:d.metadata["end"]] == d.page_content
    assert any("mutual friends" in d.page_content for d in docs[:2])


def test_stream_yields_text_then_the_answer(seeded_bot):
    pieces = list(seeded_bot.stream("How did John Legend and Kanye West meet?"))
    assert isinstance(pieces[-1], askcelebs.Answer)
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].text


def test_empty_question_is_a_clear_error(seeded_bot):
    with pytest.raises(askcelebs.InputError, match="question"):
        seeded_bot.ask("   ")


WORDS = ["friends", "feud", "Trump", "tweet", "meet", "music", "college", "cousin", "Vogue", "Teigen", "beats",
         "Roc-A-Fella", "Columbia", "argument", "still", "why", "when", "political", "records", "demo"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS + ["John Legend", "Kanye West", "Legend", "West", "they"]),
                min_size=1, max_size=6),
       st.sampled_from(["Did {}?", "What about {}?", "Are {} still friends?", "{}", "How did {} happen?"]))
def test_every_quote_is_verbatim_whatever_is_asked(seeded_bot, words, template):
    answer = seeded_bot.ask(template.format(" ".join(words)))
    assert answer.abstained == (answer.citations == [])
    assert_verbatim(seeded_bot, answer)


def test_public_api_is_pinned():
    assert sorted(askcelebs.__all__) == [
        "AddResult", "Answer", "AnswerError", "Article", "AskCelebs", "AskCelebsError", "Citation", "Coverage",
        "InputError", "ModelMismatchError", "Relationship", "Settings", "StoreBusyError", "StoreError",
        "StoreUnavailableError", "StoredArticle", "Timeline",
    ]


def _cli(store, *args, input=None):
    return subprocess.run([sys.executable, "-m", "askcelebs.cli", "--store", str(store), *args], input=input,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_ask_json_and_interactive_chat(tmp_path):
    store = tmp_path / "cli-store"
    assert _cli(store, "add", str(SEED)).returncode == 0
    out = _cli(store, "ask", "--json", "How did John Legend and Kanye West meet?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["citations"] and not data["abstained"]
    chat = _cli(store, "chat", input="Are John Legend and Kanye West still friends?\nHow did they meet?\n\n")
    assert chat.returncode == 0, chat.stderr
    assert "(answering: How did John Legend and Kanye West meet?)" in chat.stdout
    assert "mutual friends" in chat.stdout or "meet his cousin" in chat.stdout


@pytest.mark.slow
def test_shipped_evaluation_meets_its_goals(make_bot):
    """The shipped "main" set's questions that the repo alone can answer (their gold sentence is in documents/ or
    the dated fixtures), plus all its unanswerable ones, over those articles, with the same goals as `make eval`.
    The full set needs the BBC CSV: `make eval` (ASKCELEBS_BBC_CSV) runs it."""
    from askcelebs import evaluation
    from askcelebs.articles import load

    settings = askcelebs.Settings()
    paths = sorted((SEED.parent).glob("*.md")) + evaluation.fixture_paths()
    corpus = [(str(p), load(str(p), settings)) for p in paths]
    texts = {a.article_id: a.text for _, a in corpus}
    questions = evaluation.eval_questions("main")
    gold = {q["id"]: evaluation._gold_id(q, texts) for q in questions}
    questions = [q for q in questions if gold[q["id"]] or q["kind"] == "unanswerable"]
    kinds = {k: sum(q["kind"] == k for q in questions) for k in ("direct", "followup", "time", "unanswerable")}
    assert len(questions) >= 30 and all(kinds.values()), kinds
    bot = make_bot()
    bot.add_articles(corpus, force=True)
    report = evaluation.score(evaluation.run_askcelebs(bot, questions, gold), texts)
    assert report["verbatim_rate"] == 1.0
    assert report["quote_hit"] >= 0.90
    assert report["abstention_precision"] >= 0.90
    assert report["abstention_recall"] >= 0.80
    assert report["mean_quote_chars"] <= 300
    assert report["hit@1"] >= 0.90


def test_a_relation_the_articles_never_state_is_not_answered(seeded_bot):
    answer = seeded_bot.ask("Did Kanye West ever apologise to John Legend?")
    assert answer.abstained and not answer.citations
    assert "say nothing about an apology" in answer.text


def test_a_stated_relation_is_answered_with_the_sentence_that_states_it(seeded_bot):
    answer = seeded_bot.ask("Who is Chrissy Teigen married to?")
    assert not answer.abstained
    assert any("wife" in c.quote or "husband" in c.quote for c in answer.citations)
    assert_verbatim(seeded_bot, answer)


def test_did_they_make_up_needs_a_reconciliation(bot):
    bot.add_text("Rappers Jax Orly and Dee Monro fell out in March over a diss track. Jax Orly said Dee Monro "
                 "had been disloyal.", "Orly and Monro feud", published="2021-03-02")
    answer = bot.ask("Did they ever make up?", history=[{"role": "user", "content": "Why did Jax Orly and Dee Monro fall out?"}])
    assert answer.abstained and "reconciliation" in answer.text
    bot.add_text("Jax Orly and Dee Monro have ended their feud. The pair shook hands at a charity concert in "
                 "Detroit.", "Orly and Monro make peace", published="2021-11-20")
    answer = bot.ask("Did they ever make up?", history=[{"role": "user", "content": "Why did Jax Orly and Dee Monro fall out?"}])
    assert not answer.abstained
    assert any("ended their feud" in c.quote or "shook hands" in c.quote for c in answer.citations)


def test_they_can_mean_the_asked_person_and_the_one_the_answer_named(seeded_bot):
    history = [{"role": "user", "content": "Who introduced John Legend to a record deal?"},
               {"role": "assistant", "content": "Kanye West recommended Legend to Roc-A-Fella. [1]"}]
    s = seeded_bot.standalone("How did they meet?", history)
    assert [n.text for n in s.names] == ["John Legend", "Kanye West"]
    assert s.question == "How did John Legend and Kanye West meet?"


def test_what_did_they_say_prefers_reported_speech(bot):
    sag = [a for _, a in news_articles() if "hilary swank" in a.text and "eastwood" in a.text]
    bot.add_articles([(a.source, a) for a in sag])
    answer = bot.ask("What did Hilary Swank say about Clint Eastwood at the SAG awards?")
    assert not answer.abstained
    assert any("i bow down to you" in c.quote or "talent beyond compare" in c.quote for c in answer.citations)


def test_present_tense_evidence_must_be_on_topic(bot):
    bot.add_text("Singers Nia Holt and Rae Sorel share a manager. Holt recommended Sorel to her manager, who now "
                 "represents both artists.", "Holt and Sorel", published="2017-05-14")
    bot.add_text("Rae Sorel has left the management company that represents Nia Holt. Holt and Sorel have not "
                 "spoken since the spring.", "Sorel leaves", published="2019-09-03")
    bot.add_text("Nia Holt and Rae Sorel have followed each other on social media again. Fans were delighted.",
                 "Holt and Sorel online", published="2023-03-22")
    answer = bot.ask("Do Nia Holt and Rae Sorel currently share a manager?")
    assert not answer.abstained
    assert "management company" in answer.citations[0].quote, "the newest evidence about managers leads"
    assert all("social media" not in c.quote for c in answer.citations), "an off-topic 'again' is not evidence"


def test_after_a_who_question_they_includes_the_person_the_answer_named(bot):
    queen = [a for _, a in news_articles() if a.text.startswith("queen recruit singer for new tour")]
    bot.add_articles([(a.source, a) for a in queen])
    history = [{"role": "user", "content": "Who is replacing Freddie Mercury when Queen go on tour?"},
               {"role": "assistant", "content": "Former Free and Bad Company singer Paul Rodgers, touring with "
                                                "Brian May and Roger Taylor."}]
    answer = bot.ask("How did they end up teaming up?", history=history)
    assert "Paul Rodgers" in answer.people and "Former Free" not in answer.people
    assert not answer.abstained
    # the sentence names nobody ("they teamed up again"), but its article names everyone asked about
    assert "they teamed up again for a concert" in answer.citations[0].quote
    assert_verbatim(bot, answer)


def test_a_still_question_is_answered_by_the_end_of_the_relationship(bot):
    for path in fixture_paths():  # incl. Rafe Dunmore recording with Ines Kowalczyk (2020), then their split (2022)
        bot.add(str(path))
    answer = bot.ask("Is Rafe Dunmore still working with producer Ines Kowalczyk?")
    assert not answer.abstained
    assert answer.verdict == "no" and answer.text.startswith("No — as of 8 November 2022")
    assert any("have ended their collaboration" in c.quote for c in answer.citations)


def test_now_in_an_older_article_does_not_outrank_the_newest_one(bot):
    for path in fixture_paths():  # dated articles about Corinne Vale and Juno Castellane, 2017, 2019 and 2023
        bot.add(str(path))
    answer = bot.ask("Are Corinne Vale and Juno Castellane currently planning to perform together?")
    assert not answer.abstained
    assert any("planning a joint tour of Europe" in c.quote for c in answer.citations)
    # 2019's "will be performed live again" said nothing about today once a 2023 article is at hand
    assert all(c.published.year == 2023 for c in answer.citations)


def test_quotes_never_repeat_each_other(bot):
    bot.add_text("Singers Ada Penn and Lou Carver fell out over a songwriting credit. Both singers have unfollowed "
                 "each other on social media. Neither singer has said whether their duet will be performed live "
                 "again.", "Penn and Carver feud", published="2019-09-03")
    bot.add_text("Ada Penn and Lou Carver are friends again. The two singers reconciled at a charity concert in "
                 "Lisbon in February. The pair have followed each other on social media again. The singers are "
                 "planning a joint tour of Europe in 2024.", "Penn and Carver reunite", published="2023-03-22")
    answer = bot.ask("Are Ada Penn and Lou Carver currently planning to perform together?")
    spans = [(c.article_id, c.start, c.end) for c in answer.citations]
    assert len(spans) > 1
    assert all(a1 != a2 or e1 <= s2 or e2 <= s1 for i, (a1, s1, e1) in enumerate(spans) for a2, s2, e2 in spans[i + 1:])


def test_what_did_they_argue_about_cites_what_the_argument_was_over(seeded_bot):
    answer = seeded_bot.ask("What did they argue about?", history=HISTORY)
    assert not answer.abstained
    assert "feud over President Trump" in answer.citations[0].quote


def test_still_friends_leads_with_how_they_get_along_now(seeded_bot):
    # "getting along" states the friendship asked about, and "still" says it holds today
    answer = seeded_bot.ask("Are John Legend and Kanye West still friends?")
    assert "still getting along fine" in answer.citations[0].quote
