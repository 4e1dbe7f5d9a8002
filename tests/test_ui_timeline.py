"""The People tab and the timeline panel in a real browser: the friendship map's edges and names are links that
open a pair's timeline or a person's relationships, an answer about a pair opens its timeline beside the
citations, nothing is fetched from elsewhere, and axe finds nothing serious in light or dark."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui_helpers import browser  # noqa: F401 (a fixture: headless Chromium per module)
from tests.ui_helpers import TIMEOUT_MS, Watch, ask, free_port, open_app, run_axe, screenshot
from tests.ui_helpers import tab

DATA = Path(__file__).parent / "data" / "timeline"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    from askcelebs import AskCelebs
    from askcelebs.ui import serve

    bot = AskCelebs(store=tmp_path_factory.mktemp("ui-timeline") / "store", embedder=embedder)
    assert all(r.status == "added" for r in bot.add(str(DATA), force=True))
    demo = serve(bot, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        yield bot, demo.local_url
    finally:
        demo.close()


def _page(browser, url, scheme="light", width=1400, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.watch = Watch().attach(pg)
    open_app(pg, url)
    return pg


@pytest.mark.browser
def test_map_edge_opens_the_pairs_timeline_and_a_name_lists_relationships(browser, served):
    bot, url = served
    pg = _page(browser, url)
    try:
        tab(pg, "People")
        edge = pg.locator("#ac-people-map a.ac-edge").first
        edge.wait_for()
        assert "Friends" in (edge.get_attribute("aria-label") or "")
        assert pg.locator("#ac-people-map a.ac-node").count() >= 2
        # two people at the same event are no pair: no edge to Theo Brandt
        assert "Theo Brandt" not in pg.locator("#ac-people-map").inner_text()
        edge.locator("line.ac-edge-hit").click()  # as a user would: on the line
        panel = pg.locator("#ac-people-panel .ac-timeline")
        panel.wait_for()
        text = panel.inner_text()
        assert "Timeline: Jules Arden and Mara Lind" in text and "Friends" in text
        kinds = [k.inner_text() for k in panel.locator(".ac-tl-kind").all()]
        assert kinds.index("Feud") < kinds.index("Reconciled")
        quotes = [q.inner_text().strip("“”") for q in panel.locator(".ac-tl-quote").all()]
        t = bot.timeline("Mara Lind", "Jules Arden")
        assert quotes == [e.quote for e in t.events]  # verbatim, in order
        assert "Also reported by Other Wire" in text
        pg.locator("#ac-people-map a.ac-node", has_text="Mara Lind").locator("circle").click()
        pg.locator("#ac-people-panel .ac-person-rels", has_text="Mara Lind").wait_for()
        assert "Jules Arden" in pg.locator("#ac-people-panel").inner_text()
        screenshot(pg, "ui-people-light-1400.png")
        assert pg.watch.foreign(url) == [] and pg.watch.errors == []
    finally:
        pg.context.close()


@pytest.mark.browser
def test_an_answer_about_a_pair_opens_its_timeline_beside_the_citations(browser, served):
    _, url = served
    pg = _page(browser, url)
    try:
        ask(pg, "Are Mara Lind and Jules Arden still friends?")
        side = pg.locator("#ac-side-timeline .ac-timeline")
        side.wait_for()
        assert "Jules Arden and Mara Lind" in side.inner_text()
        ask(pg, "What did the articles say about Theo Brandt?")
        pg.wait_for_timeout(1500)
        assert pg.locator("#ac-side-timeline .ac-timeline").count() == 0  # one person: no pair timeline
        assert pg.watch.foreign(url) == []
    finally:
        pg.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width,height", [(1400, 900), (390, 844)])
def test_people_tab_and_timeline_are_axe_clean(browser, served, scheme, width, height):
    _, url = served
    pg = _page(browser, url, scheme=scheme, width=width, height=height)
    try:
        tab(pg, "People")
        pg.locator("#ac-people-map a.ac-edge line.ac-edge-hit").first.click()
        panel = pg.locator("#ac-people-panel .ac-timeline")
        panel.wait_for()
        found = run_axe(pg)
        screenshot(pg, f"ui-timeline-{scheme}-{width}.png")
        assert found == []
        box = panel.bounding_box()
        assert box and box["width"] <= width  # the timeline fits the screen on a phone
    finally:
        pg.context.close()


@pytest.mark.browser
def test_gradio_client_timeline_and_people(served):
    from gradio_client import Client

    _, url = served
    client = Client(url, verbose=False)
    t = client.predict("Mara Lind", "Jules Arden", api_name="/timeline")
    assert t["state"] == "friends" and t["events"] and all(e["quote"] for e in t["events"])
    people = client.predict("", api_name="/people")
    assert any(sorted(p["people"]) == ["Jules Arden", "Mara Lind"] for p in people)
