"""The side index: what each process keeps in memory beside Chroma (visible articles, chunk table, BM25, names)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterable

from .bm25 import SegmentedBM25
from .people import NameIndex, detect_people
from .records import ChunkRef, StoredArticle, visible
from .store import Store
from .tokens import tokenize


def _meta_key(rec: StoredArticle) -> tuple:
    return (rec.title, rec.url, rec.published, rec.author, rec.outlet)

log = logging.getLogger(__name__)


class SideIndex:
    """What each process keeps in memory: visible articles with text, the chunk table, BM25 and the name index.

    Built once at open, patched per article on add/remove and on a changed store token (each change costs what
    the changed articles cost, not what the store holds); never rebuilt per question. With a `folder` (an
    embedded store's), each merged BM25 base is saved there under the store's change token, and a cold start
    memory-maps the newest one and patches it instead of rebuilding.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.articles: dict[str, StoredArticle] = {}
        self.refs: dict[str, ChunkRef] = {}  # chunk id -> ref
        self.by_article: dict[str, list[ChunkRef]] = {}  # in chunk order
        self.by_source: dict[str, list[str]] = {}  # source -> visible article ids, in the order they were put
        self.token = ""
        self._bm25 = SegmentedBM25()
        self.names = NameIndex()
        self._lock = threading.RLock()
        self.lower_texts: dict[str, str] = {}
        self.generation = 0  # bumped on every change; caches derived from the index key on it
        self.epoch = -1  # the store epoch this was loaded at

    @property
    def chunks(self) -> list[ChunkRef]:
        """Every chunk ref, by article id and position (built on demand: use `refs` or `by_article` in loops)."""
        return [c for aid in sorted(self.by_article) for c in self.by_article[aid]]

    @property
    def chunk_count(self) -> int:
        return len(self.refs)

    def load(self, store: Store) -> None:
        with self._lock:
            token = store.change_token()
            self.epoch = store.epoch
            shown, _ = visible(store.records(with_text=True))
            refs = _complete(store, shown, [c for c in store.chunk_refs() if c.article_id in shown])
            self.articles, self.lower_texts, self.by_source = {}, {}, {}
            self.refs, self.by_article = {}, {}
            self.names = NameIndex()
            self._bm25 = SegmentedBM25()
            for rec in shown.values():
                self._put(rec, words=False)
            self._put_chunks(refs)
            self.token = token
            self._load_saved()

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
            gone = [a for a in self.articles if a not in shown]
            new = [a for a in shown if a not in self.articles]
            self.remove(gone)
            if new:
                for rec in store.records(ids=new, with_text=True):
                    self._put(rec)
                self._put_chunks(store.chunk_refs(new))
            for aid in set(shown) & set(self.articles) - set(new):  # metadata edited elsewhere
                old = self.articles[aid]
                if _meta_key(shown[aid]) != _meta_key(old):
                    self.articles[aid] = dataclasses.replace(shown[aid], text=old.text)
                    self.generation += 1
            self.token = token
        return True

    def update(self, rec: StoredArticle) -> None:
        """New metadata for an article already indexed (same text, same chunks)."""
        with self._lock:
            if rec.article_id in self.articles:
                self.articles[rec.article_id] = dataclasses.replace(rec, text=self.articles[rec.article_id].text)
                self.generation += 1

    def add(self, rec: StoredArticle, refs: list[ChunkRef], removed: Iterable[str] = ()) -> None:
        with self._lock:
            self.remove(removed)
            self._put(rec)
            self._put_chunks(refs)

    def remove(self, article_ids: Iterable[str]) -> None:
        ids = [a for a in dict.fromkeys(article_ids) if a in self.articles]
        if not ids:
            return
        with self._lock:
            for aid in ids:
                for ref in self.by_article.pop(aid, []):
                    self.refs.pop(ref.chunk_id, None)
                    self._bm25.remove(ref.chunk_id)
                self._drop(aid)
            self.generation += 1

    def _put(self, rec: StoredArticle, words: bool = True) -> None:
        if rec.article_id in self.articles:
            self.remove([rec.article_id])
        self.articles[rec.article_id] = rec
        low = self.lower_texts[rec.article_id] = rec.text.lower()
        self.by_source.setdefault(rec.source, []).append(rec.article_id)
        people = rec.people if rec.people is not None else detect_people(rec.text)
        self.names.put(rec.article_id, low, people, words=words)
        self.generation += 1

    def _drop(self, article_id: str) -> None:
        rec = self.articles.pop(article_id)
        self.names.drop(article_id, self.lower_texts.pop(article_id))
        same = self.by_source.get(rec.source, [])
        if article_id in same:
            same.remove(article_id)
        if not same:
            self.by_source.pop(rec.source, None)

    def _put_chunks(self, refs: Iterable[ChunkRef]) -> None:
        touched = set()
        for ref in refs:
            if ref.article_id not in self.articles or ref.chunk_id in self.refs:
                continue
            self.refs[ref.chunk_id] = ref
            self.by_article.setdefault(ref.article_id, []).append(ref)
            touched.add(ref.article_id)
            if not self._bm25.stale:
                self._bm25.add(ref.chunk_id, self._tokens_of(ref))
        for aid in touched:
            self.by_article[aid].sort(key=lambda c: c.index)
        self.generation += 1

    def _tokens_of(self, ref: ChunkRef) -> list[str]:
        """Not kept per chunk (that was most of the index's memory): a merge tokenizes again, rarely."""
        return tokenize(self.chunk_text(ref)) or ["_"]

    def chunk_text(self, ref: ChunkRef) -> str:
        return self.articles[ref.article_id].text[ref.start:ref.end]

    def bm25(self, query_tokens: list[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, score), best first; segments are merged lazily, at the first search after many changes."""
        with self._lock:
            if self._bm25.needs_merge():
                refs = self.chunks
                self._bm25.build([c.chunk_id for c in refs], [self._tokens_of(c) for c in refs])
                with self.names._lock:
                    self.names.words.compact()
                self._save()
            return self._bm25.search(query_tokens, k)

    # --- persistence (embedded stores): <folder>/<change token>/ holds the BM25 base merged at that token --

    def _load_saved(self) -> None:
        """The newest saved bases, patched to what the store holds now: what was added since goes to the
        deltas, what was removed since is marked dead (a merge follows at the first search if that is many)."""
        saved = self._newest_saved()
        words = self.names.words
        if saved is None or not self._load_words(saved):
            for aid, low in self.lower_texts.items():
                words.put(aid, low)
        if saved is None:
            return
        try:
            if not self._bm25.load(saved):
                return
            base = set(self._bm25.base_ids)
            for cid in base - self.refs.keys():
                self._bm25.remove(cid)
            for cid, ref in self.refs.items():
                if cid not in base:
                    self._bm25.add(cid, self._tokens_of(ref))
        except Exception as exc:  # a damaged cache is rebuilt, never trusted
            log.warning("ignoring the saved BM25 index in %s: %s", saved, exc)
            self._bm25 = SegmentedBM25()

    def _newest_saved(self) -> Path | None:
        if self.folder is None or not self.folder.is_dir():
            return None
        dirs = [d for d in self.folder.iterdir() if d.is_dir() and not d.name.startswith("tmp-")]
        return max(dirs, key=lambda d: d.stat().st_mtime, default=None)

    def _load_words(self, saved: Path) -> bool:
        words = self.names.words
        try:
            if not words.load(saved):
                return False
        except Exception as exc:
            log.warning("ignoring the saved word index in %s: %s", saved, exc)
            self.names.words = type(words)()
            return False
        for aid, low in self.lower_texts.items():
            if aid not in words.base_set:
                words.put(aid, low)
        words.dead = words.base_set - self.lower_texts.keys()
        return True

    def _save(self) -> None:
        if self.folder is None or not self.token or (self.folder / self.token).exists():
            return
        tmp = self.folder / f"tmp-{uuid.uuid4().hex}"
        try:
            with self.names._lock:
                self.names.words.save(tmp)
            if self._bm25.save(tmp):
                tmp.rename(self.folder / self.token)  # another process saving the same token: one rename wins
        except OSError as exc:
            log.warning("could not save the BM25 index in %s: %s", self.folder, exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in self.folder.iterdir() if self.folder.is_dir() else ():
            if old.name != self.token and not old.name.startswith("tmp-"):
                shutil.rmtree(old, ignore_errors=True)


def _complete(store: Store, shown: dict[str, StoredArticle], refs: list[ChunkRef]) -> list[ChunkRef]:
    """Chunks are read in offset pages, and a delete by another process between pages shifts the offsets: any
    article that came back short is read again by its id."""
    have = Counter(c.article_id for c in refs)
    short = [aid for aid, rec in shown.items() if have[aid] != rec.chunks]
    if not short:
        return refs
    again = set(short)
    return [c for c in refs if c.article_id not in again] + store.chunk_refs(short)
