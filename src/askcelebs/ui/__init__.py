"""The web chat: Gradio Blocks over AskCelebs.

    Chat     streamed answers with citation cards (verbatim quote, article, date, "View in article"),
             follow-ups with the conversation, example questions and "Who's covered" from the corpus.
    Reader   the article text with the cited span highlighted (<mark>) and scrolled into view.
    Library  searchable table of indexed articles; add files / pasted text / a URL; remove with confirmation.
    API      /ask, /add_text, /articles for gradio_client (JSON in, JSON out).

layout.py builds the page, render.py turns answers and records into inert HTML, handlers.py adapts Gradio events
to AskCelebs calls, assets/ holds the CSS and JS. The UI holds no logic of its own.
"""

from .handlers import _Handlers, upload_dir
from .layout import build_app, launch_options, serve, theme
from .render import esc, render_answer, render_reader, safe_url

__all__ = ["build_app", "esc", "launch_options", "render_answer", "render_reader", "safe_url", "serve", "theme",
           "upload_dir", "_Handlers"]
