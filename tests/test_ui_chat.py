"""The web chat as a user meets it (issue 14): answer line first, clickable markers, the reader as a real modal,
phones, dark mode, axe-clean pages, keyboard only, stop, copy, reload. Real Chromium against the real app."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.ui_helpers import browser  # noqa: F401 (a fixture: headless Chromium per module)
from tests.ui_helpers import (TIMEOUT_MS, Watch, ask, card_quotes, close_reader, free_port,
                              open_app, open_in_article, run_axe, screenshot, tab)
from tests.test_ui import EVALSET, LEGEND_WEST

STILL = "Are John Legend and Kanye West still friends?"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    """One seeded app for the module (the tests here only read the library)."""
    from askcelebs import AskCelebs
    from askcelebs.ui import serve

    bot = AskCelebs(store=tmp_path_factory.mktemp("ui-chat") / "store", embedder=embedder)
    assert all(r.status == "added" for r in bot.add(str(SEED), str(EVALSET)))
    demo = serve(bot, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield bot, demo.local_url
    finally:
        demo.close()


def _page(browser, url, width=1400, height=900, scheme="light", **kw):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme, **kw)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.watch = Watch().attach(pg)
    open_app(pg, url)
    return pg


@pytest.fixture
def page(browser, served):
    pg = _page(browser, served[1])
    yield pg
    pg.context.close()


def _focused(page) -> str:
    return page.evaluate("""() => { const e = document.activeElement; return e ? (e.id || e.className || e.tagName) +
        '|' + (e.getAttribute('aria-label') || e.textContent || '').slice(0, 60) : ''; }""")


# --- the answer -----------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_answer_line_first_and_no_sentence_twice(page, served):
    answer = ask(page, STILL)
    lead = answer.locator(".ac-lead-quote").inner_text()
    quotes = answer.locator("blockquote.ac-quote").all_inner_texts()
    assert lead and lead not in quotes  # the lead is the first source's quote, shown once
    assert len(set(quotes)) == len(quotes)
    text = answer.inner_text()
    for q in [lead, *quotes]:
        assert text.count(q) == 1, q
    # the lead comes before the sources
    box = answer.locator(".ac-lead").bounding_box()
    assert box["y"] < answer.locator(".ac-card").first.bounding_box()["y"]
    # no developer noise in sight: no file names, ids or offsets unless "Details" is opened
    visible = answer.inner_text()
    assert "000_e1a94909d1470c85" not in visible and not re.search(r"chars? \d", visible)
    details = answer.locator("details.ac-tech").first
    details.locator("summary").click()
    assert "000_e1a94909d1470c85.md" in details.inner_text()


def _visible_html(html: str) -> str:
    """The answer without what is not on screen until asked for: marker tooltips and the clipboard text."""
    html = re.sub(r'<span class="ac-tip" role="tooltip">.*?</span></span>', "", html)
    return re.sub(r'<pre class="ac-copy-text">.*?</pre>', "", html, flags=re.S)


def test_verdict_and_short_answer_are_the_answer_line():
    """A constructed Answer (data) with the reader's fields: verdict badge, short answer, as of, then cards."""
    from askcelebs.answering.types import Answer, Citation
    from askcelebs.ui import render_answer

    quote = "Teigen also confirmed to Vogue that her husband and West are still getting along fine."
    cites = [Citation(1, quote, "abcdef0123456789", "Still friends", "/x/000.md", None, dt.date(2019, 5, 1), 10,
                      10 + len(quote)),
             Citation(2, "Legend and West met years ago through mutual friends.", "abcdef0123456789",
                      "Still friends", "/x/000.md", None, dt.date(2019, 5, 1), 200, 253)]
    out = render_answer(Answer(text=f"{quote} [1]", citations=cites, verdict="yes", short_answer="still getting along fine",
                               as_of=dt.date(2019, 5, 1), answer_type="verdict"), "q", {"abcdef0123456789": "Vogue"})
    assert out.index('class="ac-verdict ac-verdict-yes">Yes<') < out.index("still getting along fine") \
        < out.index("as of 1 May 2019") < out.index('class="ac-card"')
    shown = _visible_html(out)
    assert shown.count(quote) == 1  # the full sentence once, in its card
    assert "Vogue" in out and 'View in article<span class="ac-sr">: Still friends</span>' in out
    # a short answer that is the whole quote is not repeated in the card
    whole = _visible_html(render_answer(Answer(text="x [1]", citations=cites[:1], short_answer=quote), "q"))
    assert whole.count(quote) == 1 and "<blockquote" not in whole
    # the model's own text is marked as the model's
    llm = render_answer(Answer(text="They are still friends [1].", citations=cites[:1], mode="llm"), "q")
    assert "Written by the language model" in llm and "They are still friends" in llm
    # ... and so is the model's verdict (found by the real-model test: a "Yes" from SmolLM2 came unmarked)
    llm_verdict = render_answer(Answer(text="Yes.", citations=cites[:1], mode="llm", verdict="yes"), "q")
    assert "Written by the language model" in llm_verdict


@pytest.mark.browser
def test_markers_are_buttons_that_show_the_quote_and_go_to_the_card(page):
    answer = ask(page, STILL)
    marker = answer.locator("button.ac-ref").first
    tip = marker.locator(".ac-tip")
    assert not tip.is_visible()
    marker.hover()
    assert tip.is_visible() and "still getting along" in tip.inner_text()
    assert marker.evaluate("e => getComputedStyle(e).cursor") == "pointer"
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    marker.focus()
    assert tip.is_visible()
    marker.click()
    card_id = re.sub(r"-r(\d+)$", r"-c\1", marker.get_attribute("id"))
    card = page.locator(f"#{card_id}")
    page.wait_for_function("id => document.getElementById(id).classList.contains('ac-flash')", arg=card_id)
    from playwright.sync_api import expect

    expect(card).to_be_in_viewport()
    assert page.evaluate("() => document.activeElement.classList.contains('ac-card')")


@pytest.mark.browser
def test_each_new_question_scrolls_to_the_top(page):
    ask(page, STILL)
    ask(page, "Did Corinne Vale and Juno Castellane ever fall out?")
    page.wait_for_timeout(900)  # smooth scroll
    top = page.locator("#ac-chat .message-row .ac-user").last.bounding_box()["y"]
    assert 0 <= top < 150, top


@pytest.mark.browser
def test_follow_ups_and_copy(browser, served):
    pg = _page(browser, served[1], permissions=["clipboard-read", "clipboard-write"])
    try:
        answer = ask(pg, LEGEND_WEST)
        follow = answer.locator(".ac-followup").all_inner_texts()
        assert follow and all("John Legend and Kanye West" in q for q in follow) and LEGEND_WEST not in follow
        answer.locator("button.ac-copy").click()
        pg.locator("button.ac-copy", has_text="Copied").wait_for()
        copied = pg.evaluate("navigator.clipboard.readText()")
        assert "Legend and West met years ago through mutual friends." in copied
        assert "[1] “" in copied and "Are John Legend And Kanye West Still Friends?" in copied
        answer.locator(".ac-followup").first.click()
        pg.locator("#ac-chat .ac-user", has_text=follow[0]).wait_for()
    finally:
        pg.context.close()


@pytest.mark.browser
def test_empty_ask_shows_a_hint_and_load_shows_no_empty_index(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    seen = []
    pg.on("websocket", lambda ws: None)
    pg.goto(served[1])
    # sample the page while it loads: "the index is empty" must never appear for a library with articles
    for _ in range(40):
        seen.append(pg.evaluate("() => document.body ? document.body.innerText : ''"))
        if pg.locator("#ac-start a.ac-ask").count():
            break
        pg.wait_for_timeout(100)
    assert not any("index is empty" in s or "Nobody yet" in s for s in seen)
    pg.click("#ac-ask-btn")
    pg.locator("#ac-ask-hint", has_text="Type a question first").wait_for()
    assert pg.locator("#ac-chat .message-row").count() == 0
    context.close()


@pytest.mark.browser
def test_stop_while_answering(browser, served):
    bot, url = served
    import threading

    release = threading.Event()
    real = bot.stream

    def slow(question, history=None):  # forces the one thing a real answer is too fast for: still running
        yield "Searching"
        release.wait(30)
        yield from real(question, history)

    bot.stream = slow
    pg = _page(browser, url)
    try:
        pg.fill("#ac-question textarea", STILL)
        pg.click("#ac-ask-btn")
        stop = pg.locator("#ac-stop-btn")
        stop.wait_for(state="visible")
        assert not pg.locator("#ac-ask-btn").is_visible()
        pg.locator("#ac-chat .ac-streaming").wait_for()  # the answer has started
        stop.click()
        pg.locator("#ac-chat .ac-stopped").wait_for()
        pg.locator("#ac-ask-btn").wait_for(state="visible")
        release.set()
        pg.wait_for_timeout(800)
        assert pg.locator("#ac-chat .ac-answer:not(.ac-streaming)").count() == 0  # the stopped answer never lands
    finally:
        release.set()
        bot.stream = real
        pg.context.close()
    pg = _page(browser, url)
    try:  # the chat works again afterwards
        assert ask(pg, STILL).locator(".ac-card").count()
    finally:
        pg.context.close()


@pytest.mark.browser
def test_reload_keeps_the_conversation(page):
    ask(page, LEGEND_WEST)
    ask(page, "Are they still friends?")
    page.reload()
    open_app(page, page.url)
    page.locator("#ac-chat .ac-user", has_text="Are they still friends?").wait_for()
    assert page.locator("#ac-chat .ac-answer .ac-card").count() >= 2
    # and the restored conversation is the one follow-ups use
    follow = ask(page, "Did they ever fall out?")
    assert "John Legend" in follow.inner_text() or "Legend" in follow.inner_text()
    page.click("#ac-new")
    page.reload()
    open_app(page, page.url)
    page.wait_for_timeout(500)
    assert page.locator("#ac-chat .message-row").count() == 0


# --- the reader as a modal, keyboard only ---------------------------------------------------------------------


@pytest.mark.browser
def test_reader_traps_focus_and_restores_it(page):
    answer = ask(page, STILL)
    link = answer.locator("a.ac-view").nth(1)
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#ac-reader mark").wait_for()
    page.wait_for_timeout(300)
    inside = "() => !!document.activeElement.closest('#ac-reader .ac-reader')"
    assert page.evaluate(inside)
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate(inside), _focused(page)
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(inside), _focused(page)
    page.keyboard.press("Escape")
    page.locator("#ac-reader .ac-reader").wait_for(state="detached")
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.activeElement.classList.contains('ac-view')"), _focused(page)
    assert "View in article: Are John Legend" in page.evaluate("() => document.activeElement.textContent")


@pytest.mark.browser
def test_keyboard_only(page):
    """Tab to the question box, type, Enter; Tab to a marker and a "View in article" link; open and close."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('#ac-question')"):
            break
    else:
        raise AssertionError("the question box cannot be reached with Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.type(STILL)
    page.keyboard.press("Enter")
    page.locator("#ac-chat .ac-answer:not(.ac-streaming)").wait_for()
    page.locator("#ac-chat button.ac-ref").first.focus()  # start inside the answer, then only keys
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.classList.contains('ac-card')")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('ac-view')"):
            break
    else:
        raise AssertionError("no 'View in article' link after the card")
    page.keyboard.press("Enter")
    page.locator("#ac-reader mark").wait_for()
    page.keyboard.press("Escape")
    page.locator("#ac-reader .ac-reader").wait_for(state="detached")


# --- phones ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_first_screen_has_question_box_and_examples(browser, served, scheme):
    pg = _page(browser, served[1], 390, 844, scheme, is_mobile=True, has_touch=True)
    try:
        box = pg.locator("#ac-question textarea").bounding_box()
        assert box and box["y"] + box["height"] <= 844, box
        examples = pg.locator("#ac-start a.ac-ask")
        assert examples.count() >= 3
        for i in range(3):
            b = examples.nth(i).bounding_box()
            assert b["y"] + b["height"] <= box["y"], (i, b, box)
        screenshot(pg, f"ui-start-{scheme}-390.png")
        ask(pg, STILL)
        pg.wait_for_timeout(500)
        # the question box stays on screen while the answer is read
        pg.mouse.wheel(0, 400)
        pg.wait_for_timeout(300)
        box = pg.locator("#ac-question textarea").bounding_box()
        assert box["y"] + box["height"] <= 844 and box["y"] > 600, box
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        # the reader: nothing of Gradio's covers its text
        open_in_article(pg, pg.locator("#ac-chat .ac-answer").last, 0)
        covered = pg.evaluate("""() => [...document.querySelectorAll('.scroll-down-arrow, button[aria-label*="Scroll"]')]
            .filter(e => e.offsetParent !== null).length""")
        assert covered == 0
        close_reader(pg)
        tab(pg, "Library")
        pg.get_by_role("tab", name="From a URL").click()
        pg.locator("#ac-url textarea, #ac-url input").first.wait_for(state="visible")
        item = pg.locator("#ac-library li.ac-lib-item").first
        assert item.bounding_box()["width"] > 300  # a card, not a crushed table column
    finally:
        pg.context.close()


# --- accessibility: axe-core in light and dark ----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_clean_chat_reader_library(browser, served, scheme):
    pg = _page(browser, served[1], scheme=scheme)
    try:
        assert pg.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
        found = {"start": run_axe(pg)}
        answer = ask(pg, STILL)
        answer.locator("button.ac-ref").first.focus()  # with a tooltip open
        found["chat"] = run_axe(pg)
        screenshot(pg, f"ui-chat-{scheme}-1400.png")
        open_in_article(pg, answer, 1)
        found["reader"] = run_axe(pg)
        screenshot(pg, f"ui-reader-{scheme}-1400.png")
        close_reader(pg)
        tab(pg, "Library")
        pg.locator("#ac-library li.ac-lib-item").first.wait_for()
        found["library"] = run_axe(pg)
        screenshot(pg, f"ui-library-{scheme}-1400.png")
        assert {k: v for k, v in found.items() if v} == {}
    finally:
        pg.context.close()


@pytest.mark.browser
def test_page_metadata_and_favicon_are_askcelebs(page, served):
    _, url = served
    assert page.title().startswith("askcelebs")
    icon = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
    assert icon and not any("gradio" in i.lower() for i in icon), icon
    import io

    from PIL import Image

    got = Image.open(io.BytesIO(page.request.get(icon[0]).body())).convert("RGBA")
    ours = Image.open(Path(__file__).resolve().parents[1] / "src/askcelebs/ui/assets/favicon.png").convert("RGBA")
    assert got.resize((16, 16)).tobytes() == ours.resize((16, 16)).tobytes()
    metas = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('meta[name], meta[property]')]
        .map(m => [m.getAttribute('name') || m.getAttribute('property'), m.getAttribute('content') || '']))""")
    assert "askcelebs" in metas.get("description", "")
    assert not any("gradio" in v.lower() for v in metas.values()), metas
    # accessible names: the question box, the people chips
    from playwright.sync_api import expect

    expect(page.get_by_role("textbox", name="Your question")).to_have_count(1)
    chip = page.locator("#ac-coverage a.ac-person", has_text="John Legend")
    assert re.fullmatch(r"John Legend, in 1 article", chip.evaluate("e => e.textContent").strip()), \
        chip.evaluate("e => e.textContent")
    snap = chip.aria_snapshot()
    assert re.search(r'link "John Legend\s*,\s*in\s*1\s*article"', snap), snap


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1400, 900), (390, 844)])
def test_screenshots(browser, served, scheme, size):
    """artifacts/ui-shot-{chat,reader,library}-{scheme}-{width}.png, looked at by a person before a release."""
    w, h = size
    pg = _page(browser, served[1], w, h, scheme, is_mobile=w < 700)
    try:
        answer = ask(pg, STILL)
        pg.wait_for_timeout(900)
        screenshot(pg, f"ui-shot-chat-{scheme}-{w}.png")
        open_in_article(pg, answer, 1)
        screenshot(pg, f"ui-shot-reader-{scheme}-{w}.png")
        close_reader(pg)
        tab(pg, "Library")
        pg.locator("#ac-library li.ac-lib-item").first.wait_for()
        screenshot(pg, f"ui-shot-library-{scheme}-{w}.png")
        assert not pg.watch.errors
    finally:
        pg.context.close()
