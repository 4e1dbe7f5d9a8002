"""The web chat: Gradio Blocks over AskCelebs.

    Chat     the answer line first (verdict + short answer, or the lead quote), then the sources as cards
             (verbatim quote, title · outlet · date, "View in article"); clickable [n] markers; follow-ups.
    Reader   the article text with the cited span highlighted (<mark>), a modal dialog that keeps focus.
    Library  the indexed articles with Read / Edit / Remove; add files / pasted text / a URL.
    API      /ask, /add_text, /articles for gradio_client (JSON in, JSON out).

layout.py builds the page, render.py and render_library.py turn answers and records into inert HTML,
handlers.py adapts Gradio events to AskCelebs calls, auth.py guards the login, assets/ holds CSS, JS and the icon.
The UI holds no logic of its own.
"""

from .handlers import _Handlers, upload_dir, upload_name
from .layout import build_app, launch_options, serve, theme
from .render import answer_as_text, display_title, esc, render_answer, safe_url
from .render_library import render_library, render_reader

__all__ = ["answer_as_text", "build_app", "display_title", "esc", "launch_options", "render_answer",
           "render_library", "render_reader", "safe_url", "serve", "theme", "upload_dir", "upload_name", "_Handlers"]
