"""Event handlers: thin adapters between Gradio values and AskCelebs calls (the UI holds no logic)."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Iterator

import gradio as gr

from ..answering.types import Answer
from ..app import AskCelebs
from ..articles import SUPPORTED_SUFFIXES
from ..errors import AskCelebsError
from ..ingest import AddResult
from .render import (_PROGRESS_LABELS, esc, library_rows, render_answer, render_coverage, render_error,
                     render_examples, render_gone, render_header, render_notice, render_pending, render_reader,
                     render_results, render_user)

log = logging.getLogger(__name__)


def _safe_filename(name: str) -> str:
    name = Path(name).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._") or "upload"
    return stem[:100] + suffix


def upload_dir(bot: AskCelebs) -> Path:
    s = bot.settings
    return Path(s.upload_dir) if s.upload_dir else Path(s.store) / "uploads"



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
                    chat[-1] = {"role": "assistant", "content": render_pending(text)}
                    yield chat, convo, gr.update()
                else:
                    answer = piece
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

