"""What a question asks for: a verdict (yes/no, still ...?), or a span of a type (person, date, place, number, title),
or a reason or manner sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERDICT = re.compile(r"^\s*(?:are|is|was|were|did|do|does|has|have|had|can|could|will|would|should)\b", re.I)
_TYPES = (
    ("number", re.compile(r"^\s*(?:how (?:many|much|long|big|old|often|large)|what (?:was|is) the (?:number|size|"
                          r"amount))\b", re.I)),
    ("person", re.compile(r"^\s*(?:who|whom|whose)\b|^\s*(?:which|what) (?:person|director|producer|actor|actress|"
                          r"singer|friend|designer)\b", re.I)),
    ("date", re.compile(r"^\s*(?:when|what (?:year|month|day|date)|in what year|which year)\b", re.I)),
    ("place", re.compile(r"^\s*(?:where|in what (?:city|country|town|place)|which (?:city|country|town|venue))\b",
                         re.I)),
    ("reason", re.compile(r"^\s*why\b|^\s*what (?:made|caused|led)\b", re.I)),
    ("title", re.compile(r"^\s*(?:what|which) (?:film|films|movie|movies|song|songs|album|albums|show|shows|podcast|"
                         r"series|book|single|record|track|play|collection|brand|band)\b|\bwhat is the (?:name|title)\b",
                         re.I)),
    ("manner", re.compile(r"^\s*how\b", re.I)),
)
_FOLLOWING = re.compile(r"\s*\((?:following up on: )?[^()]*\)\s*$")


@dataclass(frozen=True)
class Asked:
    answer_type: str  # verdict | person | date | place | number | title | reason | manner | fact
    how_long: bool = False  # "how long ...?": a duration ("five months") answers it

    @property
    def wants_span(self) -> bool:
        return self.answer_type in ("person", "date", "place", "number", "title")


def analyse(question: str) -> Asked:
    """The expected answer type of a (standalone) question."""
    q = _FOLLOWING.sub("", question).strip()
    q = re.sub(r"^\s*(?:and|so|but|ok|okay|then|also)\b[,\s]*", "", q, flags=re.I)
    for kind, pattern in _TYPES:
        if pattern.search(q):
            return Asked(kind, how_long=bool(re.match(r"\s*how long\b", q, re.I)))
    if _VERDICT.search(q):
        return Asked("verdict")
    return Asked("fact")
