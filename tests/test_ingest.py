"""Ingestion and the Chroma index: identity by content, replace-on-change, near-duplicates, offsets, metadata,
every loader (txt/md, HTML, PDF, URL, folders) and the CLI's `add` / `list --json`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.helpers.corpus import news_texts, write_news_folder
from tests.helpers.ingest_support import (FOOTER_TEXT, NAV_TEXT, PAIR_ANSWER, PAIR_PARAGRAPHS, PAIR_QUESTION,
                                          PAIR_TEXT, PAIR_TITLE, LocalServer, article_html, assert_no_traceback,
                                          make_pdf, respond, run_cli)

SEED_QUESTION = "How did John Legend and Kanye West meet?"


def _count(collection, article_id: str) -> int:
    return len(collection.get(where={"article_id": article_id}, include=[])["ids"])


def _assert_offsets(bot, article_id: str) -> None:
    """Every stored chunk and sentence of the article is exactly text[start:end]; sentences sit inside chunks."""
    text = bot.article(article_id).text
    chunks = bot.store.chunks.get(where={"article_id": article_id}, include=["documents", "metadatas"])
    sents = bot.store.sentences.get(where={"article_id": article_id}, include=["documents", "metadatas"])
    assert chunks["ids"] and sents["ids"]
    by_i = {}
    for doc, m in zip(sents["documents"], sents["metadatas"]):
        assert 0 <= m["start"] < m["end"] <= len(text)
        assert doc == text[m["start"]:m["end"]]
        assert doc == doc.strip() and doc
        by_i[m["i"]] = (m["start"], m["end"])
    assert sorted(by_i) == list(range(len(by_i)))
    starts = [by_i[i][0] for i in sorted(by_i)]
    assert starts == sorted(starts), "sentences are in text order"
    covered = set()
    for doc, m in zip(chunks["documents"], chunks["metadatas"]):
        assert doc == text[m["start"]:m["end"]]
        assert m["start"] == by_i[m["s0"]][0] and m["end"] == by_i[m["s1"] - 1][1]
        for i in range(m["s0"], m["s1"]):
            s, e = by_i[i]
            assert m["start"] <= s < e <= m["end"]
            covered.add(i)
    assert covered == set(by_i), "every sentence belongs to some chunk"
    rec = bot.article(article_id)
    assert rec.chunks == len(chunks["ids"]) and rec.sentences == len(sents["ids"])


def _sources(bot) -> list[str]:
    return [a.source for a in bot.articles()]


# --- identity --------------------------------------------------------------------------------------------------


def test_adding_the_same_file_twice_is_a_no_op(seeded_bot):
    before = seeded_bot.store.count()
    token = seeded_bot.store.change_token()
    again = seeded_bot.add(str(SEED))
    assert [r.status for r in again] == ["unchanged"]
    assert again[0].article_id == seeded_bot.articles()[0].article_id
    assert seeded_bot.store.count() == before
    assert seeded_bot.store.change_token() == token, "nothing was written"
    assert len(seeded_bot.articles()) == 1


def test_same_text_from_another_path_is_a_duplicate_of_the_first(seeded_bot, seed_copy):
    first = seeded_bot.articles()[0]
    before = seeded_bot.store.count()
    res = seeded_bot.add(seed_copy)
    assert [r.status for r in res] == ["duplicate"]
    assert res[0].article_id == first.article_id
    assert first.article_id in res[0].detail and str(SEED.resolve()) in res[0].detail
    assert seeded_bot.store.count() == before
    assert _sources(seeded_bot) == [str(SEED.resolve())]


def test_two_copies_in_one_add_are_stored_once(bot, seed_copy, tmp_path):
    other = tmp_path / "other" / "copy.md"
    other.parent.mkdir()
    shutil.copy(seed_copy, other)
    res = bot.add(seed_copy, other, seed_copy)
    assert [r.status for r in res] == ["added", "duplicate", "unchanged"]
    assert res[1].article_id == res[0].article_id and str(seed_copy.resolve()) in res[1].detail
    assert len(bot.articles()) == 1 and bot.store.count()["article_records"] == 1


# --- replace on change -----------------------------------------------------------------------------------------


def test_changed_file_replaces_the_old_article_atomically(make_bot, seed_copy):
    bot = make_bot()
    old = bot.add(seed_copy)[0]
    assert old.status == "added"
    assert any("mutual friends" in c.quote for c in bot.ask(SEED_QUESTION).citations)

    reader = make_bot()  # another instance on the same store, polling while the writer replaces
    seen: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(sum(a.source == str(seed_copy.resolve()) for a in reader.articles()))

    text = seed_copy.read_text("utf-8")
    assert "met years ago through mutual friends. Well, cousins." in text
    seed_copy.write_text(text.replace("met years ago through mutual friends. Well, cousins.",
                                      "met in 2001 at a recording studio in Chicago."), "utf-8")
    t = threading.Thread(target=poll)
    t.start()
    try:
        res = bot.add(seed_copy)
    finally:
        stop.set()
        t.join()
    assert [r.status for r in res] == ["replaced"]
    new = res[0]
    assert new.article_id != old.article_id and old.article_id in new.detail
    assert seen and set(seen) == {1}, f"a reader saw neither or both versions: {sorted(set(seen))}"

    for b in (bot, make_bot()):  # the writer, and a fresh process-like open of the store
        listed = b.articles()
        assert [a.article_id for a in listed] == [new.article_id]
        counts = b.store.count()
        assert counts == {"article_records": 1, "chunks": listed[0].chunks, "sentences": listed[0].sentences}
        assert _count(b.store.chunks, old.article_id) == 0 and _count(b.store.sentences, old.article_id) == 0
        ans = b.ask(SEED_QUESTION)
        assert ans.citations and not ans.abstained
        assert {c.article_id for c in ans.citations} == {new.article_id}
        assert not any("mutual friends" in c.quote for c in ans.citations)
        text = b.article(new.article_id).text
        assert all(text[c.start:c.end] == c.quote for c in ans.citations)
        hits = b.retrieve("recording studio in Chicago").passages
        assert hits and "recording studio in Chicago" in hits[0].text and hits[0].article.article_id == new.article_id
    with pytest.raises(Exception):
        bot.article(old.article_id)


# --- near-duplicates -------------------------------------------------------------------------------------------


def test_near_duplicate_is_refused_unless_forced(seeded_bot, tmp_path):
    original = seeded_bot.articles()[0]
    text = SEED.read_text("utf-8")
    edited = (text.replace("Longtime friends", "Old friends").replace("very public feud", "very loud feud")
              .replace("civil discourse", "polite discourse"))
    assert edited != text
    copy = tmp_path / "syndicated" / "legend-west.md"
    copy.parent.mkdir()
    copy.write_text(edited, "utf-8")
    before = seeded_bot.store.count()

    res = seeded_bot.add(copy)
    assert [r.status for r in res] == ["near-duplicate"]
    assert res[0].article_id == original.article_id
    assert original.article_id in res[0].detail and "force" in res[0].detail
    assert [a.article_id for a in seeded_bot.articles()] == [original.article_id]
    assert seeded_bot.store.count() == before

    forced = seeded_bot.add(copy, force=True)
    assert [r.status for r in forced] == ["added"]
    assert {a.source for a in seeded_bot.articles()} == {original.source, str(copy.resolve())}
    assert seeded_bot.store.count()["article_records"] == 2


# --- offsets ---------------------------------------------------------------------------------------------------


def test_every_chunk_and_sentence_is_its_offsets_into_the_article(bot, tmp_path):
    texts = news_texts(3)
    paths = write_news_folder(tmp_path / "news", texts)
    messy = tmp_path / "messy.txt"
    messy.write_text("Héllo\u00a0 world.\r\n\r\n\r\n  Mr. Smith met Dr. Jones… “Really?” she asked.\t Yes!\n"
                     + "no punctuation at all " * 60 + "\n" + PAIR_TEXT, "utf-8")
    results = bot.add(SEED, *paths, messy)
    assert all(r.status == "added" for r in results), results
    for a in bot.articles():
        _assert_offsets(bot, a.article_id)
    counts = bot.store.count()
    assert counts["chunks"] == sum(a.chunks for a in bot.articles())
    assert counts["sentences"] == sum(a.sentences for a in bot.articles())


# --- metadata --------------------------------------------------------------------------------------------------


def test_front_matter_round_trips_to_list_and_cli_json(bot, tmp_path):
    md = tmp_path / "pair.md"
    md.write_text(f"""---
title: "Vantree and Holloway, still close"
url: https://example.com/vantree-holloway
published: 2021-06-14
author: Jane Penrose
outlet: Celeb Daily
---
{PAIR_TEXT}
""", "utf-8")
    untitled = tmp_path / "untitled.txt"
    untitled.write_text("\n\n  Legend and West in the studio  \n\nThey recorded together for a decade.\n", "utf-8")
    res = bot.add(md, untitled)
    assert [r.status for r in res] == ["added", "added"]

    by_source = {a.source: a for a in bot.articles()}
    a = by_source[str(md.resolve())]
    assert (a.title, a.url, a.published, a.author, a.outlet) == (
        "Vantree and Holloway, still close", "https://example.com/vantree-holloway", dt.date(2021, 6, 14),
        "Jane Penrose", "Celeb Daily")
    assert a.to_dict()["published"] == "2021-06-14"
    assert "---" not in bot.article(a.article_id).text and "outlet:" not in bot.article(a.article_id).text
    u = by_source[str(untitled.resolve())]
    assert u.title == "Legend and West in the studio"
    assert u.published is None and u.url is None

    # a fresh process sees the same, through the CLI
    del bot
    proc = run_cli(tmp_path / "store", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert set(row) == {"article_id", "title", "source", "url", "published", "chunks"}
    row = next(r for r in rows if r["source"] == str(md.resolve()))
    assert row["title"] == "Vantree and Holloway, still close"
    assert row["url"] == "https://example.com/vantree-holloway"
    assert row["published"] == "2021-06-14"
    assert row["chunks"] == a.chunks >= 1 and len(row["article_id"]) == 16
    row = next(r for r in rows if r["source"] == str(untitled.resolve()))
    assert row["published"] is None and row["title"] == "Legend and West in the studio"


# --- HTML, PDF, URL --------------------------------------------------------------------------------------------


def test_html_file_keeps_the_article_and_drops_the_boilerplate(bot, tmp_path):
    page = tmp_path / "pair.html"
    page.write_text(article_html(PAIR_TITLE, PAIR_PARAGRAPHS), "utf-8")
    res = bot.add(page)
    assert [r.status for r in res] == ["added"], res
    rec = bot.article(res[0].article_id)
    assert rec.title == PAIR_TITLE
    assert rec.author == "Jane Penrose" and rec.outlet == "Celeb Daily"
    assert rec.published == dt.date(2021, 6, 14)
    for p in PAIR_PARAGRAPHS:
        assert p in rec.text
    for junk in (NAV_TEXT, FOOTER_TEXT, "Trending now", "<p>", "Ten stars who quit"):
        assert junk not in rec.text
    ans = bot.ask(PAIR_QUESTION)
    assert any(PAIR_ANSWER in c.quote for c in ans.citations)


def test_pdf_is_added_and_answerable(bot, tmp_path):
    pdf = tmp_path / "pair.pdf"
    pdf.write_bytes(make_pdf([PAIR_TITLE, "", *PAIR_PARAGRAPHS], title="Vantree and Holloway (PDF)",
                             author="Jane Penrose"))
    res = bot.add(pdf)
    assert [r.status for r in res] == ["added"], res
    rec = bot.article(res[0].article_id)
    assert rec.title == "Vantree and Holloway (PDF)" and rec.author == "Jane Penrose"
    assert PAIR_ANSWER in rec.text
    _assert_offsets(bot, rec.article_id)
    ans = bot.ask(PAIR_QUESTION)
    assert not ans.abstained
    assert any(PAIR_ANSWER in c.quote and c.article_id == rec.article_id for c in ans.citations)
    for c in ans.citations:
        assert rec.text[c.start:c.end] == c.quote


def test_url_is_fetched_parsed_and_answerable(make_bot):
    bot = make_bot(url_allow=["127.0.0.1/32"])  # the test server is on loopback: allowed by CIDR
    page = article_html(PAIR_TITLE, PAIR_PARAGRAPHS).encode("utf-8")
    with LocalServer({"/news/pair": respond(200, page), "/old/pair": respond(301, b"",
                                                                             headers={"Location": "/news/pair"})}) as srv:
        url = srv.url("/news/pair")
        res = bot.add(url)
        assert [r.status for r in res] == ["added"], res
        again = bot.add(url)
        assert [r.status for r in again] == ["unchanged"]
        moved = bot.add(srv.url("/old/pair"))  # a redirect to the same page: followed, same text
        assert [r.status for r in moved] == ["duplicate"] and moved[0].article_id == res[0].article_id
    rec = bot.article(res[0].article_id)
    assert rec.url == url and rec.source == url
    assert rec.title == PAIR_TITLE and rec.published == dt.date(2021, 6, 14)
    assert NAV_TEXT not in rec.text and FOOTER_TEXT not in rec.text
    ans = bot.ask(PAIR_QUESTION)
    assert any(PAIR_ANSWER in c.quote for c in ans.citations)
    assert all(c.url == url for c in ans.citations)


# --- folders and the CLI ---------------------------------------------------------------------------------------


def _folder(root: Path) -> list[Path]:
    """A nested folder: supported files at several depths, plus files that must be ignored."""
    (root / "a" / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    texts = news_texts(3)
    good = [root / "one.txt", root / "a" / "two.MD", root / "a" / "b" / "three.txt"]
    for p, t in zip(good, texts):
        p.write_text(t, "utf-8")
    page = root / "a" / "b" / "pair.htm"
    page.write_text(article_html(PAIR_TITLE, PAIR_PARAGRAPHS), "utf-8")
    good.append(page)
    (root / "notes.docx").write_bytes(b"PK\x03\x04 not really a docx")
    (root / "a" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "a" / "data.csv").write_text("a,b\n1,2\n")
    (root / ".hidden" / "secret.txt").write_text("a hidden file that must not be indexed")
    return good


def test_folder_is_added_recursively_with_supported_files_only(bot, tmp_path):
    good = _folder(tmp_path / "docs")
    calls: list[tuple[str, int, int]] = []
    res = bot.add(tmp_path / "docs", progress=lambda what, done, total: calls.append((what, done, total)))
    assert sorted(r.input for r in res) == sorted(map(str, good))
    assert all(r.status == "added" for r in res)
    assert sorted(_sources(bot)) == sorted(str(p.resolve()) for p in good)
    reads = [c for c in calls if c[0] == "read"]
    assert reads[-1] == ("read", len(good), len(good))


def test_progress_is_reported_while_adding(bot, tmp_path):
    paths = write_news_folder(tmp_path / "news", news_texts(40))  # > 512 sentences: several groups
    calls: list[tuple[str, int, int]] = []
    res = bot.add(*paths, progress=lambda what, done, total: calls.append((what, done, total)))
    assert all(r.status == "added" for r in res), [r for r in res if r.status != "added"]
    sentences = sum(a.sentences for a in bot.articles())
    assert sentences > 512
    for what in ("read", "embed", "write"):
        mine = [c for c in calls if c[0] == what]
        assert mine, f"no {what!r} progress"
        done = [c[1] for c in mine]
        assert done == sorted(done), f"{what} progress went backwards: {done}"
        assert all(0 < d <= t for _, d, t in mine)
    assert [c for c in calls if c[0] == "read"][-1] == ("read", 40, 40)
    assert [c for c in calls if c[0] == "embed"][-1] == ("embed", sentences, sentences)
    assert [c for c in calls if c[0] == "write"][-1] == ("write", 40, 40)
    # reading happens before embedding, embedding before the last write
    kinds = [c[0] for c in calls]
    assert kinds.index("embed") > max(i for i, k in enumerate(kinds) if k == "read")
    assert max(i for i, k in enumerate(kinds) if k == "write") == len(kinds) - 1


def test_cli_add_folder_prints_one_line_per_input_and_exit_status(tmp_path):
    good = _folder(tmp_path / "docs")
    store = tmp_path / "cli-store"

    bad_dir = tmp_path / "mixed"
    shutil.copytree(tmp_path / "docs", bad_dir)
    (bad_dir / "a" / "empty.txt").write_text("   \n\n  ", "utf-8")
    proc = run_cli(store, "add", str(bad_dir))
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(good) + 1, proc.stdout
    err_lines = [l for l in lines if l.startswith("error")]
    assert len(err_lines) == 1 and "empty.txt" in err_lines[0] and "no text" in err_lines[0]
    assert sum(l.startswith("added") for l in lines) == len(good)

    # the good ones were kept; the first folder is the same texts (duplicates), and a new file is added
    (tmp_path / "docs" / "a" / "four.txt").write_text(news_texts(4)[3], "utf-8")
    proc = run_cli(store, "add", str(tmp_path / "docs"))
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(good) + 1, proc.stdout
    assert sum(l.startswith("duplicate") for l in lines) == len(good)
    assert sum(l.startswith("added") and "four.txt" in l for l in lines) == 1

    proc = run_cli(store, "list", "--json")
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)) == len(good) + 1


def test_pdf_lines_wrapped_mid_sentence_are_quoted_as_whole_sentences(bot, tmp_path):
    from tests.helpers.ingest_support import make_pdf

    path = tmp_path / "wrapped.pdf"
    path.write_bytes(make_pdf(["Pop stars Nell Arden and Bo Castell met at a", "songwriting camp in Oslo.",
                               "They have toured to-", "gether ever since."]))
    [result] = bot.add(str(path))
    assert result.status == "added", result.detail
    text = bot.article(result.article_id).text
    assert "met at a songwriting camp in Oslo." in text and "toured together ever since." in text
    answer = bot.ask("How did Nell Arden and Bo Castell meet?")
    assert any(c.quote.startswith("Pop stars Nell Arden") and c.quote.endswith("Oslo.") for c in answer.citations)


def test_utf16_text_file_is_read(bot, tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes("Singer Lio Marsh and drummer Ada Penn are old friends from school.".encode("utf-16"))
    [result] = bot.add(str(path))
    assert result.status == "added", result.detail
    assert bot.article(result.article_id).text.startswith("Singer Lio Marsh")


def test_html_page_with_almost_no_text_is_refused(bot, tmp_path):
    path = tmp_path / "app.html"
    path.write_text("<html><head><title>App</title></head><body><nav><a href='/'>Home</a></nav>"
                    "<main><p>Loading the latest celebrity stories for you now.</p></main><script>render()</script>"
                    "</body></html>")
    [result] = bot.add(str(path))
    assert result.status == "error"
    assert "word(s) of article text" in result.detail
    assert bot.articles() == []
