# Two commands for a newcomer: `make demo` and `make test`. Everything runs inside .venv.
PYTHON_SYSTEM ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The four MNIST files: the shared copy beside the checkout when present, else data/mnist.
MNIST_DATA_DIR ?= $(if $(wildcard ../shared/data/mnist/train-images-idx3-ubyte.gz),$(abspath ../shared/data/mnist),$(abspath data/mnist))
export MNIST_DATA_DIR
# The CI suite on two workers, each test file on one of them (its module fixtures built once).
PYTEST_FAST := -q -n 2 --dist loadfile

.PHONY: demo test test-slow test-cpus bench lessons clean

$(VENV)/.installed: requirements.txt
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

demo: $(VENV)/.installed  ## The comparison report: every model cross-checked and briefly trained in both frameworks (MNIST ones when present).
	$(PY) -m report.demo

test: $(VENV)/.installed  ## The CI suite: the format check, then the fast tests (result runs are slow).
	$(VENV)/bin/ruff format --check --quiet . && $(VENV)/bin/ruff check --quiet .
	$(PY) -m pytest $(PYTEST_FAST)

test-slow: $(VENV)/.installed  ## Result reproduction: multi-seed training runs (minutes).
	$(PY) -m pytest -q -m slow

test-cpus: $(VENV)/.installed  ## The CI suite again on the other CPU kind's kernel paths (harness/cpu.py PATHS).
	$(PY) -m harness.cpu --path avx2 -- $(PY) -m pytest $(PYTEST_FAST)
	$(PY) -m harness.cpu --path onednn -- $(PY) -m pytest $(PYTEST_FAST)

lessons: $(VENV)/.installed  ## Run every lesson and render it, with its real output, into lessons/*.md.
	$(PY) -m lessons.render

bench: $(VENV)/.installed  ## Speed, TF1 session vs PyTorch port, all models (~5 min; refuses on a busy machine).
	$(PY) -m bench.mnist_parse
	$(PY) -m bench --json runs/bench.json $(BENCH_FLAGS)
	$(PY) -m bench.readme_table runs/bench.json

clean:
	rm -rf $(VENV) runs
