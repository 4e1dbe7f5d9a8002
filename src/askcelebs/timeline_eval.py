"""Timeline quality against gold (evalset/realistic/timeline_*.jsonl): event precision and recall, final-state
accuracy and date accuracy, over pairs whose true history a team member wrote down.

An event is found when the timeline holds one of the same kind whose quote (or another sentence of the same
article saying it) contains the gold substring. Precision counts the timeline's events for gold pairs that match
some gold event; a gold list is not exhaustive, so precision is a floor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .timeline import Timeline, TimelineEvent


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').lower().split())


def _says(event: TimelineEvent, expect: str) -> bool:
    want = _norm(expect)
    return any(want in _norm(t) for t in [event.quote, *(t for _, _, t in event.also)])


def _date_agrees(event: TimelineEvent, gold: str | None) -> bool | None:
    if not gold:
        return None
    if event.date is None:
        return False
    parts = gold.split("-")
    mine = event.date.isoformat().split("-")
    return mine[:len(parts)] == parts


def score_pair(t: Timeline, gold: dict[str, Any]) -> dict[str, Any]:
    def matches(e: TimelineEvent, g: dict[str, Any]) -> bool:
        return e.kind == g["kind"] and _says(e, g["expect"])

    found, dates = 0, []
    for g in gold["events"]:
        hit = next((e for e in t.events if matches(e, g)), None)
        if hit is None:
            continue
        found += 1
        agrees = _date_agrees(hit, g.get("date"))
        if agrees is not None:
            dates.append(agrees)
    correct = sum(any(matches(e, g) for g in gold["events"]) for e in t.events)
    return {"pair": gold["pair"], "gold_events": len(gold["events"]), "found": found,
            "predicted": len(t.events), "correct": correct, "dates_right": sum(dates),
            "dates": len(dates), "state": t.state, "gold_state": gold["final_state"],
            "state_right": t.state == gold["final_state"]}


def evaluate(bot, gold_path: Path, per_pair: bool = True) -> dict[str, Any]:
    """Score `bot`'s timelines (an index holding the realistic corpus) against one gold file."""
    lines = [json.loads(x) for x in Path(gold_path).read_text("utf-8").splitlines() if x.strip()]
    rows = [score_pair(bot.timeline(*g["pair"]), g) for g in lines]
    total = lambda k: sum(r[k] for r in rows)  # noqa: E731
    report = {
        "pairs": len(rows),
        "event_recall": total("found") / max(1, total("gold_events")),
        "event_precision": total("correct") / max(1, total("predicted")),
        "final_state_accuracy": total("state_right") / max(1, len(rows)),
        "date_accuracy": total("dates_right") / max(1, total("dates")),
    }
    if per_pair:
        report["rows"] = rows
    return report


def format_report(name: str, report: dict[str, Any]) -> str:
    return (f"timelines {name}: {report['pairs']} pairs · event recall {report['event_recall']:.1%} · "
            f"precision {report['event_precision']:.1%} · final state {report['final_state_accuracy']:.1%} · "
            f"dates {report['date_accuracy']:.1%}")


