"""The default answerer: no LLM, deterministic. Picks the sentences that answer the question and cites them.

A sentence's score = cosine to the question (embedding model) + how many of the named people it refers to +
how many of the question's other terms it contains, minus penalties for headings, captions and questions.
Below a calibrated score, or when the named people never appear together, it abstains.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from ..config import AnswerSettings
from ..entities import did_you_mean
from ..index import Store, StoredArticle, same_word, stem, tokenize
from ..people import Name, article_mentions, is_cased, passage_mentions
from ..retrieval import PeopleCheck, Retrieval
from . import choose, reader
from .relations import Relation, asked_relations, states
from .types import Answer, Citation, fmt_day

NAME_WEIGHT = 0.0
TERM_WEIGHT = 0.10
RANK_WEIGHT = 0.10
PRESENT_BONUS = 0.30
ANSWER_TYPE_BONUS = 0.10
# Expected answer types: "What did X say about Y?" wants reported speech; "When did ...?" wants a date.
_ASKS_SPEECH = re.compile(r"^\s*(?:what|how)\b.*\b(?:say|said|says|tell|told|call|called|describe|described|"
                          r"praise|praised|react|reacted|respond|responded)\b", re.I)
_SPEECH = re.compile(r"\b(?:said|says|told|tells|added|explained|wrote|tweeted|described|called)\b|[“\"]", re.I)
_ASKS_WHEN = re.compile(r"^\s*when\b", re.I)
_ASKS_TOPIC = re.compile(r"^\s*what\b.*\b(?:about|over)\s*\??\s*$", re.I)  # "What did they argue about?"
_TOPIC = re.compile(r"\b(?:about|over)\b", re.I)
_WHEN = re.compile(r"\b(?:1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|"
                   r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                   r"yesterday|ago|last (?:week|month|year))\b", re.I)
# Present-state evidence: words of the present, and (a "still ...?" is also answered by it) the event that changed
# the state.
_PRESENT_STATE = re.compile(r"\b(still|now|again|today|currently|remain|remains|anymore|no longer|these days|"
                            r"ended|ends|split|splits|broke up|break-up|parted|quit|reunited|reconciled|divorced|"
                            r"separated)\b", re.I)
_CONNECTIVE = re.compile(r"^(?:well|so|but|and|however|still|also|then|this|that|it|they|he|she|his|her|their|"
                         r"these|those|there|yet|instead|meanwhile|soon|eventually)\b", re.I)


@dataclass
class Candidate:
    article: StoredArticle
    index: int
    start: int
    end: int
    score: float
    on_topic: bool = True  # states the asked relation or shares a question word
    rank: int = 0  # rank of its passage: the top passages decide whether there is an answer, the rest help choose

    @property
    def text(self) -> str:
        return self.article.text[self.start:self.end]


def answer(question: str, retrieval: Retrieval, store: Store, settings: AnswerSettings,
           known_people: list[Name], pair: reader.PairHistory | None = None) -> Answer:
    """`pair`: the timeline of the two people asked about, when the index tells of them together."""
    names = retrieval.people.names
    asked = reader.analyse(question)
    base = Answer(text="", question=question, people=[n.text for n in names], answer_type=asked.answer_type)
    if not retrieval.people.ok or not retrieval.pool:
        return abstain(base, retrieval.people, known_people)
    if pair is not None and pair.timeline.events and reader.asks_history(question):
        return reader.history_answer(base, pair)
    spans = _sentences(retrieval, store)
    cands = score_sentences(question, retrieval, spans)
    relations = asked_relations(question)
    if relations:
        # a question about a marriage, a feud, an apology... is answered only by a sentence that states one
        cands = [c for c in cands if any(states(r, _widened_text(c, spans, settings.max_quote_chars))
                                         for r in relations)]
    top = _in_top(cands, retrieval)
    if relations and not top:
        return abstain(base, retrieval.people, known_people, relations)
    if not top or top[0].score < settings.min_sentence_score:
        return abstain(base, retrieval.people, known_people)
    chosen = choose.within_margin(cands, settings)
    if retrieval.present_tense:
        chosen = choose.with_newest(chosen, cands, settings)
    span = None
    if asked.answer_type == "verdict":
        chosen = choose.with_denial(question, chosen, cands, settings)
        if not retrieval.present_tense:
            chosen = choose.with_negative(question, chosen, cands, names, settings)
    if asked.wants_span:
        chosen, span = choose.with_typed_span(asked, question, chosen, cands, names, settings, known_people)
        near = [c for c in cands if c.score >= cands[0].score - settings.quote_margin]
        # lower-cased text has no entities to type by: a sentence from it may hold the answer unseen
        if span is None and asked.answer_type != "title" and all(is_cased(c.article.text) for c in near):
            return abstain_type(base, asked, retrieval.people)
    taken = {(c.article.article_id, c.index) for c in chosen}
    quotes = [_widen(c, spans, settings.max_quote_chars, taken) for c in chosen]
    top = (quotes[0][0].article_id, quotes[0][1])
    state = reader.pair_state(question, retrieval.present_tense, pair) if asked.answer_type == "verdict" else None
    if state is not None:
        quotes = choose.with_event(question, quotes, state, pair, settings)
    return reader.finish(compose(base, quotes, retrieval.present_tense or state is not None), asked, question, span,
                         top=None if retrieval.present_tense or state else top, state=state)


def _in_top(cands: list[Candidate], retrieval: Retrieval) -> list[Candidate]:
    """Whether there is an answer is decided on the top passages, as before the pool was widened: the wider pool
    only helps choose the quotes (measured: deciding on it cost BBC abstention recall 94% -> 83%)."""
    return [c for c in cands if c.rank < len(retrieval.passages)]


def _sentences(retrieval: Retrieval, store: Store) -> dict[tuple[str, int], tuple[int, int, np.ndarray]]:
    ids = []
    for p in retrieval.pool:
        ids += [f"{p.ref.article_id}:s{j}" for j in range(p.ref.first_sentence, p.ref.last_sentence)]
    # neighbours just outside the passages, so a short quote can borrow its preceding sentence
    ids += [f"{p.ref.article_id}:s{p.ref.first_sentence - 1}" for p in retrieval.pool if p.ref.first_sentence]
    data = store.sentence_data(list(dict.fromkeys(ids)))
    return {(sid.rsplit(":s", 1)[0], int(sid.rsplit(":s", 1)[1])): v for sid, v in data.items()}


@dataclass(frozen=True)
class Weights:
    """How sentence features combine; calibrated with `askcelebs eval` on the shipped question set."""

    focus: float = 1.0  # cosine to the question with names masked
    full: float = 0.3  # cosine to the question as asked
    names: float = NAME_WEIGHT
    terms: float = TERM_WEIGHT
    rank: float = RANK_WEIGHT
    present: float = PRESENT_BONUS
    answer_type: float = ANSWER_TYPE_BONUS


WEIGHTS = Weights()


@dataclass
class Features:
    focus: float
    full: float
    names: float
    terms: float
    rank: float
    present: float
    penalty: float
    answer_type: float = 0.0

    def score(self, w: Weights) -> float:
        return (w.focus * self.focus + w.full * self.full + w.names * self.names + w.terms * self.terms
                + w.rank * self.rank + w.present * self.present + w.answer_type * self.answer_type - self.penalty)


def sentence_features(question: str, retrieval: Retrieval, spans) -> list[tuple[Candidate, Features]]:
    names = retrieval.people.names
    name_words = {stem(w) for n in names for w in n.words}
    terms = {t for t in tokenize(question) if t not in name_words}
    full_q = retrieval.query_embedding
    focus_q = retrieval.focus_embedding
    seen: set[tuple[str, int]] = set()
    out: list[tuple[Candidate, Features]] = []
    n_pass = len(retrieval.pool)
    wanted = (_SPEECH if _ASKS_SPEECH.search(question) else _WHEN if _ASKS_WHEN.search(question)
              else _TOPIC if _ASKS_TOPIC.search(question) else None)
    relations = asked_relations(question)
    relation_terms = {t for t in terms if any(r.asked.search(t) for r in relations)}
    # "now" in a 2019 article says nothing about today when a 2023 article is at hand
    together = retrieval.people.together
    newest = max((p.article.published for p in retrieval.pool
                  if p.article.published and (not names or p.article.article_id in together)), default=None)
    for rank, p in enumerate(retrieval.pool):
        art = p.article
        cased = is_cased(art.text)
        low = art.text.lower()
        has_name = {n.text: article_mentions(n, low) for n in names}
        # news style names the people once, then says "they": in an article naming everyone, a sentence is about them
        about_them = p.people_hits == len(names) or art.article_id in together
        for j in range(p.ref.first_sentence, p.ref.last_sentence):
            key = (art.article_id, j)
            if key in seen or key not in spans:
                continue
            seen.add(key)
            start, end, emb = spans[key]
            text = art.text[start:end]
            if _is_heading(art.text, start, end, text):
                continue  # headlines, subheadings and captions restate topics; they are not evidence
            kind = reader.not_evidence(art.text, start, end, art.title)
            if kind is not None:
                continue  # an interviewer's question, a caption, a credit, boilerplate: not a statement
            asked_by = _interviewer_before(art, j, spans)
            name_frac = 0.0
            if names:
                hits = sum(passage_mentions(n, text, has_name[n.text], cased) for n in names)
                if not hits and not about_them:
                    continue  # a sentence about someone else
                # news style names one person and refers to the other ("her husband", "the two"): in a
                # passage naming everyone, a sentence naming any of them is about them
                name_frac = 1.0 if about_them and hits else hits / len(names)
            toks = set(tokenize(text))
            # "still/now" evidence counts only when it is about what was asked, not any sentence saying "again"
            stated = any(states(r, text) for r in relations)
            on_topic = stated or any(same_word(t, w) for t in terms for w in toks)
            # "getting along" answers "still friends?": the asked relation's words count as matched when it is stated
            matched = (terms & toks) | (relation_terms if stated else set())
            focus, full = float(np.dot(focus_q, emb)), float(np.dot(full_q, emb))
            if asked_by is not None:  # in a Q&A, the answer means what the interviewer asked
                q_emb, q_toks = asked_by
                focus, full = max(focus, float(np.dot(focus_q, q_emb))), max(full, float(np.dot(full_q, q_emb)))
                matched |= terms & q_toks
                on_topic = on_topic or bool(terms & q_toks)
            feats = Features(
                focus=focus, full=full, names=name_frac,
                terms=len(matched) / len(terms) if terms else 0.0, rank=1 - rank / max(n_pass, 1),
                present=float(retrieval.present_tense and on_topic and art.published in (None, newest)
                              and bool(_PRESENT_STATE.search(text))),
                penalty=_penalty(text), answer_type=float(bool(wanted and wanted.search(text))),
            )
            out.append((Candidate(art, j, start, end, 0.0, on_topic, rank), feats))
    return out


def _interviewer_before(art: StoredArticle, j: int, spans) -> tuple[np.ndarray, set[str]] | None:
    """The interviewer's question this sentence answers: the nearest of the three sentences before it, if one is."""
    for i in range(j - 1, max(-1, j - 4), -1):
        got = spans.get((art.article_id, i))
        if got is None:
            return None
        start, end, emb = got
        kind = reader.not_evidence(art.text, start, end, art.title)
        if kind == "interviewer":
            return emb, set(tokenize(art.text[start:end]))
        if kind is not None:
            return None
    return None


def score_sentences(question: str, retrieval: Retrieval, spans, weights: Weights = WEIGHTS) -> list[Candidate]:
    out = []
    for cand, feats in sentence_features(question, retrieval, spans):
        cand.score = feats.score(weights)
        out.append(cand)
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def _is_heading(article_text: str, start: int, end: int, text: str) -> bool:
    line_start = article_text.rfind("\n", 0, start) + 1
    line_end = article_text.find("\n", end)
    whole_line = start == line_start and (line_end == -1 and end == len(article_text) or end == line_end)
    return whole_line and not re.search(r"[.!…\"”’)]$", text.strip()) or text.strip().endswith("?") and start == 0


def _penalty(text: str) -> float:
    """Headings, photo captions and the article's own rhetorical questions are not answers."""
    t = text.strip()
    penalty = 0.0
    if t.endswith("?"):
        penalty += 0.3
    if not re.search(r"[.!…\"”’)]$", t):
        penalty += 0.12  # a heading or caption has no closing punctuation
    if len(t) < 30:
        penalty += 0.08
    if "|" in t:
        penalty += 0.1
    return penalty


def _widened_text(c: Candidate, spans, limit: int) -> str:
    art, start, end, _ = _widen(c, spans, limit)
    return art.text[start:end]


def _widen(c: Candidate, spans, limit: int, taken=frozenset()) -> tuple[StoredArticle, int, int, float]:
    """A short or dangling sentence ("Well, cousins.") takes its preceding sentence along, if it fits and is not
    quoted on its own already."""
    start, end = c.start, c.end
    text = c.text
    if len(text) < 70 or _CONNECTIVE.match(text):
        prev = spans.get((c.article.article_id, c.index - 1))
        fits = prev and "\n" not in c.article.text[prev[1]:start] and end - prev[0] <= limit
        if fits and (c.article.article_id, c.index - 1) not in taken:
            start = prev[0]
    return c.article, start, end, c.score


def compose(base: Answer, quotes: list[tuple[StoredArticle, int, int, float]], present: bool) -> Answer:
    """Number the quotes and write the answer; dated evidence is ordered newest first and said so."""
    dated = {a.published for a, *_ in quotes if a.published}
    time_aware = bool(dated) and (present or len(dated) > 1)
    if time_aware:
        quotes = sorted(quotes, key=lambda q: (q[0].published or dt.date.min, q[3]), reverse=True)
    cites = [Citation.of(n, art, s, e) for n, (art, s, e, _) in enumerate(quotes, 1)]
    parts = []
    newest = max(dated) if time_aware else None
    for c in cites:
        piece = f"{c.quote} [{c.n}]"
        if time_aware and c.published:
            label = f"As of {fmt_day(c.published)}" if c.published == newest else f"Earlier ({fmt_day(c.published)})"
            if not parts or c.published != cites[c.n - 2].published:
                piece = f"{label}: {piece}"
        parts.append(piece)
    base.text = " ".join(parts)
    base.citations = cites
    base.as_of = newest if time_aware else (max(dated) if dated else None)
    return base


_ASKED_WORD = {"person": "who", "date": "when", "place": "where", "number": "how many or how much",
               "title": "which title"}


def abstain_type(base: Answer, asked, people: PeopleCheck) -> Answer:
    """The articles cover the people, but no sentence about them holds the kind of answer asked for."""
    base.abstained = True
    base.citations = []
    who = _join([n.text for n in people.names], "and") if people.names else "this"
    base.text = (f"The indexed articles don't say. They cover {who}, but don't say "
                 f"{_ASKED_WORD.get(asked.answer_type, 'that')}.")
    return base


def abstain(base: Answer, people: PeopleCheck, known: list[Name], relations: list[Relation] = ()) -> Answer:
    """Say plainly that the articles don't answer this, and what the index does cover."""
    base.abstained = True
    base.citations = []
    if relations and people.names and people.ok:
        who = _join([n.text for n in people.names], "and")
        what = _join([r.name for r in relations], "or")
        base.text = f"The indexed articles don't say. They mention {who}, but say nothing about {what}."
    else:
        base.text = "The indexed articles don't say. " + coverage_hint(people, known)
    return base


def coverage_hint(people: PeopleCheck, known: list[Name]) -> str:
    missing = people.missing
    found = [n for n in people.names if n not in missing]
    if people.names and missing:
        hint = f"No indexed article mentions {_join([n.text for n in missing], 'or')}."
        guesses = [g for g in (did_you_mean(n, known) for n in missing) if g is not None]
        if guesses:
            hint += f" Did you mean {_join(list(dict.fromkeys(g.text for g in guesses)), 'or')}?"
        if found:
            hint += f" {_join([_count(n, people) for n in found], 'and')} {'is' if len(found) == 1 else 'are'} covered."
    elif len(people.names) > 1 and not people.together:
        hint = (f"The index mentions {_join([_count(n, people) for n in people.names], 'and')}, "
                "but never in the same article.")
    elif people.names:
        hint = f"The articles that mention {_join([n.text for n in people.names], 'and')} don't answer this question."
    else:
        hint = "No passage answers this question closely enough."
    if known:
        hint += f" People the articles cover include {', '.join(n.text for n in known[:6])}."
    return hint


def _count(name: Name, people: PeopleCheck) -> str:
    n = people.found.get(name.text, 0)
    return f"{name.text} ({n} article{'s' if n != 1 else ''})"


def _join(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"
