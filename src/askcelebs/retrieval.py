"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s) fused by reciprocal rank, then people- and time-aware.

Order of evidence: passages naming every person asked about come first; for questions about the present
("still", "now", ...) the newest dated article leads among those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict

from .config import Settings
from .embedding import Embedder
from .index import ChunkRef, SideIndex, Store, StoredArticle, tokenize
from .index.people import question_words
from .people import (Name, article_mentions, is_cased, looks_like_person, name_pattern, names_in_question,
                     passage_mentions)

_PRESENT = re.compile(r"\b(still|now|anymore|any more|currently|these days|today|nowadays|latest|recently|at the moment|"
                      r"right now|as of)\b", re.I)


@dataclass
class Passage:
    """One retrieved chunk with why it ranked where it did."""

    ref: ChunkRef
    article: StoredArticle
    fused: float
    people_hits: int = 0

    @property
    def text(self) -> str:
        return self.article.text[self.ref.start:self.ref.end]


@dataclass
class PeopleCheck:
    """Which named people the index knows, and which articles name them together.

    Every name must appear, and all of them together in one article: single words too, since many
    celebrities go by one ("Eminem"); titles in questions ("Ocean's Twelve") appear in their articles anyway.
    """

    names: list[Name]
    found: dict[str, int] = field(default_factory=dict)  # name -> number of articles naming it
    together: set[str] = field(default_factory=set)  # article ids naming all the names

    @property
    def missing(self) -> list[Name]:
        return [n for n in self.names if not self.found.get(n.text)]

    @property
    def ok(self) -> bool:
        return not self.missing and (not self.names or bool(self.together))


@dataclass
class Retrieval:
    question: str
    query_embedding: np.ndarray
    passages: list[Passage]
    people: PeopleCheck
    present_tense: bool
    focus_embedding: np.ndarray  # the question with names masked: what is asked about them
    pool: list[Passage] = field(default_factory=list)  # the wider ranked list the extractive reader weighs

    def __post_init__(self) -> None:
        self.pool = self.pool or self.passages


def mask_names(question: str, names: list[Name]) -> str:
    """'How did John Legend and Kanye West meet?' -> 'How did they meet?': names inflate similarity to any
    sentence that merely mentions the people; the rest of the question says what is asked. One-word names
    (Queen, Busted) are masked too; organisations and titles ("The Wall Street Journal", "SAG") are the topic."""
    out = question
    for name in (n for n in names if looks_like_person(n) or (len(n.words) == 1 and not n.acronym)):
        out = name_pattern(name, possessive=True).sub("\x00", out)
        if name.alias:  # typed as "Tash": that is what the question holds
            out = name_pattern(Name(name.alias), possessive=True).sub("\x00", out)
    out = re.sub(r"\x00(?:\s*(?:,|and|&)\s*\x00)+", "the two", out)
    if out.count("\x00") == 2:  # "What did Legend say about West" -> "What did one say about the other"
        out = out.replace("\x00", "one", 1).replace("\x00", "the other", 1)
    out = re.sub(r"\x00", "this person", out)
    return out


def asks_about_present(question: str) -> bool:
    return bool(_PRESENT.search(question))


class HybridRetriever:
    """Stateless over the store and side index; one per AskCelebs. Names are looked up in the side index's
    name index: nothing here scans every article or every known person."""

    def __init__(self, settings: Settings, store: Store, side: SideIndex, embedder: Embedder):
        self.settings, self.store, self.side, self.embedder = settings, store, side, embedder

    def names(self, question: str) -> list[Name]:
        # only known names sharing a word with the question can be found in it or resolve a name in it
        near = self.side.names.known_near(question_words(question, names_in_question(question)))
        found = names_in_question(question, near)
        # "the Halcyon Awards", "the Harbour Gala": an unknown multi-word name that names an event or organisation is
        # what the question asks about, not a person who must be found in the articles
        known = set(near)
        return [n for n in found if n in known or len(n.words) == 1 or looks_like_person(n)]

    def check_people(self, names: list[Name]) -> PeopleCheck:
        check = PeopleCheck(names)
        if not names:
            return check
        per_name = {}
        for name in names:
            hits = self.side.names.articles_naming(name, self.side.lower_texts)
            if name.alias:
                hits |= self.side.names.articles_naming(Name(name.alias), self.side.lower_texts)
            check.found[name.text] = len(hits)
            per_name[name.text] = hits
        check.together = set.intersection(*per_name.values()) if per_name else set()
        return check

    def retrieve(self, question: str, names: list[Name] | None = None, k: int | None = None) -> Retrieval:
        cfg = self.settings.retrieval
        k = k or cfg.top_chunks
        names = self.names(question) if names is None else names
        people = self.check_people(names)
        q_emb = self.embedder.embed_one(question)
        focus = mask_names(question, names)
        focus_emb = self.embedder.embed_one(focus) if focus != question else q_emb
        fused: dict[str, float] = {}  # chunk id -> score
        refs = self.side.refs
        dense = [cid for cid, _ in self.store.dense(q_emb, cfg.k_dense) if cid in refs]
        for rank, cid in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(self.side.bm25(tokenize(question), cfg.k_bm25)):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
        # Passages of articles naming everyone are candidates even if neither ranker found them.
        for aid in sorted(people.together):
            for ref in self.side.by_article.get(aid, ()):
                fused.setdefault(ref.chunk_id, 0.0)
        present = asks_about_present(question)
        passages = []
        for cid, score in fused.items():
            ref = refs[cid]
            art = self.side.articles[ref.article_id]
            p = Passage(ref, art, score)
            if names:
                p.people_hits = self._people_hits(names, p, ref.article_id in people.together)
            passages.append(p)
        passages.sort(key=lambda p: self._rank_key(p, names, present), reverse=True)
        return Retrieval(question, q_emb, passages[:k], people, present, focus_emb,
                         passages[:max(k, cfg.answer_pool)])

    def _people_hits(self, names: list[Name], p: Passage, in_together: bool) -> int:
        text = p.text
        cased = is_cased(p.article.text)
        low = self.side.lower_texts[p.ref.article_id]
        return sum(passage_mentions(n, text, in_together or article_mentions(n, low), cased) for n in names)

    @staticmethod
    def _rank_key(p: Passage, names: list[Name], present: bool) -> tuple:
        all_named = bool(names) and p.people_hits == len(names)
        date = p.article.published.toordinal() if (present and p.article.published and all_named) else 0
        return (all_named, p.people_hits, date, p.fused)


class AskCelebsRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever: Documents with article metadata and char offsets."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    app: Any
    k: int = 6

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, **kwargs: Any) -> list[Document]:
        """`invoke(query, k=3)` overrides the constructor's k for that call, as LangChain retrievers do."""
        if kwargs:
            raise TypeError(f"unexpected retriever arguments: {', '.join(sorted(kwargs))}")
        retrieval = self.app.retrieve(query, k=k if k is not None else self.k)
        return [passage_document(p) for p in retrieval.passages]

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       k: int | None = None, **kwargs: Any) -> list[Document]:
        """Retrieval is CPU work (embedding, BM25, Chroma): it runs in a worker thread, keeping the loop free."""
        return await run_in_executor(None, partial(self._get_relevant_documents, query,
                                                   run_manager=run_manager.get_sync(), k=k, **kwargs))


def passage_document(p: Passage) -> Document:
    a = p.article
    return Document(
        page_content=p.text,
        id=p.ref.chunk_id,
        metadata={"article_id": a.article_id, "title": a.title, "source": a.source, "url": a.url,
                  "published": a.published.isoformat() if a.published else None, "start": p.ref.start,
                  "end": p.ref.end, "score": p.fused, "people_hits": p.people_hits},
    )

