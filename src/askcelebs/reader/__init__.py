"""The reader: what the question asks for, which sentences are evidence, and the answer line built from them.

    asked = analyse(question)                 # verdict | person | date | place | number | title | reason | ...
    not_evidence(text, start, end, title)     # caption / credit / interviewer / headline / related / boilerplate
    finish(answer, asked, question, span)     # fills verdict, short_answer, answer_type and writes the answer line

`finish` only reads the Answer's citations (and an optional typed span inside one of them), so any answerer (the
extractive one, the LLM's verified quotes) can call it to get the same verdict and short answer.
"""

from __future__ import annotations

import datetime as dt
import re

from ..answering.types import Answer
from .evidence import not_evidence
from .question import Asked, analyse
from .spans import Found, find
from .verdict import Verdict, decide, stance

__all__ = ["Asked", "Found", "Verdict", "analyse", "decide", "find", "finish", "not_evidence", "reason_span", "stance"]

_MAX_REASON = 110


def _fmt(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def reason_span(quote: str, cue_at: int | None = None) -> str:
    """A short verbatim piece of a quote: the whole sentence if short, else the clause around the cue."""
    q = quote.strip()
    if len(q) <= _MAX_REASON:
        return q.rstrip(" .")
    at = cue_at if cue_at is not None else 0
    cuts = [0] + [m.end() for m in re.finditer(r"[,;:—–]\s+|\s+(?:and|but|while|because)\s+", q)] + [len(q)]
    start = max(c for c in cuts if c <= at)
    end = min((c for c in cuts if c > at), default=len(q))
    while end - start < 40 and end < len(q):  # too short alone: take the next clause along
        end = min((c for c in cuts if c > end), default=len(q))
    if end - start > _MAX_REASON:  # one long clause: words around the cue
        start = max(start, q.rfind(" ", 0, max(start, at - 40)) + 1)
        end = q.find(" ", min(len(q), start + _MAX_REASON))
        end = len(q) if end == -1 else end
    return q[start:end].strip(" ,;:—–").rstrip(" .")


def _piece(answer: Answer, i: int, cue_at: int | None = None) -> str:
    c = answer.citations[i]
    return f"“{reason_span(c.quote, cue_at)}” [{c.n}]"


def _tail(answer: Answer, skip: set[int], newest: dt.date | None) -> str:
    """The other citations, each as a short span with its date label; every citation is marked once."""
    parts, last_label = [], None
    for i, c in enumerate(answer.citations):
        if i in skip:
            continue
        if newest and c.published and c.published != newest:
            label = f"Earlier ({_fmt(c.published)}): "
        else:
            label = "Also: "
        parts.append(("" if label == last_label else label) + _piece(answer, i))
        last_label = label
    return (" " + "; ".join(parts) + ".") if parts else ""


def finish(answer: Answer, asked: Asked, question: str, span: tuple[str, int, int] | None = None,
           top: tuple[str, int] | None = None) -> Answer:
    """Fill verdict / short_answer / answer_type from the cited quotes and write the answer line first.

    `top` (article id, start) names the best-matching quote: a question about one event ("Was X at the show?")
    is read from it, while a question about the present is read from the newest quotes."""
    answer.answer_type = asked.answer_type
    if answer.abstained or not answer.citations:
        return answer
    dated = [c.published for c in answer.citations if c.published]
    newest = answer.as_of if answer.as_of and len(set(dated)) >= 1 else None
    if asked.answer_type == "verdict":
        # within a date, the quote naming more of the people asked about leads ("X is now working with Y" is about Y)
        named = [sum(bool(re.search(rf"(?<!\w){re.escape(p.split()[-1])}(?!\w)", c.quote, re.I)) for p in answer.people)
                 for c in answer.citations]
        order = sorted(range(len(answer.citations)),
                       key=lambda i: (-(answer.citations[i].published or dt.date.min).toordinal(), -named[i], i))
        if top is not None:
            first = next((i for i, c in enumerate(answer.citations) if (c.article_id, c.start) == top), 0)
            order = [first] + [i for i in order if i != first]
        got = decide(question, [(answer.citations[i].quote, None if top else answer.citations[i].published,
                                 answer.citations[i].article_id) for i in order])
        v = Verdict(got.verdict, order[got.lead], [order[i] for i in got.disagree], got.why)
        answer.verdict = v.verdict
        lead = answer.citations[v.lead]
        cue = stance(question, lead.quote).cue
        when = f" — as of {_fmt(lead.published)}" if lead.published and newest else ""
        word = v.verdict.capitalize()
        if v.verdict == "unclear":
            how = "the sources disagree" if v.why == "disagree" else "the newest report is hedged"
            line = f"{word}{when}, {how}: {_piece(answer, v.lead, cue.start() if cue else None)}"
            for i in v.disagree:
                line += f" / {_piece(answer, i)}"
        else:
            line = f"{word}{when}: {_piece(answer, v.lead, cue.start() if cue else None)}"
        answer.text = line + "." + _tail(answer, {v.lead, *v.disagree}, newest)
        return answer
    if span is not None:
        for i, c in enumerate(answer.citations):
            aid, s, e = span
            if c.article_id == aid and c.start <= s and e <= c.end:
                answer.short_answer = c.quote[s - c.start:e - c.start]
                when = f" (as of {_fmt(c.published)})" if c.published and newest and c.published != newest else ""
                answer.text = f"{answer.short_answer}{when}: {_piece(answer, i, s - c.start)}." + \
                    _tail(answer, {i}, newest)
                return answer
    return answer
