"""A GGUF model run in this process by llama.cpp (xllamacpp), as a LangChain chat model.

`ASKCELEBS_LLM=gguf:/path/model.gguf` needs nothing but the file and the `local-llm` extra. The model loads on
the first question, once per process, and answers through llama.cpp's OpenAI-style chat handler, so the JSON
schema of a structured answer is enforced by llama.cpp's grammar, exactly as on a llama.cpp server.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from ..errors import InputError

GGUF_MAGIC = b"GGUF"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LocalModelError(RuntimeError):
    """llama.cpp refused or failed a request (the answerer falls back to the quotes)."""


class LocalTimeout(TimeoutError):
    """The in-process model took longer than the answer timeout."""


def check_gguf(path: str | Path) -> Path:
    """The file must exist and start with the GGUF magic; say which file and why otherwise."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError("ASKCELEBS_LLM", f"gguf: no model file at {p} (give the path of a .gguf file)")
    with open(p, "rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise InputError("ASKCELEBS_LLM", f"{p} is not a GGUF model file (it starts with {magic!r}, "
                                          "not b'GGUF'); llama.cpp models end in .gguf")
    return p


class ChatGGUF(BaseChatModel):
    """llama.cpp in-process. Generation runs in llama.cpp's own threads; streaming hands chunks over a queue."""

    path: str
    context_size: int = 4096
    threads: int = 0
    max_tokens: int = 512
    temperature: float = 0.0
    timeout: float = 60.0
    _server: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _running: set = PrivateAttr(default_factory=set)  # (thread, cancelled) of generations in flight

    @property
    def _llm_type(self) -> str:
        return "gguf-xllamacpp"

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def _load(self):
        with self._lock:
            if self._server is None:
                self._server = _start(self)
                # llama.cpp's threads must stop before the interpreter tears down: freed at exit, they abort it
                atexit.register(self.unload)
        return self._server

    def unload(self) -> None:
        """Stop what the model is writing and free it (it loads again on the next question)."""
        for thread, cancelled in list(self._running):
            cancelled.set()
            thread.join(30)
        with self._lock:
            self._server = None

    def _body(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool, **kwargs: Any) -> dict:
        body = {"messages": [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages],
                "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
                "temperature": kwargs.pop("temperature", self.temperature), "stream": stream}
        if stop:
            body["stop"] = stop
        if "response_format" in kwargs:
            body["response_format"] = kwargs.pop("response_format")
        return body

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        text = "".join(piece for piece in self._pieces(self._body(messages, stop, True, **kwargs)))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        for piece in self._pieces(self._body(messages, stop, True, **kwargs)):
            if run_manager:
                run_manager.on_llm_new_token(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    def _pieces(self, body: dict) -> Iterator[str]:
        """Text deltas as llama.cpp produces them; a consumer that stops early cancels the generation."""
        server = self._load()
        chunks: queue.Queue = queue.Queue()
        cancelled = threading.Event()

        def on_chunk(chunk) -> bool:
            chunks.put(chunk)
            return cancelled.is_set()  # True asks llama.cpp to stop generating

        def run() -> None:
            try:
                result = server.handle_chat_completions(body, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    chunks.put(result)
            except Exception as exc:  # noqa: BLE001 - handed to the consumer's thread
                chunks.put(exc)
            finally:
                chunks.put(None)
                self._running.discard(job)

        worker = threading.Thread(target=run, name="gguf-generate", daemon=True)
        job = (worker, cancelled)
        self._running.add(job)
        worker.start()
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    item = chunks.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise LocalTimeout(f"the model wrote for more than {self.timeout:g} s") from None
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise LocalModelError(str(item)) from item
                if isinstance(item, str):
                    item = json.loads(item)
                if "error" in item:
                    err = item["error"]
                    raise LocalModelError(err.get("message", str(err)) if isinstance(err, dict) else str(err))
                for choice in item.get("choices", []):
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        yield piece
        finally:
            cancelled.set()


def _start(model: ChatGGUF):
    try:
        import xllamacpp
    except ImportError as exc:
        raise InputError("ASKCELEBS_LLM", "gguf: models need the local-llm extra "
                                          "(pip install 'askcelebs[local-llm]')") from exc
    path = check_gguf(model.path)
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = model.context_size
    params.n_predict = model.max_tokens
    threads = model.threads or os.cpu_count() or 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_parallel = 1
    params.warmup = False
    params.verbosity = -1  # llama.cpp's per-request timing lines are not for our users
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # noqa: BLE001 - llama.cpp says little more than "failed to load"
        raise InputError("ASKCELEBS_LLM", f"{path}: llama.cpp could not load this model ({exc})") from exc
