"""AskCelebs: the one object the CLI, the web UI and users' code call.

    from askcelebs import AskCelebs
    bot = AskCelebs(store="vectorstore")
    bot.add("documents/")
    answer = bot.ask("Are John Legend and Kanye West still friends?")
    print(answer.text, [c.quote for c in answer.citations])
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import entities
from .answering import extractive
from .answering.types import Answer
from .articles import Article, from_text
from .chat import Standalone, build_chain, condense
from .config import Settings
from .embedding import Embedder, get_embedder
from .errors import InputError
from .index import CHUNKS, SideIndex, Store, StoredArticle
from .ingest import AddResult, Ingestor, Progress
from .people import Name
from .retrieval import AskCelebsRetriever, HybridRetriever, Retrieval

log = logging.getLogger(__name__)


@dataclass
class Coverage:
    """Who the index knows: people with article counts, and pairs named together."""

    people: list[tuple[str, int]]
    pairs: list[tuple[str, str, int]]


class AskCelebs:
    """Index articles and answer questions about them with verbatim, cited quotes."""

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
        self.side = SideIndex()
        self.side.load(self.store)
        self._ingestor = Ingestor(settings, self.store, self.side, self.embedder)
        self._retriever = HybridRetriever(settings, self.store, self.side, self.embedder, self.known_people)
        self._coverage_cache: tuple[int, Any] | None = None
        self._people_cache: dict[str, list[tuple[Name, int]]] = {}
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

    def rebuild(self, progress: Progress | None = None) -> int:
        """Re-embed every stored article with the current model and chunk settings."""
        from .rebuild import rebuild

        return rebuild(self, progress)

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
            "chunks": len(self.side.chunks),
            "sentences": sum(a.sentences for a in self.side.articles.values()),
            "stored_records": counts,
            "oldest_published": min(dated).isoformat() if dated else None,
            "newest_published": max(dated).isoformat() if dated else None,
            "answerer": self.answerer_name,
        }

    # --- people --------------------------------------------------------------------------------------------

    def _people_index(self) -> tuple[list[Name], Coverage]:
        gen = self.side.generation
        cached = self._coverage_cache
        if cached and cached[0] == gen:
            return cached[1]
        counts: Counter[tuple[str, ...]] = Counter()
        mentions: Counter[tuple[str, ...]] = Counter()
        pairs: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
        all_names: dict[tuple[str, ...], Name] = {}
        articles = dict(self.side.articles)
        # detection is per article and articles never change: only new ones are scanned after an add
        cache = self._people_cache
        self._people_cache = {aid: cache[aid] if aid in cache else entities.people_of(rec)
                              for aid, rec in articles.items()}
        for found in self._people_cache.values():
            shown = []
            for n, m in found:
                all_names.setdefault(n.words, n)
                counts[n.words] += 1
                mentions[n.words] += m
                if m >= 2:
                    shown.append(n.words)
            for i, a in enumerate(shown):
                for b in shown[i + 1:]:
                    pairs[tuple(sorted((a, b)))] += 1
        # "Singers Corinne Vale" (a capitalised word at a sentence start) is Corinne Vale
        longer = {w for w in all_names if any(w[k:] in all_names for k in range(1, len(w)))}
        for w in longer:
            all_names.pop(w)
        display = [w for w, _ in mentions.most_common() if mentions[w] >= 2 and w in all_names]
        shown_set = set(display)
        known = [all_names[w] for w in display] + [all_names[w] for w in all_names if w not in shown_set]
        coverage = Coverage(
            people=[(all_names[w].text, counts[w]) for w in display],
            pairs=[(all_names[a].text, all_names[b].text, n) for (a, b), n in pairs.most_common()
                   if a in all_names and b in all_names],
        )
        result = (known, coverage)
        self._coverage_cache = (gen, result)
        return result

    def known_people(self) -> list[Name]:
        return self._people_index()[0]

    def coverage(self) -> Coverage:
        """People and pairs the index can answer about, most covered first."""
        self.refresh()
        return self._people_index()[1]

    def example_questions(self, n: int = 4) -> list[str]:
        """Questions the index can answer, built from pairs of people named together."""
        cov = self.coverage()
        templates = ["Are {a} and {b} still friends?", "How did {a} and {b} meet?",
                     "Did {a} and {b} ever fall out?", "What do the articles say about {a} and {b}?"]
        out = [templates[i % len(templates)].format(a=a, b=b) for i, (a, b, _) in enumerate(cov.pairs[:n])]
        out += [f"What do the articles say about {p}?" for p, _ in cov.people if len(out) < n][: n - len(out)]
        return out

    def names(self, text: str) -> list[Name]:
        return self._retriever.names(text)

    # --- answering -----------------------------------------------------------------------------------------

    @property
    def retriever(self) -> AskCelebsRetriever:
        """The hybrid retriever as a LangChain BaseRetriever."""
        return AskCelebsRetriever(app=self, k=self.settings.retrieval.top_chunks)

    @property
    def vectorstore(self):
        """The chunk collection as a langchain-chroma vector store (dense search only)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.store.client, collection_name=CHUNKS,
                      embedding_function=self.embedder.as_langchain())

    def retrieve(self, question: str, names: list[Name] | None = None, k: int | None = None) -> Retrieval:
        self.refresh()
        return self._retriever.retrieve(question, names=names, k=k)

    def standalone(self, question: str, history: Iterable[Any] | None = None) -> Standalone:
        return condense(question, history, self.names)

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer a question (with the conversation so far) from the indexed articles."""
        _check_question(question)
        self.refresh()  # before the question is read: names are resolved against the people the index knows
        return self._chain.invoke({"question": question, "history": history or []})

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
        return extractive.answer(question, retrieval, self.store, self.settings.answer, self.known_people())

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



def _check_question(question: str) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InputError("question", "is empty; ask something like 'Are John Legend and Kanye West still friends?'")
    if len(question) > 2000:
        raise InputError("question", f"is {len(question)} characters long; keep it under 2,000")
