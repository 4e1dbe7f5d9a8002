"""The askcelebs command line: parsing and printing only; everything else is AskCelebs.

Errors we expect (bad input, busy store, ...) print as one line and exit 1; ASKCELEBS_DEBUG=1 shows tracebacks.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import AskCelebsError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Answer questions about celebrity friendships from news articles, with verbatim quotes.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state: dict = {}


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
        out.print_json(json.dumps([r.to_dict() for r in results]))
    else:
        for r in results:
            style = {"error": "red", "added": "green", "replaced": "yellow"}.get(r.status, "")
            out.print(str(r), style=style, markup=False)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """List indexed articles."""
    articles = bot().articles()
    if as_json:
        rows = [{k: a.to_dict()[k] for k in ("article_id", "title", "source", "url", "published", "chunks")}
                for a in articles]
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "title", "published", "chunks", "source", box=None, header_style="bold")
    for a in articles:
        table.add_row(a.article_id, a.title, a.published.isoformat() if a.published else "", str(a.chunks), a.source)
    out.print(table)
    out.print(f"{len(articles)} article(s)")


@app.command()
def remove(article: str = typer.Argument(..., help="Article id (or a unique prefix) or its source path/URL.")) -> None:
    """Remove an article from the index."""
    rec = bot().remove(article)
    out.print(f"removed {rec.article_id} {rec.title!r}", markup=False)


@app.command()
def rebuild() -> None:
    """Re-embed every stored article with the current embedding model and chunk settings."""
    with progress_bar() as update:
        n = bot(check_model=False).rebuild(progress=update)
    out.print(f"rebuilt {n} article(s) with {bot().embedder.name}", markup=False)


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show what the index holds."""
    data = bot().stats()
    if as_json:
        out.print_json(json.dumps(data))
        return
    for k, v in data.items():
        out.print(f"{k:<18} {v}", markup=False)


def _print_answer(answer, with_text: bool = True) -> None:
    if with_text:
        out.print(answer.text, markup=False)
    if answer.notice:
        err.print(f"note: {answer.notice}", markup=False)
    for c in answer.citations:
        date = c.published.isoformat() if c.published else "undated"
        out.print(f"\n[{c.n}] “{c.quote}”", markup=False)
        out.print(f"    {c.title} · {date} · {c.url or c.source} · chars {c.start}-{c.end}", style="dim", markup=False)


@app.command()
def ask(question: str = typer.Argument(..., help="Your question."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON.")) -> None:
    """Ask one question."""
    if as_json:
        out.print_json(json.dumps(bot().ask(question).to_dict()))
        return
    answer = None
    for piece in bot().stream(question):
        if isinstance(piece, str):
            out.print(piece, end="", markup=False)
        else:
            answer = piece
    out.print()
    if answer is not None:
        _print_answer(answer, with_text=False)


@app.command()
def chat() -> None:
    """Interactive chat that keeps the conversation (empty line or Ctrl-D to quit)."""
    b = bot()
    history: list[dict] = []
    out.print("Ask about celebrity friendships in the indexed articles. Empty line to quit.", style="dim")
    for q in b.example_questions(3):
        out.print(f"  e.g. {q}", style="dim", markup=False)
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
            err.print(f"error: {exc}", markup=False)
            continue
        if answer.question != question:
            out.print(f"(answering: {answer.question})", style="dim", markup=False)
        _print_answer(answer)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


@app.command("eval")
def eval_(bbc: Optional[Path] = typer.Option(None, help="Path to bbc-news.csv (default: ../shared/corpora/bbc-news.csv or ASKCELEBS_BBC_CSV)."),
          baseline: bool = typer.Option(True, help="Also run the plain LangChain pipeline for comparison."),
          as_json: bool = typer.Option(False, "--json"),
          verbose: bool = typer.Option(False, "--show", help="Print every question with its answer."),
          questions: str = typer.Option("main", help="Question set: realistic-dev, realistic-blind (shipped, no BBC CSV needed), or main, heldout, heldout2 (BBC CSV), or a path to a .jsonl file.")) -> None:
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
        out.print_json(json.dumps(report))
    else:
        out.print(evaluation.format_report(report), markup=False)


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Bind address (default 127.0.0.1 / ASKCELEBS_HOST)."),
          port: Optional[int] = typer.Option(None, help="Port (default 7860 / ASKCELEBS_PORT)."),
          index_documents: bool = typer.Option(False, "--index-documents", help="Add new or changed files in documents/ first.")) -> None:
    """Serve the web chat."""
    from .ui import serve as serve_ui

    b = bot()
    if index_documents:
        docs = b.settings.documents
        if Path(docs).is_dir():
            with progress_bar() as update:
                results = b.add(str(docs), progress=update)
            changed = [r for r in results if r.status != "unchanged"]
            for r in changed:
                out.print(str(r), markup=False)
            out.print(f"documents/: {len(results) - len(changed)} unchanged, {len(changed)} new or changed", markup=False)
    serve_ui(b, host=host, port=port)


def main() -> None:
    debug = os.environ.get("ASKCELEBS_DEBUG", "").lower() in ("1", "true", "yes")
    try:
        code = app(standalone_mode=False)
    except AskCelebsError as exc:
        if debug:
            raise
        err.print(f"error: {exc}", markup=False)
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
