"""The web chat: Gradio Blocks over AskCelebs.

    Chat     streamed answers with citation cards (verbatim quote, article, date, "View in article"),
             follow-ups with the conversation, example questions and "Who's covered" from the corpus.
    Reader   the article text with the cited span highlighted (<mark>) and scrolled into view.
    Library  searchable table of indexed articles; add files / pasted text / a URL; remove with confirmation.
    API      /ask, /add_text, /articles for gradio_client (JSON in, JSON out).

Everything that comes from an article (text, quotes, titles, sources, URLs) is rendered by this module as
inert text: HTML-escaped, with markdown/template syntax turned into character references, and the chatbot
renders without markdown. Nothing from an article can run a script or make the browser load anything.

The UI holds no logic of its own: it calls AskCelebs and renders what comes back.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import gradio as gr

from .answering.types import Answer, Citation
from .app import AskCelebs, Coverage
from .articles import SUPPORTED_SUFFIXES
from .errors import AskCelebsError
from .ingest import AddResult

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("ui_assets")

# Queue: chat/readers and the single writer live in separate concurrency groups, so a question is answered
# while an ingest runs (AskCelebs itself serialises writers across processes).
CHAT_CONCURRENCY = 4
READ_CONCURRENCY = 8
WRITE_CONCURRENCY = 1
QUEUE_MAX_SIZE = 256

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


def _parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise AskCelebsError("ASKCELEBS_AUTH must be user:password")
    return user, password


def _safe_filename(name: str) -> str:
    name = Path(name).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._") or "upload"
    return stem[:100] + suffix


def upload_dir(bot: AskCelebs) -> Path:
    s = bot.settings
    return Path(s.upload_dir) if s.upload_dir else Path(s.store) / "uploads"


# --- the app ------------------------------------------------------------------------------------------------


class _Handlers:
    """Event handlers: thin adapters between Gradio values and AskCelebs calls."""

    def __init__(self, bot: AskCelebs):
        self.bot = bot

    # chat ---------------------------------------------------------------------------------------------------

    def respond(self, question: str, chat: list, convo: list) -> Iterator[tuple]:
        question = (question or "").strip()
        chat, convo = list(chat or []), list(convo or [])
        if not question:
            yield chat, convo, gr.update()
            return
        chat += [{"role": "user", "content": render_user(question)},
                 {"role": "assistant", "content": render_pending()}]
        yield chat, convo, ""
        answer = None
        text = ""
        try:
            for piece in self.bot.stream(question, list(convo)):
                if isinstance(piece, str):
                    text += piece
                    shown = render_pending(text) + (render_answer(answer, question) if answer else "")
                    chat[-1] = {"role": "assistant", "content": shown}
                    yield chat, convo, gr.update()
                else:  # an Answer replaces what was shown: the extractive one first, the model's last
                    answer, text = piece, ""
                    chat[-1] = {"role": "assistant", "content": render_answer(answer, question)}
                    yield chat, convo, gr.update()
        except AskCelebsError as exc:
            chat[-1] = {"role": "assistant", "content": render_error(str(exc))}
            yield chat, convo, gr.update()
            return
        except Exception:  # keep the chat usable; the log has the traceback
            log.exception("answering %r failed", question)
            chat[-1] = {"role": "assistant", "content": render_error("Something went wrong while answering; "
                                                                      "try again or rephrase the question.")}
            yield chat, convo, gr.update()
            return
        if answer is None:
            answer = Answer(text=text)
        chat[-1] = {"role": "assistant", "content": render_answer(answer, question)}
        convo += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        yield chat, convo, gr.update()

    def view(self, target: str) -> str:
        """target = "article_id:start:end:n" from a card's "View in article" link."""
        m = re.fullmatch(r"([0-9a-f]{6,64}):(\d+):(\d+):(\d*)", (target or "").strip())
        if not m:
            return ""
        try:
            rec = self.bot.article(m.group(1))
        except AskCelebsError:
            return render_gone(m.group(1))
        return render_reader(rec, int(m.group(2)), int(m.group(3)), int(m.group(4)) if m.group(4) else None)

    # panels -------------------------------------------------------------------------------------------------

    def panels(self, query: str = ""):
        """Everything that depends on the library: header, examples, coverage, table, picker."""
        bot = self.bot
        articles = bot.articles()
        choices = [(f"{a.title[:80]} · {a.article_id[:8]}", a.article_id) for a in reversed(articles)]
        return (render_header(bot.stats()), render_examples(bot.example_questions(5)),
                render_coverage(bot.coverage()), library_rows(articles, query),
                gr.update(choices=choices, value=None))

    def search(self, query: str):
        return library_rows(self.bot.articles(), query)

    def select_row(self, evt: gr.SelectData):
        """A table row was clicked: pick its article (the table shows short ids)."""
        row = getattr(evt, "row_value", None) or []
        if not row:
            return gr.update()
        try:
            return self.bot.find(str(row[-1])).article_id
        except AskCelebsError:
            return gr.update()

    def read(self, article_id: str | None) -> str:
        if not article_id:
            return ""
        try:
            return render_reader(self.bot.article(article_id))
        except AskCelebsError:
            return render_gone(article_id)

    # library writes -----------------------------------------------------------------------------------------

    def _progress(self, progress: gr.Progress):
        def update(what: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=_PROGRESS_LABELS.get(what, what))
        return update

    def ingest_files(self, files: list | None, progress=gr.Progress()):
        if not files:
            return render_results([], "Choose one or more files first (.txt, .md, .html or .pdf)."), None
        bot = self.bot
        target = upload_dir(bot)
        target.mkdir(parents=True, exist_ok=True)
        limit = bot.settings.max_bytes
        results: list[tuple[str, AddResult]] = []
        saved: dict[str, str] = {}
        for f in files:
            tmp = Path(f if isinstance(f, str) else getattr(f, "path", None) or f.name)
            name = Path(getattr(f, "orig_name", None) or tmp.name).name
            suffix = Path(name).suffix.lower()
            try:
                if suffix not in SUPPORTED_SUFFIXES:
                    results.append((name, AddResult(name, "error", detail=f"unsupported file type {suffix or '(none)'!r}; "
                                                                          "use .txt, .md, .html or .pdf")))
                    continue
                size = tmp.stat().st_size
                if size > limit:
                    results.append((name, AddResult(name, "error", detail=f"is {size / 2**20:.1f} MB, over the "
                                                                          f"{bot.settings.max_file_mb:g} MB limit")))
                    continue
                dest = target / _safe_filename(name)
                shutil.copyfile(tmp, dest)
                saved[str(dest)] = name
            finally:
                tmp.unlink(missing_ok=True)  # Gradio's temporary copy: the app keeps only its own
        if saved:
            try:
                added = bot.add(*saved, progress=self._progress(progress))
            except AskCelebsError as exc:
                added = [AddResult(", ".join(saved.values()), "error", detail=str(exc))]
            results += [(saved.get(r.input, saved.get(str(Path(r.input).resolve()), r.input)), r) for r in added]
        return render_results(results), None

    def ingest_text(self, text: str, title: str, url: str, published: str, progress=gr.Progress()):
        if not (text or "").strip():
            return render_results([], "Paste the article text first."), gr.update(), gr.update(), gr.update(), gr.update()
        progress(0, desc="Indexing pasted text")
        r = self.bot.add_text(text, (title or "").strip(), url=(url or "").strip() or None,
                              published=(published or "").strip() or None)
        label = f"pasted text “{(title or '').strip()}”"
        if r.ok:
            return render_results([(label, r)]), "", "", "", ""
        return render_results([(label, r)]), gr.update(), gr.update(), gr.update(), gr.update()

    def ingest_url(self, url: str, progress=gr.Progress()):
        url = (url or "").strip()
        if not url:
            return render_results([], "Enter the address of an article page (http or https)."), gr.update()
        if not re.match(r"^https?://[^\s/]+", url, re.I):
            r = AddResult(url, "error", detail="only http:// and https:// addresses can be added here")
            return render_results([(url, r)]), gr.update()
        progress(0, desc="Fetching")
        try:
            results = self.bot.add(url, progress=self._progress(progress))
        except AskCelebsError as exc:
            results = [AddResult(url, "error", detail=str(exc))]
        ok = all(r.ok for r in results)
        return render_results([(r.input, r) for r in results]), ("" if ok else gr.update())

    def ask_remove(self, article_id: str | None):
        """First step of a removal: name the article and ask; returns (confirm box, text, notice, pending id)."""
        if not article_id:
            return gr.update(visible=False), "", render_notice("Pick an article in the table or the list first."), None
        try:
            rec = self.bot.article(article_id)
        except AskCelebsError:
            return gr.update(visible=False), "", render_notice("That article is no longer in the index."), None
        msg = (f'<div class="ac-confirm-text">Remove <b>{esc(rec.title)}</b>? It disappears from answers at once; '
               f"add the file again to bring it back.</div>")
        return gr.update(visible=True), msg, "", rec.article_id

    def remove(self, article_id: str | None):
        if not article_id:
            return gr.update(visible=False), render_notice("Nothing selected.")
        try:
            rec = self.bot.remove(article_id)
        except AskCelebsError as exc:
            return gr.update(visible=False), render_notice(str(exc), error=True)
        return gr.update(visible=False), render_notice(f"Removed “{rec.title}”.")

    # API (gradio_client) ------------------------------------------------------------------------------------

    def api_ask(self, question: str, history: list[dict] | None = None) -> dict:
        """Answer a question; history is the conversation so far as [{"role", "content"}]. Returns Answer JSON."""
        if isinstance(history, str):
            history = json.loads(history) if history.strip() else []
        try:
            return self.bot.ask(question, list(history or [])).to_dict()
        except AskCelebsError as exc:
            raise gr.Error(str(exc)) from None

    def api_add_text(self, text: str, title: str, url: str = "", published: str = "") -> dict:
        """Add pasted article text; returns the AddResult JSON (status added/unchanged/duplicate/.../error)."""
        return self.bot.add_text(text, title, url=url or None, published=published or None).to_dict()

    def api_articles(self) -> list[dict]:
        """Every indexed article (metadata, no text), oldest first."""
        return [a.to_dict() for a in self.bot.articles()]


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


_READER_JS = """
const scroll = () => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
  const panel = element.querySelector('.ac-reader-panel');
  if (panel) panel.focus({preventScroll: true});
};
element.addEventListener('click', (e) => {
  if (e.target.closest('.ac-reader-close') || e.target.classList.contains('ac-reader-backdrop')) {
    props.value = '';
  }
});
watch('value', () => requestAnimationFrame(() => setTimeout(scroll, 20)));
setTimeout(scroll, 20);
"""


def build_app(bot: AskCelebs) -> gr.Blocks:
    """The Blocks app over `bot`. Launch it with `launch_options(bot)` (theme, css, js, paths) or use serve()."""
    h = _Handlers(bot)
    chat_q = dict(concurrency_id="chat", concurrency_limit=CHAT_CONCURRENCY)
    read_q = dict(concurrency_id="read", concurrency_limit=READ_CONCURRENCY)
    write_q = dict(concurrency_id="write", concurrency_limit=WRITE_CONCURRENCY)
    private = dict(api_visibility="private")
    exts = sorted(SUPPORTED_SUFFIXES)

    with gr.Blocks(title="askcelebs · celebrity friendships, cited", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as demo:
        header = gr.HTML(render_header(), elem_id="ac-header", js_on_load=None)
        convo = gr.State([])
        pending_removal = gr.State(None)
        with gr.Tabs(elem_id="ac-tabs"):
            with gr.Tab("Ask", id="chat", elem_id="ac-tab-chat"):
                with gr.Row(equal_height=False, elem_id="ac-chat-row"):
                    with gr.Column(scale=7, min_width=420, elem_id="ac-chat-col"):
                        chatbot = gr.Chatbot(
                            elem_id="ac-chat", show_label=False, height="64vh", min_height=420,
                            render_markdown=False, sanitize_html=True, latex_delimiters=[], allow_tags=False,
                            feedback_options=None, buttons=[], group_consecutive_messages=False,
                            placeholder=("<div class='ac-empty'><div class='ac-empty-title'>Ask about a celebrity "
                                         "friendship</div><div class='ac-empty-sub'>Answers quote the articles "
                                         "word for word. Open any quote to read it in context.</div></div>"),
                        )
                        with gr.Row(elem_id="ac-input-row", equal_height=True):
                            question = gr.Textbox(
                                elem_id="ac-question", show_label=False, scale=8, lines=1, max_lines=4,
                                placeholder="Ask a question, e.g. “How did they meet?” — follow-ups are welcome",
                                autofocus=True, submit_btn=False, container=False)
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ac-ask-btn")
                        with gr.Row(elem_id="ac-chat-tools"):
                            new_btn = gr.Button("New conversation", size="sm", variant="secondary",
                                                elem_id="ac-new", scale=0, min_width=160)
                            gr.HTML("<div class='ac-hint'>Answers use only the indexed articles. "
                                    "Follow-up questions remember who you asked about.</div>", js_on_load=None)
                    with gr.Column(scale=3, min_width=260, elem_id="ac-side"):
                        examples = gr.HTML(render_examples([]), elem_id="ac-examples", js_on_load=None)
                        coverage = gr.HTML(render_coverage(Coverage([], [])), elem_id="ac-coverage",
                                           js_on_load=None)

            with gr.Tab("Library", id="library", elem_id="ac-tab-library"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=7, min_width=420):
                        with gr.Row(equal_height=True, elem_id="ac-lib-tools"):
                            search = gr.Textbox(elem_id="ac-search", show_label=False, scale=6, container=False,
                                                placeholder="Search title, source, date or id…")
                            refresh_btn = gr.Button("Refresh", size="sm", scale=0, min_width=90, elem_id="ac-refresh")
                        table = gr.Dataframe(
                            headers=_LIBRARY_HEADERS, datatype=["str", "str", "str", "number", "str", "str"],
                            value=[], interactive=False, wrap=True, elem_id="ac-library", max_height=460,
                            column_widths=["33%", "13%", "19%", "9%", "13%", "13%"], show_label=False,
                            buttons=[])
                        with gr.Row(equal_height=False, elem_id="ac-manage"):
                            picked = gr.Dropdown(label="Selected article", choices=[], value=None,
                                                 filterable=True, scale=5, elem_id="ac-picked",
                                                 info="Click a row in the table, or pick from the list")
                            with gr.Column(scale=2, min_width=180, elem_id="ac-manage-actions"):
                                read_btn = gr.Button("Read article", size="sm", elem_id="ac-read")
                                remove_btn = gr.Button("Remove…", size="sm", variant="stop", elem_id="ac-remove")
                        with gr.Group(visible=False, elem_id="ac-confirm") as confirm_box:
                            confirm_text = gr.HTML("", js_on_load=None, elem_id="ac-confirm-text")
                            with gr.Row():
                                cancel_btn = gr.Button("Cancel", size="sm", elem_id="ac-remove-cancel")
                                confirm_btn = gr.Button("Yes, remove it", size="sm", variant="stop",
                                                        elem_id="ac-remove-confirm")
                        lib_notice = gr.HTML("", elem_id="ac-lib-notice", js_on_load=None)
                    with gr.Column(scale=4, min_width=300, elem_id="ac-add"):
                        gr.HTML("<div class='ac-side-title'>Add articles</div>"
                                f"<div class='ac-hint'>Files up to {bot.settings.max_file_mb:g} MB: "
                                f"{', '.join(exts)}. Re-adding the same text changes nothing; a changed file "
                                "replaces its older version.</div>", js_on_load=None)
                        with gr.Tabs(elem_id="ac-add-tabs"):
                            with gr.Tab("Upload files", id="upload"):
                                files = gr.File(file_count="multiple", file_types=exts, type="filepath",
                                                label="Article files", elem_id="ac-upload", height=140)
                                add_files_btn = gr.Button("Add files", variant="primary", elem_id="ac-add-files")
                            with gr.Tab("Paste text", id="paste"):
                                p_title = gr.Textbox(label="Title", elem_id="ac-paste-title", max_lines=1)
                                p_text = gr.Textbox(label="Article text", lines=8, max_lines=16,
                                                    elem_id="ac-paste-text")
                                with gr.Row():
                                    p_url = gr.Textbox(label="Original URL (optional)", max_lines=1,
                                                       elem_id="ac-paste-url")
                                    p_pub = gr.Textbox(label="Published (YYYY-MM-DD)", max_lines=1,
                                                       elem_id="ac-paste-published")
                                add_text_btn = gr.Button("Add text", variant="primary", elem_id="ac-add-text")
                            with gr.Tab("From a URL", id="url"):
                                u_url = gr.Textbox(label="Article page (http/https)", max_lines=1,
                                                   elem_id="ac-url", placeholder="https://…")
                                add_url_btn = gr.Button("Fetch and add", variant="primary", elem_id="ac-add-url")
                        results = gr.HTML("", elem_id="ac-add-results", js_on_load=None)

        reader = gr.HTML("", elem_id="ac-reader", js_on_load=_READER_JS, container=False)
        view_target = gr.Textbox(visible="hidden", elem_id="ac-view-target")
        view_btn = gr.Button(visible="hidden", elem_id="ac-view-btn")

        panel_outputs = [header, examples, coverage, table, picked]

        # chat
        for trigger in (question.submit, ask_btn.click):
            trigger(h.respond, [question, chatbot, convo], [chatbot, convo, question], show_progress="hidden",
                    **chat_q, **private)
        new_btn.click(lambda: ([], [], "", ""), None, [chatbot, convo, question, reader], queue=False, **private)
        view_btn.click(h.view, view_target, reader, show_progress="hidden", **read_q, **private)

        # library
        demo.load(h.panels, search, panel_outputs, **read_q, **private)
        refresh_btn.click(h.panels, search, panel_outputs, **read_q, **private)
        search.change(h.search, search, table, show_progress="hidden", trigger_mode="always_last", **read_q, **private)
        search.submit(h.search, search, table, show_progress="hidden", **read_q, **private)
        table.select(h.select_row, None, picked, **read_q, **private)
        read_btn.click(h.read, picked, reader, **read_q, **private)
        remove_btn.click(h.ask_remove, picked, [confirm_box, confirm_text, lib_notice, pending_removal], **read_q,
                         **private)
        cancel_btn.click(lambda: (gr.update(visible=False), "", None), None, [confirm_box, lib_notice, pending_removal],
                         queue=False, **private)
        picked.change(lambda: (gr.update(visible=False), None), None, [confirm_box, pending_removal], queue=False,
                      **private)
        confirm_btn.click(h.remove, pending_removal, [confirm_box, lib_notice], **write_q, **private).then(
            h.panels, search, panel_outputs, **read_q, **private)
        add_files_btn.click(h.ingest_files, files, [results, files], show_progress_on=files, **write_q,
                            **private).then(
            h.panels, search, panel_outputs, **read_q, **private)
        add_text_btn.click(h.ingest_text, [p_text, p_title, p_url, p_pub], [results, p_text, p_title, p_url, p_pub],
                           show_progress_on=p_text, **write_q, **private).then(h.panels, search, panel_outputs, **read_q, **private)
        add_url_btn.click(h.ingest_url, u_url, [results, u_url], show_progress_on=u_url, show_progress="minimal",
                          **write_q, **private).then(
            h.panels, search, panel_outputs, **read_q, **private)

        # API for gradio_client (and the load benchmark)
        gr.api(h.api_ask, api_name="ask", **chat_q)
        gr.api(h.api_add_text, api_name="add_text", **write_q)
        gr.api(h.api_articles, api_name="articles", **read_q)

    demo.queue(default_concurrency_limit=2, max_size=QUEUE_MAX_SIZE)
    return demo


def theme() -> gr.themes.Base:
    """Bundled fonts only (served by the app itself): the page loads nothing from other hosts.

    IBM Plex Sans regular + bold: Gradio's SemiBold files are subsets that lack letters."""
    return gr.themes.Base(
        primary_hue=gr.themes.Color(
            c50="#fdf3f1", c100="#fbe3de", c200="#f6c4ba", c300="#ee9c8c", c400="#e2705c", c500="#cf4f3a",
            c600="#b43c2a", c700="#922f22", c800="#74271e", c900="#5c211a", c950="#33100b"),
        neutral_hue="stone",
        radius_size=gr.themes.sizes.radius_md,
        font=[gr.themes.LocalFont("IBM Plex Sans", weights=(400, 700)), "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
    ).set(
        body_background_fill="#f7f5f1",
        block_border_color="#e7e2da",
        block_shadow="none",
        button_primary_background_fill="#1f2a44",
        button_primary_background_fill_hover="#2c3a5c",
        button_primary_text_color="#ffffff",
        button_primary_border_color="#1f2a44",
    )


def launch_options(bot: AskCelebs) -> dict[str, Any]:
    """launch() keyword arguments: look (theme/css/js/head), nothing served but the app, upload cap, no tracking."""
    store = Path(bot.settings.store).resolve()
    return dict(
        theme=theme(),
        css_paths=[ASSETS / "ui.css"],
        js=(ASSETS / "ui.js").read_text(encoding="utf-8"),
        head=(ASSETS / "head.html").read_text(encoding="utf-8"),
        allowed_paths=[],
        blocked_paths=[str(store), str(upload_dir(bot).resolve())],
        max_file_size=bot.settings.max_bytes,
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        enable_monitoring=False,
        show_error=True,
        pwa=False,
        mcp_server=False,
    )


def serve(bot: AskCelebs, host: str | None = None, port: int | None = None, block: bool = True,
          **launch_kwargs: Any) -> gr.Blocks:
    """Serve the web chat (127.0.0.1:7860 unless ASKCELEBS_HOST / ASKCELEBS_PORT or the arguments say otherwise).

    With block=False the server runs in a background thread and the Blocks is returned (its .local_url is
    the address); call .close() to stop it.
    """
    s = bot.settings
    host = host or s.host
    port = port or s.port
    auth = _parse_auth(s.auth)
    if auth is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without a login; set ASKCELEBS_AUTH=user:password", host)
    demo = build_app(bot)
    options = launch_options(bot) | launch_kwargs
    demo.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=not block,
                auth_message="askcelebs: sign in to continue" if auth else None, **options)
    return demo
