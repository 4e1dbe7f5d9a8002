"""Word -> articles, for looking up the articles a name can be in (see people.NameIndex.articles_naming).

Kept like BM25 (bm25.py): a compact base (numpy arrays, saved next to an embedded store and loaded at a cold
start) plus a delta of Python sets for articles added since, and a dead set for base articles removed since.
Building sets for every word of every article was most of a cold start at 100k chunks; the base loads in
milliseconds and takes a tenth of the memory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

WORD = re.compile(r"\w+")


class WordPostings:
    """Not thread-safe by itself: NameIndex calls it under its lock."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.indptr = np.zeros(1, np.int64)
        self.docs = np.zeros(0, np.int32)
        self.base_ids: list[str] = []
        self.base_set: set[str] = set()
        self.dead: set[str] = set()
        self.delta: dict[str, set[str]] = {}
        self.delta_articles: set[str] = set()

    def put(self, article_id: str, lower_text: str) -> None:
        self.delta_articles.add(article_id)
        for w in set(WORD.findall(lower_text)):
            self.delta.setdefault(w, set()).add(article_id)

    def drop(self, article_id: str, lower_text: str) -> None:
        if article_id in self.base_set:
            self.dead.add(article_id)
        if article_id not in self.delta_articles:
            return
        self.delta_articles.discard(article_id)
        for w in set(WORD.findall(lower_text)):
            posting = self.delta.get(w)
            if posting is not None:
                posting.discard(article_id)
                if not posting:
                    del self.delta[w]

    def lookup(self, word: str) -> set[str]:
        out = set(self.delta.get(word, ()))
        col = self.vocab.get(word)
        if col is not None:
            ids = self.base_ids
            base = {ids[i] for i in self.docs[self.indptr[col]:self.indptr[col + 1]]}
            out |= base - self.dead if self.dead else base
        return out

    def compact(self) -> None:
        """One base over everything live: the delta folded in, dead articles left out."""
        live = [a for a in self.base_ids if a not in self.dead or a in self.delta_articles]
        live += sorted(self.delta_articles - set(live))
        index = {a: i for i, a in enumerate(live)}
        words = sorted(set(self.vocab) | set(self.delta))
        cols: list[np.ndarray] = []
        for w in words:
            got = set(self.delta.get(w, ()))
            col = self.vocab.get(w)
            if col is not None:
                got |= {self.base_ids[i] for i in self.docs[self.indptr[col]:self.indptr[col + 1]]} - self.dead
            cols.append(np.fromiter(sorted(index[a] for a in got if a in index), np.int32))
        lengths = np.array([len(c) for c in cols], np.int64)
        self.indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.docs = np.concatenate(cols).astype(np.int32) if cols else np.zeros(0, np.int32)
        self.vocab = {w: i for i, w in enumerate(words)}
        self.base_ids, self.base_set = live, set(live)
        self.dead, self.delta, self.delta_articles = set(), {}, set()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "words-indptr.npy", self.indptr)
        np.save(folder / "words-docs.npy", self.docs)
        words = sorted(self.vocab, key=self.vocab.get)
        (folder / "words.json").write_text(json.dumps({"words": words, "articles": self.base_ids}))

    def load(self, folder: Path) -> bool:
        meta = folder / "words.json"
        if not meta.exists():
            return False
        saved = json.loads(meta.read_text())
        self.indptr = np.load(folder / "words-indptr.npy")
        self.docs = np.load(folder / "words-docs.npy")
        self.vocab = {w: i for i, w in enumerate(saved["words"])}
        self.base_ids = saved["articles"]
        self.base_set = set(self.base_ids)
        self.dead, self.delta, self.delta_articles = set(), {}, set()
        return True
