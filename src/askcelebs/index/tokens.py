"""Words for BM25 and term overlap: lowercase tokens without stopwords, lightly stemmed."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves s t don ve ll re d
m o y still anymore currently tell know say said says
""".split())


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords, lightly stemmed, for BM25 and term overlap."""
    return [stem(t) for t in _TOKEN.findall(text.lower().replace("’", "'")) if t not in STOPWORDS]


def stem(token: str) -> str:
    token = token.split("'")[0]
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return token


def same_word(a: str, b: str) -> bool:
    """manager/management, argue/argument, friend/friendship: the shorter word, less one letter, starts both."""
    n = min(len(a), len(b))
    return n >= 4 and a[: max(4, n - 1)] == b[: max(4, n - 1)]
