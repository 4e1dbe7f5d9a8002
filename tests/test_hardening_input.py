"""Hostile input, as an attacker or a clumsy user would send it: each test is one promise, and each bad input leaves
what is already indexed untouched (the seeded store's `Baseline`). The inputs are in tests/data/hostile/."""

from __future__ import annotations

import datetime as dt
import io
import socket
import time
import tracemalloc
from pathlib import Path

import pytest

from askcelebs import articles
from tests.helpers.ingest_support import (PAIR_PARAGRAPHS, PAIR_TEXT, PAIR_TITLE, LocalServer, article_html,
                                          assert_no_traceback, make_pdf, respond, run_cli)
from tests.test_bad_input import Baseline, _seed_store

HOSTILE = Path(__file__).parent / "data" / "hostile"
PAGE = article_html(PAIR_TITLE, PAIR_PARAGRAPHS).encode()
SECRET = article_html("Internal admin page", ["The internal secret token is hunter2 and only staff may read it."] * 30).encode()


def _redirect(location: str):
    return respond(302, b"", headers={"Location": location})


@pytest.fixture
def seeded(make_bot):
    return _seed_store(make_bot)


@pytest.fixture
def fake_dns(monkeypatch):
    """Names that only these tests know, answered by the real resolver's interface; counts the lookups."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    calls: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            calls[host] = calls.get(host, 0) + 1
            ip = answers[host][min(calls[host], len(answers[host])) - 1]
            return real(ip, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, calls


# --- SSRF --------------------------------------------------------------------------------------------------------

INTERNAL = [  # (URL host part, the address it really is)
    ("127.0.0.1", "127.0.0.1"), ("localhost", "127.0.0.1"), ("[::1]", "::1"), ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("0", "0.0.0.0"),
    ("[::ffff:127.0.0.1]", "(127.0.0.1)"), ("[::ffff:7f00:1]", "(127.0.0.1)"), ("[::]", "::"),
    ("169.254.169.254", "169.254.169.254"), ("10.0.0.1", "10.0.0.1"), ("172.16.5.4", "172.16.5.4"),
    ("192.168.1.1", "192.168.1.1"), ("100.64.0.1", "100.64.0.1"), ("[fd00::1]", "fd00::1"), ("[fe80::1]", "fe80::1"),
    ("224.0.0.1", "224.0.0.1"), ("[ff02::1]", "ff02::1"), ("240.0.0.1", "240.0.0.1"),
    ("255.255.255.255", "255.255.255.255"), ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1 (127.0.0.1)"), ("[2002:7f00:1::]", "2002:7f00:1:: (127.0.0.1)"),
    ("intranet.test", "10.20.30.40"),
]


def test_every_internal_address_form_is_refused_by_default_without_connecting(seeded, fake_dns):
    bot, baseline = seeded
    fake_dns[0]["intranet.test"] = ["10.20.30.40"]
    with LocalServer({"/": respond(200, SECRET)}) as local:  # something really listens on loopback
        port = local.server.server_address[1]
        urls = {f"http://{host}:{port}/": ip for host, ip in INTERNAL}
        results = bot.add(*urls)
    assert local.hits == [], "a refused URL was connected to"
    assert [r.status for r in results] == ["error"] * len(urls)
    for r in results:
        ip = urls[r.input]
        assert ip in r.detail and "address: refused" in r.detail, r
        assert "ASKCELEBS_URL_ALLOW_PRIVATE" in r.detail and "ASKCELEBS_URL_ALLOW" in r.detail, r
        assert r.input in str(r) and "\n" not in str(r)
    assert "hunter2" not in " ".join(a.title for a in bot.articles())
    baseline.check()


def test_an_address_form_httpx_cannot_parse_is_a_clear_error(seeded):
    bot, baseline = seeded
    r, = bot.add("http://0177.0.0.1/")
    assert r.status == "error" and "is not a valid URL" in r.detail
    baseline.check()


def test_intranet_setting_admits_loopback_and_private_but_not_link_local(make_bot, monkeypatch):
    monkeypatch.setenv("ASKCELEBS_URL_ALLOW_PRIVATE", "true")
    bot, baseline = _seed_store(make_bot)
    with LocalServer({"/a": respond(200, PAGE)}) as srv:
        ok, metadata = bot.add(srv.url("/a"), "http://169.254.169.254/latest/meta-data/")
    assert ok.status == "added"
    assert metadata.status == "error" and "169.254.169.254, a link-local address: refused" in metadata.detail
    assert "ASKCELEBS_URL_ALLOW" in metadata.detail


def test_allow_list_of_cidrs_and_hosts_is_read_from_the_environment(make_bot, monkeypatch, fake_dns):
    fake_dns[0]["wiki.corp.test"] = ["10.9.9.9"]
    monkeypatch.setenv("ASKCELEBS_URL_ALLOW", "127.0.0.1/32, wiki.corp.test")
    bot = make_bot()
    assert bot.settings.url_allow == ["127.0.0.1/32", "wiki.corp.test"]
    with LocalServer({"/a": respond(200, PAGE)}) as srv:
        port = srv.server.server_address[1]
        ok, other = bot.add(srv.url("/a"), f"http://192.168.7.7:{port}/a")
    assert ok.status == "added"
    assert other.status == "error" and "192.168.7.7, a private address" in other.detail
    from askcelebs.fetch import AddressPolicy
    import ipaddress

    policy = AddressPolicy.from_settings(bot.settings)
    assert policy.refusal("wiki.corp.test", ipaddress.ip_address("10.9.9.9")) is None  # the host name is allowed


def test_a_redirect_from_an_allowed_host_to_another_internal_address_is_refused(make_bot, fake_dns):
    fake_dns[0]["news.test"] = ["127.0.0.1"]
    with LocalServer({"/secret": respond(200, SECRET)}) as inner, \
            LocalServer({"/secret": respond(200, SECRET)}, host="127.0.0.2") as inner2:
        p1, p2 = inner.server.server_address[1], inner2.server.server_address[1]
        routes = {"/to-127-0-0-2": _redirect(f"http://127.0.0.2:{p2}/secret"),
                  "/to-ipv6-loopback": _redirect(f"http://[::1]:{p1}/secret"),
                  "/to-localhost": _redirect(f"http://localhost:{p1}/secret")}
        with LocalServer(routes) as front:
            port = front.server.server_address[1]
            by_cidr, bot_baseline = _seed_store(make_bot, "cidr", url_allow=["127.0.0.1/32"])
            cidr_results = by_cidr.add(front.url("/to-127-0-0-2"), front.url("/to-ipv6-loopback"))
            by_host, host_baseline = _seed_store(make_bot, "host", url_allow=["news.test"])
            host_results = by_host.add(f"http://news.test:{port}/to-localhost")
    assert inner.hits == [] and inner2.hits == [], "a redirect reached an internal server"
    assert len(front.hits) == 3
    expected = [(["127.0.0.2"], "redirects to http://127.0.0.2"), (["::1"], "redirects to http://[::1]"),
                (["127.0.0.1", "::1"], "redirects to http://localhost")]
    for r, (ips, hop) in zip(cidr_results + host_results, expected):
        assert r.status == "error" and hop in r.detail and "loopback address: refused" in r.detail, r
        assert any(f"is {ip}, a" in r.detail or f"{ip}, a" in r.detail for ip in ips), r
    bot_baseline.check()
    host_baseline.check()


def test_the_checked_address_is_the_one_connected_to_so_dns_rebinding_cannot_switch_it(make_bot, fake_dns):
    answers, calls = fake_dns
    answers["rebind.test"] = ["127.0.0.1", "127.0.0.2"]  # allowed on the first lookup, internal on any later one
    hosts: list[str] = []

    def page(h):
        hosts.append(h.headers["Host"])
        respond(200, PAGE)(h)

    bot, baseline = _seed_store(make_bot, url_allow=["127.0.0.1/32"])
    with LocalServer({"/a": page}) as public:
        port = public.server.server_address[1]
        with LocalServer({"/a": respond(200, SECRET)}, host="127.0.0.2", port=port) as secret:
            r, = bot.add(f"http://rebind.test:{port}/a")
    assert r.status == "added", r
    assert calls["rebind.test"] == 1, "the name was looked up more than once"
    assert secret.hits == [] and hosts == [f"rebind.test:{port}"]
    assert "hunter2" not in bot.article(r.article_id).text


# --- front matter ------------------------------------------------------------------------------------------------


def test_yaml_alias_bomb_fails_fast_with_an_error_row_and_no_memory_growth(seeded):
    bot, baseline = seeded
    bomb = HOSTILE / "alias-bomb.md"
    assert bomb.stat().st_size < 600
    tracemalloc.start()
    t0 = time.monotonic()
    with pytest.raises(Exception) as raised:
        articles.load(str(bomb), bot.settings)
    elapsed = time.monotonic() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "alias" in str(raised.value) and elapsed < 2 and peak < 2 * 2**20, (elapsed, peak)
    r, = bot.add(bomb)
    assert r.status == "error" and str(bomb) in str(r) and "YAML alias *a" in r.detail
    baseline.check()


def test_front_matter_over_16_kb_is_refused(seeded, tmp_path):
    bot, baseline = seeded
    big = tmp_path / "big-front-matter.md"
    big.write_text("---\ntitle: Vantree\n" + "".join(f"# padding line {i}\n" for i in range(1200)) + "---\n" + PAIR_TEXT)
    r, = bot.add(big)
    assert r.status == "error" and "over the 16 KB limit" in r.detail and str(big) in str(r)
    baseline.check()


BAD_FIELDS = {  # file: (key named in the error, reason)
    "unknown-key.md": ("'tags'", "is not one of title, url, published, author, outlet"),
    "url-mapping.md": ("url", "must be text, not a mapping"),
    "url-number.md": ("url", "must be text, not 12345 (a number); put it in quotes"),
    "url-javascript.md": ("url 'javascript:alert(1)'", "is not an http(s) URL"),
    "title-number.md": ("title", "must be text, not 1999 (a number)"),
    "title-too-long.md": ("title", "over the 500 limit"),
    "author-mapping.md": ("author", "must be text, not a mapping"),
    "published-number.md": ("published", "must be a date like 2024-05-31, not 2024 (a number)"),
    "published-month-13.md": ("published date '2024-13-45'", "is not a real date"),
}


def test_each_bad_front_matter_value_is_an_error_row_naming_file_key_and_reason(seeded):
    bot, baseline = seeded
    files = [HOSTILE / name for name in BAD_FIELDS]
    results = bot.add(*files)
    for f, r in zip(files, results):
        key, reason = BAD_FIELDS[f.name]
        assert r.status == "error" and str(f) in str(r) and key in r.detail and reason in r.detail, r
    baseline.check()


def test_bad_metadata_and_an_encrypted_pdf_do_not_abort_the_batch(seeded, tmp_path):
    bot, baseline = seeded
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: Vantree and Holloway\nurl: https://example.com/vh\npublished: 2021-06-14\n---\n"
                    + PAIR_TEXT)
    bad = [HOSTILE / n for n in ("published-month-13.md", "url-mapping.md", "url-number.md", "password-aes128.pdf")]
    results = bot.add(*bad, good)
    assert [r.status for r in results] == ["error"] * 4 + ["added"]
    listed = {a.title: a for a in bot.articles()}
    assert listed["Vantree and Holloway"].url == "https://example.com/vh"
    assert all(a.url is None or a.url.startswith("https://") for a in listed.values())


def test_a_password_protected_pdf_is_refused_with_a_named_reason(seeded):
    """(encrypted-aes256.pdf has no user password: any viewer opens it, and so does askcelebs, with pypdf[crypto];
    tests/test_batch_errors.py reads one.)"""
    bot, baseline = seeded
    name = "password-aes128.pdf"
    r, = bot.add(HOSTILE / name)
    assert r.status == "error" and "is an encrypted (password-protected) PDF" in r.detail and name in str(r)
    baseline.check()


def test_a_future_published_date_is_refused_wherever_it_is_given(seeded, tmp_path):
    bot, baseline = seeded
    plain = tmp_path / "plain.txt"
    plain.write_text(PAIR_TEXT)
    tomorrow_plus = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    from_file, = bot.add(HOSTILE / "published-future.md")
    from_option, = bot.add(plain, published=tomorrow_plus)
    pasted = bot.add_text(PAIR_TEXT, "Pasted", published="2099-01-01")
    for r in (from_file, from_option, pasted):
        assert r.status == "error" and "is in the future" in r.detail, r
    assert "2099-01-01" in from_file.detail and tomorrow_plus in from_option.detail
    baseline.check()


# --- bounded work ------------------------------------------------------------------------------------------------


def test_a_5_mb_single_line_is_cut_at_the_sentence_cap_and_the_result_says_so(make_bot, tmp_path):
    bot, baseline = _seed_store(make_bot, max_sentences=50)
    line = tmp_path / "one-line.txt"
    line.write_text("Marisol Vantree waved at Dex Holloway on the set of the road movie. " * 75_000)  # 5 MB
    assert line.stat().st_size > 5 * 10**6
    r, = bot.add(line)
    assert r.status == "added" and "cut: kept the first 50 of 75000 sentences (ASKCELEBS_MAX_SENTENCES)" in r.detail
    rec = bot.article(r.article_id)
    assert rec.sentences == 50 and line.read_text().startswith(rec.text)
    assert "cut:" in str(r)


def test_an_unpunctuated_line_is_split_into_sentences_no_longer_than_the_cap():
    from askcelebs.chunking import split_sentences

    text = articles.normalise("word " * 100_000)
    spans = split_sentences(text, 400)
    assert max(s.end - s.start for s in spans) <= 400
    assert "".join(text[s.start:s.end] + " " for s in spans).split() == text.split()


def _pages_pdf(n: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    page = PdfReader(io.BytesIO(make_pdf(PAIR_PARAGRAPHS, title="Many pages"))).pages[0]
    writer = PdfWriter()
    for _ in range(n):
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_pages_past_the_page_cap_are_cut_and_the_result_says_so(make_bot, tmp_path):
    bot, baseline = _seed_store(make_bot, max_pdf_pages=3)
    pdf = tmp_path / "many.pdf"
    pdf.write_bytes(_pages_pdf(40))
    r, = bot.add(pdf)
    assert r.status == "added" and "cut: read 3 of 40 pages" in r.detail and "ASKCELEBS_MAX_PDF_PAGES" in r.detail
    assert bot.article(r.article_id).text.count("met in 2009 on the set") == 3


def test_pdf_reading_stops_at_the_time_budget_and_the_result_says_so(make_bot, tmp_path):
    bot, baseline = _seed_store(make_bot, read_seconds=0.001)
    pdf = tmp_path / "slow.pdf"
    pdf.write_bytes(_pages_pdf(40))
    r, = bot.add(pdf)
    assert r.status == "added" and "of 40 pages" in r.detail and "0.001 s reading budget" in r.detail, r


# --- smaller -----------------------------------------------------------------------------------------------------


def test_cli_prints_titles_and_file_names_literally(make_bot, tmp_path):
    bot, baseline = _seed_store(make_bot)
    docs = tmp_path / "docs"
    docs.mkdir()
    markup = docs / "markup.md"
    markup.write_text((HOSTILE / "title-markup.md").read_text())
    forged = docs / "pair\nadded          etc-passwd -> 0000000000000000 'forged'.txt"
    forged.write_text(PAIR_TEXT)
    proc = run_cli(tmp_path / "store", "add", str(markup), str(forged))
    assert_no_traceback(proc)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and all(l.startswith("added") for l in lines), proc.stdout
    assert ":x: [bold red]Vantree[/bold red] :thumbs_up:" in lines[0] and "❌" not in proc.stdout
    assert "pair\\nadded" in lines[1]
    listing = run_cli(tmp_path / "store", "list")
    assert ":x: [bold red]Vantree[/bold red]" in listing.stdout and "❌" not in listing.stdout
    assert not any(l.startswith("added") for l in listing.stdout.splitlines()), listing.stdout
    assert "3 article(s)" in listing.stdout


def test_bidi_overrides_and_zero_width_characters_are_stripped_from_text_and_names(seeded):
    bot, baseline = seeded
    r, = bot.add(HOSTILE / "bidi-and-zero-width.md")
    assert r.status == "added"
    rec = bot.article(r.article_id)
    invisible = "\u200b\u200d\u2060\u202e\u202c\u2066\u00ad\ufeff"
    assert not any(c in rec.text + rec.title + rec.author for c in invisible)
    assert rec.title == "Dex Holloway and Marisol Vantree" and rec.author == "Jane Penrose"
    assert "Singer Marisol Vantree and actor Dex Holloway met in 2009" in rec.text
    assert {"Marisol Vantree", "Dex Holloway"} <= {n.text for n in bot.known_people()}


def test_a_symlink_out_of_an_added_folder_is_not_followed(seeded, tmp_path):
    bot, baseline = seeded
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "diary.txt").write_text("My secret diary: Marisol Vantree told me everything about Dex Holloway.")
    (outside / "more").mkdir()
    (outside / "more" / "notes.txt").write_text("More secret notes about Vantree.")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pair.txt").write_text(PAIR_TEXT)
    (docs / "diary.txt").symlink_to(outside / "diary.txt")
    (docs / "more").symlink_to(outside / "more", target_is_directory=True)
    (docs / "alias.txt").symlink_to(docs / "pair.txt")  # inside the folder: followed
    results = {Path(r.input).name: r for r in bot.add(docs)}
    assert results["diary.txt"].status == "error"
    assert "is a symlink to" in results["diary.txt"].detail and "outside the folder" in results["diary.txt"].detail
    assert {results["pair.txt"].status, results["alias.txt"].status} == {"added", "unchanged"}  # one file, twice
    assert "notes.txt" not in results
    assert not any("secret" in bot.article(a.article_id).text for a in bot.articles())
