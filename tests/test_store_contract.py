"""The store's contract, run against the embedded store and a real Chroma server alike (`any_bot`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.chroma_server import chroma_server, server_url  # noqa: F401  (fixtures)
from tests.conftest import ROOT, SEED

from askcelebs import AskCelebs

EVALSET = ROOT / "src" / "askcelebs" / "evalset" / "articles"
FRIENDSHIP = EVALSET / "2017-05-14-corinne-vale-juno-castellane-friendship.md"


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def any_bot(request, tmp_path, embedder) -> AskCelebs:
    """A fresh, empty AskCelebs: an embedded store in tmp_path, or a wiped database on a Chroma server."""
    if request.param == "embedded":
        bot = AskCelebs(store=tmp_path / "store", embedder=embedder)
    else:
        bot = AskCelebs(chroma_url=request.getfixturevalue("server_url"), embedder=embedder)
    assert bot.stats()["mode"] == request.param
    return bot


def _copy(src: Path, dest_dir: Path, name: str | None = None) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, dest_dir / (name or src.name)))


def test_add_is_idempotent(any_bot, tmp_path):
    first = any_bot.add(str(SEED))
    assert [r.status for r in first] == ["added"]
    again = any_bot.add(str(SEED))
    assert [r.status for r in again] == ["unchanged"]
    assert again[0].article_id == first[0].article_id
    copy = _copy(SEED, tmp_path / "elsewhere")
    dup = any_bot.add(str(copy))
    assert [r.status for r in dup] == ["duplicate"]
    assert [a.article_id for a in any_bot.articles()] == [first[0].article_id]
    counts = any_bot.store.count()
    assert counts["article_records"] == 1
    assert counts["chunks"] == first[0].chunks


def test_changed_source_replaces_the_old_article(any_bot, tmp_path):
    path = _copy(SEED, tmp_path / "docs")
    old = any_bot.add(str(path))[0]
    path.write_text(path.read_text("utf-8") + "\n\nThe pair later opened a bakery together in Chicago.\n", "utf-8")
    new = any_bot.add(str(path))[0]
    assert new.status == "replaced" and new.article_id != old.article_id
    listed = any_bot.articles()
    assert [a.article_id for a in listed] == [new.article_id]
    assert "bakery" in any_bot.article(new.article_id).text
    store = any_bot.store
    assert [r.article_id for r in store.records()] == [new.article_id]
    assert store.chunk_refs([old.article_id]) == []
    assert store.sentence_data([f"{old.article_id}:s0"]) == {}
    assert store.count()["chunks"] == new.chunks
    answer = any_bot.ask("Did John Legend and Kanye West open a bakery?")
    assert any("bakery" in c.quote and c.article_id == new.article_id for c in answer.citations)


def test_remove(any_bot):
    rec = any_bot.add(str(SEED))[0]
    kept = any_bot.add(str(FRIENDSHIP))[0]
    removed = any_bot.remove(str(SEED))
    assert removed.article_id == rec.article_id
    assert [a.article_id for a in any_bot.articles()] == [kept.article_id]
    assert any_bot.store.chunk_refs([rec.article_id]) == []
    assert any_bot.store.count()["article_records"] == 1
    answer = any_bot.ask("How did John Legend and Kanye West meet?")
    assert answer.abstained and not answer.citations


def test_list(any_bot):
    assert any_bot.articles() == []
    first = any_bot.add(str(SEED))[0]
    second = any_bot.add(str(FRIENDSHIP))[0]
    listed = any_bot.articles()
    assert [a.article_id for a in listed] == [first.article_id, second.article_id]  # oldest first
    assert listed[1].title == "Corinne Vale and Juno Castellane: Inside Pop's Closest Friendship"
    assert listed[1].published.isoformat() == "2017-05-14"
    assert listed[0].source == str(SEED.resolve())
    assert any_bot.stats()["articles"] == 2


def test_seed_question_is_answered_verbatim(any_bot):
    any_bot.add(str(SEED))
    answer = any_bot.ask("How did John Legend and Kanye West meet?")
    assert not answer.abstained and answer.citations
    text = any_bot.article(answer.citations[0].article_id).text
    for c in answer.citations:
        assert text[c.start:c.end] == c.quote
    assert any("mutual friends" in c.quote for c in answer.citations)


def test_unknown_pair_abstains(any_bot):
    any_bot.add(str(SEED))
    answer = any_bot.ask("Are Taylor Swift and Katy Perry friends?")
    assert answer.abstained and not answer.citations
