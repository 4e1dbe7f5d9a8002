"""The side index on disk, so a cold start (or a refresh after another process wrote) reads a few files instead
of every record and chunk ref from Chroma (at 100k chunks that read alone took ~20 s).

    <folder>/state-<n>.json     every visible article (record, text, chunk refs) at one change token, with the
                                store's row counts then
    <folder>/journal-<n>.jsonl  one line per write since: the token before and after, what the write put and
                                dropped, and the row counts after it

Only a writer (holding the store's write lock) appends a line or writes a new state. A reader trusts the files
only when the chain of tokens ends at the store's current token and the row counts match the store's: a write
that bypassed the journal, or was cut short, breaks one of them, and the reader reads the store as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson

from .people import people_from_json, people_json
from .records import ChunkRef, StoredArticle

log = logging.getLogger(__name__)

VERSION = 1
COMPACT_MIN = 4 << 20  # journal bytes before a new state is written (or half the state's size, if larger)


def encode(rec: StoredArticle, refs: list[ChunkRef]) -> dict[str, Any]:
    return {"id": rec.article_id, "title": rec.title, "source": rec.source, "url": rec.url,
            "published": rec.published.isoformat() if rec.published else None, "author": rec.author,
            "outlet": rec.outlet, "added_at": rec.added_at, "added_ns": rec.added_ns, "chunks": rec.chunks,
            "sentences": rec.sentences, "text": rec.text,
            "people": people_json(rec.people) if rec.people is not None else None, "shingles": rec.shingles,
            "events": rec.events, "entities": rec.entities_json,
            "refs": [[r.chunk_id, r.index, r.start, r.end, r.first_sentence, r.last_sentence] for r in refs]}


def decode(d: dict[str, Any]) -> tuple[StoredArticle, list[ChunkRef]]:
    aid = d["id"]
    rec = StoredArticle(
        article_id=aid, title=d["title"], source=d["source"], url=d["url"],
        published=dt.date.fromisoformat(d["published"]) if d["published"] else None, author=d["author"],
        outlet=d["outlet"], added_at=d["added_at"], added_ns=d["added_ns"], chunks=d["chunks"],
        sentences=d["sentences"], text=d["text"],
        people=people_from_json(d["people"]) if d["people"] is not None else None, shingles=d["shingles"],
        events=d["events"], entities_json=d["entities"])
    return rec, [ChunkRef(cid, aid, i, s, e, s0, s1) for cid, i, s, e, s0, s1 in d["refs"]]


@dataclass
class Saved:
    """A state file as read: its header and articles, and where its journal is."""

    seq: int
    header: dict[str, Any]
    articles: list[dict[str, Any]]


class Journal:
    """The files of one folder; every method tolerates a missing or damaged file (it reports 'nothing')."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _state(self, seq: int) -> Path:
        return self.folder / f"state-{seq}.json"

    def journal(self, seq: int) -> Path:
        return self.folder / f"journal-{seq}.jsonl"

    def newest_seq(self) -> int | None:
        seqs = [int(p.stem.split("-")[1]) for p in self.folder.glob("state-*.json") if p.stem.split("-")[1].isdigit()]
        return max(seqs, default=None)

    def read_state(self, collection: str) -> Saved | None:
        seq = self.newest_seq() if self.folder.is_dir() else None
        if seq is None:
            return None
        try:
            data = orjson.loads(self._state(seq).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning("ignoring the saved side index %s: %s", self._state(seq), exc)
            return None
        if data.get("version") != VERSION or data.get("collection") != collection:
            return None
        return Saved(seq, {k: v for k, v in data.items() if k != "articles"}, data["articles"])

    def lines(self, seq: int, offset: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
        """(line, offset after it); stops at the first incomplete or damaged line (a writer mid-append)."""
        try:
            with open(self.journal(seq), "rb") as f:
                f.seek(offset)
                for raw in f:
                    if not raw.endswith(b"\n"):
                        return
                    try:
                        line = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        return
                    offset += len(raw)
                    yield line, offset
        except OSError:
            return

    def append(self, seq: int, line: dict[str, Any]) -> int:
        """Append one line; returns the journal's size after it."""
        data = orjson.dumps(line) + b"\n"
        with open(self.journal(seq), "ab") as f:
            f.write(data)
            f.flush()
            return f.tell()

    def write_state(self, header: dict[str, Any], articles: list[dict[str, Any]]) -> int:
        """A new state file (and its empty journal) replaces the old ones; returns its sequence number."""
        self.folder.mkdir(parents=True, exist_ok=True)
        old = self.newest_seq()
        seq = (old or 0) + 1
        tmp = self.folder / f"tmp-{uuid.uuid4().hex}.json"
        try:
            tmp.write_bytes(orjson.dumps({"version": VERSION, **header, "articles": articles}))
            self.journal(seq).write_bytes(b"")
            os.replace(tmp, self._state(seq))
        finally:
            tmp.unlink(missing_ok=True)
        for p in list(self.folder.glob("state-*.json")) + list(self.folder.glob("journal-*.jsonl")):
            if p.stem.split("-")[1] != str(seq):
                p.unlink(missing_ok=True)
        return seq

    def needs_compaction(self, seq: int, journal_size: int) -> bool:
        try:
            state_size = self._state(seq).stat().st_size
        except OSError:
            return True
        return journal_size > max(COMPACT_MIN, state_size // 2)
