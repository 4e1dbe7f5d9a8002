"""The store: Chroma collections, the in-memory side index (BM25, chunk table) kept in sync, the writer lock.

Collections (one Chroma database, embedded or a server):
    askcelebs_articles   one record per article: full normalised text + metadata; its embedding is the mean of
                         its chunks'. Writing this record is the commit point of an add.
    askcelebs_chunks     runs of sentences (offsets into the article text), embedded, for dense retrieval
    askcelebs_sentences  every sentence (offsets), embedded, for picking quotes
    askcelebs_meta       the store's identity (embedding model) and a change token readers poll

Consistency without transactions:
    - An article is visible only when its article record exists, and only the newest record per source is
      visible. So an add, a replace (new record, then old one deleted) and a remove (record deleted first)
      each switch what readers see with a single record write or delete.
    - Chunks and sentences are written before the record and deleted after it; leftovers of a killed writer are
      invisible (their article has no record) and are swept by the next writer.
    - Every write ends by writing a new change token; readers compare tokens and refresh only what changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse

import numpy as np

from .articles import Article
from .chunking import Chunk, Span
from .config import Settings
from .errors import ModelMismatchError, StoreBusyError, StoreError, StoreUnavailableError

log = logging.getLogger(__name__)

ARTICLES, CHUNKS, SENTENCES, META = "askcelebs_articles", "askcelebs_chunks", "askcelebs_sentences", "askcelebs_meta"
SCHEMA = 1
# The vector index is approximate; with Chroma's default ef_search (100) two builds of the same articles rank the
# 40 dense candidates differently, and answers change with them. At 200 the search is exact at our sizes.
EF_SEARCH = 200
_STALE_PENDING_S = 3600  # on a shared server, only sweep leftovers this old (another writer may be mid-add)


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
    entities: str = "[]"  # entities.encode(...) of the article text


def _chunk_ref(chunk_id: str, meta: dict[str, Any]) -> ChunkRef:
    return ChunkRef(chunk_id, meta["article_id"], int(meta["i"]), int(meta["start"]), int(meta["end"]),
                    int(meta["s0"]), int(meta["s1"]))


def _meta_of(article: Article, n_chunks: int, n_sentences: int, entities: str = "[]") -> dict[str, Any]:
    meta = {
        "title": article.title, "source": article.source, "url": article.url or "",
        "published": article.published.isoformat() if article.published else "",
        "author": article.author or "", "outlet": article.outlet or "", "added_at": article.added_at,
        "added_ns": time.time_ns(), "chunks": n_chunks, "sentences": n_sentences,
        "entities": entities,
    }
    return meta


def _stored(article_id: str, meta: dict[str, Any], text: str | None) -> StoredArticle:
    pub = meta.get("published") or None
    return StoredArticle(
        article_id=article_id, title=meta.get("title", ""), source=meta.get("source", ""),
        url=meta.get("url") or None, published=dt.date.fromisoformat(pub) if pub else None,
        author=meta.get("author") or None, outlet=meta.get("outlet") or None, added_at=meta.get("added_at", ""),
        added_ns=int(meta.get("added_ns", 0)), chunks=int(meta.get("chunks", 0)),
        sentences=int(meta.get("sentences", 0)), text=text or "", entities_json=meta.get("entities"),
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


class Store:
    """Chroma access for one store; safe to share between threads of one process."""

    def __init__(self, settings: Settings, model_name: str, dim: int, *, check_model: bool = True):
        self.settings = settings
        self.model_name = model_name
        self.dim = dim
        self.location = settings.chroma_url or str(Path(settings.store).resolve())
        self._write_lock = threading.RLock()
        self._file_lock = None
        self.epoch = 0  # bumped when the collections were recreated (a rebuild elsewhere) and reopened here
        with self.guard("open"):
            self.client = self._connect()
            self._open_collections()
            self.meta = self._collection(META)
            self._batch = max(1, min(self.client.get_max_batch_size(), 2000))
        self._check_identity(check_model)

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
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

    def _collection(self, name: str):
        hnsw = {"space": "cosine", "ef_search": EF_SEARCH}
        col = self.client.get_or_create_collection(name, configuration={"hnsw": hnsw}, embedding_function=None)
        if (col.configuration.get("hnsw") or {}).get("ef_search", EF_SEARCH) < EF_SEARCH:
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
                    f"cannot reach Chroma at {self.settings.chroma_url} ({what}): {_short(exc)}. "
                    "Is the server running? Start one with `chroma run --path DIR --port N`."
                ) from exc
            if type(exc).__name__ == "NotFoundError" and "Collection" in str(exc):
                raise StoreError(
                    f"store {self.location}: {what} failed: its collections were dropped, most likely by "
                    "`askcelebs rebuild` running in another process; try again when it has finished."
                ) from exc
            raise StoreError(f"store {self.location}: {what} failed: {_short(exc)}") from exc

    # --- identity ------------------------------------------------------------------------------------------

    def _check_identity(self, check_model: bool) -> None:
        with self.guard("read identity"):
            got = self.meta.get(ids=["identity"], include=["metadatas"])
        if not got["ids"]:
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

    def set_identity(self) -> None:
        ch = self.settings.chunking
        meta = {"embedding_model": self.model_name, "dim": self.dim, "schema": SCHEMA, "chunk_chars": ch.chunk_chars,
                "overlap_sentences": ch.overlap_sentences}
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
        if meta.get("articles", str(self.articles.id)) != str(self.articles.id):
            self._reopen()  # another process rebuilt the store: the collections were dropped and recreated
        return meta["token"]

    def _reopen(self) -> None:
        with self.guard("reopen collections"):
            self._open_collections()
        self.epoch += 1

    def _open_collections(self) -> None:
        self.articles = self._collection(ARTICLES)
        self.chunks = self._collection(CHUNKS)
        self.sentences = self._collection(SENTENCES)

    def records(self, ids: list[str] | None = None, with_text: bool = False) -> list[StoredArticle]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        with self.guard("list articles"):
            got = self.articles.get(ids=ids, include=include)
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
            got = self.chunks.get(where=where, include=["metadatas"])
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
            got = self.sentences.get(ids=ids, include=["embeddings", "metadatas"])
        return {i: (int(m["start"]), int(m["end"]), np.asarray(e, np.float32))
                for i, m, e in zip(got["ids"], got["metadatas"], got["embeddings"])}

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
        metas = [_meta_of(it.article, len(it.chunks), len(it.sentences), it.entities) for it in items]
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

    # A writer killed mid-add leaves passages without a record. Embedded, the file lock means one writer, so a
    # marker file says "a write was interrupted: scan for orphans" (two Chroma calls per add saved). On a server,
    # another instance may be mid-add, so each add leaves a timestamped marker record that only ages into sweepable.

    @property
    def _pending_file(self) -> Path:
        return Path(self.settings.store) / ".askcelebs-write-in-progress"

    def mark_pending(self, ids: list[str]) -> None:
        if not self.is_server:
            self._pending_file.touch()
            return
        self.meta.upsert(ids=[f"pending:{a}" for a in ids], embeddings=[[1.0]] * len(ids),
                         metadatas=[{"kind": "pending", "article_id": a, "at": time.time()} for a in ids])

    def clear_pending(self, ids: list[str]) -> None:
        if not self.is_server:
            self._pending_file.unlink(missing_ok=True)
            return
        self.meta.delete(ids=[f"pending:{a}" for a in ids])

    def _orphans(self, committed: set[str]) -> set[str]:
        """Article ids that have passages but no record: what interrupted adds left behind."""
        if not self.is_server:
            if not self._pending_file.exists():
                return set()
            found = {m["article_id"] for col in (self.chunks, self.sentences)
                     for m in col.get(include=["metadatas"])["metadatas"]}
            return found - committed
        pending = self.meta.get(where={"kind": "pending"}, include=["metadatas"])
        stale = set()
        for pid, meta in zip(pending["ids"], pending["metadatas"]):
            if time.time() - float(meta.get("at", 0)) < _STALE_PENDING_S:
                continue  # maybe another instance's add in progress
            stale.add(meta["article_id"])
            self.meta.delete(ids=[pid])
        return stale - committed

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
        return token

    def sweep(self) -> int:
        """Remove what interrupted writers left: data of never-committed adds, superseded records."""
        swept = 0
        if not self.is_server and not self._pending_file.exists():
            return 0  # embedded, every write (add, replace, remove) finished: nothing can be left over
        with self.guard("sweep"):
            records = self.records()
            for aid in self._orphans({r.article_id for r in records}):
                self.chunks.delete(where={"article_id": aid})
                self.sentences.delete(where={"article_id": aid})
                swept += 1
            if not self.is_server:
                self._pending_file.unlink(missing_ok=True)
            _, hidden = visible(records)
            for aid in hidden:
                self.delete_article(aid)
                swept += 1
        if swept:
            log.info("swept %d leftovers of interrupted writes", swept)
        return swept

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


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


# --- the side index ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves s t don ve ll re d
m o y still anymore currently tell know say said says
""".split())


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords, lightly stemmed, for BM25 and term overlap."""
    return [stem(t) for t in _TOKEN.findall(text.lower().replace("’", "'")) if t not in STOPWORDS]


def stem(token: str) -> str:
    token = token.split("'")[0]
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return token


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
            refs = [c for c in store.chunk_refs() if c.article_id in shown]
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
