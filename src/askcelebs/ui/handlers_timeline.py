"""Handlers for timelines and the friendship map (thin adapters over bot.timeline / bot.relationships)."""

from __future__ import annotations

from urllib.parse import unquote

import gradio as gr

from ..errors import AskCelebsError
from .render import esc
from .render_timeline import render_map, render_person, render_timeline


class TimelineHandlers:
    bot: object  # AskCelebs, set by _Handlers

    def people_map(self) -> str:
        return render_map(self.bot.relationships())

    def people_panel(self, target: str) -> str:
        """target = "pair:<a>|<b>" (an edge or a pair link) or "person:<name>" (a node)."""
        what, _, value = (target or "").partition(":")
        try:
            if what == "pair":
                a, _, b = value.partition("|")
                return render_timeline(self.bot.timeline(unquote(a), unquote(b)))
            if what == "person":
                name = unquote(value)
                return render_person(name, self.bot.relationships(name))
        except AskCelebsError as exc:
            return f"<p class='ac-hint'>{esc(str(exc))}</p>"
        return ""

    def side_timeline(self, convo: list) -> str:
        """Beside an answer about a pair: that pair's timeline (the latest events), else nothing."""
        turns = [m for m in convo or [] if isinstance(m, dict)]
        users = [i for i, m in enumerate(turns) if m.get("role") == "user"]
        if not users:
            return ""
        last = users[-1]
        s = self.bot.standalone(str(turns[last].get("content", "")), turns[:last])
        people = [n for n in s.names if len(n.words) > 1]
        if len(people) != 2:
            return ""
        try:
            t = self.bot.timeline(people[0].text, people[1].text)
        except AskCelebsError:
            return ""
        return render_timeline(t, compact=True) if t.events else ""

    def api_timeline(self, person_a: str, person_b: str) -> dict:
        """A pair's relationship over time: events oldest first (quote, article, date), and the current state."""
        try:
            return self.bot.timeline(person_a, person_b).to_dict()
        except AskCelebsError as exc:
            raise gr.Error(str(exc)) from None

    def api_people(self, person: str = "") -> list[dict]:
        """Every pair the articles tell a relationship of (or one person's), with its current state."""
        try:
            return [r.to_dict() for r in self.bot.relationships(person or None)]
        except AskCelebsError as exc:
            raise gr.Error(str(exc)) from None
