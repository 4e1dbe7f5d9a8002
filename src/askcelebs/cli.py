"""The askcelebs command line: parsing and printing only; everything else is AskCelebs.

Errors we expect (bad input, busy store, ...) print as one line and exit 1; ASKCELEBS_DEBUG=1 shows tracebacks.
User text (titles, file names, quotes) prints literally: no rich markup or :emoji: codes, and control or bidi
characters shown as escapes, so a file name with a newline cannot forge an output line.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .errors import AskCelebsError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Answer questions about celebrity friendships from news articles, with verbatim quotes.")
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
_state: dict = {}
_JOINERS = ("\u200c", "\u200d")  # inside emoji and some scripts; they cannot move or forge text


def literal(value: object, newlines: bool = False) -> str:
    """`value` as printable text: control, format and line-separator characters as \\x.. / \\u.... escapes."""
    text = str(value)
    return "".join(c if (c == "\n" and newlines) or c in _JOINERS
                   or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
                   else c.encode("unicode_escape").decode("ascii") for c in text)


def print_json(data: object) -> None:
    out.print_json(json.dumps(data), ensure_ascii=True)


@app.callback()
def _main(store: Optional[Path] = typer.Option(None, "--store", help="Store directory (default: ASKCELEBS_STORE or ./vectorstore)."),
          chroma_url: Optional[str] = typer.Option(None, "--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _state.update(store=store, chroma_url=chroma_url)


def bot(**kwargs):
    from .app import AskCelebs

    if "bot" not in _state:
        _state["bot"] = AskCelebs(store=_state.get("store"), chroma_url=_state.get("chroma_url"), **kwargs)
    return _state["bot"]


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A rich progress bar fed by AskCelebs' (what, done, total) callbacks; silent when not a terminal."""
    if not enabled or not err.is_terminal:
        yield None
        return
    labels = {"read": "reading", "embed": "embedding sentences", "write": "writing"}
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(labels.get(what, what), total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield update


@app.command()
def add(inputs: List[str] = typer.Argument(..., help="Files, folders (recursive) or http(s) URLs."),
        title: Optional[str] = typer.Option(None, help="Title (one input only)."),
        url: Optional[str] = typer.Option(None, help="Original URL (one input only)."),
        published: Optional[str] = typer.Option(None, help="Publication date YYYY-MM-DD (one input only)."),
        author: Optional[str] = typer.Option(None, help="Author (one input only)."),
        outlet: Optional[str] = typer.Option(None, help="Outlet/publication (one input only)."),
        force: bool = typer.Option(False, "--force", help="Add near-duplicates anyway."),
        as_json: bool = typer.Option(False, "--json", help="Print results as JSON.")) -> None:
    """Add articles to the index; prints one line per input and exits 1 if any failed."""
    with progress_bar(not as_json) as update:
        results = bot().add(*inputs, title=title, url=url, published=published, author=author, outlet=outlet,
                            force=force, progress=update)
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        for r in results:
            style = {"error": "red", "added": "green", "replaced": "yellow"}.get(r.status, "")
            out.print(literal(r), style=style)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """List indexed articles."""
    articles = bot().articles()
    if as_json:
        rows = [{k: a.to_dict()[k] for k in ("article_id", "title", "source", "url", "published", "chunks")}
                for a in articles]
        print_json(rows)
        return
    table = Table("id", "title", "published", "chunks", "source", box=None, header_style="bold")
    for a in articles:
        table.add_row(a.article_id, Text(literal(a.title)), a.published.isoformat() if a.published else "",
                      str(a.chunks), Text(literal(a.source)))
    out.print(table)
    out.print(f"{len(articles)} article(s)")


@app.command()
def remove(article: str = typer.Argument(..., help="Article id (or a unique prefix) or its source path/URL.")) -> None:
    """Remove an article from the index."""
    rec = bot().remove(article)
    out.print(literal(f"removed {rec.article_id} {rec.title!r}"))


@app.command()
def rebuild() -> None:
    """Re-embed every stored article with the current embedding model and chunk settings."""
    with progress_bar() as update:
        n = bot(check_model=False).rebuild(progress=update)
    out.print(literal(f"rebuilt {n} article(s) with {bot().embedder.name}"))


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show what the index holds."""
    data = bot().stats()
    if as_json:
        print_json(data)
        return
    for k, v in data.items():
        out.print(literal(f"{k:<18} {v}"))


def _print_answer(answer, with_text: bool = True) -> None:
    if with_text:
        out.print(literal(answer.text, newlines=True))
    if answer.notice:
        err.print(literal(f"note: {answer.notice}"))
    for c in answer.citations:
        date = c.published.isoformat() if c.published else "undated"
        out.print(f"\n[{c.n}] “{literal(c.quote)}”")
        out.print(literal(f"    {c.title} · {date} · {c.url or c.source} · chars {c.start}-{c.end}"), style="dim")


@app.command()
def ask(question: str = typer.Argument(..., help="Your question."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON.")) -> None:
    """Ask one question."""
    if as_json:
        print_json(bot().ask(question).to_dict())
        return
    answer, printed = None, ""
    for piece in bot().stream(question):
        if isinstance(piece, str):
            out.print(literal(piece, newlines=True), end="")
            printed += piece
        else:
            answer = piece  # with a language model: the extractive answer first, the model's last
    out.print()
    if answer is not None:
        _print_answer(answer, with_text=answer.text != printed)


@app.command()
def timeline(person_a: str = typer.Argument(..., help="One person, e.g. \"Priya Anand\"."),
             person_b: str = typer.Argument(..., help="The other person."),
             as_json: bool = typer.Option(False, "--json", help="Print the timeline as JSON.")) -> None:
    """A pair's relationship over time: dated events with their quotes, oldest first, and the current state."""
    t = bot().timeline(person_a, person_b)
    if as_json:
        out.print_json(json.dumps(t.to_dict()))
        return
    if not t.events:
        out.print(f"The indexed articles tell no relationship events of {t.people[0]} and {t.people[1]}.", markup=False)
        return
    out.print(f"{t.people[0]} and {t.people[1]}", style="bold", markup=False)
    for e in t.events:
        when = e.date.isoformat()[:{"year": 4, "month": 7}.get(e.precision, 10)] if e.date else "undated"
        copies = f" (+{len(e.copies)} syndicated cop{'y' if len(e.copies) == 1 else 'ies'})" if e.copies else ""
        out.print(f"\n{when:<10} {e.kind.replace('_', ' ')}", style="bold", markup=False)
        out.print(f"    “{e.quote}”", markup=False)
        out.print(f"    {e.source.title} · {e.source.outlet or e.source.url or ''} · "
                  f"{e.source.published or 'undated'}{copies}", style="dim", markup=False)
    as_of = f"as of {t.as_of.isoformat()}: " if t.as_of else ""
    out.print(f"\nNow: {as_of}{t.state.replace('_', ' ')}", style="bold", markup=False)


@app.command()
def people(person: Optional[str] = typer.Argument(None, help="Only this person's relationships."),
           as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """Everyone the articles tell a relationship of, pair by pair, with the current state."""
    rels = bot().relationships(person)
    if as_json:
        out.print_json(json.dumps([r.to_dict() for r in rels]))
        return
    for r in rels:
        as_of = r.as_of.isoformat() if r.as_of else "undated"
        out.print(f"{r.people[0]} & {r.people[1]:<28} {r.state.replace('_', ' '):<17} as of {as_of} · "
                  f"{r.articles} article(s)", markup=False)


@app.command()
def chat() -> None:
    """Interactive chat that keeps the conversation (empty line or Ctrl-D to quit)."""
    b = bot()
    history: list[dict] = []
    out.print("Ask about celebrity friendships in the indexed articles. Empty line to quit.", style="dim")
    for q in b.example_questions(3):
        out.print(literal(f"  e.g. {q}"), style="dim")
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            answer = b.ask(question, history=history)
        except AskCelebsError as exc:
            err.print(literal(f"error: {exc}"))
            continue
        if answer.question != question:
            out.print(literal(f"(answering: {answer.question})"), style="dim")
        _print_answer(answer)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


@app.command("eval")
def eval_(bbc: Optional[Path] = typer.Option(None, help="Path to bbc-news.csv (default: ../shared/corpora/bbc-news.csv or ASKCELEBS_BBC_CSV)."),
          baseline: bool = typer.Option(True, help="Also run the plain LangChain pipeline for comparison."),
          as_json: bool = typer.Option(False, "--json"),
          verbose: bool = typer.Option(False, "--show", help="Print every question with its answer."),
          questions: str = typer.Option("main", help="Question set: realistic-dev, realistic-blind, realistic2-dev|blind, realistic3-dev|blind (shipped, no BBC CSV needed), or main, heldout, heldout2 (BBC CSV), or a path to a .jsonl file.")) -> None:
    """Run an evaluation set and print quality and latency figures."""
    if questions.startswith("realistic"):
        from . import realistic_eval as evaluation

        if questions not in evaluation.SETS:
            raise typer.BadParameter(f"{questions!r}: use one of {', '.join(evaluation.SETS)}", param_hint="--questions")
        report = evaluation.run(questions, baseline=baseline, show=verbose)
    else:
        from . import evaluation

        report = evaluation.run_eval(bbc_csv=bbc, baseline=baseline, show=verbose, questions=questions)
    if as_json:
        print_json(report)
    else:
        out.print(literal(evaluation.format_report(report), newlines=True))


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Bind address (default 127.0.0.1 / ASKCELEBS_HOST)."),
          port: Optional[int] = typer.Option(None, help="Port (default 7860 / ASKCELEBS_PORT)."),
          index_documents: bool = typer.Option(False, "--index-documents", help="Add new or changed files in documents/ first.")) -> None:
    """Serve the web chat."""
    from .ui import serve as serve_ui

    b = bot()
    b.hold_store()  # another process on this embedded store would break the server's index
    if index_documents:
        docs = b.settings.documents
        if Path(docs).is_dir():
            with progress_bar() as update:
                results = b.add(str(docs), progress=update)
            changed = [r for r in results if r.status != "unchanged"]
            for r in changed:
                out.print(literal(r))
            out.print(f"documents/: {len(results) - len(changed)} unchanged, {len(changed)} new or changed")
    serve_ui(b, host=host, port=port)


def _settings():
    from .config import Settings

    values = {k: v for k, v in (("store", _state.get("store")), ("chroma_url", _state.get("chroma_url"))) if v}
    return Settings(**values)


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Check the store (database file, sqlite integrity, records against passages, vector search) and say what to do."""
    from .doctor import examine

    report = examine(_settings())
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
    else:
        out.print(f"store {report.location}", markup=False)
        for c in report.checks:
            out.print(f"{c.status:<5} {c.name:<17} {c.detail}", markup=False,
                      style={"fail": "red", "warn": "yellow"}.get(c.status, ""))
        for line in report.advice:
            out.print(f"\n{line}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def export(path: Path = typer.Argument(..., help="The JSON Lines file to write (one article per line).")) -> None:
    """Write every article (text and metadata) to a JSON Lines file; reads what it can from a damaged store."""
    from .transfer import export_articles

    result = export_articles(_settings(), path)
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    extra = f", {result.unreadable} unreadable record(s) skipped" if result.unreadable else ""
    out.print(f"exported {result.written} article(s) to {result.path}{extra}", markup=False)


@app.command("import")
def import_(path: Path = typer.Argument(..., help="A file written by `askcelebs export`."),
            as_json: bool = typer.Option(False, "--json", help="Print results as JSON.")) -> None:
    """Add the articles of an export file (re-embedded with the current model); exits 1 if any line failed."""
    from .transfer import import_articles

    with progress_bar(not as_json) as update:
        results = import_articles(bot(), path, progress=update)
    if as_json:
        out.print_json(json.dumps([r.to_dict() for r in results]))
    else:
        for r in results:
            out.print(str(r), style={"error": "red", "added": "green"}.get(r.status, ""), markup=False)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


def main() -> None:
    debug = os.environ.get("ASKCELEBS_DEBUG", "").lower() in ("1", "true", "yes")
    try:
        code = app(standalone_mode=False)
    except AskCelebsError as exc:
        if debug:
            raise
        err.print(literal(f"error: {exc}"))
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
