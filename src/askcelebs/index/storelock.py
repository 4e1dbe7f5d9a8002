"""A running server owns its embedded store: other processes are refused instead of corrupting its view.

Chroma's embedded vector index lives in each process's memory; a second process that writes (or merely opens and
compacts) the same folder leaves the server answering from an index that no longer matches the database ("Error
finding id"). So `askcelebs serve` holds an exclusive lock on `.askcelebs-server.lock` for its lifetime, with
its pid in the file, and every other open of the store probes it with a shared lock (probes never block each
other). The lock is the kernel's (flock): a killed server leaves nothing to clean up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import StoreBusyError

LOCK_FILE = ".askcelebs-server.lock"
_HELD: dict[str, int] = {}  # store path -> fd, for stores this process serves (its own opens are allowed)

try:
    import fcntl
except ImportError:  # Windows: no flock; the writer lock still keeps two writers apart
    fcntl = None  # type: ignore[assignment]


def _key(store: Path) -> str:
    return str(Path(store).resolve())


def check_not_served(store: Path) -> None:
    """Raise StoreBusyError when another process serves this store."""
    path = Path(store) / LOCK_FILE
    if fcntl is None or _key(store) in _HELD or not path.exists():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreBusyError(
                f"store {Path(store).resolve()} is open in a running server (pid {pid}); add through it (the web "
                "page or its API) or stop it first. Two processes on one embedded store corrupt the server's "
                "index; use a Chroma server (--chroma-url) to share a store."
            ) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def hold_for_server(store: Path, wait_s: float = 2.0) -> None:
    """Take the store for this process's lifetime (released by the kernel when it exits)."""
    if fcntl is None or _key(store) in _HELD:
        return
    Path(store).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(store) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:  # probes hold it for microseconds; a server holds it for good
                os.close(fd)
                check_not_served(store)
                raise StoreBusyError(f"store {Path(store).resolve()} is locked by another process") from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    _HELD[_key(store)] = fd


def release(store: Path) -> None:
    fd = _HELD.pop(_key(store), None)
    if fd is not None:
        os.close(fd)
