"""The page: Gradio Blocks over AskCelebs, its theme and launch options, and serve()."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from ..app import AskCelebs, Coverage
from ..articles import SUPPORTED_SUFFIXES
from ..errors import AskCelebsError
from .handlers import _Handlers, upload_dir
from .render import _LIBRARY_HEADERS, render_coverage, render_examples, render_header

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets")

# Queue: chat/readers and the single writer live in separate concurrency groups, so a question is answered
# while an ingest runs (AskCelebs itself serialises writers across processes).
CHAT_CONCURRENCY = 4
READ_CONCURRENCY = 8
WRITE_CONCURRENCY = 1
QUEUE_MAX_SIZE = 256


def _parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise AskCelebsError("ASKCELEBS_AUTH must be user:password")
    return user, password


_READER_JS = (ASSETS / "reader.js").read_text(encoding="utf-8")


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
