"""Validate a realistic evaluation set (stdlib only; never imports askcelebs, so its writers can run it).

Run from anywhere, naming the corpus folder beside this file (default: realistic):

    python src/askcelebs/evalset/check_realistic.py [realistic|realistic2|realistic3]

Checks every line of dev.jsonl, blind.jsonl, timeline_dev.jsonl and
timeline_blind.jsonl against the schema in EVALSET.md and against the article
text it cites:

* every line parses, has exactly the schema's keys, and its values have the
  schema's types and vocabularies;
* every gold article exists under articles/;
* every expect / short_answer substring occurs verbatim in the body text of one
  of its gold articles (.md after the YAML front matter; .html with script and
  style dropped, tags replaced by spaces, entities unescaped and whitespace
  collapsed; .txt as is), and not only inside a photo caption, a photo credit,
  an interviewer's question or a heading, which are not statements;
* expect substrings are 5-12 words, 1-3 per answerable question;
* verdict is set where the kind needs one, as_of is the newest gold article's
  published date for current-state questions, a who-answer never repeats a
  name from the question;
* timelines: events oldest first, each expect in its article, final_state valid,
  as_of an article's published date no older than any event's article (it may
  be newer: an article that confirms the final state without a new event);
* the mix of kinds meets the set's minimums.

Prints a summary and each problem; exits 1 if there is any problem.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = ARTICLES = Path()
SETS: dict[str, Path] = {}
TIMELINES: dict[str, Path] = {}

KINDS = ("direct", "followup", "current_state", "why", "who", "when", "where", "how_many", "yes_no",
         "rumour", "timeline", "unanswerable_pair", "unanswerable_fact", "unanswerable_person")
UNANSWERABLE = {"unanswerable_pair", "unanswerable_fact", "unanswerable_person"}
NEEDS_VERDICT = {"yes_no", "current_state", "rumour"}
NEEDS_SHORT = {"who", "when", "where", "how_many"}
ANSWER_TYPES = {"verdict", "person", "date", "place", "number", "title", "reason", "manner", "fact", "none"}
VERDICTS = {"yes", "no", "unclear"}
KEYS = {"id", "kind", "question", "history", "expect", "gold_articles", "verdict", "as_of", "short_answer",
        "answer_type"}
EVENT_KINDS = {"met", "introduced", "worked_together", "friendship", "feud", "apology", "reconciled", "engaged",
               "married", "split", "rumour", "denial"}
FINAL_STATES = {"friends", "feud", "split", "married", "engaged", "working_together", "unclear"}
TIMELINE_KEYS = {"pair", "events", "final_state", "as_of"}
EVENT_KEYS = {"kind", "date", "expect", "article"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EVENT_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
EXPECT_WORDS = (5, 12)
# per corpus: the first was written larger; the two later, smaller corpora have smaller sets
MINIMUM_SETS = {
    "realistic": {"dev": {"total": 70, "unanswerable": 15}, "blind": {"total": 60, "unanswerable": 15}},
    "realistic2": {"dev": {"total": 40, "unanswerable": 8}, "blind": {"total": 45, "unanswerable": 9}},
    "realistic3": {"dev": {"total": 40, "unanswerable": 8}, "blind": {"total": 45, "unanswerable": 9}},
}
MINIMUMS = MINIMUM_SETS["realistic"]
NON_STATEMENT_LINE = re.compile(
    r"^(caption:|photo:|photograph:|\*\*.*\*\*$|#|- |instagram/@|[A-Z][\w .'-]+/(getty|redferns|wireimage|celebrity|spotlight|popwire|starlight))",
    re.I)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    if not raw.startswith("---\n"):
        return {}, raw
    end = raw.find("\n---\n", 4)
    if end == -1:
        return {}, raw
    fields = {}
    for line in raw[4:end].splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip().strip('"')
    return fields, raw[end + 5:]


class Article:
    """An article's full visible text, its statement-only text and its published date."""

    def __init__(self, path: Path):
        raw = path.read_text(encoding="utf-8")
        self.published: str | None = None
        if path.suffix == ".html":
            meta = re.search(r'<meta property="article:published_time" content="(\d{4}-\d{2}-\d{2})', raw)
            self.published = meta.group(1) if meta else None
            page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
            page = re.sub(r"(?s)<!--.*?-->", " ", page)
            self.text = collapse(html.unescape(re.sub(r"<[^>]+>", " ", page)))
            body = re.search(r'(?s)<div class="article-body">(.*?)</div>', page)
            statements = re.sub(r"(?is)<h\d\b.*?</h\d>", " ", body.group(1) if body else "")
            self.statements = collapse(html.unescape(re.sub(r"<[^>]+>", " ", statements)))
        else:
            fields, body = split_front_matter(raw)
            self.published = fields.get("published") or None
            self.text = collapse(body)
            kept = [line for line in body.splitlines() if not NON_STATEMENT_LINE.match(line.strip())]
            self.statements = collapse("\n".join(kept))


def load_articles() -> dict[str, Article]:
    return {f"articles/{p.name}": Article(p) for p in sorted(ARTICLES.iterdir()) if p.suffix in {".md", ".html", ".txt"}}


def read_jsonl(path: Path, problems: list[str]) -> list[tuple[int, dict]]:
    rows = []
    if not path.exists():
        problems.append(f"{path.name}: missing")
        return rows
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path.name}:{number}: not JSON ({error})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name}:{number}: not an object")
            continue
        rows.append((number, row))
    return rows


def find_span(span: str, gold: list[str], articles: dict[str, Article]) -> str | None:
    """Why the span fails, or None when it is a statement in one of the gold articles."""
    if not isinstance(span, str) or not span.strip():
        return "empty or not a string"
    if any(span in articles[g].statements for g in gold if g in articles):
        return None
    if any(span in articles[g].text for g in gold if g in articles):
        return "only in a caption, credit, interviewer question or heading"
    return "not verbatim in any gold article"


def check_question(where: str, row: dict, articles: dict[str, Article], problems: list[str]) -> None:
    keys = set(row)
    if keys != KEYS:
        problems.append(f"{where}: keys differ from schema (missing {sorted(KEYS - keys)}, extra {sorted(keys - KEYS)})")
        return
    kind = row["kind"]
    if kind not in KINDS:
        problems.append(f"{where}: unknown kind {kind!r}")
        return
    if not isinstance(row["question"], str) or not row["question"].strip():
        problems.append(f"{where}: empty question")
    history = row["history"]
    if not isinstance(history, list) or any(
            not isinstance(turn, dict) or set(turn) != {"role", "content"} or turn["role"] not in {"user", "assistant"}
            or not isinstance(turn["content"], str) for turn in history):
        problems.append(f"{where}: history must be a list of {{role, content}} turns")
    if kind == "followup" and not history:
        problems.append(f"{where}: followup without history")
    if row["answer_type"] not in ANSWER_TYPES:
        problems.append(f"{where}: unknown answer_type {row['answer_type']!r}")
    verdict, as_of, short, expect, gold = row["verdict"], row["as_of"], row["short_answer"], row["expect"], row["gold_articles"]
    if verdict is not None and verdict not in VERDICTS:
        problems.append(f"{where}: verdict {verdict!r} not in {sorted(VERDICTS)}")
    if kind in NEEDS_VERDICT and verdict is None:
        problems.append(f"{where}: {kind} needs a verdict")
    if as_of is not None and (not isinstance(as_of, str) or not DATE_RE.match(as_of)):
        problems.append(f"{where}: as_of {as_of!r} is not YYYY-MM-DD")
    if not isinstance(expect, list) or not isinstance(gold, list):
        problems.append(f"{where}: expect and gold_articles must be lists")
        return
    if kind in UNANSWERABLE:
        if expect or gold or short is not None or verdict is not None:
            problems.append(f"{where}: unanswerable questions have no expect, gold, short_answer or verdict")
        return
    if not gold:
        problems.append(f"{where}: answerable question without gold_articles")
    for g in gold:
        if g not in articles:
            problems.append(f"{where}: gold article {g} does not exist")
    if not 1 <= len(expect) <= 3:
        problems.append(f"{where}: needs 1-3 expect substrings, has {len(expect)}")
    for span in expect:
        words = len(span.split()) if isinstance(span, str) else 0
        if not EXPECT_WORDS[0] <= words <= EXPECT_WORDS[1]:
            problems.append(f"{where}: expect {span!r} has {words} words (want {EXPECT_WORDS[0]}-{EXPECT_WORDS[1]})")
        reason = find_span(span, gold, articles)
        if reason:
            problems.append(f"{where}: expect {span!r}: {reason}")
    if kind in NEEDS_SHORT and not short:
        problems.append(f"{where}: {kind} needs a short_answer")
    if short is not None:
        if not isinstance(short, list) or not short:
            problems.append(f"{where}: short_answer must be a non-empty list or null")
        else:
            for span in short:
                reason = find_span(span, gold, articles)
                if reason:
                    problems.append(f"{where}: short_answer {span!r}: {reason}")
                if kind == "who" and isinstance(span, str) and span.lower() in row["question"].lower():
                    problems.append(f"{where}: who short_answer {span!r} repeats the question")
    if kind == "current_state":
        dates = [articles[g].published for g in gold if g in articles and articles[g].published]
        if as_of is None:
            problems.append(f"{where}: current_state needs as_of")
        elif dates and as_of != max(dates):
            problems.append(f"{where}: as_of {as_of} is not the newest gold article's date {max(dates)}")


def check_set(name: str, articles: dict[str, Article], problems: list[str]) -> tuple[Counter, list[str]]:
    counts: Counter = Counter()
    questions = []
    ids = set()
    for number, row in read_jsonl(SETS[name], problems):
        where = f"{SETS[name].name}:{number}"
        if row.get("id") in ids:
            problems.append(f"{where}: duplicate id {row.get('id')!r}")
        ids.add(row.get("id"))
        check_question(where, row, articles, problems)
        counts[row.get("kind")] += 1
        questions.append(str(row.get("question", "")).strip().lower())
    total = sum(counts.values())
    unanswerable = sum(counts[k] for k in UNANSWERABLE)
    if total < MINIMUMS[name]["total"]:
        problems.append(f"{SETS[name].name}: {total} questions, want at least {MINIMUMS[name]['total']}")
    if unanswerable < MINIMUMS[name]["unanswerable"]:
        problems.append(f"{SETS[name].name}: {unanswerable} unanswerable, want at least {MINIMUMS[name]['unanswerable']}")
    for kind in KINDS:
        if not counts[kind]:
            problems.append(f"{SETS[name].name}: no question of kind {kind}")
    return counts, questions


def check_timelines(name: str, articles: dict[str, Article], problems: list[str]) -> tuple[int, int, set]:
    pairs, events, seen = 0, 0, set()
    for number, row in read_jsonl(TIMELINES[name], problems):
        where = f"{TIMELINES[name].name}:{number}"
        pairs += 1
        if set(row) != TIMELINE_KEYS:
            problems.append(f"{where}: keys differ from schema ({sorted(set(row) ^ TIMELINE_KEYS)})")
            continue
        pair = row["pair"]
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p for p in pair)):
            problems.append(f"{where}: pair must be two names")
            continue
        seen.add(frozenset(pair))
        if row["final_state"] not in FINAL_STATES:
            problems.append(f"{where}: final_state {row['final_state']!r} not in {sorted(FINAL_STATES)}")
        if not isinstance(row["as_of"], str) or not DATE_RE.match(row["as_of"]):
            problems.append(f"{where}: as_of {row['as_of']!r} is not YYYY-MM-DD")
        if not isinstance(row["events"], list) or len(row["events"]) < 2:
            problems.append(f"{where}: needs 2+ events")
            continue
        previous, published = "", []
        for index, event in enumerate(row["events"]):
            at = f"{where} event {index + 1}"
            events += 1
            if set(event) != EVENT_KEYS:
                problems.append(f"{at}: keys differ from schema ({sorted(set(event) ^ EVENT_KEYS)})")
                continue
            if event["kind"] not in EVENT_KINDS:
                problems.append(f"{at}: unknown kind {event['kind']!r}")
            date = event["date"]
            if date is not None and (not isinstance(date, str) or not EVENT_DATE_RE.match(date)):
                problems.append(f"{at}: date {date!r} not YYYY[-MM[-DD]]")
            elif date is not None:
                if date < previous[:len(date)]:
                    problems.append(f"{at}: date {date} is before the previous event's {previous} (oldest first)")
                previous = max(previous, date)
            article = event["article"]
            if article not in articles:
                problems.append(f"{at}: article {article} does not exist")
                continue
            if articles[article].published:
                published.append(articles[article].published)
            reason = find_span(event["expect"], [article], articles)
            if reason:
                problems.append(f"{at}: expect {event['expect']!r}: {reason}")
        if published and row["as_of"] < max(published):
            problems.append(f"{where}: as_of {row['as_of']} is older than the newest event article {max(published)}")
        if row["as_of"] not in {a.published for a in articles.values()}:
            problems.append(f"{where}: as_of {row['as_of']} is no article's published date")
    return pairs, events, seen


def use(folder: str) -> None:
    """Point the checks at one corpus folder beside this file."""
    global HERE, ARTICLES, SETS, TIMELINES, MINIMUMS
    if folder not in MINIMUM_SETS:
        raise SystemExit(f"{folder!r}: not a realistic corpus; use one of {', '.join(MINIMUM_SETS)}")
    HERE = Path(__file__).resolve().parent / folder
    ARTICLES = HERE / "articles"
    SETS = {"dev": HERE / "dev.jsonl", "blind": HERE / "blind.jsonl"}
    TIMELINES = {"dev": HERE / "timeline_dev.jsonl", "blind": HERE / "timeline_blind.jsonl"}
    MINIMUMS = MINIMUM_SETS[folder]


def main() -> int:
    use(sys.argv[1] if len(sys.argv) > 1 else "realistic")
    problems: list[str] = []
    articles = load_articles()
    formats = Counter(Path(a).suffix for a in articles)
    for key, article in articles.items():
        words = len(article.text.split())
        if key.endswith(".html"):
            words = len(article.statements.split())
        if not 300 <= words <= 900:
            problems.append(f"{key}: {words} words (want 300-900)")
        name = Path(key).name
        if key.endswith(".txt"):
            if article.published or re.match(r"^\d{4}-", name):
                problems.append(f"{key}: plain-text articles carry no date in name or metadata")
        elif not article.published or not name.startswith(article.published):
            problems.append(f"{key}: file name does not start with its published date {article.published}")
    print(f"articles: {len(articles)} ({', '.join(f'{n} {s}' for s, n in sorted(formats.items()))})")
    questions = {}
    for name in SETS:
        counts, questions[name] = check_set(name, articles, problems)
        total = sum(counts.values())
        unanswerable = sum(counts[k] for k in UNANSWERABLE)
        print(f"{name}: {total} questions, {unanswerable} unanswerable; "
              + ", ".join(f"{k} {counts[k]}" for k in KINDS))
    overlap = set(questions["dev"]) & set(questions["blind"])
    if overlap:
        problems.append(f"dev and blind share {len(overlap)} identical question(s)")
    seen_pairs = {}
    for name in TIMELINES:
        pairs, events, seen_pairs[name] = check_timelines(name, articles, problems)
        print(f"timeline_{name}: {pairs} pairs, {events} events")
    if seen_pairs["dev"] & seen_pairs["blind"]:
        problems.append("a timeline pair is in both timeline_dev and timeline_blind")
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
