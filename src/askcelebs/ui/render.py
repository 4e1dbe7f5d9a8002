"""Rendering: every string the browser shows, as inert HTML.

Everything that comes from an article (text, quotes, titles, sources, URLs) goes through esc(): HTML-escaped, with
markdown/template syntax turned into character references; the chatbot renders without markdown. Nothing from an
article can run a script or make the browser load anything.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..answering.types import Answer, Citation
from ..app import Coverage
from ..ingest import AddResult

TAGLINE = "Celebrity friendships, answered from the news. Every claim is a verbatim quote you can check."
_STATUS_LABELS = {
    "added": "added", "unchanged": "unchanged", "replaced": "replaced", "duplicate": "duplicate",
    "near-duplicate": "near-duplicate", "error": "error",
}
_PROGRESS_LABELS = {"read": "Reading", "embed": "Embedding sentences", "write": "Writing to the index"}
_LIBRARY_HEADERS = ["Title", "Published", "Source", "Chunks", "Added", "ID"]
ID_CHARS = 8  # ids are shown shortened in the table (like git); AskCelebs.find resolves a unique prefix

# --- rendering: everything article-derived goes through esc() ----------------------------------------------

# Characters that mean something to markdown, KaTeX, template engines or HTML, as numeric character
# references: whatever renders the string, they stay literal text.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "[]()!*_`~$\\{}|#<>\"'"})


def esc(value: Any) -> str:
    """Text as inert HTML: escaped for HTML and with markdown/template syntax neutralised."""
    return html.escape("" if value is None else str(value), quote=False).translate(_INERT)


def esc_lines(value: Any) -> str:
    return esc(value).replace("\n", "<br>")


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links; javascript:, data:, relative URLs and the rest do not."""
    if not url:
        return None
    url = url.strip()
    parts = urlparse(url)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"[\s\x00-\x1f]", url):
        return url
    return None


def _link(url: str | None, text: str, cls: str = "") -> str:
    """A link to the article's original page (opens in a new tab, no referrer); plain text when unsafe."""
    target = safe_url(url)
    if target is None:
        return f'<span class="{cls}">{esc(text)}</span>' if cls else esc(text)
    return (f'<a class="{cls}" href="{esc(target)}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{esc(text)}</a>")


def fmt_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%b %Y}"


def source_label(source: str, url: str | None = None) -> str:
    """A short, human name for where an article came from."""
    if url and safe_url(url):
        parts = urlparse(url)
        return (parts.netloc + parts.path).rstrip("/")
    if source.startswith("pasted:"):
        return "pasted text"
    if re.match(r"^https?://", source, re.I):
        parts = urlparse(source)
        return (parts.netloc + parts.path).rstrip("/")
    return Path(source).name or source


def render_user(question: str) -> str:
    return f'<div class="ac-user">{esc_lines(question)}</div>'


def render_pending(text: str = "") -> str:
    if not text:
        return '<div class="ac-pending"><span class="ac-dot"></span>Searching the articles…</div>'
    return f'<div class="ac-answer ac-streaming"><p class="ac-answer-text">{_answer_text(text)}</p></div>'


def render_error(message: str) -> str:
    return (f'<div class="ac-error"><div class="ac-error-label">Could not answer</div>'
            f"<p>{esc_lines(message)}</p></div>")


def _answer_text(text: str) -> str:
    """Answer text with its [n] markers as superscript references to the cards."""
    out = []
    for i, part in enumerate(re.split(r"\s*\[(\d{1,2})\]", text)):
        out.append(esc_lines(part) if i % 2 == 0 else f'<sup class="ac-ref">{int(part)}</sup>')
    return "".join(out)


def _view_href(c: Citation) -> str:
    return f"#view/{c.article_id}/{c.start}/{c.end}/{c.n}"


def render_card(c: Citation) -> str:
    meta = [_link(c.url, c.title, "ac-card-title")]
    meta.append(f'<span class="ac-card-date">{esc(fmt_date(c.published))}</span>' if c.published
                else '<span class="ac-card-date ac-undated">undated</span>')
    if not safe_url(c.url):
        meta.append(f'<span class="ac-card-source">{esc(source_label(c.source))}</span>')
    return (
        f'<div class="ac-card">'
        f'<div class="ac-card-n">{c.n}</div>'
        f'<div class="ac-card-body">'
        f'<blockquote class="ac-quote">{esc_lines(c.quote)}</blockquote>'
        f'<div class="ac-card-meta">{" <span class=ac-sep>·</span> ".join(meta)}</div>'
        f'<div class="ac-card-actions"><a class="ac-view" href="{_view_href(c)}">View in article</a>'
        f'<span class="ac-card-pos">chars {c.start:,}–{c.end:,}</span></div>'
        f"</div></div>"
    )


def render_answer(answer: Answer, asked: str = "") -> str:
    """One assistant message: the answer (or the abstention) and its citation cards."""
    resolved = ""
    if asked and answer.question and answer.question.strip() != asked.strip():
        resolved = f'<div class="ac-resolved">Answering: {esc(answer.question)}</div>'
    notice = f'<div class="ac-notice">{esc(answer.notice)}</div>' if answer.notice else ""
    if answer.abstained or not answer.citations:
        return (f'<div class="ac-abstain">{resolved}<div class="ac-abstain-label">Not in the articles</div>'
                f'<p class="ac-answer-text">{esc_lines(answer.text)}</p>{notice}</div>')
    n = len(answer.citations)
    as_of = f" · as of {esc(fmt_date(answer.as_of))}" if answer.as_of else ""
    cards = "".join(render_card(c) for c in answer.citations)
    return (f'<div class="ac-answer">{resolved}<p class="ac-answer-text">{_answer_text(answer.text)}</p>{notice}'
            f'<div class="ac-sources-label">{n} quote{"s" if n != 1 else ""} from the articles{as_of}</div>'
            f'<div class="ac-cards">{cards}</div></div>')


def render_reader(article, start: int | None = None, end: int | None = None, n: int | None = None) -> str:
    """The article reader: full text, the quoted span in <mark> (scrolled into view by the component's JS)."""
    text = article.text or ""
    meta = []
    if article.published:
        meta.append(esc(fmt_date(article.published)))
    if article.outlet:
        meta.append(esc(article.outlet))
    if article.author:
        meta.append(esc(article.author))
    link = safe_url(article.url)
    meta.append(_link(link, source_label(article.source, link), "ac-reader-source") if link
                else esc(source_label(article.source)))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        label = f"Quote [{n}]" if n else "Quote"
        note = (f'<div class="ac-reader-note"><span class="ac-mark-swatch"></span>{label} highlighted · '
                f"characters {start:,}–{end:,}</div>")
        body = f'{esc(text[:start])}<mark id="ac-mark">{esc(text[start:end])}</mark>{esc(text[end:])}'
    else:
        note = ""
        body = esc(text)
    return (
        '<div class="ac-reader" role="dialog" aria-modal="true" aria-label="Article">'
        '<div class="ac-reader-backdrop"></div>'
        '<article class="ac-reader-panel">'
        '<header class="ac-reader-head">'
        '<button type="button" class="ac-reader-close" aria-label="Close article">×</button>'
        '<div class="ac-reader-kicker">Article</div>'
        f'<h2 class="ac-reader-title">{esc(article.title)}</h2>'
        f'<div class="ac-reader-meta">{" · ".join(meta)}</div>{note}'
        "</header>"
        f'<div class="ac-reader-text">{body}</div>'
        f'<footer class="ac-reader-foot">id {esc(article.article_id)} · {len(text):,} characters</footer>'
        "</article></div>"
    )


def _ask_link(question: str, text: str | None = None, cls: str = "ac-ask") -> str:
    return f'<a class="{cls}" href="#ask" data-q="{esc(question)}">{esc(text or question)}</a>'


def render_examples(questions: list[str]) -> str:
    head = "<div class='ac-side-title'>Try asking</div>"
    if not questions:
        return head + '<div class="ac-panel-empty">Add articles in the Library tab to get suggestions.</div>'
    return head + '<div class="ac-examples">' + "".join(_ask_link(q) for q in questions) + "</div>"


def render_coverage(cov: Coverage, max_people: int = 24, max_pairs: int = 12) -> str:
    head = "<div class='ac-side-title'>Who's covered</div>"
    if not cov.people and not cov.pairs:
        return head + '<div class="ac-panel-empty">Nobody yet: the index is empty.</div>'
    people = "".join(
        f'<span class="ac-person">{esc(name)}<span class="ac-count">{n}</span></span>'
        for name, n in cov.people[:max_people])
    more = len(cov.people) - max_people
    if more > 0:
        people += f'<span class="ac-more">+{more} more</span>'
    pairs = "".join(
        f'<li>{_ask_link(f"What do the articles say about {a} and {b}?", f"{a} & {b}", "ac-ask ac-pair")}'
        f'<span class="ac-count">{n}</span></li>'
        for a, b, n in cov.pairs[:max_pairs])
    return (head + f'<div class="ac-coverage"><div class="ac-sub">People</div><div class="ac-people">{people}</div>'
            + (f'<div class="ac-sub">Pairs named together</div><ul class="ac-pairs">{pairs}</ul>' if pairs else "")
            + "</div>")


def render_results(results: list[tuple[str, AddResult]], note: str = "") -> str:
    """Per-input results of an add: status badge, title, input and the reason for errors."""
    if not results:
        return f'<div class="ac-results-empty">{esc(note)}</div>' if note else ""
    rows = []
    for label, r in results:
        status = _STATUS_LABELS.get(r.status, r.status)
        title = f'<span class="ac-res-title">{esc(r.title)}</span>' if r.title else ""
        chunks = f" · {r.chunks} chunk{'s' if r.chunks != 1 else ''}" if r.status in ("added", "replaced") and r.chunks else ""
        detail = f'<div class="ac-res-detail">{esc(r.detail)}</div>' if r.detail else ""
        rows.append(
            f'<li class="ac-res ac-res-{esc(r.status)}"><span class="ac-badge">{esc(status)}</span>'
            f'<div class="ac-res-body">{title}<div class="ac-res-input">{esc(label)}{chunks}</div>{detail}</div></li>')
    counts: dict[str, int] = {}
    for _, r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    return f'<div class="ac-results"><div class="ac-results-sum">{esc(summary)}</div><ul>{"".join(rows)}</ul></div>'


def render_header(stats: dict[str, Any] | None = None) -> str:
    line = ""
    if stats is not None:
        n = stats.get("articles", 0)
        span = ""
        if stats.get("oldest_published") and stats.get("newest_published"):
            span = f" · {fmt_date(stats['oldest_published'])} – {fmt_date(stats['newest_published'])}"
        line = f"{n:,} article{'s' if n != 1 else ''} indexed{span}"
    return (
        '<header class="ac-header"><div class="ac-logo" aria-hidden="true">“</div>'
        '<div class="ac-brand"><h1>askcelebs</h1>'
        f'<p class="ac-tagline">{esc(TAGLINE)}</p></div>'
        f'<div class="ac-stats">{esc(line)}</div></header>'
    )


def library_rows(articles: list, query: str = "") -> list[list[Any]]:
    terms = [t for t in (query or "").lower().split() if t]
    rows = []
    for a in reversed(articles):  # newest first
        hay = " ".join(str(x or "") for x in (a.title, a.source, a.url, a.article_id, a.outlet, a.author,
                                                a.published.isoformat() if a.published else "")).lower()
        if all(t in hay for t in terms):
            rows.append([a.title, a.published.isoformat() if a.published else "", source_label(a.source, a.url),
                         a.chunks, (a.added_at or "")[:10], a.article_id[:ID_CHARS]])
    return rows



def render_gone(article_id: str) -> str:
    return ('<div class="ac-reader" role="dialog" aria-modal="true"><div class="ac-reader-backdrop"></div>'
            '<article class="ac-reader-panel"><header class="ac-reader-head">'
            '<button type="button" class="ac-reader-close" aria-label="Close article">×</button>'
            '<div class="ac-reader-kicker">Article</div><h2 class="ac-reader-title">No longer in the index</h2>'
            f'<div class="ac-reader-meta">Article {esc(article_id)} was removed from the library.</div>'
            "</header></article></div>")


def render_notice(message: str, error: bool = False) -> str:
    if not message:
        return ""
    return f'<div class="ac-notice-box{" ac-notice-error" if error else ""}">{esc(message)}</div>'
