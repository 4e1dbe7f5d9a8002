"""Rendering for the library and the article reader, as inert HTML (every value through esc())."""

from __future__ import annotations

from typing import Any

from ..ingest import AddResult
from .render import byline, display_title, esc, fmt_date, safe_url, source_label

_STATUS_LABELS = {
    "added": "added", "unchanged": "unchanged", "replaced": "replaced", "duplicate": "duplicate",
    "near-duplicate": "near-duplicate", "error": "error",
}
PROGRESS_LABELS = {"read": "Reading", "embed": "Embedding sentences", "write": "Writing to the index"}


def _matches(a, terms: list[str]) -> bool:
    hay = " ".join(str(x or "") for x in (a.title, a.source, a.url, a.article_id, a.outlet, a.author,
                                            a.published.isoformat() if a.published else "")).lower()
    return all(t in hay for t in terms)


def _where(a) -> str:
    """Where it came from, when that means something to a reader: a site, or "pasted text"; file names are
    technical details."""
    if safe_url(a.url) or a.source.startswith(("pasted:", "http://", "https://")):
        return f' <span class="ac-sep" aria-hidden="true">·</span> {esc(source_label(a.source, a.url))}'
    return ""


def render_library(articles: list, query: str = "") -> str:
    """The indexed articles, newest first, as rows (cards on narrow screens), each with Read / Edit / Remove."""
    terms = [t for t in (query or "").lower().split() if t]
    shown = [a for a in reversed(articles) if _matches(a, terms)]
    if not articles:
        return '<div class="ac-panel-empty">No articles yet: add some with the form on the right.</div>'
    count = (f"{len(shown)} of {len(articles)} articles" if terms
             else f"{len(articles)} article{'s' if len(articles) != 1 else ''}")
    items = []
    for a in shown:
        title = esc(display_title(a.title))
        items.append(
            f'<li class="ac-lib-item" data-id="{esc(a.article_id)}">'
            f'<div class="ac-lib-main"><h3 class="ac-lib-title">{title}</h3>'
            f'<div class="ac-lib-meta">{byline(None, a.outlet, a.published)}{_where(a)}</div>'
            f'<details class="ac-tech"><summary>Details</summary><span>{esc(a.source)} · {a.chunks} passages · '
            f"{a.sentences} sentences · added {esc((a.added_at or '')[:10])} · id {esc(a.article_id)}</span>"
            f"</details></div>"
            f'<div class="ac-lib-actions">'
            f'<button type="button" class="ac-lib-act" data-act="read:{esc(a.article_id)}" '
            f'aria-label="Read “{title}”">Read</button>'
            f'<button type="button" class="ac-lib-act" data-act="edit:{esc(a.article_id)}" '
            f'aria-label="Edit the title, date and outlet of “{title}”">Edit</button>'
            f'<button type="button" class="ac-lib-act ac-danger" data-act="remove:{esc(a.article_id)}" '
            f'aria-label="Remove “{title}”">Remove…</button></div></li>')
    empty = '<div class="ac-panel-empty">No article matches the search.</div>' if not shown else ""
    return (f'<div class="ac-lib-count" role="status">{esc(count)}</div>{empty}'
            f'<ul class="ac-lib" aria-label="Indexed articles">{"".join(items)}</ul>')


def render_results(results: list[tuple[str, AddResult]], note: str = "") -> str:
    """One list for every way of adding: a row per input with its status, title and the reason for errors."""
    if not results:
        return f'<div class="ac-results-empty" role="status">{esc(note)}</div>' if note else ""
    rows = []
    for label, r in results:
        status = _STATUS_LABELS.get(r.status, r.status)
        title = f'<span class="ac-res-title">{esc(display_title(r.title))}</span>' if r.title else ""
        detail = f'<div class="ac-res-detail">{esc(r.detail)}</div>' if r.detail else ""
        rows.append(
            f'<li class="ac-res ac-res-{esc(r.status)}"><span class="ac-badge">{esc(status)}</span>'
            f'<div class="ac-res-body">{title}<div class="ac-res-input">{esc(label)}</div>{detail}</div></li>')
    counts: dict[str, int] = {}
    for _, r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (f'<div class="ac-results" role="status"><div class="ac-results-sum">{esc(summary)}</div>'
            f'<ul>{"".join(rows)}</ul></div>')


def _dialog(title_html: str, meta: str, note: str = "", body: str = "", foot: str = "") -> str:
    return (
        '<div class="ac-reader" role="dialog" aria-modal="true" aria-labelledby="ac-reader-title">'
        '<div class="ac-reader-backdrop"></div>'
        '<article class="ac-reader-panel" tabindex="-1">'
        '<header class="ac-reader-head">'
        '<button type="button" class="ac-reader-close" aria-label="Close article">×</button>'
        '<div class="ac-reader-kicker">Article</div>'
        f'<h2 class="ac-reader-title" id="ac-reader-title">{title_html}</h2>'
        f'<div class="ac-reader-meta">{meta}</div>{note}'
        f"</header>{body}{foot}</article></div>"
    )


def render_reader(article, start: int | None = None, end: int | None = None, n: int | None = None) -> str:
    """The article reader: full text, the quoted span in <mark> (scrolled into view by the component's JS)."""
    text = article.text or ""
    meta = [esc(fmt_date(article.published)) if article.published else "undated"]
    if article.outlet:
        meta.append(esc(article.outlet))
    if article.author:
        meta.append(esc(article.author))
    link = safe_url(article.url)
    if link:
        meta.append(f'<a class="ac-reader-source" href="{esc(link)}" target="_blank" '
                    f'rel="noopener noreferrer nofollow">{esc(source_label(article.source, link))}</a>')
    if start is not None and end is not None and 0 <= start < end <= len(text):
        label = f"Quote {n}" if n else "The quote"
        note = f'<div class="ac-reader-note"><span class="ac-mark-swatch"></span>{label} is highlighted</div>'
        body = f'{esc(text[:start])}<mark id="ac-mark">{esc(text[start:end])}</mark>{esc(text[end:])}'
    else:
        note, body = "", esc(text)
    span = f" · quote at characters {start:,}–{end:,}" if note else ""
    foot = (f'<footer class="ac-reader-foot"><details class="ac-tech"><summary>Details</summary>'
            f"<span>{esc(article.source)} · id {esc(article.article_id)} · {len(text):,} characters{span}</span>"
            "</details></footer>")
    return _dialog(esc(display_title(article.title)), " · ".join(meta), note,
                   f'<div class="ac-reader-text">{body}</div>', foot)


def render_gone(article_id: str) -> str:
    return _dialog("No longer in the index", f"Article {esc(article_id)} was removed from the library.")


def render_notice(message: str, error: bool = False) -> str:
    if not message:
        return ""
    role = "alert" if error else "status"
    return f'<div class="ac-notice-box{" ac-notice-error" if error else ""}" role="{role}">{esc(message)}</div>'


def edit_values(a) -> dict[str, Any]:
    return {"title": a.title, "published": a.published.isoformat() if a.published else "",
            "outlet": a.outlet or ""}
