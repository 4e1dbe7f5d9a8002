"""The errors askcelebs raises for things a user can cause or fix.

    AskCelebsError          base: the CLI prints these as one line, the UI shows them in place
    ├── InputError          a file, URL, text or question we cannot use (names the input and the reason)
    ├── StoreError          the index: busy, built with another model, unreachable
    │   ├── StoreBusyError
    │   ├── ModelMismatchError
    │   ├── StoreUnavailableError
    │   ├── StoreDamagedError   the database cannot be read (or vanished): `askcelebs doctor`, export/import
    │   └── DiskFullError       no space left where the store lives
    └── AnswerError         the optional language model failed in a way we cannot fall back from

Third-party errors (Chroma, httpx, pypdf, the LLM client) are re-raised as one of these where they enter.
"""

from __future__ import annotations


class AskCelebsError(Exception):
    """Base for every error a user can cause; its message says what happened and what to do."""


class InputError(AskCelebsError):
    """An input (file, URL, pasted text, question) cannot be used."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class StoreError(AskCelebsError):
    """The index cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another process holds the writer lock."""


class ModelMismatchError(StoreError):
    """The store was built with another embedding model or settings."""


class StoreUnavailableError(StoreError):
    """The Chroma server cannot be reached."""


class StoreDamagedError(StoreError):
    """The store's database is damaged, truncated or gone; the message says how to salvage it."""


class DiskFullError(StoreError):
    """The disk holding the store is (nearly) full; nothing was changed beyond what completed."""


class AnswerError(AskCelebsError):
    """The answerer failed and no fallback was possible."""
