"""The side index: what each process keeps in memory beside Chroma (visible articles, chunk table, BM25)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Iterable

from .records import ChunkRef, StoredArticle, visible
from .store import Store
from .tokens import tokenize


class SideIndex:
    """What each process keeps in memory: visible articles with text, the chunk table and BM25 over chunks.

    Built once at open, patched on add/remove and on a changed store token; never rebuilt per question.
    """

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        self.chunks: list[ChunkRef] = []
        self.chunk_pos: dict[str, int] = {}
        self.token = ""
        self._bm25 = None
        self._dirty = True
        self._lock = threading.RLock()
        self.lower_texts: dict[str, str] = {}
        self.generation = 0  # bumped on every change; caches derived from the index key on it
        self._token_cache: dict[str, list[str]] = {}
        self.epoch = -1  # the store epoch this was loaded at

    def load(self, store: Store) -> None:
        with self._lock:
            token = store.change_token()
            self.epoch = store.epoch
            shown, _ = visible(store.records(with_text=True))
            refs = _complete(store, shown, [c for c in store.chunk_refs() if c.article_id in shown])
            self.articles = shown
            self.lower_texts = {a: r.text.lower() for a, r in shown.items()}
            self._token_cache = {}  # a rebuild keeps chunk ids but may move their offsets
            self._set_chunks(refs)
            self.token = token

    def refresh(self, store: Store) -> bool:
        """Cheap when nothing changed (one small read); loads only the articles that did change."""
        token = store.change_token()
        if store.epoch != self.epoch:  # rebuilt elsewhere: chunk boundaries may have changed, load it all
            self.load(store)
            return True
        if token == self.token:
            return False
        with self._lock:
            records = store.records()
            shown, _ = visible(records)
            gone = set(self.articles) - set(shown)
            new = [a for a in shown if a not in self.articles]
            for aid in gone:
                self._drop(aid)
            if new:
                for rec in store.records(ids=new, with_text=True):
                    self._put(rec)
            if gone or new:  # else the change was our own write, already applied
                refs = [c for c in self.chunks if c.article_id not in gone]
                refs += store.chunk_refs(new) if new else []
                self._set_chunks(refs)
            self.token = token
        return True

    def add(self, rec: StoredArticle, refs: list[ChunkRef], removed: Iterable[str] = ()) -> None:
        with self._lock:
            self.remove(removed)
            self._put(rec)
            self._set_chunks(self.chunks + refs)

    def remove(self, article_ids: Iterable[str]) -> None:
        ids = set(article_ids)
        if not ids:
            return
        with self._lock:
            for aid in ids:
                self._drop(aid)
            self._set_chunks([c for c in self.chunks if c.article_id not in ids])

    def _put(self, rec: StoredArticle) -> None:
        self.articles[rec.article_id] = rec
        self.lower_texts[rec.article_id] = rec.text.lower()

    def _drop(self, article_id: str) -> None:
        self.articles.pop(article_id, None)
        self.lower_texts.pop(article_id, None)

    def _set_chunks(self, refs: list[ChunkRef]) -> None:
        refs = [c for c in refs if c.article_id in self.articles]
        refs.sort(key=lambda c: (c.article_id, c.index))
        self.chunks = refs
        self.chunk_pos = {c.chunk_id: i for i, c in enumerate(refs)}
        self._token_cache = {c.chunk_id: self._token_cache[c.chunk_id] for c in refs if c.chunk_id in self._token_cache}
        self._dirty = True
        self.generation += 1

    def _tokens_of(self, ref: ChunkRef) -> list[str]:
        """Tokens per chunk are kept, so a rebuild after an add tokenizes only the new chunks."""
        tokens = self._token_cache.get(ref.chunk_id)
        if tokens is None:
            tokens = self._token_cache[ref.chunk_id] = tokenize(self.chunk_text(ref)) or ["_"]
        return tokens

    def chunk_text(self, ref: ChunkRef) -> str:
        return self.articles[ref.article_id].text[ref.start:ref.end]

    def bm25(self, query_tokens: list[str], k: int) -> list[tuple[int, float]]:
        """(position in self.chunks, score), best first; the BM25 model is rebuilt lazily after a change."""
        import bm25s

        with self._lock:
            if self._dirty:
                logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
                corpus = [self._tokens_of(c) for c in self.chunks]
                self._bm25 = bm25s.BM25()
                if corpus:
                    self._bm25.index(corpus, show_progress=False)
                self._dirty = False
            model, n = self._bm25, len(self.chunks)
        if not n or not query_tokens:
            return []
        ids, scores = model.retrieve([query_tokens], k=min(k, n), show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]


def _complete(store: Store, shown: dict[str, StoredArticle], refs: list[ChunkRef]) -> list[ChunkRef]:
    """Chunks are read in offset pages, and a delete by another process between pages shifts the offsets: any
    article that came back short is read again by its id."""
    have = Counter(c.article_id for c in refs)
    short = [aid for aid, rec in shown.items() if have[aid] != rec.chunks]
    if not short:
        return refs
    again = set(short)
    return [c for c in refs if c.article_id not in again] + store.chunk_refs(short)
