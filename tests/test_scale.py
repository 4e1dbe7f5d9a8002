"""A store past Chroma's read limit: Chroma 1.5.9 fails one get() of more than 32,766 rows ("too many SQL
variables"), and a store that grew past it could not be opened, swept or listed. The rows are written straight
through the Store's collections with a fixed embedding (no model run), so 33,000 chunks build in seconds."""

from __future__ import annotations

import numpy as np
import pytest

from askcelebs.index import CHUNKS
from tests.conftest import SEED

SEED_QUESTION = "How did John Legend and Kanye West meet?"
ROWS = 33_000
PER_ARTICLE = 10


def _write_rows(store, n_articles: int, per_article: int, *, records: bool, prefix: str) -> list[str]:
    """Articles of `per_article` one-line chunks each, as the writer stores them, without embedding anything."""
    vec = np.zeros(store.dim, np.float32)
    vec[0] = 1.0
    ids, texts = [f"{prefix}{i:06d}" for i in range(n_articles)], []
    c_ids, c_docs, c_meta = [], [], []
    for aid in ids:
        lines = [f"Line {j} of synthetic filler article {aid} about nobody in particular." for j in range(per_article)]
        text = "\n".join(lines)
        texts.append(text)
        start = 0
        for j, line in enumerate(lines):
            c_ids.append(f"{aid}:{j}")
            c_docs.append(line)
            c_meta.append({"article_id": aid, "i": j, "start": start, "end": start + len(line), "s0": j, "s1": j + 1,
                           "title": f"Filler {aid}", "source": f"filler:{aid}"})
            start += len(line) + 1
    store._upsert(store.chunks, c_ids, np.tile(vec, (len(c_ids), 1)), c_docs, c_meta)
    if records:
        metas = [{"title": f"Filler {aid}", "source": f"filler:{aid}", "url": "", "published": "", "author": "",
                  "outlet": "", "added_at": "2024-01-01T00:00:00", "added_ns": 1 + i, "chunks": per_article,
                  "sentences": per_article} for i, aid in enumerate(ids)]
        store._upsert(store.articles, ids, np.tile(vec, (len(ids), 1)), texts, metas)
    return ids


@pytest.mark.slow
def test_a_store_past_chromas_read_limit_opens_sweeps_and_lists(make_bot, tmp_path):
    bot = make_bot()
    assert bot.add(str(SEED))[0].status == "added"
    seed_chunks = len(bot.side.chunks)
    filler = _write_rows(bot.store, ROWS // PER_ARTICLE, PER_ARTICLE, records=True, prefix="f")
    # what a writer killed mid-add leaves: passages of an article with no record, and the marker file
    orphans = _write_rows(bot.store, 2, PER_ARTICLE, records=False, prefix="orphan")
    bot.store.mark_pending(orphans)
    bot.store.touch()
    assert bot.store.chunks.count() > 32_766
    del bot

    reopened = make_bot()  # loads every chunk ref and record
    assert len(reopened.side.chunks) == seed_chunks + ROWS
    assert len({c.chunk_id for c in reopened.side.chunks}) == seed_chunks + ROWS
    assert len(reopened.articles()) == 1 + len(filler)
    assert len(reopened.store.list_articles()) == 1 + len(filler)
    assert reopened.stats()["chunks"] == seed_chunks + ROWS

    other = tmp_path / "other.md"  # an add sweeps first: it reads every chunk's article id
    other.write_text("Actors Ola Brenn and Ivo Tallis became friends on the set of a 2019 thriller.")
    assert [r.status for r in reopened.add(str(other))] == ["added"]
    for aid in orphans:
        assert reopened.store.chunks.get(where={"article_id": aid})["ids"] == []

    answer = reopened.ask(SEED_QUESTION)
    assert answer.citations and not answer.abstained
    for c in answer.citations:
        assert reopened.article(c.article_id).text[c.start:c.end] == c.quote
    assert len(reopened.side.chunks) == reopened.store.client.get_collection(CHUNKS).count()


def test_names_and_bm25_follow_adds_and_removes_and_survive_a_reopen(make_bot, tmp_path):
    """The name index and BM25 are patched per article (no rebuild), stored people are read back on reopen,
    and the BM25 index saved at the store's change token is loaded instead of rebuilt."""
    from tests.helpers.ingest_support import PAIR_ANSWER, PAIR_QUESTION, PAIR_TEXT

    bot = make_bot()
    bot.add(str(SEED))
    assert not bot.ask(SEED_QUESTION).abstained  # builds the BM25 base
    pair = tmp_path / "pair.txt"
    pair.write_text(PAIR_TEXT, "utf-8")
    [added] = bot.add(str(pair))
    answer = bot.ask(PAIR_QUESTION)  # served by the BM25 delta and the patched name index
    assert not answer.abstained and PAIR_ANSWER in " ".join(c.quote for c in answer.citations)
    assert {c.article_id for c in answer.citations} == {added.article_id}
    covered = bot.coverage()
    assert "Marisol Vantree" in [p for p, _ in covered.people]

    reopened = make_bot()
    assert reopened.side.articles[added.article_id].people, "people are read from the record, not re-detected"
    assert not reopened.side._bm25.stale, "the saved BM25 index is loaded at the same change token"
    assert reopened.coverage() == covered
    assert reopened.ask(PAIR_QUESTION).text == answer.text

    reopened.remove(added.article_id)
    gone = reopened.ask(PAIR_QUESTION)
    assert gone.abstained and "No indexed article mentions" in gone.text
    assert "Marisol Vantree" not in [p for p, _ in reopened.coverage().people]
    assert not reopened.ask(SEED_QUESTION).abstained
