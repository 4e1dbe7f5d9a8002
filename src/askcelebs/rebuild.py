"""Re-embedding every stored article: after a model change, or new chunk settings.

Chroma collections have a fixed dimension, so a rebuild writes a new generation of collections beside the current
one (index/generations.py) and switches to it with one write of the identity record. Until that write, every reader sees
the index as it was, and nothing is dropped; a rebuild killed at any moment leaves the store as it was plus a
partly built target, which the next `askcelebs rebuild` completes. It rebuilds from the current generation as it
is then, so articles added or removed between the kill and the resume are kept or gone as the user left them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path

from .articles import Article
from .embedding import Embedder
from .errors import StoreError
from .index import SideIndex, Store, StoredArticle, faults, generations, visible
from .ingest import Ingestor, Progress

log = logging.getLogger(__name__)
_LEGACY_BACKUP = "rebuild-backup.json"  # what rebuilds before generations saved; finished here if found


def rebuild(store: Store, side: SideIndex, embedder: Embedder, progress: Progress | None = None) -> int:
    """Rebuild into a new generation and switch; returns how many articles were embedded by this run."""
    with store.writing():
        store.sweep()
        with store.guard("read rebuild state"):
            state = generations.read_state(store.meta)
        source = _source_articles(store)
        if not store.is_server:
            faults.need_space(Path(store.settings.store), faults.size_on_disk(Path(store.settings.store)),
                              f"rebuilding {len(source)} article(s) beside the current index")
        if state:
            target_gen = int(state["target"])
            log.warning("resuming the interrupted rebuild into generation %d", target_gen)
        else:
            with store.guard("list collections"):
                target_gen = max([store.generation, *generations.existing(store.client)]) + 1
        with store.guard("write rebuild state"):
            generations.write_state(store.meta, target_gen, store.model_name)
        target = store.view(target_gen)
        built = _build(target, embedder, source, resume=bool(state), progress=progress)
        # on a server another instance may have added meanwhile: catch up until the source stands still
        for _ in range(3):
            again = _source_articles(store)
            if {a.article_id for a in again} == set(built):
                break
            built = _build(target, embedder, again, resume=True, progress=progress)
        _switch(store, target_gen)
        side.load(store)
        _legacy_backup(store).unlink(missing_ok=True)
    return sum(built.values())


def _source_articles(store: Store) -> list[StoredArticle]:
    """The current generation's visible articles, plus any a pre-generation rebuild saved and lost."""
    articles = store.list_articles(with_text=True)
    legacy = _read_legacy_backup(store)
    known = {a.source for a in articles}
    for d in legacy:
        if d["source"] not in known:
            articles.append(_stored(d))
            known.add(d["source"])
    return articles


def _build(target: Store, embedder: Embedder, source: list[StoredArticle], *, resume: bool,
           progress: Progress | None) -> dict[str, int]:
    """Make the target hold exactly `source`; returns article id -> 1 if embedded now, 0 if it was already there."""
    if resume:
        target._pending_file.touch()  # a killed build may have left passages without records: scan them all
    target.sweep()
    built = SideIndex()
    built.load(target)
    wanted = {a.article_id for a in source}
    stale = [aid for aid in built.articles if aid not in wanted]
    for aid in stale:  # removed from the store between the kill and the resume
        target.delete_article(aid)
    built.remove(stale)
    todo = [a for a in source if a.article_id not in built.articles]
    ingestor = Ingestor(target.settings, target, built, embedder)
    results = ingestor.add_articles([(a.source, _article(a)) for a in todo], force=True, progress=progress)
    failed = [r for r in results if r.status not in ("added", "replaced", "unchanged")]
    if failed:
        raise StoreError(f"store {target.location}: rebuild stopped before switching, the index is unchanged: "
                         f"{len(failed)} article(s) could not be re-added, e.g. {failed[0]}")
    have, _ = visible(target.records())
    missing = wanted - set(have)
    if missing:
        raise StoreError(f"store {target.location}: rebuild stopped before switching, the index is unchanged: "
                         f"{len(missing)} article(s) missing from the new index; run `askcelebs rebuild` again")
    done = {r.article_id for r in results if r.status in ("added", "replaced")}
    return {aid: int(aid in done) for aid in wanted}


def _switch(store: Store, target_gen: int) -> None:
    """One record write makes the new generation current; then the old one is dropped."""
    with store.guard("switch to the rebuilt index"):
        store.set_identity(generation=target_gen)
    store._reopen()
    store.touch()  # other processes see a new articles collection id in the token and reopen
    with store.guard("finish rebuild"):
        generations.clear_state(store.meta)
        store.rebuild_state = None
        generations.drop_others(store.client, keep={target_gen})
    if not store.is_server:
        generations.remove_orphan_dirs(Path(store.settings.store))


def _legacy_backup(store: Store) -> Path:
    if store.is_server:
        safe = "".join(c if c.isalnum() else "_" for c in store.settings.chroma_url or "")
        return Path(store.settings.cache_dir).expanduser() / f"rebuild-{safe}.json"
    return Path(store.settings.store) / _LEGACY_BACKUP


def _read_legacy_backup(store: Store) -> list[dict]:
    """Articles an interrupted pre-generation rebuild saved; an unreadable file is set aside, not a blocker."""
    path = _legacy_backup(store)
    if not path.exists():
        return []
    try:
        saved = json.loads(path.read_text("utf-8"))
        if not isinstance(saved, list):
            raise ValueError("not a list of articles")
        return [d for d in saved if _usable(d)]
    except (ValueError, UnicodeDecodeError) as exc:
        aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
        path.rename(aside)
        log.warning("the rebuild backup %s is unreadable (%s); set aside as %s, rebuilding from the store as it "
                    "is", path, exc, aside)
        return []


def _usable(d: object) -> bool:
    return isinstance(d, dict) and all(isinstance(d.get(k), str) and d.get(k) for k in ("article_id", "source", "text"))


def _stored(d: dict) -> StoredArticle:
    pub = d.get("published")
    return StoredArticle(d["article_id"], d.get("title") or d["source"], d["source"], d.get("url"),
                         dt.date.fromisoformat(pub) if pub else None, d.get("author"), d.get("outlet"),
                         d.get("added_at") or "", int(d.get("added_ns") or 0), 0, 0, d["text"])


def _article(a: StoredArticle) -> Article:
    art = Article(a.article_id, a.title, a.source, a.text, a.url, a.published, a.author, a.outlet)
    if a.added_at:
        art.added_at = a.added_at
    return art
