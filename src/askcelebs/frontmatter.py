"""YAML front matter of text/Markdown files, read so that a hostile file cannot hurt the process.

Front matter is a small mapping of known keys. So: at most MAX_CHARS characters, YAML aliases refused (nested
aliases expand exponentially: a 500-byte file can take gigabytes), dates left as text for `parse_date` (YAML's own
timestamp constructor raises on 2024-13-45), and only these keys with these types; anything else is an InputError
naming the file, the key and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlparse

import yaml

from .errors import InputError

MAX_CHARS = 16 * 1024
MAX_TITLE_CHARS = 500
MAX_NAME_CHARS = 200
FIELDS = ("title", "url", "published", "author", "outlet")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class _AliasRefused(yaml.YAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases and with timestamps kept as the text that was written."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(f"front matter uses the YAML alias *{event.anchor} (line {event.start_mark.line + 1}); "
                                "aliases are not allowed in front matter")
        return super().compose_node(parent, index)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def split_front_matter(text: str, source: str) -> tuple[str, dict[str, Any]]:
    """(body, checked metadata); a text without front matter is all body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, {}
    raw = match.group(1)
    if len(raw) > MAX_CHARS:
        raise InputError(source, f"front matter is {len(raw) // 1024} KB, over the {MAX_CHARS // 1024} KB limit "
                                 "(it holds only title, url, published, author and outlet)")
    try:
        meta = yaml.load(raw, Loader=_StrictLoader)
    except _AliasRefused as exc:
        raise InputError(source, str(exc)) from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise InputError(source, "front matter is nested too deeply to be title/url/published/author/outlet") from None
    if meta is None:
        return text[match.end():], {}
    if not isinstance(meta, dict):
        raise InputError(source, "front matter must be a YAML mapping (key: value lines)")
    return text[match.end():], {key: check_field(key, value, source) for key, value in meta.items()}


def check_field(key: Any, value: Any, source: str) -> Any:
    """The value when `key` is a known field of the right type; else an InputError naming both."""
    if key not in FIELDS:
        raise InputError(source, f"front matter key {str(key)[:40]!r} is not one of {', '.join(FIELDS)}")
    if value is None:
        return None
    if key == "published":
        if isinstance(value, (str, dt.date)):
            return value
        raise InputError(source, f"front matter published must be a date like 2024-05-31, not {_kind(value)}")
    if not isinstance(value, str):
        raise InputError(source, f"front matter {key} must be text, not {_kind(value)}"
                                 + ("; put it in quotes" if isinstance(value, (int, float, bool)) else ""))
    if key == "url":
        check_url(value, source)
        return value
    limit = MAX_TITLE_CHARS if key == "title" else MAX_NAME_CHARS
    if len(value) > limit:
        raise InputError(source, f"front matter {key} is {len(value)} characters, over the {limit} limit")
    return value


def check_url(value: str, source: str) -> str:
    """An article's url must be an absolute http(s) URL: it is shown as a link."""
    parsed = urlparse(value.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in value.strip()):
        raise InputError(source, f"url {value[:80]!r} is not an http(s) URL like https://example.com/story")
    return value.strip()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
