"""The short answer: a span of a cited sentence typed by its NER entities (PERSON for who, DATE for when,
GPE/FAC/LOC for where, CARDINAL/MONEY for how many), never a name from the question, nearest the question's words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...entities import ANSWER_LABELS, Entity, within
from ...people import _NOT_PERSON
from .question import Asked

_DURATION = re.compile(r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several|"
                       r"half)\b).*\b(?:second|minute|hour|day|night|week|month|year|decade)s?\b", re.I)
_UNIT_ASKED = re.compile(r"\b(?:second|minute|hour|day|night|week|month|year|decade)s?\b", re.I)
_PLACE_JOIN = re.compile(r"^,\s*$")
# "Who proposed?", "Who was best man?": the asked person is the subject; "Who did Saskia bring?", "Who is Teigen
# married to?" ask for an object
_SUBJECT_Q = re.compile(r"^\s*(?i:who)\s+(?!(?i:did|does|do|is|was|are|were|has|have|had|will|would|can|could)\s+"
                        r"[A-Z])\S")
_BY = re.compile(r"^\S*\s+by\s")  # "introduced by ..."


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    label: str


def asks_subject(question: str) -> bool:
    q = question.strip()
    return bool(_SUBJECT_Q.match(q)) and not re.match(r"^\s*who\s+(?:did|does|do|is|was|are|were)\s+(?:he|she|they|"
                                                       r"it|you|we)\b", q, re.I)


def _is_duration(s: str) -> bool:
    return bool(_DURATION.search(s)) and not re.search(r"\b(?:1[89]|20)\d\d\b", s)


def _labels(asked: Asked, question: str) -> tuple[str, ...]:
    labels = ANSWER_LABELS.get(asked.answer_type, ())
    if asked.answer_type == "number" and (asked.how_long or _UNIT_ASKED.search(question)):
        labels = labels + ("DATE", "TIME")
    return labels


def _is_question_name(span: str, name_words: set[str]) -> bool:
    words = {re.sub(r"['’]s?$", "", w.lower()).strip(".,") for w in re.findall(r"[\w'’.-]+", span)}
    return bool(words) and words <= name_words | {"the", "and", "'s", "s"} or bool(words & name_words) and \
        len(words - name_words) == 0


def find(asked: Asked, question: str, text: str, entities: list[Entity], start: int, end: int,
         name_words: set[str], term_positions: list[int]) -> Found | None:
    """The best typed span in text[start:end]; None when the sentence holds none of the wanted type."""
    labels = _labels(asked, question)
    if not labels:
        return None
    spans = []
    for e in within(entities, start, end, labels):
        s = text[e.start:e.end]
        if e.label in ("DATE", "TIME") and asked.answer_type == "number" and not _DURATION.search(s):
            continue
        if asked.answer_type == "date" and (re.fullmatch(r"\d{1,2}", s.strip()) or _is_duration(s)):
            continue  # an age ("Quint, 32,") or a duration ("18 months") is not a date
        if e.label == "CARDINAL" and (re.match(r"\s*of\b", text[e.end:e.end + 4]) or
                                      re.search(r"\bthe\s+$", text[max(0, e.start - 5):e.start])):
            continue  # "one of music's feuds", "the two": not a count
        if e.label == "PERSON" and set(re.findall(r"\w+", s.lower())) & _NOT_PERSON:
            continue  # NER's PERSON on "Vogue", "Twitter": an outlet or a platform
        if e.label == "PERSON" or asked.answer_type in ("person", "title"):
            if _is_question_name(s, name_words):
                continue
        elif set(w.lower() for w in re.findall(r"\w+", s)) & name_words and asked.answer_type != "number":
            continue
        spans.append(e)
    if not spans:
        return None
    if asked.answer_type == "place":
        spans = _merge_places(text, spans)
    # "proposed ... in Lisbon", "fell out publicly in July 2020": a place or date follows the words it answers for
    # (how much a span following the words costs per char, how much one preceding them)
    following, preceding = (1, 3) if asked.answer_type in ("place", "date") else (1, 1)
    if asked.answer_type == "person" and asks_subject(question):
        following = 3  # "Who was best man?" -> "Lattimore ... was best man at his wedding to Marchbanks"

    def distance(e: Entity, p: int) -> int:
        if e.start >= p:  # ... but the agent of a passive ("introduced by Hester Wilde") is the subject
            return 0 if following > 1 and _BY.search(text[p:e.start]) else (e.start - p) * following
        return (p - e.start) * preceding

    best = min(spans, key=lambda e: (min((distance(e, p) for p in term_positions), default=0), e.start))
    return Found(best.start, best.end, best.label)


def _merge_places(text: str, spans: list[Entity]) -> list[Entity]:
    """"Sonoma" ", " "California" -> "Sonoma, California"."""
    out: list[Entity] = []
    for e in sorted(spans, key=lambda e: e.start):
        if out and _PLACE_JOIN.match(text[out[-1].end:e.start]):
            out[-1] = Entity(out[-1].label, out[-1].start, e.end)
        else:
            out.append(e)
    return out
