"""Real helpers for the ingest / bad-input / store-safety tests: a hand-built PDF, a local HTTP server, the CLI.

No mocks: the PDF is a valid PDF file that pypdf parses, the server is a real socket on 127.0.0.1, and the CLI is
the installed `askcelebs` console script run as a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

ASKCELEBS = Path(sys.executable).with_name("askcelebs")
HOLD_LOCK = Path(__file__).with_name("hold_writer_lock.py")

# A fictional article about two people, so questions about them have one right source.
PAIR_TITLE = "Marisol Vantree and Dex Holloway: a friendship built on the road"
PAIR_QUESTION = "How did Marisol Vantree and Dex Holloway meet?"
PAIR_ANSWER = "met in 2009 on the set of a road movie"
PAIR_PARAGRAPHS = [
    "Singer Marisol Vantree and actor Dex Holloway have been close friends for more than a decade.",
    "Marisol Vantree and Dex Holloway met in 2009 on the set of a road movie, and they have been friends since "
    "that first meeting.",
    "Vantree wrote the soundtrack of the film in the Nevada desert and Holloway played the lead.",
    "Holloway later said that Vantree kept the whole crew laughing through three weeks of night shoots.",
    "In 2015 the two friends opened a small music school together in Reno for children from low-income families.",
    "Vantree told reporters that Holloway is the first person she calls whenever she finishes a new song.",
]
PAIR_TEXT = "\n\n".join(PAIR_PARAGRAPHS)


def env() -> dict[str, str]:
    """The environment for subprocesses: the test's (isolated) environment, offline model loading."""
    e = dict(os.environ)
    e.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1", COLUMNS="200")
    e.pop("ASKCELEBS_DEBUG", None)
    return e


def run_cli(store: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(ASKCELEBS), "--store", str(store), *args], capture_output=True, text=True,
                          env=env(), timeout=timeout)


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    assert 'File "' not in both, both


# --- a minimal, valid PDF ----------------------------------------------------------------------------------


def _pdf_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(lines: list[str], title: str | None = None, author: str | None = None) -> bytes:
    """One page, Helvetica, one text line per entry (blank entries make an empty line)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "40 760 Td"]
    for line in lines:
        ops.append(f"({_pdf_escape(line.encode('latin-1').decode('latin-1'))}) Tj T*")
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    info = []
    if title:
        info.append(b"/Title (" + _pdf_escape(title).encode("latin-1") + b")")
    if author:
        info.append(b"/Author (" + _pdf_escape(author).encode("latin-1") + b")")
    objects.append(b"<< " + b" ".join(info) + b" >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, len(objects), xref)
    return bytes(out)


# --- HTML ----------------------------------------------------------------------------------------------------

NAV_TEXT = "Home | Celebrities | Subscribe to our newsletter for exclusive gossip"
FOOTER_TEXT = "Copyright 2024 Celeb Daily Media Group. All rights reserved. Privacy policy and cookie settings."


def article_html(title: str, paragraphs: list[str], *, author: str = "Jane Penrose",
                 published: str = "2021-06-14", site: str = "Celeb Daily") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}T09:30:00Z">
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/c">Celebrities</a></li>
<li><a href="/s">{NAV_TEXT}</a></li></ul></nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By {author}</p>
{body}
</article></main>
<aside><h3>Trending now</h3><ul><li><a href="/x">Ten stars who quit social media</a></li></ul></aside>
<footer><p>{FOOTER_TEXT}</p></footer>
</body></html>"""


# --- a real HTTP server on 127.0.0.1 -------------------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


def respond(status: int = 200, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None, delay: float = 0.0) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return route


class LocalServer:
    """`with LocalServer({"/a": respond(...)}) as srv: srv.url("/a")`; unknown paths are 404s."""

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0):
        self.routes = routes
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits.append(self.path)
                route = outer.routes.get(self.path)
                try:
                    if route is None:
                        respond(404, b"<html><body><h1>Not found</h1></body></html>")(self)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeouts): that is the point of those routes

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for_port(server: subprocess.Popen, port: int, timeout: float = 180) -> None:
    """Until a server process listens on 127.0.0.1:port; fails with its output if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read().decode()
            time.sleep(0.5)
