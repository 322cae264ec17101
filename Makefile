# PracOps: `make run` installs and starts the embedded default; `make test` runs the tests.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install migrate demo test worker clean

run: install migrate demo
	$(PY) manage.py runserver $(HOST):$(PORT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "PracOps needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput

demo: install
	$(PY) manage.py load_demo --base-url http://$(HOST):$(PORT)
	$(PY) manage.py read_notes  # notes an older extractor read (loading again leaves them unchanged)

test: install
	$(PY) -m pytest

worker: install
	$(VENV)/bin/celery -A pracops worker --loglevel=INFO -Q default,nlp

clean:
	rm -rf $(VENV) var
