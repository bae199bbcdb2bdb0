# The README's two commands: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := demo

.PHONY: demo test lint format bench clean chromium java

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/trendwatch simulate --out $(DEMO)/archive --seed 7
	$(BIN)/trendwatch ingest $(DEMO)/archive/*.jsonl --db $(DEMO)/trendwatch.duckdb
	$(BIN)/trendwatch info --db $(DEMO)/trendwatch.duckdb
	$(BIN)/trendwatch report --db $(DEMO)/trendwatch.duckdb -o $(DEMO)/report.html

test: $(STAMP) chromium java
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -q

# Browser tests use Debian's chromium (never a downloaded browser). Installed only when absent
# and we are root with apt-get; never fails the build: without it the browser tests skip.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium) >/dev/null 2>&1 \
			|| echo "chromium could not be installed: the browser tests will skip"; \
	fi

# The Spark tests need a Java runtime (Spark 4.0: Java 17 or 21). Installed from Debian only when
# absent and we are root with apt-get; without it the Spark tests skip.
java:
	@if ! command -v java >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's Java runtime for the Spark tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq openjdk-17-jre-headless) >/dev/null 2>&1 \
			|| echo "Java could not be installed: the Spark tests will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
