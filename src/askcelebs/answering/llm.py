"""The optional language-model answerer: the model reads the passages, and only what checks out is shown.

Two ways to ask (ASKCELEBS_LLM_OPTIONS__OUTPUT):
- "schema" (default): the model fills a JSON schema, pointing at numbered sentences (structured.py); quotes are
  cut from the articles by offset, so they are verbatim by construction.
- "text": for servers without JSON-schema output, free-text claims with quotes, each checked (freetext.py).
Either way a claim's own words are shown only if they say what its quotes say (claims.py). Anything else
(nothing usable, garbage, no answer, an unreachable or dying server) falls back to the extractive answer, with a
notice that says why.

Streaming (`stream`) yields the extractive Answer at once (marked provisional by its notice), then the model's
verified claims as text pieces while it writes, then the final Answer, which replaces everything before it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from typing import Callable, Iterator

from langchain_core.language_models import BaseChatModel

from ..chat import message_text
from ..config import Settings
from ..errors import InputError
from ..retrieval import Retrieval
from . import freetext, structured
from .types import Answer

log = logging.getLogger(__name__)

SHOWING = "showing the quotes directly."


class LLMAnswerer:
    """Asks a LangChain chat model, then shows only the claims that check out against the articles."""

    def __init__(self, model: BaseChatModel, label: str, output: str = "schema",
                 schema_kwargs: Callable[[dict], dict] | None = None, max_sentence_chars: int = 400):
        self.model = model
        self.label = label  # for notices: where the model lives
        self.output = output
        self._schema_kwargs = schema_kwargs or _response_format
        self._max_sentence_chars = max_sentence_chars
        self.stats: Counter = Counter()  # claims the model made / that were usable / whose wording verified
        self._stats_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str | BaseChatModel, settings: Settings) -> "LLMAnswerer":
        """'gguf:/path/model.gguf' (in-process), 'ollama:MODEL', 'openai:MODEL' (any OpenAI-compatible server),
        or a ready chat model."""
        opts, base_url = settings.llm_options, settings.llm_base_url
        common = dict(output=opts.output, max_sentence_chars=settings.chunking.max_sentence_chars)
        if isinstance(spec, BaseChatModel):
            return cls(spec, f"the language model ({type(spec).__name__})", **common)
        provider, _, name = str(spec).partition(":")
        if provider == "gguf" and name:
            from .local import ChatGGUF, check_gguf

            path = check_gguf(name)  # fail now, naming the file; the model itself loads on the first question
            model = ChatGGUF(path=str(path), context_size=opts.context_size, threads=opts.threads,
                             max_tokens=opts.max_tokens, temperature=opts.temperature, timeout=opts.timeout)
            return cls(model, f"the local model {path.name}", **common)
        if provider == "ollama" and name:
            from langchain_ollama import ChatOllama

            model = ChatOllama(model=name, base_url=base_url, temperature=opts.temperature,
                               num_predict=opts.max_tokens, client_kwargs={"timeout": opts.timeout})
            return cls(model, f"the language model server at {base_url or 'http://localhost:11434'}",
                       schema_kwargs=lambda s: {"format": s}, **common)
        if provider == "openai" and name:
            from langchain_openai import ChatOpenAI

            # Local OpenAI-compatible servers want no key, but the client insists on one.
            model = ChatOpenAI(model=name, base_url=base_url, api_key=opts.api_key or "not-needed",
                               temperature=opts.temperature, max_tokens=opts.max_tokens, timeout=opts.timeout,
                               max_retries=0)
            # The schema goes in the request body as is: given as response_format, langchain-openai would parse
            # the reply itself and raise on a reply cut at max_tokens, which the partial reader still uses.
            return cls(model, f"the language model server at {base_url or 'https://api.openai.com/v1'}",
                       schema_kwargs=lambda s: {"extra_body": _response_format(s)}, **common)
        raise InputError("ASKCELEBS_LLM", f"{spec!r} is not 'gguf:/path/model.gguf', 'ollama:MODEL' or "
                                          "'openai:MODEL' (e.g. ollama:llama3.2); unset it to answer without a "
                                          "language model")

    # --- the two entry points ---------------------------------------------------------------------------------

    def answer(self, question: str, retrieval: Retrieval, fallback: Callable[[], Answer]) -> Answer:
        *_, final = self._run(question, retrieval, _once(fallback), streaming=False)
        return final

    def stream(self, question: str, retrieval: Retrieval,
               fallback: Callable[[], Answer]) -> Iterator[str | Answer]:
        """The extractive Answer at once, then each claim once it has verified (never before), then the final
        Answer, which replaces what came before."""
        fallback = _once(fallback)
        if not _answerable(retrieval):
            ans = fallback()
            yield ans.text
            yield ans
            return
        yield dataclasses.replace(fallback(), notice=f"{_cap(self.label)} is writing its answer; until then, "
                                                     f"{SHOWING}")
        yield from self._run(question, retrieval, fallback, streaming=True)

    # --- one run: ask, read as it arrives, finish -------------------------------------------------------------

    def _run(self, question: str, retrieval: Retrieval, fallback: Callable[[], Answer],
             streaming: bool) -> Iterator[str | Answer]:
        if not _answerable(retrieval):
            yield fallback()  # abstaining needs no model, and the model must not get a chance to guess
            return
        reader = (_Structured(question, retrieval, self._max_sentence_chars) if self.output == "schema"
                  else _FreeText(question, retrieval))
        kwargs = self._schema_kwargs(reader.schema) if self.output == "schema" else {}
        try:
            for text in self._chunks(reader.messages, kwargs, streaming):
                yield from reader.feed(text)
            yield from reader.flush()
        except Exception as exc:  # noqa: BLE001 - any client failure means: show the quotes instead
            partial = reader.partial()
            if partial is None:
                yield _with_notice(fallback(), self._failure(exc))
            else:  # verified claims were already shown; keep them and say the answer may be incomplete
                yield _with_notice(partial, self._failure(exc, showing="the answer may be incomplete."))
            self._count(reader)
            return
        self._count(reader)
        yield reader.finish(fallback)

    def _chunks(self, messages: list, kwargs: dict, streaming: bool) -> Iterator[str]:
        if streaming:
            for chunk in self.model.stream(messages, **kwargs):
                yield message_text(chunk)
        else:
            yield message_text(self.model.invoke(messages, **kwargs))

    def _count(self, reader) -> None:
        with self._stats_lock:
            self.stats.update(reader.counts())

    def _failure(self, exc: Exception, showing: str = SHOWING) -> str:
        log.warning("language model failed: %r", exc)
        kinds = " ".join(t.__name__ for t in type(exc).__mro__)
        if "Timeout" in kinds:
            what = "did not answer in time"
        elif "Connect" in kinds:
            what = "could not be reached"
        else:
            what = f"failed ({type(exc).__name__}: {str(exc)[:120]})"
        return f"{_cap(self.label)} {what}; {showing}"


class _Structured:
    """Reads the JSON reply as it grows: a claim is shown once the next one starts (or the reply ends)."""

    def __init__(self, question: str, retrieval: Retrieval, max_sentence_chars: int):
        numbered = structured.Numbered.of(retrieval, max_sentence_chars)
        self.messages = structured.prompt(question, retrieval, numbered)
        self.schema = structured.schema(len(numbered.sentences))
        self.builder = structured.Builder(question, retrieval, numbered)
        self.buffer, self.done = "", 0

    def feed(self, text: str) -> Iterator[str]:
        self.buffer += text
        data = structured.parse(self.buffer, partial=True)
        yield from self._claims(data, final="verdict" in (data or {}))

    def _claims(self, data: dict | None, final: bool) -> Iterator[str]:
        items = data.get("claims") if data else None
        if not isinstance(items, list):
            return
        ready = len(items) if final else len(items) - 1
        for item in items[self.done:ready]:
            self.done += 1
            if piece := self.builder.claim(item):
                yield piece

    def flush(self) -> Iterator[str]:
        self.data = structured.parse(self.buffer) or structured.parse(self.buffer, partial=True)
        yield from self._claims(self.data, final=True)

    def partial(self) -> Answer | None:
        b = self.builder
        return b.answer({}, Answer(text="")) if b.pieces else None

    def finish(self, fallback: Callable[[], Answer]) -> Answer:
        data = self.data
        if data is None:
            return _with_notice(fallback(), f"The language model's answer was not in the expected format; {SHOWING}")
        b = self.builder
        fb = fallback()
        if not b.pieces:
            if b.claims_seen:
                return _with_notice(fb, "The language model's answer could not be verified against the articles; "
                                        + SHOWING)
            return fb if fb.abstained else _with_notice(
                fb, f"The language model found no answer in the passages; {SHOWING}")
        ans = b.answer(data, fb)
        notes = [ans.notice] if ans.notice else []
        reworded = b.claims_seen - b.claims_unsupported - b.claims_verified
        if reworded:
            notes.append(f"{reworded} of the language model's claims did not match their quotes word for word; "
                         "the quotes are shown instead.")
        if b.claims_unsupported:
            notes.append(f"{b.claims_unsupported} claim(s) cited no usable sentence and were left out.")
        ans.notice = " ".join(notes) or None
        return ans

    def counts(self) -> dict[str, int]:
        b = self.builder
        return {"claims": b.claims_seen, "usable": b.claims_seen - b.claims_unsupported,
                "verified": b.claims_verified}


class _FreeText:
    """Reads the free-text reply line by line."""

    schema: dict = {}

    def __init__(self, question: str, retrieval: Retrieval):
        self.question, self.retrieval = question, retrieval
        self.messages = freetext.prompt(question, retrieval)
        self.check = freetext.Checker(retrieval)
        self.buffer = ""

    def feed(self, text: str) -> Iterator[str]:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            if piece := self.check.line(line):
                yield piece

    def flush(self) -> Iterator[str]:
        yield from self.feed("\n")

    def partial(self) -> Answer | None:
        return self.check.build(self.question, self.retrieval) if self.check.claims else None

    def finish(self, fallback: Callable[[], Answer]) -> Answer:
        check = self.check
        if check.claims:
            ans = check.build(self.question, self.retrieval)
            if check.dropped:
                ans.notice = (f"{check.dropped} line(s) of the language model's answer could not be verified "
                              "against the articles and were left out.")
            return ans
        fb = fallback()
        if check.no_answer:
            return fb if fb.abstained else _with_notice(
                fb, f"The language model found no answer in the passages; {SHOWING}")
        if not check.cited:
            return _with_notice(fb, f"The language model's answer was not in the expected format; {SHOWING}")
        return _with_notice(fb, f"The language model's answer could not be verified against the articles; {SHOWING}")

    def counts(self) -> dict[str, int]:
        c = self.check
        seen = len(c.claims) + c.dropped
        return {"claims": seen, "usable": len(c.claims), "verified": len(c.claims)}


def _response_format(schema: dict) -> dict:
    """OpenAI-style structured output; llama.cpp (server and in-process) turns the schema into a grammar."""
    return {"response_format": {"type": "json_schema",
                                "json_schema": {"name": "answer", "schema": schema, "strict": True}}}


def _answerable(retrieval: Retrieval) -> bool:
    return retrieval.people.ok and bool(retrieval.passages)


def _once(fn: Callable[[], Answer]) -> Callable[[], Answer]:
    """The extractive answer is computed at most once per question, and each caller gets its own copy."""
    box: list[Answer] = []

    def get() -> Answer:
        if not box:
            box.append(fn())
        return dataclasses.replace(box[0], citations=list(box[0].citations))

    return get


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_notice(ans: Answer, notice: str) -> Answer:
    ans.notice = notice
    return ans
