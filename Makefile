# Two commands do everything on a fresh machine:
#   make book   build the book (executes every chapter) into _build/html
#   make test   run the whole test suite (unit tests, doctests, autograding, book build)
# Both create .venv from requirements.txt when needed and make sure the data is available.

# Debian's /usr/bin/python3.11 first: the hub spawns students' servers as their own Unix users,
# and they must be able to run the venv's interpreter (a pyenv under /root is private).
PYTHON ?= $(shell command -v /usr/bin/python3.11 || command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test data lint release clean help

help:
	@echo "make book    build the book into _build/html"
	@echo "make test    run the whole test suite"
	@echo "make data    make sure the course data sets are available"
	@echo "make release regenerate exercises/ from solutions/"
	@echo "make lint    ruff check and format check"

$(STAMP): requirements.txt requirements-hub.txt pyproject.toml hub/package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-hub.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	npm ci --prefix hub --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# Fashion-MNIST: use what coursekit finds; otherwise install Debian's package when we can
# (root with apt), otherwise let Keras download it.
data: $(STAMP)
	@$(PY) -m coursekit data --check fashion_mnist \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && (apt-get install -y -qq dataset-fashion-mnist || (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)); } \
	  || $(PY) -m coursekit data --download fashion_mnist
	@$(PY) -m coursekit data

book: data
	$(PY) -m coursekit book

test: data
	$(PY) -m pytest

release: $(STAMP)
	$(PY) -m coursekit release

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf _build .pytest_cache
