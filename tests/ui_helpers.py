"""Helpers for the web UI tests: a headless Chromium, free ports, a fetch-detecting pixel server, page actions."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, one per test module (import it into the module)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _PixelHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        body = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):  # quiet
        pass


@contextmanager
def pixel_server() -> Iterator[tuple[str, list[str]]]:
    """A second local server; anything the browser fetches from it is recorded in `hits`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _PixelHandler)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watch:
    """What a page did: every request URL, dialogs, page errors."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> "Watch":
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d):
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        return self

    def foreign(self, origin: str) -> list[str]:
        origin = origin.rstrip("/") + "/"
        return [u for u in self.requests if not (u.startswith(origin) or u.startswith(("data:", "blob:")))]


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#ac-question textarea", timeout=TIMEOUT_MS)
    # panels (examples, coverage, library) fill on load
    page.wait_for_function("""() => [...document.querySelectorAll('#ac-start a.ac-ask, #ac-chat .message-row')]
        .some(e => e.offsetParent !== null)""", timeout=TIMEOUT_MS)


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)


def bot_messages(page):
    return page.locator("#ac-chat .message-row .ac-answer, #ac-chat .message-row .ac-abstain, "
                        "#ac-chat .message-row .ac-error")


def ask(page, question: str):
    """Type a question, send it, wait for the finished answer; returns the last answer's locator."""
    before = bot_messages(page).count()
    page.fill("#ac-question textarea", question)
    page.click("#ac-ask-btn")
    done = page.locator("#ac-chat .ac-answer:not(.ac-streaming), #ac-chat .ac-abstain, #ac-chat .ac-error")
    deadline = time.time() + TIMEOUT_MS / 1000
    while done.count() <= before:
        if time.time() > deadline:
            raise AssertionError(f"no answer to {question!r}")
        page.wait_for_timeout(100)
    last = done.nth(done.count() - 1)
    for attempt in range(3):  # Gradio may re-render the finished message once more (follow-ups, timeline panel)
        try:
            last.scroll_into_view_if_needed(timeout=10_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(300)
    return last


def card_quotes(answer) -> list[str]:
    """Each card's quote; the card whose quote is the answer line above shows it there (never twice)."""
    lead = answer.locator(".ac-lead-quote")
    out = []
    for card in answer.locator(".ac-card").all():
        q = card.locator("blockquote.ac-quote")
        out.append(q.inner_text() if q.count() else lead.inner_text())
    return out


def card_titles(answer) -> list[str]:
    return [t.inner_text() for t in answer.locator(".ac-card .ac-card-title").all()]


def open_in_article(page, answer, i: int = 0):
    """Click card i's "View in article"; returns the <mark> locator in the reader."""
    answer.locator(".ac-card a.ac-view").nth(i).click()
    mark = page.locator("#ac-reader mark")
    mark.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(400)  # the reader scrolls the mark into view after rendering
    return mark


def close_reader(page) -> None:
    page.keyboard.press("Escape")
    page.locator("#ac-reader .ac-reader").wait_for(state="detached", timeout=10_000)


def upload(page, *paths: Path) -> None:
    page.set_input_files("#ac-upload input[type=file]", [str(p) for p in paths])
    page.locator("#ac-upload", has_text=paths[0].name).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(500 * len(paths))  # the rest of a batch finishes uploading
    page.click("#ac-add-files")


def library_item(page, title: str):
    return page.locator("#ac-library li.ac-lib-item", has_text=title).first


def run_axe(page, context: str | None = None) -> list[dict]:
    """axe-core in the page (axe-playwright-python ships it); returns the serious and critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5],
             "summary": v["nodes"][0].get("failureSummary", "")[:300] if v["nodes"] else ""}
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def wait_results(page):
    res = page.locator("#ac-add-results .ac-res")
    res.first.wait_for(timeout=TIMEOUT_MS)
    return res


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
