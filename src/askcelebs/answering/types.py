"""Answer and Citation: what every interface (CLI, UI, API, JSON) shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..index import StoredArticle


def fmt_day(d: dt.date) -> str:
    """How answers write a date: "22 March 2023"."""
    return f"{d.day} {d.strftime('%B %Y')}"


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: always `article.text[start:end]`. Build it with `Citation.of`, never from free text."""

    n: int
    quote: str
    article_id: str
    title: str
    source: str
    url: str | None
    published: dt.date | None
    start: int
    end: int

    @classmethod
    def of(cls, n: int, article: StoredArticle, start: int, end: int) -> "Citation":
        if not 0 <= start < end <= len(article.text):
            raise ValueError(f"offsets {start}:{end} outside article {article.article_id}")
        return cls(n, article.text[start:end], article.article_id, article.title, article.source, article.url,
                   article.published, start, end)

    def renumbered(self, n: int) -> "Citation":
        return Citation(n, self.quote, self.article_id, self.title, self.source, self.url, self.published,
                        self.start, self.end)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["published"] = self.published.isoformat() if self.published else None
        return d


@dataclass
class Answer:
    """The answer text carries [n] markers that refer to `citations`."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    as_of: dt.date | None = None
    mode: str = "extractive"
    question: str = ""  # the standalone question that was answered (follow-ups resolved)
    notice: str | None = None  # e.g. why the LLM answer was replaced by the extractive one
    people: list[str] = field(default_factory=list)
    # The reader's answer line: a verdict for yes/no and current-state questions, a short verbatim answer span
    # (always a substring of a cited quote) for who/when/where/which/how-many; None where none applies.
    verdict: str | None = None  # "yes" | "no" | "unclear"
    short_answer: str | None = None
    answer_type: str | None = None  # "verdict", "person", "date", "place", "number", "title", "reason", ...

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "mode": self.mode,
            "question": self.question,
            "notice": self.notice,
            "people": self.people,
            "verdict": self.verdict,
            "short_answer": self.short_answer,
            "answer_type": self.answer_type,
        }
