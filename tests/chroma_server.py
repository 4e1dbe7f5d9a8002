"""A real `chroma run` server process for the server tests (loopback only), and the fixtures that start it.

    from tests.chroma_server import chroma_server, server_url  # noqa: F401  (pytest fixtures)

`chroma_server` is one server per test module (startup takes about half a second); `server_url` wipes the
askcelebs collections before each test, so every test starts from an empty database on a running server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMA = Path(sys.executable).with_name("chroma")
COLLECTIONS = ("askcelebs_articles", "askcelebs_chunks", "askcelebs_sentences", "askcelebs_meta")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --host 127.0.0.1 --port PORT --path PATH`; stop() and start() again keep port and data."""

    def __init__(self, path: Path, port: int | None = None):
        self.path = Path(path)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.startup_s = 0.0
        self.log = self.path.with_name(self.path.name + ".log")

    def start(self, timeout: float = 30.0) -> "ChromaServer":
        assert self.proc is None, "already running"
        self.path.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"},
            )
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            if self.alive():
                self.startup_s = time.monotonic() - t0
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"chroma run did not answer on {self.url} within {timeout:.0f} s")

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGCONT)  # in case a test paused it
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def pause(self) -> None:
        """Freeze the process: connections are still accepted by the kernel, but nothing answers."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def wipe(self) -> None:
        """Drop the askcelebs collections: the next AskCelebs on this server starts from an empty store."""
        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=self.port)
        existing = {c.name for c in client.list_collections()}
        for name in existing:  # every generation a rebuild may have made, too
            if name in COLLECTIONS or name.startswith("askcelebs_"):
                client.delete_collection(name)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """One running Chroma server for a test module, stopped afterwards."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "db").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_url(chroma_server) -> str:
    """The module's server URL, with an empty database for this test."""
    if chroma_server.proc is None:  # a test stopped it
        chroma_server.start()
    chroma_server.wipe()
    return chroma_server.url
