"""Articles and their loaders: text/Markdown (YAML front matter), HTML, PDF, URLs and pasted text.

Every loader ends in `make_article`, which normalises the text once; that normalised text is what is stored,
chunked and quoted, and its hash is the article's identity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import yaml

from .config import Settings
from .errors import InputError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
METADATA_FIELDS = ("title", "url", "published", "author", "outlet")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
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

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        if not with_text:
            d.pop("text")
        return d


def normalise(text: str) -> str:
    """Unicode NFC, unified newlines, single spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]", " ", text)
    text = re.sub(r"[\u200b\ufeff]", "", text)
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_date(value: Any, source: str) -> dt.date | None:
    """Dates come from front matter, HTML metadata or the user; all must be ISO-like."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(source, f"published date {value!r} is not a date like 2024-05-31") from None


def make_article(text: str, source: str, **meta: Any) -> Article:
    """Normalise, check there is text, fill the title from the first line when none is given."""
    text = normalise(text)
    if not text:
        raise InputError(source, "has no text (empty or whitespace only)")
    title = normalise(str(meta.get("title") or "")) or _first_line(text)
    return Article(
        article_id=content_id(text),
        title=title,
        source=source,
        text=text,
        url=meta.get("url") or None,
        published=parse_date(meta.get("published"), source),
        author=_opt_str(meta.get("author")),
        outlet=_opt_str(meta.get("outlet")),
    )


def _opt_str(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return str(value).strip() or None


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "..."


# --- inputs -------------------------------------------------------------------------------------------------


def is_url(value: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value)) or value.lower().startswith(("javascript:", "data:"))


def expand_inputs(value: str) -> Iterator[str]:
    """A folder means every supported file in it, recursively; anything else is one input."""
    if is_url(value):
        yield value
        return
    path = Path(value)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        if not files:
            raise InputError(value, f"folder has no supported files ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
        yield from (str(p) for p in files)
    else:
        yield value


def load(value: str, settings: Settings, **overrides: Any) -> Article:
    """Load one file or URL; `overrides` (title, url, published, ...) win over what the input says."""
    if is_url(value):
        text, meta = fetch_url(value, settings)
        source = value
    else:
        text, meta = load_file(Path(value), settings)
        source = str(Path(value).resolve())
    meta.update({k: v for k, v in overrides.items() if v not in (None, "")})
    return make_article(text, source, **meta)


def from_text(text: str, title: str, settings: Settings | None = None, **meta: Any) -> Article:
    """Pasted text: the title is required, the source names it."""
    if not (title or "").strip():
        raise InputError("pasted text", "needs a title")
    limit = settings.max_bytes if settings else None
    if limit and len(text.encode("utf-8")) > limit:
        raise InputError(f"pasted text {title!r}", f"is larger than the {limit // 2**20} MB limit")
    article = make_article(text, f"pasted:{title.strip()}", title=title, **meta)
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
        return parse_pdf(data, name)
    text = decode_text(data, name)
    if suffix in HTML_SUFFIXES:
        return parse_html(text, name)
    return parse_front_matter(text, name)


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


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def parse_front_matter(text: str, source: str) -> tuple[str, dict[str, Any]]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, {}
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InputError(source, f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise InputError(source, "front matter must be a YAML mapping (key: value lines)")
    unknown = set(meta) - set(METADATA_FIELDS)
    meta = {k: v for k, v in meta.items() if k in METADATA_FIELDS}
    if unknown:
        import logging

        logging.getLogger(__name__).info("%s: ignoring front matter keys %s", source, sorted(unknown))
    return text[match.end():], meta


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
        "url": getattr(doc, "url", None),
        "published": _loose_date(getattr(doc, "date", None)),
        "author": getattr(doc, "author", None),
        "outlet": getattr(doc, "sitename", None),
    }
    return text, {k: v for k, v in meta.items() if v}


def _loose_date(value: Any) -> str | None:
    """Page metadata dates are best effort: keep a good one, drop a bad one."""
    try:
        return parse_date(value, "").isoformat() if value else None
    except InputError:
        return None


def parse_pdf(data: bytes, source: str) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF"):
        raise InputError(source, "is not a PDF file (missing %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(source, f"is a malformed PDF ({exc})") from None
    text = "\n\n".join(_unwrap(p.strip()) for p in pages if p.strip())
    if not text.strip():
        raise InputError(source, "PDF has no extractable text (a scanned image?)")
    meta = {"title": getattr(info, "title", None), "author": getattr(info, "author", None)}
    return text, {k: v for k, v in meta.items() if v}


def _unwrap(page: str) -> str:
    """PDF text comes line by line: rejoin hyphenated and wrapped lines so sentences stay whole."""
    page = re.sub(r"(\w)-\n(\w)", r"\1\2", page)
    return re.sub(r"(?<![.!?:;\"”’)\n])\n(?!\n)", " ", page)


def fetch_url(url: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    """GET with a timeout, a redirect limit, a size cap and a content-type check; then parse as HTML."""
    import time

    import httpx

    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(url, f"only http and https URLs are supported, not {scheme or 'this'}:")
    limit = settings.max_bytes
    deadline = time.monotonic() + settings.url_timeout  # httpx's timeout is per read; a slow drip never trips it
    try:
        with httpx.Client(follow_redirects=True, max_redirects=5, timeout=settings.url_timeout,
                          headers={"User-Agent": "askcelebs/0.1 (+article ingest)"}) as client:
            with client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise InputError(url, f"returned HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype not in _HTML_TYPES:
                    raise InputError(url, f"returned {ctype or 'no content type'}, not an HTML page")
                declared = int(resp.headers.get("content-length") or 0)
                if declared > limit:
                    raise InputError(url, f"is {declared / 2**20:.1f} MB, over the {settings.max_file_mb:g} MB limit")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise InputError(url, f"is over the {settings.max_file_mb:g} MB limit")
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("download took too long")
                encoding = resp.encoding or "utf-8"
                final_url = str(resp.url)
    except httpx.TooManyRedirects:
        raise InputError(url, "redirects too many times (a redirect loop?)") from None
    except httpx.TimeoutException:
        raise InputError(url, f"timed out after {settings.url_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise InputError(url, f"could not be fetched ({type(exc).__name__}: {exc})") from None
    text, meta = parse_html(bytes(body).decode(encoding, errors="replace"), url)
    meta.setdefault("url", final_url)
    return text, meta
