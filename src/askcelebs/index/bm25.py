"""BM25 over chunks in segments, so a change never rebuilds the whole index.

    base    a bm25s index over every chunk at the time it was built (the only part at a cold start or after a
            merge, so rankings then are exactly bm25s's), optionally saved next to the store and memory-mapped
    delta   the chunks added since, scored in Python with the combined corpus statistics (N, document
            frequency, mean length), the same Lucene BM25 formula bm25s uses
    dead    base chunks removed since; filtered out of results

A search asks for a merge (a new base over all live chunks) once the delta or the dead set passes a size.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from pathlib import Path

K1, B = 1.5, 0.75  # bm25s's defaults, which the base is built with
MERGE_MIN = 2000  # chunks in the delta (or dead) before a merge; or a tenth of the base, whichever is larger


class SegmentedBM25:
    """Not thread-safe by itself: the side index calls it under its lock."""

    def __init__(self) -> None:
        self.base = None
        self.base_ids: list[str] = []
        self.base_len = 0  # total tokens in the base, for the mean document length
        self.dead: set[str] = set()
        self.delta: dict[str, Counter[str]] = {}
        self.delta_len: dict[str, int] = {}
        self.delta_df: Counter[str] = Counter()
        self.stale = True  # no base yet: the next search builds one

    @property
    def size(self) -> int:
        return len(self.base_ids) - len(self.dead) + len(self.delta)

    def needs_merge(self) -> bool:
        limit = max(MERGE_MIN, len(self.base_ids) // 10)
        return self.stale or len(self.delta) > limit or len(self.dead) > limit

    def build(self, chunk_ids: list[str], corpus: list[list[str]]) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
        self.base = bm25s.BM25(k1=K1, b=B)
        if corpus:
            self.base.index(corpus, show_progress=False)
        self.base_ids = list(chunk_ids)
        self.base_len = sum(len(t) for t in corpus)
        self.dead, self.delta, self.delta_len, self.delta_df = set(), {}, {}, Counter()
        self.stale = False

    def add(self, chunk_id: str, tokens: list[str]) -> None:
        if self.stale:
            return
        tf = Counter(tokens)
        self.delta[chunk_id] = tf
        self.delta_len[chunk_id] = len(tokens)
        self.delta_df.update(tf.keys())

    def remove(self, chunk_id: str) -> None:
        if self.stale:
            return
        tf = self.delta.pop(chunk_id, None)
        if tf is None:
            self.dead.add(chunk_id)
            return
        self.delta_len.pop(chunk_id)
        self.delta_df.subtract(tf.keys())

    def search(self, query_tokens: list[str], k: int) -> list[tuple[str, float]]:
        """(chunk_id, score), best first, over base and delta together."""
        if not query_tokens or not self.size:
            return []
        hits = self._base_hits(query_tokens, k) if self.base_ids else []
        if self.delta:
            hits += self._delta_hits(query_tokens)
            hits.sort(key=lambda h: -h[1])  # stable: base hits first among equals
        return hits[:k]

    def _base_hits(self, query_tokens: list[str], k: int) -> list[tuple[str, float]]:
        n = len(self.base_ids)
        ids, scores = self.base.retrieve([query_tokens], k=min(k + len(self.dead), n), show_progress=False,
                                        n_threads=1)
        out = [(self.base_ids[int(i)], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
        return [h for h in out if h[0] not in self.dead][:k] if self.dead else out

    def _delta_hits(self, query_tokens: list[str]) -> list[tuple[str, float]]:
        n_docs = self.size
        avg = (self.base_len + sum(self.delta_len.values())) / max(1, len(self.base_ids) + len(self.delta))
        vocab = self.base.vocab_dict if self.base is not None and self.base_ids else {}
        indptr = self.base.scores["indptr"] if vocab else None
        scores: dict[str, float] = {}
        for t in query_tokens:
            df = self.delta_df.get(t, 0)
            if not df:
                continue
            if t in vocab:
                tid = vocab[t]
                df += int(indptr[tid + 1] - indptr[tid])
            idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            for cid, tf in self.delta.items():
                f = tf.get(t)
                if f:
                    norm = K1 * ((1 - B) + B * self.delta_len[cid] / avg)
                    scores[cid] = scores.get(cid, 0.0) + idf * f / (norm + f)
        return [(cid, s) for cid, s in scores.items() if s > 0]

    # --- persistence: only a merged base (no delta, no dead) is saved ----------------------------------------

    def save(self, folder: Path) -> bool:
        if self.stale or self.delta or self.dead or self.base is None:
            return False
        folder.mkdir(parents=True, exist_ok=True)
        if self.base_ids:
            self.base.save(str(folder))
        (folder / "askcelebs-bm25.json").write_text(json.dumps({"ids": self.base_ids, "len": self.base_len}))
        return True

    def load(self, folder: Path) -> bool:
        import bm25s

        meta = folder / "askcelebs-bm25.json"
        if not meta.exists():
            return False
        saved = json.loads(meta.read_text())
        self.base = bm25s.BM25.load(str(folder), mmap=True) if saved["ids"] else bm25s.BM25(k1=K1, b=B)
        self.base_ids, self.base_len = saved["ids"], saved["len"]
        self.dead, self.delta, self.delta_len, self.delta_df = set(), {}, {}, Counter()
        self.stale = False
        return True

