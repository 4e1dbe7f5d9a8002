"""`askcelebs eval --questions realistic-dev|realistic-blind`: the realistic corpus shipped in evalset/realistic/.

Runs on a fresh clone (no ../shared): the articles and questions are in the package. Figures per set and per
kind: quote-hit (a cited quote of at most 400 chars holds an expected substring), cited-gold (a citation comes from a
gold article), verdict stated / right (yes/no, current-state and rumour questions), short-answer right (the answer's
short span and a gold short answer contain one another), abstention precision / recall (the unanswerable kinds),
as_of right, verbatim rate, mean quote length, latency p50/p95; and the plain LangChain pipeline (dense top-4
chunks) in the same run. The blind set prints its summary only: no per-question lines, no list of misses.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from . import timeline_eval
from .articles import Article, load
from .config import Settings

QUOTE_LIMIT = 400
# set name -> (corpus folder under evalset/, question file); each corpus has its dev and blind set
SETS = {f"{corpus}-{part}": (corpus, f"{part}.jsonl") for corpus in ("realistic", "realistic2", "realistic3")
        for part in ("dev", "blind")}
UNANSWERABLE = ("unanswerable_pair", "unanswerable_fact", "unanswerable_person")


def is_blind(name: str) -> bool:
    return name.endswith("-blind")


def folder(name: str = "realistic-dev") -> Path:
    return Path(str(resources.files("askcelebs.evalset").joinpath(SETS[name][0])))


def questions(name: str) -> list[dict]:
    text = (folder(name) / SETS[name][1]).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def corpus(settings: Settings, name: str = "realistic-dev") -> list[tuple[str, Article]]:
    paths = sorted(p for p in (folder(name) / "articles").iterdir() if p.suffix in (".md", ".html", ".txt"))
    return [(f"articles/{p.name}", load(str(p), settings)) for p in paths]


def _norm(s: str) -> str:
    from .evaluation import _norm as norm

    return norm(s)


def short_answer_right(given: str | None, gold: list[str] | None) -> bool:
    if not given or not gold:
        return False
    g = _norm(given).strip(" .,;:")
    return any(g and (_norm(x) in g or g in _norm(x)) and len(g) <= max(len(x) * 2, len(x) + 25) for x in gold)


def _quote_hit(q: dict, citations: list[dict]) -> bool:
    expect = [_norm(e) for e in q.get("expect", [])]
    return any(len(c["quote"]) <= QUOTE_LIMIT and any(e in _norm(c["quote"]) for e in expect) for c in citations)


def row(q: dict, citations: list[dict], sources: dict[str, str], abstained: bool, seconds: float,
        verdict: str | None = None, short: str | None = None, as_of: str | None = None) -> dict:
    gold_ids = {a for a, src in sources.items() if src in set(q.get("gold_articles") or [])}
    r = {"id": q["id"], "kind": q["kind"], "abstained": abstained, "seconds": seconds, "citations": citations,
         "answerable": q["kind"] not in UNANSWERABLE, "verdict": verdict, "short_answer": short}
    r["quote_hit"] = r["answerable"] and not abstained and _quote_hit(q, citations)
    r["cited_gold"] = r["answerable"] and any(c["article_id"] in gold_ids for c in citations)
    if q.get("verdict") and r["answerable"]:
        r["verdict_stated"] = verdict is not None
        r["verdict_right"] = verdict == q["verdict"]
    if q.get("short_answer") and r["answerable"]:
        r["short_right"] = short_answer_right(short, q["short_answer"])
    if q.get("as_of") and r["answerable"]:
        r["as_of_right"] = as_of == q["as_of"]
    return r


def _share(rows: list[dict], key: str) -> float | None:
    have = [r[key] for r in rows if key in r]
    return sum(have) / len(have) if have else None


def summary(rows: list[dict], texts: dict[str, str]) -> dict[str, Any]:
    from .evaluation import _pct

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    quotes = [c for r in rows for c in r["citations"]]
    verbatim = [texts.get(c["article_id"], "")[c["start"]:c["end"]] == c["quote"] for c in quotes]
    return {
        "questions": len(rows),
        "quote_hit": _share(answerable, "quote_hit"),
        "cited_gold": _share(answerable, "cited_gold"),
        "verdict_stated": _share(rows, "verdict_stated"),
        "verdict_right": _share(rows, "verdict_right"),
        "short_answer_right": _share(rows, "short_right"),
        "abstention_precision": (sum(not r["answerable"] for r in abstained) / len(abstained)) if abstained else None,
        "abstention_recall": (sum(r["abstained"] for r in unanswerable) / len(unanswerable)) if unanswerable else None,
        "false_abstentions": sum(r["abstained"] for r in answerable),
        "as_of_right": _share(rows, "as_of_right"),
        "verbatim_rate": sum(verbatim) / len(verbatim) if verbatim else None,
        "mean_quote_chars": statistics.mean(len(c["quote"]) for c in quotes) if quotes else 0.0,
        "latency_ms": _pct([r["seconds"] for r in rows]),
    }


def by_kind(rows: list[dict], texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    kinds = sorted({r["kind"] for r in rows})
    return {k: summary([r for r in rows if r["kind"] == k], texts) for k in kinds}


def run_askcelebs(bot, qs: list[dict], sources: dict[str, str], show: bool) -> list[dict]:
    bot.ask("Are they still friends?")  # warm-up: caches, BM25 build
    rows = []
    for q in qs:
        t0 = time.perf_counter()
        a = bot.ask(q["question"], history=q.get("history") or [])
        seconds = time.perf_counter() - t0
        rows.append(row(q, [c.to_dict() for c in a.citations], sources, a.abstained, seconds, a.verdict,
                        a.short_answer, a.as_of.isoformat() if a.as_of else None))
        if show:
            r = rows[-1]
            ok = (r["quote_hit"] if r["answerable"] else r["abstained"]) and r.get("verdict_right", True) \
                and r.get("short_right", True) and r.get("as_of_right", True)
            print(f"{'ok ' if ok else 'BAD'} {q['id']:<8} {q['kind']:<19} {q['question']}\n"
                  f"      want verdict={q.get('verdict')} short={q.get('short_answer')} as_of={q.get('as_of')}\n"
                  f"      -> [{a.verdict} | {a.short_answer} | {a.answer_type} | {a.as_of}] {a.text[:400]}")
    return rows


def run_baseline(items: list[tuple[str, Article]], qs: list[dict], sources: dict[str, str], model_path: str,
                 workdir: Path) -> tuple[list[dict], dict[str, float]]:
    """The plain LangChain pipeline: dense top-4 chunks as the "answer" (no verdict, no short answer, never
    abstains)."""
    from .evaluation import plain_citations, plain_pipeline

    store, info = plain_pipeline(items, model_path, workdir)
    rows = []
    for q in qs:
        t0 = time.perf_counter()
        hits = store.similarity_search(q["question"], k=4)
        seconds = time.perf_counter() - t0
        rows.append(row(q, plain_citations(hits), sources, False, seconds))
    return rows, info


def run(name: str, baseline: bool = True, show: bool = False) -> dict[str, Any]:
    from .app import AskCelebs

    if is_blind(name) and show:
        from .errors import InputError

        raise InputError("--show", "the blind set prints its summary figures only")
    qs = questions(name)
    with tempfile.TemporaryDirectory(prefix="askcelebs-eval-") as tmp:
        work = Path(tmp)
        settings = Settings(store=work / "store")
        items = corpus(settings, name)
        bot = AskCelebs(settings=settings)
        t0 = time.perf_counter()
        bot.add_articles(items, force=True)  # the syndicated copy too: a user may have either
        build = time.perf_counter() - t0
        texts = {a.article_id: a.text for _, a in items}
        sources = {a.article_id: label for label, a in items}
        rows = run_askcelebs(bot, qs, sources, show and not is_blind(name))
        report: dict[str, Any] = {
            "corpus": {"articles": len(bot.articles()), "questions": len(qs), "set": name},
            "askcelebs": summary(rows, texts) | {"build_seconds": build},
        }
        gold = folder(name) / ("timeline_blind.jsonl" if is_blind(name) else "timeline_dev.jsonl")
        report["timelines"] = timeline_eval.evaluate(bot, gold, per_pair=False)
        if not is_blind(name):
            report["by_kind"] = by_kind(rows, texts)
            report["failures"] = [r["id"] for r in rows if not _ok(r)]
        if baseline:
            try:
                base_rows, info = run_baseline(items, qs, sources, settings.embedding_model, work)
                report["plain_langchain"] = summary(base_rows, texts) | info
            except ImportError as exc:
                report["plain_langchain"] = {"error": f"baseline needs the dev extra ({exc.name})"}
    return report


def _ok(r: dict) -> bool:
    if not r["answerable"]:
        return r["abstained"]
    return r["quote_hit"] and r.get("verdict_right", True) and r.get("short_right", True) \
        and r.get("as_of_right", True)


_KEYS = ("quote_hit", "cited_gold", "verdict_stated", "verdict_right", "short_answer_right", "abstention_precision",
         "abstention_recall", "as_of_right", "verbatim_rate")


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.1%}" if isinstance(v, float) else str(v)


def format_report(report: dict[str, Any]) -> str:
    a, b = report["askcelebs"], report.get("plain_langchain") or {}
    ok_b = bool(b) and "error" not in b
    c = report["corpus"]
    lines = [f"corpus: {c['articles']} articles, {c['questions']} questions (set {c['set']})", "",
             f"{'metric':<24}{'askcelebs':>12}{'plain LangChain':>18}"]
    for key in _KEYS:
        lines.append(f"{key:<24}{_fmt(a.get(key)):>12}{_fmt(b.get(key)) if ok_b else '-':>18}")
    lines.append(f"{'false_abstentions':<24}{a['false_abstentions']:>12}{b.get('false_abstentions', '-'):>18}")
    lines.append(f"{'mean_quote_chars':<24}{a['mean_quote_chars']:>12.0f}{b.get('mean_quote_chars', 0) if ok_b else 0:>18.0f}")
    for p in ("p50", "p95"):
        lines.append(f"{'latency ' + p + ' (ms)':<24}{a['latency_ms'][p]:>12.1f}"
                     f"{b['latency_ms'][p] if ok_b else float('nan'):>18.1f}")
    lines.append(f"{'index build (s)':<24}{a['build_seconds']:>12.1f}"
                 f"{b.get('build_seconds', float('nan')) if ok_b else float('nan'):>18.1f}")
    if b and not ok_b:
        lines.append(f"plain LangChain: {b['error']}")
    if report.get("timelines"):
        lines += ["", timeline_eval.format_report(c["set"], report["timelines"])]
    if report.get("by_kind"):
        lines += ["", "per kind (askcelebs): n, quote-hit, verdict right, short right, abstained"]
    for kind, s in report.get("by_kind", {}).items():
        abst = s["abstention_recall"] if s["abstention_recall"] is not None else (
            s["false_abstentions"] / s["questions"] if s["questions"] else None)
        lines.append(f"  {kind:<20}{s['questions']:>4}{_fmt(s['quote_hit']):>9}{_fmt(s['verdict_right']):>9}"
                     f"{_fmt(s['short_answer_right']):>9}{_fmt(abst):>9}")
    if report.get("failures"):
        lines.append(f"\nmissed: {', '.join(report['failures'])}")
    return "\n".join(lines)
