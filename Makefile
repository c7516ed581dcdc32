# Wearhouse: `make help` lists the targets.
UV ?= uv
export UV_PYTHON ?= 3.11

.PHONY: help install demo test lint format bench docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv

# Byte-compiled at install, as pip does: where PYTHONDONTWRITEBYTECODE is set (many container
# images, CI here) nothing else writes .pyc files, and every process, the dbt child of each
# transform included, would compile what it imports again (dbt: about 4 s instead of 2.5 s).
install: uv ## Create .venv from the lock file (runtime and dev dependencies)
	$(UV) sync --locked --compile-bytecode

demo: install ## Generate a fleet, ingest, transform and print the insights
	$(UV) run wearhouse demo

test: install ## Lint and run the whole test suite (what CI runs)
	$(UV) run ruff check src tests bench
	$(UV) run pytest

lint: install ## ruff check and format check, mypy
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run mypy src

format: install ## Format the code
	$(UV) run ruff format src tests bench
	$(UV) run ruff check --fix src tests bench

bench: install ## Pipeline benchmark at 200 users x 30 days (writes bench/results/)
	$(UV) run python bench/pipeline.py --users 200 --days 30 --hr-interval 5

docs: install ## Regenerate docs/cli.md from the code (a test checks it is current)
	$(UV) run typer wearhouse.cli.main utils docs --name wearhouse --output docs/cli.md

clean: ## Remove the local Wearhouse home and caches
	rm -rf .wearhouse .pytest_cache .ruff_cache .mypy_cache
