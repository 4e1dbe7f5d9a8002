"""Re-embedding every stored article: after a model change, or new chunk settings.

Chroma collections have a fixed dimension, so a rebuild drops and recreates them. The article texts and
metadata are first saved to a backup file next to the store; if a rebuild is interrupted, the next
`askcelebs rebuild` resumes from that file, so no article is lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .articles import Article
from .index import ARTICLES, CHUNKS, SENTENCES

if TYPE_CHECKING:
    from .app import AskCelebs
    from .ingest import Progress

log = logging.getLogger(__name__)


def backup_path(app: "AskCelebs") -> Path:
    if app.store.is_server:
        safe = "".join(c if c.isalnum() else "_" for c in app.settings.chroma_url or "")
        return Path(app.settings.cache_dir).expanduser() / f"rebuild-{safe}.json"
    return Path(app.settings.store) / "rebuild-backup.json"


def rebuild(app: "AskCelebs", progress: "Progress | None" = None) -> int:
    store = app.store
    path = backup_path(app)
    with store.writing():
        if path.exists():
            log.warning("resuming an interrupted rebuild from %s", path)
            saved = json.loads(path.read_text("utf-8"))
        else:
            saved = [a.to_dict(with_text=True) | {"added_ns": a.added_ns} for a in store.list_articles(with_text=True)]
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(saved), "utf-8")
            os.replace(tmp, path)
        with store.guard("rebuild"):
            for name in (ARTICLES, CHUNKS, SENTENCES):
                try:
                    store.client.delete_collection(name)
                except Exception:  # already gone after an interrupted rebuild
                    pass
            store.articles = store._collection(ARTICLES)
            store.chunks = store._collection(CHUNKS)
            store.sentences = store._collection(SENTENCES)
        store.set_identity()
        app.side.remove(list(app.side.articles))
        articles = [(d["source"], _article(d)) for d in saved]
        results = app._ingestor.add_articles(articles, force=True, progress=progress)
        failed = [r for r in results if r.status not in ("added", "replaced", "unchanged")]
        if failed:
            log.warning("rebuild: %d article(s) not re-added: %s", len(failed), failed[:3])
        store.touch()  # the next refresh picks up what other instances wrote meanwhile
        path.unlink(missing_ok=True)
    return sum(r.status in ("added", "replaced") for r in results)


def _article(d: dict) -> Article:
    pub = d.get("published")
    return Article(d["article_id"], d["title"], d["source"], d["text"], d.get("url"),
                   dt.date.fromisoformat(pub) if pub else None, d.get("author"), d.get("outlet"), d["added_at"])
