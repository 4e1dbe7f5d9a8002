"""The side index's state and journal (index/snapshot.py): a reopen reads them instead of every record and chunk
ref in the store, another process's write is followed from its journal line, and anything the files cannot
vouch for (a damaged file, rows written around the journal) makes the store be read as before."""

from __future__ import annotations

import pytest

from askcelebs.index import Store
from tests.conftest import SEED
from tests.helpers.ingest_support import PAIR_ANSWER, PAIR_QUESTION, PAIR_TEXT

SEED_QUESTION = "How did John Legend and Kanye West meet?"


def _no_bulk_reads(monkeypatch) -> None:
    """Reading every chunk ref or record fails: what still works came from the state and journal."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("read the whole store")

    monkeypatch.setattr(Store, "chunk_refs", refuse)
    monkeypatch.setattr(Store, "records", refuse)


def test_a_reopen_reads_the_saved_state_and_answers_the_same(make_bot, tmp_path, monkeypatch):
    bot = make_bot()
    bot.add(str(SEED))
    pair = tmp_path / "pair.txt"
    pair.write_text(PAIR_TEXT, "utf-8")
    [added] = bot.add(str(pair))  # a journal line after the state written at the first open
    before = bot.ask(PAIR_QUESTION)
    assert PAIR_ANSWER in " ".join(c.quote for c in before.citations)

    _no_bulk_reads(monkeypatch)
    reopened = make_bot()
    assert set(reopened.side.articles) == set(bot.side.articles)
    assert set(reopened.side.refs) == set(bot.side.refs)
    assert reopened.side.articles[added.article_id].text == bot.side.articles[added.article_id].text
    assert reopened.ask(PAIR_QUESTION).text == before.text
    assert reopened.ask(SEED_QUESTION).text == bot.ask(SEED_QUESTION).text


def test_another_processs_add_and_remove_are_followed_from_its_journal(make_bot, tmp_path, monkeypatch):
    writer = make_bot()
    writer.add(str(SEED))
    reader = make_bot()
    assert reader.ask(PAIR_QUESTION).abstained

    pair = tmp_path / "pair.txt"
    pair.write_text(PAIR_TEXT, "utf-8")
    [added] = writer.add(str(pair))
    with monkeypatch.context() as m:
        _no_bulk_reads(m)
        answer = reader.ask(PAIR_QUESTION)
    assert not answer.abstained and {c.article_id for c in answer.citations} == {added.article_id}

    writer.update_metadata(added.article_id, title="Retitled on the road")
    writer.remove(str(SEED))
    with monkeypatch.context() as m:
        _no_bulk_reads(m)
        assert reader.ask(SEED_QUESTION).abstained
        assert reader.side.articles[added.article_id].title == "Retitled on the road"
        assert [a.article_id for a in reader.articles()] == [added.article_id]


@pytest.mark.parametrize("damage", ["garbage", "truncated journal"])
def test_a_damaged_state_or_journal_is_not_trusted(make_bot, tmp_path, damage):
    bot = make_bot()
    bot.add(str(SEED))
    pair = tmp_path / "pair.txt"
    pair.write_text(PAIR_TEXT, "utf-8")
    bot.add(str(pair))
    side = tmp_path / "store" / ".askcelebs-side"
    if damage == "garbage":
        [state] = side.glob("state-*.json")
        state.write_bytes(b"{not json")
    else:
        [journal] = side.glob("journal-*.jsonl")
        journal.write_bytes(journal.read_bytes()[:-20])
    reopened = make_bot()
    assert set(reopened.side.articles) == set(bot.side.articles)
    assert PAIR_ANSWER in " ".join(c.quote for c in reopened.ask(PAIR_QUESTION).citations)
