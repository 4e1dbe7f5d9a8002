"""Sentence embeddings: the sentence-transformers model, run through ONNX Runtime by default.

Measured on 2 cores (3,781 BBC sentences): torch fp32 16.0 s, ONNX fp32 8.5 s, ONNX int8 (MatMul weights,
per channel) 4.3 s with cosine 0.992 to fp32. sentence-transformers' own ONNX backend needs optimum-onnx,
which pins transformers<5 and so cannot live beside sentence-transformers 6; we export the same graph
ourselves once (torch.onnx + onnxruntime.quantization) into the cache dir and keep the tokenizer and pooling
of the sentence-transformers model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from .config import Settings  # noqa: E402
from .errors import StoreError  # noqa: E402

log = logging.getLogger(__name__)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class Embedder:
    """Normalised float32 embeddings for lists of texts; one instance per process is enough."""

    def __init__(self, settings: Settings):
        self.backend = settings.embedding_backend
        self.model_path = settings.embedding_model
        self._session = None
        self._lock = threading.Lock()
        light = _light_parts(self.model_path, self.backend, settings.cache_dir)
        if light is not None:  # exported already: no torch or sentence-transformers (~4 s and ~400 MB less)
            self._st = None
            self.tokenizer, self.dim, self.max_tokens = light
            self._session = _load_onnx(None, self.model_path, self.backend == "onnx-int8", settings.cache_dir)
            return

        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        try:
            self._st = SentenceTransformer(self.model_path, device="cpu")
        except Exception as exc:  # a wrong name or path; offline, a hub name fails here too
            raise StoreError(f"cannot load embedding model {self.model_path!r}: {exc}") from exc
        self.dim = int(self._st.get_embedding_dimension())
        self.max_tokens = int(self._st.max_seq_length or 256)
        self.tokenizer = self._st.tokenizer
        if self.backend != "torch":
            self._session = _load_onnx(self._st, self.model_path, self.backend == "onnx-int8", settings.cache_dir)

    @property
    def name(self) -> str:
        """Identity recorded in the store: a store built with one model cannot be queried with another."""
        path = Path(self.model_path)
        name = f"{path.parent.name}/{path.name}" if path.is_dir() else self.model_path
        return f"{name}@{self.backend}"

    def embed(self, texts: Sequence[str], batch_size: int = 64,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._session is None:
            with self._lock:
                out = self._st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True).astype(np.float32)
            if progress:
                progress(len(texts))
            return out
        order = np.argsort([len(t) for t in texts])  # similar lengths per batch: less padding
        out = np.empty((len(texts), self.dim), np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            out[idx] = self._run_onnx([texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return out

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _run_onnx(self, batch: list[str]) -> np.ndarray:
        enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
        feeds = {k: enc[k].astype(np.int64) for k in _INPUTS if k in enc}
        hidden = self._session.run(None, feeds)[0]
        mask = enc["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def as_langchain(self):
        """A LangChain Embeddings view, for langchain-chroma and other LangChain parts."""
        from langchain_core.embeddings import Embeddings

        embedder = self

        class _LCEmbeddings(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return embedder.embed(texts).tolist()

            def embed_query(self, text: str) -> list[float]:
                return embedder.embed_one(text).tolist()

        return _LCEmbeddings()


def _model_fingerprint(model_path: str) -> str:
    """By the model's files, not its path: every venv or clone with the same model shares one export (the export
    is the slowest part of a first start)."""
    path = Path(model_path)
    if not path.is_dir():
        return hashlib.sha256(model_path.encode()).hexdigest()[:16]
    h = hashlib.sha256(b"model-files-v1")
    for f in sorted(path.glob("*.json")) + sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        size = f.stat().st_size
        h.update(f"{f.name}:{size}".encode())
        with open(f, "rb") as fh:  # both ends of each file: cheap, and differs between any two real models
            h.update(fh.read(1 << 16))
            fh.seek(max(0, size - (1 << 16)))
            h.update(fh.read())
    return h.hexdigest()[:16]


def _onnx_target(model_path: str, int8: bool, cache_dir: Path) -> Path:
    folder = Path(cache_dir).expanduser() / "onnx" / _model_fingerprint(model_path)
    return folder / ("model-int8.onnx" if int8 else "model.onnx")


class _BareTokenizer:
    """The model's `tokenizers` tokenizer (what its transformers fast tokenizer wraps), called the way `_run_onnx`
    calls that one; truncation and padding are fixed when it is built."""

    def __init__(self, tok):
        self._tok = tok

    def __call__(self, texts: list[str], **_ignored) -> dict[str, np.ndarray]:
        encs = self._tok.encode_batch(list(texts))
        return {"input_ids": np.array([e.ids for e in encs], np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], np.int64)}


def _light_parts(model_path: str, backend: str, cache_dir: Path):
    """(tokenizer, dim, max_tokens) read from a local sentence-transformers folder without importing torch, when the
    ONNX export exists and the model is the Transformer -> mean Pooling (-> Normalize) stack `_run_onnx` computes;
    None otherwise (then sentence-transformers loads the model, as it always did)."""
    import json

    path = Path(model_path)
    if backend == "torch" or not path.is_dir():
        return None
    if not _onnx_target(model_path, backend == "onnx-int8", cache_dir).exists():
        return None
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modules[0]["path"]:
            return None
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        st_config = json.loads((path / "sentence_bert_config.json").read_text())
        tok_config = json.loads((path / "tokenizer_config.json").read_text())
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if modes != {"pooling_mode_mean_tokens"} or st_config.get("do_lower_case"):
            return None
        if not st_config.get("max_seq_length"):
            return None
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        pad = tok_config.get("pad_token") or "[PAD]"
        pad_id = tok.token_to_id(pad if isinstance(pad, str) else pad["content"])
        if pad_id is None:
            return None
        max_tokens = int(st_config["max_seq_length"])
        tok.enable_truncation(max_length=max_tokens)
        tok.enable_padding(pad_id=pad_id, pad_token=pad if isinstance(pad, str) else pad["content"])
        return _BareTokenizer(tok), int(pooling["word_embedding_dimension"]), max_tokens
    except Exception:  # an unusual folder layout: leave it to sentence-transformers
        return None


def _load_onnx(st, model_path: str, int8: bool, cache_dir: Path):
    import onnxruntime as ort
    from filelock import FileLock

    target = _onnx_target(model_path, int8, cache_dir)
    folder = target.parent
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / ".export.lock"), timeout=600):
            if not target.exists():
                _export(st, folder, int8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, min(os.cpu_count() or 1, 4))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])


def _export(st, folder: Path, int8: bool) -> None:
    """One-time export of the transformer to ONNX (and int8); atomic renames so a crash leaves nothing half-written."""
    import torch

    log.info("exporting the embedding model to ONNX in %s (once)", folder)
    fp32 = folder / "model.onnx"
    if not fp32.exists():
        bert = st[0].auto_model.eval()

        class _Wrapper(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        enc = st.tokenizer(["a short sentence", "and a slightly longer second sentence"], padding=True,
                           return_tensors="pt")
        axes = {"0": "batch", "1": "tokens"}
        tmp = folder / f"model.onnx.{os.getpid()}.tmp"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about control flow: fixed shapes are not used
            torch.onnx.export(
                _Wrapper(bert), tuple(enc[k] for k in _INPUTS), str(tmp), input_names=list(_INPUTS),
                output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                dynamic_axes={k: {0: axes["0"], 1: axes["1"]} for k in (*_INPUTS, "last_hidden_state")},
            )
        os.replace(tmp, fp32)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = folder / f"model-int8.onnx.{os.getpid()}.tmp"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantizer logs every tensor at INFO on the root logger
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"])
        finally:
            root.setLevel(level)
        os.replace(tmp, folder / "model-int8.onnx")


_CACHE: dict[tuple, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One model per process and configuration: loading takes seconds, using it is thread-safe."""
    key = (settings.embedding_model, settings.embedding_backend, str(settings.cache_dir))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Embedder(settings)
        return _CACHE[key]
