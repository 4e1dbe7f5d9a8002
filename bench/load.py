"""Load benchmark: concurrent questions while articles are added, through the web app's API, on loopback only.

For each mode it starts the app as a subprocess (`askcelebs --store TMP serve`, or against a `chroma run` server
it starts: `askcelebs --chroma-url URL serve`, by default two app instances behind the one server), then for
--seconds runs --clients threads asking a mix of questions (`/ask`) while --articles BBC articles are added
(`/add_text`, paced over the run, a tenth of them sent a second time). Afterwards it checks that every added
article is listed exactly once (`/articles`, from every instance) and is answerable: a question built from a
distinctive phrase of the article gets a citation from that article.

    .venv/bin/python bench/load.py                      # both modes, 60 s each
    .venv/bin/python bench/load.py --modes server --seconds 20 --articles 50
    .venv/bin/python bench/load.py --from-store /tmp/s10k/store   # a store grown by bench/scale.py --store

Clients call Gradio's REST API with httpx (`--client gradio_client` uses gradio_client's Client.submit; it
spends more CPU per call in this process, which competes with the app on a small machine). Latency is per
request, queueing in the app included; with closed-loop clients it is about clients / throughput.

Prints requests served, errors, p50/p95/p99 latency, adds completed, lost / duplicated articles per mode.
Goals: 0 errors, 0 lost or duplicated, p95 <= 1 s (extractive answers, 2 cores). Everything stops by itself:
every wait is bounded and every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BBC_CSV = Path(os.environ.get("ASKCELEBS_BBC_CSV", ROOT.parent / "shared" / "corpora" / "bbc-news.csv"))
SEED = ROOT / "documents" / "000_e1a94909d1470c85.md"
SEED_QUESTIONS = ["How did John Legend and Kanye West meet?", "Are John Legend and Kanye West still friends?",
                  "Did Kanye West help John Legend get his record deal?"]
ABSTAIN_QUESTIONS = ["Are Taylor Swift and Katy Perry friends?", "Did Zendaya and Tom Holland ever fall out?"]
REQUEST_TIMEOUT = 60.0  # seconds one API call may take before it counts as an error
API = {"ask": "/ask", "add_text": "/add_text", "articles": "/articles"}


# --- processes ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKCELEBS_") or k == "ASKCELEBS_CACHE_DIR"}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False",
               TOKENIZERS_PARALLELISM="false", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               NO_COLOR="1", ASKCELEBS_HOST="127.0.0.1")
    env.update(extra)
    return env


class Proc:
    """A subprocess with its output in a log file; stop() ends it (and only it)."""

    def __init__(self, name: str, cmd: list[str], log: Path, env: dict[str, str]):
        self.name, self.cmd, self.log = name, cmd, log
        with open(log, "ab") as out:
            self.p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

    def wait_http(self, url: str, timeout: float) -> float:
        import httpx

        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.p.returncode}; log {self.log}:\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s; log {self.log}")

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=15)


# --- articles and questions --------------------------------------------------------------------------------

@dataclass
class Item:
    n: int
    text: str
    title: str
    url: str
    published: str
    phrases: list[str] = field(default_factory=list)
    article_id: str | None = None
    status: str | None = None


def load_bbc(path: Path, n: int, seed: int) -> list[Item]:
    """n distinct BBC articles (no exact or near duplicates among them), any categories, in a seeded order."""
    from askcelebs.ingest import shingles

    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if len(r["text"]) > 400]
    random.Random(seed).shuffle(rows)
    chosen: list[dict] = []
    kept: list[set[int]] = []
    for r in rows:
        sh = shingles(r["text"])
        if any(len(sh & k) / max(1, len(sh | k)) >= 0.3 for k in kept):
            continue
        chosen.append(r)
        kept.append(sh)
        if len(chosen) == n:
            break
    items = []
    day0 = 12_000  # days since 1970: dates in 2002-2005, as the corpus
    for i, r in enumerate(chosen):
        title = re.split(r"\s{2,}", r["text"].strip())[0][:120].strip() or f"BBC {r['category']} {i}"
        published = time.strftime("%Y-%m-%d", time.gmtime((day0 + i * 5) * 86400))
        items.append(Item(i, r["text"], f"{title} ({r['category']} #{i})", f"https://bbc.example/{r['category']}/{i}",
                          published))
    from askcelebs.articles import from_text

    for it in items:  # the content hash the app will give it
        it.article_id = from_text(it.text, it.title).article_id
    add_phrases(items)
    return items


def add_phrases(items: list[Item], per_item: int = 2) -> None:
    """Distinctive 8-word phrases per article: the rarest words across the chosen set, found in no other article."""
    from askcelebs.index import tokenize

    df: Counter[str] = Counter()
    for it in items:
        df.update(set(tokenize(it.text)))
    n = len(items)
    lowered = [" ".join(it.text.lower().split()) for it in items]
    for it, low in zip(items, lowered):
        sentences = re.split(r"(?<=[.?!])\s+", " ".join(it.text.split()))
        scored = []
        for si, sentence in enumerate(sentences):
            words = sentence.split()
            for i in range(0, max(1, len(words) - 7)):
                window = " ".join(words[i:i + 8]).strip(" .,;:'\"")
                toks = tokenize(window)
                if len(toks) < 4:
                    continue
                scored.append((sum(math.log((n + 1) / (df[t] + 0.5)) for t in toks), si, window))
        scored.sort(reverse=True)
        used_sentences: set[int] = set()
        for _, si, window in scored:
            if si in used_sentences:
                continue
            if any(window.lower() in other for other in lowered if other is not low):
                continue
            it.phrases.append(window)
            used_sentences.add(si)
            if len(it.phrases) == per_item:
                break


def question_for(phrase: str) -> str:
    return f"What do the articles say about {phrase}?"


def seed_text() -> tuple[str, str]:
    raw = SEED.read_text("utf-8")
    if raw.startswith("---"):
        raw = raw.split("---", 2)[2]
    text = raw.strip()
    return text, text.splitlines()[0].strip()


# --- clients -----------------------------------------------------------------------------------------------

class ApiError(Exception):
    """The app answered a call with an error event (gr.Error) or no result."""


class HttpApi:
    """Gradio's REST API with one httpx client: POST /gradio_api/call/NAME, then read the event stream."""

    def __init__(self, url: str):
        import httpx

        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=REQUEST_TIMEOUT)

    def endpoints(self) -> list[str]:
        return list(self.http.get(f"{self.url}/gradio_api/info").json()["named_endpoints"])

    def call(self, api: str, *args: Any) -> Any:
        name = api.lstrip("/")
        r = self.http.post(f"{self.url}/gradio_api/call/{name}", json={"data": list(args)})
        r.raise_for_status()
        event_id = r.json()["event_id"]
        event = None
        with self.http.stream("GET", f"{self.url}/gradio_api/call/{name}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line[5:])
                    if event == "error":
                        raise ApiError(data.get("error") if isinstance(data, dict) else data)
                    return data[0]
        raise ApiError(f"{api}: the event stream ended without a result")


class GradioApi:
    """The same through gradio_client (more client-side work per call: SSE parsing, a thread per job)."""

    def __init__(self, url: str):
        from gradio_client import Client

        self.c = Client(url, verbose=False, analytics_enabled=False, download_files=False,
                        httpx_kwargs={"timeout": REQUEST_TIMEOUT})

    def endpoints(self) -> list[str]:
        return list(self.c.view_api(return_format="dict", print_info=False)["named_endpoints"])

    def call(self, api: str, *args: Any) -> Any:
        return self.c.submit(*args, api_name=api).result(timeout=REQUEST_TIMEOUT)


CLIENT = {"kind": HttpApi}


def client(url: str):
    return CLIENT["kind"](url)


def call(c, *args, api_name: str) -> Any:
    return c.call(api_name, *args)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {})
    errors: list[str] = field(default_factory=list)
    unexpected: Counter = field(default_factory=Counter)
    hits: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, what: str, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


def asker(urls: list[str], i: int, deadline: float, added: list[Item], added_lock: threading.Lock,
          stats: Stats, rng: random.Random) -> None:
    url = urls[i % len(urls)]
    try:
        c = client(url)
    except Exception as exc:  # noqa: BLE001
        stats.error(f"client {i} connect", exc)
        return
    while time.monotonic() < deadline:
        roll = rng.random()
        with added_lock:
            pool = list(added)
        if roll < 0.5 and pool:
            item = rng.choice(pool)
            kind, q = "article", question_for(rng.choice(item.phrases))
        elif roll < 0.9:
            item, kind, q = None, "seed", rng.choice(SEED_QUESTIONS)
        else:
            item, kind, q = None, "abstain", rng.choice(ABSTAIN_QUESTIONS)
        t0 = time.monotonic()
        try:
            ans = call(c, q, [], api_name=API["ask"])
        except Exception as exc:  # noqa: BLE001
            stats.error(f"ask {q!r} on {url}", exc)
            continue
        stats.record(kind, time.monotonic() - t0)
        cited = {x["article_id"] for x in ans.get("citations", [])}
        if kind == "seed" and ans.get("abstained"):
            stats.unexpected["seed question abstained"] += 1
        elif kind == "abstain" and not ans.get("abstained"):
            stats.unexpected["unknown pair answered"] += 1
        elif kind == "article":
            stats.hits["article question cited its article" if item.article_id in cited else
                       "article question cited another/none"] += 1


def writer(url: str, items: list[Item], readds: list[Item], start: float, span: float, added: list[Item],
           added_lock: threading.Lock, stats: Stats, statuses: Counter, add_lat: list[float]) -> None:
    """Adds its items paced evenly over `span` seconds, then re-sends `readds` (expected: unchanged)."""
    try:
        c = client(url)
    except Exception as exc:  # noqa: BLE001
        stats.error(f"writer on {url} connect", exc)
        return
    jobs = [(it, False) for it in items] + [(it, True) for it in readds]
    gap = span / max(1, len(jobs))
    for k, (it, again) in enumerate(jobs):
        delay = start + k * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.monotonic()
        try:
            res = call(c, it.text, it.title, it.url, it.published, api_name=API["add_text"])
        except Exception as exc:  # noqa: BLE001
            stats.error(f"add {it.n} on {url}", exc)
            statuses["exception"] += 1
            continue
        add_lat.append(time.monotonic() - t0)
        status = res.get("status")
        statuses[("re-add " if again else "") + str(status)] += 1
        if res.get("article_id") != it.article_id:
            stats.unexpected[f"add returned another id ({status})"] += 1
        if again:
            continue
        it.status = status
        if status in ("added", "unchanged"):  # unchanged: a re-send through another instance got there first
            with added_lock:
                added.append(it)
        else:
            stats.unexpected[f"add returned {status}: {res.get('detail', '')[:80]}"] += 1


# --- one run -----------------------------------------------------------------------------------------------

def run_mode(mode: str, args, items: list[Item], work: Path) -> dict[str, Any]:
    procs: list[Proc] = []
    result: dict[str, Any] = {"mode": mode}
    try:
        if args.from_store:  # start from a grown store (e.g. bench/scale.py --store PATH), copied: never changed
            import shutil

            shutil.copytree(args.from_store, work / ("chroma-db" if mode == "server" else "store"),
                            ignore=shutil.ignore_patterns("*.lock", ".askcelebs-write-in-progress", ".askcelebs-served*"))
            result["from_store"] = str(args.from_store)
        if mode == "server":
            port = free_port()
            chroma = Proc("chroma", [str(BIN / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port),
                                     "--path", str(work / "chroma-db")], work / "chroma.log", child_env())
            procs.append(chroma)
            result["chroma_startup_s"] = round(chroma.wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60), 2)
            store_args = ["--chroma-url", f"http://127.0.0.1:{port}"]
            n_apps = args.instances
        else:
            store_args = ["--store", str(work / "store")]
            n_apps = 1
        urls = []
        for k in range(n_apps):
            p = free_port()
            app = Proc(f"app{k}", [str(BIN / "askcelebs"), *store_args, "serve", "--port", str(p)],
                       work / f"app{k}.log", child_env(ASKCELEBS_STORE=str(work / f"app{k}-store")
                                                       if mode == "server" else str(work / "store")))
            procs.append(app)
            urls.append(f"http://127.0.0.1:{p}/")
        result["app_startup_s"] = [round(pr.wait_http(u, 300), 1) for pr, u in zip(procs[-n_apps:], urls)]
        result["instances"] = n_apps

        named = client(urls[0]).endpoints()
        missing = [a for a in API.values() if a not in named]
        if missing:
            raise RuntimeError(f"the app does not expose {missing} (it has {sorted(named)}); see --api-add-text")
        text, title = seed_text()
        seed = call(client(urls[0]), text, title, "", "", api_name=API["add_text"])
        assert seed["status"] in ("added", "unchanged"), seed

        stats, statuses, add_lat = Stats(), Counter(), []
        added: list[Item] = []
        added_lock = threading.Lock()
        rng = random.Random(args.seed)
        readds = rng.sample(items, max(0, round(len(items) * args.readd_fraction)))
        start = time.monotonic()
        deadline = start + args.seconds
        span = args.seconds * 0.85
        writers = []
        for k, url in enumerate(urls):
            mine = items[k::n_apps]
            again = [it for j, it in enumerate(readds) if j % n_apps != k]  # re-sent to another instance
            again = again if n_apps > 1 else readds
            writers.append(threading.Thread(target=writer, name=f"writer{k}", daemon=True, args=(
                url, mine, again, start, span, added, added_lock, stats, statuses, add_lat)))
        askers = [threading.Thread(target=asker, name=f"asker{i}", daemon=True, args=(
            urls, i, deadline, added, added_lock, stats, random.Random(args.seed * 1000 + i)))
            for i in range(args.clients)]
        for t in writers + askers:
            t.start()
        for t in askers:
            t.join(timeout=args.seconds + REQUEST_TIMEOUT + 30)
        load_s = time.monotonic() - start
        for t in writers:
            t.join(timeout=max(5.0, deadline + args.seconds * 2 + 120 - time.monotonic()))
        writers_done = not any(t.is_alive() for t in writers)
        writes_s = time.monotonic() - start

        # --- checks: listed exactly once, from every instance; answerable ---
        expected = {it.article_id: it for it in items if it.status in ("added", "unchanged")}
        listing = {}
        for url in urls:
            rows = call(client(url), api_name=API["articles"])
            ids = Counter(r["article_id"] for r in rows)
            bbc_titles = Counter(r["title"] for r in rows if r["title"] != title)
            listing[url] = {
                "listed": len(rows),
                "lost": sorted(set(expected) - set(ids)),
                "duplicated": sum(n - 1 for n in ids.values() if n > 1) + sum(n - 1 for n in bbc_titles.values() if n > 1),
                "unexpected": sorted(set(ids) - set(expected) - {seed["article_id"]}),
            }
        answerable = check_answerable(urls, list(expected.values()), stats)
        if mode == "server":
            import chromadb

            client_ = chromadb.HttpClient(host="127.0.0.1", port=port)
            result["server_records"] = {n: client_.get_collection(n).count() for n in
                                        ("askcelebs_articles", "askcelebs_chunks", "askcelebs_sentences")}

        all_lat = [x for v in stats.latencies.values() for x in v]
        result.update({
            "seconds": round(load_s, 1),
            "clients": args.clients,
            "requests": len(all_lat),
            "requests_per_s": round(len(all_lat) / load_s, 1),
            "errors": len(stats.errors),
            "error_samples": stats.errors[:5],
            "latency_ms": {k: {"n": len(v), "p50": round(pct(v, 50) * 1000), "p95": round(pct(v, 95) * 1000),
                               "p99": round(pct(v, 99) * 1000), "max": round(max(v) * 1000)}
                           for k, v in [("all", all_lat), *sorted(stats.latencies.items())] if v},
            "adds": {"articles": len(items), "completed": sum(1 for it in items if it.status),
                     "statuses": dict(statuses), "writers_done": writers_done, "writes_s": round(writes_s, 1),
                     "add_p50_ms": round(pct(add_lat, 50) * 1000), "add_p95_ms": round(pct(add_lat, 95) * 1000)},
            "listing": {u: {k: (len(v) if isinstance(v, list) else v) for k, v in d.items()} for u, d in listing.items()},
            "lost": max(len(d["lost"]) for d in listing.values()),
            "duplicated": max(d["duplicated"] for d in listing.values()),
            "answerable": answerable,
            "unexpected_answers": dict(stats.unexpected),
            "during_load": dict(stats.hits),
        })
        return result
    finally:
        for p in reversed(procs):
            p.stop()


def check_answerable(urls: list[str], items: list[Item], stats: Stats) -> dict[str, Any]:
    """Ask about every added article (spread over the instances); a citation must come from that article."""
    first, total, misses = 0, 0, []
    lock = threading.Lock()
    queue = list(enumerate(items))

    def work(w: int) -> None:
        nonlocal first, total
        c = client(urls[w % len(urls)])
        while True:
            with lock:
                if not queue:
                    return
                j, it = queue.pop()
            for attempt, phrase in enumerate(it.phrases):
                try:
                    ans = call(c, question_for(phrase), [], api_name=API["ask"])
                except Exception as exc:  # noqa: BLE001
                    stats.error(f"check ask {it.n}", exc)
                    continue
                if any(x["article_id"] == it.article_id for x in ans.get("citations", [])):
                    with lock:
                        total += 1
                        first += attempt == 0
                    break
            else:
                with lock:
                    misses.append(f"{it.n}: {it.title[:60]}")

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(4 * len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return {"checked": len(items), "answerable": total, "first_question": first, "misses": misses[:10]}


def summary_line(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]["all"]
    a = r["adds"]
    return (f"{r['mode']:<8} x{r['instances']}  requests {r['requests']:>5} ({r['requests_per_s']}/s)  "
            f"errors {r['errors']}  p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms  "
            f"adds {a['completed']}/{a['articles']}  lost {r['lost']}  duplicated {r['duplicated']}  "
            f"answerable {r['answerable']['answerable']}/{r['answerable']['checked']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the load phase per mode")
    ap.add_argument("--clients", type=int, default=16, help="concurrent askers")
    ap.add_argument("--articles", type=int, default=200, help="BBC articles added during the load")
    ap.add_argument("--modes", default="embedded,server", help="comma-separated: embedded, server")
    ap.add_argument("--instances", type=int, default=2, help="app instances behind the Chroma server (server mode)")
    ap.add_argument("--readd-fraction", type=float, default=0.1, help="share of articles sent a second time")
    ap.add_argument("--csv", type=Path, default=BBC_CSV)
    ap.add_argument("--from-store", type=Path, help="copy this embedded store in first (to load a grown store)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--api-add-text", default=API["add_text"], help="api_name of the add-text endpoint")
    ap.add_argument("--client", choices=["httpx", "gradio_client"], default="httpx",
                    help="httpx: Gradio's REST API directly; gradio_client: Client.submit")
    args = ap.parse_args()
    API["add_text"] = args.api_add_text
    CLIENT["kind"] = HttpApi if args.client == "httpx" else GradioApi
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", NO_PROXY="127.0.0.1,localhost",
                      no_proxy="127.0.0.1,localhost")
    results = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        from askcelebs.evaluation import missing_bbc_csv
        if missing_bbc_csv(args.csv):
            raise SystemExit(missing_bbc_csv(args.csv).replace("pass its path", "pass --csv PATH"))
        items = load_bbc(args.csv, args.articles, args.seed)
        with tempfile.TemporaryDirectory(prefix=f"askcelebs-load-{mode}-") as tmp:
            print(f"== {mode}: {len(items)} articles, {args.clients} clients, {args.seconds:g} s", flush=True)
            t0 = time.monotonic()
            r = run_mode(mode, args, items, Path(tmp))
            r["wall_s"] = round(time.monotonic() - t0, 1)
        print(json.dumps(r, indent=2), flush=True)
        results.append(r)
    print("\n== summary")
    for r in results:
        print(summary_line(r))
    met = all(r["errors"] == 0 and r["lost"] == 0 and r["duplicated"] == 0 and r["latency_ms"]["all"]["p95"] <= 1000
              and r["answerable"]["answerable"] == r["answerable"]["checked"] for r in results)
    print("goals (0 errors, 0 lost/duplicated, p95 <= 1 s, all answerable):", "met" if met else "NOT met")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
