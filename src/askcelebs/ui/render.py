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
from urllib.parse import quote, urlparse

from ..answering.types import Answer, Citation
from ..app import Coverage

TAGLINE = "Celebrity friendships, answered from the news. Every claim is a verbatim quote you can check."
VERDICTS = {"yes": "Yes", "no": "No", "unclear": "Unclear"}

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



def display_title(title: str) -> str:
    """A readable title: text without a headline (BBC rows: a lower-case first sentence cut at 117 characters)
    is shown in sentence case and cut at a word near 70 characters."""
    title = re.sub(r"\s+", " ", title or "").strip() or "Untitled article"
    if title.islower():
        title = title[0].upper() + title[1:]
    if title.endswith("...") or (title.islower() and len(title) > 90):
        title = title.rstrip(". ")
        if len(title) > 72:
            title = title[:72].rsplit(" ", 1)[0].rstrip(",;:-")
        title += "…"
    return title


def byline(title: str | None, outlet: str | None, published: dt.date | None, url: str | None = None,
           cls: str = "ac-card-title") -> str:
    """Title (a link to the original when there is a safe URL), outlet and date: what a reader needs to trust."""
    parts = [_link(url, display_title(title), cls)] if title is not None else []
    if outlet:
        parts.append(f'<span class="ac-outlet">{esc(outlet)}</span>')
    parts.append(f'<span class="ac-date">{esc(fmt_date(published))}</span>' if published
                 else '<span class="ac-date ac-undated">undated</span>')
    return ' <span class="ac-sep" aria-hidden="true">·</span> '.join(parts)


def render_user(question: str) -> str:
    return f'<div class="ac-user">{esc_lines(question)}</div>'


def render_pending(text: str = "") -> str:
    """While answering. `text` is what a streaming answerer (the LLM) has written so far."""
    if not text:
        return ('<div class="ac-pending" role="status"><span class="ac-dot" aria-hidden="true"></span>'
                "Searching the articles…</div>")
    return f'<div class="ac-answer ac-streaming"><p class="ac-lead">{_marked(text)}</p></div>'


def render_error(message: str) -> str:
    return (f'<div class="ac-error" role="alert"><div class="ac-error-label">Could not answer</div>'
            f"<p>{esc_lines(message)}</p></div>")


def render_stopped() -> str:
    return '<div class="ac-abstain ac-stopped"><div class="ac-abstain-label">Stopped</div></div>'


def _marked(text: str, refs: dict[int, str] | None = None) -> str:
    """Text with its [n] markers as buttons (refs: n -> the button HTML); markers without a citation are dropped."""
    out = []
    for i, part in enumerate(re.split(r"\s*\[(\d{1,2})\]", text)):
        if i % 2 == 0:
            out.append(esc_lines(part))
        elif refs and int(part) in refs:
            out.append(refs[int(part)])
    return "".join(out)


# The chatbot's sanitizer keeps id, class, href, role and type but drops data-* and aria-* attributes: what the
# page script needs rides in ids and hrefs, and accessible names are text (visually hidden where needed, .ac-sr).


def _sr(text: str) -> str:
    return f'<span class="ac-sr">{esc(text)}</span>'


def _ref_button(uid: str, c: Citation) -> str:
    """A citation marker (id "<uid>-r<n>" -> card "<uid>-c<n>"): hover or focus shows the quote, click scrolls to
    its card and flashes it."""
    quote = c.quote if len(c.quote) <= 240 else c.quote[:237].rsplit(" ", 1)[0] + "…"
    return (f'<button type="button" class="ac-ref" id="{uid}-r{c.n}">{_sr("Source ")}{c.n}'
            f'<span class="ac-tip" role="tooltip">“{esc(quote)}” '
            f'<span class="ac-tip-src">{esc(display_title(c.title))}</span></span></button>')


def _view_href(c: Citation) -> str:
    return f"#view/{c.article_id}/{c.start}/{c.end}/{c.n}"


def render_card(c: Citation, uid: str = "ac", outlet: str | None = None, quoted_above: bool = False) -> str:
    """One source: the quote (unless it is the answer line above), title · outlet · date, and the way to the
    article; file names, ids and offsets only behind "Details"."""
    title = display_title(c.title)
    quote = ('<p class="ac-quoted-above">The answer above, quoted from this article.</p>' if quoted_above
             else f'<blockquote class="ac-quote">{esc_lines(c.quote)}</blockquote>')
    return (
        f'<article class="ac-card" id="{uid}-c{c.n}" tabindex="-1">'
        f'<div class="ac-card-n">{_sr("Source ")}{c.n}</div>'
        f'<div class="ac-card-body">{quote}'
        f'<div class="ac-card-meta">{byline(c.title, outlet, c.published, c.url)}</div>'
        f'<div class="ac-card-actions"><a class="ac-view" href="{_view_href(c)}">View in article'
        f'{_sr(": " + title)}</a>'
        f'<details class="ac-tech"><summary>Details</summary><span>{esc(source_label(c.source))} · '
        f"characters {c.start:,}–{c.end:,} · id {esc(c.article_id)}</span></details></div>"
        f"</div></article>"
    )


def answer_as_text(answer: Answer, asked: str = "") -> str:
    """The answer as plain text for the clipboard: answer line, then every quote with its source."""
    lines = [f"Q: {asked or answer.question}"]
    verdict = VERDICTS.get(answer.verdict or "")
    line = " — ".join(x for x in (verdict, answer.short_answer) if x)
    if answer.mode == "llm":
        line = " ".join(x for x in (line, answer.text) if x)
    if line:
        lines.append(f"A: {line}" + (f" (as of {fmt_date(answer.as_of)})" if answer.as_of else ""))
    for c in answer.citations:
        src = ", ".join(x for x in (display_title(c.title), fmt_date(c.published) or "undated", c.url) if x)
        lines.append(f"[{c.n}] “{c.quote}” — {src}")
    return "\n".join(lines)


def _answer_line(answer: Answer, uid: str, refs: dict[int, str]) -> tuple[str, int | None]:
    """The answer line, large: verdict badge + short answer + "as of", or the model's text, or else the first
    quote. Returns it and the number of the card whose quote it already shows (that card does not repeat it)."""
    as_of = (f'<span class="ac-asof">as of {esc(fmt_date(answer.as_of))}</span>' if answer.as_of else "")
    first = answer.citations[0]
    label = ('<div class="ac-model-label">Written by the language model from the quotes below</div>'
             if answer.mode == "llm" else "")
    if answer.verdict or answer.short_answer:
        holder = next((c for c in answer.citations if answer.short_answer and answer.short_answer in c.quote), first)
        badge = (f'<span class="ac-verdict ac-verdict-{esc(answer.verdict)}">{VERDICTS[answer.verdict]}</span>'
                 if answer.verdict in VERDICTS else "")
        if not answer.short_answer:  # Yes / No / Unclear, and the quote it rests on (citation 1), shown once
            return (f'{label}<p class="ac-lead ac-line">{badge}<span class="ac-lead-quote">{esc_lines(first.quote)}</span>'
                    f'{refs[first.n]}{as_of}</p>', first.n)
        short = f'<span class="ac-short">{esc(answer.short_answer)}</span>' if answer.short_answer else ""
        same = answer.short_answer and answer.short_answer.strip() == holder.quote.strip()
        return (f'{label}<div class="ac-line">{badge}{short}{refs[holder.n]}{as_of}</div>',
                holder.n if same else None)
    if answer.mode == "llm":  # the model's own words, built on the cards below; marked as the model's
        return f'{label}<p class="ac-lead">{_marked(answer.text, refs)}{as_of}</p>', None
    return (f'<p class="ac-lead"><span class="ac-lead-quote">{esc_lines(first.quote)}</span>{refs[first.n]}{as_of}'
            "</p>", first.n)


def render_answer(answer: Answer, asked: str = "", outlets: dict[str, str | None] | None = None,
                  follow_ups: list[str] | None = None, uid: str = "ac") -> str:
    """One assistant message: the answer line first, then the sources; no sentence is shown twice."""
    resolved = ""
    if asked and answer.question and answer.question.strip() != asked.strip():
        resolved = f'<div class="ac-resolved">Answering: {esc(answer.question)}</div>'
    notice = f'<div class="ac-notice">{esc(answer.notice)}</div>' if answer.notice else ""
    if answer.abstained or not answer.citations:
        return (f'<div class="ac-abstain">{resolved}<div class="ac-abstain-label">Not in the articles</div>'
                f'<p class="ac-answer-text">{esc_lines(answer.text)}</p>{notice}</div>')
    outlets = outlets or {}
    refs = {c.n: _ref_button(uid, c) for c in answer.citations}
    line, shown = _answer_line(answer, uid, refs)
    n = len(answer.citations)
    cards = "".join(render_card(c, uid, outlets.get(c.article_id), quoted_above=c.n == shown)
                    for c in answer.citations)
    more = ""
    if follow_ups:
        more = ('<div class="ac-followups"><div class="ac-sub">Ask next</div>'
                + "".join(_ask_link(q, cls="ac-ask ac-followup") for q in follow_ups) + "</div>")
    copy = ('<button type="button" class="ac-copy">Copy answer</button>'
            f'<pre class="ac-copy-text">{esc(answer_as_text(answer, asked))}</pre>')
    return (f'<div class="ac-answer ac-mode-{esc(answer.mode)}">{resolved}{line}{notice}'
            f'<div class="ac-sources-head"><span class="ac-sources-label">{n} source{"s" if n != 1 else ""} '
            f"from the articles</span>{copy}</div>"
            f'<div class="ac-cards">{cards}</div>{more}</div>')


def _ask_link(question: str, text: str | None = None, cls: str = "ac-ask", count: int | None = None,
              noun: str = "article") -> str:
    """A link that asks `question` (carried in the href: "#ask/<quoted question>"); a count reads as
    ", in 3 articles"."""
    badge = ""
    if count is not None:
        badge = (f'<span class="ac-count">{_sr(", in ")}{count}{_sr(" " + noun + ("s" if count != 1 else ""))}'
                 "</span>")
    return f'<a class="{cls}" href="#ask/{quote(question, safe="")}">{esc(text or question)}{badge}</a>'


def render_start(questions: list[str] | None) -> str:
    """The empty conversation: what the app does and questions it answers well (None: still loading)."""
    head = ('<div class="ac-start-title">Ask about a celebrity friendship</div>'
            '<div class="ac-start-sub">Answers quote the articles word for word; open any quote to read it in '
            "context.</div>")
    if questions is None:
        body = '<div class="ac-panel-empty" aria-busy="true">Finding questions the articles answer…</div>'
    elif not questions:
        body = '<div class="ac-panel-empty">Add articles in the Library tab to get suggestions.</div>'
    else:
        body = ('<div class="ac-sub">Try asking</div><div class="ac-examples">'
                + "".join(_ask_link(q) for q in questions) + "</div>")
    return f'<div class="ac-start">{head}{body}</div>'


def render_coverage(cov: Coverage | None, max_people: int = 24, max_pairs: int = 12) -> str:
    """Who the index covers; each person and pair asks about them (None: still loading, no "empty" flash)."""
    head = "<h2 class='ac-side-title'>Who's covered</h2>"
    if cov is None:
        return head + '<div class="ac-panel-empty" aria-busy="true">Loading…</div>'
    if not cov.people and not cov.pairs:
        return head + '<div class="ac-panel-empty">Nobody yet: add articles in the Library tab.</div>'
    people = "".join(
        _ask_link(f"What do the articles say about {name}?", name, "ac-ask ac-person", n)
        for name, n in cov.people[:max_people])
    more = len(cov.people) - max_people
    if more > 0:
        people += f'<span class="ac-more">+{more} more</span>'
    pairs = "".join(
        "<li>" + _ask_link(f"What do the articles say about {a} and {b}?", f"{a} & {b}", "ac-ask ac-pair", n)
        + "</li>"
        for a, b, n in cov.pairs[:max_pairs])
    return (head + f'<div class="ac-coverage"><div class="ac-sub">People</div><div class="ac-people">{people}</div>'
            + (f'<div class="ac-sub">Pairs named together</div><ul class="ac-pairs">{pairs}</ul>' if pairs else "")
            + "</div>")


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
