# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 4566
DEMO_SPEC ?= specs/p2p-automation.yaml
export AWSPROV_HOME ?= $(CURDIR)/.awsprov

.PHONY: demo test realism lint schema bench clean install

# The suites that run under the realism layer (docs/testing.md#the-realism-layer): AWS's
# documented consistency windows and states, harsher than the emulator alone. `make test`
# runs each of them once, under the layer, and every other test once without it.
REALISM_SUITES := tests/test_examples.py tests/cli/test_seed_stacks_e2e.py \
                  tests/cli/test_kill9.py tests/cli/test_kill9_update.py \
                  $(wildcard tests/resources/test_*_lifecycle.py) \
                  tests/resources/test_kms_key.py tests/resources/test_secret.py

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## demo: local emulator, then plan → apply → verify → plan (no changes) → cost-estimate
demo: $(STAMP)
	$(BIN)/awsprov local start --port $(PORT)
	@set -e; trap '$(BIN)/awsprov local stop' EXIT; \
	echo '--- plan'; $(BIN)/awsprov --local plan $(DEMO_SPEC); \
	echo '--- apply'; $(BIN)/awsprov --local apply $(DEMO_SPEC) --yes; \
	echo '--- verify'; $(BIN)/awsprov --local verify $(DEMO_SPEC); \
	echo '--- plan again (expect no changes)'; \
	$(BIN)/awsprov --local plan $(DEMO_SPEC) --detailed-exitcode; \
	echo '--- cost-estimate (offline, list prices)'; \
	$(BIN)/awsprov cost-estimate $(DEMO_SPEC)

## test: install, lint, check the schema is current, run the whole suite: the example
## specs, seed stacks, lifecycle and kill -9 suites under AWS's documented behaviours
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 --dist loadfile $(addprefix --ignore=,$(REALISM_SUITES))
	$(MAKE) realism

realism: $(STAMP)
	AWSPROV_REALISM=1 $(BIN)/python -m pytest -n 2 --dist loadfile $(REALISM_SUITES)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

## schema: regenerate the committed JSON Schema from the resource registry
schema: $(STAMP)
	$(BIN)/awsprov schema > schema/awsprov.schema.json

bench: $(STAMP)
	$(BIN)/python bench/plan_scaling.py
	$(BIN)/python bench/stack_plan.py

clean:
	-$(BIN)/awsprov local stop 2>/dev/null
	rm -rf $(VENV) .awsprov .pytest_cache .ruff_cache build src/*.egg-info
