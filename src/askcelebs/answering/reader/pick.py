"""Which cited sentence holds the short answer: the best-scoring one that holds a span of the asked type and is
about what was asked (shares a word of the question, or states its relation)."""

from __future__ import annotations

import re
from typing import Sequence

from ... import entities
from ..relations import asked_relations
from ...index import same_word, stem, tokenize
from ...people import Name, article_mentions, name_pattern
from .question import Asked
from .spans import find

# words every question has that say nothing about what it asks
_GENERIC = frozenset("get got go went make made take took first ever together long many much big way happen "
                     "happened one other two name call".split())


# past tenses a prefix match misses: "wrote" answers "write", "met" answers "meet"
_FORMS = {"wrote": "write", "written": "write", "met": "meet", "fell": "fall", "fallen": "fall", "broke": "break",
          "went": "go", "began": "begin", "took": "take", "gave": "give", "spoke": "speak", "told": "tell",
          "left": "leave", "made": "make", "bought": "buy", "sang": "sing", "sung": "sing", "won": "win",
          "got": "get", "saw": "see", "seen": "see", "rang": "ring", "sent": "send", "spent": "spend",
          "shot": "shoot", "built": "build", "held": "hold", "led": "lead", "paid": "pay", "said": "say",
          "ran": "run", "threw": "throw", "wore": "wear", "chose": "choose", "flew": "fly", "drove": "drive"}


def _same_word(a: str, b: str) -> bool:
    a, b = _FORMS.get(a, a), _FORMS.get(b, b)
    return a == b or same_word(a, b)


_MAKES = r"(?:write|wrote|written|record|recorded|make|made|release|released|film|filmed|shoot|shot|sing|sang|direct|" \
         r"directed|produce|produced|perform|performed|star in|starred in|album|song|single|film|movie|show|series|" \
         r"play|book|podcast|track|record)"


def _is_title(name: Name, question: str, known: Sequence[Name]) -> bool:
    """"write Neon Saints", "the film Cold Harbour": a work the question asks about, not a person."""
    if name in set(known):
        return False
    return bool(re.search(rf"\b{_MAKES}\s+(?:the\s+)?[\"“']?{re.escape(name.words[0])}\b", question, re.I))


def _known_people_in(text: str, offset: int, article_text: str, known: Sequence[Name]) -> list:
    """Known people in a sentence, by full name, or by surname alone in an article that names them in full
    ("Legend and his wife, Chrissy Teigen")."""
    low = article_text.lower()
    out = []
    for k in known:
        spans = [m.span() for m in name_pattern(k).finditer(text)]
        if not spans and len(k.words) > 1 and article_mentions(k, low):
            spans = [m.span() for m in re.finditer(rf"(?<!\w){re.escape(k.surname.capitalize())}(?!\w)", text)]
        out += [entities.Entity("PERSON", offset + s, offset + e) for s, e in spans]
    return out


def typed_span(asked: Asked, question: str, cands: Sequence, names: list[Name], known: Sequence[Name] = (),
               lead_ok: bool = False):
    """(candidate, (article_id, start, end)) for the first candidate (in the given order) holding a typed answer
    on the question's topic, or None. Candidates have .article, .text, .start, .end.

    `lead_ok`: the first candidate is the best-scoring quote, and is on topic even in other words ("took $60
    million worldwide" answers "make at the box office"; measured: dev quote-hit +2-5 points, abstention precision
    up, recall down one question on two sets)."""
    name_words = {w for n in names for w in n.words}
    # a title asked about ("write Neon Saints") is the topic; only the people's names say nothing about it
    person_words = {w for n in names if not _is_title(n, question, known) for w in n.words}
    terms = {t for t in tokenize(question) if t not in {stem(w) for w in person_words} and t not in _GENERIC}
    relations = asked_relations(question)
    # "Where did they get married?": the relation is the topic; "Who designed the wedding dress?": the dress is
    own = {t for t in terms if not any(r.asked.search(t) for r in relations)}
    for i, c in enumerate(cands):
        text = c.text
        toks = tokenize(text)
        stated = [m for r in relations for m in r.stated.finditer(text)]
        shared = [w for w in toks if any(_same_word(t, w) for t in own)]
        if (own and not shared or not own and relations and not stated) and not (i == 0 and lead_ok):
            continue  # not about what was asked
        low = text.lower()
        positions = [c.start + m.start() for w in shared for m in re.finditer(re.escape(w[:5]), low)]
        positions += [c.start + m.start() for m in stated]
        ents = entities.of(c.article)
        if asked.answer_type == "person":  # NER misses invented names it tags elsewhere: the known people count too
            ents = ents + _known_people_in(text, c.start, c.article.text, known)
        found = find(asked, question, c.article.text, ents, c.start, c.end, name_words, positions)
        if found is not None:
            return c, (c.article.article_id, found.start, found.end)
    return None
