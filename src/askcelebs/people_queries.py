"""What AskCelebs says about people: who the index knows and covers, questions worth asking about them, and
pairs' timelines and relationships. A mixin of the facade (it uses the facade's side index, retriever, `refresh`
and `ask`), so these stay `AskCelebs` methods and the CLI, UI and users call them there.
"""

from __future__ import annotations

import re
from typing import Any

from . import timeline
from .answering.types import Answer
from .errors import AskCelebsError, InputError
from .events import Event, pair_key
from .index import SideIndex, StoredArticle
from .index.people import Coverage
from .people import Name
from .retrieval import HybridRetriever
from .timeline import Relationship, Timeline


class PeopleQueries:
    """People, pairs, timelines and relationships: what the facade tells about who is in the index."""

    side: SideIndex
    _retriever: HybridRetriever
    _examples_cache: tuple[Any, list[str]] | None
    _events_cache: tuple[int, Any] | None

    # --- people --------------------------------------------------------------------------------------------

    def known_people(self) -> list[Name]:
        return self.side.names.known()

    def coverage(self) -> Coverage:
        """People and pairs the index can answer about, most covered first."""
        self.refresh()
        return self.side.names.coverage()

    def example_questions(self, n: int = 4) -> list[str]:
        """Questions the index answers well: built from pairs named together, then asked, and kept only when the
        answer does not abstain and its quotes name both people (cached until the index changes)."""
        cov = self.coverage()
        key = (self.side.generation, n)
        if self._examples_cache and self._examples_cache[0] == key:
            return list(self._examples_cache[1])
        templates = ["Are {a} and {b} still friends?", "How did {a} and {b} meet?",
                     "Did {a} and {b} ever fall out?", "What do the articles say about {a} and {b}?"]
        candidates = [(t.format(a=a, b=b), (a, b)) for i, (a, b, _) in enumerate(cov.pairs[: 2 * n])
                      for t in (templates[i % len(templates)], templates[(i + 1) % len(templates)])]
        candidates += [(f"What do the articles say about {p}?", (p,)) for p, _ in cov.people[:n]]
        out: list[str] = []
        for question, people in candidates:
            if len(out) >= n:
                break
            if question not in out and self._answers_well(question, people):
                out.append(question)
        self._examples_cache = (key, out)
        return list(out)

    def _answers_well(self, question: str, people: tuple[str, ...]) -> bool:
        try:
            answer = self.ask(question)
        except AskCelebsError:
            return False
        quotes = " ".join(c.quote for c in answer.citations).lower()
        return not answer.abstained and all(p.lower() in quotes or p.split()[-1].lower() in quotes for p in people)

    def follow_ups(self, answer: Answer, n: int = 3) -> list[str]:
        """Questions to ask next, from what the cited articles cover: the pair's other events, other pairs."""
        if answer.abstained or not answer.citations:
            return []
        texts = " ".join(self.side.lower_texts.get(c.article_id, "") for c in answer.citations)
        people = answer.people[:2]
        topics = [("How did {a} and {b} meet?", r"\bmet\b|\bmeet"), ("Did {a} and {b} ever fall out?",
                  r"fell out|fall.?out|feud|rift|split"), ("Are {a} and {b} still friends?", r"friend"),
                  ("Did {a} and {b} work together?", r"collaborat|worked|album|song|film|tour")]
        out = []
        if len(people) == 2:
            a, b = people
            out += [t.format(a=a, b=b) for t, pattern in topics if re.search(pattern, texts)]
        cited = {c.article_id for c in answer.citations}
        shown = set(people)
        for a, b, _ in self.coverage().pairs:
            if len(out) >= n + 2:
                break
            if {a, b} != shown and ({a, b} & shown or not shown) and any(
                    a.lower() in self.side.lower_texts.get(i, "") and b.lower() in self.side.lower_texts.get(i, "")
                    for i in cited):
                out.append(f"What do the articles say about {a} and {b}?")
        asked = (answer.question or "").strip().lower()
        return [q for q in dict.fromkeys(out) if q.lower() != asked][:n]

    def names(self, text: str) -> list[Name]:
        return self._retriever.names(text)

    # --- timelines -----------------------------------------------------------------------------------------

    def _events(self) -> tuple[dict[tuple[str, str], list[Event]], dict[str, StoredArticle]]:
        """Stored relation events by pair (read from the article records, never recomputed), per index change."""
        self.refresh()
        gen = self.side.generation
        if self._events_cache is None or self._events_cache[0] != gen:
            articles = dict(self.side.articles)
            by_pair: dict[tuple[str, str], list[Event]] = {}
            for rec in articles.values():
                for d in rec.events:
                    e = Event.from_dict(d)
                    by_pair.setdefault(e.pair, []).append(e)
            self._events_cache = (gen, (by_pair, articles))
        return self._events_cache[1]

    def _person_key(self, text: str) -> str:
        """A typed name as the index knows it: "Declan Halloran" is the index's "Dex Halloran" when one known
        person has that surname."""
        found = [n for n in self.names(text) if len(n.words) > 1] or self.names(text)
        if not found or not text.strip():
            raise InputError(text, "not a name the index knows (see `askcelebs people`)")
        name = found[0]
        known = self.known_people()
        if name not in known and len(name.words) > 1:
            same = [k for k in known if len(k.words) > 1 and k.surname == name.surname]
            if len(same) == 1:
                name = same[0]
        return " ".join(name.words)

    def timeline(self, a: str, b: str) -> Timeline:
        """How two people's relationship went: dated, quoted events oldest first, and the state it ended in."""
        pair = pair_key(self._person_key(a), self._person_key(b))
        by_pair, articles = self._events()
        return timeline.build(pair, by_pair.get(pair, []), articles)

    def relationships(self, person: str | None = None) -> list[Relationship]:
        """Every pair the articles tell a relationship of (or one person's), with its current state."""
        by_pair, articles = self._events()
        return timeline.relationships(by_pair, articles, self._person_key(person) if person else None)
