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

from ..types import Answer, fmt_day
from .evidence import not_evidence
from .question import Asked, analyse
from .spans import Found, find
from .history import PairHistory, StateVerdict, asks_history, history_answer, pair_state
from .pick import typed_span
from .verdict import Verdict, decide, stance

__all__ = ["Asked", "Found", "PairHistory", "StateVerdict", "Verdict", "analyse", "asks_history", "decide", "find",
           "finish", "history_answer", "names_in", "not_evidence", "pair_state", "reason_span", "stance", "typed_span"]

_MAX_REASON = 110
_NOW = re.compile(r"\b(?:still|now|currently|these days|today|again|no longer|any ?more)\b", re.I)


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
            label = f"Earlier ({fmt_day(c.published)}): "
        else:
            label = "Also: "
        parts.append(("" if label == last_label else label) + _piece(answer, i))
        last_label = label
    return (" " + "; ".join(parts) + ".") if parts else ""


_REFERS = re.compile(r"\b(?:her|his|their) (?:husband|wife|partner|friend|pal|bandmate|co-star|fianc[ée]e?|"
                     r"collaborator|ex)\b|\bthe (?:pair|two|couple|duo)\b|\bboth\b|\beach other\b", re.I)


def names_in(quote: str, people: list[str]) -> int:
    """How many of the people asked about a quote refers to: by surname, or ("her husband", "the pair") to the
    ones it does not name."""
    n = sum(bool(re.search(rf"(?<!\w){re.escape(p.split()[-1])}(?!\w)", quote, re.I)) for p in people)
    return min(len(people), n + 1) if n < len(people) and _REFERS.search(quote) else n


def _lead_first(answer: Answer, first: list[int]) -> None:
    """The quotes the answer line rests on become [1], [2], ...; the rest keep their order after them."""
    order = first + [i for i in range(len(answer.citations)) if i not in first]
    answer.citations = [answer.citations[i].renumbered(n) for n, i in enumerate(order, 1)]


def _cited(answer: Answer, question: str, state: StateVerdict | None, order: list[int]) -> int | None:
    """The quote a pair's state verdict rests on: the newest quote that reads the same way, else the quote of the
    event the state comes from."""
    if state is None:
        return None
    e = state.event
    newer = [i for i in order if (answer.citations[i].published or dt.date.min) >= (e.source.published or dt.date.min)]
    agreeing = [i for i in newer if stance(question, answer.citations[i].quote).verdict == state.verdict]
    if agreeing:
        return agreeing[0]
    return next((i for i, c in enumerate(answer.citations) if c.article_id == e.source.article_id
                 and c.start <= e.start < c.end), None)


def finish(answer: Answer, asked: Asked, question: str, span: tuple[str, int, int] | None = None,
           top: tuple[str, int] | None = None, state: StateVerdict | None = None) -> Answer:
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
        named = [names_in(c.quote, answer.people) for c in answer.citations]
        # ... and a quote saying how things stand now ("are still getting along") leads one that only looks back
        now = [bool(_NOW.search(c.quote)) and bool(_NOW.search(question)) for c in answer.citations]
        newest_first = [-(c.published or dt.date.min).toordinal() for c in answer.citations]
        # a verdict rests on a quote about the people asked about, not on one about the event alone
        order = sorted(range(len(answer.citations)),
                       key=lambda i: (named[i] == 0, newest_first[i], -named[i], -now[i], i))
        if top is not None:
            first = next((i for i, c in enumerate(answer.citations) if (c.article_id, c.start) == top), 0)
            if named[first] < max(named):
                first = next(i for i in range(len(named)) if named[i] == max(named))
            order = [first] + [i for i in order if i != first]
        lead_of_state = _cited(answer, question, state, order)
        if state is not None and lead_of_state is not None:
            v = Verdict(state.verdict, lead_of_state, [], "hedge" if state.verdict == "unclear" else "state")
        else:
            got = decide(question, [(answer.citations[i].quote, None if top else answer.citations[i].published,
                                     answer.citations[i].article_id) for i in order])
            v = Verdict(got.verdict, order[got.lead], [order[i] for i in got.disagree], got.why)
        answer.verdict = v.verdict
        _lead_first(answer, [v.lead, *v.disagree])
        v = Verdict(v.verdict, 0, list(range(1, len(v.disagree) + 1)), v.why)
        lead = answer.citations[v.lead]
        cue = stance(question, lead.quote).cue
        when = f" — as of {fmt_day(lead.published)}" if lead.published and newest else ""
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
                _lead_first(answer, [i])
                i = 0
                when = f" (as of {fmt_day(c.published)})" if c.published and newest and c.published != newest else ""
                answer.text = f"{answer.short_answer}{when}: {_piece(answer, i, s - c.start)}." + \
                    _tail(answer, {i}, newest)
                return answer
    return answer
