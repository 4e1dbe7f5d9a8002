"""askcelebs: answers about celebrity friendships from news articles, every claim a verbatim, cited quote."""

from .answering.types import Answer, Citation
from .app import AskCelebs, Coverage
from .articles import Article
from .config import Settings
from .errors import (AnswerError, AskCelebsError, InputError, ModelMismatchError, StoreBusyError, StoreError,
                     StoreUnavailableError)
from .index import StoredArticle
from .ingest import AddResult
from .timeline import Relationship, Timeline

__all__ = [
    "AddResult", "Answer", "AnswerError", "Article", "AskCelebs", "AskCelebsError", "Citation", "Coverage",
    "InputError", "ModelMismatchError", "Settings", "StoreBusyError", "StoreError", "StoreUnavailableError",
    "Relationship", "StoredArticle", "Timeline",
]
__version__ = "0.1.0"
