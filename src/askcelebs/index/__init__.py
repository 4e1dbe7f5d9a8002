"""The store: Chroma collections (store.py), the in-memory side index kept in sync (side.py), records and
tokens; the store's failure checks (faults.py), collection generations and their sweep (generations.py) and the
server's lock on an embedded store (storelock.py). Import from here: `from askcelebs.index import Store, ...`."""

from .records import ArticleWrite, ChunkRef, StoredArticle, visible
from .side import SideIndex
from .store import ARTICLES, CHUNKS, EF_SEARCH, META, SCHEMA, SENTENCES, Store
from .tokens import STOPWORDS, same_word, stem, tokenize

__all__ = ["ARTICLES", "CHUNKS", "EF_SEARCH", "META", "SCHEMA", "SENTENCES", "STOPWORDS", "ArticleWrite", "ChunkRef",
           "SideIndex", "Store", "StoredArticle", "same_word", "stem", "tokenize", "visible"]
