"""`askcelebs doctor`: check a store from the file up and say what to do.

Works on stores that AskCelebs cannot open: the database file, sqlite's own integrity check (read-only), then
Chroma (opened without changing anything), the records against their passages, and the vector indexes with a real
query. Every read is paged (Chroma fails on get() of more than ~32k ids at once).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .config import Settings
from .errors import AskCelebsError
from .index import faults, generations

PAGE = 2000


@dataclass
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail"
    detail: str


@dataclass
class Report:
    location: str
    checks: list[Check] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: str, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.location, "ok": self.ok, "checks": [asdict(c) for c in self.checks],
                "advice": self.advice}


def pages(collection, include: list[str], where: dict | None = None, page: int = PAGE) -> Iterator[dict]:
    """get() in pages of `page` records."""
    offset = 0
    while True:
        got = collection.get(include=include, where=where, limit=page, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


def examine(settings: Settings) -> Report:
    """Every check that can run; a failed step stops the ones that depend on it."""
    location = settings.chroma_url or str(Path(settings.store).resolve())
    report = Report(location)
    salvage = (f"Salvage what is readable: `askcelebs --store {location} export articles.jsonl`, then "
               "`askcelebs --store NEW_STORE import articles.jsonl`.")
    if not settings.chroma_url and not _files_ok(Path(settings.store), report):
        report.advice.append(salvage)
        return report
    from .index import Store

    try:
        store = Store(settings, "?", 0, check_model=False, inspect_only=True)
    except (AskCelebsError, Exception) as exc:  # noqa: BLE001 - doctor reports whatever stops the open
        report.add("open", "fail", str(exc))
        report.advice.append(salvage)
        return report
    report.add("open", "ok", f"embedding model {store.built_with!r}, generation {store.generation}")
    try:
        _consistency(store, report)
        _vectors(store, report)
    except Exception as exc:  # noqa: BLE001
        report.add("read", "fail", f"reading the store failed: {faults._short(exc)}")
        report.advice.append(salvage)
        return report
    _leftovers(store, settings, report)
    if any(c.status == "fail" and c.name in ("passages", "orphans", "vector index") for c in report.checks):
        report.advice.append("Rebuild the passages and vector indexes from the article records: `askcelebs "
                             "rebuild` (the current index stays in use until the new one is complete).")
    if report.ok and not report.advice:
        report.advice.append("Nothing to do.")
    return report


def _files_ok(store: Path, report: Report) -> bool:
    db = store / faults.DB_FILE
    if not store.is_dir():
        report.add("database", "fail", f"{store.resolve()} is not a folder")
        return False
    try:
        faults.check_database(store)
    except AskCelebsError as exc:
        report.add("database", "fail", str(exc))
        return False
    if not db.exists():
        report.add("database", "warn", f"{db} does not exist yet (a new, empty store)")
        return False
    report.add("database", "ok", f"{db} ({db.stat().st_size / 2**20:.1f} MB)")
    rows = faults.integrity_errors(db, full=True)
    if rows:
        report.add("sqlite integrity", "fail", f"{db}: " + "; ".join(rows[:5]))
        return False
    report.add("sqlite integrity", "ok", "PRAGMA integrity_check: ok")
    return True


def _consistency(store, report: Report) -> None:
    """Records against passages: every chunk's article exists, and each record's counts are what is stored."""
    records: dict[str, dict] = {}
    for got in pages(store.articles, ["metadatas"]):
        records.update(zip(got["ids"], got["metadatas"]))
    report.add("articles", "ok", f"{len(records)} article record(s)")
    problems, orphans = [], Counter()
    for name, col, key in (("chunks", store.chunks, "chunks"), ("sentences", store.sentences, "sentences")):
        per: Counter[str] = Counter()
        for got in pages(col, ["metadatas"]):
            per.update(m.get("article_id", "?") for m in got["metadatas"])
        for aid, meta in records.items():
            want = int(meta.get(key, 0))
            if per.get(aid, 0) != want:
                problems.append(f"{aid} has {per.get(aid, 0)} {name}, its record says {want}")
        for aid, n in per.items():
            if aid not in records:
                orphans[name] += n
        report.add(name, "ok", f"{sum(per.values())} {name}")
    if problems:
        report.add("passages", "fail", f"{len(problems)} mismatch(es), e.g. " + "; ".join(problems[:3]))
    else:
        report.add("passages", "ok", "every article's chunk and sentence counts match its record")
    if orphans:
        report.add("orphans", "fail", ", ".join(f"{n} {k}" for k, n in orphans.items()) +
                   " belong to no article record")
    else:
        report.add("orphans", "ok", "every chunk and sentence belongs to an article")


def _vectors(store, report: Report) -> None:
    for name, col in (("chunks", store.chunks), ("sentences", store.sentences), ("articles", store.articles)):
        try:
            one = col.get(limit=1, include=["embeddings"])
            if not one["ids"]:
                continue
            hit = col.query(query_embeddings=[list(map(float, one["embeddings"][0]))], n_results=1,
                            include=["distances"])
            near = hit["distances"][0][0] if hit["ids"][0] else 1.0  # identical texts may win: distance 0 too
            if one["ids"][0] not in hit["ids"][0] and near > 1e-3:
                raise RuntimeError(f"a search for {one['ids'][0]} returned {hit['ids'][0]} at distance {near:.3f}")
        except BaseException as exc:  # a damaged HNSW file can panic in Rust
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            report.add("vector index", "fail", f"{name}: {faults._short(exc)}")
            return
    report.add("vector index", "ok", "a vector search in each collection finds its own vector")


def _leftovers(store, settings: Settings, report: Report) -> None:
    state = generations.read_state(store.meta)
    if state:
        report.add("rebuild", "warn", generations.notice(state, store.location))
        report.advice.append("Finish the interrupted rebuild: `askcelebs rebuild`.")
    keep = {store.generation} | ({int(state["target"])} if state else set())
    old = sorted(g for g in generations.existing(store.client) if g not in keep)
    dirs = [] if settings.chroma_url else generations.orphan_dirs(Path(settings.store))
    if old or dirs:
        report.add("leftovers", "warn", f"{len(old)} old generation(s), {len(dirs)} orphan HNSW folder(s); removed "
                   "the next time a command opens the store for writing")
    if not settings.chroma_url:
        path = Path(settings.store)
        legacy = path / "rebuild-backup.json"
        if legacy.exists():
            report.add("rebuild backup", "warn", f"{legacy} is left from an interrupted rebuild; the next "
                       "`askcelebs rebuild` restores what it holds")
        free, size = faults.free_bytes(path), faults.size_on_disk(path)
        status = "ok" if free > size + faults.MARGIN_BYTES else "warn"
        report.add("free space", status, f"{free / 2**20:.0f} MB free, the store uses {size / 2**20:.0f} MB"
                   + ("" if status == "ok" else "; a rebuild needs about as much free as the store uses"))
