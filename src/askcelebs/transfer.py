"""`askcelebs export` / `import`: the articles (text + metadata) as JSON Lines, to salvage or move a store.

Export reads through Chroma, opened without changing anything; when Chroma cannot read the store (a damaged
database), it falls back to reading the article records straight from the sqlite file, row by row, keeping what
is readable. Import goes through the normal add path (validation, chunking, embedding), so an imported store is
an ordinary one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .articles import make_article
from .config import Settings
from .doctor import pages
from .errors import AskCelebsError, InputError, StoreError
from .index import faults, generations

if TYPE_CHECKING:
    from .app import AskCelebs
    from .ingest import AddResult, Progress

log = logging.getLogger(__name__)
_DAMAGE = (sqlite3.DatabaseError, UnicodeDecodeError)
FIELDS = ("article_id", "title", "source", "url", "published", "author", "outlet", "added_at")


@dataclass
class ExportResult:
    path: Path
    written: int = 0
    unreadable: int = 0
    salvaged: bool = False  # read from the sqlite file because Chroma could not read the store
    notes: list[str] = field(default_factory=list)


def export_articles(settings: Settings, path: str | Path) -> ExportResult:
    """Write every visible article to `path` (JSONL, one article per line, with its full text)."""
    out = Path(path)
    result = ExportResult(out)
    try:
        db = Path(settings.store) / faults.DB_FILE
        if not settings.chroma_url and db.exists() and faults.integrity_errors(db):
            raise StoreError(f"{db} fails sqlite's integrity check")  # Chroma could abort the process on it
        rows = list(_via_chroma(settings))
    except (AskCelebsError, Exception) as exc:  # noqa: BLE001 - any failure here means: try the raw file
        if settings.chroma_url:
            raise
        result.notes.append(f"Chroma could not read the store ({faults._short(exc)}); read the sqlite file directly")
        result.salvaged = True
        rows, result.unreadable = _via_sqlite(Path(settings.store))
    tmp = out.with_name(out.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in _newest_per_source(rows):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                result.written += 1
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if faults.is_disk_full(exc):
            raise StoreError(f"disk full at {out.resolve().parent}: export stopped, nothing written") from exc
        raise InputError(str(out), f"cannot write the export: {exc.strerror or exc}") from exc
    return result


def import_articles(bot: "AskCelebs", path: str | Path, progress: "Progress | None" = None) -> list["AddResult"]:
    """Add every article of an export; a bad line is an error row, the others are added."""
    from .ingest import AddResult

    src = Path(path)
    if not src.is_file():
        raise InputError(str(src), "no such export file (make one with `askcelebs export FILE`)")
    items, errors = [], []
    with src.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            label = f"{src.name}:{n}"
            try:
                d = json.loads(line)
                if not isinstance(d, dict) or not isinstance(d.get("text"), str):
                    raise ValueError("not an article object with a text")
                article = make_article(d["text"], str(d.get("source") or label), title=d.get("title"),
                                       url=d.get("url"), published=d.get("published"), author=d.get("author"),
                                       outlet=d.get("outlet"))
            except (ValueError, InputError) as exc:
                reason = exc.reason if isinstance(exc, InputError) else f"not a valid article line ({exc})"
                errors.append(AddResult(label, "error", detail=reason))
                continue
            if isinstance(d.get("added_at"), str) and d["added_at"]:
                article.added_at = d["added_at"]
            items.append((article.source, article))
    return errors + bot.add_articles(items, progress=progress)


def _via_chroma(settings: Settings) -> Iterator[dict[str, Any]]:
    from .index import Store
    from .index.records import _stored

    store = Store(settings, "?", 0, check_model=False, inspect_only=True)
    with store.guard("export articles"):
        for got in pages(store.articles, ["metadatas", "documents"], page=500):
            for aid, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
                rec = _stored(aid, meta, doc)
                yield rec.to_dict(with_text=True) | {"added_ns": rec.added_ns}


def _via_sqlite(store: Path) -> tuple[list[dict[str, Any]], int]:
    """Article records read from chroma.sqlite3 directly, one row at a time so a damaged page costs one row."""
    db = store / faults.DB_FILE
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        con.text_factory = lambda b: b.decode("utf-8", "replace")  # a flipped byte costs a character, not the text
        segments = _article_segments(con)
    except _DAMAGE as exc:
        raise StoreError(f"store {store.resolve()}: nothing is readable in {db} ({exc}); restore it from a "
                         "backup") from exc
    rows, unreadable = [], 0
    try:
        for seg in segments:
            try:
                ids = [r[0] for r in con.execute("SELECT id FROM embeddings WHERE segment_id = ?", (seg,))]
            except _DAMAGE:
                ids = _ids_by_probe(con, seg)
            for rid in ids:
                try:
                    row = _row(con, rid)
                except _DAMAGE:
                    unreadable += 1
                    continue
                if row:
                    rows.append(row)
                else:
                    unreadable += 1
    finally:
        con.close()
    return rows, unreadable


def _article_segments(con: sqlite3.Connection) -> list[str]:
    """Metadata segments of the article collections, the current generation first."""
    cols = [(generations.generation_of(name), cid) for cid, name in con.execute("SELECT id, name FROM collections")
            if name.startswith(generations.BASES[0])]
    cols.sort(key=lambda g: -(g[0] or 0))
    segs = []
    for _, cid in cols:
        segs += [r[0] for r in con.execute("SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA'",
                                           (cid,))]
    return segs


def _ids_by_probe(con: sqlite3.Connection, segment: str) -> list[int]:
    """When the index scan fails, walk rowids one by one until a long run of unreadable ones."""
    ids, misses, rid = [], 0, 1
    while misses < 10000:
        try:
            got = con.execute("SELECT segment_id FROM embeddings WHERE id = ?", (rid,)).fetchone()
            if got and got[0] == segment:
                ids.append(rid)
            misses = 0 if got else misses + 1
        except _DAMAGE:
            misses += 1
        rid += 1
    return ids


def _row(con: sqlite3.Connection, rid: int) -> dict[str, Any] | None:
    (embedding_id,) = con.execute("SELECT embedding_id FROM embeddings WHERE id = ?", (rid,)).fetchone()
    meta: dict[str, Any] = {}
    for key, s, i, f, b in con.execute("SELECT key, string_value, int_value, float_value, bool_value "
                                       "FROM embedding_metadata WHERE id = ?", (rid,)):
        meta[key] = next((v for v in (s, i, f, b) if v is not None), None)
    text = meta.pop("chroma:document", None)
    if not isinstance(text, str) or not text or not meta.get("source"):
        return None
    row = {k: meta.get(k) or None for k in FIELDS[1:]}
    row.update(article_id=embedding_id, text=text, added_ns=int(meta.get("added_ns") or 0))
    return row


def _newest_per_source(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r.get("added_ns", 0), r["article_id"])):
        best[row["source"]] = row
    ordered = sorted(best.values(), key=lambda r: r.get("added_ns", 0))
    return [{k: r.get(k) for k in (*FIELDS, "text")} for r in ordered]
