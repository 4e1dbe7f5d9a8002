"""The Chroma side of the store: its collections, the writer lock, writes and reads.

Collections (one Chroma database, embedded or a server):
    askcelebs_articles   one record per article: full normalised text + metadata; its embedding is the mean of
                         its chunks'. Writing this record is the commit point of an add.
    askcelebs_chunks     runs of sentences (offsets into the article text), embedded, for dense retrieval
    askcelebs_sentences  every sentence (offsets), embedded, for picking quotes
    askcelebs_meta       the store's identity (embedding model, current generation) and a change token readers poll

A rebuild writes a new generation of the three collections beside the current one and switches with one write of
the identity record (generations.py); until then every reader and writer uses the current generation.

Consistency without transactions:
    - An article is visible only when its article record exists, and only the newest record per source is
      visible. So an add, a replace (new record, then old one deleted) and a remove (record deleted first)
      each switch what readers see with a single record write or delete.
    - Chunks and sentences are written before the record and deleted after it; leftovers of a killed writer are
      invisible (their article has no record) and are swept by the next writer (leftovers.py).
    - Every write ends by writing a new change token; readers compare tokens and refresh only what changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import numpy as np

from . import faults, generations, storelock
from ..config import Settings
from ..errors import ModelMismatchError, StoreBusyError, StoreError, StoreUnavailableError
from .leftovers import Leftovers
from .paged import get_all
from .people import detect_people
from .records import ArticleWrite, ChunkRef, StoredArticle, _chunk_ref, _meta_of, _stored, visible

ARTICLES, CHUNKS, SENTENCES, META = "askcelebs_articles", "askcelebs_chunks", "askcelebs_sentences", "askcelebs_meta"
SCHEMA = 1
# The vector index is approximate; with Chroma's default ef_search (100) two builds of the same articles rank the
# 40 dense candidates differently, and answers change with them. At 200 the search is exact at our sizes.
EF_SEARCH = 200


class Store(Leftovers):
    """Chroma access for one store; safe to share between threads of one process."""

    def __init__(self, settings: Settings, model_name: str, dim: int, *, check_model: bool = True,
                 inspect_only: bool = False):
        """`inspect_only` (doctor, export): change nothing on open, not even an empty store's identity."""
        self.settings = settings
        self.inspect_only = inspect_only
        self.generation = 0  # which set of collections is current (see generations.py)
        self._pinned = False  # a rebuild's view of its target generation: never follows the identity record
        self.rebuild_state: dict[str, Any] | None = None
        self.model_name = model_name
        self.dim = dim
        self.location = settings.chroma_url or str(Path(settings.store).resolve())
        self._write_lock = threading.RLock()
        self._file_lock = None
        self.epoch = 0  # bumped when the collections were recreated (a rebuild elsewhere) and reopened here
        self.touch_listeners: list = []  # f(store, token) after every change token written (the side journal)
        with self.guard("open"):
            self.client = self._connect()
            self.meta = self._collection(META)
            self.generation = self._current_generation()
            self._open_collections()
            self._batch = max(1, min(self.client.get_max_batch_size(), 2000))
        self._check_identity(check_model)
        if not inspect_only:
            self._sweep_generations()

    # --- connection ----------------------------------------------------------------------------------------

    @property
    def is_server(self) -> bool:
        return bool(self.settings.chroma_url)

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.is_server:
            url = urlparse(self.settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreError(f"ASKCELEBS_CHROMA_URL {self.settings.chroma_url!r} is not an http(s)://host:port URL")
            import httpx

            port = url.port or (443 if url.scheme == "https" else 80)
            timeout = httpx.Timeout(self.settings.chroma_timeout)
            # chromadb's HttpClient talks to the server while it is built and never times out: check first, bounded
            httpx.get(f"{url.scheme}://{url.netloc}/api/v2/heartbeat", timeout=timeout).raise_for_status()
            client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https",
                                         settings=chroma_settings)
            client._server._session.timeout = timeout  # a hung server: StoreUnavailableError, not a hang
            client.heartbeat()
            return client
        path = Path(self.settings.store)
        if path.is_dir():
            storelock.check_not_served(path)
            faults.check_database(path)
            faults.check_integrity(path)
        elif self.inspect_only:
            raise StoreError(f"store {self.location} does not exist")
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        if not self.inspect_only:
            faults.mark_store(path)
        return client

    def _collection(self, name: str):
        hnsw = {"space": "cosine", "ef_search": EF_SEARCH}
        col = self.client.get_or_create_collection(name, configuration={"hnsw": hnsw}, embedding_function=None)
        if (col.configuration.get("hnsw") or {}).get("ef_search", EF_SEARCH) < EF_SEARCH and not self.inspect_only:
            col.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})  # a store made before: same answers
        return col

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Turn Chroma and network failures into StoreErrors that say where and what."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            if self.is_server and _is_connection_error(exc):
                raise StoreUnavailableError(
                    f"cannot reach Chroma at {self.settings.chroma_url} ({what}): {faults._short(exc)}. "
                    "Is the server running? Start one with `chroma run --path DIR --port N`."
                ) from exc
            if type(exc).__name__ == "NotFoundError" and "Collection" in str(exc):
                raise StoreError(
                    f"store {self.location}: {what} failed: its collections were dropped, most likely by "
                    "`askcelebs rebuild` running in another process; try again when it has finished."
                ) from exc
            raise self._classified(exc, what) from exc
        except BaseException as exc:  # a Rust panic in Chroma (a damaged file) is a BaseException
            if type(exc).__name__ != "PanicException":
                raise
            raise self._classified(exc, what) from exc

    def _classified(self, exc: BaseException, what: str) -> StoreError:
        path = None if self.is_server else Path(self.settings.store)
        return faults.classify(exc, self.location, path, what) or \
            StoreError(f"store {self.location}: {what} failed: {faults._short(exc)}")

    # --- identity ------------------------------------------------------------------------------------------

    def _check_identity(self, check_model: bool) -> None:
        with self.guard("read identity"):
            got = self.meta.get(ids=["identity"], include=["metadatas"])
        if not got["ids"]:
            if self.inspect_only:
                self.built_with = None
                return
            self.set_identity()
            return
        meta = got["metadatas"][0]
        self.built_with = meta.get("embedding_model")
        if check_model and (self.built_with != self.model_name or int(meta.get("dim", 0)) != self.dim):
            raise ModelMismatchError(
                f"store {self.location} was built with embedding model {self.built_with!r} but this run uses "
                f"{self.model_name!r}. Run `askcelebs rebuild` to re-embed every stored article with the current "
                "model, or set ASKCELEBS_EMBEDDING_MODEL / ASKCELEBS_EMBEDDING_BACKEND back to match the store."
            )

    def set_identity(self, generation: int | None = None) -> None:
        """One record write: with a new generation, this is the moment a rebuild becomes what everyone sees."""
        ch = self.settings.chunking
        meta = {"embedding_model": self.model_name, "dim": self.dim, "schema": SCHEMA, "chunk_chars": ch.chunk_chars,
                "overlap_sentences": ch.overlap_sentences,
                "generation": self.generation if generation is None else generation}
        with self.guard("write identity"):
            self.meta.upsert(ids=["identity"], embeddings=[[1.0]], metadatas=[meta])
        self.built_with = self.model_name

    # --- locking -------------------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer per store: threads of this process queue, another process gets StoreBusyError at once."""
        with self._write_lock:
            if self.is_server:
                yield
                return
            from filelock import FileLock, Timeout

            if self._file_lock is None:
                self._file_lock = FileLock(str(Path(self.settings.store) / ".askcelebs-write.lock"), timeout=0)
            if self._file_lock.is_locked:  # re-entered from this thread
                yield
                return
            try:
                self._file_lock.acquire(timeout=0)
            except Timeout:
                raise StoreBusyError(
                    f"store {self.location} is busy: another askcelebs process is writing to it. "
                    "Try again when it has finished."
                ) from None
            try:
                yield
            finally:
                self._file_lock.release()

    # --- reads ---------------------------------------------------------------------------------------------

    def change_token(self) -> str:
        with self.guard("read change token"):
            got = self.meta.get(ids=["version"], include=["metadatas"])
        if not got["ids"]:
            return ""
        meta = got["metadatas"][0]
        if meta.get("articles", str(self.articles.id)) != str(self.articles.id) and not self._pinned:
            self._reopen()  # another process rebuilt the store: the collections were dropped and recreated
        return meta["token"]

    def _reopen(self) -> None:
        with self.guard("reopen collections"):
            self.generation = self._current_generation()
            self._open_collections()
        self.epoch += 1

    def _open_collections(self) -> None:
        articles, chunks, sentences = generations.names(self.generation)
        self.articles = self._collection(articles)
        self.chunks = self._collection(chunks)
        self.sentences = self._collection(sentences)

    def _current_generation(self) -> int:
        got = self.meta.get(ids=["identity"], include=["metadatas"])
        return int(got["metadatas"][0].get("generation", 0)) if got["ids"] else 0

    def view(self, generation: int) -> "Store":
        """This store's client and writer lock over another generation's collections: a rebuild's target."""
        other = copy.copy(self)
        other.generation, other._pinned = generation, True
        with other.guard(f"open generation {generation}"):
            other._open_collections()
        return other

    def records(self, ids: list[str] | None = None, with_text: bool = False) -> list[StoredArticle]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        with self.guard("list articles"):
            got = get_all(self.articles, ids=ids, include=include)
        docs = got.get("documents") or [None] * len(got["ids"])
        return [_stored(i, m, d) for i, m, d in zip(got["ids"], got["metadatas"], docs)]

    def list_articles(self, with_text: bool = False) -> list[StoredArticle]:
        shown, _ = visible(self.records(with_text=with_text))
        return sorted(shown.values(), key=lambda a: a.added_ns)

    def chunk_refs(self, article_ids: list[str] | None = None) -> list[ChunkRef]:
        where = {"article_id": {"$in": article_ids}} if article_ids is not None else None
        if article_ids == []:
            return []
        with self.guard("read chunks"):
            got = get_all(self.chunks, where=where)
        return [_chunk_ref(i, m) for i, m in zip(got["ids"], got["metadatas"])]

    def dense(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first."""
        with self.guard("vector search"):  # chroma returns fewer than k when it holds fewer: no count() first
            got = self.chunks.query(query_embeddings=[query.tolist()], n_results=k, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    def sentence_data(self, ids: list[str]) -> dict[str, tuple[int, int, np.ndarray]]:
        """sentence id -> (start, end, embedding); ids that do not exist are skipped."""
        if not ids:
            return {}
        with self.guard("read sentences"):
            got = get_all(self.sentences, ids=ids, include=["embeddings", "metadatas"])
        return {i: (int(m["start"]), int(m["end"]), np.asarray(e, np.float32))
                for i, m, e in zip(got["ids"], got["metadatas"], got["embeddings"])}

    def row_counts(self) -> list[int]:
        """Article records and chunks: what the side journal checks (a write it did not see changes one). The
        sentences are left out: a first count() of a collection loads its vector index, the largest one here."""
        with self.guard("count"):
            return [self.articles.count(), self.chunks.count()]

    def count(self) -> dict[str, int]:
        with self.guard("count"):
            return {"article_records": self.articles.count(), "chunks": self.chunks.count(),
                    "sentences": self.sentences.count()}

    # --- writes (call inside `writing()`) ------------------------------------------------------------------

    def write_articles(self, items: list[ArticleWrite]) -> list[tuple[StoredArticle, list[ChunkRef]]]:
        """Write a group of articles: pending markers, sentences, chunks, then the article records (one write,
        each record its own commit point), then what they supersede. Returns what was stored, for the side
        index."""
        if not items:
            return []
        ids = [it.article.article_id for it in items]
        s_ids, s_docs, s_meta, c_ids, c_docs, c_meta = [], [], [], [], [], []
        for it in items:
            aid, text = it.article.article_id, it.article.text
            s_ids += [f"{aid}:s{i}" for i in range(len(it.sentences))]
            s_docs += [text[s.start:s.end] for s in it.sentences]
            s_meta += [{"article_id": aid, "i": i, "start": s.start, "end": s.end} for i, s in enumerate(it.sentences)]
            c_ids += [f"{aid}:{c.index}" for c in it.chunks]
            c_docs += [text[c.start:c.end] for c in it.chunks]
            c_meta += [{"article_id": aid, "i": c.index, "start": c.start, "end": c.end, "s0": c.first_sentence,
                        "s1": c.last_sentence, "title": it.article.title, "source": it.article.source}
                       for c in it.chunks]
        people = [it.people if it.people is not None else detect_people(it.article.text) for it in items]
        metas = [_meta_of(it.article, len(it.chunks), len(it.sentences), p, it.shingles, it.events, it.entities)
                 for it, p in zip(items, people)]
        if not self.is_server:
            need = faults.add_estimate(sum(len(it.article.text) for it in items), len(s_ids) + len(c_ids) + len(ids),
                                       self.dim)
            faults.need_space(Path(self.settings.store), need, f"adding {len(items)} article(s)")
        with self.guard(f"write {len(items)} article(s)"):
            self.mark_pending(ids)
            self._upsert(self.sentences, s_ids, np.concatenate([it.sentence_emb for it in items]), s_docs, s_meta)
            self._upsert(self.chunks, c_ids, np.concatenate([it.chunk_emb for it in items]), c_docs, c_meta)
            # one upsert for the group's records (each record is still its own commit point): Chroma's cost is
            # mostly per call (~20 ms), so a record per call was a third of the ingest time besides embedding
            self._upsert(self.articles, ids, np.stack([it.article_emb for it in items]),
                         [it.article.text for it in items], metas)
            for it in items:
                for old in it.supersedes:
                    if old != it.article.article_id:
                        self.delete_article(old)
            self.clear_pending(ids)
        refs: dict[str, list[ChunkRef]] = {aid: [] for aid in ids}
        for cid, meta in zip(c_ids, c_meta):
            refs[meta["article_id"]].append(_chunk_ref(cid, meta))
        return [(_stored(aid, meta, it.article.text), refs[aid]) for aid, meta, it in zip(ids, metas, items)]

    def update_record(self, article_id: str, changes: dict[str, Any]) -> StoredArticle:
        """Change an article record's metadata in place (text, chunks and embeddings stay)."""
        with self.guard(f"update article {article_id}"):
            got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
            if not got["ids"]:
                raise StoreError(f"article {article_id} is no longer in the store")
            meta = dict(got["metadatas"][0])
            for key, value in changes.items():
                meta[key] = value.isoformat() if isinstance(value, dt.date) else (value or "")
            self.articles.update(ids=[article_id], metadatas=[meta])
            if "title" in changes:
                ids = get_all(self.chunks, where={"article_id": article_id}, include=[])["ids"]
                if ids:
                    self.chunks.update(ids=ids, metadatas=[{"title": meta["title"]}] * len(ids))
        return _stored(article_id, meta, got["documents"][0])

    def delete_article(self, article_id: str) -> None:
        with self.guard(f"remove article {article_id}"):
            self.articles.delete(ids=[article_id])
            self.chunks.delete(where={"article_id": article_id})
            self.sentences.delete(where={"article_id": article_id})

    def touch(self) -> str:
        token = uuid.uuid4().hex
        with self.guard("write change token"):
            self.meta.upsert(ids=["version"], embeddings=[[1.0]],
                             metadatas=[{"token": token, "at": time.time(), "articles": str(self.articles.id)}])
        for listener in list(self.touch_listeners):
            listener(self, token)
        return token

    def _upsert(self, collection, ids, embeddings, documents, metadatas) -> None:
        for i in range(0, len(ids), self._batch):
            sl = slice(i, i + self._batch)
            collection.upsert(ids=ids[sl], embeddings=np.asarray(embeddings[sl], np.float32),
                              documents=documents[sl], metadatas=metadatas[sl])


def _is_connection_error(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    text = " ".join(str(e) for e in _chain(exc)).lower()
    return bool(names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ConnectionError",
                         "ConnectionRefusedError", "ReadError", "WriteError", "PoolTimeout"}) or \
        "could not connect" in text or "connection refused" in text


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__

