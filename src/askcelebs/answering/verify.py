"""Finding a quote in an article, forgiving only whitespace and quote-mark differences.

Used to check what a language model claims to quote: a quote that cannot be located is not shown.
"""

from __future__ import annotations

_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'", "‚": "'",
                              "‛": "'", "′": "'", "`": "'"})


def _canonical(text: str) -> tuple[str, list[int]]:
    """Canonical form (quote marks unified, whitespace runs -> one space) and a map back to original offsets."""
    out, pos = [], []
    prev_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if prev_space:
                continue
            out.append(" ")
            pos.append(i)
            prev_space = True
        else:
            out.append(ch.translate(_QUOTE_MARKS))
            pos.append(i)
            prev_space = False
    return "".join(out), pos


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """(start, end) of `quote` in `text`, or None; an exact match is tried first."""
    quote = quote.strip()
    if len(quote) < 8:
        return None
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    cq, _ = _canonical(quote)
    cq = cq.strip().strip('"').strip()
    ct, pos = _canonical(text)
    i = ct.find(cq)
    if i < 0 or not cq:
        return None
    start, last = pos[i], pos[i + len(cq) - 1]
    return start, last + 1

