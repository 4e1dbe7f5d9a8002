"""Several askcelebs instances on one real Chroma server: shared writes, refresh, concurrent writers, outages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.chroma_server import ChromaServer, chroma_server, free_port, server_url  # noqa: F401  (fixtures)
from tests.conftest import ROOT, SEED

from askcelebs import AskCelebs, StoreError, StoreUnavailableError
from askcelebs.articles import make_article

pytestmark = pytest.mark.server

EVALSET = ROOT / "src" / "askcelebs" / "evalset" / "articles"
FRIENDSHIP = EVALSET / "2017-05-14-corinne-vale-juno-castellane-friendship.md"
FALL_OUT = EVALSET / "2019-09-03-corinne-vale-juno-castellane-fall-out.md"
ASKCELEBS = Path(sys.executable).with_name("askcelebs")
SEED_Q = "How did John Legend and Kanye West meet?"
VALE_Q = "Where did Corinne Vale and Juno Castellane meet?"


@pytest.fixture
def pair(server_url, embedder):
    """Two instances (as two app processes would be) on the same server."""
    return (AskCelebs(chroma_url=server_url, embedder=embedder),
            AskCelebs(chroma_url=server_url, embedder=embedder))


def _cites(answer, article_id: str) -> bool:
    return any(c.article_id == article_id for c in answer.citations)


def _cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(ASKCELEBS), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_startup_time_of_the_server(chroma_server):
    assert chroma_server.startup_s < 10, f"chroma run took {chroma_server.startup_s:.1f} s to answer"


def test_an_add_through_one_instance_is_answered_by_the_other(pair):
    a, b = pair
    assert b.ask(VALE_Q).abstained
    added = a.add(str(FRIENDSHIP))[0]
    assert added.status == "added"
    answer = b.ask(VALE_Q)  # b refreshes before answering
    assert not answer.abstained and _cites(answer, added.article_id)
    assert any("songwriting camp in Nashville" in c.quote for c in answer.citations)
    text = b.article(added.article_id).text
    assert all(text[c.start:c.end] == c.quote for c in answer.citations)
    assert [x.article_id for x in b.articles()] == [added.article_id]
    # lower-case names are only known from the new article: b must have refreshed before reading the question
    assert _cites(b.ask("where did corinne vale and juno castellane meet?"), added.article_id)


def test_refresh_reads_only_the_token_until_someone_writes(pair, monkeypatch):
    a, b = pair
    a.add(str(SEED))
    b.ask(SEED_Q)
    calls: list[tuple] = []
    real = b.store.records

    def counting(ids=None, with_text=False):
        calls.append((tuple(ids) if ids else None, with_text))
        return real(ids=ids, with_text=with_text)

    monkeypatch.setattr(b.store, "records", counting)
    for _ in range(3):
        assert not b.ask(SEED_Q).abstained
    assert calls == []  # nothing changed: one token read per question, no reload
    added = a.add(str(FRIENDSHIP))[0]
    assert _cites(b.ask(VALE_Q), added.article_id)
    assert calls == [(None, False), ((added.article_id,), True)]  # the record list, then only the new text
    b.ask(VALE_Q)
    assert len(calls) == 2


def test_a_remove_through_one_instance_is_gone_from_the_other(pair):
    a, b = pair
    seed = a.add(str(SEED))[0]
    vale = a.add(str(FRIENDSHIP))[0]
    assert _cites(b.ask(SEED_Q), seed.article_id)
    a.remove(seed.article_id)
    answer = b.ask(SEED_Q)
    assert answer.abstained and not answer.citations
    assert [x.article_id for x in b.articles()] == [vale.article_id]
    b.remove(str(FRIENDSHIP))
    assert a.articles() == [] and a.ask(VALE_Q).abstained
    assert a.store.count() == {"article_records": 0, "chunks": 0, "sentences": 0}


def test_a_replace_through_one_instance_is_seen_by_the_other(pair, tmp_path):
    a, b = pair
    path = tmp_path / "docs" / "legend.md"
    path.parent.mkdir()
    path.write_text(SEED.read_text("utf-8"), "utf-8")
    old = a.add(str(path))[0]
    assert _cites(b.ask(SEED_Q), old.article_id)
    path.write_text(SEED.read_text("utf-8") + "\n\nLegend and West later opened a bakery in Chicago.\n", "utf-8")
    new = b.add(str(path))[0]
    assert new.status == "replaced"
    answer = a.ask("Did John Legend and Kanye West open a bakery?")
    assert _cites(answer, new.article_id) and not _cites(answer, old.article_id)
    assert [x.article_id for x in a.articles()] == [new.article_id]


def test_concurrent_adds_from_two_instances_converge(pair):
    """Both instances add the same articles at once (plus one each): every article exactly once, no leftovers."""
    a, b = pair
    shared = [str(p) for p in sorted(EVALSET.glob("*.md")) if p != FALL_OUT]
    errors: list[BaseException] = []
    results: dict[str, list] = {}
    barrier = threading.Barrier(2, timeout=30)

    def run(name, bot, own):
        try:
            barrier.wait()
            results[name] = [r for path in [own, *shared] for r in bot.add(path)]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("a", a, str(SEED))),
               threading.Thread(target=run, args=("b", b, str(FALL_OUT)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert {r.status for r in results["a"] + results["b"]} <= {"added", "unchanged"}
    expected = {r.article_id for r in results["a"] + results["b"]}
    for bot in (a, b):
        listed = [x.article_id for x in bot.articles()]
        assert sorted(listed) == sorted(expected) and len(listed) == len(set(listed)) == len(shared) + 2
    a.store.sweep()
    records = a.store.records()
    assert len(records) == len(expected)
    assert a.store.count()["chunks"] == sum(r.chunks for r in records)
    assert a.store.count()["sentences"] == sum(r.sentences for r in records)


def test_concurrent_replaces_of_one_source_leave_the_newest(pair):
    """Two instances write different texts for the same source at once: readers see exactly one, the newest."""
    a, b = pair
    base = SEED.read_text("utf-8")
    texts = {"a": base + "\n\nVersion A: they opened a bakery.\n", "b": base + "\n\nVersion B: they opened a gym.\n"}
    barrier = threading.Barrier(2, timeout=30)
    results, errors = {}, []

    def run(name, bot):
        try:
            art = make_article(texts[name], "https://example.com/legend-west", title="Legend and West")
            barrier.wait()
            results[name] = bot.add_articles([(name, art)])[0]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, bot)) for n, bot in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and {r.status for r in results.values()} <= {"added", "replaced"}
    records = a.store.records()
    newest = max(records, key=lambda r: (r.added_ns, r.article_id))
    assert {r.source for r in records} == {"https://example.com/legend-west"}
    for bot in (a, b):
        assert [x.article_id for x in bot.articles()] == [newest.article_id]
    a.add(str(FRIENDSHIP))  # the next write sweeps the hidden record
    assert sorted(r.article_id for r in a.store.records()) == sorted([newest.article_id,
                                                                        a.find(str(FRIENDSHIP)).article_id])
    assert a.store.chunk_refs([r.article_id for r in records if r.article_id != newest.article_id]) == []


def test_rebuild_on_the_server_is_picked_up_by_the_other_instance(pair):
    a, b = pair
    seed = a.add(str(SEED))[0]
    assert _cites(b.ask(SEED_Q), seed.article_id)
    assert a.rebuild() == 1
    assert _cites(a.ask(SEED_Q), seed.article_id)
    assert _cites(b.ask(SEED_Q), seed.article_id)
    added = a.add(str(FRIENDSHIP))[0]
    assert _cites(b.ask(VALE_Q), added.article_id)
    # while a rebuild elsewhere has the collections dropped, questions fail with a clear error, not a traceback
    a.store.client.delete_collection(a.store.chunks.name)  # after a rebuild: the new generation's
    with pytest.raises(StoreError, match="collections were dropped, most likely by `askcelebs rebuild`"):
        b.ask(SEED_Q)


def test_cli_in_another_process_shares_the_server(pair, server_url, tmp_path):
    a, _ = pair
    seed = a.add(str(SEED))[0]
    # the CLI (a separate process) adds and lists through --chroma-url ...
    added = _cli("--chroma-url", server_url, "add", "--json", str(FRIENDSHIP))
    assert added.returncode == 0, added.stderr
    vale_id = json.loads(added.stdout)[0]["article_id"]
    listed = _cli("list", "--json", env={"ASKCELEBS_CHROMA_URL": server_url})  # ... or ASKCELEBS_CHROMA_URL
    assert listed.returncode == 0, listed.stderr
    assert sorted(x["article_id"] for x in json.loads(listed.stdout)) == sorted([seed.article_id, vale_id])
    # ... and the in-process instance answers from it after its refresh
    assert _cites(a.ask(VALE_Q), vale_id)
    a.remove(seed.article_id)
    asked = _cli("--chroma-url", server_url, "ask", "--json", SEED_Q)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["abstained"] is True


def test_server_down_at_start(tmp_path, embedder):
    url = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=f"cannot reach Chroma at {url}"):
        AskCelebs(chroma_url=url, embedder=embedder)
    assert time.monotonic() - t0 < 5
    done = _cli("--chroma-url", url, "stats")
    assert done.returncode == 1
    assert f"error: cannot reach Chroma at {url}" in done.stderr and "Traceback" not in done.stderr


def test_question_while_the_server_is_down_then_recovery(tmp_path, embedder):
    server = ChromaServer(tmp_path / "db").start()
    try:
        bot = AskCelebs(chroma_url=server.url, embedder=embedder, chroma_timeout=2)
        seed = bot.add(str(SEED))[0]
        assert _cites(bot.ask(SEED_Q), seed.article_id)

        server.stop()
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailableError, match=f"cannot reach Chroma at {server.url}"):
            bot.ask(SEED_Q)
        assert time.monotonic() - t0 < 5
        with pytest.raises(StoreUnavailableError):
            bot.add(str(FRIENDSHIP))

        server.start()  # same port, same path
        assert _cites(bot.ask(SEED_Q), seed.article_id)
        assert bot.add(str(FRIENDSHIP))[0].status == "added"
        assert [x.title for x in bot.articles()][0] == seed.title

        server.pause()  # a hung server: the request times out instead of blocking forever
        t0 = time.monotonic()
        try:
            with pytest.raises(StoreUnavailableError, match="cannot reach Chroma at"):
                bot.ask(SEED_Q)
            assert time.monotonic() - t0 < 2 + 5
        finally:
            server.resume()
        assert _cites(bot.ask(SEED_Q), seed.article_id)
    finally:
        server.stop()
