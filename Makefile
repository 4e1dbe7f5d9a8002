# Two commands: `make run` (install, index documents/, serve the chat) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-dev index serve bench eval clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(VENV)/bin/askcelebs add documents/

run: install
	$(VENV)/bin/askcelebs serve --index-documents

test: install-dev
	$(PY) -m pytest

bench: install-dev
	$(PY) bench/ingest.py

eval: install-dev
	$(VENV)/bin/askcelebs eval

clean:
	rm -rf $(VENV) vectorstore/chroma* .pytest_cache
