"""Which sentences are statements: photo captions and credits, an interviewer's questions in a Q&A interview,
headlines repeated in the body and "related stories"/newsletter/cookie boilerplate are not quoted as evidence.

Decided per line of the article (captions, questions and boilerplate are whole lines in every format we load) and
cached per article, so a question costs a dictionary lookup per sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ...entities import _is_credit_line

_CAPTION = re.compile(r"^\s*(?:caption|photo|picture|image|pictured|above|top|main image|credit)s?\s*[:|]", re.I)
_INTERVIEWER = re.compile(r"^\s*\*\*[^*]+\*\*\s*$")  # a bold line: the interviewer's question in a Q&A
_SPEAKER = re.compile(r"^\s*\*\*[^*]{1,40}:\*\*")  # "**Voss:** ..." is an answer, attributed to Voss
_HEADLINE = re.compile(r"^\s*#{1,6}\s")
_RELATED = re.compile(r"^\s*(?:\*\*)?\s*(?:related(?: stories| articles| reading)?|read (?:next|more)|you might also "
                      r"like|more (?:from|on|stories)|most (?:read|popular)|see also|recommended|trending)\b", re.I)
_BOILERPLATE = re.compile(r"\b(?:cookies?|cookie policy|newsletter|sign up|subscribe|privacy policy|all rights "
                          r"reserved|terms of (?:use|service)|share this|follow us|advertisement)\b", re.I)


@lru_cache(maxsize=4096)
def line_kinds(text: str, title: str = "") -> tuple[tuple[int, int, str], ...]:
    """(start, end, kind) for every line that is not a statement: caption, credit, interviewer, headline,
    related, boilerplate."""
    out = []
    in_related = False
    norm_title = _squash(title)
    for m in re.finditer(r"[^\n]+", text):
        line = m.group(0)
        kind = None
        if _RELATED.match(line) and len(line) < 60:
            kind, in_related = "related", True
        elif in_related and re.match(r"^\s*(?:[-*•]|\d+\.)\s", line):
            kind = "related"
        else:
            in_related = False
            if _CAPTION.match(line):
                kind = "caption"
            elif _is_credit_line(line):
                kind = "credit"
            elif _INTERVIEWER.match(line) and not _SPEAKER.match(line):
                kind = "interviewer"
            elif _HEADLINE.match(line) or (norm_title and _squash(line) == norm_title
                                           and not re.search(r"[.!?…]\s*$", line)):
                # a title made from the first sentence (pdf, pasted text) is still that sentence
                kind = "headline"
            elif _BOILERPLATE.search(line) and len(line) < 300:
                kind = "boilerplate"
        if kind:
            out.append((m.start(), m.end(), kind))
    return tuple(out)


def _squash(s: str) -> str:
    return re.sub(r"\W+", " ", s.lower()).strip()


def not_evidence(text: str, start: int, end: int, title: str = "") -> str | None:
    """Why text[start:end] is not a statement (its line's kind), or None when it is one."""
    for s, e, kind in line_kinds(text, title):
        if s <= start < e:
            return kind
        if s > start:
            break
    return None
