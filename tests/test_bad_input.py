"""Bad input: every unusable file, URL or text gets one clear error naming the input and the reason, and nothing
already indexed is touched (the seed stays listed with the same chunks and still answers)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import SEED
from tests.helpers.ingest_support import (PAIR_PARAGRAPHS, PAIR_TITLE, LocalServer, article_html,
                                          assert_no_traceback, respond, run_cli)

SEED_QUESTION = "How did John Legend and Kanye West meet?"


class Baseline:
    """What the seeded store looks like before the bad input; `check` proves it is untouched after."""

    def __init__(self, bot):
        self.bot = bot
        self.articles = [(a.article_id, a.title, a.source, a.chunks, a.sentences) for a in bot.articles()]
        self.counts = bot.store.count()
        self.token = bot.store.change_token()
        assert len(self.articles) == 1

    def check(self, bot=None) -> None:
        bot = bot or self.bot
        assert [(a.article_id, a.title, a.source, a.chunks, a.sentences) for a in bot.articles()] == self.articles
        assert bot.store.count() == self.counts
        assert bot.store.change_token() == self.token, "the store was written to"
        ans = bot.ask(SEED_QUESTION)
        assert not ans.abstained and ans.citations
        text = bot.article(self.articles[0][0]).text
        assert all(text[c.start:c.end] == c.quote for c in ans.citations)
        assert any("mutual friends" in c.quote for c in ans.citations)


@pytest.fixture
def guarded(seeded_bot):
    return seeded_bot, Baseline(seeded_bot)


@pytest.fixture
def intranet(make_bot):
    """The seeded store, allowed to fetch from the test server on 127.0.0.1: the intranet setting."""
    return _seed_store(make_bot, url_allow_private=True)


def _seed_store(make_bot, name: str = "store", **settings):
    """A store holding the seed article, built with these settings, and its baseline."""
    bot = make_bot(name, **settings)
    assert [r.status for r in bot.add(SEED)] == ["added"]
    return bot, Baseline(bot)


def _loop(h) -> None:
    h.send_response(302)
    h.send_header("Location", h.path)
    h.send_header("Content-Length", "0")
    h.end_headers()


def _trickle(h) -> None:
    """Headers at once, then a few bytes every 0.3 s for ~30 s: each read is quick, the whole is not."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.end_headers()
    h.wfile.write(b"<html><body><article>")
    for _ in range(100):
        h.wfile.write(b"<p>Marisol Vantree waved.</p>\n")
        h.wfile.flush()
        time.sleep(0.3)


BIG_HTML = article_html(PAIR_TITLE, PAIR_PARAGRAPHS * 4000).encode()  # ~2 MB


def _chunked(h) -> None:
    """No Content-Length: the size cap must hold while streaming."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for i in range(0, len(BIG_HTML), 65536):
        piece = BIG_HTML[i:i + 65536]
        h.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
    h.wfile.write(b"0\r\n\r\n")


@pytest.fixture(scope="module")
def server():
    routes = {
        "/missing": respond(404, b"<html><body>gone</body></html>"),
        "/loop": _loop,
        "/photo": respond(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ctype="image/png"),
        "/slow": respond(200, article_html(PAIR_TITLE, PAIR_PARAGRAPHS).encode(), delay=8),
        "/drip": _trickle,
        "/big": respond(200, BIG_HTML),
        "/big-chunked": _chunked,
        "/empty-page": respond(200, b"<html><head><title>Nothing</title></head><body><div></div></body></html>"),
    }
    with LocalServer(routes) as srv:
        yield srv


# --- files -------------------------------------------------------------------------------------------------------


def _write(name: str, data: bytes | str) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return str(p)

    return make


def _sparse(name: str, mb: int) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        p = tmp / name
        with open(p, "wb") as f:
            f.write(b"Legend and West are friends.\n")
            f.truncate(mb * 2**20)  # sparse: instant, takes no disk
        return str(p)

    return make


def _folder_without_articles(tmp: Path) -> str:
    d = tmp / "no-articles"
    (d / "sub").mkdir(parents=True)
    (d / "report.docx").write_bytes(b"PK\x03\x04")
    (d / "sub" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (d / ".hidden.txt").write_text("hidden files do not count")
    return str(d)


FILE_CASES = [
    pytest.param(_write("empty.txt", b""), "has no text", id="empty-file"),
    pytest.param(_write("blank.md", " \n\t\n\u00a0 \r\n  "), "has no text", id="whitespace-only"),
    pytest.param(_write("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4), "binary",
                 id="binary-with-txt-suffix"),
    pytest.param(_write("friends.docx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64),
                 "unsupported file type '.docx'", id="unsupported-extension"),
    pytest.param(_write("latin1.txt", "Beyoncé and Solange at the café, naïve friends.".encode("latin-1")),
                 "is not UTF-8", id="latin-1-text"),
    pytest.param(_sparse("huge.txt", 50), "over the 20 MB limit", id="50-MB-file"),
    pytest.param(_write("broken.html", "<html><body><div><span></span></div><p></p></body></html>"),
                 "no article text", id="html-without-text"),
    pytest.param(_write("garbage.html", "<<<>>><<!-- ]]>&&&;</x"), "no article text", id="malformed-html"),
    pytest.param(_write("broken.pdf", b"%PDF-1.4\n" + os.urandom(2000)), "malformed PDF", id="malformed-pdf"),
    pytest.param(_write("fake.pdf", "This is plain text with a .pdf name."), "not a PDF", id="non-pdf-with-pdf-suffix"),
    pytest.param(_write("bad-yaml.md", "---\ntitle: [unclosed\n---\nLegend and West are friends.\n"),
                 "front matter is not valid YAML", id="invalid-front-matter"),
    pytest.param(_write("bad-date.md", "---\npublished: last Tuesday\n---\nLegend and West are friends.\n"),
                 "not a date like 2024-05-31", id="unparseable-published-date"),
    pytest.param(_folder_without_articles, "folder has no supported files", id="folder-without-articles"),
    pytest.param(lambda tmp: str(tmp / "nowhere" / "article.txt"), "no such file or folder", id="nonexistent-path"),
]


@pytest.mark.parametrize("make, reason", FILE_CASES)
def test_bad_file_is_refused_with_a_clear_error(guarded, tmp_path, make, reason):
    bot, baseline = guarded
    value = make(tmp_path)
    t0 = time.monotonic()
    results = bot.add(value)
    assert time.monotonic() - t0 < 10
    assert len(results) == 1
    r = results[0]
    assert (r.input, r.status, r.ok, r.article_id) == (value, "error", False, None)
    assert reason in r.detail
    line = str(r)
    assert value in line and reason in line and "\n" not in line
    baseline.check()


URL_CASES = [
    pytest.param("/missing", "returned HTTP 404 Not Found", id="404"),
    pytest.param("/loop", "redirect loop", id="redirect-loop"),
    pytest.param("/photo", "returned image/png, not an HTML page", id="image-content-type"),
    pytest.param("/empty-page", "no article text", id="page-without-text"),
]


@pytest.mark.parametrize("path, reason", URL_CASES)
def test_bad_url_is_refused_with_a_clear_error(intranet, server, path, reason):
    bot, baseline = intranet
    url = server.url(path)
    r, = bot.add(url)
    assert (r.input, r.status) == (url, "error")
    assert reason in r.detail
    assert url in str(r)
    baseline.check()


@pytest.mark.parametrize("url", ["ftp://example.com/article.html", "file:///etc/passwd", "javascript:alert(1)"])
def test_non_http_urls_are_refused_without_being_read(guarded, url):
    bot, baseline = guarded
    r, = bot.add(url)
    assert (r.input, r.status) == (url, "error")
    assert "only http and https URLs are supported" in r.detail
    assert "root:" not in str(r)
    assert not any("passwd" in a.source for a in bot.articles())
    baseline.check()


def test_unreachable_url_is_an_error(intranet):
    bot, baseline = intranet
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/article"
    r, = bot.add(url)
    assert r.status == "error" and "could not be fetched" in r.detail and url in str(r)
    baseline.check()


@pytest.mark.parametrize("path", ["/slow", "/drip"], ids=["server-sleeps", "server-drips-slowly"])
def test_url_timeout_is_a_setting_and_is_enforced(make_bot, server, path):
    bot, baseline = _seed_store(make_bot, url_timeout=1, url_allow_private=True)
    url = server.url(path)
    t0 = time.monotonic()
    r, = bot.add(url)
    elapsed = time.monotonic() - t0
    assert (r.input, r.status) == (url, "error")
    assert "timed out after 1 s" in r.detail
    assert elapsed < 4, f"took {elapsed:.1f} s with url_timeout=1"
    baseline.check()


@pytest.mark.parametrize("path", ["/big", "/big-chunked"], ids=["content-length", "chunked"])
def test_download_size_cap_is_the_max_file_mb_setting(make_bot, server, path):
    bot, baseline = _seed_store(make_bot, max_file_mb=1, url_allow_private=True)
    url = server.url(path)
    r, = bot.add(url)
    assert r.status == "error" and "over the 1 MB limit" in r.detail
    baseline.check()


def test_file_size_cap_is_the_max_file_mb_setting(make_bot, tmp_path):
    """The same 1.5 MB file (a short article padded with spaces) is refused at 1 MB and accepted at the default."""
    padded = tmp_path / "padded.txt"
    padded.write_text("Marisol Vantree and Dex Holloway met in 2009 on the set of a road movie." + " " * (3 * 2**19),
                      "utf-8")
    assert 1.4 * 2**20 < padded.stat().st_size < 1.6 * 2**20

    small, baseline = _seed_store(make_bot, "small-cap", max_file_mb=1)
    r, = small.add(padded)
    assert r.status == "error" and "1.5 MB, over the 1 MB limit" in r.detail and str(padded) in str(r)
    baseline.check()

    default = make_bot("default-cap")
    assert default.settings.max_file_mb == 20
    r, = default.add(padded)
    assert r.status == "added"


# --- pasted text -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, title, reason", [
    ("Marisol Vantree and Dex Holloway are friends.", "", "needs a title"),
    ("Marisol Vantree and Dex Holloway are friends.", "   ", "needs a title"),
    ("", "Vantree and Holloway", "has no text"),
    (" \n\t ", "Vantree and Holloway", "has no text"),
], ids=["no-title", "blank-title", "empty-text", "whitespace-text"])
def test_bad_pasted_text_is_refused(guarded, text, title, reason):
    bot, baseline = guarded
    r = bot.add_text(text, title)
    assert r.status == "error" and not r.ok
    assert reason in r.detail
    assert "pasted text" in r.input
    assert "pasted text" in str(r) and reason in str(r)
    baseline.check()


def test_good_input_beside_bad_input_is_still_added(guarded, tmp_path):
    bot, _ = guarded
    good = tmp_path / "pair.txt"
    good.write_text(PAIR_TITLE + "\n\n" + "\n\n".join(PAIR_PARAGRAPHS), "utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    results = bot.add(empty, good, tmp_path / "missing.txt")
    assert [r.status for r in results] == ["error", "added", "error"]
    assert {a.title for a in bot.articles()} == {PAIR_TITLE, "Are John Legend And Kanye West Still Friends?"}


# --- the CLI -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, reason", [
    pytest.param(_write("empty.txt", b""), "has no text", id="empty-file"),
    pytest.param(_write("friends.docx", b"PK\x03\x04"), "unsupported file type '.docx'", id="docx"),
    pytest.param(lambda tmp: "file:///etc/passwd", "only http and https URLs are supported", id="file-url"),
])
def test_cli_reports_a_bad_input_in_one_line(make_bot, tmp_path, make, reason):
    bot, baseline = _seed_store(make_bot)
    value = make(tmp_path)
    proc = run_cli(tmp_path / "store", "add", value)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert lines[0].startswith("error") and value in lines[0] and reason in lines[0]
    baseline.check()


def test_cli_reports_many_bad_inputs_one_line_each(make_bot, tmp_path, server, monkeypatch):
    monkeypatch.setenv("ASKCELEBS_URL_ALLOW_PRIVATE", "true")  # the test server is on 127.0.0.1
    bot, baseline = _seed_store(make_bot)
    values = [
        _write("broken.pdf", b"%PDF-1.4\n" + b"garbage " * 50)(tmp_path),
        _write("fake.pdf", "plain text")(tmp_path),
        _write("broken.html", "<html><body><div></div></body></html>")(tmp_path),
        _write("binary.txt", b"\x00\x01\x02\x03" * 100)(tmp_path),
        _write("latin1.txt", "café".encode("latin-1"))(tmp_path),
        _sparse("huge.txt", 50)(tmp_path),
        _folder_without_articles(tmp_path),
        str(tmp_path / "does-not-exist.md"),
        server.url("/missing"),
        "ftp://example.com/x.html",
    ]
    proc = run_cli(tmp_path / "store", "add", *values)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "", f"library warnings leaked: {proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(values), proc.stdout
    for value in values:
        mine = [l for l in lines if value in l]
        assert len(mine) == 1 and mine[0].startswith("error"), (value, proc.stdout)
    baseline.check()


@pytest.mark.parametrize("args, reason", [
    (["ask", "   "], "question: is empty"),
    (["remove", "0000000000000000"], "no article with that id or source"),
    (["add", "--title", "One title", "{docs}"], "apply to one input"),
], ids=["empty-question", "remove-unknown", "title-for-a-folder"])
def test_cli_errors_are_one_line_without_traceback(make_bot, tmp_path, args, reason):
    bot, baseline = _seed_store(make_bot)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Legend and West met in a studio.")
    (docs / "b.txt").write_text("West and Legend made an album.")
    proc = run_cli(tmp_path / "store", *[a.format(docs=docs) for a in args])
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout.strip() == ""
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and reason in err[0], proc.stderr
    baseline.check()
