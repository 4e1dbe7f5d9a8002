"""Adding articles: decide what each input is (new, unchanged, replacement, duplicate), embed, write.

Work is batched across articles (one embedding pass, one NER pass and one write per collection for a group of
articles),
and nothing is embedded twice: sentences are embedded once, and chunk and article vectors are the normalised
means of their sentences' and chunks' vectors.
"""

from __future__ import annotations

import itertools
import logging
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from . import entities
from .articles import Article, expand_inputs, load
from .chunking import Chunk, Span, make_chunks, split_sentences
from .config import Settings
from .embedding import Embedder
from .errors import InputError, StoreError
from .events import article_events
from .index import ArticleWrite, SideIndex, Store
from .index.people import detect_people
from .people import is_cased

log = logging.getLogger(__name__)

NEAR_DUPLICATE_JACCARD = 0.5
_GROUP_SENTENCES = 512  # sentences embedded and written together


@dataclass
class AddResult:
    """What happened to one input: added / unchanged / replaced / duplicate / near-duplicate / error."""

    input: str
    status: str
    article_id: str | None = None
    title: str | None = None
    detail: str = ""
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "error"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        head = f"{self.status:<14} {self.input}"
        if self.status == "error":
            return f"{head}: {self.detail}"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{head} -> {self.article_id} {self.title!r}{extra}"


@dataclass
class Prepared:
    article: Article
    sentences: list[Span]
    chunks: list[Chunk]
    supersedes: list[str] = field(default_factory=list)
    result: AddResult | None = None
    shingles: set[int] | None = None


Progress = Callable[[str, int, int], None]  # (what, done, total)


def shingles(text: str) -> set[int]:
    """Sampled hashes of word 5-grams: enough to spot a syndicated copy with small edits, cheap to keep."""
    words = re.findall(r"\w+", text.lower())
    grams = (" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4)))
    return {h for h in (zlib.crc32(g.encode()) for g in grams) if h % 4 == 0}


class NearDuplicates:
    """Shingle hash -> articles: a numpy base (sorted hashes and their owners) built once per process from the
    hashes stored with each record, plus a dict delta for articles added since; removed base articles are
    filtered out. Sets per hash for every article took ~5 s at the first add of a process at 100k chunks."""

    def __init__(self) -> None:
        self.built = False
        self.hashes = np.zeros(0, np.uint32)  # sorted
        self.owners = np.zeros(0, np.int32)  # index into base_ids, per hash
        self.base_ids: list[str] = []
        self.dead: set[str] = set()
        self.postings: dict[int, set[str]] = {}  # the delta
        self.delta: dict[str, set[int]] = {}
        self.sizes: dict[str, int] = {}  # every live article -> its number of shingles

    def sync(self, side: SideIndex) -> None:
        if not self.built:
            self._build(side)
            return
        for aid in [a for a in self.sizes if a not in side.articles]:  # removed elsewhere
            self._forget(aid)
        for aid, rec in side.articles.items():
            if aid not in self.sizes:  # stored with the record at ingest: a new process does not recompute them
                self.add(aid, _stored_shingles(rec))

    def _build(self, side: SideIndex) -> None:
        ids, parts = [], []
        for aid, rec in side.articles.items():
            sh = _stored_shingles(rec)
            ids.append(aid)
            parts.append(sh)
            self.sizes[aid] = len(sh)
        lengths = [len(p) for p in parts]
        flat = np.fromiter(itertools.chain.from_iterable(parts), np.uint32, count=sum(lengths))
        owners = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
        order = np.argsort(flat, kind="stable")
        self.hashes, self.owners, self.base_ids = flat[order], owners[order], ids
        self.built = True

    def add(self, aid: str, sh: set[int]) -> None:
        self.sizes[aid] = len(sh)
        self.delta[aid] = sh
        for h in sh:
            self.postings.setdefault(h, set()).add(aid)

    def discard(self, aid: str, text: str) -> None:
        """Only the postings of the article's own shingles are touched."""
        if aid in self.sizes:
            self._forget(aid)

    def _forget(self, aid: str) -> None:
        self.sizes.pop(aid, None)
        self.dead.add(aid)  # for the base; a delta article's postings go now
        for h in self.delta.pop(aid, ()):
            posting = self.postings.get(h)
            if posting is not None:
                posting.discard(aid)
                if not posting:
                    del self.postings[h]

    def best(self, sh: set[int], exclude: Iterable[str] = ()) -> tuple[str, float] | None:
        if not sh:
            return None
        shared: dict[str, int] = {}
        if len(self.hashes):
            q = np.fromiter(sh, np.uint32, count=len(sh))
            lo, hi = np.searchsorted(self.hashes, q, "left"), np.searchsorted(self.hashes, q, "right")
            for a, b in zip(lo[hi > lo], hi[hi > lo]):
                for owner in self.owners[a:b]:
                    aid = self.base_ids[owner]
                    if aid not in self.dead and aid not in self.delta:  # a re-added one counts by its delta
                        shared[aid] = shared.get(aid, 0) + 1
        for h in sh:
            for aid in self.postings.get(h, ()):
                shared[aid] = shared.get(aid, 0) + 1
        skip = set(exclude)
        scored = [(aid, n / (len(sh) + self.sizes[aid] - n)) for aid, n in shared.items()
                  if aid not in skip and aid in self.sizes]
        return max(scored, key=lambda x: x[1]) if scored else None


def _stored_shingles(rec) -> set[int]:
    return {int(h, 16) for h in rec.shingles.split()} if rec.shingles is not None else shingles(rec.text)


class Ingestor:
    """The add/rebuild pipeline for one store; the caller holds the store's writer lock."""

    def __init__(self, settings: Settings, store: Store, side: SideIndex, embedder: Embedder):
        self.settings, self.store, self.side, self.embedder = settings, store, side, embedder
        self.near = NearDuplicates()

    def expand(self, inputs: Iterable[str]) -> tuple[list[str], list[AddResult]]:
        paths, errors = [], []
        for value in inputs:
            try:
                for item in expand_inputs(value):
                    if isinstance(item, InputError):  # a symlink out of the folder: reported, not followed
                        errors.append(AddResult(item.source, "error", detail=item.reason))
                    else:
                        paths.append(item)
            except Exception as exc:  # one unreadable input (or folder) never sinks the others
                errors.append(_error_result(value, exc, "listing"))
        return paths, errors

    def add_inputs(self, inputs: list[str], overrides: dict[str, Any], force: bool,
                   progress: Progress | None = None) -> list[AddResult]:
        results: list[AddResult] = []
        batch: list[Prepared] = []
        self.near.sync(self.side)
        for done, value in enumerate(inputs, 1):
            try:
                article = load(value, self.settings, **overrides)
                results.append(self._classify(value, article, batch, force))
            except StoreError:
                raise  # the index itself, not this input: every input would fail the same way
            except Exception as exc:  # a parser's unexpected exception is this input's error, not the batch's
                results.append(_error_result(value, exc, "reading"))
            if progress:
                progress("read", done, len(inputs))
        self.write(batch, progress, results)
        return results

    def add_articles(self, articles: list[tuple[str, Article]], force: bool,
                     progress: Progress | None = None) -> list[AddResult]:
        self.near.sync(self.side)
        batch: list[Prepared] = []
        results = []
        for label, art in articles:
            try:
                results.append(self._classify(label, art, batch, force))
            except StoreError:
                raise
            except Exception as exc:
                results.append(_error_result(label, exc, "reading"))
        self.write(batch, progress, results)
        return results

    def _classify(self, value: str, article: Article, batch: list[Prepared], force: bool) -> AddResult:
        aid = article.article_id
        same_source = list(self.side.by_source.get(article.source, ()))
        same_source += [p.article.article_id for p in batch if p.article.source == article.source]
        existing = self.side.articles.get(aid) or next((p.article for p in batch if p.article.article_id == aid), None)
        if existing is not None:
            if existing.source == article.source:
                return AddResult(value, "unchanged", aid, existing.title, chunks=getattr(existing, "chunks", 0))
            return AddResult(value, "duplicate", aid, existing.title, detail=f"duplicate of {aid} from {existing.source}")
        sh = shingles(article.text)
        if not force:
            near = self.near.best(sh, exclude=same_source)
            if near and near[1] >= NEAR_DUPLICATE_JACCARD:
                other = self.side.articles.get(near[0])
                title = other.title if other else near[0]
                return AddResult(value, "near-duplicate", near[0], title,
                                 detail=f"{near[1]:.0%} the same as {near[0]} ({title!r}); not added, use --force to add anyway")
        sentences = split_sentences(article.text, self.settings.chunking.max_sentence_chars)
        chunks = make_chunks(sentences, self.settings.chunking)
        status = "replaced" if same_source else "added"
        detail = [f"replaces {', '.join(same_source)}"] if same_source else []
        result = AddResult(value, status, aid, article.title, chunks=len(chunks),
                           detail="; ".join(detail + ([article.cut] if article.cut else [])))
        batch.append(Prepared(article, sentences, chunks, same_source, result, sh))
        self.near.add(aid, sh)
        return result

    def write(self, batch: list[Prepared], progress: Progress | None = None,
              results: list[AddResult] | None = None) -> None:
        """Embed and write in groups; each article becomes visible when its own record is written. A group that
        fails with anything but a StoreError is retried one article at a time, so only the article that fails
        becomes an error (its row in `results` is replaced) and the others are written."""
        count = _Count(sum(len(p.sentences) for p in batch), len(batch), progress)
        for group in _groups(batch):
            try:
                self._write_group(group, count)
            except StoreError:
                raise
            except Exception:
                if results is None:
                    raise
                log.debug("writing %d articles failed; retrying them one by one", len(group), exc_info=True)
                for p in group:
                    if self.side.articles.get(p.article.article_id) is not None:
                        continue  # written before the group failed
                    try:
                        self._write_group([p], count)
                    except StoreError:
                        raise
                    except Exception as exc:
                        self.near.discard(p.article.article_id, p.article.text)
                        results[results.index(p.result)] = _error_result(p.result.input, exc, "indexing")

    def _write_group(self, group: list[Prepared], count: "_Count") -> None:
        texts = [p.article.text[s.start:s.end] for p in group for s in p.sentences]
        emb = self.embedder.embed(texts, progress=count.embedded)
        found = entities.extract_many([p.article.text for p in group])
        offset = 0
        items = []
        for p, ents in zip(group, found):
            people = entities.people(p.article.text, ents) if is_cased(p.article.text) else detect_people(p.article.text)
            s_emb = emb[offset:offset + len(p.sentences)]
            offset += len(p.sentences)
            c_emb = np.stack([_mean(s_emb[c.first_sentence:c.last_sentence]) for c in p.chunks])
            items.append(ArticleWrite(p.article, p.sentences, p.chunks, s_emb, c_emb, _mean(c_emb), p.supersedes,
                                      people=people, shingles=p.shingles, entities=entities.encode(ents),
                                      events=article_events(p.article, p.sentences, [n for n, _ in people])))
        for (rec, refs), p in zip(self.store.write_articles(items), group):
            for old in p.supersedes:
                old_rec = self.side.articles.get(old)
                if old_rec is not None:
                    self.near.discard(old, old_rec.text)
            self.side.add(rec, refs, removed=p.supersedes)
        count.written(len(group))


@dataclass
class _Count:
    """Progress across the groups of one write (and their one-by-one retries)."""

    sentences: int
    articles: int
    progress: Progress | None
    done: int = 0
    wrote: int = 0

    def embedded(self, n: int) -> None:
        self.done = min(self.sentences, self.done + n)
        if self.progress:
            self.progress("embed", self.done, self.sentences)

    def written(self, n: int) -> None:
        self.wrote = min(self.articles, self.wrote + n)
        if self.progress:
            self.progress("write", self.wrote, self.articles)


def _error_result(value: str, exc: Exception, stage: str) -> AddResult:
    """One input's failure as its `error` row: an InputError's reason as it is, anything else with its type (the
    traceback goes to the debug log: ASKCELEBS_DEBUG=1 or --debug shows it)."""
    if isinstance(exc, InputError):
        return AddResult(value, "error", detail=exc.reason)
    log.debug("%s failed while %s", value, stage, exc_info=exc)
    detail = f"failed while {stage} ({type(exc).__name__}: {exc})" if str(exc) else f"failed while {stage} ({type(exc).__name__})"
    return AddResult(value, "error", detail=detail)


def _groups(batch: list[Prepared]) -> Iterable[list[Prepared]]:
    group: list[Prepared] = []
    size = 0
    for p in batch:
        group.append(p)
        size += len(p.sentences)
        if size >= _GROUP_SENTENCES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _mean(vectors: np.ndarray) -> np.ndarray:
    v = vectors.mean(axis=0)
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)
