"""What interrupted writers and finished or abandoned rebuilds leave behind: marked, found and swept.

A writer killed mid-add leaves passages without a record; a rebuild leaves the collections of other generations
and HNSW folders no collection owns. Mixed into `Store` (it uses the store's collections, `guard` and `writing`),
so these stay `Store` methods.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..errors import StoreBusyError
from . import generations
from .paged import get_all
from .records import visible

log = logging.getLogger(__name__)

_STALE_PENDING_S = 3600  # on a shared server, only sweep leftovers this old (another writer may be mid-add)


class Leftovers:
    """Store methods for leftovers. Sweeps run under the writer lock: callers of `sweep` hold `writing()`,
    `_sweep_generations` takes it (and skips when another process writes)."""

    def _sweep_generations(self) -> None:
        """Say when a rebuild is pending; drop what finished or abandoned rebuilds left (when nobody writes)."""
        with self.guard("read rebuild state"):
            self.rebuild_state = generations.read_state(self.meta)
        if self.rebuild_state:
            log.warning(generations.notice(self.rebuild_state, self.location))
        if self.is_server:
            return  # another instance may be mid-rebuild; only `rebuild` sweeps a server
        try:
            with self.writing(), self.guard("sweep old generations"):
                keep = {self.generation} | ({int(self.rebuild_state["target"])} if self.rebuild_state else set())
                generations.drop_others(self.client, keep)
                generations.remove_orphan_dirs(Path(self.settings.store))
        except StoreBusyError:
            pass  # a writer is at work; the next open sweeps

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
                     for m in get_all(col)["metadatas"]}
            return found - committed
        pending = get_all(self.meta, where={"kind": "pending"})
        stale = set()
        for pid, meta in zip(pending["ids"], pending["metadatas"]):
            if time.time() - float(meta.get("at", 0)) < _STALE_PENDING_S:
                continue  # maybe another instance's add in progress
            stale.add(meta["article_id"])
            self.meta.delete(ids=[pid])
        return stale - committed

    def write_interrupted(self) -> bool:
        """An embedded store whose last write did not finish: what it holds must be read, not trusted to files."""
        return not self.is_server and self._pending_file.exists()

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
