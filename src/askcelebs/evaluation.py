"""`askcelebs eval`: the shipped question set over documents/, the BBC entertainment articles and dated fixtures.

Figures: gold-article hit@1/@5, quote-hit (a cited quote of at most 400 chars contains the expected fact),
abstention precision/recall, verbatim rate, mean quote length, latency p50/p95 — for askcelebs and, in the
same run, for the plain LangChain pipeline (RecursiveCharacterTextSplitter 1000/200, HuggingFaceEmbeddings,
Chroma, dense top-4 chunks as the "answer").
"""

from __future__ import annotations

import csv
import json
import os
import re
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from .articles import Article, load, make_article, normalise
from .config import Settings

QUOTE_LIMIT = 400


QUESTION_SETS = {"main": "questions.jsonl", "heldout": "heldout.jsonl", "heldout2": "heldout2.jsonl"}


def eval_questions(name: str = "main") -> list[dict]:
    """The shipped sets: "main" (what the answerer was calibrated on), "heldout" and "heldout2" (each written
    without looking at answers, never tuned on), or a path to a .jsonl file of the same shape."""
    if name in QUESTION_SETS:
        text = resources.files("askcelebs.evalset").joinpath(QUESTION_SETS[name]).read_text("utf-8")
    else:
        text = Path(name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def fixture_paths() -> list[Path]:
    folder = resources.files("askcelebs.evalset").joinpath("articles")
    return sorted(Path(str(folder)).glob("*.md"))


BBC_CSV_SETTING = "ASKCELEBS_BBC_CSV"


def default_bbc_csv() -> Path:
    """The BBC news CSV (category,text) for `make eval` / `make bench` only; the tests never need it. Set by
    ASKCELEBS_BBC_CSV, else looked for as ../shared/corpora/bbc-news.csv beside the working folder or the repo."""
    env = os.environ.get(BBC_CSV_SETTING)
    if env:
        return Path(env).expanduser()
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base.parent / "shared" / "corpora" / "bbc-news.csv"
        if candidate.exists():
            return candidate
    return Path("../shared/corpora/bbc-news.csv")


def missing_bbc_csv(path: Path) -> str | None:
    """None when the CSV is there, else the message: which path was tried and how to point at the file."""
    if Path(path).is_file():
        return None
    how = (f"{BBC_CSV_SETTING}={os.environ[BBC_CSV_SETTING]!r} names no file" if os.environ.get(BBC_CSV_SETTING)
           else f"{BBC_CSV_SETTING} is not set and there is no ../shared/corpora/bbc-news.csv beside the repo")
    return (f"BBC news corpus not found at {path} ({how}); set {BBC_CSV_SETTING}=/path/to/bbc-news.csv "
            "(a CSV with category,text columns) or pass its path. Only `make eval` and `make bench` need it.")


def bbc_articles(csv_path: Path, category: str | None = "entertainment") -> list[tuple[str, Article]]:
    """BBC rows as Articles: title = first sentence, source = file#row so each row has a stable identity."""
    out = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if category and row["category"] != category:
                continue
            text = normalise(row["text"])
            title = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:100]
            source = f"{csv_path.name}#row{i}"
            out.append((source, make_article(text, source, title=title, outlet="BBC News")))
    return out


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", normalise(s)).strip().lower()


def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan")}
    ordered = sorted(values)
    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]
    return {"p50": q(0.50) * 1000, "p95": q(0.95) * 1000}


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def build_corpus(bbc_csv: Path, settings: Settings) -> list[tuple[str, Article]]:
    seed_dir = Path(settings.documents)
    if not seed_dir.is_dir():
        raise FileNotFoundError(f"documents folder {seed_dir} not found; run `askcelebs eval` from the repo root")
    items: list[tuple[str, Article]] = []
    for path in sorted(seed_dir.glob("*.md")) + sorted(seed_dir.glob("*.txt")):
        items.append((str(path), load(str(path), settings)))
    for path in fixture_paths():
        items.append((str(path), load(str(path), settings)))
    items += bbc_articles(bbc_csv)
    return items


def score(rows: list[dict], texts: dict[str, str]) -> dict[str, Any]:
    """Aggregate per-question rows (same shape for askcelebs and the baseline) into the reported figures."""
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    abstained = [r for r in rows if r["abstained"]]
    quotes = [c for r in rows for c in r["citations"]]
    verbatim = [texts.get(c["article_id"], "")[c["start"]:c["end"]] == c["quote"] for c in quotes]
    timed = [r for r in rows if r["kind"] == "time"]
    return {
        "questions": len(rows),
        "hit@1": _ratio(sum(r["hit1"] for r in answerable), len(answerable)),
        "hit@5": _ratio(sum(r["hit5"] for r in answerable), len(answerable)),
        "quote_hit": _ratio(sum(r["quote_hit"] for r in answerable), len(answerable)),
        "abstention_precision": _ratio(sum(r["kind"] == "unanswerable" for r in abstained), len(abstained)),
        "abstention_recall": _ratio(sum(r["abstained"] for r in unanswerable), len(unanswerable)),
        "false_abstentions": sum(r["abstained"] for r in answerable),
        "verbatim_rate": _ratio(sum(verbatim), len(verbatim)),
        "mean_quote_chars": statistics.mean(len(c["quote"]) for c in quotes) if quotes else 0.0,
        "as_of_correct": _ratio(sum(r.get("as_of_ok", False) for r in timed), len(timed)),
        "latency_ms": _pct([r["seconds"] for r in rows]),
    }


def _row(q: dict, gold_id: str | None, ranked_ids: list[str], citations: list[dict], abstained: bool,
         seconds: float, as_of: str | None = None) -> dict:
    expect = [_norm(e) for e in q.get("expect", [])]
    quote_hit = any(len(c["quote"]) <= QUOTE_LIMIT and any(e in _norm(c["quote"]) for e in expect)
                    for c in citations) and not abstained
    row = {"id": q["id"], "kind": q["kind"], "question": q["question"], "citations": citations,
           "abstained": abstained, "seconds": seconds, "hit1": bool(gold_id) and ranked_ids[:1] == [gold_id],
           "hit5": bool(gold_id) and gold_id in ranked_ids[:5], "quote_hit": quote_hit}
    if q["kind"] == "time":
        row["as_of_ok"] = as_of == q.get("as_of")
    return row


def run_askcelebs(bot, questions: list[dict], gold: dict[str, str | None], show: bool = False) -> list[dict]:
    bot.ask("Are John Legend and Kanye West still friends?")  # warm-up: caches, BM25 build
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        answer = bot.ask(q["question"], history=q.get("history") or [])
        seconds = time.perf_counter() - t0
        retrieval = bot.retrieve(answer.question, k=10)
        ranked = list(dict.fromkeys(p.article.article_id for p in retrieval.passages))
        cites = [c.to_dict() for c in answer.citations]
        rows.append(_row(q, gold[q["id"]], ranked, cites, answer.abstained, seconds,
                         answer.as_of.isoformat() if answer.as_of else None))
        if show:
            mark = "ok " if (rows[-1]["quote_hit"] or (q["kind"] == "unanswerable" and answer.abstained)) else "BAD"
            print(f"{mark} {q['id']:<12} {q['question']}\n      -> {answer.text[:300]}")
    return rows


def plain_pipeline(corpus: list[tuple[str, Article]], model_path: str, workdir: Path):
    """The plain LangChain pipeline over the same articles (RecursiveCharacterTextSplitter 1000/200,
    HuggingFaceEmbeddings, Chroma), each article once; returns the vector store, warmed up, and its build figures."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    docs = []
    seen = set()
    for _, art in corpus:
        if art.article_id in seen:
            continue
        seen.add(art.article_id)
        docs += splitter.split_documents([Document(art.text, metadata={"article_id": art.article_id})])
    store = Chroma(collection_name="plain", embedding_function=HuggingFaceEmbeddings(model_name=model_path,
                   model_kwargs={"device": "cpu"}), persist_directory=str(workdir / "plain"))
    store.add_documents(docs)
    build = time.perf_counter() - t0
    store.similarity_search("warm up", k=4)
    return store, {"build_seconds": build, "chunks": len(docs)}


def plain_citations(hits) -> list[dict]:
    """Whole chunks as the plain pipeline's "quotes", with their offsets."""
    return [{"quote": d.page_content, "article_id": d.metadata["article_id"], "start": d.metadata["start_index"],
             "end": d.metadata["start_index"] + len(d.page_content)} for d in hits]


def run_baseline(corpus: list[tuple[str, Article]], questions: list[dict], gold: dict[str, str | None],
                 model_path: str, workdir: Path) -> tuple[list[dict], dict[str, float]]:
    """The plain LangChain pipeline over the same articles: dense top-4 chunks, no abstention."""
    store, info = plain_pipeline(corpus, model_path, workdir)
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        hits = store.similarity_search(q["question"], k=5)
        seconds = time.perf_counter() - t0
        ranked = list(dict.fromkeys(d.metadata["article_id"] for d in hits))
        rows.append(_row(q, gold[q["id"]], ranked, plain_citations(hits[:4]), False, seconds))
    return rows, info


def run_eval(bbc_csv: Path | None = None, baseline: bool = True, show: bool = False,
             questions: str = "main") -> dict[str, Any]:
    from .app import AskCelebs

    bbc_csv = Path(bbc_csv) if bbc_csv else default_bbc_csv()
    missing = missing_bbc_csv(bbc_csv)
    if missing:
        from .errors import InputError

        raise InputError(str(bbc_csv), missing.replace(f" at {bbc_csv}", "").replace("pass its path", "pass --bbc PATH"))
    question_set = questions
    questions = eval_questions(question_set)
    with tempfile.TemporaryDirectory(prefix="askcelebs-eval-") as tmp:
        work = Path(tmp)
        settings = Settings(store=work / "store")
        corpus = build_corpus(bbc_csv, settings)
        bot = AskCelebs(settings=settings)
        t0 = time.perf_counter()
        bot.add_articles(corpus, force=True)
        build = time.perf_counter() - t0
        texts = {a.article_id: a.text for _, a in corpus}
        gold = {q["id"]: _gold_id(q, texts) for q in questions}
        rows = run_askcelebs(bot, questions, gold, show)
        report: dict[str, Any] = {
            "corpus": {"articles": len(bot.articles()), "bbc_csv": str(bbc_csv), "questions": len(questions),
                       "set": question_set,
                       "by_kind": _kinds(questions)},
            "askcelebs": score(rows, texts) | {"build_seconds": build},
            "failures": [r["id"] for r in rows if not (r["quote_hit"] or (r["kind"] == "unanswerable" and r["abstained"]))],
        }
        if baseline:
            try:
                base_rows, info = run_baseline(corpus, questions, gold, settings.embedding_model, work)
                report["plain_langchain"] = score(base_rows, texts) | info
            except ImportError as exc:
                report["plain_langchain"] = {"error": f"baseline needs the dev extra ({exc.name})"}
    return report


def _gold_id(q: dict, texts: dict[str, str]) -> str | None:
    if not q.get("gold"):
        return None
    needle = _norm(q["gold"])
    hits = [aid for aid, text in texts.items() if needle in _norm(text)]
    return hits[0] if hits else None


def _kinds(questions: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for q in questions:
        counts[q["kind"]] = counts.get(q["kind"], 0) + 1
    return counts


def format_report(report: dict[str, Any]) -> str:
    a, b = report["askcelebs"], report.get("plain_langchain", {})
    lines = [f"corpus: {report['corpus']['articles']} articles, {report['corpus']['questions']} questions "
             f"(set {report['corpus'].get('set', 'main')}) "
             f"{report['corpus']['by_kind']}", "", f"{'metric':<24}{'askcelebs':>12}{'plain LangChain':>18}"]

    def fmt(v: Any, pct: bool = True) -> str:
        if v is None:
            return "n/a"
        if isinstance(v, float) and pct:
            return f"{v:.1%}"
        return f"{v:.1f}" if isinstance(v, float) else str(v)

    for key in ("hit@1", "hit@5", "quote_hit", "abstention_precision", "abstention_recall", "verbatim_rate",
                "as_of_correct"):
        lines.append(f"{key:<24}{fmt(a.get(key)):>12}{fmt(b.get(key)) if b and 'error' not in b else '-':>18}")
    lines.append(f"{'false_abstentions':<24}{a['false_abstentions']:>12}{b.get('false_abstentions', '-'):>18}")
    lines.append(f"{'mean_quote_chars':<24}{a['mean_quote_chars']:>12.0f}"
                 f"{b['mean_quote_chars'] if b and 'error' not in b else 0:>18.0f}")
    for p in ("p50", "p95"):
        lines.append(f"{'latency ' + p + ' (ms)':<24}{a['latency_ms'][p]:>12.1f}"
                     f"{b['latency_ms'][p] if b and 'error' not in b else float('nan'):>18.1f}")
    lines.append(f"{'index build (s)':<24}{a['build_seconds']:>12.1f}"
                 f"{b.get('build_seconds', float('nan')) if b and 'error' not in b else float('nan'):>18.1f}")
    if b and "error" in b:
        lines.append(f"plain LangChain: {b['error']}")
    if report.get("failures"):
        lines.append(f"\nmissed: {', '.join(report['failures'])}")
    return "\n".join(lines)
