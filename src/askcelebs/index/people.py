"""Who is named where, looked up instead of scanned.

Two inverted indexes, patched per article on add and remove (never rebuilt per question):
    words    every word of every article -> the articles containing it. A name asked about is checked with its
             full-name pattern only in the articles that hold its last word, not in every article.
    people   article -> the people it names, with mention counts (detected once at ingest and stored in the
             article record's metadata, so a cold start or another server instance reads them instead of
             re-detecting); from these, who the index covers and which known names a question's words touch.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from ..people import Name, article_mentions, people_in_article
from .words import WordPostings

_WORD = re.compile(r"\w+")


def detect_people(text: str) -> list[tuple[Name, int]]:
    """People named in one article, each with how often it refers to them: the one detector ingest calls."""
    return [(n, _mention_count(n, text)) for n in people_in_article(text)]


def _mention_count(name: Name, text: str) -> int:
    full = len(re.findall(re.escape(name.text), text, flags=re.I))
    sur = len(re.findall(rf"(?<!\w){re.escape(name.surname.capitalize())}(?!\w)", text))
    return max(full, sur)


def people_json(people: Iterable[tuple[Name, int]]) -> str:
    return json.dumps([[" ".join(n.words), m] for n, m in people])


def people_from_json(value: str) -> list[tuple[Name, int]]:
    return [(Name(tuple(words.split())), int(m)) for words, m in json.loads(value)]


@dataclass
class Coverage:
    """Who the index knows: people with article counts, and pairs named together."""

    people: list[tuple[str, int]]
    pairs: list[tuple[str, str, int]]


class NameIndex:
    """Both indexes for the visible articles; the side index calls put/drop under its lock."""

    def __init__(self) -> None:
        self.words = WordPostings()
        self.people: dict[str, list[tuple[Name, int]]] = {}
        self._counts: Counter[tuple[str, ...]] = Counter()  # articles naming each person
        self._mentions: Counter[tuple[str, ...]] = Counter()
        self._pairs: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
        self._names: dict[tuple[str, ...], Name] = {}
        self._derived: tuple[list[Name], dict[str, list[int]], list[tuple[str, ...]]] | None = None
        self._lock = threading.RLock()  # questions read while a writer thread patches

    def put(self, article_id: str, lower_text: str, people: list[tuple[Name, int]], words: bool = True) -> None:
        """words=False when the words come from a saved base instead (see SideIndex.load)."""
        with self._lock:
            if words:
                self.words.put(article_id, lower_text)
            self.people[article_id] = people
            self._count(people, +1)

    def drop(self, article_id: str, lower_text: str) -> None:
        with self._lock:
            self._drop(article_id, lower_text)

    def _drop(self, article_id: str, lower_text: str) -> None:
        self.words.drop(article_id, lower_text)
        self._count(self.people.pop(article_id, []), -1)

    def _count(self, people: list[tuple[Name, int]], sign: int) -> None:
        shown = []
        for n, m in people:
            self._names.setdefault(n.words, n)
            _bump(self._counts, n.words, sign)
            _bump(self._mentions, n.words, sign * m)
            if m >= 2:
                shown.append(n.words)
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                _bump(self._pairs, tuple(sorted((a, b))), sign)
        if sign < 0:
            for w in [w for w in self._names if w not in self._counts]:
                del self._names[w]
        self._derived = None

    # --- questions -----------------------------------------------------------------------------------------

    def articles_naming(self, name: Name, lower_texts: dict[str, str]) -> set[str]:
        """Articles that name `name` in full: exactly what matching its pattern against every article gives.

        Every word-character run of the name's last word is a whole word of any text the pattern matches, so
        the articles holding all of them are the only candidates."""
        parts = _WORD.findall(" ".join(name.words[-1:]).lower())
        if not parts:
            return {aid for aid, text in lower_texts.items() if article_mentions(name, text)}
        with self._lock:
            postings = sorted((self.words.lookup(p) for p in parts), key=len)
            candidates = set.intersection(*postings)
            texts = [(aid, lower_texts.get(aid)) for aid in candidates]
        return {aid for aid, text in texts if text is not None and article_mentions(name, text)}

    def known(self) -> list[Name]:
        """Every detected person: the most mentioned first (those shown as coverage), then the rest."""
        return self._derive()[0]

    def known_near(self, words: Iterable[str]) -> list[Name]:
        """The known names that share a word with `words`, in `known()` order: all a question can resolve to."""
        known, by_word, _ = self._derive()
        hits = sorted({i for w in set(words) for i in by_word.get(w, ())})
        return [known[i] for i in hits]

    def coverage(self) -> Coverage:
        with self._lock:
            known, _, display = self._derive()
            names = {n.words: n for n in known}
            return Coverage(
                people=[(names[w].text, self._counts[w]) for w in display],
                pairs=[(names[a].text, names[b].text, n) for (a, b), n in self._pairs.most_common()
                       if a in names and b in names],
            )

    def _derive(self) -> tuple[list[Name], dict[str, list[int]], list[tuple[str, ...]]]:
        with self._lock:
            if self._derived is None:
                self._derived = self._build_derived()
            return self._derived

    def _build_derived(self) -> tuple[list[Name], dict[str, list[int]], list[tuple[str, ...]]]:
        all_names = dict(self._names)
        # "Singers Corinne Vale" (a capitalised word at a sentence start) is Corinne Vale
        longer = {w for w in all_names if any(w[k:] in all_names for k in range(1, len(w)))}
        for w in longer:
            all_names.pop(w)
        display = [w for w, _ in self._mentions.most_common() if self._mentions[w] >= 2 and w in all_names]
        shown = set(display)
        known = [all_names[w] for w in display] + [all_names[w] for w in all_names if w not in shown]
        by_word: dict[str, list[int]] = {}
        for i, n in enumerate(known):
            for w in set(n.words):
                by_word.setdefault(w, []).append(i)
        return known, by_word, display


def _bump(counter: Counter, key, by: int) -> None:
    value = counter.get(key, 0) + by
    if value:
        counter[key] = value
    else:
        counter.pop(key, None)


def question_words(question: str, names: Iterable[Name]) -> set[str]:
    """The words a question's known names can be found by: its own words and those of the names read from it."""
    words = set(re.sub(r"[^\w\s]", " ", question.lower()).split())
    return words | {w for n in names for w in n.words}
