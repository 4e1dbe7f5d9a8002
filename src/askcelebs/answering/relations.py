"""The relations people ask about, and the words that state them.

"Are they married?" is not answered by a sentence that merely names both people. When a question asks about
one of these relations, a quote must express it; if none does, the honest answer is that the articles don't say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    name: str
    asked: re.Pattern  # how a question asks about it
    stated: re.Pattern  # how an article states it


def _re(words: str) -> re.Pattern:
    return re.compile(rf"\b(?:{words})", re.I)


RELATIONS = (
    Relation("marriage", _re(r"marri|marry|wed\b|wedding|husband|wife|spouse"),
             _re(r"marri|marry|wed\b|weds\b|wedding|husband|wife|wives|spouse|divorc")),
    Relation("the engagement", _re(r"propos|engag|popped the question"),
             _re(r"propos|engag|fianc|popped the question|asked me|said yes|\bring\b")),
    Relation("an apology", _re(r"apologi[sz]|apology|say sorry|said sorry"),
             _re(r"apolog|sorry|regret")),
    Relation("a falling-out", _re(r"fall(?:en)? out|fell out|falling[- ]out|feud|rift|fight|fought|argu|clash|"
                                  r"spat\b|beef\b|quarrel|row\b"),
             _re(r"fall(?:en)? out|fell out|falling[- ]out|feud|rift|fight|fought|argu|clash|spat\b|beef\b|"
                 r"quarrel|row\b|rows\b|dispute|split|no longer|rival|disloyal|criticis|attack|insult|tension")),
    Relation("a reconciliation", _re(r"make up\b|made up\b|making up\b|reconcil|patch(?:ed)? (?:things )?up|"
                                     r"bury the hatchet|buried the hatchet|end(?:ed)? (?:their|the|his|her) feud|truce"),
             _re(r"made up\b|make up\b|making up\b|reconcil|patched (?:things )?up|buried the hatchet|"
                 r"ended (?:their|the|his|her) (?:public |long-running )?(?:feud|row|rift)|truce|friends again|"
                 r"shook hands|back together|peace")),
    Relation("their friendship", _re(r"friends?\b|friendship|pals?\b|\bclose\b|get(?:ting)? along"),
             _re(r"friend|pals?\b|\bclose\b|get(?:ting|s)? along|got along|bond|reconcil|made up|inseparable|"
                 r"no longer speak|fell out|falling[- ]out|feud|rift|differences")),
    Relation("how they met", _re(r"meet\b|met\b|introduc"), _re(r"meet|met\b|introduc|first (?:saw|worked)")),
    Relation("dating", _re(r"dating|\bdate\b|girlfriend|boyfriend|romanc|in a relationship"),
             _re(r"dat(?:e|es|ed|ing)\b|girlfriend|boyfriend|romanc|relationship|partner|couple|engaged|lover")),
    Relation("their mother", _re(r"mother|\bmom\b|\bmum\b"), _re(r"mother|\bmom\b|\bmum\b|mama")),
    Relation("their father", _re(r"father|\bdad\b"), _re(r"father|\bdad\b|papa")),
)


def asked_relations(question: str) -> list[Relation]:
    return [r for r in RELATIONS if r.asked.search(question)]


def states(relation: Relation, text: str) -> bool:
    return bool(relation.stated.search(text))
