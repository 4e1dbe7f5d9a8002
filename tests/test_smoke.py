"""The seed article answers the two questions the product started from."""

from askcelebs import AskCelebs


def test_seed_question_is_answered_with_verbatim_quotes(seeded_bot: AskCelebs):
    answer = seeded_bot.ask("How did John Legend and Kanye West meet?")
    assert not answer.abstained
    art = seeded_bot.articles()[0]
    text = seeded_bot.article(art.article_id).text
    assert answer.citations
    for c in answer.citations:
        assert text[c.start:c.end] == c.quote
    assert any("mutual friends" in c.quote for c in answer.citations)


def test_unknown_pair_abstains(seeded_bot: AskCelebs):
    answer = seeded_bot.ask("Are Taylor Swift and Katy Perry friends?")
    assert answer.abstained and not answer.citations
    assert "don't say" in answer.text
