"""What can go wrong with the store's files, found early and said plainly.

Chroma reports a full disk as a failed compaction, a damaged database as a Rust panic or a sqlite error, and a
vanished database not at all (it creates a new, empty one). This module turns those into our errors, each naming
the store's path and what to do, and checks free space before work that needs it.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

from ..errors import DiskFullError, StoreDamagedError, StoreError

DB_FILE = "chroma.sqlite3"
MARKER = "askcelebs-store.json"  # written when we create a store: "a database belongs here"
MARGIN_BYTES = 8 * 2**20  # keep this much free: sqlite and HNSW need room to finish what they started
QUICK_CHECK_MAX = 256 * 2**20  # sqlite's quick_check reads ~500 MB/s: checked on every open up to this size
_LOW_SPACE = 32 * 2**20  # an unexplained write failure with less than this free is a full disk
_UUID_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DISK_FULL = re.compile(r"database or disk is full|no space left on device|disk full|enospc|errno 28|os error 28",
                        re.I)
_DAMAGED = re.compile(r"malformed|file is not a database|not a database|database corrupt|corrupt|"
                      r"unable to open database|no such table|disk i/o error|panicked|invalid header|"
                      r"failed to load hnsw|error loading hnsw|hnsw segment reader", re.I)
_WRITE_FAILURE = re.compile(r"compaction|apply logs|flush|persist|write", re.I)


def is_uuid_dir(path: Path) -> bool:
    return path.is_dir() and bool(_UUID_DIR.match(path.name))


def check_database(store: Path) -> None:
    """Refuse to open a store whose database vanished: Chroma would silently start an empty one."""
    db = store / DB_FILE
    if db.exists() and db.stat().st_size > 0:
        return
    held = store.is_dir() and ((store / MARKER).exists() or (store / ".askcelebs-write.lock").exists()
                               or any(is_uuid_dir(p) for p in store.iterdir()))
    if held:
        state = "is empty (0 bytes)" if db.exists() else "is missing"
        raise StoreDamagedError(
            f"store {store.resolve()}: the database at {db.resolve()} vanished ({state}) but the folder held a "
            "store. Restore chroma.sqlite3 from a backup, or start a new store and run `askcelebs import FILE` "
            "with an export. Nothing was changed."
        )


def integrity_errors(db: Path, full: bool = False) -> list[str]:
    """sqlite's own check, read-only; [] when the file is sound."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        try:
            rows = [str(r[0]) for r in con.execute("PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)")]
        finally:
            con.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damage in sqlite's own text is a decode error
        return [f"{type(exc).__name__}: {exc}"]
    return [] if rows == ["ok"] else rows


def check_integrity(store: Path) -> None:
    """Refuse a damaged database before Chroma reads it: its Rust core aborts the whole process on some damage."""
    db = store / DB_FILE
    if not db.exists() or db.stat().st_size > QUICK_CHECK_MAX:
        return
    errors = integrity_errors(db)
    if errors:
        raise StoreDamagedError(
            f"store {store.resolve()} is damaged: {db.resolve()} fails sqlite's check ({errors[0][:200]}). Run "
            f"`askcelebs --store {store} doctor`, then `askcelebs --store {store} export FILE` to salvage what is "
            "readable and `askcelebs --store NEW import FILE` to load it into a new store. Nothing was changed."
        )


def mark_store(store: Path) -> None:
    marker = store / MARKER
    if not marker.exists():
        marker.write_text(json.dumps({"created": time.time(), "what": "askcelebs store"}) + "\n", "utf-8")


def is_disk_full(exc: BaseException) -> bool:
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return True
        if _DISK_FULL.search(str(e)):
            return True
    return False


def classify(exc: BaseException, location: str, path: Path | None, what: str) -> StoreError | None:
    """Our error for a Chroma/sqlite failure, or None when it is none of these."""
    text = " ".join(str(e) for e in _chain(exc))
    low_space = path is not None and free_bytes(path) < _LOW_SPACE
    if is_disk_full(exc) or (low_space and _WRITE_FAILURE.search(text)):
        return DiskFullError(
            f"disk full at {_where(path, location)}: {what} failed ({_short(exc)}). Free some space "
            f"({_mb(free_bytes(path)) if path else '?'} free now) and try again; what was stored before is intact."
        )
    panic = any(type(e).__name__ == "PanicException" for e in _chain(exc))
    if panic or _DAMAGED.search(text):
        return StoreDamagedError(
            f"store {location} looks damaged: {what} failed ({_short(exc)}). Run `askcelebs --store {location} "
            "doctor` to see what is readable, then `askcelebs export FILE` and `askcelebs --store NEW import FILE` "
            "to salvage it into a new store."
        )
    return None


def free_bytes(path: Path) -> int:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return 2**62


def size_on_disk(path: Path) -> int:
    total = 0
    for p in Path(path).rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def need_space(path: Path, need: int, what: str) -> None:
    """Refuse before starting work that cannot finish: a half-written store is worse than a refused one."""
    free = free_bytes(path)
    if free < need + MARGIN_BYTES:
        raise DiskFullError(
            f"disk full at {Path(path).resolve()}: {what} needs about {_mb(need + MARGIN_BYTES)} free, "
            f"{_mb(free)} is free. Free some space and try again; nothing was changed."
        )


def add_estimate(text_chars: int, vectors: int, dim: int) -> int:
    """Bytes an add writes: text in sqlite (article + passages, ~3x) and every vector twice (log + HNSW)."""
    return 3 * text_chars + vectors * (dim * 4 * 2 + 400)


def _where(path: Path | None, location: str) -> str:
    return str(Path(path).resolve()) if path is not None else location


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
