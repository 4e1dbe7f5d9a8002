"""The web chat, end to end: headless Chromium against the app on a free 127.0.0.1 port with its own store.

Browser tests are marked `browser`, API tests `slow`; all run in `make test`. Screenshots go to artifacts/.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.ui_helpers import browser  # noqa: F401 (a fixture: headless Chromium per module)
from tests.ui_helpers import (Watch, ask, card_quotes, card_titles, close_reader, free_port,
                              library_item, open_app, open_in_article, pixel_server, screenshot, tab, upload,
                              wait_results)

EVALSET = Path(__file__).resolve().parents[1] / "src" / "askcelebs" / "evalset" / "articles"
LEGEND_WEST = "How did John Legend and Kanye West meet?"

FICTIONAL = """---
title: "Wren Halloway and Oskar Lindqvist: the friendship that began on a film set"
published: 2021-06-14
outlet: The Daily Marquee
---
Actor Wren Halloway and composer Oskar Lindqvist met on the set of the sailing drama Northern Lights in 2016.

Halloway said Lindqvist was the only person on set who could make her laugh between takes. The two became close
friends after Lindqvist wrote a lullaby for Halloway's character, and Halloway later asked him to score her
directing debut.

Wren Halloway and Oskar Lindqvist still spend every New Year together in Lindqvist's cabin near Uppsala.
"""


def hostile_text(pixel: str) -> str:
    return f"""Nova Quill and Basil Crane met at a poetry festival in Lisbon <script>window.__pwned=1;alert(1)</script> in the summer of 2014.

Nova Quill said Basil Crane was the funniest person she had ever met <img src=x onerror="window.__pwned=2;alert(2)"> and they became friends at once.

Basil Crane and Nova Quill later started a podcast together [listen here](javascript:window.__pwned=3) which ran for years.

Nova Quill and Basil Crane posted a holiday photo ![photo](http://example.invalid/x.png) from their trip to Porto.

Nova Quill and Basil Crane are still close friends <img src="{pixel}/pixel"> according to their publicist.

Nova Quill and Basil Crane share a running joke ${{window.__pwned=4}} {{{{constructor.constructor('window.__pwned=5')()}}}} <a href="javascript:window.__pwned=6">about podcasts</a> <iframe src="{pixel}/frame"></iframe> <svg onload="window.__pwned=7"></svg> <link rel="stylesheet" href="{pixel}/style.css"> <style>body{{background:url({pixel}/bg.png)}}</style> <video src="{pixel}/v.mp4" autoplay></video>
"""


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture
def served(make_bot):
    """The seeded app (seed + the shipped eval-set articles) on a free port; yields (bot, url)."""
    from askcelebs.ui import serve

    bot = make_bot()
    results = bot.add(str(SEED), str(EVALSET))
    assert all(r.status == "added" for r in results), results
    demo = serve(bot, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield bot, demo.local_url
    finally:
        demo.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.watch = Watch().attach(pg)
    open_app(pg, served[1])
    yield pg
    context.close()


def _article_text(bot, article_id: str) -> str:
    return bot.article(article_id).text


# --- chat ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_answer_cites_seed_and_viewer_highlights_quote(page, served):
    bot, url = served
    seed_id = next(a.article_id for a in bot.articles() if a.source == str(SEED.resolve()))
    seed_text = _article_text(bot, seed_id)

    answer = ask(page, LEGEND_WEST)
    quotes = card_quotes(answer)
    assert quotes, answer.inner_html()
    for q in quotes:
        assert q in seed_text
    assert any("mutual friends" in q for q in quotes)
    assert answer.locator(".ac-card .ac-card-title").first.inner_text() == bot.article(seed_id).title
    screenshot(page, "ui-chat.png")

    mark = open_in_article(page, answer, 0)
    assert mark.inner_text() == quotes[0]
    from playwright.sync_api import expect

    expect(mark).to_be_in_viewport()
    assert page.locator("#ac-reader .ac-reader-title").inner_text() == bot.article(seed_id).title
    screenshot(page, "ui-reader.png")
    close_reader(page)

    # a follow-up with a pronoun keeps the people of the conversation
    follow = ask(page, "Are they still friends?")
    assert follow.evaluate("e => e.classList.contains('ac-answer')"), follow.inner_html()
    assert "John Legend" in follow.locator(".ac-resolved").inner_text()
    assert "Kanye West" in follow.locator(".ac-resolved").inner_text()
    titles = card_titles(follow)
    assert titles and set(titles) == {bot.article(seed_id).title}
    for q in card_quotes(follow):
        assert q in seed_text
        assert re.search(r"Legend|West|Teigen|the two|friends", q)
    screenshot(page, "ui-chat-followup.png")

    # New conversation clears the chat and the history the answers use
    page.click("#ac-new")
    page.wait_for_function("document.querySelectorAll('#ac-chat .message-row').length === 0")
    assert not page.watch.errors and not page.watch.dialogs
    assert page.watch.foreign(url) == []


@pytest.mark.browser
def test_examples_and_coverage_panels(page, served):
    bot, _ = served
    people = page.locator("#ac-coverage .ac-person").all_inner_texts()
    assert any("John Legend" in p for p in people) and any("Corinne Vale" in p for p in people)
    examples = page.locator("#ac-start a.ac-ask").all_inner_texts()
    assert examples == bot.example_questions(5)
    # clicking an example asks it
    page.locator("#ac-start a.ac-ask").first.click()
    page.locator("#ac-chat .ac-user", has_text=examples[0]).wait_for()
    page.locator("#ac-chat .ac-answer:not(.ac-streaming), #ac-chat .ac-abstain").first.wait_for()


@pytest.mark.browser
def test_upload_ask_remove(page, served, tmp_path):
    bot, url = served
    question = "How did Wren Halloway and Oskar Lindqvist meet?"
    title = "Wren Halloway and Oskar Lindqvist: the friendship that began on a film set"
    doc = tmp_path / "wren-oskar.md"
    doc.write_text(FICTIONAL, encoding="utf-8")

    before = ask(page, question)
    assert before.evaluate("e => e.classList.contains('ac-abstain')")

    tab(page, "Library")
    upload(page, doc)
    res = wait_results(page)
    assert "ac-res-added" in res.first.get_attribute("class") and title in res.first.inner_text()
    saved = Path(bot.settings.store) / "uploads" / "wren-oskar.md"  # a clean name is kept as it is
    assert saved.is_file() and saved.read_text(encoding="utf-8") == FICTIONAL
    item = library_item(page, title)
    item.wait_for()
    # search narrows the list
    page.click("#ac-search textarea, #ac-search input")
    page.keyboard.type("halloway")
    page.wait_for_function("document.querySelectorAll('#ac-library li.ac-lib-item').length === 1")
    screenshot(page, "ui-library-search.png")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.wait_for_function("document.querySelectorAll('#ac-library li.ac-lib-item').length > 1")

    tab(page, "Ask")
    answer = ask(page, question)
    assert title in card_titles(answer)
    art = next(a for a in bot.articles() if a.title == title)
    for q in card_quotes(answer):
        assert q in _article_text(bot, art.article_id)

    tab(page, "Library")
    library_item(page, title).locator("button", has_text="Remove").click()
    confirm = page.locator("#ac-remove-confirm")
    confirm.wait_for()
    assert title in page.locator("#ac-confirm-text").inner_text()
    page.click("#ac-remove-cancel")  # cancel keeps it
    confirm.wait_for(state="hidden")
    assert any(a.title == title for a in bot.articles())
    library_item(page, title).locator("button", has_text="Remove").click()
    confirm.wait_for()
    page.click("#ac-remove-confirm")
    page.locator("#ac-lib-notice", has_text="Removed").wait_for()
    page.wait_for_function(f"!document.querySelector('#ac-library').innerText.includes({title!r})")
    assert not any(a.title == title for a in bot.articles())

    tab(page, "Ask")
    gone = ask(page, question)
    assert gone.evaluate("e => e.classList.contains('ac-abstain')"), gone.inner_html()
    assert gone.locator(".ac-card").count() == 0
    assert page.watch.foreign(url) == [] and not page.watch.dialogs


@pytest.mark.browser
def test_add_by_url_reports_each_error_in_place(page, served, monkeypatch):
    bot, _ = served
    monkeypatch.setattr(bot.settings, "url_allow_private", True)  # the test server is on 127.0.0.1 (intranet)
    n = len(bot.articles())
    tab(page, "Library")
    page.get_by_role("tab", name="From a URL").click()
    with pixel_server() as (other, hits):
        page.fill("#ac-url textarea, #ac-url input", f"{other}/story.html")  # answers with an image
        page.click("#ac-add-url")
        res = page.locator("#ac-add-results .ac-res-error")
        res.first.wait_for()
        assert "not an HTML page" in res.first.inner_text()
        assert hits == ["/story.html"]  # fetched by the server, not the browser
    page.fill("#ac-url textarea, #ac-url input", str(SEED))  # a local path is not a URL
    page.click("#ac-add-url")
    page.locator("#ac-add-results .ac-res-error", has_text="only http:// and https://").wait_for()
    assert len(bot.articles()) == n


@pytest.mark.browser
def test_hostile_article_runs_nothing_and_loads_nothing(page, served):
    bot, url = served
    with pixel_server() as (pixel, hits):
        tab(page, "Library")
        page.get_by_role("tab", name="Paste").click()
        title = 'Nova Quill & Basil Crane <img src=x onerror="window.__pwned=9;alert(9)"> ![t](http://example.invalid/t.png)'
        page.fill("#ac-paste-title input, #ac-paste-title textarea", title)
        page.fill("#ac-paste-text textarea", hostile_text(pixel))
        # a javascript: URL is refused at load now; an http(s) URL carrying markup must still stay inert
        page.fill("#ac-paste-url input, #ac-paste-url textarea",
                  'https://example.invalid/s?q="><script>window.__pwned=8</script><img/src=x/onerror=alert(8)>')
        page.fill("#ac-paste-published input, #ac-paste-published textarea", "2020-05-01")
        page.click("#ac-add-text")
        res = wait_results(page)
        assert "ac-res-added" in res.first.get_attribute("class"), res.first.inner_text()
        assert title in res.first.inner_text()  # shown as text
        library_item(page, "Nova Quill & Basil Crane").wait_for()
        assert title in page.locator("#ac-library").inner_text()
        screenshot(page, "ui-hostile-library.png")

        tab(page, "Ask")
        art = next(a for a in bot.articles() if a.title == title)
        text = _article_text(bot, art.article_id)
        quoted: list[str] = []
        for q in ("How did Nova Quill and Basil Crane meet?", "Are Nova Quill and Basil Crane still friends?",
                  "Did Nova Quill and Basil Crane post a holiday photo from Porto?",
                  "What running joke do Nova Quill and Basil Crane share?"):
            answer = ask(page, q)
            quotes = card_quotes(answer)
            assert quotes, answer.inner_html()
            for quote in quotes:
                assert quote in text
            quoted += quotes
        joined = " ".join(quoted)
        # the payloads were quoted, and show up as literal text
        assert "<script>" in joined or "onerror" in joined or "<img" in joined, joined
        assert "http://example.invalid/x.png" in joined or f"{pixel}/pixel" in joined, joined
        screenshot(page, "ui-hostile-chat.png")

        last = page.locator("#ac-chat .ac-answer").last
        mark = open_in_article(page, last, 0)
        assert mark.inner_text() in text
        reader_text = page.locator("#ac-reader .ac-reader-text").inner_text()
        assert "<script>window.__pwned=1;alert(1)</script>" in reader_text
        assert "![photo](http://example.invalid/x.png)" in reader_text
        assert f'<img src="{pixel}/pixel">' in reader_text
        assert "{{constructor.constructor" in reader_text and "${window.__pwned=4}" in reader_text
        screenshot(page, "ui-hostile-reader.png")
        page.wait_for_timeout(1500)  # give any stray fetch time to arrive

        state = page.evaluate("""() => ({
            pwned: typeof window.__pwned,
            scripts: document.querySelectorAll('#ac-chat script, #ac-reader script, #ac-library script').length,
            frames: document.querySelectorAll('#ac-chat iframe, #ac-reader iframe, #ac-library iframe').length,
            jsLinks: [...document.querySelectorAll('a[href]')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
            foreignImgs: [...document.querySelectorAll('img, video, source, iframe, link[href]')]
                .map(e => e.src || e.href || '').filter(u => u && !u.startsWith(location.origin) && !u.startsWith('data:') && !u.startsWith('blob:')),
            handlers: [...document.querySelectorAll('#ac-chat *, #ac-reader *, #ac-library *')]
                .filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
        })""")
        assert state == {"pwned": "undefined", "scripts": 0, "frames": 0, "jsLinks": 0, "foreignImgs": [],
                         "handlers": 0}, state
        assert page.watch.dialogs == []
        assert page.watch.foreign(url) == []
        assert hits == []


# --- API (gradio_client) ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_gradio_client_ask_add_text_articles(served):
    from gradio_client import Client

    bot, url = served
    client = Client(url, verbose=False)
    out = client.predict(LEGEND_WEST, [], api_name="/ask")
    assert isinstance(out, dict) and not out["abstained"] and out["citations"]
    assert set(out) >= {"text", "citations", "abstained", "as_of", "mode", "question", "notice", "people"}
    for c in out["citations"]:
        assert _article_text(bot, c["article_id"])[c["start"]:c["end"]] == c["quote"]
        assert f"[{c['n']}]" in out["text"]

    follow = client.predict("Are they still friends?", [{"role": "user", "content": LEGEND_WEST},
                                                        {"role": "assistant", "content": out["text"]}],
                            api_name="/ask")
    assert "John Legend" in follow["question"] and "Kanye West" in follow["question"]
    assert follow["citations"]

    added = client.predict("Wren Halloway and Oskar Lindqvist met on the set of a sailing drama in 2016. "
                           "Wren Halloway and Oskar Lindqvist have been close friends ever since.",
                           "Halloway and Lindqvist", "https://example.com/wren-oskar", "2021-06-14",
                           api_name="/add_text")
    assert added["status"] == "added" and added["article_id"]
    again = client.predict("Wren Halloway and Oskar Lindqvist met on the set of a sailing drama in 2016. "
                           "Wren Halloway and Oskar Lindqvist have been close friends ever since.",
                           "Halloway and Lindqvist", "", "", api_name="/add_text")
    assert again["status"] == "unchanged"
    rows = client.predict(api_name="/articles")
    assert any(r["article_id"] == added["article_id"] and r["url"] == "https://example.com/wren-oskar"
               and r["published"] == "2021-06-14" for r in rows)
    assert len(rows) == len(bot.articles())
    hit = client.predict("How did Wren Halloway and Oskar Lindqvist meet?", [], api_name="/ask")
    assert any(c["article_id"] == added["article_id"] for c in hit["citations"])


@pytest.mark.slow
def test_chat_answers_while_an_ingest_runs(served):
    """Chat and writes are separate queue groups: /ask completes while /add_text is still running."""
    from gradio_client import Client

    bot, url = served
    entered, release = threading.Event(), threading.Event()
    real_add_text = bot.add_text

    def slow_add_text(*args, **kwargs):
        entered.set()
        release.wait(60)
        return real_add_text(*args, **kwargs)

    bot.add_text = slow_add_text
    client = Client(url, verbose=False)
    job = client.submit("Talia Brooks and Emeka Obi are friends.", "Brooks and Obi", "", "", api_name="/add_text")
    try:
        assert entered.wait(30), "the ingest never started"
        t0 = time.time()
        out = client.predict(LEGEND_WEST, [], api_name="/ask")
        assert out["citations"] and time.time() - t0 < 30
        assert not job.done(), "the ingest should still be running"
    finally:
        release.set()
    assert job.result(timeout=60)["status"] == "added"


# --- server settings and safety -----------------------------------------------------------------------------


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_local_files_are_not_served(served):
    bot, url = served
    upload_dir = Path(bot.settings.store) / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / "secret.md").write_text("secret")
    for path in (SEED.resolve(), upload_dir / "secret.md", Path("/etc/hostname"),
                 Path(bot.settings.store).resolve() / "chroma.sqlite3"):
        for route in ("gradio_api/file=", "file="):
            assert _get(f"{url}{route}{path}") in (403, 404), path


@pytest.mark.slow
def test_host_port_and_login_from_settings(make_bot, monkeypatch):
    from gradio_client import Client

    from askcelebs.ui import serve

    port = free_port()
    monkeypatch.setenv("ASKCELEBS_PORT", str(port))
    monkeypatch.setenv("ASKCELEBS_AUTH", "fan:s3cret")
    bot = make_bot()
    assert bot.settings.host == "127.0.0.1"
    demo = serve(bot, block=False, quiet=True)
    try:
        assert demo.local_url == f"http://127.0.0.1:{port}/"
        assert demo.server_name == "127.0.0.1"
        assert _get(f"{demo.local_url}config") == 401
        with pytest.raises(Exception):
            Client(demo.local_url, verbose=False)
        client = Client(demo.local_url, auth=("fan", "s3cret"), verbose=False)
        assert client.predict(api_name="/articles") == []
    finally:
        demo.close()


def test_uploads_are_checked_and_kept_in_the_app_folder(make_bot, tmp_path):
    from askcelebs.ui import _Handlers

    bot = make_bot(max_file_mb=0.001)  # ~1 KB
    incoming = tmp_path / "gradio-tmp"
    incoming.mkdir()
    ok = incoming / "Wren & Oskar (draft).md"
    ok.write_text(FICTIONAL[:900], encoding="utf-8")
    big = incoming / "big.txt"
    big.write_text("Wren Halloway and Oskar Lindqvist. " * 200)
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ")
    html_out, cleared, _, _ = _Handlers(bot).ingest_files([str(ok), str(big), str(exe)],
                                                          progress=lambda *a, **k: None)
    assert cleared is None
    assert html_out.count('class="ac-res ac-res-error"') == 2 and "ac-res-added" in html_out
    assert "unsupported file type" in html_out and "MB limit" in html_out
    kept = list((Path(bot.settings.store) / "uploads").iterdir())
    assert len(kept) == 1 and re.fullmatch(r"Wren _ Oskar _draft-[0-9a-f]{8}\.md", kept[0].name), kept
    assert not any(incoming.iterdir())  # Gradio's temporary copies are gone
    assert bot.articles()[0].source == str(kept[0].resolve())


def test_rendering_escapes_everything_article_derived():
    import datetime as dt

    from askcelebs.answering.types import Answer, Citation
    from askcelebs.ui import esc, render_answer, safe_url

    payload = '<img src=x onerror=alert(1)> ![i](http://example.invalid/x.png) [l](javascript:alert(1)) ${x} {{y}} $$z$$'
    out = esc(payload)
    assert not re.search(r"[<>\[\]()!{}$`*_]", out)
    cite = Citation(1, payload, "abcdef0123456789", payload, "pasted:abc", "javascript:alert(1)", dt.date(2020, 1, 2),
                    0, len(payload))
    html_ = render_answer(Answer(text=payload + " [1]", citations=[cite]), "q")
    assert "<img" not in html_ and "href=\"javascript" not in html_ and "](" not in html_
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in html_  # shown, as text
    assert re.search(r'<button type="button" class="ac-ref" id="[\w-]+-r1">', html_)
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("/relative") is None and safe_url("https://example.com/a") == "https://example.com/a"
    abstain = render_answer(Answer(text="The indexed articles don't say.", abstained=True), "q")
    assert "ac-abstain" in abstain and "ac-card" not in abstain
