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

.PHONY: book test data lint release image clean help

help:
	@echo "make book    build the book into _build/html"
	@echo "make test    run the whole test suite"
	@echo "make data    make sure the course data sets are available"
	@echo "make release regenerate exercises/ from solutions/"
	@echo "make lint    ruff check and format check"
	@echo "make image   build the single-user image with podman (root; see hub/README.md)"

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

# The single-user image (hub/Dockerfile) without an image registry: its base from Debian's
# packages (hub/image/base.sh: mmdebstrap + podman import), then `podman build` with chroot
# isolation (it needs no container runtime; running the image needs one). As root, with the
# Debian packages mmdebstrap and podman. Not part of `make test`: 5-9 minutes, an 8 GB image.
VERSION    := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE_BASE ?= localhost/dlip-base:bookworm
IMAGE      ?= localhost/dlip-singleuser:$(VERSION)
# pip in the build trusts the certificates this machine trusts (a TLS-inspecting proxy's
# too): they are mounted over the base's own bundle for the build's RUN steps only, so the
# image keeps Debian's (a mount at a new path would leave an empty file). CA_BUNDLE= turns it off.
SYSTEM_CA  := /etc/ssl/certs/ca-certificates.crt
CA_BUNDLE  ?= $(wildcard $(SYSTEM_CA))

image:
	@start=$$(date +%s) \
	&& hub/image/base.sh $(IMAGE_BASE) \
	&& podman build --isolation chroot --pull=never \
	     -f hub/Dockerfile --ignorefile hub/Dockerfile.dockerignore \
	     $(if $(CA_BUNDLE),-v $(abspath $(CA_BUNDLE)):$(SYSTEM_CA):ro --build-arg PIP_CERT=$(SYSTEM_CA)) \
	     --build-arg BASE=$(IMAGE_BASE) -t $(IMAGE) . \
	&& echo "image: $(IMAGE), built in $$(( $$(date +%s) - start )) s (base included)," \
	        "$$(podman image inspect --format '{{.Size}}' $(IMAGE)) bytes" \
	        "($$(podman images --format '{{.Size}}' $(IMAGE)))"

clean:
	rm -rf _build .pytest_cache
