"""One input never sinks the batch: whatever goes wrong while reading or indexing one file (an unexpected parser
exception included) becomes that file's `error` row, with the reason and the exception type, its traceback goes
to the debug log, and every other input of the batch is added and answerable."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from pypdf import PdfReader, PdfWriter

from tests.helpers.ingest_support import (PAIR_ANSWER, PAIR_PARAGRAPHS, PAIR_QUESTION, PAIR_TEXT, PAIR_TITLE,
                                          article_html, assert_no_traceback, make_pdf, run_cli)

MD_TEXT = """---
title: Ola Brenn and Ivo Tallis, friends since a thriller
published: 2021-03-02
---
Actors Ola Brenn and Ivo Tallis became friends on the set of a 2019 thriller shot in Gdansk.
Brenn said Tallis taught her to sail during the long breaks between night scenes.
"""
TXT_TEXT = PAIR_TEXT


def _folder(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a_good.md").write_text(MD_TEXT, "utf-8")
    (folder / "b_page.html").write_text(article_html("Nell Ashby and Rory Vance", [
        "Singer Nell Ashby and drummer Rory Vance have toured together for six years and remain close friends.",
        "Ashby said Vance is the steadiest musician she has ever shared a stage with, night after night.",
        "The pair met at a folk festival in Cork in 2016 and formed a band within a month of that first meeting.",
    ]), "utf-8")
    (folder / "c_good.txt").write_text(TXT_TEXT, "utf-8")
    return folder


def _by_name(results):
    return {r.input.rsplit("/", 1)[-1]: r for r in results}


def _check_good_ones_added(bot, results):
    rows = _by_name(results)
    assert rows["a_good.md"].status == "added" and rows["c_good.txt"].status == "added", results
    assert sorted(a.source.rsplit("/", 1)[-1] for a in bot.articles()) == ["a_good.md", "c_good.txt"]
    assert any(PAIR_ANSWER in c.quote for c in bot.ask(PAIR_QUESTION).citations)
    answer = bot.ask("How did Ola Brenn and Ivo Tallis become friends?")
    assert not answer.abstained and any("set of a 2019 thriller" in c.quote for c in answer.citations)


def test_a_parser_that_cannot_even_be_imported_fails_only_its_file(bot, tmp_path, monkeypatch, caplog):
    """What a missing lxml_html_clean did on a fresh install: the HTML parser's import raised an ImportError out of
    `bot.add(folder)` and nothing in the folder was added. Forced here by making `import trafilatura` fail."""
    folder = _folder(tmp_path)
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # `import trafilatura` now raises ImportError
    with caplog.at_level(logging.DEBUG, logger="askcelebs"):
        results = bot.add(folder)
    assert len(results) == 3
    bad = _by_name(results)["b_page.html"]
    assert bad.status == "error" and bad.article_id is None
    assert "ModuleNotFoundError" in bad.detail and "trafilatura" in bad.detail, bad.detail
    assert "b_page.html" in str(bad) and "ModuleNotFoundError" in str(bad)
    _check_good_ones_added(bot, results)
    # the traceback is in the debug log, naming the file
    logged = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info and "b_page.html" in r.getMessage()]
    assert logged and issubclass(logged[0].exc_info[0], ImportError)


def test_an_unexpected_exception_from_the_parser_fails_only_its_file(bot, tmp_path, monkeypatch):
    """A parser raising something nobody anticipated (a fake: trafilatura raising for this one page)."""
    import trafilatura

    from askcelebs import articles

    folder = _folder(tmp_path)
    real = articles.parse_html

    def parse_html(html, source):
        if source.endswith("b_page.html"):
            raise RecursionError("maximum recursion depth exceeded while walking the DOM")
        return real(html, source)

    monkeypatch.setattr(articles, "parse_html", parse_html)
    results = bot.add(folder)
    bad = _by_name(results)["b_page.html"]
    assert bad.status == "error"
    assert "RecursionError" in bad.detail and "maximum recursion depth" in bad.detail, bad.detail
    _check_good_ones_added(bot, results)

    # the same page parses when the parser behaves: the failure was that file's alone, and nothing half-added
    monkeypatch.setattr(articles, "parse_html", real)
    again = bot.add(folder)
    rows = _by_name(again)
    assert rows["b_page.html"].status == "added"
    assert rows["a_good.md"].status == rows["c_good.txt"].status == "unchanged"
    assert trafilatura  # the real parser is importable in this environment (see test_imports)


def _encrypted_pdf(password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([PAIR_TITLE, "", *PAIR_PARAGRAPHS], title="Encrypted")))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert b"/AESV3" in data and PdfReader(io.BytesIO(data)).is_encrypted
    return data


def test_real_bad_files_in_a_batch_are_reported_and_the_good_ones_added(bot, tmp_path):
    """Real failures, no fakes: a password-protected AES-256 PDF and front matter with an impossible date
    (`published: 2024-13-45`, which YAML itself rejects with a ValueError) beside good files."""
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "a_good.md").write_text(MD_TEXT, "utf-8")
    (folder / "b_locked.pdf").write_bytes(_encrypted_pdf("reader-secret"))
    (folder / "c_bad_date.md").write_text("---\ntitle: A bad date\npublished: 2024-13-45\n---\n"
                                          "Actors Mae Dorn and Cal Rix met at drama school.\n", "utf-8")
    (folder / "d_good.txt").write_text(TXT_TEXT, "utf-8")
    results = bot.add(folder)
    rows = _by_name(results)
    assert len(rows) == 4
    assert rows["b_locked.pdf"].status == "error" and "password-protected" in rows["b_locked.pdf"].detail
    date = rows["c_bad_date.md"]
    assert date.status == "error", date
    assert "2024-13-45" in date.detail or "month must be in 1..12" in date.detail, date.detail
    assert rows["a_good.md"].status == rows["d_good.txt"].status == "added", results
    assert len(bot.articles()) == 2
    assert any(PAIR_ANSWER in c.quote for c in bot.ask(PAIR_QUESTION).citations)


def test_an_aes_pdf_that_opens_without_a_password_is_read(bot, tmp_path):
    """Many PDFs are AES-encrypted with an empty user password (permissions only): those are read (pypdf[crypto])."""
    pdf = tmp_path / "open.pdf"
    pdf.write_bytes(_encrypted_pdf(""))
    res = bot.add(pdf)
    assert [r.status for r in res] == ["added"], res
    assert PAIR_ANSWER in bot.article(res[0].article_id).text


def test_cli_reports_the_failed_file_in_one_line_and_adds_the_rest(tmp_path):
    folder = tmp_path / "cli"
    folder.mkdir()
    (folder / "a_good.md").write_text(MD_TEXT, "utf-8")
    (folder / "c_bad_date.md").write_text("---\npublished: 2024-13-45\n---\nMae Dorn and Cal Rix met at school.\n")
    (folder / "d_good.txt").write_text(TXT_TEXT, "utf-8")
    proc = run_cli(tmp_path / "store", "add", str(folder))
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert sum(l.startswith("added") for l in lines) == 2, proc.stdout
    errors = [l for l in lines if l.startswith("error")]
    assert len(errors) == 1 and "c_bad_date.md" in errors[0], proc.stdout


def test_a_failure_while_writing_one_article_fails_only_that_article(bot, tmp_path, monkeypatch):
    """The write is batched (one embedding pass and one write for a group of articles); a write that fails for one
    article (a fake: the store raising for that article only) is retried article by article."""
    folder = _folder(tmp_path)
    (folder / "b_page.html").unlink()
    (folder / "e_poison.txt").write_text("Poison pill\n\nThe singers Lia Moss and Ren Tal met at a party in Leeds.")
    real = bot.store.write_articles

    def write_articles(items):
        if any("Lia Moss" in item.article.text for item in items):
            raise ValueError("metadata value of an unsupported type")
        return real(items)

    monkeypatch.setattr(bot.store, "write_articles", write_articles)
    calls = []
    results = bot.add(folder, progress=lambda *c: calls.append(c))
    rows = _by_name(results)
    assert rows["e_poison.txt"].status == "error"
    assert "ValueError" in rows["e_poison.txt"].detail and "indexing" in rows["e_poison.txt"].detail
    _check_good_ones_added(bot, results)
    assert all(not a.title.startswith("Poison") for a in bot.articles())
    monkeypatch.setattr(bot.store, "write_articles", real)
    assert [r.status for r in bot.add(folder / "e_poison.txt")] == ["added"], "nothing of it was left behind"
