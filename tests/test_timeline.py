"""Relationship timelines and the friendship map: events found at ingest, dated and quoted, in order, with the
state they end in; syndicated copies are one event; removing an article updates the story."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "timeline"
SYNDICATED = DATA / "2020-06-11-lind-arden-feud-syndicated.md"


@pytest.fixture
def lind_bot(make_bot):
    bot = make_bot()
    results = bot.add(*[str(p) for p in sorted(DATA.iterdir()) if p != SYNDICATED])
    assert {r.status for r in results} == {"added"}, [(r.input, r.status, r.detail) for r in results]
    assert [r.status for r in bot.add(str(SYNDICATED), force=True)] == ["added"]
    return bot


def _kinds(t):
    return [(e.kind, e.date.year if e.date else None) for e in t.events]


def test_feud_then_reconciliation_is_told_in_order_and_ends_friends(lind_bot):
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    kinds = [e.kind for e in t.events]
    assert kinds.index("met") < kinds.index("worked_together") < kinds.index("feud") < kinds.index("reconciled")
    assert t.state == "friends" and t.as_of.isoformat() == "2024-02-01"
    for e in t.events:  # every event is a verbatim quote of its article
        assert lind_bot.article(e.source.article_id).text[e.start:e.end] == e.quote


def test_a_denied_rumour_is_a_denial_not_a_feud(lind_bot):
    t = lind_bot.timeline("Lind", "Arden")
    newest = [e for e in t.events if e.source.published and e.source.published.isoformat() == "2024-02-01"]
    assert [e.kind for e in newest] == ["denial"]
    assert "rumours" in newest[0].quote
    assert t.state == "friends"  # the denial keeps the reconciliation standing


def test_a_syndicated_copy_is_one_event_with_its_copy_listed(lind_bot):
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    feuds = [e for e in t.events if e.kind == "feud" and e.date and e.date.year == 2020]
    assert len(feuds) == 1
    assert [c.outlet for c in feuds[0].copies] == ["Other Wire"]


def test_two_people_at_the_same_event_are_not_a_pair(lind_bot):
    pairs = {r.people for r in lind_bot.relationships()}
    assert ("Mara Lind", "Theo Brandt") not in pairs and ("Theo Brandt", "Mara Lind") not in pairs
    assert lind_bot.timeline("Mara Lind", "Theo Brandt").events == []


def test_an_undated_article_is_placed_by_the_dates_in_its_text(lind_bot):
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    undated = [e for e in t.events if e.source.published is None]
    placed = [e for e in undated if e.date]
    assert placed and all(e.dated_by == "text" for e in placed)
    assert ("friendship", 2017) in [(e.kind, e.date.year) for e in placed]
    assert t.events.index(placed[-1]) < [e.kind for e in t.events].index("feud")
    # what no date places is marked undated and told last
    assert all(e.dated_by == "none" for e in undated if not e.date)
    assert [e.date for e in t.events if e.date is None] == [None] * (len(undated) - len(placed))
    assert all(e.date is None for e in t.events[len(t.events) - (len(undated) - len(placed)):])


def test_captions_and_credits_are_not_events(lind_bot):
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    assert not any("Caption" in e.quote or "Getty" in e.quote for e in t.events)


def test_removing_the_deciding_article_changes_the_current_state(lind_bot):
    reconcile = next(a for a in lind_bot.articles() if "bury the hatchet" in a.title)
    rumour = next(a for a in lind_bot.articles() if "laughs off" in a.title)
    lind_bot.remove(rumour.article_id)
    assert lind_bot.timeline("Mara Lind", "Jules Arden").state == "friends"
    lind_bot.remove(reconcile.article_id)
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    assert t.state == "feud" and t.as_of.isoformat() == "2020-06-10"  # the story, not its later copy


def test_events_survive_a_reopen_without_recomputing(lind_bot, make_bot, monkeypatch):
    before = lind_bot.timeline("Mara Lind", "Jules Arden").to_dict()
    from askcelebs import events

    monkeypatch.setattr(events, "extract", lambda *a, **k: pytest.fail("events recomputed on open"))
    assert make_bot().timeline("Mara Lind", "Jules Arden").to_dict() == before


def test_an_unknown_person_gets_a_clear_error(lind_bot):
    from askcelebs import InputError

    with pytest.raises(InputError, match="not a name the index knows"):
        lind_bot.timeline("Mara Lind", "")


def test_cli_timeline_and_people_as_json(lind_bot, tmp_path):
    def cli(*args):
        run = subprocess.run([sys.executable, "-m", "askcelebs.cli", "--store", str(tmp_path / "store"), *args],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        return run.stdout

    t = json.loads(cli("timeline", "Mara Lind", "Jules Arden", "--json"))
    assert t["state"] == "friends" and t["events"][0]["quote"]
    people = json.loads(cli("people", "--json"))
    assert {"people": ["Jules Arden", "Mara Lind"], "state": "friends"}.items() <= people[0].items() or \
        any(sorted(p["people"]) == ["Jules Arden", "Mara Lind"] and p["state"] == "friends" for p in people)
    text = cli("timeline", "Mara Lind", "Jules Arden")
    assert "Now: as of 2024-02-01: friends" in text


def test_timeline_eval_scores_events_states_and_dates_against_gold(lind_bot, tmp_path):
    from askcelebs.timeline_eval import evaluate

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({
        "pair": ["Mara Lind", "Jules Arden"], "final_state": "friends", "as_of": "2024-02-01",
        "events": [{"kind": "met", "date": "2016", "expect": "The pair met in 2016 at a songwriting camp"},
                   {"kind": "reconciled", "date": "2023-08-26",  # "on Saturday", published Fri 1 Sep
                    "expect": "have reconciled and performed together"},
                   {"kind": "married", "date": None, "expect": "no such sentence"}]}) + "\n")
    report = evaluate(lind_bot, gold)
    assert report["event_recall"] == pytest.approx(2 / 3)
    assert report["final_state_accuracy"] == 1.0 and report["date_accuracy"] == 1.0
    assert 0 < report["event_precision"] < 1  # the timeline tells more than this gold lists


def test_a_history_question_is_answered_with_the_timeline_oldest_first(lind_bot):
    answer = lind_bot.ask("What's the history of Mara Lind and Jules Arden's friendship?")
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    assert [c.quote for c in answer.citations] == [e.quote for e in t.events][: len(answer.citations)]
    assert len(answer.citations) >= 3 and answer.answer_type == "timeline"
    assert answer.text.startswith("Mara Lind and Jules Arden, oldest first:")
    assert answer.text.rstrip().endswith(f"As of {t.as_of.day} {t.as_of.strftime('%B %Y')}: friends.")


def test_a_still_question_reads_the_same_state_as_the_timeline(lind_bot):
    answer = lind_bot.ask("Are Mara Lind and Jules Arden still friends?")
    t = lind_bot.timeline("Mara Lind", "Jules Arden")
    assert t.state == "friends" and answer.verdict == "yes", answer.text
