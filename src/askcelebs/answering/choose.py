"""Choosing the quotes: from the scored sentences, the ones an answer rests on.

The best-scoring sentences are not always the evidence a reader needs: a question about the present wants the newest
report, a rumour wants its denial, "Did they arrive together?" wants the sentence saying they did not, and "where?"
wants a sentence that holds a place. Each rule here adds that sentence to the chosen ones, first.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from ..config import AnswerSettings
from . import reader

if TYPE_CHECKING:
    from .extractive import Candidate


def within_margin(cands: list[Candidate], settings: AnswerSettings) -> list[Candidate]:
    best = cands[0].score
    chosen: list[Candidate] = []
    seen_text: set[str] = set()
    for c in cands:
        if c.score < best - settings.quote_margin or len(chosen) >= settings.max_quotes:
            break
        key = re.sub(r"\W+", " ", c.text.lower()).strip()
        if key in seen_text or any(o.article is c.article and abs(o.index - c.index) <= 0 for o in chosen):
            continue
        seen_text.add(key)
        chosen.append(c)
    return chosen


def _lead(first: Candidate, chosen: list[Candidate], settings: AnswerSettings) -> list[Candidate]:
    """`first` becomes the first quote; the weakest chosen one makes room for it."""
    return [first] + [c for c in chosen if c is not first][: settings.max_quotes - 1]


def near_floor(cands: list[Candidate], settings: AnswerSettings) -> float:
    """How far below the best sentence a sentence may score and still supply a denial or a typed answer."""
    return max(settings.min_sentence_score, cands[0].score - settings.quote_margin - 0.15)


def with_newest(chosen: list[Candidate], cands: list[Candidate], settings: AnswerSettings) -> list[Candidate]:
    """A question about the present is answered by the newest dated evidence, even if older sentences score
    higher; the older ones stay, shown as older."""
    dated = [c for c in cands if c.article.published and c.on_topic and c.score >= settings.min_sentence_score]
    if not dated:
        return chosen
    newest = max(c.article.published for c in dated)
    if any(c.article.published == newest for c in chosen):
        return chosen
    best_new = next(c for c in dated if c.article.published == newest)  # cands are sorted by score
    return _lead(best_new, chosen, settings)


def with_denial(question, chosen, cands, settings):
    """A yes/no question about a rumour is answered by its denial: a near-best sentence denying it is quoted."""
    floor = near_floor(cands, settings)
    if any(reader.stance(question, c.text).why == "denial" for c in chosen):
        return chosen
    cited = {c.article.article_id for c in chosen}
    denial = next((c for c in cands if c.score >= floor - 0.15 and (c.on_topic or c.article.article_id in cited)
                   and reader.stance(question, c.text).why == "denial"), None)
    return chosen if denial is None else _lead(denial, chosen, settings)


def with_negative(question, chosen, cands, names, settings):
    """Asked whether one event happened ("Did they arrive together?"), a near-best sentence about the people saying
    it did not ("arrived separately") is quoted first: the best match may be about the event, not about them."""
    people = [n.text for n in names]
    lead = reader.names_in(chosen[0].text, people)
    if reader.stance(question, chosen[0].text).why == "negative" and lead:
        return chosen
    floor = near_floor(cands, settings)
    neg = next((c for c in cands if c.score >= floor and c.on_topic and reader.names_in(c.text, people) >= max(1, lead)
                and reader.stance(question, c.text).why == "negative"), None)
    return chosen if neg is None else _lead(neg, chosen, settings)


def with_typed_span(asked, question, chosen, cands, names, settings, known):
    """The short answer comes from a chosen quote; when none holds one of the asked type, a near-best sentence
    that does joins them, first."""
    hit = reader.typed_span(asked, question, sorted(chosen, key=lambda c: -c.score), names, known, lead_ok=True)
    if hit is not None:
        return chosen, hit[1]
    floor = near_floor(cands, settings)
    hit = reader.typed_span(asked, question, [c for c in cands if c.score >= floor], names, known)
    if hit is None:
        return chosen, None
    return _lead(hit[0], chosen, settings), hit[1]


def with_event(question, quotes, state, pair, settings):
    """The sentence a pair's current state rests on is quoted, replacing the weakest quote if need be."""
    event, verdict = state.event, state.verdict
    aid = event.source.article_id
    if any(a.article_id == aid and s <= event.start < e for a, s, e, _ in quotes):
        return quotes
    since = event.source.published or dt.date.min
    if any((a.published or dt.date.min) >= since and reader.stance(question, a.text[s:e]).verdict == verdict
           for a, s, e, _ in quotes):
        return quotes  # a quote as new as the event already says it
    best = max((q[3] for q in quotes), default=0.0)
    return [(pair.articles[aid], event.start, event.end, best)] + quotes[: settings.max_quotes - 1]
