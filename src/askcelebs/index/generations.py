"""Generations of the store's collections: a rebuild writes a new set beside the current one and switches.

Generation 0 is the original names (askcelebs_articles, ...); generation N > 0 appends `_gN`. The identity record
in the meta collection says which generation is current, so switching is one record write. While a rebuild runs,
a `rebuild` record in the meta collection names its target generation: readers keep using the current one (and are
told), and an interrupted rebuild resumes into the same target. Collections of other generations and HNSW folders
that no collection owns any more are leftovers, deleted under the writer lock.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from .faults import DB_FILE, is_uuid_dir

log = logging.getLogger(__name__)

BASES = ("askcelebs_articles", "askcelebs_chunks", "askcelebs_sentences")
STATE_ID = "rebuild"
_NAME = re.compile(r"^(askcelebs_(?:articles|chunks|sentences))(?:_g(\d+))?$")


def names(generation: int) -> tuple[str, str, str]:
    return tuple(b if generation == 0 else f"{b}_g{generation}" for b in BASES)  # type: ignore[return-value]


def generation_of(name: str) -> int | None:
    m = _NAME.match(name)
    return None if m is None else int(m.group(2) or 0)


def existing(client) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        gen = generation_of(name)
        if gen is not None:
            found.setdefault(gen, []).append(name)
    return found


def read_state(meta) -> dict[str, Any] | None:
    """The running (or interrupted) rebuild's record, or None."""
    got = meta.get(ids=[STATE_ID], include=["metadatas"])
    return got["metadatas"][0] if got["ids"] else None


def write_state(meta, target: int, model: str) -> None:
    meta.upsert(ids=[STATE_ID], embeddings=[[1.0]],
                metadatas=[{"target": target, "model": model, "started": time.time(), "pid": os.getpid()}])


def clear_state(meta) -> None:
    meta.delete(ids=[STATE_ID])


def notice(state: dict[str, Any], location: str) -> str:
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(state.get("started", 0))))
    return (f"a rebuild of {location} started at {started} (pid {state.get('pid', '?')}) is running or was "
            "interrupted; you see the index as it was before it. Run `askcelebs rebuild` to finish it.")


def drop_others(client, keep: set[int]) -> int:
    """Delete the collections of every generation not in `keep`."""
    dropped = 0
    for gen, cols in existing(client).items():
        if gen in keep:
            continue
        for name in cols:
            try:
                client.delete_collection(name)
                dropped += 1
            except Exception as exc:  # already gone (another sweeper) is fine; anything else is logged
                log.info("could not drop %s: %s", name, exc)
    if dropped:
        log.info("dropped %d collection(s) of old generations", dropped)
    return dropped


def orphan_dirs(store: Path) -> list[Path]:
    """HNSW folders whose segment no longer exists: Chroma leaves them behind when a collection is deleted."""
    db = store / DB_FILE
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        segments = {row[0] for row in con.execute("SELECT id FROM segments")}
    finally:
        con.close()
    return [p for p in store.iterdir() if is_uuid_dir(p) and p.name not in segments]


def remove_orphan_dirs(store: Path) -> int:
    gone = 0
    for p in orphan_dirs(store):
        shutil.rmtree(p, ignore_errors=True)
        gone += 1
    if gone:
        log.info("removed %d orphan HNSW folder(s) under %s", gone, store)
    return gone
