"""Validate the askcelebs evaluation set.

Run from the repository root:

    .venv/bin/python src/askcelebs/evalset/check.py

It loads the seed article, the BBC News entertainment rows and the dated
fixture articles in ``articles/`` and checks every line of ``questions.jsonl``
against the rules of the evaluation set:

* ``gold`` (answerable questions) is a substring of at least 30 characters that
  occurs in exactly one distinct article (seed, BBC or fixture);
* every ``expect`` substring is 3-8 words long and occurs, case-insensitively,
  inside a single sentence of the gold article;
* time questions carry ``as_of`` equal to the ``published`` date of the
  fixture that holds the gold text;
* unanswerable questions have no gold/expect, and none of their ``absent``
  name groups co-occur in any single article;
* the mix of kinds meets the required minimums.

Prints a summary by kind and exits with status 1 on any violation.
The BBC CSV location can be overridden with ``ASKCELEBS_BBC_CSV``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
QUESTIONS = HERE / "questions.jsonl"
FIXTURE_DIR = HERE / "articles"
SEED = REPO / "documents" / "000_e1a94909d1470c85.md"
BBC_CSV = Path(os.environ.get("ASKCELEBS_BBC_CSV", "/work/shared/corpora/bbc-news.csv"))

KINDS = ("direct", "followup", "time", "unanswerable")
MINIMUMS = {"total": 50, "direct": 28, "direct_seed": 4, "followup": 6, "time": 5, "unanswerable": 12}
KEYS = {"id", "kind", "question", "history", "gold", "expect", "as_of"}
OPTIONAL_KEYS = {"absent"}
FIXTURE_FIELDS = ("title", "published", "outlet", "author")
FIXTURE_OUTLET = "askcelebs evaluation fixture"
FIXTURE_WORDS = (120, 300)
GOLD_MIN_CHARS = 30
EXPECT_WORDS = (3, 8)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SENTENCE_SPLIT = re.compile(r"(?<=[.?!]) |\n")
TIME_WORDS = re.compile(r"\b(still|now|anymore|any more|currently|these days|when)\b", re.I)
PRONOUNS = re.compile(r"\b(they|them|their|he|him|his|she|her|it|that|those)\b", re.I)


@dataclass
class Doc:
    doc_id: str
    source: str  # "seed" | "bbc" | "fixture"
    text: str
    published: str | None = None

    def sentences(self) -> list[str]:
        return [s.strip().lower() for s in SENTENCE_SPLIT.split(self.text) if s.strip()]


def split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """Return (front matter fields, body). Simple `key: value` YAML only."""
    if not raw.startswith("---\n"):
        return {}, raw
    end = raw.find("\n---\n", 4)
    if end == -1:
        return {}, raw
    fields: dict[str, str] = {}
    for line in raw[4:end].splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            fields[key.strip()] = value
    return fields, raw[end + len("\n---\n"):]


def load_docs(errors: list[str]) -> list[Doc]:
    docs: list[Doc] = []

    _, seed_body = split_front_matter(SEED.read_text(encoding="utf-8"))
    docs.append(Doc("seed:" + SEED.name, "seed", seed_body))

    seen: set[str] = set()
    with BBC_CSV.open(newline="", encoding="utf-8") as fh:
        for row_no, row in enumerate(csv.DictReader(fh)):
            if row["category"] != "entertainment" or row["text"] in seen:
                continue
            seen.add(row["text"])
            docs.append(Doc(f"bbc:row{row_no}", "bbc", row["text"]))

    fixtures = sorted(FIXTURE_DIR.glob("*.md"))
    if not 3 <= len(fixtures) <= 5:
        errors.append(f"fixtures: expected 3-5 articles in {FIXTURE_DIR}, found {len(fixtures)}")
    for path in fixtures:
        fields, body = split_front_matter(path.read_text(encoding="utf-8"))
        where = f"fixture {path.name}"
        for field in FIXTURE_FIELDS:
            if not fields.get(field):
                errors.append(f"{where}: missing front matter field '{field}'")
        published = fields.get("published", "")
        if not DATE_RE.match(published):
            errors.append(f"{where}: published '{published}' is not YYYY-MM-DD")
        elif not path.name.startswith(published[:4]):
            errors.append(f"{where}: file name should start with the published year {published[:4]}")
        if fields.get("outlet") != FIXTURE_OUTLET:
            errors.append(f"{where}: outlet must be '{FIXTURE_OUTLET}'")
        words = len(body.split())
        if not FIXTURE_WORDS[0] <= words <= FIXTURE_WORDS[1]:
            errors.append(f"{where}: body has {words} words, want {FIXTURE_WORDS[0]}-{FIXTURE_WORDS[1]}")
        docs.append(Doc("fixture:" + path.name, "fixture", body, published or None))
    return docs


def docs_containing(docs: list[Doc], needle: str) -> list[Doc]:
    needle = needle.lower()
    return [d for d in docs if needle in d.text.lower()]


def check_history(q: dict, where: str, errors: list[str]) -> None:
    history = q.get("history")
    if not isinstance(history, list):
        errors.append(f"{where}: history must be a list")
        return
    if q["kind"] != "followup":
        if history:
            errors.append(f"{where}: history must be [] unless kind is followup")
        return
    if len(history) < 2 or len(history) % 2:
        errors.append(f"{where}: followup history needs user/assistant pairs")
        return
    for i, turn in enumerate(history):
        role = "user" if i % 2 == 0 else "assistant"
        if not isinstance(turn, dict) or set(turn) != {"role", "content"} or turn["role"] != role \
                or not isinstance(turn["content"], str) or not turn["content"].strip():
            errors.append(f"{where}: history[{i}] must be {{'role': '{role}', 'content': <text>}}")
            return
    # The new question must lean on the history: no names from the previous
    # user question, and some pronoun / back-reference.
    names = set()
    for turn in history[::2]:
        tokens = re.findall(r"[A-Za-z][\w'-]*", turn["content"])
        names.update(t.lower() for t in tokens[1:] if t[0].isupper())
    reused = sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", q["question"], re.I))
    if reused:
        errors.append(f"{where}: followup question repeats names from history: {reused}")
    if not PRONOUNS.search(q["question"]):
        errors.append(f"{where}: followup question has no pronoun referring back to the history")


def check_question(q: dict, docs: list[Doc], errors: list[str]) -> str | None:
    """Validate one line; return the source of its gold article (or None)."""
    where = f"line {q.get('_line')} ({q.get('id')})"
    keys = set(q) - {"_line"}
    if not KEYS <= keys:
        errors.append(f"{where}: missing keys {sorted(KEYS - keys)}")
        return None
    if keys - KEYS - OPTIONAL_KEYS:
        errors.append(f"{where}: unexpected keys {sorted(keys - KEYS - OPTIONAL_KEYS)}")
    kind = q["kind"]
    if kind not in KINDS:
        errors.append(f"{where}: unknown kind {kind!r}")
        return None
    question = q["question"]
    if not isinstance(question, str) or not question.strip():
        errors.append(f"{where}: empty question")
        return None
    if not question[0].isupper() or not question.endswith("?"):
        errors.append(f"{where}: question should start with a capital and end with '?'")
    check_history(q, where, errors)

    gold, expect, as_of = q["gold"], q["expect"], q["as_of"]
    if not isinstance(expect, list) or not all(isinstance(e, str) for e in expect):
        errors.append(f"{where}: expect must be a list of strings")
        return None

    if kind == "unanswerable":
        if gold is not None or expect or as_of is not None:
            errors.append(f"{where}: unanswerable needs gold=null, expect=[], as_of=null")
        absent = q.get("absent", [])
        if not isinstance(absent, list) or not all(
                isinstance(g, list) and g and all(isinstance(n, str) and n.strip() for n in g) for g in absent):
            errors.append(f"{where}: absent must be a list of non-empty lists of names")
            return None
        for group in absent:
            hits = [d for d in docs if all(n.lower() in d.text.lower() for n in group)]
            if hits:
                errors.append(f"{where}: absent group {group} co-occurs in {[d.doc_id for d in hits][:5]}")
        return None

    if "absent" in q:
        errors.append(f"{where}: 'absent' is only for unanswerable questions")
    if not isinstance(gold, str) or len(gold) < GOLD_MIN_CHARS:
        errors.append(f"{where}: gold must be a string of at least {GOLD_MIN_CHARS} characters")
        return None
    hits = docs_containing(docs, gold)
    if len(hits) != 1:
        errors.append(f"{where}: gold occurs in {len(hits)} articles, want exactly 1: {gold!r}")
        return None
    doc = hits[0]
    if gold not in doc.text:
        errors.append(f"{where}: gold matches only case-insensitively; copy it verbatim: {gold!r}")

    if not expect:
        errors.append(f"{where}: answerable question needs at least one expect substring")
    if len(expect) > 3:
        errors.append(f"{where}: at most 3 expect alternatives")
    sentences = doc.sentences()
    for e in expect:
        n_words = len(e.split())
        if not EXPECT_WORDS[0] <= n_words <= EXPECT_WORDS[1]:
            errors.append(f"{where}: expect {e!r} has {n_words} words, want {EXPECT_WORDS[0]}-{EXPECT_WORDS[1]}")
        if not any(e.lower() in s for s in sentences):
            errors.append(f"{where}: expect {e!r} is not inside a single sentence of {doc.doc_id}")

    if kind == "time":
        if doc.source != "fixture":
            errors.append(f"{where}: time questions must be answered from a dated fixture")
        if not isinstance(as_of, str) or not DATE_RE.match(as_of):
            errors.append(f"{where}: time question needs as_of YYYY-MM-DD")
        elif as_of != doc.published:
            errors.append(f"{where}: as_of {as_of} != published {doc.published} of {doc.doc_id}")
        if not TIME_WORDS.search(question):
            errors.append(f"{where}: time question should use a time word (still/now/anymore/currently/when)")
    elif as_of is not None:
        errors.append(f"{where}: as_of must be null unless kind is time")
    return doc.source


def main() -> int:
    errors: list[str] = []
    docs = load_docs(errors)

    questions: list[dict] = []
    for line_no, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {line_no}: invalid JSON: {exc}")
            continue
        if not isinstance(q, dict):
            errors.append(f"line {line_no}: not a JSON object")
            continue
        q["_line"] = line_no
        questions.append(q)

    ids = Counter(q.get("id") for q in questions)
    for qid, n in ids.items():
        if not isinstance(qid, str) or not qid or n > 1:
            errors.append(f"id {qid!r} is missing or used {n} times")
    texts = Counter(q.get("question") for q in questions)
    for text, n in texts.items():
        if n > 1 and text:
            errors.append(f"question {text!r} appears {n} times")

    by_kind: Counter[str] = Counter()
    by_source: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    for q in questions:
        source = check_question(q, docs, errors)
        kind = q.get("kind")
        if kind in KINDS:
            by_kind[kind] += 1
            by_source[kind][source or "none"] += 1

    if len(questions) < MINIMUMS["total"]:
        errors.append(f"only {len(questions)} questions, want >= {MINIMUMS['total']}")
    for kind in KINDS:
        if by_kind[kind] < MINIMUMS[kind]:
            errors.append(f"only {by_kind[kind]} {kind} questions, want >= {MINIMUMS[kind]}")
    if by_source["direct"]["seed"] < MINIMUMS["direct_seed"]:
        errors.append(f"only {by_source['direct']['seed']} direct questions on the seed, "
                      f"want >= {MINIMUMS['direct_seed']}")

    n_bbc = sum(d.source == "bbc" for d in docs)
    n_fix = sum(d.source == "fixture" for d in docs)
    print(f"articles: 1 seed, {n_bbc} BBC entertainment (deduplicated), {n_fix} fixtures")
    print(f"questions: {len(questions)}")
    for kind in KINDS:
        detail = ", ".join(f"{src} {n}" for src, n in sorted(by_source[kind].items()))
        print(f"  {kind:<13}{by_kind[kind]:>3}   ({detail})")
    if errors:
        print(f"\n{len(errors)} violation(s):")
        for err in errors:
            print("  - " + err)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
