# One-command workflows for the async walkthrough. Every target installs what
# it needs (evcxr_jupyter, the Python venv, the Rust kernel) and is safe to
# run again. See README.md.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
EVCXR_VERSION := 0.22.0
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
# crates.io's evcxr_jupyter, as a learner installs it (the stock kernel the
# tests compare with), and the project kernel's: the same release with
# tools/evcxr_jupyter.patch applied, built beside it.
EVCXR_STOCK := $(CARGO_BIN)/evcxr_jupyter
EVCXR_BUILD := $(ROOT)/target/patched-evcxr-jupyter
EVCXR := $(EVCXR_BUILD)/bin/evcxr_jupyter
STAMPS := $(ROOT)/target/setup

# The kernel is registered inside the venv, never in the user's Jupyter
# directory; evcxr builds cells in a persistent directory so that warm runs
# reuse the compiled tokio and crate instead of rebuilding them.
export JUPYTER_PATH := $(VENV)/share/jupyter
export EVCXR_TMPDIR := $(ROOT)/target/evcxr
KERNEL_JSON := $(JUPYTER_PATH)/kernels/rust/kernel.json

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
CELL_TIMEOUT ?= 600
RUNS ?= 20
BENCH_RUNS ?= 3
# The sweep's largest N per mode (empty: 10 million for gather and spawn, a
# million for the rest) and where it writes (notebook 03 draws the default).
BENCH_MAX_TASKS ?=
BENCH_OUT ?= notebooks/data/scale.json

.PHONY: help setup lab run record sync-text test check notebook-test e2e bench bench-walkthrough repeat-walkthrough repeat-notebook repeat-exercises bench-serving reliability repeat-spawn-blocking clean

help:
	@echo "make lab     set everything up and open JupyterLab on notebooks/"
	@echo "make run     execute every notebook headless into target/notebooks/ (.ipynb and .html)"
	@echo "make record  sync the text files, execute the notebooks (and notebook 05's twin) in place, refreshing their committed outputs"
	@echo "make sync-text  carry an edit of a notebook or of its text file (notebooks/*.rs, reference/*.py) over to the other"
	@echo "make test    fmt, clippy, cargo test, then every notebook checked against its outputs"
	@echo "make e2e     every notebook run through JupyterLab in headless Chromium; screenshots in target/e2e/"
	@echo "make bench   the scale sweep (10 to 10M searches per mode, and asyncio) into BENCH_OUT (default notebooks/data/scale.json)"
	@echo "make bench-walkthrough   notebook 01 vs the Python original, whole runs and cell by cell"
	@echo "make repeat-walkthrough  execute notebook 01 RUNS times (default 20) and compare outputs"
	@echo "make bench-serving       CONNECTIONS concurrent requests (default 5000) through the one-thread serving layer, by serve_bench and by oha"
	@echo "make repeat-notebook NOTEBOOK=notebooks/NN-name.ipynb  the same for any one notebook"
	@echo "make repeat-exercises  every exercise's starting code and check RUNS times, compared with the committed lines"
	@echo "make reliability         the servers under bad clients, floods and faults; one line per measured figure"
	@echo "make repeat-spawn-blocking  notebook 02's spawn_blocking run SPAWN_BLOCKING_RUNS times (default 200)"

# --- setup -------------------------------------------------------------------

$(STAMPS)/tools:
	@command -v cargo >/dev/null || { echo "error: cargo not found; install the Rust toolchain (rustup) and retry" >&2; exit 1; }
	@command -v python3 >/dev/null || { echo "error: python3 not found; install Python 3.10 or newer with venv support and retry" >&2; exit 1; }
	@mkdir -p $(STAMPS) && touch $@

# Installed only when this exact version is missing: a build takes minutes.
# It builds in the patched one's directory, so that one then compiles only
# the patched crate itself.
$(STAMPS)/evcxr-$(EVCXR_VERSION): $(STAMPS)/tools
	@if test -x "$(EVCXR_STOCK)" && cargo install --list | grep -q "^evcxr_jupyter v$(EVCXR_VERSION):"; then \
	  echo "evcxr_jupyter $(EVCXR_VERSION) already installed"; \
	else \
	  echo "installing evcxr_jupyter $(EVCXR_VERSION) (takes several minutes)"; \
	  CARGO_TARGET_DIR=$(EVCXR_BUILD)/build cargo install --locked evcxr_jupyter --version $(EVCXR_VERSION); \
	fi
	@touch $@

$(EVCXR): $(STAMPS)/evcxr-$(EVCXR_VERSION) tools/evcxr_jupyter.patch tools/build_evcxr_jupyter.py
	python3 tools/build_evcxr_jupyter.py $(EVCXR_VERSION) $(EVCXR_BUILD)

$(VENV)/.installed: requirements.txt $(STAMPS)/tools
	@test -x $(PY) || python3 -m venv $(VENV) || { echo "error: python3 -m venv failed; install your distribution's python3-venv package and retry" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(KERNEL_JSON): $(EVCXR) $(VENV)/.installed tools/register_kernel.py
	$(PY) tools/register_kernel.py "$(EVCXR)"

# The kernel's build directory, built ahead for the notebooks' first cells:
# every dependency as a shared library (minutes on a fresh clone; again, in
# seconds, whenever the crate or the kernel's settings change, so that no
# kernel start has to rebuild the crate while a notebook waits).
KERNEL_INPUTS := Cargo.lock tools/evcxr_kernel.sh $(wildcard tools/evcxr/* tools/evcxr/kernel_dependencies/*) \
  crate/Cargo.toml crate/build.rs $(shell find crate/src -type f)
$(STAMPS)/kernel-prewarm: $(KERNEL_JSON) $(KERNEL_INPUTS)
	$(PY) tools/prewarm_kernel.py
	@touch $@

setup: $(KERNEL_JSON) $(STAMPS)/kernel-prewarm

# --- learner and headless workflows -------------------------------------------

# Jupyter refuses to run as root unless told; containers often run as root.
lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

run: setup
	$(PY) tools/run_notebooks.py --timeout $(CELL_TIMEOUT) --out target/notebooks $(NOTEBOOKS)

# CPython twins of the Rust notebooks (reference/asyncio-to-tokio.ipynb, for
# notebook 05), run on the venv's own python3 kernel.
PYTHON_TWINS := reference/asyncio-to-tokio.ipynb

# Every notebook is paired with a text file beside it in jupytext's percent
# format (its metadata says so): notebooks/NN-name.rs, reference/asyncio-to-tokio.py.
# jupytext --sync takes the cells of whichever file of a pair is newer and
# rewrites the other, keeping the notebook's outputs; the trust warning is
# about outputs jupytext does not run, so it is dropped.
PAIRED := $(NOTEBOOKS) $(PYTHON_TWINS)
sync-text: $(VENV)/.installed
	$(VENV)/bin/jupytext --sync $(PAIRED) 2>&1 | { grep -v 'Notebook is not trusted' || true; }

# Text edits first (so that executing cannot drop them), then every notebook
# and twin executed, then notebook 05 and its twin quote each other's lines in
# their `differs` sections, written with their text files.
record: setup sync-text
	$(PY) tools/run_notebooks.py --timeout $(CELL_TIMEOUT) --in-place $(NOTEBOOKS) $(PYTHON_TWINS)
	$(PY) tools/quote_other_side.py

# --- tests --------------------------------------------------------------------

# Without features (what notebooks 01-03 load) and with all (notebook 04's
# HTTP stack and its tests). The examples are built as programs first: the
# contract tests start the standalone mock LLM (`cargo test` alone builds
# examples whose own tests it runs only as test binaries).
check: $(STAMPS)/tools
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --all-features -- -D warnings
	cargo build --all-features --examples
	cargo test --all-features

# The CPython twins run on the venv's own python3 kernel, in a pytest of their
# own: --nbval-kernel-name applies to every notebook of one run.

notebook-test: setup
	$(PY) -m pytest -p no:cacheprovider --nbval $(NOTEBOOKS) tests/ \
	  --nbval-sanitize-with tools/nbval-sanitize.cfg \
	  --nbval-cell-timeout $(CELL_TIMEOUT) --nbval-kernel-startup-timeout $(CELL_TIMEOUT) --nbval-kernel-name rust
	$(PY) -m pytest -p no:cacheprovider --nbval $(PYTHON_TWINS) \
	  --nbval-sanitize-with tools/nbval-sanitize.cfg \
	  --nbval-cell-timeout $(CELL_TIMEOUT) --nbval-kernel-name python3

test: check notebook-test

# Debian's Chromium: Playwright's own browser download cannot work offline.
/usr/bin/chromium:
	@test "$$(id -u)" = 0 || { echo "error: /usr/bin/chromium missing; install Debian's chromium package (as root: apt-get install chromium)" >&2; exit 1; }
	apt-get update -qq && apt-get install -y -qq chromium

E2E_TIMEOUT ?= 900

e2e: setup /usr/bin/chromium
	$(PY) tools/e2e.py --timeout $(E2E_TIMEOUT)

# --- measurements -------------------------------------------------------------

# Several minutes, a few GB of memory at 10M searches; not part of make test.
bench: $(STAMPS)/tools
	cargo build --release -p async_walkthrough --example scale
	python3 tools/bench_scale.py --runs $(BENCH_RUNS) --out $(BENCH_OUT) $(if $(BENCH_MAX_TASKS),--max-tasks $(BENCH_MAX_TASKS))

repeat-walkthrough: setup
	$(PY) tools/repeat_notebook.py --runs $(RUNS) --timeout $(CELL_TIMEOUT) notebooks/01-asyncio-walkthrough.ipynb

NOTEBOOK ?= notebooks/02-beyond-the-post.ipynb

repeat-notebook: setup
	$(PY) tools/repeat_notebook.py --runs $(RUNS) --timeout $(CELL_TIMEOUT) $(NOTEBOOK)

repeat-exercises: setup
	$(PY) tools/exercises.py --runs $(RUNS) --timeout $(CELL_TIMEOUT)

bench-walkthrough: setup
	$(PY) tools/bench_walkthrough.py --timeout $(CELL_TIMEOUT)

CONNECTIONS ?= 5000
LATENCY_MS ?= 1000
OHA_VERSION := 1.16.0
OHA := $(CARGO_BIN)/oha

# oha, the load generator that measures the standalone serving layer, only
# when this exact version is missing (a few minutes to build). Version 1.16
# does not build without its TLS feature, so its default (rustls) stays on.
$(STAMPS)/oha-$(OHA_VERSION): $(STAMPS)/tools
	@if test -x "$(OHA)" && cargo install --list | grep -q "^oha v$(OHA_VERSION):"; then \
	  echo "oha $(OHA_VERSION) already installed"; \
	else \
	  echo "installing oha $(OHA_VERSION) (takes a few minutes)"; \
	  cargo install --locked oha --version $(OHA_VERSION); \
	fi
	@touch $@

# serve_bench's line (our own clients), then oha's summary of the standalone
# mock_llm and serve examples, each in its own process.
bench-serving: $(STAMPS)/tools $(STAMPS)/oha-$(OHA_VERSION)
	cargo run --release -p async_walkthrough --features llm --example serve_bench -- --connections $(CONNECTIONS) --latency-ms $(LATENCY_MS)
	cargo build --release -p async_walkthrough --features llm --example mock_llm --example serve
	python3 tools/bench_oha.py --connections $(CONNECTIONS) --latency-ms $(LATENCY_MS) --oha $(OHA)

# The reliability tests are part of `cargo test`; this runs only them and
# keeps only the lines with their measured figures (printed to stderr, which
# the test harness does not capture). About two and a half minutes.
RELIABILITY_TESTS := slow_clients fd_limit reliability gather_faults no_leak spawn_blocking_runs

reliability: $(STAMPS)/tools
	cargo test -p async_walkthrough --features llm $(addprefix --test ,$(RELIABILITY_TESTS)) 2>&1 | grep -oE '\[reliability\].*|^test result.*|.*FAILED.*|.*panicked.*'

SPAWN_BLOCKING_RUNS ?= 200
SPAWN_BLOCKING_GAP_EVERY ?= 10

# 200 runs of 3 s, and an 11 s pause before every 10th: about 14 minutes.
repeat-spawn-blocking: $(STAMPS)/tools
	SPAWN_BLOCKING_RUNS=$(SPAWN_BLOCKING_RUNS) SPAWN_BLOCKING_GAP_EVERY=$(SPAWN_BLOCKING_GAP_EVERY) \
	  cargo test -p async_walkthrough --test spawn_blocking_runs 2>&1 | grep -oE '\[reliability\].*|^test result.*|.*FAILED.*|.*panicked.*'

clean:
	rm -rf target/notebooks target/evcxr target/evcxr-* target/evcxr.lock
