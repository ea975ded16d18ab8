# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.jekyll-asr-installed
# The CPU build of torch; on a GPU machine install torch for your CUDA first (see README).
TORCH  ?= torch==2.13.0

.PHONY: demo test test-fast lint bench clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[bundled,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/jekyll-asr build example_site
	@echo
	@echo "Transcript includes: example_site/_includes/transcripts/"
	@echo "Captions and podcast transcripts: example_site/assets/transcripts/"
	@echo "Then: cd example_site && jekyll serve"

test: $(STAMP)
	$(BIN)/python -m ruff check jekyll_asr tests bench
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check jekyll_asr tests bench
	$(BIN)/python -m mypy

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not jekyll and not browser"

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) example_site/_site example_site/.jekyll-cache
