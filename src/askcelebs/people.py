"""Names: finding them in questions, matching them in articles, and listing who the index covers.

No NER model is needed for the two jobs here. Questions: capitalised word runs (minus question words), plus any
known name typed in lower case or by first name alone. Articles: a name matches by its full form; once an
article has the full name, its surname (or first name) alone counts too, as news style refers back that way.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable, Iterator

# Capitalised words that start questions or are not names.
_NOT_NAMES = frozenset("""
a an the and or but if then so as at by for from in into of on onto to with without about after before over
under between during since until who whom whose what which when where why how is are was were be been being do
does did done has have had having can could will would shall should may might must am i i'm i've i'd you your
he she it we they them their his her its our my me us this that these those there here tell show list give
find explain describe compare please name say said says still ever never now currently anymore yes no not any
all some both either neither each every many much more most other another such same why's what's who's how's
let's also just only really very even ok okay hi hello thanks thank according did didn't don't doesn't isn't
aren't wasn't weren't hasn't haven't won't can't couldn't wouldn't shouldn't
mr mrs ms dr sir dame lady lord
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
""".split())
# Words that make a capitalised run an organisation or place, not a person.
_NOT_PERSON = frozenset("""
festival journal records record street images image film films awards award office club times news inc ltd
university college hall house theatre theater centre center museum gallery studios studio pictures
entertainment network channel magazine press post daily weekly show tour band group party committee council
company corporation foundation academy institute school church city county state states united kingdom republic
america american british english london york los angeles hollywood paris tv radio bbc itv cnn abc nbc cbs mtv
association league cup championship olympics series season episode chapter act twitter instagram facebook
youtube getty vogue insider president prime minister senator king queen prince princess
gala ball premiere ceremony prize prizes fair expo summit week weekend fest
""".split())

# Role words written before a name at a sentence start: "Drummer Kit Abernethy", "Singers Corinne Vale".
_ROLES = frozenset("""
singer singers rapper rappers drummer guitarist bassist pianist songwriter composer producer producers actor
actors actress actresses director directors star stars model comedian comic frontman frontwoman presenter host
musician musicians dancer judge manager boss writer author designer chef veteran former late pop rock rap
country film tv movie hollywood british american french irish scottish welsh canadian australian legendary
rockers rocker band bandmate bandmates co-star co-stars newcomer superstar superstars
""".split())

_WORD = r"[A-Z][\w’'\-.]*[\w]"
_RUN = re.compile(rf"(?:(?<!\w)\d+[ \t]+)?\b{_WORD}(?:[ \t]+(?:{_WORD}|(?:de|van|von|da|del|la|le|di|du)\b)){{0,3}}")


@dataclass(frozen=True)
class Name:
    """A name as asked about: its words, lower-cased, without possessive endings."""

    words: tuple[str, ...]
    acronym: bool = field(default=False, compare=False)  # typed as "SAG", "MTV": an organisation or award
    # what the user typed when it was resolved to a known full name ("Tash" for Tash Merriweather): text that
    # says only "Tash" is about the person asked about too
    alias: tuple[str, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        if self.acronym:
            return " ".join(w.upper() for w in self.words)
        return " ".join("-".join(p.capitalize() for p in w.split("-")) if w.islower() else w for w in self.words)

    @property
    def surname(self) -> str:
        return self.words[-1]

    @property
    def first(self) -> str:
        return self.words[0]

    def __str__(self) -> str:
        return self.text


def looks_like_person(name: Name) -> bool:
    """"The Wall Street Journal", "SAG", "Grammy Awards" are what a question asks about, not who."""
    return not name.acronym and not any(w in _NOT_PERSON for w in name.words)


def without_roles(name: Name) -> Name:
    """"Former Free" (from "Former Free and Bad Company singer Paul Rodgers") -> "Free"; "Singer Paul Rodgers" ->
    "Paul Rodgers"."""
    return Name(_drop_roles(name.words), name.acronym)


def _drop_roles(words: tuple[str, ...]) -> tuple[str, ...]:
    while words and words[0].lower() in _ROLES:
        words = words[1:]
    return words


def _strip_possessive(word: str) -> str:
    return re.sub(r"(?:['’]s|['’])$", "", word)


def _clean_run(run: str) -> tuple[str, ...]:
    words = [_strip_possessive(w).strip(".-") for w in run.split()]
    while words and words[0].lower() in _NOT_NAMES:
        words.pop(0)
    while words and words[-1].lower() in _NOT_NAMES:
        words.pop()
    return tuple(w for w in words if w)


def _runs(text: str) -> Iterator[str]:
    """Capitalised runs, split after a possessive: "Marlon Brando's Godfather" -> "Marlon Brando's", "Godfather"."""
    for match in _RUN.finditer(text):
        yield from (p for p in re.split(r"(?<=['’]s)\s+|(?<=s['’])\s+", match.group(0)) if p)


def names_in_question(question: str, known: Iterable[Name] = ()) -> list[Name]:
    """Names in a question, in order: capitalised runs, then known names typed another way."""
    found: list[Name] = []
    for run in _runs(question):
        words = _clean_run(run)
        if not words or (len(words) == 1 and (len(words[0]) < 2 or words[0].lower() in _NOT_NAMES)):
            continue
        acronym = len(words) == 1 and len(words[0]) >= 2 and words[0].isupper() and words[0].isalpha()
        found.append(Name(tuple(w.lower() for w in words), acronym))
    lowered = " " + re.sub(r"[^\w\s]", " ", question.lower()) + " "
    for name in known:
        if any(set(name.words) >= set(f.words) or set(f.words) >= set(name.words) for f in found):
            continue
        if f" {' '.join(name.words)} " in lowered:
            found.append(name)
    found += _first_names_typed(question, found, known)
    return _resolve_partial(_dedupe(found), known)


def _first_names_typed(question: str, found: list[Name], known: Iterable[Name]) -> list[Name]:
    """"are tash and dazza still friends?": a lower-case word that is the first name of exactly one known person."""
    from .entities import _NAME_WORDS

    taken = {w for f in found for w in f.words}
    by_first: dict[str, list[Name]] = {}
    for k in known:
        if len(k.words) > 1:
            by_first.setdefault(k.first, []).append(k)
    out = []
    for word in re.findall(r"(?<![\w'’])[a-z][a-z'’-]{2,}(?![\w'’])", question):
        hits = by_first.get(word, [])
        if word in taken or word in _NOT_NAMES or word in _NAME_WORDS or len({h.words for h in hits}) != 1:
            continue
        out.append(replace(hits[0], alias=(word,)))
        taken.add(word)
    return out


def _dedupe(names: list[Name]) -> list[Name]:
    out: list[Name] = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


def _resolve_partial(names: list[Name], known: Iterable[Name]) -> list[Name]:
    """'Kanye' -> 'Kanye West' when exactly one known person has that first or last name."""
    known = list(known)
    out = []
    for n in names:
        if len(n.words) == 1:
            hits = [k for k in known if len(k.words) > 1 and n.words[0] in (k.first, k.surname)]
            # "Tash" is Tash Merriweather rather than a "Team Tash" banner: a first name before a surname
            firsts = [k for k in hits if k.first == n.words[0]]
            one = hits if len({h.words for h in hits}) == 1 else firsts if len({h.words for h in firsts}) == 1 else []
            if one:
                n = replace(one[0], alias=n.words)
        out.append(n)
    return _dedupe(out)


@lru_cache(maxsize=4096)
def _full_pattern(words: tuple[str, ...], possessive: bool = False) -> re.Pattern:
    sep = r"(?:\s*['’]?\s?s)?\s+"  # "ocean's twelve", "ocean s twelve"
    tail = r"(?:['’]s)?" if possessive else ""
    return re.compile(r"(?<!\w)" + sep.join(re.escape(w) for w in words) + tail + r"(?!\w)", re.I)


def name_pattern(name: Name, possessive: bool = False) -> re.Pattern:
    """The name in full, case-insensitively, with its possessive ("West's") when asked for."""
    return _full_pattern(name.words, possessive)


@lru_cache(maxsize=4096)
def _word_pattern(word: str, case_sensitive: bool) -> re.Pattern:
    w = re.escape(word.capitalize() if case_sensitive else word)
    return re.compile(rf"(?<!\w){w}(?!\w)", 0 if case_sensitive else re.I)


def article_mentions(name: Name, text: str) -> bool:
    return _article_mentions(name.words, name.alias, text)


@lru_cache(maxsize=65536)  # called per passage per question on whole article texts (str hashes are cached)
def _article_mentions(words: tuple[str, ...], alias: tuple[str, ...], text: str) -> bool:
    return bool(_full_pattern(words).search(text)) or bool(alias and _full_pattern(alias).search(text))


def passage_mentions(name: Name, passage: str, article_has_name: bool, cased: bool) -> bool:
    """In an article that names the person in full, the surname or first name alone refers to them too."""
    if _full_pattern(name.words).search(passage):
        return True
    if name.alias and _word_pattern(name.alias[0], cased).search(passage):
        return True
    if not article_has_name or len(name.words) < 2:
        return False
    for word in {name.surname, name.first}:
        if len(word) > 2 and word not in _NOT_NAMES and _word_pattern(word, cased).search(passage):
            return True
    return False


@lru_cache(maxsize=8192)
def is_cased(text: str) -> bool:
    letters = [c for c in text[:2000] if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.01


def people_in_article(text: str) -> list[Name]:
    """Likely person names in a cased article: runs of 2-3 capitalised words that are not organisations."""
    if not is_cased(text):
        return []
    counts: Counter[tuple[str, ...]] = Counter()
    for match in _RUN.finditer(text):
        before = text[max(0, match.start() - 4):match.start()]
        if re.search(r"[\"“‘']$", before) or re.search(r"\bThe $", before):
            continue  # "Paper Lanterns" (a quoted title), The Glasshouse Tides (a band)
        run = match.group(0)
        if run.split()[0] in ("The", "A", "An"):
            continue
        words = _drop_roles(_clean_run(run.split("'s")[0].split("’s")[0]))
        if not 2 <= len(words) <= 3:
            continue
        lw = tuple(w.lower() for w in words)
        if any(w in _NOT_PERSON or w in _NOT_NAMES for w in lw) or any(not w[0].isupper() for w in words):
            continue
        if any(ch.isdigit() for w in words for ch in w):
            continue
        counts[lw] += 1
    names = [words for words, _ in counts.most_common()]
    # "Singers Corinne Vale" at a sentence start is "Corinne Vale" with a capitalised common noun in front
    names = [w for w in names if not any(len(o) < len(w) and w[-len(o):] == o for o in names)]
    return [Name(words) for words in names]
