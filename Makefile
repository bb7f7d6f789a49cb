# Everything a fresh machine needs is installed from here, never by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-prometheus soak alert-noise generate prometheus-tools chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# Debian's prometheus package brings both `prometheus` and `promtool` (2.42);
# prometheus-alertmanager brings `amtool`, which checks the compose stack's Alertmanager config.
prometheus-tools:
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1 \
			|| ! command -v amtool >/dev/null 2>&1; then \
		echo "installing Debian's prometheus and prometheus-alertmanager packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			prometheus prometheus-alertmanager >/dev/null; \
	fi

# Debian's chromium: the status page's tests look at it in a real (headless) browser.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian's chromium package (headless browser for the page tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# With OPENROUTER_API_KEY set: the real API with config.example.yaml's defaults.
# Without it: the demo, the exporter against the built-in simulator.
# Extra flags: make run ARGS=--web.listen-address=127.0.0.1:10111
ARGS ?=
run: $(STAMP)
	@if [ -n "$$OPENROUTER_API_KEY" ]; then \
		exec $(VENV)/bin/openrouter-exporter --config.file=config.example.yaml $(ARGS); \
	else \
		exec $(VENV)/bin/openrouter-exporter demo $(ARGS); \
	fi

# Every Python file in the repository (ruff skips .venv and .gitignored paths).
LINT_PATHS := .

# Test files run in parallel, one worker per core; a file's tests stay on one worker, so
# the expensive module fixtures (exporters, Prometheus servers) are built once.
test: lint prometheus-tools chromium
	$(PY) -m pytest -n auto --dist loadfile

# ruff is pinned in pyproject.toml: format output must not change with a new release.
# lint-imports checks the import contracts ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/lint-imports --no-cache

# Dashboards, rule files and Kubernetes manifests, from mixin/ (one config).
generate: $(STAMP)
	$(PY) -m mixin

bench: $(STAMP)
	$(PY) -m bench.run

# What our recording rules, alerts and dashboards cost a real Prometheus (bench/prometheus.py):
# two servers, with and without the rules, side by side for BENCH_SECONDS (default 300).
BENCH_SECONDS ?=
bench-prometheus: $(STAMP) prometheus-tools
	$(PY) -m bench.prometheus $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info

# Seeded simulated weeks of the whole exporter (soak/): make soak SEEDS=20 DAYS=7;
# reproduce one run with make soak CONFIGS=maximal SEED=17.
SEEDS   ?= 20
DAYS    ?= 7
CONFIGS ?= default,maximal
SEED    ?=
soak: $(STAMP)
	$(PY) -m soak --seeds $(SEEDS) --days $(DAYS) --configs $(CONFIGS) $(if $(SEED),--seed $(SEED))

# Notifications the shipped market alerts would have sent over a recorded market
# (tools/alert_noise/): make alert-noise REPLAY=FILE.csv (a rankings-daily CSV); by default
# ../shared/reference/real-market/'s extract, else its copy in tests/fixtures/real-market/.
REPLAY ?=
alert-noise: $(STAMP) prometheus-tools
	$(PY) -m tools.alert_noise $(if $(REPLAY),--replay $(REPLAY))
