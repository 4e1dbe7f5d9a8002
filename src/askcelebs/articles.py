"""Articles and their loaders: text/Markdown (YAML front matter), HTML, PDF, URLs and pasted text.

Every loader ends in `make_article`, which normalises the text once; that normalised text is what is stored,
chunked and quoted, and its hash is the article's identity. The work per input is bounded (pages read from a PDF,
a time budget, sentences kept); what was cut is said in `Article.cut`, which the add result shows.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .chunking import split_sentences
from .config import Settings
from .errors import InputError
from .fetch import fetch_html
from .frontmatter import MAX_NAME_CHARS, MAX_TITLE_CHARS, check_url, split_front_matter

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
FUTURE_SLACK = dt.timedelta(days=1)  # a date "tomorrow" is today somewhere (UTC+14)
MIN_HTML_WORDS = 25  # below this, what trafilatura found is navigation, not an article
# Their warnings about broken input repeat the InputError we raise, as extra lines in the CLI's output.
logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass
class Article:
    """One stored article; `text` is the normalised full text every quote is cut from."""

    article_id: str
    title: str
    source: str
    text: str
    url: str | None = None
    published: dt.date | None = None
    author: str | None = None
    outlet: str | None = None
    added_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    cut: str = ""  # what the input's limits left out ("" when nothing); shown in the add result, not stored

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cut")
        d["published"] = self.published.isoformat() if self.published else None
        if not with_text:
            d.pop("text")
        return d


def normalise(text: str) -> str:
    """Unicode NFC, unified newlines, single spaces, at most one blank line between paragraphs, and no invisible
    characters: bidi overrides, zero-width and other format characters and control codes would let a text
    (or a name) read differently from what is matched and quoted."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v\x1c-\x1f\x85\u2028\u2029]", " ", text)
    text = text.translate(_invisible())
    if "\u200c" in text or "\u200d" in text:
        # Joiners shape emoji sequences and Indic/Persian words; between ASCII letters they only hide a name.
        text = re.sub(r"(?<![^\x00-\x7f\s])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f\s])", "", text)
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


@functools.cache
def _invisible() -> dict[int, None]:
    """A str.translate table deleting every format (Cf) and control (Cc) character but newline and the joiners."""
    keep = {ord("\n"), 0x200C, 0x200D}
    return dict.fromkeys(c for c in range(0x110000) if c not in keep and unicodedata.category(chr(c)) in ("Cf", "Cc"))


def one_line(value: Any) -> str:
    """A title or name: normalised, on one line."""
    return " ".join(normalise(str(value)).split())


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_date(value: Any, source: str) -> dt.date | None:
    """Dates come from front matter, HTML metadata or the user; all must be real ISO-like dates, not after today.

    A future date is refused rather than warned about: answers lead with the newest article ("as of 2099"), so a
    wrong future date would outrank every real one while the warning scrolled away.
    """
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        text = str(value).strip()
        try:
            value = dt.date.fromisoformat(text[:10])
        except ValueError:
            real = re.match(r"\d{4}-\d{1,2}-\d{1,2}", text) and "is not a real date" or "is not a date like 2024-05-31"
            raise InputError(source, f"published date {text[:40]!r} {real}") from None
    latest = dt.datetime.now(dt.timezone.utc).date() + FUTURE_SLACK
    if value > latest:
        raise InputError(source, f"published date {value.isoformat()} is in the future (after "
                                 f"{latest - FUTURE_SLACK}); give the date the article came out")
    return value


def make_article(text: str, source: str, settings: Settings | None = None, **meta: Any) -> Article:
    """Normalise, check there is text and metadata, cap the sentences, fill the title from the first line."""
    text = normalise(text)
    if not text:
        raise InputError(source, "has no text (empty or whitespace only)")
    cut = list(meta.pop("cut", None) or [])
    if settings is not None:
        text, note = _cap_sentences(text, settings)
        cut += [note] if note else []
    title = one_line(meta.get("title") or "")[:MAX_TITLE_CHARS] or _first_line(text)
    url = meta.get("url")
    if url not in (None, "") and not isinstance(url, str):
        raise InputError(source, f"url must be text, not {type(url).__name__}")
    return Article(
        article_id=content_id(text),
        title=title,
        source=source,
        text=text,
        url=check_url(url, source) if url else None,
        published=parse_date(meta.get("published"), source),
        author=_opt_str(meta.get("author")),
        outlet=_opt_str(meta.get("outlet")),
        cut="; ".join(cut),
    )


def _cap_sentences(text: str, settings: Settings) -> tuple[str, str]:
    """Embedding is the cost of an input: keep the first max_sentences whole sentences."""
    spans = split_sentences(text, settings.chunking.max_sentence_chars)
    limit = settings.max_sentences
    if len(spans) <= limit:
        return text, ""
    return (text[:spans[limit - 1].end],
            f"cut: kept the first {limit} of {len(spans)} sentences (ASKCELEBS_MAX_SENTENCES)")


def _opt_str(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return one_line(value)[:MAX_NAME_CHARS] or None


def _first_line(text: str) -> str:
    line = text[:2000].split("\n", 1)[0].strip()
    return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "..."


# --- inputs -------------------------------------------------------------------------------------------------


def is_url(value: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value)) or value.lower().startswith(("javascript:", "data:"))


def expand_inputs(value: str) -> Iterator[str | InputError]:
    """A folder means every supported file in it, recursively; anything else is one input.

    A symlink in the folder that leads outside it is not followed (adding ~/notes must not add what a link in
    it points at): it comes out as an InputError for the caller to report beside the files.
    """
    if is_url(value):
        yield value
        return
    path = Path(value)
    if path.is_dir():
        root = path.resolve()
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        if not files:
            raise InputError(value, f"folder has no supported files ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
        for p in files:
            target = p.resolve()
            if target.is_relative_to(root):
                yield str(p)
            else:
                yield InputError(str(p), f"is a symlink to {target}, outside the folder {value}; not followed")
    else:
        yield value


def load(value: str, settings: Settings, **overrides: Any) -> Article:
    """Load one file or URL; `overrides` (title, url, published, ...) win over what the input says."""
    if is_url(value):
        html, final_url = fetch_html(value, settings)
        text, meta = parse_html(html, value)
        meta.setdefault("url", final_url)
        source = value
    else:
        text, meta = load_file(Path(value), settings)
        source = str(Path(value).resolve())
    meta.update({k: v for k, v in overrides.items() if v not in (None, "")})
    return make_article(text, source, settings, **meta)


def from_text(text: str, title: str, settings: Settings | None = None, **meta: Any) -> Article:
    """Pasted text: the title is required, the source names it."""
    if not (title or "").strip():
        raise InputError("pasted text", "needs a title")
    limit = settings.max_bytes if settings else None
    if limit and len(text.encode("utf-8")) > limit:
        raise InputError(f"pasted text {title!r}", f"is larger than the {limit // 2**20} MB limit")
    article = make_article(text, f"pasted:{title.strip()}", settings, title=title, **meta)
    article.source = f"pasted:{article.article_id}"
    return article


def load_file(path: Path, settings: Settings) -> tuple[str, dict[str, Any]]:
    name = str(path)
    if not path.exists():
        raise InputError(name, "no such file or folder")
    if not path.is_file():
        raise InputError(name, "is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(name, f"unsupported file type {suffix or '(none)'!r}; use .txt, .md, .html, .htm or .pdf")
    size = path.stat().st_size
    if size > settings.max_bytes:
        raise InputError(name, f"is {size / 2**20:.1f} MB, over the {settings.max_file_mb:g} MB limit (ASKCELEBS_MAX_FILE_MB)")
    data = path.read_bytes()
    if suffix in PDF_SUFFIXES:
        return parse_pdf(data, name, settings)
    text = decode_text(data, name)
    if suffix in HTML_SUFFIXES:
        return parse_html(text, name)
    return split_front_matter(text, name)


def decode_text(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark (Windows editors)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(source, "is not valid UTF-16 text despite its byte-order mark") from None
    if b"\x00" in data[:8192]:
        raise InputError(source, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def parse_html(html: str, source: str) -> tuple[str, dict[str, Any]]:
    """trafilatura finds the main text and the page's metadata (title, date, author, site)."""
    import trafilatura

    if "<" not in html:
        raise InputError(source, "is not HTML (no tags found)")
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, favor_precision=True)
    except Exception as exc:  # trafilatura raises a variety of parser errors on broken markup
        raise InputError(source, f"could not be parsed as HTML ({type(exc).__name__})") from None
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise InputError(source, "has no article text that could be extracted from the HTML")
    words = len(text.split())
    if words < MIN_HTML_WORDS:
        raise InputError(source, f"has only {words} word(s) of article text (a page built by JavaScript, or not "
                                 "an article?); save the article text and add that instead")
    meta = {
        "title": getattr(doc, "title", None),
        "url": _loose_url(getattr(doc, "url", None)),
        "published": _loose_date(getattr(doc, "date", None)),
        "author": getattr(doc, "author", None),
        "outlet": getattr(doc, "sitename", None),
    }
    return text, {k: v for k, v in meta.items() if v}


def _loose_url(value: Any) -> str | None:
    try:
        return check_url(value, "") if isinstance(value, str) and value else None
    except InputError:
        return None


def _loose_date(value: Any) -> str | None:
    """Page metadata dates are best effort: keep a good one, drop a bad one."""
    try:
        return parse_date(value, "").isoformat() if value else None
    except InputError:
        return None


def parse_pdf(data: bytes, source: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    """Text of the first max_pdf_pages pages, read within read_seconds; the cut says what was left out."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    if not data.startswith(b"%PDF"):
        raise InputError(source, "is not a PDF file (missing %PDF header)")
    encrypted = "is an encrypted (password-protected) PDF, which askcelebs cannot read; save an unencrypted copy"
    deadline = time.monotonic() + settings.read_seconds
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(source, encrypted)
        total = len(reader.pages)
        pages = []
        for page in reader.pages:
            if len(pages) == settings.max_pdf_pages or (pages and time.monotonic() > deadline):
                break
            pages.append(page.extract_text() or "")
        info = reader.metadata or {}
    except (DependencyError, FileNotDecryptedError):
        raise InputError(source, encrypted) from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise InputError(source, f"is a malformed PDF ({exc})") from None
    text = "\n\n".join(_unwrap(p.strip()) for p in pages if p.strip())
    if not text.strip():
        raise InputError(source, "PDF has no extractable text (a scanned image?)")
    meta: dict[str, Any] = {"title": getattr(info, "title", None), "author": getattr(info, "author", None)}
    meta = {k: v for k, v in meta.items() if isinstance(v, str) and v}
    if len(pages) < total:
        why = (f"the {settings.max_pdf_pages}-page limit (ASKCELEBS_MAX_PDF_PAGES)" if len(pages) == settings.max_pdf_pages
               else f"the {settings.read_seconds:g} s reading budget (ASKCELEBS_READ_SECONDS)")
        meta["cut"] = [f"cut: read {len(pages)} of {total} pages, stopped at {why}"]
    return text, meta


def _unwrap(page: str) -> str:
    """PDF text comes line by line: rejoin hyphenated and wrapped lines so sentences stay whole."""
    page = re.sub(r"(\w)-\n(\w)", r"\1\2", page)
    return re.sub(r"(?<![.!?:;\"”’)\n])\n(?!\n)", " ", page)
