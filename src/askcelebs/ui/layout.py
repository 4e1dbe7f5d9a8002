"""The page: Gradio Blocks over AskCelebs, its theme and launch options, and serve().

Ask      the empty state holds the suggested questions; answers start with the answer line, then the sources;
         the question box stays at the bottom of the screen; a stop button while answering; the conversation
         is kept in the browser (gr.BrowserState) so a reload shows it again.
Library  the articles as a list (cards on phones) with Read / Edit / Remove; add by upload, paste or URL, one
         results list for all three.
(The People tab between them holds the friendship map and pair timelines.)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from ..app import AskCelebs
from ..articles import SUPPORTED_SUFFIXES
from .auth import LoginGuard, parse_auth
from .handlers import _Handlers, upload_dir
from .render import render_coverage, render_header, render_start

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets")
TITLE = "askcelebs · celebrity friendships, cited"

# Queue: chat/readers and the single writer live in separate concurrency groups, so a question is answered
# while an ingest runs (AskCelebs itself serialises writers across processes).
CHAT_CONCURRENCY = 4
READ_CONCURRENCY = 8
WRITE_CONCURRENCY = 1
QUEUE_MAX_SIZE = 256


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _busy(busy: bool):
    return gr.update(visible=not busy), gr.update(visible=busy)


def build_app(bot: AskCelebs) -> gr.Blocks:
    """The Blocks app over `bot`. Launch it with `launch_options(bot)` (theme, css, js, paths) or use serve()."""
    h = _Handlers(bot)
    chat_q = dict(concurrency_id="chat", concurrency_limit=CHAT_CONCURRENCY)
    read_q = dict(concurrency_id="read", concurrency_limit=READ_CONCURRENCY)
    write_q = dict(concurrency_id="write", concurrency_limit=WRITE_CONCURRENCY)
    private = dict(api_visibility="private")
    exts = sorted(SUPPORTED_SUFFIXES)

    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        header = gr.HTML(render_header(), elem_id="ac-header", js_on_load=None)
        convo = gr.State([])
        saved = gr.BrowserState({"chat": [], "convo": []}, storage_key="askcelebs-conversation")
        pending_removal = gr.State(None)
        editing = gr.State(None)
        with gr.Tabs(elem_id="ac-tabs"):
            with gr.Tab("Ask", id="chat", elem_id="ac-tab-chat"):
                with gr.Row(equal_height=False, elem_id="ac-chat-row"):
                    with gr.Column(scale=7, min_width=320, elem_id="ac-chat-col"):
                        start = gr.HTML(render_start(None), elem_id="ac-start", js_on_load=None)
                        chatbot = gr.Chatbot(
                            elem_id="ac-chat", show_label=False, label="Conversation", height="auto",
                            autoscroll=False, render_markdown=False, sanitize_html=True, latex_delimiters=[],
                            allow_tags=False, feedback_options=None, buttons=[], group_consecutive_messages=False,
                        )
                        with gr.Group(elem_id="ac-compose"):
                            with gr.Row(elem_id="ac-input-row", equal_height=True):
                                question = gr.Textbox(
                                    elem_id="ac-question", label="Your question", show_label=False, scale=8,
                                    lines=1, max_lines=4, autofocus=True, submit_btn=False, container=False,
                                    placeholder="Ask a question, e.g. “How did they meet?” — follow-ups are welcome")
                                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=76,
                                                    elem_id="ac-ask-btn")
                                stop_btn = gr.Button("Stop", variant="stop", scale=1, min_width=76, visible=False,
                                                     elem_id="ac-stop-btn")
                            hint = gr.HTML("", elem_id="ac-ask-hint", js_on_load=None)
                        with gr.Row(elem_id="ac-chat-tools"):
                            new_btn = gr.Button("New conversation", size="sm", variant="secondary",
                                                elem_id="ac-new", scale=0, min_width=160)
                            gr.HTML("<div class='ac-hint'>Answers use only the indexed articles. "
                                    "Follow-up questions remember who you asked about.</div>", js_on_load=None)
                    with gr.Column(scale=3, min_width=260, elem_id="ac-side"):
                        side_timeline = gr.HTML("", elem_id="ac-side-timeline", js_on_load=None)
                        coverage = gr.HTML(render_coverage(None), elem_id="ac-coverage", js_on_load=None)

            with gr.Tab("People", id="people", elem_id="ac-tab-people"):
                with gr.Row(equal_height=False, elem_id="ac-people-row"):
                    with gr.Column(scale=6, min_width=320):
                        people_map = gr.HTML("", elem_id="ac-people-map", js_on_load=None)
                    with gr.Column(scale=5, min_width=300):
                        people_panel = gr.HTML("<p class='ac-hint'>Choose a line on the map for that pair's "
                                               "timeline, or a name for that person's relationships.</p>",
                                               elem_id="ac-people-panel", js_on_load=None)
            with gr.Tab("Library", id="library", elem_id="ac-tab-library"):
                with gr.Row(equal_height=False, elem_id="ac-lib-row"):
                    with gr.Column(scale=7, min_width=320, elem_id="ac-lib-col"):
                        with gr.Row(equal_height=True, elem_id="ac-lib-tools"):
                            search = gr.Textbox(elem_id="ac-search", label="Search the library", show_label=False,
                                                scale=6, container=False,
                                                placeholder="Search title, outlet, date or source…")
                            refresh_btn = gr.Button("Refresh", size="sm", scale=0, min_width=90, elem_id="ac-refresh")
                        with gr.Group(visible=False, elem_id="ac-edit") as edit_box:
                            gr.HTML("<div class='ac-side-title'>Edit article details</div>", js_on_load=None)
                            e_title = gr.Textbox(label="Title", max_lines=1, elem_id="ac-edit-title")
                            with gr.Row():
                                e_pub = gr.Textbox(label="Published (YYYY-MM-DD)", max_lines=1,
                                                   elem_id="ac-edit-published")
                                e_outlet = gr.Textbox(label="Outlet", max_lines=1, elem_id="ac-edit-outlet")
                            with gr.Row():
                                e_cancel = gr.Button("Cancel", size="sm", elem_id="ac-edit-cancel")
                                e_save = gr.Button("Save details", size="sm", variant="primary", elem_id="ac-edit-save")
                        with gr.Group(visible=False, elem_id="ac-confirm") as confirm_box:
                            confirm_text = gr.HTML("", js_on_load=None, elem_id="ac-confirm-text")
                            with gr.Row():
                                cancel_btn = gr.Button("Cancel", size="sm", elem_id="ac-remove-cancel")
                                confirm_btn = gr.Button("Yes, remove it", size="sm", variant="stop",
                                                        elem_id="ac-remove-confirm")
                        lib_notice = gr.HTML("", elem_id="ac-lib-notice", js_on_load=None)
                        library = gr.HTML("", elem_id="ac-library", js_on_load=None)
                    with gr.Column(scale=4, min_width=300, elem_id="ac-add"):
                        gr.HTML("<h2 class='ac-side-title'>Add articles</h2>"
                                f"<div class='ac-hint'>Files up to {bot.settings.max_file_mb:g} MB: "
                                f"{', '.join(exts)}. Re-adding the same text changes nothing; a changed file "
                                "replaces its older version.</div>", js_on_load=None)
                        with gr.Tabs(elem_id="ac-add-tabs"):
                            with gr.Tab("Upload", id="upload"):
                                files = gr.File(file_count="multiple", file_types=exts, type="filepath",
                                                label="Article files", elem_id="ac-upload", height=140)
                                with gr.Row():
                                    f_title = gr.Textbox(label="Title (one file; optional)", max_lines=1,
                                                         elem_id="ac-upload-title")
                                    f_pub = gr.Textbox(label="Published (YYYY-MM-DD; optional)", max_lines=1,
                                                       elem_id="ac-upload-published")
                                add_files_btn = gr.Button("Add files", variant="primary", elem_id="ac-add-files")
                            with gr.Tab("Paste", id="paste"):
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
                        results = gr.HTML("", elem_id="ac-add-results", js_on_load=_asset("results.js"))

        reader = gr.HTML("", elem_id="ac-reader", js_on_load=_asset("reader.js"), container=False)
        view_target = gr.Textbox(visible="hidden", elem_id="ac-view-target", label="Quote to view")
        view_btn = gr.Button(visible="hidden", elem_id="ac-view-btn")
        lib_target = gr.Textbox(visible="hidden", elem_id="ac-lib-target", label="Library action")
        lib_btn = gr.Button(visible="hidden", elem_id="ac-lib-btn")
        people_target = gr.Textbox(visible="hidden", elem_id="ac-people-target", label="Pair or person")
        people_btn = gr.Button(visible="hidden", elem_id="ac-people-btn")

        panel_outputs = [header, start, coverage, library]
        panels = dict(fn=h.panels, inputs=search, outputs=panel_outputs, **read_q, **private)

        # chat
        answering = []
        for trigger in (question.submit, ask_btn.click):
            ev = trigger(lambda: _busy(True), None, [ask_btn, stop_btn], queue=False, **private).then(
                h.respond, [question, chatbot, convo], [chatbot, convo, question, hint, saved],
                show_progress="hidden", **chat_q, **private)
            ev.then(lambda: _busy(False), None, [ask_btn, stop_btn], queue=False, **private)
            ev.then(h.side_timeline, convo, side_timeline, show_progress="hidden", **read_q, **private)
            answering.append(ev)
        stop_btn.click(h.stopped, [chatbot, convo], [chatbot, saved], cancels=answering, queue=False,
                       **private).then(lambda: _busy(False), None, [ask_btn, stop_btn], queue=False, **private)
        new_btn.click(lambda: ([], [], "", "", "", {"chat": [], "convo": []}), None,
                      [chatbot, convo, question, reader, hint, saved], queue=False, **private)
        view_btn.click(h.view, view_target, reader, show_progress="hidden", **read_q, **private)
        demo.load(h.restore, saved, [chatbot, convo], queue=False, **private)

        # people: the friendship map, a pair's timeline, a person's relationships
        people_map_ev = dict(fn=h.people_map, inputs=None, outputs=people_map, show_progress="hidden", **read_q,
                             **private)
        demo.load(**people_map_ev)
        people_btn.click(h.people_panel, people_target, people_panel, show_progress="hidden", **read_q, **private)

        # library
        demo.load(**panels)
        refresh_btn.click(**panels).then(**people_map_ev)
        search.change(h.search, search, library, show_progress="hidden", trigger_mode="always_last", **read_q,
                      **private)
        lib_btn.click(h.lib_action, lib_target,
                      [reader, edit_box, editing, e_title, e_pub, e_outlet, confirm_box, confirm_text, lib_notice,
                       pending_removal], show_progress="hidden", **read_q, **private)
        e_cancel.click(lambda: (gr.update(visible=False), None), None, [edit_box, editing], queue=False, **private)
        e_save.click(h.save_edit, [editing, e_title, e_pub, e_outlet], [edit_box, lib_notice], **write_q,
                     **private).then(**panels)
        cancel_btn.click(lambda: (gr.update(visible=False), "", None), None, [confirm_box, lib_notice, pending_removal],
                         queue=False, **private)
        confirm_btn.click(h.remove, pending_removal, [confirm_box, lib_notice], **write_q, **private).then(**panels)
        clear = dict(fn=lambda: "", inputs=None, outputs=results, queue=False, **private)
        add_files_btn.click(**clear).then(h.ingest_files, [files, f_title, f_pub], [results, files, f_title, f_pub],
                                          show_progress_on=results, **write_q, **private).then(**panels)
        add_text_btn.click(**clear).then(h.ingest_text, [p_text, p_title, p_url, p_pub],
                                         [results, p_text, p_title, p_url, p_pub], show_progress_on=results,
                                         **write_q, **private).then(**panels)
        add_url_btn.click(**clear).then(h.ingest_url, u_url, [results, u_url], show_progress_on=results,
                                        **write_q, **private).then(**panels)

        # API for gradio_client (and the load benchmark)
        gr.api(h.api_ask, api_name="ask", **chat_q)
        gr.api(h.api_add_text, api_name="add_text", **write_q)
        gr.api(h.api_articles, api_name="articles", **read_q)
        gr.api(h.api_timeline, api_name="timeline", **read_q)
        gr.api(h.api_people, api_name="people", **read_q)

    demo.queue(default_concurrency_limit=2, max_size=QUEUE_MAX_SIZE)
    return demo


def theme() -> gr.themes.Base:
    """Bundled fonts only (served by the app itself): the page loads nothing from other hosts. Light and dark
    (prefers-color-scheme) are both designed; ui.css carries the rest of the palette.

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
        body_background_fill_dark="#15171c",
        body_text_color="#1f2328",
        body_text_color_dark="#e8e4dc",
        body_text_color_subdued="#5f594f",
        body_text_color_subdued_dark="#b9b2a6",
        block_background_fill_dark="#1d2027",
        block_border_color="#e7e2da",
        block_border_color_dark="#343844",
        block_shadow="none",
        input_background_fill_dark="#22262e",
        input_border_color_dark="#4a505e",
        button_primary_background_fill="#1f2a44",
        button_primary_background_fill_dark="#e9b4a8",
        button_primary_background_fill_hover="#2c3a5c",
        button_primary_background_fill_hover_dark="#f3c9bf",
        button_primary_text_color="#ffffff",
        button_primary_text_color_dark="#1a1410",
        button_primary_border_color="#1f2a44",
        button_primary_border_color_dark="#e9b4a8",
        button_cancel_background_fill="#9b2a1a",
        button_cancel_background_fill_dark="#f0a596",
        button_cancel_text_color="#ffffff",
        button_cancel_text_color_dark="#1a1410",
    )


def launch_options(bot: AskCelebs) -> dict[str, Any]:
    """launch() keyword arguments: look (theme/css/js/head/favicon), nothing served but the app, upload cap."""
    store = Path(bot.settings.store).resolve()
    return dict(
        theme=theme(),
        css_paths=[ASSETS / "ui.css"],
        js=_asset("ui.js"),
        head=_asset("head.html"),
        favicon_path=str(ASSETS / "favicon.png"),
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
    the address); call .close() to stop it. With ASKCELEBS_AUTH set, wrong logins are rate-limited (auth.py).
    """
    s = bot.settings
    host = host or s.host
    port = port or s.port
    creds = parse_auth(s.auth)
    if creds is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without a login; set ASKCELEBS_AUTH=user:password", host)
    demo = build_app(bot)
    options = launch_options(bot) | launch_kwargs
    auth = LoginGuard(*creds).check if creds else None
    demo.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=not block,
                auth_message="askcelebs: sign in to continue" if auth else None, **options)
    return demo
