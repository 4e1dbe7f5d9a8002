"""Yes / No / Unclear for yes/no and "still ...?" questions, read from the cited quotes, newest first.

A quote's stance: a denial ("the rumours ... were false") answers a question about a feud with No; a hedge (a rumour,
"would not be drawn", "anyone's guess") makes the answer Unclear; a negation or an ending ("no longer", "ended
their engagement", "arrived alone") answers No; otherwise the quote affirms what was asked. The newest quotes
decide; when the newest sources disagree, the answer is Unclear and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..relations import asked_relations

_DENIAL = re.compile(r"\b(?:false|never true|not true|untrue|denied|denies|deny|denying|nonsense|rubbish|"
                     r"nothing to do with|no relation|just friends|only friends|not back together|are not together|"
                     r"(?:we|they) are not|"
                     r"nothing to (?:it|that|them)|no truth|(?:are|were|been|is|was) (?:absolutely |totally )?fine|"
                     r"dismissed|played down|plays down|laughed off|shut down)\b", re.I)
_HEDGE = re.compile(r"\b(?:rumou?rs?|rumou?red|gossip|claimed|claims|speculat\w*|unconfirmed|would not be drawn|"
                    r"wouldn't be drawn|declined to (?:comment|say|confirm)|refused to (?:comment|say|confirm)|"
                    r"anyone's guess|anyone’s guess|remains to be seen|(?:has|have) (?:not|yet to) confirm\w*|"
                    r"neither [\w ]{0,30}(?:has|have) confirmed|difficult to reconcile|no plans to announce|"
                    r"sources? (?:say|said|claim|claimed|close))\b", re.I)
_CONFLICT = re.compile(r"\b(?:fell out|fallen out|falling[- ]out|feud\w*|rift|row|spat|clash\w*|no longer|split|"
                       r"broke up|break[- ]up|ended|end (?:our|their)|cut (?:her|him) from|haven['’]t spoken|"
                       r"hasn['’]t spoken|not (?:on )?speaking|not really speaking|unfollow\w*)\b", re.I)
_NEGATION = re.compile(r"\b(?:not(?! only\b)|never|no|none|without|alone|separately|missing|absent|stopped short|neither|nor)"
                       r"\b|n['’]t\b", re.I)
# the end of a couple answers "married?", "engaged?", "together?", and not "friends?" (exes can be friends)
_COUPLE_END = re.compile(r"\b(?:separat(?:ed|ing|ion)|divorc\w*|parted ways|called off|broke off)\b", re.I)
_ASKS_COUPLE = re.compile(r"\b(?:marri\w*|husband|wife|engaged|together|dating|a couple|an item)\b", re.I)
_ASKS_CONFLICT = re.compile(r"\b(?:fall(?:en)? out|fell out|falling[- ]out|feud|rift|fight|fought|argu\w*|clash|"
                            r"split|break up|broke up|sign of)\b", re.I)


# Asked about one event ("Did he apologise?", "Have they made up?"), a quote that states it answers yes unless
# negated beside it; the feud it ended ("fell out over royalties") is not a no.
_ONE_OFF = frozenset({"an apology", "a reconciliation"})


@dataclass(frozen=True)
class Stance:
    verdict: str  # yes | no | unclear
    cue: re.Match | None  # what decided it, to centre the quoted reason on
    why: str  # denial | hedge | negative | affirms


def stance(question: str, quote: str) -> Stance:
    """How one quote answers the question."""
    conflict_q = bool(_ASKS_CONFLICT.search(question))
    denial = _DENIAL.search(quote)
    if denial and (conflict_q or _CONFLICT.search(quote) or _HEDGE.search(quote)):
        return Stance("no" if conflict_q else "yes", denial, "denial")
    hedge = _HEDGE.search(quote)
    if hedge:
        return Stance("unclear", hedge, "hedge")
    for r in (r for r in asked_relations(question) if r.name in _ONE_OFF and not conflict_q):
        said = list(r.stated.finditer(quote))
        negated = [m for m in said if _NEGATION.search(quote[max(0, m.start() - 40):m.end() + 25])]
        if negated:
            return Stance("no", negated[0], "negative")
        if said:
            return Stance("yes", said[0], "affirms")
    conflict = _CONFLICT.search(quote) or (_ASKS_COUPLE.search(question) and _COUPLE_END.search(quote))
    if conflict_q:
        return Stance("yes", conflict, "affirms") if conflict else Stance("no", _NEGATION.search(quote), "negative")
    negative = conflict or _NEGATION.search(quote)
    if negative:
        return Stance("no", negative, "negative")
    return Stance("yes", None, "affirms")


@dataclass
class Verdict:
    verdict: str
    lead: int  # index of the citation the verdict rests on
    disagree: list[int]  # citations of the newest date that say otherwise (an Unclear answer names them)
    why: str


def decide(question: str, quotes: list[tuple[str, object, str]]) -> Verdict:
    """quotes: (text, published, article id) newest first as cited; the newest date's quotes decide, and a denial
    decides over the claims and hedges it answers (a rumour reported and denied is answered as denied)."""
    stances = [stance(question, q) for q, _, _ in quotes]
    dates = [d for _, d, _ in quotes]
    arts = [a for _, _, a in quotes]
    newest = dates[0]
    denials = [i for i, s in enumerate(stances) if s.why == "denial"]
    if denials:
        d = denials[0]
        # only a plain statement newer than the denial overrides it
        if not any(stances[i].why in ("affirms", "negative") and _newer(dates[i], dates[d]) for i in range(len(quotes))):
            return Verdict(stances[d].verdict, d, [], "denial")
    top = [i for i, d in enumerate(dates) if d == newest]
    lead = top[0]
    first = stances[lead]
    hedged = [i for i in top if stances[i].verdict == "unclear"]
    if first.verdict == "unclear" or (hedged and newest is not None):
        return Verdict("unclear", hedged[0] if hedged else lead, [], "hedge")
    others = [i for i in top if stances[i].verdict not in (first.verdict, "unclear")]
    elsewhere = [i for i in others if arts[i] != arts[lead]]
    if elsewhere and newest is not None:
        return Verdict("unclear", lead, elsewhere, "disagree")
    return Verdict(first.verdict, lead, [], first.why)


def _newer(a, b) -> bool:
    return a is not None and b is not None and a > b
