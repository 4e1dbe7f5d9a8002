"""Time to first answer on a fresh machine: clone, install from the lock, serve, ask (not a test).

For each run: `git clone` the repo into an empty temporary folder, `make install` there (a venv, uv bootstrapped
by pip from requirements/uv.txt, `uv pip sync` of requirements/runtime.txt, the editable askcelebs, the one-time
ONNX export of the embedding model), then `askcelebs serve --index-documents` on a free port, timed until
gradio_client's `/ask` returns a cited answer to a real question about the seed article.

  cold: empty package cache (UV_CACHE_DIR, PIP_CACHE_DIR) and empty model cache (ASKCELEBS_CACHE_DIR)
  warm: the caches the cold run filled (a second clone on the same machine)

--pip also times `pip install --require-hashes -r requirements/runtime.txt` (what the lock supports without uv)
cold and warm, for comparison. Run from the repo with the dev environment (gradio_client):
  .venv/bin/python bench/first_answer.py [--pip] [--repo PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How did John Legend and Kanye West meet?"
EXPECT = ("mutual friends", "meet his cousin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd: list[str], cwd: Path, env: dict[str, str], label: str) -> float:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if proc.returncode:
        raise SystemExit(f"{label} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    print(f"  {label:<34}{seconds:8.1f} s", flush=True)
    return seconds


def clean_env(caches: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASKCELEBS_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(UV_CACHE_DIR=str(caches / "uv"), PIP_CACHE_DIR=str(caches / "pip"),
               ASKCELEBS_CACHE_DIR=str(caches / "askcelebs"), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               GRADIO_ANALYTICS_ENABLED="False", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


def serve_and_ask(clone: Path, env: dict[str, str], timeout: float = 600) -> tuple[float, float, str]:
    """Seconds until the server answers HTTP, until the first cited answer, and the first quote."""
    from gradio_client import Client

    port = free_port()
    log = open(clone / "serve.log", "w")
    t0 = time.monotonic()
    proc = subprocess.Popen([str(clone / ".venv/bin/askcelebs"), "serve", "--index-documents", "--port", str(port)],
                            cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        up = None
        while time.monotonic() - t0 < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited with {proc.returncode}:\n{(clone / 'serve.log').read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    up = time.monotonic() - t0
                    break
            except OSError:
                time.sleep(0.2)
        if up is None:
            raise SystemExit("the server did not start in time")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        out = client.predict(QUESTION, [], api_name="/ask")
        answered = time.monotonic() - t0
        quotes = [c["quote"] for c in out["citations"]]
        if out["abstained"] or not any(e in q for q in quotes for e in EXPECT):
            raise SystemExit(f"no real answer: {out['text'][:300]}")
        return up, answered, quotes[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_make(repo: str, work: Path, caches: Path, label: str) -> dict[str, float]:
    clone = work / f"clone-{label}"
    env = clean_env(caches)
    print(f"{label}: caches {'empty' if not any(caches.rglob('*')) else 'filled'}", flush=True)
    out = {"clone": timed(["git", "clone", "--quiet", repo, str(clone)], work, env, "git clone")}
    out["venv + uv"] = timed(["make", "--no-print-directory", ".venv/bin/uv"], clone, env, "venv + uv (pip, hashed)")
    out["make install"] = timed(["make", "--no-print-directory", "install"], clone, env,
                                "make install (sync + ONNX export)")
    up, answered, quote = serve_and_ask(clone, env)
    print(f"  {'serve: port open':<34}{up:8.1f} s\n  {'serve: first answer (/ask)':<34}{answered:8.1f} s"
          f"\n  quote: {quote[:90]!r}", flush=True)
    out["serve to first answer"] = answered
    out["total"] = sum(out.values())
    print(f"  {'TOTAL clone to first answer':<34}{out['total']:8.1f} s", flush=True)
    return out


def run_pip(repo: str, work: Path, caches: Path, label: str) -> float:
    clone = work / f"pip-{label}"
    env = clean_env(caches)
    subprocess.run(["git", "clone", "--quiet", repo, str(clone)], check=True, env=env)
    timed(["python3.11", "-m", "venv", str(clone / ".venv")], clone, env,
          "venv")
    torch = ["--find-links", "/opt/wheels"] if list(Path("/opt/wheels").glob("torch-2.13.0+cpu-*.whl")) else \
        ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]
    return timed([str(clone / ".venv/bin/pip"), "install", "-q", "--require-hashes", "--no-deps", *torch,
                  "-r", "requirements/runtime.txt"], clone, env, f"pip install runtime lock ({label})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=str(ROOT), help="what to clone (default: this checkout's repository)")
    ap.add_argument("--pip", action="store_true", help="also time a plain pip install of the runtime lock")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="askcelebs-first-answer-"))
    caches = work / "caches"
    caches.mkdir()
    try:
        cold = run_make(args.repo, work, caches, "cold")
        warm = run_make(args.repo, work, caches, "warm")
        pip = {}
        if args.pip:
            pip_caches = work / "pip-caches"
            pip_caches.mkdir()
            pip["cold"] = run_pip(args.repo, work, pip_caches, "cold")
            pip["warm"] = run_pip(args.repo, work, pip_caches, "warm")
        print("\nseconds              " + "".join(f"{k:>24}" for k in cold))
        for name, row in (("cold cache", cold), ("warm cache", warm)):
            print(f"{name:<21}" + "".join(f"{v:>24.1f}" for v in row.values()))
        if pip:
            print(f"pip install of the runtime lock (no uv): cold {pip['cold']:.1f} s, warm {pip['warm']:.1f} s "
                  f"(uv's sync is part of 'make install' above)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
