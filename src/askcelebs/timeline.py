"""A pair's relationship over time, and the friendship map of everyone the index names together.

Built from the events stored at ingest (events.py), so it reads no article text and runs no model: a timeline of
a large index is a filter over small records. Syndicated copies of one story are one event with its copies
listed; the current state is what the newest dated evidence says ("as of 4 Mar 2025: feud"), and a rumour that
is the newest word makes it "unclear".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from rapidfuzz import fuzz

from .events import Event, is_heading
from .people import Name

_STATE_OF = {"friendship": "friends", "reconciled": "friends", "apology": None, "feud": "feud", "split": "split",
             "engaged": "engaged", "married": "married", "worked_together": "working_together"}
# A state only a stronger one replaces: a married couple mentioned as friends is still married.
_BINDING = {"married": {"split"}, "engaged": {"married", "split"}}
_SOFT = {"working_together"}  # replaced by any state, and never replaces friends/feud/split
_KIND_ORDER = {k: i for i, k in enumerate(("met", "introduced", "worked_together", "friendship", "feud", "rumour",
                                            "denial", "apology", "reconciled", "engaged", "married", "split"))}
_ONCE = {"met", "introduced", "engaged", "married"}
SAME_STORY = 85  # rapidfuzz ratio at which two articles' sentences are one syndicated story


@dataclass
class Source:
    article_id: str
    title: str
    outlet: str | None
    published: dt.date | None
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "title": self.title, "outlet": self.outlet, "url": self.url,
                "published": self.published.isoformat() if self.published else None}


@dataclass
class TimelineEvent:
    """One event: `quote == article text[start:end]`; `copies` are the syndicated articles telling it too."""

    kind: str
    date: dt.date | None
    precision: str
    dated_by: str
    quote: str
    start: int
    end: int
    source: Source
    copies: list[Source] = field(default_factory=list)
    also: list[tuple[int, int, str]] = field(default_factory=list)  # other sentences of the article saying it

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "date": self.date.isoformat() if self.date else None,
                "precision": self.precision, "dated_by": self.dated_by, "quote": self.quote, "start": self.start,
                "end": self.end, **self.source.to_dict(), "copies": [c.to_dict() for c in self.copies]}


@dataclass
class Timeline:
    people: tuple[str, str]
    events: list[TimelineEvent]
    state: str  # friends | feud | split | married | engaged | working_together | unclear | unknown
    as_of: dt.date | None
    reason: TimelineEvent | None  # the event the state rests on

    def to_dict(self) -> dict[str, Any]:
        return {"people": list(self.people), "state": self.state,
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "reason": self.reason.to_dict() if self.reason else None,
                "events": [e.to_dict() for e in self.events]}


def display(key: str) -> str:
    return Name(tuple(key.split())).text


def build(pair: tuple[str, str], events: Iterable[Event], articles: dict[str, Any]) -> Timeline:
    """The timeline of one pair from its stored events (`articles`: article_id -> StoredArticle, with text)."""
    mine = [e for e in events if e.pair == pair and e.article_id in articles]
    merged = _merge(mine, articles)
    merged.sort(key=_order)
    state, as_of, reason = current_state(merged)
    return Timeline((display(pair[0]), display(pair[1])), merged, state, as_of, reason)


def _source(a: Any) -> Source:
    return Source(a.article_id, a.title, a.outlet, a.published, a.url)


def _order(e: TimelineEvent):
    return (e.date is None, e.date or dt.date.max, e.source.published or dt.date.max, _KIND_ORDER[e.kind], e.start)


def _merge(events: list[Event], articles: dict[str, Any]) -> list[TimelineEvent]:
    """One event per (article, kind, date); then one per story across syndicated copies."""
    per_article: dict[tuple, TimelineEvent] = {}
    # a headline only stands for its event when the body never states it
    for e in sorted(events, key=lambda e: (e.article_id, is_heading(articles[e.article_id].text, e.start), e.start)):
        text = articles[e.article_id].text[e.start:e.end]
        key = (e.article_id, e.kind, e.date.year if e.date else None)
        if key in per_article:
            first = per_article[key]
            first.also.append((e.start, e.end, text))
            if first.dated_by == "published" and e.dated_by == "text" and e.precision == "day" and \
                    0 <= (first.date - e.date).days <= 31:
                first.date, first.precision, first.dated_by = e.date, e.precision, e.dated_by  # "on Monday"
            continue
        per_article[key] = TimelineEvent(e.kind, e.date, e.precision, e.dated_by, text, e.start, e.end,
                                         _source(articles[e.article_id]))
    stories: list[TimelineEvent] = []
    by_kind: dict[str, list[TimelineEvent]] = defaultdict(list)
    for ev in sorted(per_article.values(), key=lambda e: (e.source.published or dt.date.max, e.source.article_id)):
        twin = next((s for s in by_kind[ev.kind] if _happens_once(s) or _same_story(s, ev) or _retold(s, ev)), None)
        if twin is None:
            by_kind[ev.kind].append(ev)
            stories.append(ev)
        elif _same_story(twin, ev):
            if all(c.article_id != ev.source.article_id for c in twin.copies):
                twin.copies.append(ev.source)
        else:
            _refine(twin, ev)
    return stories


def _happens_once(e: TimelineEvent) -> bool:
    """A pair meets, is introduced, gets engaged or marries once: later articles retelling it add nothing new,
    and the first telling keeps its place (a later, more precise date refines it)."""
    return e.kind in _ONCE


def _retold(a: TimelineEvent, b: TimelineEvent) -> bool:
    """"launched their podcast in 2019" and, years later, "since 2019 they have co-hosted": one event."""
    return a.dated_by == b.dated_by == "text" and a.date.year == b.date.year


def _same_story(a: TimelineEvent, b: TimelineEvent) -> bool:
    if a.source.article_id == b.source.article_id:
        return False
    texts_a = [a.quote] + [t for _, _, t in a.also]
    texts_b = [b.quote] + [t for _, _, t in b.also]
    return any(fuzz.ratio(x, y) >= SAME_STORY for x in texts_a for y in texts_b)


def _refine(first: TimelineEvent, retold: TimelineEvent) -> None:
    """A retelling that dates the event more precisely ("in June 2019" for "in 2019") lends its date."""
    rank = {"none": 0, "year": 1, "month": 2, "day": 3}
    if retold.dated_by == "text" and rank[retold.precision] > rank[first.precision] and (
            first.date is None or retold.date.year == first.date.year):
        first.date, first.precision, first.dated_by = retold.date, retold.precision, retold.dated_by
    first.also.append((retold.start, retold.end, retold.quote))


def current_state(events: list[TimelineEvent]) -> tuple[str, dt.date | None, TimelineEvent | None]:
    """Walk the dated events oldest first; the newest word decides, a trailing rumour makes it unclear."""
    state, reason, before_rumour = None, None, None
    as_of = None
    for e in (e for e in events if e.date is not None):
        as_of = max(as_of, e.source.published or e.date) if as_of else (e.source.published or e.date)
        if e.kind == "rumour":
            if state != "unclear":
                before_rumour = (state, reason)
            state, reason = "unclear", e
            continue
        if e.kind == "denial":
            if state == "unclear" and before_rumour:
                state, reason = before_rumour[0] or "unclear", e
            elif state is None:
                state, reason = "unclear", e
            continue
        new = _STATE_OF.get(e.kind)
        if new is None or not _replaces(state, new):
            continue
        state, reason = new, e
    return state or "unknown", as_of, reason


def _replaces(old: str | None, new: str) -> bool:
    if old is None or old == "unclear" or old in _SOFT:
        return True
    if old in _BINDING:
        return new in _BINDING[old]
    return new not in _SOFT


@dataclass
class Relationship:
    people: tuple[str, str]
    state: str
    as_of: dt.date | None
    articles: int  # coverage: how many articles tell of the pair
    events: int

    def to_dict(self) -> dict[str, Any]:
        return {"people": list(self.people), "state": self.state, "articles": self.articles, "events": self.events,
                "as_of": self.as_of.isoformat() if self.as_of else None}


def relationships(by_pair: dict[tuple[str, str], list[Event]], articles: dict[str, Any],
                  person: str | None = None) -> list[Relationship]:
    """Every pair with events (or those of one person), most covered first."""
    wanted = " ".join(person.lower().split()) if person else None
    out = []
    for pair, evs in by_pair.items():
        evs = [e for e in evs if e.article_id in articles]
        if not evs or (wanted and wanted not in pair):
            continue
        t = build(pair, evs, articles)
        out.append(Relationship(t.people, t.state, t.as_of, len({e.article_id for e in evs}), len(t.events)))
    out.sort(key=lambda r: (-r.articles, r.people))
    return out
