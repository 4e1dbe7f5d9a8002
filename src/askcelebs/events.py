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
from typing import Any, Iterable

from .people import Name, is_cased, passage_mentions, people_in_article

KINDS = ("met", "introduced", "worked_together", "friendship", "feud", "apology", "reconciled", "engaged",
         "married", "split", "rumour", "denial")


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


_STATES = {
    "introduced": _re(r"\bintroduc(?:ed|es|ing)\b"),
    "met": _re(r"(?<!ever )(?<!never )\b(?:first )?met\b(?! with)|\bfirst meeting\b|\bhow (?:they|we) met\b|\bcrossed paths\b"),
    "worked_together": _re(r"\bcollaborat|\bteamed up\b|\bteam up\b|\bduet\b|\bjoint (?:album|single|tour|record)|"
                           r"\bco-?wr(?:ote|ite|iting)|\bco-?produc|\bco-?star|\bstarred (?:together|alongside|opposite)|"
                           r"\bwork(?:ed|ing) (?:together|with)\b|\brecorded (?:together|with)\b|\balbum together\b|"
                           r"\btour(?:ed|ing) together\b|\bwe (?:wrote|recorded|made|co-wrote|produced)\b|\b(?:writ(?:e|ing|ten)|recording|playing) together\b|\bpartnership\b|\bsigned (?:him|her|them)\b|"
                           r"\b(?:first|second|third|new|next|latest) (?:film|album|record|single|show|project|"
                           r"collaboration) (?:with|together)\b|\bco-?host|\blaunched their\b|\bformed (?:the|a) band\b|"
                           r"\bformed The\b"),
    "friendship": _re(r"\b(?:best|close|good|old|great|dear)(?:est)? friends?\b|\bfriendship\b|\bpals\b|"
                      r"\binseparable\b|\bbff\b|\bfriends? (?:for|since)\b|\bstayed friends\b|\bare friends\b|"
                      r"\bremain(?:ed)? (?:close|friends)\b|\bgetting along\b|\bget along\b|\bgot along\b|"
                      r"\b(?:proper |good |best |close )?mates\b|\bbecome (?:\w+ )?friends\b|\bthick as thieves\b|"
                      r"\bstill close\b"),
    "feud": _re(r"\bfeud|\bfell out\b|\bfalling[- ]out\b|\bfallen out\b|\brift\b|\bno longer (?:on )?speak|"
                r"\bnot (?:been |really )?(?:on )?speaking\b|\bhad not spoken\b|\bhaven't spoken\b|\bunfollowed\b|"
                r"\bat war\b|\bat odds\b|\bdispute\b|\bspat\b|\bbeef\b|\bclash(?:ed)?\b|\bslammed\b|"
                r"\bno longer (?:friends|close)\b|\bcut (?:ties|off)\b|\bbitter\b|\bfeuding\b"),
    "apology": _re(r"\bapologi[sz]|\bapology\b|\bsaid sorry\b|\bsay sorry\b|\bi'?m sorry\b"),
    "reconciled": _re(r"\breconcil|\bpatched (?:things )?up\b|\bmade up\b|\bburied the hatchet\b|\breunit|"
                      r"\bfriends again\b|\bback on speaking\b|\bended (?:their|the) (?:\w+ )?(?:feud|rift|row)\b|"
                      r"\btruce\b|\bback together\b|\bput (?:it|the past|that) behind\b|"
                      r"\b(?:curtain|line) (?:down )?(?:on|under) (?:their|the) (?:\w+ )?(?:feud|rift|row|dispute)\b|"
                      r"\bput an end to (?:their|the) (?:\w+ )?(?:feud|rift|row|dispute)\b"),
    "engaged": _re(r"\bengaged\b|\bengagement\b|\bproposed\b|\bfianc[ée]e?\b"),
    "married": _re(r"\bmarried\b|\bmarry\b|\bwed\b|\bwedding\b|\btied the knot\b|\bnewlyweds?\b|\bexchanged vows\b"),
    "split": _re(r"\bsplit\b(?! (?:opinion|fans|the (?:industry|internet|audience|critics)))|\bbroke up\b|\bbreak-?up\b|\bseparat(?:ed|ion)\b|\bdivorc|\bparted ways\b|"
                 r"\bcalled it quits\b|\bcalled off\b|\bend(?:ed|ing)? (?:their|the|our|her|his) (?:relationship|"
                 r"engagement|partnership|marriage|collaboration)\b"),
}
_RUMOUR = _re(r"\brumou?r|\breports? (?:of|that)\b|\b(?:insiders?|sources?)\b[^.]{0,40}\b(?:claim|allege)|"
              r"\bclaimed (?:that |the )|\bspeculat|\breportedly\b|\ballegedly\b|\bsources? (?:close to \w+ )?(?:claim|say|said|"
              r"told)|\bgossip\b|\bwhispers?\b|\bclaims? that\b|\bunconfirmed\b")
_EXPLICIT_RUMOUR = _re(r"\brumou?r|\bspeculat|\bgossip\b|\bwhispers?\b|\bunconfirmed\b|\breports? (?:of|that)\b")
_RUMOUR_DATED = _re(r"\b(?:rumou?rs?|reports?|speculation|claims?)\b[^.]{0,12}\b(?:in|from|of) (?:\w+ )?(?:19|20)\d\d\b")
_DENIAL = _re(r"\bden(?:y|ied|ies|ying)\b|\bdenial\b|\b(?:were|was|is|are) (?:completely |totally )?(?:false|untrue|"
              r"nonsense|rubbish)\b|\bnot true\b|\bdismiss(?:ed|es)?\b|\bplay(?:ed|s|ing)? down\b|\blaughed off\b|"
              r"\bshut down\b|\bno truth\b|\bbaseless\b|\bfake news\b|\bnever true\b|\bnothing to (?:it|them)\b")
_GUEST = _re(r"\b(?:at|to|attended|attend|attending|missed|skipped) (?:my|his|her|their|the|a|our) wedding\b|"
            r"\bwedding (?:guests?|of)\b|\bofficiated\b")
_ENDS_UNION = _re(r"\b(?:end|ended|ending|called off|broke off) (?:their|the|her|his) (?:engagement|marriage)|\bdivorc")
_STANDALONE_DENIAL = _re(r"\bnever true\b|\bnot true\b|\bnothing to (?:it|them)\b|\bno truth\b")
_NEGATED_FRIENDSHIP = _re(r"\b(?:not|never|no longer|aren't|weren't|isn't) (?:\w+ )?(?:friends|close)\b")
_PAIR_WORDS = _re(r"\b(?:the pair|the two|the duo|the couple|both|each other|one another|together|they|them|we|"
                  r"us|our|their|the former friends|the friends|the bandmates|the co-stars)\b")
_NOT_STATEMENT = _re(r"^\s*(?:caption|photograph|photo|image|picture|credit|related|read more|sign up|\*\*q)\b|"
                     r"getty images|/redferns|/shutterstock|/reuters|/ap\b|/pa\b|^\s*q[:.]")
# Plans, questions and conditions are not events: "would rather get married", "whether they were friends again".
_HEDGED = _re(r"\b(?:would|will|might|may|could|whether|if|plans? to|planning to|hopes? to|wants? to|rather|"
              r"planned|postponed|cancelled|wanted|wants|"
              r"not yet|have not set|has not set|on the cards|asked)\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_STATED_DATE = _re(rf"\b(?:in|since|during|by|of|from|back in|early|late|mid-?|summer|winter|spring|autumn)\s+"
                   rf"(?:(?:the )?(?:summer|winter|spring|autumn|fall|early|late) (?:of )?)?"
                   rf"(?:({'|'.join(_MONTHS)})\s+)?((?:19|20)\d\d)\b")
_MONTH_YEAR = _re(rf"\b({'|'.join(_MONTHS)})\s+((?:19|20)\d\d)\b")
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
    if _DENIAL.search(sentence) and (_RUMOUR.search(sentence) or _STANDALONE_DENIAL.search(sentence)
                                     or any(p.search(sentence) for p in _STATES.values())):
        return ["denial"]
    found = [k for k, p in _STATES.items() if p.search(sentence)]
    cue = _RUMOUR.search(sentence)
    if cue and (_EXPLICIT_RUMOUR.search(sentence) or _rumoured(sentence[cue.start():cue.end() + 100])):
        return ["rumour"] if found or _re(r"\brumou?r").search(sentence) else []
    if found and _HEDGED.search(sentence):
        found = [k for k in found if k in ("met", "introduced")]
    if "friendship" in found and _NEGATED_FRIENDSHIP.search(sentence):
        found = [k for k in found if k != "friendship"] + ([] if "feud" in found else ["feud"])
    if "reconciled" in found:
        found = [k for k in found if k != "feud"]  # "ended their feud", "reunited after the rift"
    if "split" in found and _ENDS_UNION.search(sentence):
        found = [k for k in found if k not in ("engaged", "married")]  # "ended their engagement"
    if "married" in found and _GUEST.search(sentence):
        found.remove("married")  # "He was at my wedding": a guest, not the couple
    if "introduced" in found:
        found = [k for k in found if k != "met"]
    return found


_RELATIVE = _re(r"\b(?:last|this) (?:weekend|week)\b|\byesterday\b|\btoday\b|\bthis (?:morning|evening)\b")
# Words that date a sentence by the one before it: "In October 2016 ... Reyes first met Wren that night."
_THAT_TIME = _re(r"\bthat (?:night|day|evening|morning|week|month|year|summer|winter|spring|autumn)\b|\bat the time\b|"
                 r"\bback then\b|\bthe same (?:year|month|night|day)\b|\bthe following (?:day|week|month)\b")
_HOLIDAYS = {"valentine's day": (2, 14), "christmas day": (12, 25), "christmas eve": (12, 24),
             "new year's eve": (12, 31), "new year's day": (1, 1), "halloween": (10, 31)}
_HOLIDAY = _re(r"\b(valentine['’]s day|christmas day|christmas eve|new year['’]s eve|new year['’]s day|halloween)\b")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_ONLY = _re(rf"\b(?:in|since|last|this|early|late|mid-?)\s+({'|'.join(_MONTHS)})\b(?!\s+\d)")
_WEEKDAY = _re(rf"\b(?:on|last|this)\s+({'|'.join(_WEEKDAYS)})\b|\b({'|'.join(_WEEKDAYS)}) (?:night|evening|morning)\b")


def _rumoured(after_cue: str) -> bool:
    """"a source claimed the pair had clashed": the cue governs the relation after it, not a clause before it
    ("close friends ... and Voss reportedly joked")."""
    return any(p.search(after_cue) for p in _STATES.values())


def stated_date(sentence: str, published: dt.date | None) -> tuple[dt.date, str] | None:
    """A date the sentence gives for what it tells ("in 2016", "in March 2019", "last year", "on Monday")."""
    m = _STATED_DATE.search(sentence) or _MONTH_YEAR.search(sentence)
    if m:
        year = int(m.group(2))
        if m.group(1):
            return dt.date(year, _MONTHS.index(m.group(1).lower()) + 1, 1), "month"
        return dt.date(year, 1, 1), "year"
    if published is None:
        return None
    m = _LAST.search(sentence)
    if m:
        word = m.group(1).lower()
        if word == "year":
            return dt.date(published.year - 1, 1, 1), "year"
        return _month_before(published, _MONTHS.index(word) + 1), "month"
    m = _MONTH_ONLY.search(sentence)
    if m:
        return _month_before(published, _MONTHS.index(m.group(1).lower()) + 1), "month"
    if _RELATIVE.search(sentence):
        return published, "day"
    m = _HOLIDAY.search(sentence)
    if m:
        month, day = _HOLIDAYS[m.group(1).lower().replace("’", "'")]
        candidate = dt.date(published.year, month, day)
        return (candidate if candidate <= published else candidate.replace(year=published.year - 1)), "day"
    m = _WEEKDAY.search(sentence)
    if m:
        wd = _WEEKDAYS.index((m.group(1) or m.group(2)).lower())
        return published - dt.timedelta(days=(published.weekday() - wd) % 7), "day"
    return None


def _month_before(published: dt.date, month: int) -> dt.date:
    """The latest such month not after publication ("in March", written in June 2019: March 2019)."""
    return dt.date(published.year if month <= published.month else published.year - 1, month, 1)


def mention_counts(text: str, names: Iterable[Name]) -> Counter:
    """How often each person is referred to in the article (full name, or surname/first name once named)."""
    cased = is_cased(text)
    counts: Counter = Counter()
    for name in names:
        for para in text.split("\n"):
            if passage_mentions(name, para, True, cased):
                counts[name] += 1
    return counts


@dataclass
class _Interview:
    """Where a Q&A stands: what the last question asked about, and whether the answer is about the pair."""

    asked: list[str]
    about_pair: bool = True
    answer_para: int = -1


def extract(text: str, sentences: Iterable[tuple[int, int]], names: list[Name], article_id: str,
            published: dt.date | None) -> list[Event]:
    """Every relation event in one article. `names` are the people the article names in full."""
    cased = is_cased(text)
    main = main_pair(text, names)
    events: list[Event] = []
    qa = _Interview([], about_pair=False)
    para, para_date, question_para = -1, None, -1
    for start, end in sentences:
        sentence, line = text[start:end], _line_of(text, start)
        if line[0] != para:
            para, para_date = line[0], None
            if question_para >= 0 and qa.answer_para < 0:
                qa.answer_para = para  # the paragraph right after a question is its answer
        if _is_question_line(line[1]):
            if line[0] != question_para:
                others = [n for n in names if n not in main and passage_mentions(n, line[1], True, cased)]
                qa = _Interview([] if others else kinds_in(line[1].replace("?", ".")), about_pair=not others)
                question_para = line[0]
            continue
        if not _is_statement(sentence):
            continue
        in_answer = qa.answer_para == para and qa.about_pair
        kinds = kinds_in(sentence)
        if not kinds and in_answer and start == line[0]:
            kinds = qa.asked  # "**Have you two ever fallen out?**" / "Once, in 2011, over a boy called Gavin."
        stated = stated_date(sentence, published)
        if not stated and _THAT_TIME.search(sentence):
            stated = para_date
        para_date = stated or para_date
        if not kinds:
            continue
        named = [n for n in names if passage_mentions(n, sentence, True, cased)]
        pairs = _introduced(sentence, named) if "introduced" in kinds else []
        for a, b in pairs or _pairs(sentence, named, main, kinds, in_answer):
            events.extend(_events_of(kinds, pair_key(a, b), sentence, stated, published, article_id, start, end))
    return events


def _events_of(kinds: list[str], pair: tuple[str, str], sentence: str, stated, published: dt.date | None,
               article_id: str, start: int, end: int) -> list[Event]:
    date, precision, by = _date_of(stated, published)
    out = []
    if kinds == ["rumour"] and by == "text" and published and not _RUMOUR_DATED.search(sentence):
        date, precision, by = published, "day", "published"  # "who co-designed it in 2019 ... sources say"
    if kinds == ["denial"] and by == "text" and published:
        # "reports in 2018 of a falling-out ... were nonsense": the rumour was then, the denial is now
        out.append(Event("rumour", pair, date, precision, by, article_id, start, end))
        date, precision, by = published, "day", "published"
    return out + [Event(k, pair, date, precision, by, article_id, start, end) for k in kinds]


def _line_of(text: str, start: int) -> tuple[int, str]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return line_start, text[line_start:line_end if line_end >= 0 else len(text)]


def main_pair(text: str, names: list[Name]) -> list[Name]:
    """Who an article is about: the two its headline joins with "and" ("Dex Halloran and Priya Anand at war"),
    else its two most mentioned people."""
    heading = text[:text.find("\n")] if "\n" in text else text
    if heading.strip():
        in_heading = [n for n in names if passage_mentions(n, heading, True, True)]
        joined = _joined(heading, in_heading)
        if joined:
            return list(joined[0])
    return [n for n, _ in mention_counts(text, names).most_common(2)]


def _introduced(sentence: str, named: list[Name]) -> list[tuple[Name, Name]]:
    """"Okafor introduced Dex Halloran to Priya Anand": the pair is the two named after "introduced"."""
    m = _STATES["introduced"].search(sentence)
    after = [n for n in named if passage_mentions(n, sentence[m.end():], True, True)] if m else []
    return [(after[0], after[1])] if len(after) >= 2 else []


def _placed(sentence: str, named: list[Name]) -> list[tuple[tuple[int, int], Name]]:
    """Each person's first mention in the sentence, in order ("Dex Halloran", not "Dex", when both match)."""
    def first_at(n: Name) -> tuple[int, int]:
        hits = [m for w in {" ".join(n.words), n.surname, n.first}
                for m in re.finditer(rf"(?<!\w){re.escape(w)}(?:['’]s)?(?!\w)", sentence, re.I)]
        m = min(hits, key=lambda m: (m.start(), -m.end()), default=None)
        return (m.start(), m.end()) if m else (len(sentence), len(sentence))

    return sorted(((first_at(n), n) for n in named), key=lambda p: p[0])


def _joined(sentence: str, named: list[Name]) -> list[tuple[Name, Name]]:
    """"Voss and Quint have been close friends since ...": two people joined by "and" / "&" are the pair."""
    placed = _placed(sentence, named)
    return [(a, b) for (ea, a), (eb, b) in zip(placed, placed[1:])
            if sentence[ea[1]:eb[0]].strip().lower() in ("and", "&")]


def _around(sentence: str, named: list[Name], kinds: list[str]) -> list[tuple[Name, Name]]:
    """"Cece Moreau walked the carpet arm in arm with her best friend Harriet Voss, who ...": the two people
    on either side of the words that state the relation."""
    placed = _placed(sentence, named)
    triggers = [m.start() for k in kinds if k in _STATES for m in _STATES[k].finditer(sentence)]
    return [(a, b) for (ea, a), (eb, b) in zip(placed, placed[1:]) if any(ea[1] <= t < eb[0] for t in triggers)]


def _is_question_line(line: str) -> bool:
    """An interviewer's question in a Q&A: a bold line or one marked "Q:"."""
    stripped = line.strip()
    return (stripped.startswith(("Q:", "Q.")) or stripped.startswith("**") and stripped.endswith("**")
            and len(stripped) > 20)


def _is_statement(sentence: str) -> bool:
    """Captions, credits, bold lines, boilerplate and questions state nothing."""
    if sentence.lstrip().startswith(("**", ">")) or _NOT_STATEMENT.search(sentence):
        return False
    return "?" not in sentence[-3:]


def is_heading(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start + 2].lstrip().startswith("#")


# kinds an unnamed sentence in an article about a pair tells of them ("The Velvet Hours have split up."); a
# marriage or a rumour needs its people named or referred to ("Mari and I have been married" is someone else)
_UNION = {"married", "engaged"}
_COUPLE = _re(r"\b(?:the couple|the pair|the two|they|their|the newlyweds|the actors|the singers)\b")
_ABOUT_THE_PAIR = {"met", "introduced", "worked_together", "feud", "split", "reconciled"}


def _pairs(sentence: str, named: list[Name], main: list[Name], kinds: list[str],
           answers: bool = False) -> list[tuple[Name, Name]]:
    if len(named) >= 3:  # three or more people: the article's pair, or two joined by "and"
        if len(main) == 2 and all(m in named for m in main):
            return [(main[0], main[1])]
        return (_joined(sentence, named) or _around(sentence, named, kinds))[:1]
    if len(named) == 2:
        return [(named[0], named[1])]
    if set(kinds) <= _UNION and not _COUPLE.search(sentence):
        return []  # "Mari and I have been married": a marriage needs its couple named or referred to
    refers_to_pair = answers or bool(_PAIR_WORDS.search(sentence))
    if len(named) == 1 and len(main) == 2 and named[0] in main and refers_to_pair:
        other = main[1] if named[0] == main[0] else main[0]
        return [(named[0], other)]
    if len(main) == 2 and not named and (refers_to_pair or not set(kinds) - _ABOUT_THE_PAIR):
        return [(main[0], main[1])]  # in an article about a pair, an unnamed statement is about them
    if len(main) == 2 and refers_to_pair and all(n not in main for n in named):
        return [(main[0], main[1])]  # "Benny Okafor, who introduced the pair ...": the pair is the article's
    return []


def _date_of(stated: tuple[dt.date, str] | None, published: dt.date | None) -> tuple[dt.date | None, str, str]:
    """A date the text gives (not after publication), else the published date, else none."""
    if stated and (published is None or stated[0] <= published):
        return stated[0], stated[1], "text"
    if published:
        return published, "day", "published"
    return None, "none", "none"


def article_events(article: Any, sentences: Iterable[Any], people: list[Name] | None = None) -> list[dict]:
    """The events of one article as stored with its record (ingest calls this once per article, with the people
    entities.py found; without them, the capitalisation heuristic decides)."""
    spans = [(s.start, s.end) for s in sentences]
    names = people if people is not None else people_in_article(article.text)
    return [e.to_dict() for e in extract(article.text, spans, names, article.article_id, article.published)]
