"""What the store holds, as Python objects: article records, chunk references, an article ready to write, and
which records are visible (the newest per source)."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..articles import Article
from ..chunking import Chunk, Span
from ..people import Name
from .people import people_from_json, people_json

@dataclass
class StoredArticle:
    """An article as the store knows it; `text` is filled when it was loaded with texts."""

    article_id: str
    title: str
    source: str
    url: str | None
    published: dt.date | None
    author: str | None
    outlet: str | None
    added_at: str
    added_ns: int
    chunks: int
    sentences: int
    text: str = ""
    people: list[tuple[Name, int]] | None = None  # as detected at ingest; None in stores made before
    shingles: str | None = None  # the near-duplicate check's hashes, hex, as computed at ingest
    events: list[dict] = field(default_factory=list)  # relation events found at ingest (events.Event.to_dict)
    entities_json: str | None = None  # entities.encode(...) of its text; None in stores made before NER

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("article_id", "title", "source", "url", "published", "author", "outlet",
                                            "added_at", "chunks", "sentences")}
        d["published"] = self.published.isoformat() if self.published else None
        if with_text:
            d["text"] = self.text
        return d


@dataclass
class ChunkRef:
    chunk_id: str
    article_id: str
    index: int
    start: int
    end: int
    first_sentence: int
    last_sentence: int


@dataclass
class ArticleWrite:
    """One article ready to store: its text split into sentences and chunks, all embedded."""

    article: Article
    sentences: list[Span]
    chunks: list[Chunk]
    sentence_emb: np.ndarray
    chunk_emb: np.ndarray
    article_emb: np.ndarray
    supersedes: list[str]
    people: list[tuple[Name, int]] | None = None  # detected by the writer when not given
    shingles: set[int] | None = None
    events: list[dict] = field(default_factory=list)
    entities: str = "[]"  # entities.encode(...) of the article text


def _chunk_ref(chunk_id: str, meta: dict[str, Any]) -> ChunkRef:
    return ChunkRef(chunk_id, meta["article_id"], int(meta["i"]), int(meta["start"]), int(meta["end"]),
                    int(meta["s0"]), int(meta["s1"]))


def _meta_of(article: Article, n_chunks: int, n_sentences: int, people: list[tuple[Name, int]],
             shingles: set[int] | None = None, events: Iterable[dict] = (), entities: str = "[]") -> dict[str, Any]:
    meta = {
        "title": article.title, "source": article.source, "url": article.url or "",
        "published": article.published.isoformat() if article.published else "",
        "author": article.author or "", "outlet": article.outlet or "", "added_at": article.added_at,
        "added_ns": time.time_ns(), "chunks": n_chunks, "sentences": n_sentences,
        "people": people_json(people), "events": json.dumps(list(events), separators=(",", ":")),
        "entities": entities,
    }
    if shingles is not None:
        meta["shingles"] = " ".join(f"{h:x}" for h in sorted(shingles))
    return meta


def _stored(article_id: str, meta: dict[str, Any], text: str | None) -> StoredArticle:
    pub = meta.get("published") or None
    return StoredArticle(
        article_id=article_id, title=meta.get("title", ""), source=meta.get("source", ""),
        url=meta.get("url") or None, published=dt.date.fromisoformat(pub) if pub else None,
        author=meta.get("author") or None, outlet=meta.get("outlet") or None, added_at=meta.get("added_at", ""),
        added_ns=int(meta.get("added_ns", 0)), chunks=int(meta.get("chunks", 0)),
        sentences=int(meta.get("sentences", 0)), text=text or "",
        people=people_from_json(meta["people"]) if "people" in meta else None, shingles=meta.get("shingles"),
        events=json.loads(meta.get("events") or "[]"), entities_json=meta.get("entities"),
    )


def visible(records: Iterable[StoredArticle]) -> tuple[dict[str, StoredArticle], list[str]]:
    """Newest record per source wins; the others are a replace in progress (or interrupted) and stay hidden."""
    best: dict[str, StoredArticle] = {}
    hidden: list[str] = []
    for rec in sorted(records, key=lambda r: (r.added_ns, r.article_id)):
        if rec.source in best:
            hidden.append(best[rec.source].article_id)
        best[rec.source] = rec
    return {r.article_id: r for r in best.values()}, hidden
