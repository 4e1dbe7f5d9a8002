"""AskCelebs: the one object the CLI, the web UI and users' code call.

    from askcelebs import AskCelebs
    bot = AskCelebs(store="vectorstore")
    bot.add("documents/")
    answer = bot.ask("Are John Legend and Kanye West still friends?")
    print(answer.text, [c.quote for c in answer.citations])
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from .answering import extractive
from .answering.reader import PairHistory
from .answering.types import Answer
from .articles import Article, from_text, normalise, parse_date
from .chat import Standalone, build_chain, condense
from . import timeline
from .config import Settings
from .embedding import Embedder, get_embedder
from .errors import InputError
from .events import pair_key
from .index import SideIndex, Store, StoredArticle
from .index.people import Coverage  # noqa: F401  (askcelebs/__init__ and users import it from here)
from .ingest import AddResult, Ingestor, Progress
from .people import Name
from .people_queries import PeopleQueries
from .retrieval import AskCelebsRetriever, HybridRetriever, Retrieval

log = logging.getLogger(__name__)


class AskCelebs(PeopleQueries):
    """Index articles and answer questions about them with verbatim, cited quotes. The people, timeline and
    relationship methods live in people_queries.py."""

    def __init__(self, store: str | Path | None = None, *, chroma_url: str | None = None,
                 settings: Settings | None = None, llm: Any = None, embedder: Embedder | None = None,
                 check_model: bool = True, **overrides: Any):
        values = dict(overrides)
        if store is not None:
            values["store"] = Path(store)
        if chroma_url is not None:
            values["chroma_url"] = chroma_url
        if settings is None:
            settings = Settings(**values)
        elif values:
            settings = settings.model_copy(update=values)
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.store = Store(settings, self.embedder.name, self.embedder.dim, check_model=check_model)
        self.side = SideIndex(None if self.store.is_server else Path(settings.store) / ".askcelebs-side")
        self.side.load(self.store)
        self._ingestor = Ingestor(settings, self.store, self.side, self.embedder)
        self._retriever = HybridRetriever(settings, self.store, self.side, self.embedder)
        self._examples_cache: tuple[Any, list[str]] | None = None
        self._events_cache: tuple[int, Any] | None = None
        self._chain = build_chain(self)
        self._llm_spec = llm if llm is not None else settings.llm
        self._llm = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AskCelebs(store={self.store.location!r}, articles={len(self.side.articles)})"

    # --- library -------------------------------------------------------------------------------------------

    def add(self, *inputs: str | Path, title: str | None = None, url: str | None = None,
            published: str | None = None, author: str | None = None, outlet: str | None = None,
            force: bool = False, progress: Progress | None = None) -> list[AddResult]:
        """Add files, folders (recursively) or URLs; one result per input file or URL, errors included."""
        overrides = {k: v for k, v in dict(title=title, url=url, published=published, author=author,
                                            outlet=outlet).items() if v not in (None, "")}
        paths, results = self._ingestor.expand(str(i) for i in inputs)
        if overrides and len(paths) > 1:
            raise InputError(", ".join(map(str, inputs)), "--title/--url/--published/--author apply to one input; "
                                                          f"this adds {len(paths)} files")
        if paths:
            with self.store.writing():
                self._before_write()
                results += self._ingestor.add_inputs(paths, overrides, force, progress)
                self._after_write(results)
        return results

    def add_text(self, text: str, title: str, *, url: str | None = None, published: str | None = None,
                 author: str | None = None, outlet: str | None = None, force: bool = False) -> AddResult:
        """Add pasted text; the title is required."""
        label = f"pasted text {title!r}" if title else "pasted text"
        try:
            article = from_text(text, title, self.settings, url=url, published=published, author=author,
                                outlet=outlet)
        except InputError as exc:
            return AddResult(label, "error", detail=exc.reason)
        return self.add_articles([(label, article)], force=force)[0]

    def add_articles(self, articles: Iterable[tuple[str, Article]], force: bool = False,
                     progress: Progress | None = None) -> list[AddResult]:
        """Add already-built Article objects (label, article): for importers and benchmarks."""
        with self.store.writing():
            self._before_write()
            results = self._ingestor.add_articles(list(articles), force, progress)
            self._after_write(results)
        return results

    def _before_write(self) -> None:
        self.store.sweep()
        self.side.refresh(self.store)

    def _after_write(self, results: list[AddResult]) -> None:
        if any(r.status in ("added", "replaced") for r in results):
            token = self.store.touch()
            # On a server another instance may have written since our refresh, so the token is not adopted and the
            # next refresh diffs against the store. Embedded, we hold the file lock: nobody else wrote.
            if not self.store.is_server:
                self.side.token = token

    def articles(self) -> list[StoredArticle]:
        """Every visible article, oldest first (texts not included)."""
        self.refresh()
        return sorted(self.side.articles.values(), key=lambda a: a.added_ns)

    def article(self, article_id: str) -> StoredArticle:
        """One article with its full text."""
        self.refresh()
        rec = self.side.articles.get(article_id)
        if rec is None:
            raise InputError(article_id, "no such article in the index (see `askcelebs list`)")
        return rec

    def find(self, id_or_source: str) -> StoredArticle:
        self.refresh()
        key = str(id_or_source).strip()
        if key in self.side.articles:
            return self.side.articles[key]
        candidates = {key, str(Path(key).resolve()) if not key.startswith(("http://", "https://", "pasted:")) else key}
        hits = [a for a in self.side.articles.values() if a.source in candidates]
        hits = hits or [a for a in self.side.articles.values() if a.article_id.startswith(key) and len(key) >= 6]
        if len(hits) != 1:
            reason = "matches several articles; give the full id" if hits else "no article with that id or source"
            raise InputError(key, reason + " (see `askcelebs list`)")
        return hits[0]

    def remove(self, id_or_source: str) -> StoredArticle:
        """Remove one article (by id, id prefix or source); it disappears from answers at once."""
        rec = self.find(id_or_source)
        with self.store.writing():
            same_source = [a.article_id for a in self.store.records() if a.source == rec.source]
            ids = list(dict.fromkeys([rec.article_id, *same_source]))
            self.store.mark_pending(ids)  # killed between record and passages: the next writer sweeps them
            for aid in ids:
                self.store.delete_article(aid)
            self.store.clear_pending(ids)
            self.side.remove(ids)
            self.store.touch()
        return rec

    def update_metadata(self, article_id: str, *, title: str | None = None, published: str | None = None,
                        outlet: str | None = None, author: str | None = None, url: str | None = None) -> StoredArticle:
        """Correct an article's title, date, outlet, author or URL; its text, quotes and offsets are unchanged.
        None keeps a field; "" clears it (the title cannot be cleared)."""
        rec = self.article(article_id)
        changes = _metadata_changes(rec, dict(title=title, published=published, outlet=outlet, author=author,
                                              url=url))
        if not changes:
            return rec
        with self.store.writing():
            updated = self.store.update_record(rec.article_id, changes)
            self.side.update(updated)
            self._examples_cache = None
            self.store.touch()
        return updated

    def rebuild(self, progress: Progress | None = None) -> int:
        """Re-embed every stored article with the current model and chunk settings."""
        from .rebuild import rebuild

        return rebuild(self.store, self.side, self.embedder, progress)

    def hold_store(self) -> None:
        """For a long-running server: other processes are refused this embedded store until this one exits."""
        if not self.store.is_server:
            from .index.storelock import hold_for_server

            hold_for_server(Path(self.settings.store))

    def refresh(self) -> bool:
        """Pick up what other processes or instances wrote (cheap when nothing changed)."""
        return self.side.refresh(self.store)

    def stats(self) -> dict[str, Any]:
        self.refresh()
        counts = self.store.count()
        dated = [a.published for a in self.side.articles.values() if a.published]
        return {
            "store": self.store.location,
            "mode": "server" if self.store.is_server else "embedded",
            "embedding_model": self.embedder.name,
            "articles": len(self.side.articles),
            "chunks": self.side.chunk_count,
            "sentences": sum(a.sentences for a in self.side.articles.values()),
            "stored_records": counts,
            "oldest_published": min(dated).isoformat() if dated else None,
            "newest_published": max(dated).isoformat() if dated else None,
            "answerer": self.answerer_name,
        }

    # --- answering -----------------------------------------------------------------------------------------

    @property
    def retriever(self) -> AskCelebsRetriever:
        """The hybrid retriever as a LangChain BaseRetriever."""
        return AskCelebsRetriever(app=self, k=self.settings.retrieval.top_chunks)

    @property
    def vectorstore(self):
        """The chunk collection as a langchain-chroma vector store (dense search only)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.store.client, collection_name=self.store.chunks.name,
                      embedding_function=self.embedder.as_langchain())

    def retrieve(self, question: str, names: list[Name] | None = None, k: int | None = None) -> Retrieval:
        self.refresh()
        return self._retriever.retrieve(question, names=names, k=k)

    def standalone(self, question: str, history: Iterable[Any] | None = None) -> Standalone:
        return condense(question, history, self.names)

    @property
    def chain(self) -> Runnable:
        """The chat chain as a LangChain runnable, {"question", "history"} -> Answer: invoke, ainvoke (in a worker
        thread, so the event loop stays free), batch, and callbacks/tags through the usual `config`."""
        return RunnableLambda(self._prepare, name="prepare_question") | self._chain

    def _prepare(self, inputs: dict) -> dict:
        _check_question(inputs["question"])
        self.refresh()  # before the question is read: names are resolved against the people the index knows
        return {**inputs, "history": inputs.get("history") or []}

    def ask(self, question: str, history: list[dict] | None = None, config: RunnableConfig | None = None) -> Answer:
        """Answer a question (with the conversation so far) from the indexed articles."""
        return self.chain.invoke({"question": question, "history": history}, config=config)

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """Yield answer text as it is produced, then the final Answer (with citations) last."""
        _check_question(question)
        self.refresh()
        s = self.standalone(question, history)
        retrieval = self._retriever.retrieve(s.question, names=s.names)  # refreshed just above
        llm = self._answerer()
        if llm is None:
            ans = self._extractive(s.question, retrieval)
            yield ans.text
            yield ans
            return
        yield from llm.stream(s.question, retrieval, fallback=lambda: self._extractive(s.question, retrieval))

    def answer_retrieval(self, question: str, retrieval: Retrieval) -> Answer:
        llm = self._answerer()
        if llm is None:
            return self._extractive(question, retrieval)
        return llm.answer(question, retrieval, fallback=lambda: self._extractive(question, retrieval))

    def _extractive(self, question: str, retrieval: Retrieval) -> Answer:
        return extractive.answer(question, retrieval, self.store, self.settings.answer, self.known_people(),
                                 self._pair_history(retrieval))

    def _pair_history(self, retrieval: Retrieval) -> PairHistory | None:
        """The timeline of the two people a question names, read by the answerer for "still ...?" and history."""
        names = retrieval.people.names
        if len(names) != 2 or not retrieval.people.ok:
            return None
        by_pair, articles = self._events()
        pair = pair_key(names[0], names[1])
        if pair not in by_pair:
            return None
        return PairHistory(timeline.build(pair, by_pair[pair], articles), articles)

    @property
    def answerer_name(self) -> str:
        spec = self._llm_spec
        return "extractive" if spec is None else (spec if isinstance(spec, str) else type(spec).__name__)

    def _answerer(self):
        if self._llm_spec is None:
            return None
        with self._lock:
            if self._llm is None:
                from .answering.llm import LLMAnswerer

                self._llm = LLMAnswerer.from_spec(self._llm_spec, self.settings)
        return self._llm


def _metadata_changes(rec: StoredArticle, given: dict[str, str | None]) -> dict[str, Any]:
    """The fields that change, checked: a real date, an http(s) URL, a non-empty title of at most 500 chars."""
    changes: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        value = normalise(str(value))
        if key == "title" and not value:
            raise InputError("title", "cannot be empty")
        if key == "title" and len(value) > 500:
            raise InputError("title", f"is {len(value)} characters long; keep it under 500")
        if key == "url" and value and not re.match(r"^https?://[^\s/]+", value, re.I):
            raise InputError(value, "is not an http:// or https:// address")
        new = parse_date(value, "published date") if key == "published" else (value or None)
        if new != getattr(rec, key):
            changes[key] = new
    return changes


def _check_question(question: str) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InputError("question", "is empty; ask something like 'Are John Legend and Kanye West still friends?'")
    if len(question) > 2000:
        raise InputError("question", f"is {len(question)} characters long; keep it under 2,000")
