"""Which cited sentence holds the short answer: the best-scoring one that holds a span of the asked type and is
about what was asked (shares a word of the question, or states its relation)."""

from __future__ import annotations

import re
from typing import Sequence

from ... import entities
from ..relations import asked_relations
from ...index import stem, tokenize
from ...people import Name, name_pattern
from .question import Asked
from .spans import find

# words every question has that say nothing about what it asks
_GENERIC = frozenset("get got go went make made take took first ever together long many much big way happen "
                     "happened one other two name call".split())


def _same_word(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return n >= 4 and a[: max(4, n - 1)] == b[: max(4, n - 1)]


def typed_span(asked: Asked, question: str, cands: Sequence, names: list[Name], known: Sequence[Name] = ()):
    """(candidate, (article_id, start, end)) for the first candidate (in the given order) holding a typed answer
    on the question's topic, or None. Candidates have .article, .text, .start, .end."""
    name_words = {w for n in names for w in n.words}
    terms = {t for t in tokenize(question) if t not in {stem(w) for w in name_words} and t not in _GENERIC}
    relations = asked_relations(question)
    # "Where did they get married?": the relation is the topic; "Who designed the wedding dress?": the dress is
    own = {t for t in terms if not any(r.asked.search(t) for r in relations)}
    for c in cands:
        text = c.text
        toks = tokenize(text)
        stated = [m for r in relations for m in r.stated.finditer(text)]
        shared = [w for w in toks if any(_same_word(t, w) for t in own)]
        if own and not shared or not own and relations and not stated:
            continue  # not about what was asked
        low = text.lower()
        positions = [c.start + m.start() for w in shared for m in re.finditer(re.escape(w[:5]), low)]
        positions += [c.start + m.start() for m in stated]
        ents = entities.of(c.article)
        if asked.answer_type == "person":  # NER misses invented names it tags elsewhere: the known people count too
            ents = ents + [entities.Entity("PERSON", c.start + m.start(), c.start + m.end()) for k in known
                           for m in name_pattern(k).finditer(text)]
        found = find(asked, question, c.article.text, ents, c.start, c.end, name_words, positions)
        if found is not None:
            return c, (c.article.article_id, found.start, found.end)
    return None
