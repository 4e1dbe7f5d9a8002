"""Relation events between two people, found once per article at ingest: met, introduced, worked together,
friendship, feud, apology, reconciled, engaged, married, split, rumour, denial.

Each event is a sentence of the article (char offsets, so its quote is verbatim), the pair it is about, and a
date: one the sentence states ("in 2016", "last March"), else the article's published date. News style names
people once and then says "the pair" or "they", so a sentence that names one person and refers to a pair is
about that person and the article's other main person. A rumour, or a rumour reported as false, is never the
relation it rumours: "rumours that they had fallen out were false" is a denial, not a feud.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Iterable

from .people import Name, is_cased, passage_mentions, people_in_article

KINDS = ("met", "introduced", "worked_together", "friendship", "feud", "apology", "reconciled", "engaged",
         "married", "split", "rumour", "denial")


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


_STATES = {
    "introduced": _re(r"\bintroduc(?:ed|es|ing)\b"),
    "met": _re(r"\b(?:first )?met\b(?! with)|\bfirst meeting\b|\bhow (?:they|we) met\b|\bcrossed paths\b"),
    "worked_together": _re(r"\bcollaborat|\bteamed up\b|\bteam up\b|\bduet\b|\bjoint (?:album|single|tour|record)|"
                           r"\bco-?wr(?:ote|ite|iting)|\bco-?produc|\bco-?star|\bstarred (?:together|alongside|opposite)|"
                           r"\bwork(?:ed|ing) (?:together|with)\b|\brecorded (?:together|with)\b|\balbum together\b|"
                           r"\btour(?:ed|ing) together\b|\bpartnership\b|\bsigned (?:him|her|them)\b"),
    "friendship": _re(r"\b(?:best|close|good|old|great|dear)(?:est)? friends?\b|\bfriendship\b|\bpals\b|"
                      r"\binseparable\b|\bbff\b|\bfriends? (?:for|since)\b|\bstayed friends\b|\bare friends\b|"
                      r"\bremain(?:ed)? (?:close|friends)\b|\bgetting along\b|\bget along\b|\bgot along\b"),
    "feud": _re(r"\bfeud|\bfell out\b|\bfalling[- ]out\b|\bfallen out\b|\brift\b|\bno longer (?:on )?speak|"
                r"\bnot (?:been )?(?:on )?speaking\b|\bhad not spoken\b|\bhaven't spoken\b|\bunfollowed\b|"
                r"\bat war\b|\bat odds\b|\bdispute\b|\bspat\b|\bbeef\b|\bclash(?:ed)?\b|\bslammed\b|"
                r"\bno longer (?:friends|close)\b|\bcut (?:ties|off)\b|\bbitter\b|\bfeuding\b"),
    "apology": _re(r"\bapologi[sz]|\bapology\b|\bsaid sorry\b|\bsay sorry\b|\bi'?m sorry\b"),
    "reconciled": _re(r"\breconcil|\bpatched (?:things )?up\b|\bmade up\b|\bburied the hatchet\b|\breunit|"
                      r"\bfriends again\b|\bback on speaking\b|\bended (?:their|the) (?:\w+ )?(?:feud|rift|row)\b|"
                      r"\btruce\b|\bback together\b|\bput (?:it|the past|that) behind\b"),
    "engaged": _re(r"\bengaged\b|\bengagement\b|\bproposed\b|\bfianc[ée]e?\b"),
    "married": _re(r"\bmarried\b|\bmarry\b|\bwed\b|\bwedding\b|\btied the knot\b|\bnewlyweds?\b|\bexchanged vows\b"),
    "split": _re(r"\bsplit\b|\bbroke up\b|\bbreak-?up\b|\bseparat(?:ed|ion)\b|\bdivorc|\bparted ways\b|"
                 r"\bcalled it quits\b|\bcalled off\b|\bended (?:their|the) (?:relationship|engagement|partnership|"
                 r"marriage|collaboration)\b"),
}
_RUMOUR = _re(r"\brumou?r|\bspeculat|\breportedly\b|\ballegedly\b|\bsources? (?:close to \w+ )?(?:claim|say|said|"
              r"told)|\bgossip\b|\bwhispers?\b|\bclaims? that\b|\bunconfirmed\b")
_DENIAL = _re(r"\bden(?:y|ied|ies|ying)\b|\bdenial\b|\b(?:were|was|is|are) (?:completely |totally )?(?:false|untrue|"
              r"nonsense|rubbish)\b|\bnot true\b|\bdismiss(?:ed|es)?\b|\bplay(?:ed|s|ing)? down\b|\blaughed off\b|"
              r"\bshut down\b|\bno truth\b|\bbaseless\b|\bfake news\b")
_NEGATED_FRIENDSHIP = _re(r"\b(?:not|never|no longer|aren't|weren't|isn't) (?:\w+ )?(?:friends|close)\b")
_PAIR_WORDS = _re(r"\b(?:the pair|the two|the duo|the couple|both|each other|one another|together|they|them|"
                  r"their|the former friends|the friends|the bandmates|the co-stars)\b")
_NOT_STATEMENT = _re(r"^\s*(?:caption|photograph|photo|image|picture|credit|related|read more|sign up|\*\*q)\b|"
                     r"getty images|/redferns|/shutterstock|/reuters|/ap\b|/pa\b|^\s*q[:.]")
# Plans, questions and conditions are not events: "would rather get married", "whether they were friends again".
_HEDGED = _re(r"\b(?:would|will|might|may|could|whether|if|plans? to|planning to|hopes? to|wants? to|rather|"
              r"not yet|have not set|has not set|on the cards|asked)\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_STATED_DATE = _re(rf"\b(?:in|since|during|by|of|from|back in|early|late|mid-?|summer|winter|spring|autumn)\s+"
                   rf"(?:(?:the )?(?:summer|winter|spring|autumn|fall|early|late) (?:of )?)?"
                   rf"(?:({'|'.join(_MONTHS)})\s+)?((?:19|20)\d\d)\b")
_LAST = _re(rf"\blast (year|{'|'.join(_MONTHS)})\b")


@dataclass(frozen=True)
class Event:
    """One relation event: `text[start:end]` of article `article_id` states it."""

    kind: str
    pair: tuple[str, str]  # the two people's names, lower-cased words joined by spaces, sorted
    date: dt.date | None
    precision: str  # "day" | "month" | "year" | "none"
    dated_by: str  # "text" (the sentence states it), "published", or "none"
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "pair": list(self.pair), "date": self.date.isoformat() if self.date else None,
                "precision": self.precision, "dated_by": self.dated_by, "article_id": self.article_id,
                "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        date = dt.date.fromisoformat(d["date"]) if d.get("date") else None
        return cls(d["kind"], tuple(d["pair"]), date, d["precision"], d["dated_by"], d["article_id"], d["start"],
                   d["end"])


def pair_key(a: Name | str, b: Name | str) -> tuple[str, str]:
    """The order-free identity of a pair: lower-cased full names."""
    def norm(x: Name | str) -> str:
        return " ".join(x.words) if isinstance(x, Name) else " ".join(x.lower().split())

    return tuple(sorted((norm(a), norm(b))))  # type: ignore[return-value]


def kinds_in(sentence: str) -> list[str]:
    """The relation kinds a sentence states; a rumour or a denial stands instead of what it rumours."""
    if _DENIAL.search(sentence) and (_RUMOUR.search(sentence) or any(p.search(sentence) for p in _STATES.values())):
        return ["denial"]
    found = [k for k, p in _STATES.items() if p.search(sentence)]
    if found and _HEDGED.search(sentence):
        found = [k for k in found if k in ("met", "introduced")]
    if _RUMOUR.search(sentence):
        return ["rumour"] if found or _re(r"\brumou?r").search(sentence) else []
    if "friendship" in found and _NEGATED_FRIENDSHIP.search(sentence):
        found = [k for k in found if k != "friendship"] + ([] if "feud" in found else ["feud"])
    if "reconciled" in found:
        found = [k for k in found if k != "feud"]  # "ended their feud", "reunited after the rift"
    if "introduced" in found:
        found = [k for k in found if k != "met"]
    return found


def stated_date(sentence: str, published: dt.date | None) -> tuple[dt.date, str] | None:
    """A date the sentence gives for what it tells ("in 2016", "in March 2019", "last year")."""
    m = _STATED_DATE.search(sentence)
    if m:
        year = int(m.group(2))
        if m.group(1):
            return dt.date(year, _MONTHS.index(m.group(1).lower()) + 1, 1), "month"
        return dt.date(year, 1, 1), "year"
    m = _LAST.search(sentence)
    if m and published:
        word = m.group(1).lower()
        if word == "year":
            return dt.date(published.year - 1, 1, 1), "year"
        month = _MONTHS.index(word) + 1
        year = published.year if month < published.month else published.year - 1
        return dt.date(year, month, 1), "month"
    return None


def mention_counts(text: str, names: Iterable[Name]) -> Counter:
    """How often each person is referred to in the article (full name, or surname/first name once named)."""
    cased = is_cased(text)
    counts: Counter = Counter()
    for name in names:
        for para in text.split("\n"):
            if passage_mentions(name, para, True, cased):
                counts[name] += 1
    return counts


def extract(text: str, sentences: Iterable[tuple[int, int]], names: list[Name], article_id: str,
            published: dt.date | None) -> list[Event]:
    """Every relation event in one article. `names` are the people the article names in full."""
    cased = is_cased(text)
    counts = mention_counts(text, names)
    main = [n for n, _ in counts.most_common(2)]
    events: list[Event] = []
    for start, end in sentences:
        sentence = text[start:end]
        if not _is_statement(text, start, sentence):
            continue
        kinds = kinds_in(sentence)
        if not kinds:
            continue
        named = [n for n in names if passage_mentions(n, sentence, True, cased)]
        for a, b in _pairs(sentence, named, main):
            date, precision, by = _date_of(sentence, published, kinds)
            events.extend(Event(k, pair_key(a, b), date, precision, by, article_id, start, end) for k in kinds)
    return events


def _is_statement(text: str, start: int, sentence: str) -> bool:
    """Captions, credits, an interviewer's bold question, boilerplate and questions state nothing."""
    line_start = text.rfind("\n", 0, start) + 1
    line = text[line_start:text.find("\n", start) if "\n" in text[start:] else len(text)]
    if line.lstrip().startswith(("**", "Q:", "Q.", ">")) or _NOT_STATEMENT.search(sentence):
        return False
    return "?" not in sentence[-3:]


def is_heading(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start + 2].lstrip().startswith("#")


def _pairs(sentence: str, named: list[Name], main: list[Name]) -> list[tuple[Name, Name]]:
    if len(named) >= 3 and len(main) == 2 and all(m in named for m in main):
        return [(main[0], main[1])]
    if len(named) >= 2:
        return list(combinations(named, 2))[:3]
    refers_to_pair = bool(_PAIR_WORDS.search(sentence))
    if len(named) == 1 and len(main) == 2 and named[0] in main and refers_to_pair:
        other = main[1] if named[0] == main[0] else main[0]
        return [(named[0], other)]
    if len(main) == 2 and refers_to_pair and all(n not in main for n in named):
        return [(main[0], main[1])]  # "Benny Okafor, who introduced the pair ...": the pair is the article's
    return []


def _date_of(sentence: str, published: dt.date | None, kinds: list[str]) -> tuple[dt.date | None, str, str]:
    # A present-tense state (friends, feud) is as of publication; a past event may carry its own date.
    stated = stated_date(sentence, published)
    if stated and (published is None or stated[0] <= published):
        return stated[0], stated[1], "text"
    if published:
        return published, "day", "published"
    return None, "none", "none"


def article_events(article: Any, sentences: Iterable[Any]) -> list[dict]:
    """The events of one article as stored with its record (ingest calls this once per article)."""
    spans = [(s.start, s.end) for s in sentences]
    found = extract(article.text, spans, people_in_article(article.text), article.article_id, article.published)
    return [e.to_dict() for e in found]
