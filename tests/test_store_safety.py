"""The store under stress: one writer at a time across processes (readers never block), a writer SIGKILLed in
the middle of an add leaves only complete articles and recovers, and a store built with another embedding model
is refused until `rebuild`, which keeps every article and its metadata."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from askcelebs import AskCelebs, ModelMismatchError, Settings, StoreBusyError
from tests.conftest import SEED
from tests.helpers.corpus import news_articles, news_texts, write_news_folder
from tests.helpers.ingest_support import ASKCELEBS, HOLD_LOCK, PAIR_TEXT, assert_no_traceback, env, run_cli

SEED_QUESTION = "How did John Legend and Kanye West meet?"
NEWS_QUESTION = "Will the Osbournes make more episodes?"  # tests/data/news/06_osbournes_show_ends.txt


def _assert_complete(bot: AskCelebs) -> list:
    """Every visible article is whole: all its chunks and sentences are stored, each exactly its offsets."""
    listed = bot.articles()
    assert len({a.source for a in listed}) == len(listed), "an article is listed twice"
    for a in listed:
        text = bot.article(a.article_id).text
        assert text
        for coll, expected in ((bot.store.chunks, a.chunks), (bot.store.sentences, a.sentences)):
            got = coll.get(where={"article_id": a.article_id}, include=["documents", "metadatas"])
            assert len(got["ids"]) == expected > 0, f"{a.source}: {len(got['ids'])} stored, {expected} expected"
            assert sorted(m["i"] for m in got["metadatas"]) == list(range(expected))
            for doc, m in zip(got["documents"], got["metadatas"]):
                assert doc == text[m["start"]:m["end"]]
    return listed


def _verbatim(bot: AskCelebs, answer) -> None:
    assert answer.citations and not answer.abstained
    for c in answer.citations:
        assert bot.article(c.article_id).text[c.start:c.end] == c.quote


# --- the writer lock ---------------------------------------------------------------------------------------------


class LockHolder:
    """The helper script holding the writer lock in another process until `release()`."""

    def __init__(self, store: Path):
        self.proc = subprocess.Popen([sys.executable, str(HOLD_LOCK), str(store)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(120)
        if not lines or lines[0].strip() != "locked":
            self.proc.kill()
            raise AssertionError(f"lock holder did not start: {lines} {self.proc.stderr.read()}")

    def release(self) -> None:
        if self.proc.poll() is None:
            out, err = self.proc.communicate(input="", timeout=60)  # closing stdin releases the lock
            assert self.proc.returncode == 0 and "released" in out, err


def test_second_writer_fails_fast_while_readers_keep_working(make_bot, tmp_path):
    bot = make_bot()
    assert bot.add(SEED)[0].status == "added"
    seed_id = bot.articles()[0].article_id
    new = tmp_path / "pair.txt"
    new.write_text(PAIR_TEXT, "utf-8")

    holder = LockHolder(tmp_path / "store")
    try:
        # this process: writes are refused at once, reads and answers go on
        t0 = time.monotonic()
        with pytest.raises(StoreBusyError, match="busy"):
            bot.add(new)
        with pytest.raises(StoreBusyError, match="busy"):
            bot.add_text(PAIR_TEXT, "Pasted while busy")
        with pytest.raises(StoreBusyError, match="busy"):
            bot.remove(seed_id)
        assert time.monotonic() - t0 < 5
        assert [a.article_id for a in bot.articles()] == [seed_id]
        _verbatim(bot, bot.ask(SEED_QUESTION))

        # another process: `add` fails fast with one line and no traceback
        t0 = time.monotonic()
        proc = run_cli(tmp_path / "store", "add", str(new))
        elapsed = time.monotonic() - t0
        assert_no_traceback(proc)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert elapsed < 10, f"the busy error took {elapsed:.1f} s"
        err = proc.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and "busy" in err[0], proc.stderr
        assert "Try again" in err[0]

        # and a reader process is not blocked
        proc = run_cli(tmp_path / "store", "list", "--json", timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert [r["article_id"] for r in json.loads(proc.stdout)] == [seed_id]
        assert holder.proc.poll() is None, "the lock holder is still holding"
    finally:
        holder.release()

    # released: the same add now works, and nothing was lost while busy
    res = bot.add(new)
    assert [r.status for r in res] == ["added"]
    assert {a.article_id for a in bot.articles()} == {seed_id, res[0].article_id}


# --- SIGKILL in the middle of an add -----------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_add_leaves_only_complete_articles(tmp_path, embedder):
    texts = news_texts(40)
    assert len(texts) == len(set(texts)) == 40
    folder = tmp_path / "news"
    files = write_news_folder(folder, texts)
    sources = {str(p.resolve()) for p in files}

    # timings of this machine, now: starting up (model load) and a complete add
    t0 = time.monotonic()
    assert run_cli(tmp_path / "empty-store", "list", "--json").returncode == 0
    t_load = time.monotonic() - t0
    t0 = time.monotonic()
    full = run_cli(tmp_path / "full-store", "add", str(folder))
    t_full = time.monotonic() - t0
    assert full.returncode == 0 and full.stdout.count("added") == 40, full.stdout + full.stderr

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    lo, hi = t_load * 0.8, max(t_full, t_load + 1.0)
    n_runs = 6  # stratified: one random moment in each sixth of the window
    delays = [rng.uniform(lo + (hi - lo) * i / n_runs, lo + (hi - lo) * (i + 1) / n_runs) for i in range(n_runs)]
    report = [f"seed={seed} t_load={t_load:.1f}s t_full={t_full:.1f}s"]
    killed = 0
    for run, delay in enumerate(delays):
        store = tmp_path / f"store-{run}"
        proc = subprocess.Popen([str(ASKCELEBS), "--store", str(store), "add", str(folder)], env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        if not store.exists():
            report.append(f"run {run}: killed at {delay:.1f}s before the store was created")
            continue

        # a fresh open of the killed store works, and shows only complete articles
        bot = AskCelebs(store=store, embedder=embedder)
        listed = _assert_complete(bot)
        leftovers = bot.store.count()
        report.append(f"run {run}: {'SIGKILL' if proc.returncode == -signal.SIGKILL else 'finished'} at "
                      f"{delay:.1f}s -> {len(listed)} complete articles, records {leftovers}")
        killed += proc.returncode == -signal.SIGKILL
        assert {a.source for a in listed} <= sources
        if listed:
            assert bot.retrieve("box office film").passages, "vector and BM25 search work on the killed store"

        # re-running the add completes it: every article exactly once, leftovers swept, answers work
        results = bot.add(folder)
        assert all(r.status in ("added", "unchanged") for r in results), [str(r) for r in results if not r.ok]
        assert sum(r.status == "unchanged" for r in results) == len(listed)
        final = _assert_complete(bot)
        assert len(final) == 40 and {a.source for a in final} == sources
        counts = bot.store.count()
        assert counts == {"article_records": 40, "chunks": sum(a.chunks for a in final),
                          "sentences": sum(a.sentences for a in final)}, counts
        ans = bot.ask(NEWS_QUESTION)
        _verbatim(bot, ans)
        assert any("osbourne" in c.quote for c in ans.citations)
    print("\n".join(report))
    assert killed >= 2, "\n".join(report)


# --- a store built with another embedding model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_embedder():
    from askcelebs.embedding import get_embedder

    settings = Settings(embedding_backend="torch")
    return settings, get_embedder(settings)


def test_model_mismatch_is_refused_until_rebuild(make_bot, tmp_path, torch_embedder):
    torch_settings, torch_emb = torch_embedder
    bot = make_bot()
    dated = tmp_path / "pair.md"
    dated.write_text("---\ntitle: Vantree and Holloway\npublished: 2021-06-14\nurl: https://example.com/vh\n"
                     "author: Jane Penrose\noutlet: Celeb Daily\n---\n" + PAIR_TEXT, "utf-8")
    assert [r.status for r in bot.add(SEED, dated)] == ["added", "added"]
    before = {a.article_id: a.to_dict() for a in bot.articles()}
    store = tmp_path / "store"
    assert bot.embedder.name != torch_emb.name and torch_emb.name.endswith("@torch")

    with pytest.raises(ModelMismatchError) as exc:
        AskCelebs(store=store, settings=torch_settings, embedder=torch_emb)
    msg = str(exc.value)
    assert "askcelebs rebuild" in msg and str(store.resolve()) in msg
    assert bot.embedder.name in msg and torch_emb.name in msg

    # the CLI says the same in one line, without a traceback, and exits 1
    e = env()
    e["ASKCELEBS_EMBEDDING_BACKEND"] = "torch"
    proc = subprocess.run([str(ASKCELEBS), "--store", str(store), "list"], capture_output=True, text=True, env=e,
                          timeout=180)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "askcelebs rebuild" in err[0], proc.stderr

    rebuilt = AskCelebs(store=store, settings=torch_settings, embedder=torch_emb, check_model=False).rebuild()
    assert rebuilt == 2

    again = AskCelebs(store=store, settings=torch_settings, embedder=torch_emb)
    after = {a.article_id: a.to_dict() for a in again.articles()}
    assert set(after) == set(before)
    for aid, d in before.items():
        for key in ("title", "source", "url", "published", "author", "outlet", "chunks", "sentences"):
            assert after[aid][key] == d[key], (key, after[aid][key], d[key])
    assert after[next(a for a in after if after[a]["title"] == "Vantree and Holloway")]["published"] == "2021-06-14"
    assert again.store.count()["chunks"] == sum(d["chunks"] for d in after.values())
    for a in again.articles():
        assert again.article(a.article_id).text == bot.article(a.article_id).text
    ans = again.ask(SEED_QUESTION)
    _verbatim(again, ans)
    assert any("mutual friends" in c.quote for c in ans.citations)
    assert not (store / "rebuild-backup.json").exists()

    # and now the default backend is the one refused
    with pytest.raises(ModelMismatchError, match="askcelebs rebuild"):
        make_bot()


def test_remove_killed_between_record_and_passages_is_swept_by_the_next_writer(make_bot, tmp_path):
    from tests.conftest import SEED

    bot = make_bot()
    [seed] = bot.add(str(SEED))
    # what a remove killed right after its first delete leaves: no record, passages still stored
    bot.store.mark_pending([seed.article_id])
    bot.store.articles.delete(ids=[seed.article_id])
    reopened = make_bot()
    assert reopened.articles() == []
    assert reopened.store.chunks.get(where={"article_id": seed.article_id})["ids"], "leftovers exist before the sweep"
    other = tmp_path / "other.md"
    other.write_text("Actors Ola Brenn and Ivo Tallis became friends on the set of a 2019 thriller.")
    assert [r.status for r in reopened.add(str(other))] == ["added"]
    assert reopened.store.chunks.get(where={"article_id": seed.article_id})["ids"] == []
    assert reopened.store.sentences.get(where={"article_id": seed.article_id})["ids"] == []


# --- reproducible retrieval --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_builds_of_the_same_articles_give_the_same_answers(make_bot):
    """The vector index is approximate: at Chroma's default search width two builds ranked deep candidates
    differently (7 of 113 eval questions on the BBC corpus), which changed answers from one build to the next.
    Here over the tests' 240-article news corpus (hand-written + generated, tests/helpers/corpus.py)."""
    from askcelebs import evaluation

    items = news_articles(240)
    bots = [make_bot(name) for name in ("one", "two")]
    for bot in bots:
        bot.add_articles(items, force=True)
    questions = [q["question"] for q in evaluation.eval_questions("main") + evaluation.eval_questions("heldout")]
    for q in questions:
        dense = [[cid for cid, _ in b.store.dense(b._retriever.embedder.embed_one(q), 40)] for b in bots]
        assert dense[0] == dense[1], q
        assert bots[0].ask(q).text == bots[1].ask(q).text, q


def test_a_store_made_with_the_default_search_width_is_widened_on_open(make_bot):
    bot = make_bot()
    bot.add(str(SEED))
    bot.store.chunks.modify(configuration={"hnsw": {"ef_search": 100}})  # as stores were made before
    del bot
    reopened = make_bot()
    assert reopened.store.chunks.configuration["hnsw"]["ef_search"] >= 200
    _verbatim(reopened, reopened.ask(SEED_QUESTION))
