#!/usr/bin/env python
"""Scale benchmark: one store grown to each size (1k, 10k, ... chunks), measured as a user would see it.

    python bench/scale.py --sizes 1000,10000,100000 --json PATH [--plot bench/scale.png] [--csv bbc-news.csv]

Corpus: the BBC news CSV (lower-case text) is split into sentences, each sentence's first letter capitalised
(the pool). Each synthetic article is ~15 pool sentences drawn at random, with two generated people ("Ola
Brenn", from fixed first- and last-name lists) put into three of them ("Ola Brenn and Ivo Tallis said that
...", "Ola Brenn said ...", "Ivo Tallis said ..."), so every article is a cased text naming a pair, and random
mixtures of a large pool are far apart for the near-duplicate check.

Embeddings: every pool sentence is embedded once with the real model (cached on disk under
~/.cache/askcelebs-bench/); ingest then uses a caching embedder whose key is the sentence with the generated
names and their "said (that)" removed, lower-cased, so an article costs a lookup per sentence instead of a
model run. Misses (a sentence split differently, a question) go to the real model and are counted. The real
model's throughput is measured separately on 512 pool sentences and printed.

Per size, in a fresh child process over the same store: cold start (open the store and answer the first
question; chromadb is imported and the embedding and NER models loaded before the clock starts, timed apart:
they cost the same at every size), warm ask
p50/p95 over pair, single-person, topic and abstaining questions, pair-question p95, a plain LangChain similarity search
(langchain-chroma over the same chunk collection, k=4) p95, add one new article, the first ask after it, and
the child's peak RSS. Ingest chunks/s is the rate of the increment that grew the store to that size.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()),
                   ROOT.parent / "shared") / "corpora" / "bbc-news.csv"  # beside the checkout or a worktree
CACHE = Path(os.environ.get("ASKCELEBS_BENCH_CACHE", Path.home() / ".cache" / "askcelebs-bench"))
FIRST = ("Ola Ivo Mira Dex Tova Lars Nina Otto Rhea Cole Ines Bram Zara Emil Lena Hugo Sade Milo Vera Axel Iris "
         "Noor Finn Cleo Jude Maya Oren Petra Quin Rosa Soren Tali Umar Vida Wren Yara Zeno Anouk Basil Clio").split()
LAST = ("Brenn Tallis Vantree Holloway Marsk Quill Dovey Fenwick Garrow Halden Ibsen Jarrel Korvin Lindqvist Moray "
        "Norcott Orrin Pell Quarry Rasmund Selwyn Thorne Ulland Varga Wexley Yarrow Zell Abernethy Blythe Corrigan "
        "Dunmore Elstree Farrow Gault Hesketh Ivers Kettle Lowry Mabry Nyland").split()
_NAME = rf"(?:{'|'.join(FIRST)}) (?:{'|'.join(LAST)})"
_INJECTED = re.compile(rf"^(?:{_NAME} and {_NAME} said that |{_NAME} said )")
QUESTIONS_PER_KIND = 10


def key(sentence: str) -> str:
    return _INJECTED.sub("", sentence).lower().strip()


# --- corpus ------------------------------------------------------------------------------------------------


def pool_sentences(csv_path: Path, limit: int) -> list[str]:
    from askcelebs.articles import normalise
    from askcelebs.chunking import split_sentences

    out, seen = [], set()
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = normalise(row["text"])
            for s in split_sentences(text):
                sent = text[s.start:s.end].strip()
                if len(sent) < 40 or sent in seen:
                    continue
                seen.add(sent)
                out.append(sent[0].upper() + sent[1:])
                if len(out) >= limit:
                    return out
    return out


def make_article(rng: random.Random, pool: list[str], serial: int):
    from askcelebs.articles import make_article as build

    a, b = rng.sample(range(len(FIRST) * len(LAST)), 2)
    pa = f"{FIRST[a % len(FIRST)]} {LAST[a // len(FIRST)]}"
    pb = f"{FIRST[b % len(FIRST)]} {LAST[b // len(FIRST)]}"
    sents = rng.sample(pool, 15)
    sents[0] = f"{pa} and {pb} said that {sents[0][0].lower()}{sents[0][1:]}"
    sents[5] = f"{pa} said {sents[5][0].lower()}{sents[5][1:]}"
    sents[10] = f"{pb} said {sents[10][0].lower()}{sents[10][1:]}"
    text = "\n\n".join(" ".join(sents[i:i + 5]) for i in range(0, 15, 5))
    source = f"synthetic:{serial}"
    return (source, build(text, source, title=f"Synthetic {serial}: {pa} and {pb}", outlet="Bench")), (pa, pb)


# --- embeddings --------------------------------------------------------------------------------------------


class CachedEmbedder:
    """The real embedder behind a cache keyed by `key(sentence)`; misses run the model."""

    def __init__(self, real, table: dict[str, np.ndarray]):
        self.real, self.table, self.hits, self.misses = real, table, 0, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def embed(self, texts, batch_size: int = 64, progress=None):
        out = np.empty((len(texts), self.real.dim), np.float32)
        todo = []
        for i, t in enumerate(texts):
            v = self.table.get(key(t))
            if v is None:
                todo.append(i)
            else:
                out[i] = v
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            out[todo] = self.real.embed([texts[i] for i in todo], batch_size)
        if progress:
            progress(len(texts))
        return out

    def embed_one(self, text: str):
        return self.embed([text])[0]


def pool_embeddings(real, pool: list[str]) -> dict[str, np.ndarray]:
    digest = hashlib.sha1(("\n".join(pool) + real.name).encode()).hexdigest()[:12]
    path = CACHE / f"pool-{digest}.npy"
    if path.exists():
        emb = np.load(path)
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        emb = real.embed(pool)
        print(f"embedded the pool once: {len(pool)} sentences in {time.perf_counter() - t:.0f} s", flush=True)
        np.save(path, emb)
    return {key(s): e for s, e in zip(pool, emb)}


def embedding_throughput(real, pool: list[str], n: int = 512) -> float:
    sample = pool[:n]
    real.embed(sample[:32])
    t = time.perf_counter()
    real.embed(sample)
    return len(sample) / (time.perf_counter() - t)


# --- one size, measured in a fresh process -----------------------------------------------------------------


def questions(pairs: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    picked = rng.sample(pairs, min(len(pairs), QUESTIONS_PER_KIND))
    names = sorted({p for pair in pairs for p in pair})
    topics = ["What did the critics say about the box office takings?", "Who won the award for best film?",
              "What happened to the record sales this year?", "Why did the band cancel the tour?",
              "What did the chancellor say about the economy?"]
    out = [("pair", f"How did {a} and {b} meet?") for a, b in picked]
    out += [("single", f"What do the articles say about {a}?") for a, _ in picked]
    out += [("topic", t) for t in (topics * 2)[:QUESTIONS_PER_KIND]]
    together = set(pairs) | {(b, a) for a, b in pairs}
    abstain = []
    while len(abstain) < QUESTIONS_PER_KIND:
        a, b = rng.sample(names, 2)
        if (a, b) not in together:
            abstain.append(("abstain", f"Are {a} and {b} still friends?"))
    return out + abstain


def child(args) -> None:
    from askcelebs import AskCelebs, Settings
    from askcelebs.embedding import get_embedder

    spec = json.loads(Path(args.child).read_text())
    t = time.perf_counter()
    import chromadb  # noqa: F401  (imports, like the model, are timed apart from the cold start)

    real = get_embedder(Settings())
    real.embed_one("warm up")
    model_load = time.perf_counter() - t
    from askcelebs import entities

    t = time.perf_counter()
    entities.nlp()  # spaCy's NER model (and the torch import it pulls in): once per process, whatever the size
    ner_load = time.perf_counter() - t
    pool = spec["pool"]
    embedder = CachedEmbedder(real, pool_embeddings(real, pool))
    qs = [tuple(q) for q in spec["questions"]]

    t = time.perf_counter()
    bot = AskCelebs(store=spec["store"], embedder=embedder)
    opened = time.perf_counter() - t
    bot.ask(qs[0][1])
    cold = time.perf_counter() - t

    times: dict[str, list[float]] = {}
    for _ in range(2):
        for kind, q in qs:
            t = time.perf_counter()
            bot.ask(q)
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    every = [v for vs in times.values() for v in vs]

    vs = bot.vectorstore
    plain = []
    for _ in range(2):
        for _, q in qs:
            t = time.perf_counter()
            vs.similarity_search(q, k=4)
            plain.append((time.perf_counter() - t) * 1000)

    item, _ = make_article(random.Random(spec["seed"]), pool, spec["serial"])
    t = time.perf_counter()
    [res] = bot.add_articles([item])
    add_one = time.perf_counter() - t
    t = time.perf_counter()
    bot.ask(qs[0][1])
    after = time.perf_counter() - t
    print(json.dumps({
        "model_load_s": round(model_load, 2), "ner_load_s": round(ner_load, 2), "open_s": round(opened, 2), "cold_start_s": round(cold, 2),
        "ask_p50_ms": round(statistics.median(every), 1), "ask_p95_ms": round(_p95(every), 1),
        "pair_ask_p95_ms": round(_p95(times["pair"]), 1),
        **{f"{k}_p50_ms": round(statistics.median(v), 1) for k, v in times.items()},
        "plain_p50_ms": round(statistics.median(plain), 1), "plain_p95_ms": round(_p95(plain), 1),
        "add_one_s": round(add_one, 3), "add_status": res.status, "ask_after_add_s": round(after, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "embed_cache_misses": embedder.misses,
    }))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# --- the run -----------------------------------------------------------------------------------------------


def grow(bot, embedder, target: int, rng, pool, pairs, serial: int) -> tuple[int, float]:
    t = time.perf_counter()
    start = bot.side.chunk_count
    while bot.side.chunk_count < target:
        batch = []
        need = max(1, min(400, (target - bot.side.chunk_count) // 3 + 1))
        for _ in range(need):
            serial += 1
            item, pair = make_article(rng, pool, serial)
            batch.append(item)
            pairs.append(pair)
        results = bot.add_articles(batch)
        bad = [r for r in results if r.status != "added"]
        if bad:
            print(f"  {len(bad)} not added, e.g. {bad[0]}", flush=True)
        print(f"  {bot.side.chunk_count} chunks ({time.perf_counter() - t:.0f} s)", flush=True)
    return serial, (bot.side.chunk_count - start) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="chunk counts, ascending, comma-separated")
    ap.add_argument("--json", type=Path, help="write the results (one object per size) here")
    ap.add_argument("--plot", type=Path, default=ROOT / "bench" / "scale.png")
    ap.add_argument("--csv", type=Path, default=Path(os.environ.get("ASKCELEBS_BBC_CSV", DEFAULT_CSV)))
    ap.add_argument("--store", type=Path, help="grow this store (default: a temporary one)")
    ap.add_argument("--pool", type=int, default=12000, help="distinct BBC sentences to draw from")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    from askcelebs import AskCelebs, Settings
    from askcelebs.embedding import get_embedder

    sizes = sorted(int(s) for s in args.sizes.split(","))
    real = get_embedder(Settings())
    pool = pool_sentences(args.csv, args.pool)
    table = pool_embeddings(real, pool)
    rate = embedding_throughput(real, pool)
    print(f"pool: {len(pool)} sentences; real embedding throughput {rate:.0f} sentences/s "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    embedder = CachedEmbedder(real, table)
    store = args.store or Path(tempfile.mkdtemp(prefix="askcelebs-scale-")) / "store"
    bot = AskCelebs(store=store, embedder=embedder)
    rng, pairs, serial, rows = random.Random(7), [], 0, []
    for size in sizes:
        print(f"growing to {size} chunks", flush=True)
        serial, ingest_rate = grow(bot, embedder, size, rng, pool, pairs, serial)
        spec = {"store": str(store), "pool": pool, "questions": questions(pairs, random.Random(size)),
                "seed": 10_000 + size, "serial": 10_000_000 + size}
        spec_path = store.parent / "spec.json"
        spec_path.write_text(json.dumps(spec))
        out = subprocess.run([sys.executable, __file__, "--child", str(spec_path)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        if out.returncode:
            sys.exit(f"child failed at {size}: {out.stderr[-3000:]}")
        got = json.loads(out.stdout.strip().splitlines()[-1])
        bot.refresh()
        row = {"chunks": bot.side.chunk_count, "ingest_chunks_per_s": round(ingest_rate, 1),
               "store_mb": round(sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20, 1),
               **got, "load_avg": round(os.getloadavg()[0], 1), "embed_sentences_per_s": round(rate, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    print(f"embedding cache: {embedder.hits} hits, {embedder.misses} misses during ingest")
    table_print(rows)
    plot(rows, args.plot)


def table_print(rows: list[dict]) -> None:
    keys = ["chunks", "ingest_chunks_per_s", "store_mb", "cold_start_s", "ask_p50_ms", "ask_p95_ms",
            "pair_ask_p95_ms", "add_one_s", "ask_after_add_s", "rss_mb", "plain_p95_ms"]
    print(" ".join(f"{k:>20}" for k in keys))
    for r in rows:
        print(" ".join(f"{r[k]:>20}" for k in keys))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, label in (("ask_p50_ms", "askcelebs ask p50"), ("ask_p95_ms", "askcelebs ask p95"),
                     ("pair_ask_p95_ms", "askcelebs pair-question p95"), ("plain_p95_ms", "plain LangChain p95")):
        ax.plot(x, [r[k] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the store")
    ax.set_ylabel("ms per question (warm)")
    ax.set_title("askcelebs latency against store size (2 shared cores)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
