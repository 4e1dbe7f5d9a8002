"""Event handlers: thin adapters between Gradio values and AskCelebs calls (the UI holds no logic)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import gradio as gr

from ..answering.types import Answer
from ..app import AskCelebs
from ..articles import SUPPORTED_SUFFIXES
from ..errors import AskCelebsError
from ..ingest import AddResult
from .handlers_timeline import TimelineHandlers
from .render import esc, render_answer, render_coverage, render_error, render_header, render_pending, render_start
from .render import render_stopped, render_user
from .render_library import (PROGRESS_LABELS, edit_values, render_gone, render_library, render_notice,
                             render_reader, render_results)

log = logging.getLogger(__name__)

EMPTY_QUESTION = "Type a question first, or pick one of the suggestions."
HIDE = gr.update(visible=False)


def upload_name(name: str) -> str:
    """The name an upload is kept under: the cleaned name, plus a short hash of the original name when cleaning
    changed it, so "a?b.md" and "a*b.md" stay two files while re-uploading "story.md" still replaces it."""
    name = Path(name).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    clean = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._")[:100] or "upload"
    if clean + suffix != name:
        clean += "-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean + suffix


def upload_dir(bot: AskCelebs) -> Path:
    s = bot.settings
    return Path(s.upload_dir) if s.upload_dir else Path(s.store) / "uploads"


def saved_state(chat: list, convo: list) -> dict:
    """What the browser keeps (gr.BrowserState) so a reload shows the same conversation."""
    return {"chat": chat, "convo": convo}


class _Handlers(TimelineHandlers):
    """Event handlers: thin adapters between Gradio values and AskCelebs calls."""

    def __init__(self, bot: AskCelebs):
        self.bot = bot

    # chat ---------------------------------------------------------------------------------------------------

    def respond(self, question: str, chat: list, convo: list) -> Iterator[tuple]:
        """Yields (chat, convo, question box, hint, browser state). The answerer's stream is text pieces, then
        the final Answer: pieces show as they come (render_pending), the Answer replaces them (render_answer)."""
        question = (question or "").strip()
        chat, convo = list(chat or []), list(convo or [])
        if not question:
            yield chat, convo, gr.update(), render_notice(EMPTY_QUESTION), gr.update()
            return
        chat += [{"role": "user", "content": render_user(question)},
                 {"role": "assistant", "content": render_pending()}]
        yield chat, convo, "", "", gr.update()
        answer, text = None, ""
        try:
            for piece in self.bot.stream(question, list(convo)):
                if isinstance(piece, str):
                    text += piece
                    shown = render_pending(text) + (self._render(answer, question) if answer else "")
                    chat[-1] = {"role": "assistant", "content": shown}
                    yield chat, convo, gr.update(), gr.update(), gr.update()
                else:  # an Answer replaces what was shown: the extractive one first, a model's last
                    answer, text = piece, ""
                    chat[-1] = {"role": "assistant", "content": self._render(answer, question)}
                    yield chat, convo, gr.update(), gr.update(), gr.update()
        except AskCelebsError as exc:
            chat[-1] = {"role": "assistant", "content": render_error(str(exc))}
            yield chat, convo, gr.update(), gr.update(), saved_state(chat, convo)
            return
        except Exception:  # keep the chat usable; the log has the traceback
            log.exception("answering %r failed", question)
            chat[-1] = {"role": "assistant", "content": render_error("Something went wrong while answering; "
                                                                      "try again or rephrase the question.")}
            yield chat, convo, gr.update(), gr.update(), saved_state(chat, convo)
            return
        answer = answer or Answer(text=text)
        chat[-1] = {"role": "assistant", "content": self._render(answer, question)}
        convo += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        yield chat, convo, gr.update(), gr.update(), saved_state(chat, convo)

    def _render(self, answer: Answer, question: str) -> str:
        outlets = {}
        for c in answer.citations:
            try:
                outlets[c.article_id] = self.bot.article(c.article_id).outlet
            except AskCelebsError:
                outlets[c.article_id] = None
        return render_answer(answer, question, outlets, self.bot.follow_ups(answer), uid=f"a{uuid.uuid4().hex[:8]}")

    def stopped(self, chat: list, convo: list):
        """The stop button: the pending message becomes "Stopped"; the conversation is kept as it was."""
        chat = list(chat or [])
        last = str(chat[-1].get("content")) if chat else ""
        if "ac-pending" in last or "ac-streaming" in last:
            chat[-1] = {"role": "assistant", "content": render_stopped()}
        return chat, saved_state(chat, list(convo or []))

    def restore(self, saved: dict | None):
        """Page load: the conversation the browser kept."""
        saved = saved if isinstance(saved, dict) else {}
        chat = [m for m in saved.get("chat") or [] if isinstance(m, dict) and m.get("role") in ("user", "assistant")]
        convo = [m for m in saved.get("convo") or [] if isinstance(m, dict)]
        return chat, convo

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
        """Everything that depends on the library: header, suggestions, coverage, the article list."""
        bot = self.bot
        return (render_header(bot.stats()), render_start(bot.example_questions(5)), render_coverage(bot.coverage()),
                render_library(bot.articles(), query))

    def search(self, query: str):
        return render_library(self.bot.articles(), query)

    def lib_action(self, act: str):
        """A button in the article list: "read:<id>", "edit:<id>" or "remove:<id>".
        Returns (reader, edit box, edit id, title, published, outlet, confirm box, confirm text, notice, pending)."""
        keep = [gr.update()] * 10
        what, _, article_id = (act or "").partition(":")
        try:
            rec = self.bot.article(article_id)
        except AskCelebsError:
            return [render_gone(article_id) if what == "read" else gr.update(), HIDE, None, "", "", "", HIDE, "",
                    render_notice("That article is no longer in the index."), None]
        if what == "read":
            keep[0] = render_reader(rec)
            return keep
        if what == "edit":
            v = edit_values(rec)
            return [gr.update(), gr.update(visible=True), rec.article_id, v["title"], v["published"], v["outlet"],
                    HIDE, "", "", None]
        if what == "remove":
            msg = (f'<div class="ac-confirm-text">Remove <b>{esc(rec.title)}</b>? It disappears from answers at '
                   f"once; add the file again to bring it back.</div>")
            return [gr.update(), HIDE, None, "", "", "", gr.update(visible=True), msg, "", rec.article_id]
        return keep

    def save_edit(self, article_id: str | None, title: str, published: str, outlet: str):
        if not article_id:
            return HIDE, render_notice("Pick an article to edit first.")
        try:
            rec = self.bot.update_metadata(article_id, title=title, published=published, outlet=outlet)
        except AskCelebsError as exc:
            return gr.update(), render_notice(str(exc), error=True)
        return HIDE, render_notice(f"Saved the details of “{rec.title}”.")

    # library writes -----------------------------------------------------------------------------------------

    def _progress(self, progress: gr.Progress):
        def update(what: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=PROGRESS_LABELS.get(what, what))
        return update

    def ingest_files(self, files: list | None, title: str = "", published: str = "", progress=gr.Progress()):
        """Returns (results, file box, title, published)."""
        if not files:
            return (render_results([], "Choose one or more files first (.txt, .md, .html or .pdf)."),
                    gr.update(), gr.update(), gr.update())
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
                dest = target / upload_name(name)
                shutil.copyfile(tmp, dest)
                saved[str(dest)] = name
            finally:
                tmp.unlink(missing_ok=True)  # Gradio's temporary copy: the app keeps only its own
        if saved:
            try:
                added = bot.add(*saved, title=(title or "").strip() or None,
                                published=(published or "").strip() or None, progress=self._progress(progress))
            except AskCelebsError as exc:
                added = [AddResult(", ".join(saved.values()), "error", detail=str(exc))]
            except Exception as exc:  # a loader bug must not leave a raw traceback in the page; the log has it
                log.exception("adding %s failed", list(saved.values()))
                added = [AddResult(", ".join(saved.values()), "error", detail=f"could not be read ({exc})")]
            results += [(saved.get(r.input, saved.get(str(Path(r.input).resolve()), r.input)), r) for r in added]
        ok = all(r.ok for _, r in results)
        return render_results(results), None, "" if ok else gr.update(), "" if ok else gr.update()

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

    def remove(self, article_id: str | None):
        if not article_id:
            return HIDE, render_notice("Nothing selected.")
        try:
            rec = self.bot.remove(article_id)
        except AskCelebsError as exc:
            return HIDE, render_notice(str(exc), error=True)
        return HIDE, render_notice(f"Removed “{rec.title}”.")

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
