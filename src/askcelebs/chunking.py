"""Article text -> sentences -> chunks, all as char offsets into the normalised text.

Offsets, never copies: a quote is always `text[start:end]`, so it is verbatim by construction.
Sentences are the unit of quoting and embedding; chunks (runs of whole sentences, with overlap) are the unit
of retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import ChunkingSettings

# Words after which a period does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "no", "vol",
    "gen", "gov", "sen", "rep", "rev", "capt", "col", "lt", "sgt", "mt", "ft", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "u.s", "u.k", "a.m", "p.m",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_CLOSERS = "\"'”’)]"
_SPACES = re.compile(r"\s*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    first_sentence: int  # index of its first sentence
    last_sentence: int  # index one past its last sentence


def split_sentences(text: str, max_chars: int = 400) -> list[Span]:
    """Sentence spans for the whole text: paragraphs first, then punctuation, then length."""
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+", text):
        for start, end in _split_paragraph(text, para.start(), para.end()):
            spans.extend(_limit_length(text, start, end, max_chars))
    return spans


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    para = text[start:end]
    cased = any(c.isupper() for c in para)
    pieces, cursor = [], 0
    for match in _BOUNDARY.finditer(para):
        cut = match.end()
        nxt = _SPACES.match(para, cut).end()  # not para[cut:].lstrip(): that copies the rest at every boundary
        if nxt == len(para) or not _ends_sentence(para, match.start(), para[nxt], cased):
            continue
        pieces.append((cursor, cut))
        cursor = nxt
    pieces.append((cursor, len(para)))
    return [(start + a, start + _rstrip_end(para, a, b)) for a, b in pieces if para[a:b].strip()]


def _ends_sentence(para: str, dot: int, nxt: str, cased: bool) -> bool:
    """`nxt` is the first character after the boundary."""
    word = re.search(r"([\w.]+)$", para[max(0, dot - 40):dot])  # not para[:dot]: that rescans the paragraph
    token = word.group(1).lower() if word else ""
    if para[dot] == "." and (token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token)):
        return False  # "Mr. West", "J. Cole"
    if cased and nxt[0].islower():
        return False  # "... Inc. and friends"
    return True


def _rstrip_end(para: str, a: int, b: int) -> int:
    while b > a and para[b - 1].isspace():
        b -= 1
    return b


def _limit_length(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    """Unpunctuated text would make huge 'sentences'; cut at clause breaks, then at spaces."""
    out = []
    while end - start > max_chars:
        window = text[start:start + max_chars]
        cut = max(window.rfind("; "), window.rfind(", "), window.rfind(" - "))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = max_chars - 1
        out.append(Span(start, start + cut + 1 if text[start + cut] in ";," else start + cut))
        start += cut + 1
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append(Span(start, end))
    return out


def make_chunks(sentences: list[Span], settings: ChunkingSettings) -> list[Chunk]:
    """Greedy runs of whole sentences up to chunk_chars, each starting with the previous run's last sentences."""
    chunks: list[Chunk] = []
    i, n = 0, len(sentences)
    while i < n:
        j = i + 1
        while j < n and sentences[j].end - sentences[i].start <= settings.chunk_chars:
            j += 1
        chunks.append(Chunk(len(chunks), sentences[i].start, sentences[j - 1].end, i, j))
        if j >= n:
            break
        i = max(j - settings.overlap_sentences, i + 1)
    return chunks
