"""The store under faults (issue 10, items 3, 6, 8, 9 and 11's orphan folders): a rebuild SIGKILLed at any moment
never shows less than the store held and resumes without losing what was added meanwhile; a running server owns
its embedded store; a vanished, truncated or bit-flipped database is said to be so (never an empty library, never
a Rust abort), `askcelebs doctor` finds what is wrong and `export` / `import` salvage what is readable; a full
disk is "disk full at <path>" and loses nothing."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from askcelebs import AskCelebs
from askcelebs.errors import DiskFullError
from askcelebs.index.generations import existing, orphan_dirs
from tests.conftest import SEED
from tests.helpers.corpus import news_texts, write_news_folder
from tests.helpers.ingest_support import (ASKCELEBS, PAIR_QUESTION, PAIR_TEXT, assert_no_traceback, env, run_cli,
                                         wait_for_port)

PAIR_TITLE = "Vantree and Holloway"


def _complete(bot: AskCelebs) -> list:
    """Every visible article is whole (all its chunks and sentences, each exactly its offsets); counts are exact."""
    listed = bot.articles()
    assert len({a.source for a in listed}) == len(listed), "an article is listed twice"
    for a in listed:
        text = bot.article(a.article_id).text
        for coll, expected in ((bot.store.chunks, a.chunks), (bot.store.sentences, a.sentences)):
            got = coll.get(where={"article_id": a.article_id}, include=["documents", "metadatas"])
            assert len(got["ids"]) == expected > 0, f"{a.source}: {len(got['ids'])} stored, {expected} expected"
            for doc, m in zip(got["documents"], got["metadatas"]):
                assert doc == text[m["start"]:m["end"]]
    assert bot.store.count() == {"article_records": len(listed), "chunks": sum(a.chunks for a in listed),
                                 "sentences": sum(a.sentences for a in listed)}
    return listed


def _one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert_no_traceback(proc)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _listed(store: Path) -> tuple[list[dict], str]:
    proc = run_cli(store, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _only_current_generation(bot: AskCelebs) -> None:
    gens = existing(bot.store.client)
    assert list(gens) == [bot.store.generation], gens
    assert orphan_dirs(Path(bot.settings.store)) == []


# --- item 3: an interrupted rebuild loses nothing ------------------------------------------------------------


@pytest.mark.slow
def test_rebuild_killed_at_random_moments_then_add_then_resume_loses_nothing(tmp_path, embedder):
    texts = news_texts(n=24)
    folder = tmp_path / "bbc"
    files = write_news_folder(folder, texts[:16])
    extra = write_news_folder(tmp_path / "later", texts[16:])  # added one by one between the kills
    store = tmp_path / "store"
    assert run_cli(store, "add", str(folder)).returncode == 0

    t0 = time.monotonic()
    timing = tmp_path / "timing-store"
    shutil.copytree(store, timing)
    assert run_cli(timing, "rebuild", timeout=300).returncode == 0
    t_full = time.monotonic() - t0

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    n_kills = len(extra)
    delays = [rng.uniform(t_full * (0.15 + 0.8 * i / n_kills), t_full * (0.15 + 0.8 * (i + 1) / n_kills))
              for i in range(n_kills)]
    expected = {str(p.resolve()) for p in files}
    report, killed = [f"seed={seed} t_full={t_full:.1f}s"], 0
    for run, (delay, new) in enumerate(zip(delays, extra)):
        proc = subprocess.Popen([str(ASKCELEBS), "--store", str(store), "rebuild"], env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=120)
        killed += proc.returncode == -signal.SIGKILL
        rows, stderr = _listed(store)
        report.append(f"run {run}: {'SIGKILL' if proc.returncode == -signal.SIGKILL else 'finished'} at "
                      f"{delay:.1f}s -> {len(rows)} listed")
        assert {r["source"] for r in rows} == expected, "\n".join(report)  # never less than it held
        if proc.returncode == -signal.SIGKILL and "rebuild" in stderr:
            assert "askcelebs rebuild" in stderr  # the notice says what to do
        added = run_cli(store, "add", str(new))
        assert added.returncode == 0 and "added" in added.stdout, added.stdout + added.stderr
        expected.add(str(new.resolve()))

    done = run_cli(store, "rebuild", timeout=300)
    assert done.returncode == 0, done.stderr
    bot = AskCelebs(store=store, embedder=embedder)
    listed = _complete(bot)
    assert {a.source for a in listed} == expected and len(listed) == 24, "\n".join(report)
    assert bot.store.rebuild_state is None
    _only_current_generation(bot)
    print("\n".join(report))
    assert killed >= 3, "\n".join(report)


def test_rebuild_switches_generations_and_sweeps_old_collections_and_hnsw_folders(make_bot, tmp_path):
    bot = make_bot()
    bot.add(str(SEED))
    bot.add_text(PAIR_TEXT, PAIR_TITLE)
    before = {a.article_id: a.to_dict() for a in bot.articles()}
    assert bot.rebuild() == 2
    assert bot.store.generation == 1
    assert bot.rebuild() == 2
    assert bot.store.generation == 2
    _only_current_generation(bot)
    assert {a.article_id: a.to_dict() for a in _complete(bot)}.keys() == before.keys()
    assert bot.ask(PAIR_QUESTION).citations

    # what a rebuild killed after its switch leaves: an old generation's collections and HNSW folders
    store = tmp_path / "store"
    old = bot.store.client.get_or_create_collection("askcelebs_chunks_g1", embedding_function=None)
    old.add(ids=["x"], embeddings=[[0.1] * bot.embedder.dim])
    stray = store / "0b5d9a6e-3d2f-4d1c-9a51-2f1f3e5b7c11"
    shutil.copytree(next(p for p in store.iterdir() if p.is_dir() and len(p.name) == 36), stray)
    reopened = make_bot()
    _only_current_generation(reopened)
    assert not stray.exists()
    assert {a.article_id for a in reopened.articles()} == set(before)


def test_a_rebuild_refused_midway_leaves_the_current_index_in_use(make_bot, monkeypatch):
    """A rebuild that cannot finish (here: one article fails to re-add) does not switch: same articles, same
    answers, the notice says a rebuild is pending, and the next rebuild completes it."""
    from askcelebs import ingest

    bot = make_bot()
    bot.add(str(SEED))
    bot.add_text(PAIR_TEXT, PAIR_TITLE)
    before = {a.article_id for a in bot.articles()}
    real = ingest.Ingestor.write

    def fail_after_first(self, batch, progress=None, results=None):
        real(self, batch[:1], progress, results)
        raise OSError("simulated crash in the middle of the rebuild")

    monkeypatch.setattr(ingest.Ingestor, "write", fail_after_first)
    with pytest.raises(OSError):
        bot.rebuild()
    monkeypatch.setattr(ingest.Ingestor, "write", real)
    again = make_bot()
    assert again.store.rebuild_state is not None and again.store.generation == 0
    assert {a.article_id for a in again.articles()} == before
    assert again.ask(PAIR_QUESTION).citations
    assert again.rebuild() == 1  # the article already built is kept
    assert {a.article_id for a in _complete(again)} == before
    _only_current_generation(again)


def test_an_unreadable_rebuild_backup_does_not_block_rebuild(make_bot, tmp_path):
    bot = make_bot()
    bot.add(str(SEED))
    store = tmp_path / "store"
    (store / "rebuild-backup.json").write_text('[{"article_id": "abc", "tit', "utf-8")  # cut off mid-write
    assert bot.rebuild() == 1
    assert not (store / "rebuild-backup.json").exists()
    assert list(store.glob("rebuild-backup.json.unreadable-*"))
    assert len(_complete(bot)) == 1


def test_a_legacy_rebuild_backup_restores_the_articles_an_old_rebuild_dropped(make_bot, tmp_path):
    bot = make_bot()
    bot.add(str(SEED))
    lost = {"article_id": "0123456789abcdef", "title": PAIR_TITLE, "source": "pasted:lost", "text": PAIR_TEXT,
            "url": "https://example.com/vh", "published": "2021-06-14", "author": None, "outlet": None,
            "added_at": "2024-01-01T00:00:00+00:00"}
    (tmp_path / "store" / "rebuild-backup.json").write_text(json.dumps([lost]), "utf-8")
    assert bot.rebuild() == 2
    titles = {a.title: a for a in _complete(bot)}
    assert titles[PAIR_TITLE].published.isoformat() == "2021-06-14"


# --- item 6: a running server owns its embedded store --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cli_is_refused_while_serve_has_the_store_open_and_the_server_keeps_answering(tmp_path):
    from gradio_client import Client

    store = tmp_path / "store"
    assert run_cli(store, "add", str(SEED)).returncode == 0
    new = tmp_path / "pair.txt"
    new.write_text(PAIR_TEXT, "utf-8")
    port = _free_port()
    server = subprocess.Popen([str(ASKCELEBS), "--store", str(store), "serve", "--port", str(port)], env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_port(server, port)

        line = _one_line_error(run_cli(store, "add", str(new)), "running server", f"pid {server.pid}",
                               "add through it")
        assert str(store.resolve()) in line
        _one_line_error(run_cli(store, "remove", "whatever"), "running server")
        _one_line_error(run_cli(store, "list"), "running server")

        client = Client(url, verbose=False)
        added = client.predict(PAIR_TEXT, PAIR_TITLE, "", "", api_name="/add_text")
        assert added["status"] == "added"
        out = client.predict(PAIR_QUESTION, [], api_name="/ask")
        assert not out["abstained"] and any(c["article_id"] == added["article_id"] for c in out["citations"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    rows, _ = _listed(store)  # the server is gone: the store opens again, with what was added through it
    assert len(rows) == 2
    assert run_cli(store, "add", str(new)).returncode == 0


def test_a_second_server_on_the_same_store_is_refused(tmp_path, embedder):
    from askcelebs.index.storelock import release

    store = tmp_path / "store"
    bot = AskCelebs(store=store, embedder=embedder)
    bot.hold_store()
    try:
        holder = run_cli(store, "list")
        _one_line_error(holder, "running server", f"pid {os.getpid()}")
        assert AskCelebs(store=store, embedder=embedder).articles() == []  # this process's own opens work
    finally:
        release(store)
    assert run_cli(store, "list").returncode == 0


# --- item 8: damaged stores ----------------------------------------------------------------------------------


def _seeded_store(tmp_path: Path, embedder, n: int = 8) -> tuple[Path, list[str]]:
    store = tmp_path / "store"
    bot = AskCelebs(store=store, embedder=embedder)
    bot.add(str(SEED))
    bot.add_text(PAIR_TEXT, PAIR_TITLE, url="https://example.com/vh", published="2021-06-14")
    if n > 2:
        folder = tmp_path / "bbc"
        write_news_folder(folder, news_texts(n=n - 2))
        bot.add(str(folder))
    ids = sorted(a.article_id for a in bot.articles())
    assert len(ids) == n
    return store, ids


@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_a_vanished_database_is_reported_not_shown_as_an_empty_library(tmp_path, embedder, damage):
    store, _ = _seeded_store(tmp_path, embedder, n=2)
    db = store / "chroma.sqlite3"
    db.unlink() if damage == "missing" else db.write_bytes(b"")
    for cmd in (["list"], ["add", str(SEED)], ["rebuild"]):
        _one_line_error(run_cli(store, *cmd), "vanished", str(db.resolve()), "askcelebs import")
    assert db.exists() == (damage == "empty") and (not db.exists() or db.stat().st_size == 0), "nothing created"
    doctor = run_cli(store, "doctor")
    assert doctor.returncode == 1 and "vanished" in doctor.stdout


def _flip(db: Path, lo: float, hi: float, every: int = 7) -> int:
    """Flip the first byte (the b-tree page type) of every `every`-th page between lo and hi of the file."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    pages = range(int(len(data) * lo) // page, int(len(data) * hi) // page, every)
    for k in pages:
        data[k * page] ^= 0xFF
    db.write_bytes(bytes(data))
    return len(pages)


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_damaged_database_is_one_clear_error_and_doctor_export_import_salvage_it(tmp_path, embedder, damage):
    store, ids = _seeded_store(tmp_path, embedder)
    db = store / "chroma.sqlite3"
    if damage == "flipped":
        assert _flip(db, 0.5, 0.95) >= 3
    else:
        with db.open("r+b") as fh:
            fh.truncate(db.stat().st_size // 2)
    for cmd in (["list"], ["ask", PAIR_QUESTION], ["rebuild"], ["add", str(SEED)]):
        proc = run_cli(store, *cmd)
        assert proc.returncode != -signal.SIGABRT, "Chroma aborted the process"
        _one_line_error(proc, "damaged", "doctor", "export")

    doctor = run_cli(store, "doctor")
    assert doctor.returncode == 1 and "fail  sqlite integrity" in doctor.stdout, doctor.stdout
    assert "export" in doctor.stdout and "import" in doctor.stdout

    out = tmp_path / "salvage.jsonl"
    exported = run_cli(store, "export", str(out))
    assert_no_traceback(exported)
    if damage == "truncated" and exported.returncode == 1:  # nothing of the article table survived: said so
        assert "nothing is readable" in exported.stderr
        return
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert rows and {r["article_id"] for r in rows} <= set(ids)
    imported = run_cli(tmp_path / "new-store", "import", str(out), timeout=300)
    assert imported.returncode in (0, 1), imported.stderr
    fresh = AskCelebs(store=tmp_path / "new-store", embedder=embedder)
    intact = [r for r in rows if "\ufffd" not in r["text"]]
    assert {a.article_id for a in _complete(fresh)} >= {r["article_id"] for r in intact}
    print(f"{damage}: exported {len(rows)} of {len(ids)} articles, {len(intact)} intact")


def test_doctor_passes_a_healthy_store_and_finds_orphans_and_count_mismatches(make_bot, tmp_path):
    bot = make_bot()
    bot.add(str(SEED))
    res = bot.add_text(PAIR_TEXT, PAIR_TITLE)
    store = tmp_path / "store"
    healthy = run_cli(store, "doctor", "--json")
    report = json.loads(healthy.stdout)
    assert healthy.returncode == 0 and report["ok"], report
    assert {c["name"] for c in report["checks"]} >= {"sqlite integrity", "passages", "orphans", "vector index"}

    bot.store.articles.delete(ids=[res.article_id])  # its chunks and sentences now belong to no article
    seed_id = next(a.article_id for a in bot.store.records())
    bot.store.chunks.delete(ids=[f"{seed_id}:0"])  # and the seed has one chunk fewer than its record says
    sick = run_cli(store, "doctor")
    assert sick.returncode == 1
    assert "fail  orphans" in sick.stdout and "fail  passages" in sick.stdout and "askcelebs rebuild" in sick.stdout
    assert bot.rebuild() == 1
    assert run_cli(store, "doctor").returncode == 0


def test_export_then_import_round_trips_every_article_with_its_metadata(make_bot, tmp_path):
    bot = make_bot()
    bot.add(str(SEED))
    bot.add_text(PAIR_TEXT, PAIR_TITLE, url="https://example.com/vh", published="2021-06-14", author="J. Penrose")
    out = tmp_path / "all.jsonl"
    proc = run_cli(tmp_path / "store", "export", str(out))
    assert proc.returncode == 0 and "exported 2 article(s)" in proc.stdout, proc.stderr
    out.write_text(out.read_text("utf-8") + "{not json\n", "utf-8")
    copy = make_bot("copy")
    from askcelebs.transfer import import_articles

    results = import_articles(copy, out)
    assert [r.status for r in results] == ["error", "added", "added"]
    assert "all.jsonl:3" in results[0].input
    old = {a.article_id: a.to_dict() for a in bot.articles()}
    new = {a.article_id: a.to_dict() for a in copy.articles()}
    assert old.keys() == new.keys()
    for aid in old:
        for key in ("title", "source", "url", "published", "author", "outlet", "added_at"):
            assert new[aid][key] == old[aid][key], key
        assert copy.article(aid).text == bot.article(aid).text
    assert copy.ask(PAIR_QUESTION).citations


# --- item 9: a full disk -------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs: a real filesystem that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def test_a_full_disk_is_said_plainly_and_loses_nothing(small_disk, embedder, tmp_path):
    store = small_disk / "store"
    bot = AskCelebs(store=store, embedder=embedder)
    assert bot.add(str(SEED))[0].status == "added"
    big = tmp_path / "big.txt"
    big.write_text(PAIR_TEXT + "\n\n" + "\n\n".join(news_texts(n=30)), "utf-8")
    filler = _fill(small_disk, leave=3 * 2**20)

    with pytest.raises(DiskFullError, match=f"disk full at {store.resolve()}"):
        bot.add(str(big))
    with pytest.raises(DiskFullError, match="rebuild"):
        bot.rebuild()
    proc = run_cli(store, "rebuild")
    _one_line_error(proc, "disk full at", str(store.resolve()))
    assert [a.title for a in AskCelebs(store=store, embedder=embedder).articles()] == [bot.articles()[0].title]

    # the disk really full: what sqlite/Chroma raise in the middle of a write is mapped. Done in a child process:
    # after ENOSPC Chroma's embedded client in that process stays wedged (a new process is fine).
    with (small_disk / "filler2").open("wb") as fh:
        try:
            fh.write(b"\0" * shutil.disk_usage(small_disk).free)
        except OSError:
            pass
    del bot
    child = subprocess.run([sys.executable, "-c", FILL_SCRIPT, str(store)], capture_output=True, text=True,
                           env=env(), timeout=300)
    assert "DiskFullError: disk full at " + str(store.resolve()) in child.stdout, child.stdout + child.stderr
    (small_disk / "filler2").unlink()
    filler.unlink()
    rows, _ = _listed(store)
    assert len(rows) == 1, rows
    assert run_cli(store, "add", str(big), timeout=300).returncode == 0
    assert len(_listed(store)[0]) == 2
    assert run_cli(store, "doctor").returncode == 0


FILL_SCRIPT = """
import sys
from askcelebs import AskCelebs
from askcelebs.errors import AskCelebsError
try:
    bot = AskCelebs(store=sys.argv[1])  # opening writes too: it may be the write that fails
    for i in range(500):
        bot.store.touch()
    print("no error")
except AskCelebsError as exc:
    print(type(exc).__name__ + ": " + str(exc))
"""
