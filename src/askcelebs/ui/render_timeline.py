"""Rendering the timeline panel and the friendship map, as inert HTML (everything article-derived goes through
esc()).

The map is an SVG drawn here from a networkx layout rather than a plotly figure: gr.Plot does not hand clicks on
an edge back to the app, and an SVG of links does, with keyboard focus and screen-reader names for free.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import networkx as nx

from ..timeline import Relationship, Timeline
from .render import _link, esc, fmt_date

STATES = {"friends": "Friends", "feud": "Feud", "split": "Split", "married": "Married", "engaged": "Engaged",
          "working_together": "Working together", "unclear": "Unclear", "unknown": "Not stated"}
KINDS = {"met": "Met", "introduced": "Introduced", "worked_together": "Worked together", "friendship": "Friendship",
         "feud": "Feud", "apology": "Apology", "reconciled": "Reconciled", "engaged": "Engaged",
         "married": "Married", "split": "Split", "rumour": "Rumour", "denial": "Rumour denied"}
_W, _H = 640, 420


def _when(e) -> str:
    if e.date is None:
        return "Undated"
    if e.precision == "year":
        return str(e.date.year)
    if e.precision == "month":
        return e.date.strftime("%b %Y")
    return fmt_date(e.date)


def _source_line(e) -> str:
    parts = [_link(e.source.url, e.source.title, "ac-tl-title")]
    parts += [esc(x) for x in (e.source.outlet, fmt_date(e.source.published) or "undated") if x]
    return " · ".join(parts)


def pair_href(a: str, b: str) -> str:
    return f"#pair/{quote(a, safe='')}/{quote(b, safe='')}"


def person_href(name: str) -> str:
    return f"#person/{quote(name, safe='')}"


def render_timeline(t: Timeline | None, compact: bool = False) -> str:
    """A pair's events oldest first, each with its quote and source, and the state they end in."""
    if t is None:
        return ""
    a, b = (esc(p) for p in t.people)
    if not t.events:
        return (f'<section class="ac-timeline" aria-label="Timeline of {a} and {b}"><h2 class="ac-side-title">'
                f"Timeline</h2><p class='ac-hint'>The indexed articles tell no relationship events of {a} and "
                f"{b}.</p></section>")
    as_of = f" as of {esc(fmt_date(t.as_of))}" if t.as_of else ""
    items = []
    for e in (t.events[-6:] if compact else t.events):
        copies = ""
        if e.copies:
            names = ", ".join(esc(c.outlet or c.title) for c in e.copies)
            copies = f'<div class="ac-tl-copies">Also reported by {names}</div>'
        view = f"#view/{e.source.article_id}/{e.start}/{e.end}"
        items.append(
            f'<li class="ac-tl-event ac-kind-{e.kind}"><div class="ac-tl-when">{esc(_when(e))}</div>'
            f'<div class="ac-tl-body"><div class="ac-tl-kind">{esc(KINDS.get(e.kind, e.kind))}</div>'
            f'<blockquote class="ac-tl-quote">“{esc(e.quote)}”</blockquote>'
            f'<div class="ac-tl-src">{_source_line(e)} · <a class="ac-view" href="{view}">Read in article'
            f'<span class="ac-sr">: {esc(e.source.title)}</span></a></div>{copies}</div></li>')
    more = (f'<p class="ac-hint">Latest {len(items)} of {len(t.events)} events · '
            f'<a class="ac-pair" href="{pair_href(*t.people)}">the whole timeline</a></p>') if compact and \
        len(t.events) > len(items) else ""
    return (f'<section class="ac-timeline" aria-label="Timeline of {a} and {b}">'
            f'<h2 class="ac-side-title">Timeline: {a} and {b}</h2>'
            f'<p class="ac-tl-state ac-state-{t.state}">Now{as_of}: <strong>{esc(STATES.get(t.state, t.state))}'
            f"</strong></p><ol class='ac-tl-list'>{''.join(items)}</ol>{more}</section>")


def render_person(name: str, rels: list[Relationship]) -> str:
    """One person's relationships, each a link to its timeline."""
    if not rels:
        return f"<p class='ac-hint'>The indexed articles tell no relationships of {esc(name)}.</p>"
    rows = []
    for r in rels:
        other = r.people[1] if r.people[0].lower() == name.lower() else r.people[0]
        as_of = f" as of {esc(fmt_date(r.as_of))}" if r.as_of else ""
        rows.append(f'<li><a class="ac-pair" href="{pair_href(*r.people)}">{esc(other)}</a> — '
                    f'<span class="ac-state-{r.state}">{esc(STATES.get(r.state, r.state))}</span>{as_of} · '
                    f"{r.articles} article{'s' if r.articles != 1 else ''}</li>")
    return (f'<section class="ac-person-rels" aria-label="Relationships of {esc(name)}">'
            f'<h2 class="ac-side-title">{esc(name)}</h2><ul>{"".join(rows)}</ul></section>')


def render_map(rels: list[Relationship], max_pairs: int = 40) -> str:
    """The friendship map: people as nodes, pairs as edges coloured by current state and as thick as their
    coverage; every edge and node is a link (pair timeline / person's relationships)."""
    rels = [r for r in rels if r.state != "unknown"][:max_pairs]
    if not rels:
        return "<p class='ac-hint'>No relationships yet: add articles that tell of two people together.</p>"
    g = nx.Graph()
    for r in rels:
        g.add_edge(*r.people, rel=r)
    pos = nx.spring_layout(g, seed=7, k=1.6 / math.sqrt(max(1, g.number_of_nodes())))
    xy = {n: (110 + (p[0] + 1) / 2 * (_W - 220), 40 + (p[1] + 1) / 2 * (_H - 80)) for n, p in pos.items()}  # room for names
    top = max(r.articles for r in rels)
    edges, nodes = [], []
    for a, b, data in g.edges(data=True):
        r = data["rel"]
        (x1, y1), (x2, y2) = xy[a], xy[b]
        width = 2 + 6 * r.articles / top
        label = f"{r.people[0]} and {r.people[1]}: {STATES.get(r.state, r.state)}, {r.articles} article(s)"
        edges.append(
            f'<a class="ac-pair ac-edge ac-state-{r.state}" href="{pair_href(*r.people)}" aria-label="{esc(label)}">'
            f"<title>{esc(label)}</title>"
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" class="ac-edge-hit"/>'
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" class="ac-edge-line" '
            f'stroke-width="{width:.1f}"/></a>')
    for n in g.nodes:
        x, y = xy[n]
        nodes.append(
            f'<a class="ac-person ac-node" href="{person_href(n)}" aria-label="{esc(n)}: relationships">'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="7"/><text x="{x:.0f}" y="{y - 12:.0f}">{esc(n)}</text></a>')
    legend = "".join(f'<span class="ac-legend-item ac-state-{k}">{esc(v)}</span>'
                     for k, v in STATES.items() if k != "unknown" and any(r.state == k for r in rels))
    return (f'<figure class="ac-map"><svg viewBox="0 0 {_W} {_H}" role="group" '
            f'aria-label="Friendship map: {len(g.nodes)} people, {len(rels)} pairs">{"".join(edges)}{"".join(nodes)}'
            f"</svg><figcaption>{legend}<span class='ac-hint'> Line width: how many articles tell of the pair. "
            f"Choose a line for its timeline, a name for that person's relationships.</span></figcaption></figure>")
