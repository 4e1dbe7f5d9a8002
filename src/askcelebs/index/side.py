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

from ..errors import StoreBusyError
from .bm25 import SegmentedBM25
from .people import NameIndex, detect_people
from .records import ChunkRef, StoredArticle, visible
from .snapshot import Journal, decode, encode
from .store import Store
from .tokens import tokenize


def _meta_key(rec: StoredArticle) -> tuple:
    return (rec.title, rec.url, rec.published, rec.author, rec.outlet)

log = logging.getLogger(__name__)
MERGE_AT_WRITE = 2000  # chunks: from this size a write that leaves BM25 due for a merge merges it (and saves it)


class SideIndex:
    """What each process keeps in memory: visible articles with text, the chunk table, BM25 and the name index.

    Built once at open, patched per article on add/remove and on a changed store token (each change costs what
    the changed articles cost, not what the store holds); never rebuilt per question. With a `folder` (an
    embedded store's), each merged BM25 base is saved there under the store's change token, and a cold start
    memory-maps the newest one and patches it instead of rebuilding; and the articles and chunk refs are kept
    there as a state plus a journal of writes (snapshot.py), read at a cold start instead of the whole store.
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
        self._journal = Journal(folder) if folder is not None else None
        self._pos: tuple[int, int] | None = None  # (state seq, journal offset) that self.token is at
        self._collection = ""  # the articles collection the journal describes
        self._changed: set[str] = set()  # articles this process put or edited since its last journal line
        self._dropped: set[str] = set()

    @property
    def chunks(self) -> list[ChunkRef]:
        """Every chunk ref, by article id and position (built on demand: use `refs` or `by_article` in loops)."""
        return [c for aid in sorted(self.by_article) for c in self.by_article[aid]]

    @property
    def chunk_count(self) -> int:
        return len(self.refs)

    def load(self, store: Store) -> None:
        if self.commit not in store.touch_listeners:
            store.touch_listeners.append(self.commit)
        with self._lock:
            token = store.change_token()
            self.epoch = store.epoch
            if self._load_state(store, token):
                self._load_saved()
                return
            self._reset(store)
            shown, _ = visible(store.records(with_text=True))
            refs = _complete(store, shown, [c for c in store.chunk_refs() if c.article_id in shown])
            for rec in shown.values():
                self._put(rec, words=False)
            self._put_chunks(refs)
            self.token = token
            self._load_saved()
            self._save_state_if_free(store)

    def _reset(self, store: Store) -> None:
        self.articles, self.lower_texts, self.by_source = {}, {}, {}
        self.refs, self.by_article = {}, {}
        self.names = NameIndex()
        self._bm25 = SegmentedBM25()
        self._pos, self._collection = None, str(store.articles.id)
        self._changed, self._dropped = set(), set()

    def refresh(self, store: Store) -> bool:
        """Cheap when nothing changed (one small read); loads only the articles that did change."""
        token = store.change_token()
        if store.epoch != self.epoch:  # rebuilt elsewhere: chunk boundaries may have changed, load it all
            self.load(store)
            return True
        if token == self.token:
            return False
        with self._lock:
            if self._follow_journal(store, token):
                return True
            records = store.records()
            shown, _ = visible(records)
            gone = [a for a in self.articles if a not in shown]
            new = [a for a in shown if a not in self.articles]
            self._remove(gone)
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
            self._pos = None  # the journal no longer follows from here; the next full load writes a new state
        return True

    def update(self, rec: StoredArticle) -> None:
        """New metadata for an article already indexed (same text, same chunks)."""
        with self._lock:
            if rec.article_id in self.articles:
                self.articles[rec.article_id] = dataclasses.replace(rec, text=self.articles[rec.article_id].text)
                self.generation += 1
                self._changed.add(rec.article_id)

    def add(self, rec: StoredArticle, refs: list[ChunkRef], removed: Iterable[str] = ()) -> None:
        with self._lock:
            self.remove(removed)
            self._put(rec)
            self._put_chunks(refs)
            self._changed.add(rec.article_id)

    def remove(self, article_ids: Iterable[str]) -> None:
        with self._lock:
            for aid in article_ids:
                if aid in self.articles:
                    self._dropped.add(aid)
                    self._changed.discard(aid)
            self._remove(article_ids)

    def _remove(self, article_ids: Iterable[str]) -> None:
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
            self._remove([rec.article_id])
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
                self._merge()
            return self._bm25.search(query_tokens, k)

    def _merge(self) -> None:
        refs = self.chunks
        self._bm25.build([c.chunk_id for c in refs], [self._tokens_of(c) for c in refs])
        with self.names._lock:
            self.names.words.compact()
        self._save()

    # --- the state and journal (snapshot.py): a cold start reads them instead of every record and chunk ----

    def _load_state(self, store: Store, token: str) -> bool:
        """The saved state, patched by the journal's writes since, if it ends at `token` with the store's counts;
        a write interrupted since (the pending marker) or one that bypassed the journal means the store is read."""
        if self._journal is None or store.write_interrupted():
            return False
        saved = self._journal.read_state(str(store.articles.id))
        if saved is None:
            return False
        items = {d["id"]: d for d in saved.articles}
        at, counts, offset = saved.header["token"], saved.header["counts"], 0
        for line, end in self._journal.lines(saved.seq):
            if line["after"] != at:
                break
            _apply_line(items, line)
            at, counts, offset = line["token"], line["counts"], end
        if at != token or counts != store.row_counts():
            return False
        self._reset(store)
        refs = []
        for d in items.values():
            rec, got = decode(d)
            self._put(rec, words=False)
            refs += got
        self._put_chunks(refs)
        self.token, self._pos = token, (saved.seq, offset)
        return True

    def _follow_journal(self, store: Store, token: str) -> bool:
        """Another process's writes, read from its journal lines (what changed, with texts) instead of the store."""
        if self._pos is None or self._collection != str(store.articles.id) or store.write_interrupted():
            return False
        seq, offset = self._pos
        lines, at = [], self.token
        for line, end in self._journal.lines(seq, offset):
            if line["after"] != at:
                return False
            lines.append(line)
            at, counts, offset = line["token"], line["counts"], end
        if at != token or not lines or counts != store.row_counts():
            return False
        for line in lines:
            self._remove(line["drop"])
            for d in line["put"]:
                rec, refs = decode(d)
                old = self.articles.get(rec.article_id)
                if old is not None and old.text == rec.text and old.chunks == rec.chunks:
                    self.articles[rec.article_id] = rec  # an edit of metadata: chunks and indexes stay
                    self.generation += 1
                    continue
                self._put(rec)
                self._put_chunks(refs)
        self.token, self._pos = token, (seq, offset)
        return True

    def commit(self, store: Store, token: str) -> None:
        """Called by Store.touch (under the writer lock) with the token it wrote: this process's changes since its
        last token become one journal line; past a size the journal is folded into a new state."""
        if self._journal is None:
            return
        with self._lock:
            changed, dropped = self._changed, self._dropped
            self._changed, self._dropped = set(), set()
            if self._pos is None or self._collection != str(store.articles.id):
                return
            seq, _ = self._pos
            line = {"after": self.token, "token": token, "counts": store.row_counts(), "drop": sorted(dropped),
                    "put": [encode(self.articles[a], self.by_article.get(a, [])) for a in sorted(changed)
                            if a in self.articles]}
            try:
                size = self._journal.append(seq, line)
            except OSError as exc:
                log.warning("could not write the side index journal in %s: %s", self.folder, exc)
                self._pos = None
                return
            self.token, self._pos = token, (seq, size)
            if self._journal.needs_compaction(seq, size):
                self._save_state(store)
            if self.chunk_count >= MERGE_AT_WRITE and self._bm25.needs_merge():
                self._merge()  # here, by the writer, so a new process never builds BM25 at its first question

    def _save_state_if_free(self, store: Store) -> None:
        """After reading the whole store: save it for the next cold start, if no other process is writing."""
        if self._journal is None or store.write_interrupted() or store.inspect_only:
            return
        try:
            with store.writing():
                if store.change_token() == self.token and not store.write_interrupted():
                    self._save_state(store)
        except StoreBusyError:
            pass

    def _save_state(self, store: Store) -> None:
        header = {"collection": str(store.articles.id), "token": self.token, "counts": store.row_counts()}
        articles = [encode(rec, self.by_article.get(aid, [])) for aid, rec in self.articles.items()]
        try:
            self._pos = (self._journal.write_state(header, articles), 0)
        except OSError as exc:
            log.warning("could not save the side index in %s: %s", self.folder, exc)
            self._pos = None

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
            if old.is_dir() and old.name != self.token and not old.name.startswith("tmp-"):
                shutil.rmtree(old, ignore_errors=True)


def _apply_line(items: dict[str, dict], line: dict) -> None:
    for aid in line["drop"]:
        items.pop(aid, None)
    for d in line["put"]:
        items[d["id"]] = d


def _complete(store: Store, shown: dict[str, StoredArticle], refs: list[ChunkRef]) -> list[ChunkRef]:
    """Chunks are read in offset pages, and a delete by another process between pages shifts the offsets: any
    article that came back short is read again by its id."""
    have = Counter(c.article_id for c in refs)
    short = [aid for aid, rec in shown.items() if have[aid] != rec.chunks]
    if not short:
        return refs
    again = set(short)
    return [c for c in refs if c.article_id not in again] + store.chunk_refs(short)
