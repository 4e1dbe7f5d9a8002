"""Answers read from a pair's timeline (timeline.py, built from the relation events stored at ingest).

Two kinds of question are about the whole relationship rather than one sentence: "Are they still friends?" is
answered by the pair's current state (what the newest dated event says), and "What's the history of ...?" by the
timeline itself, oldest first. Both cite the events' own sentences, so the timeline panel, `askcelebs timeline` and
the chat answer never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Mapping

from ...index import StoredArticle
from ...timeline import Timeline, TimelineEvent, current_state
from ..types import Answer, Citation, fmt_day

_HISTORY = re.compile(
    r"\b(?:timeline|history|over the years|over time|through the years|ups and downs|what (?:has )?happened between|"
    r"story of|how (?:has|have|did) .{0,80}\b(?:relationship|friendship|feud|romance)\b.{0,20}\b(?:change|changed|"
    r"evolve|evolved|develop|developed|go|gone|went|unfold|unfolded)|from the (?:start|beginning)|walk me through)\b",
    re.I)
# What a current-state question asks about, and the answer each stored state gives to it (None: the state says
# nothing about it, and the quotes decide).
_ASKS = (
    ("engaged", re.compile(r"\bengag", re.I),
     {"engaged": "yes", "married": "no", "split": "no", "feud": "no"}),
    ("married", re.compile(r"\bmarri|\bhusband|\bwife\b|\bwed\b", re.I),
     {"married": "yes", "engaged": "no", "split": "no"}),
    ("together", re.compile(r"\btogether\b(?! on)|\bdating\b|\ba couple\b|\ban item\b|\bseeing each other", re.I),
     {"married": "yes", "engaged": "yes", "split": "no", "feud": "no"}),
    ("feud", re.compile(r"\bfeud|\bfall(?:en)? out|\bfell out|\bat odds|\bnot speaking|\bbeef\b|\brift\b|"
                        r"\benemies|\bbad terms|\bwar\b", re.I),
     {"feud": "yes", "friends": "no", "married": "no", "engaged": "no"}),
    ("working", re.compile(r"\bwork(?:ing|s)? (?:together|with)\b|\bcollaborat|\bbandmates|\bin a band|"
                           r"\brecord(?:ing|s)? (?:together|with)\b", re.I),
     {"working_together": "yes", "split": "no", "feud": "no"}),
    ("friends", re.compile(r"\bfriend|\bmates?\b|\bpals?\b|\bclose\b|\bget(?:ting)? (?:on|along)|\bgood terms|"
                           r"\bspeaking|\btalking|\bbesties|\bbffs?\b|\bmade up|\breconcil|\bpatched", re.I),
     {"friends": "yes", "married": "yes", "engaged": "yes", "working_together": "yes", "feud": "no", "split": "no"}),
)
_PRESENT_FORM = re.compile(r"^\s*(?:are|is|'re|are(?:n't| not)|is(?:n't| not))\b", re.I)
MAX_EVENTS = 6


@dataclass
class PairHistory:
    """A pair's timeline and the article records its events point into."""

    timeline: Timeline
    articles: Mapping[str, StoredArticle]

    def citation(self, n: int, e: TimelineEvent) -> Citation:
        return Citation.of(n, self.articles[e.source.article_id], e.start, e.end)


def asks_history(question: str) -> bool:
    return bool(_HISTORY.search(question))


def asks_state(question: str, present: bool) -> bool:
    """"Are they still friends?", "Are X and Y friends?": the present state, not one past event."""
    return present or bool(_PRESENT_FORM.match(question))


def state_verdict(question: str, state: str) -> str | None:
    """yes / no / unclear for what the question asks about, given the pair's current state."""
    if state == "unknown":
        return None
    for _, pattern, answers in _ASKS:
        if pattern.search(question):
            return "unclear" if state == "unclear" else answers.get(state)
    return None


def _fmt(d: dt.date | None, precision: str = "day") -> str:
    if d is None:
        return "undated"
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return d.strftime("%B %Y")
    return fmt_day(d)


_KIND_WORDS = {"met": "met", "introduced": "introduced", "worked_together": "worked together",
               "friendship": "friends", "feud": "fell out", "rumour": "rumour", "denial": "denied",
               "apology": "apology", "reconciled": "made up", "engaged": "engaged", "married": "married",
               "split": "split"}
_STATE_WORDS = {"friends": "friends", "feud": "not on good terms", "split": "split", "married": "married",
                "engaged": "engaged", "working_together": "working together", "unclear": "unclear"}


def _chosen_events(t: Timeline) -> list[TimelineEvent]:
    """At most MAX_EVENTS, oldest first, always keeping the event the current state rests on."""
    events = list(t.events)
    if len(events) <= MAX_EVENTS:
        return events
    keep = set(range(len(events))[:MAX_EVENTS - 1])
    if t.reason in events:
        keep.add(events.index(t.reason))
    else:
        keep.add(len(events) - 1)
    return [e for i, e in enumerate(events) if i in sorted(keep)[:MAX_EVENTS]]


def history_answer(base: Answer, pair: PairHistory) -> Answer:
    """The relationship, oldest first: each event's date, what happened and its quote; then the state now."""
    t = pair.timeline
    events = _chosen_events(t)
    base.citations = [pair.citation(n, e) for n, e in enumerate(events, 1)]
    parts = [f"{_fmt(e.date, e.precision)} — {_KIND_WORDS.get(e.kind, e.kind)}: “{c.quote}” [{c.n}]"
             for e, c in zip(events, base.citations)]
    a, b = base.people if len(base.people) == 2 else t.people  # in the order the question named them
    text = f"{a} and {b}, oldest first: " + "; ".join(parts) + "."
    if t.state not in ("unknown",) and t.as_of:
        text += f" As of {_fmt(t.as_of)}: {_STATE_WORDS.get(t.state, t.state)}."
    base.text = text
    base.as_of = t.as_of
    base.answer_type = "timeline"
    return base


@dataclass(frozen=True)
class StateVerdict:
    """The verdict a pair's current state gives, and the event (its quote) it rests on."""

    verdict: str
    event: TimelineEvent


# A couple's status is read from the events about the couple: separated spouses who stay friends are friends, and
# not married.
_ROMANCE = frozenset({"engaged", "married", "split", "rumour", "denial"})
_ROMANCE_ASKED = frozenset({"engaged", "married", "together"})


def _asked(question: str) -> str | None:
    return next((name for name, pattern, _ in _ASKS if pattern.search(question)), None)


def pair_state(question: str, present: bool, pair: PairHistory | None) -> StateVerdict | None:
    if pair is None or not asks_state(question, present):
        return None
    state, reason = pair.timeline.state, pair.timeline.reason
    if _asked(question) in _ROMANCE_ASKED:
        state, _, reason = current_state([e for e in pair.timeline.events if e.kind in _ROMANCE])
    if reason is None:
        return None
    verdict = state_verdict(question, state)
    return StateVerdict(verdict, reason) if verdict else None
