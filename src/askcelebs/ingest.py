"""Adding articles: decide what each input is (new, unchanged, replacement, duplicate), embed, write.

Work is batched across articles (one embedding pass, one NER pass and one write per collection for a group of
articles),
and nothing is embedded twice: sentences are embedded once, and chunk and article vectors are the normalised
means of their sentences' and chunks' vectors.
"""

from __future__ import annotations

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
from .errors import AskCelebsError, InputError
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
    """Inverted index from shingle hash to articles, kept beside the side index."""

    def __init__(self) -> None:
        self.postings: dict[int, set[str]] = {}
        self.sizes: dict[str, int] = {}

    def sync(self, side: SideIndex) -> None:
        gone = [aid for aid in self.sizes if aid not in side.articles]
        if gone:  # removed elsewhere: their texts are gone too, so every posting is checked once
            dead = set(gone)
            for aid in gone:
                self.sizes.pop(aid)
            for h in list(self.postings):
                self.postings[h] -= dead
                if not self.postings[h]:
                    del self.postings[h]
        for aid, rec in side.articles.items():
            if aid not in self.sizes:  # stored with the record at ingest: a new process does not recompute them
                self.add(aid, {int(h, 16) for h in rec.shingles.split()} if rec.shingles is not None
                         else shingles(rec.text))

    def add(self, aid: str, sh: set[int]) -> None:
        self.sizes[aid] = len(sh)
        for h in sh:
            self.postings.setdefault(h, set()).add(aid)

    def discard(self, aid: str, text: str) -> None:
        """Only the postings of the article's own shingles are touched."""
        if self.sizes.pop(aid, None) is None:
            return
        for h in shingles(text):
            posting = self.postings.get(h)
            if posting is not None:
                posting.discard(aid)
                if not posting:
                    del self.postings[h]

    def best(self, sh: set[int], exclude: Iterable[str] = ()) -> tuple[str, float] | None:
        if not sh:
            return None
        shared: dict[str, int] = {}
        for h in sh:
            for aid in self.postings.get(h, ()):
                shared[aid] = shared.get(aid, 0) + 1
        skip = set(exclude)
        scored = [(aid, n / (len(sh) + self.sizes[aid] - n)) for aid, n in shared.items() if aid not in skip]
        return max(scored, key=lambda x: x[1]) if scored else None


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
            except InputError as exc:
                errors.append(AddResult(value, "error", detail=exc.reason))
        return paths, errors

    def add_inputs(self, inputs: list[str], overrides: dict[str, Any], force: bool,
                   progress: Progress | None = None) -> list[AddResult]:
        results: list[AddResult] = []
        batch: list[Prepared] = []
        self.near.sync(self.side)
        for done, value in enumerate(inputs, 1):
            try:
                article = load(value, self.settings, **overrides)
            except AskCelebsError as exc:
                results.append(AddResult(value, "error", detail=exc.reason if isinstance(exc, InputError) else str(exc)))
            else:
                results.append(self._classify(value, article, batch, force))
            if progress:
                progress("read", done, len(inputs))
        self.write(batch, progress)
        return results

    def add_articles(self, articles: list[tuple[str, Article]], force: bool,
                     progress: Progress | None = None) -> list[AddResult]:
        self.near.sync(self.side)
        batch: list[Prepared] = []
        results = [self._classify(label, art, batch, force) for label, art in articles]
        self.write(batch, progress)
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

    def write(self, batch: list[Prepared], progress: Progress | None = None) -> None:
        """Embed and write in groups; each article becomes visible when its own record is written."""
        total = sum(len(p.sentences) for p in batch)
        done = written = 0
        for group in _groups(batch):
            texts = [p.article.text[s.start:s.end] for p in group for s in p.sentences]

            def tick(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embed", done, total)

            emb = self.embedder.embed(texts, progress=tick)
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
            written += len(group)
            if progress:
                progress("write", written, len(batch))


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
