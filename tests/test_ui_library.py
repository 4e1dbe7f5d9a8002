"""The library in the web app (issues 14 and 10): one results list, upload with title and date, editing an
article's details, uploads that never overwrite each other, and a login that cannot be guessed at speed."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.test_ui import FICTIONAL
from tests.ui_helpers import browser  # noqa: F401 (a fixture: headless Chromium per module)
from tests.ui_helpers import (TIMEOUT_MS, Watch, ask, card_titles, free_port, library_item,
                              open_app, screenshot, tab, upload, wait_results)


@pytest.fixture
def served(make_bot):
    from askcelebs.ui import serve

    bot = make_bot()
    assert [r.status for r in bot.add(str(SEED))] == ["added"]
    demo = serve(bot, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield bot, demo.local_url
    finally:
        demo.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.watch = Watch().attach(pg)
    open_app(pg, served[1])
    yield pg
    context.close()


def test_uploads_whose_names_clean_to_the_same_name_are_both_kept(make_bot, tmp_path):
    from askcelebs.ui import _Handlers

    bot = make_bot()
    incoming = tmp_path / "gradio-tmp"
    incoming.mkdir()
    a = incoming / "a?b.md"
    a.write_text("Wren Halloway and Oskar Lindqvist met on a film set in 2016.", encoding="utf-8")
    b = incoming / "a*b.md"
    b.write_text("Nova Quill and Basil Crane met at a poetry festival in Lisbon.", encoding="utf-8")
    h = _Handlers(bot)
    out1 = h.ingest_files([str(a)], progress=lambda *x, **k: None)[0]
    out2 = h.ingest_files([str(b)], progress=lambda *x, **k: None)[0]
    assert "ac-res-added" in out1 and "ac-res-added" in out2 and "replaced" not in out2
    kept = sorted((Path(bot.settings.store) / "uploads").iterdir())
    assert len(kept) == 2
    assert {p.read_text(encoding="utf-8")[:4] for p in kept} == {"Wren", "Nova"}
    assert len(bot.articles()) == 2
    # the same name again is the same file: a changed version replaces the old article
    again = incoming / "a?b.md"
    again.write_text("Wren Halloway and Oskar Lindqvist met on a film set in 2016 and stayed friends.", encoding="utf-8")
    assert "ac-res-replaced" in h.ingest_files([str(again)], progress=lambda *x, **k: None)[0]
    assert len(list((Path(bot.settings.store) / "uploads").iterdir())) == 2 and len(bot.articles()) == 2


def test_update_metadata_changes_what_answers_show(make_bot):
    from askcelebs.errors import InputError

    bot = make_bot()
    bot.add(str(SEED))
    aid = bot.articles()[0].article_id
    before = bot.article(aid).text
    rec = bot.update_metadata(aid, title="Legend and West: still friends", published="2019-05-01", outlet="Vogue")
    assert (rec.title, rec.published.isoformat(), rec.outlet) == ("Legend and West: still friends", "2019-05-01", "Vogue")
    assert bot.article(aid).text == before
    cite = bot.ask("How did John Legend and Kanye West meet?").citations[0]
    assert (cite.title, cite.published.isoformat()) == ("Legend and West: still friends", "2019-05-01")
    reopened = make_bot()  # another process sees the change
    assert reopened.article(aid).title == "Legend and West: still friends"
    for bad in (dict(published="2024-13-45"), dict(title=""), dict(url="javascript:alert(1)")):
        with pytest.raises(InputError):
            bot.update_metadata(aid, **bad)
    assert bot.article(aid).title == "Legend and West: still friends"


@pytest.mark.browser
def test_upload_with_title_and_date_then_edit_details(page, served, tmp_path):
    bot, _ = served
    doc = tmp_path / "notes.txt"
    doc.write_text(FICTIONAL.split("---", 2)[2].strip(), encoding="utf-8")  # no front matter
    tab(page, "Library")
    page.fill("#ac-upload-title input, #ac-upload-title textarea", "Halloway and Lindqvist on set")
    page.fill("#ac-upload-published input, #ac-upload-published textarea", "2021-06-14")
    upload(page, doc)
    res = wait_results(page)
    assert "ac-res-added" in res.first.get_attribute("class")
    page.wait_for_timeout(500)
    assert "Error" not in page.locator("#ac-upload").inner_text()
    rec = next(a for a in bot.articles() if a.title == "Halloway and Lindqvist on set")
    assert rec.published.isoformat() == "2021-06-14"
    item = library_item(page, "Halloway and Lindqvist on set")
    item.wait_for()
    assert "14 Jun 2021" in item.inner_text() and "notes" not in item.locator(".ac-lib-meta").inner_text()

    # edit the details
    item.get_by_role("button", name="Edit").click()
    page.locator("#ac-edit-title input, #ac-edit-title textarea").first.wait_for(state="visible")
    page.fill("#ac-edit-title input, #ac-edit-title textarea", "Wren Halloway and Oskar Lindqvist, friends")
    page.fill("#ac-edit-published input, #ac-edit-published textarea", "2021-07-01")
    page.fill("#ac-edit-outlet input, #ac-edit-outlet textarea", "The Daily Marquee")
    page.click("#ac-edit-save")
    page.locator("#ac-lib-notice", has_text="Saved").wait_for()
    item = library_item(page, "Wren Halloway and Oskar Lindqvist, friends")
    item.wait_for()
    assert "The Daily Marquee" in item.inner_text() and "1 Jul 2021" in item.inner_text()
    screenshot(page, "ui-library-edited.png")
    tab(page, "Ask")
    answer = ask(page, "How did Wren Halloway and Oskar Lindqvist meet?")
    assert "Wren Halloway and Oskar Lindqvist, friends" in card_titles(answer)
    assert "The Daily Marquee" in answer.inner_text()


@pytest.mark.browser
def test_one_results_list_cleared_between_attempts(page, served, tmp_path):
    tab(page, "Library")
    good = tmp_path / "good.md"
    good.write_text(FICTIONAL, encoding="utf-8")
    bad = tmp_path / "empty.md"
    bad.write_text("   \n", encoding="utf-8")
    upload(page, good, bad)
    wait_results(page)
    page.locator("#ac-add-results .ac-res").nth(1).wait_for()
    rows = page.locator("#ac-add-results .ac-res")
    assert rows.count() == 2
    assert page.locator("#ac-add-results .ac-res-added").count() == 1
    assert "has no text" in page.locator("#ac-add-results .ac-res-error").inner_text()
    page.wait_for_timeout(500)
    assert "Error" not in page.locator("#ac-upload").inner_text()
    assert not page.locator(".toast-body, .toast-wrap .error").count()
    # the next attempt (a URL) replaces the list; it is in view
    page.get_by_role("tab", name="From a URL").click()
    page.fill("#ac-url textarea, #ac-url input", "not a url")
    page.click("#ac-add-url")
    page.locator("#ac-add-results .ac-res-error", has_text="only http:// and https://").wait_for()
    assert page.locator("#ac-add-results .ac-res").count() == 1
    from playwright.sync_api import expect

    expect(page.locator("#ac-add-results .ac-res").first).to_be_in_viewport()


def _login(url: str, user: str, password: str) -> int:
    data = urllib.parse.urlencode({"username": user, "password": password}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}login", data=data), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_wrong_logins_are_rate_limited(make_bot, monkeypatch):
    from askcelebs.ui import serve

    monkeypatch.setenv("ASKCELEBS_AUTH", "fan:s3cret")
    demo = serve(make_bot(), host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        url = demo.local_url
        assert _login(url, "fan", "s3cret") == 200
        t0 = time.time()
        codes = [_login(url, "fan", f"guess{i}") for i in range(20)]
        took = time.time() - t0
        assert set(codes) == {400}
        assert took >= 2.0, took  # wrong guesses are slowed down: not 100 in 0.3 s
        # after the limit even the right password is refused until the window passes
        assert _login(url, "fan", "s3cret") == 400
    finally:
        demo.close()


def test_login_guard_window_passes():
    import asyncio

    from askcelebs.ui.auth import LoginGuard

    from concurrent.futures import ThreadPoolExecutor

    guard = LoginGuard("fan", "s3cret", max_failures=3, window=0.5, delay=0)
    assert asyncio.iscoroutinefunction(guard.check)  # what Gradio checks before awaiting it

    def run(coro):  # a loop of its own (the browser fixtures may hold one in this thread)
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    assert run(guard.check("fan", "s3cret"))
    assert not any(run(guard.check("fan", "x")) for _ in range(3))
    assert not run(guard.check("fan", "s3cret"))  # locked
    time.sleep(0.6)
    assert run(guard.check("fan", "s3cret"))
