# The two README commands: `make run` (the suite, on a local stack) and `make test`.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run stop test faults bench lint venv lock stack-up stack-down status token catalogues asyncapi-parser browser tools console

# Python >= 3.11: the newest one on the PATH
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

venv: $(STAMP)

## every package at the version and hash of requirements-dev.lock, then the project itself
$(STAMP): pyproject.toml requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "make: Python >= 3.11 is needed" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-dev.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $(STAMP)

## the lock files written again from pyproject.toml (uv, in a virtualenv of its own): requirements.lock
## for the image, requirements-dev.lock for make; commit both
UV := .stack/uv/bin/uv
lock:
	@test -x $(UV) || { $(PYTHON) -m venv .stack/uv && .stack/uv/bin/pip install --quiet uv==0.13.9; }
	$(UV) pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 \
	  --quiet -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
	  --quiet -o requirements-dev.lock

## the official AsyncAPI parser (Node, from the npm registry), which the contract tests run
PARSER := contracts/asyncapi-parser
asyncapi-parser: $(PARSER)/node_modules/.installed

$(PARSER)/node_modules/.installed: $(PARSER)/package-lock.json
	npm ci --prefix $(PARSER) --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

## the officer console (console/): its packages from the lock file, then built by Vite into console/dist
CONSOLE := console
console: $(CONSOLE)/node_modules/.installed
	npm run --prefix $(CONSOLE) --silent build

$(CONSOLE)/node_modules/.installed: $(CONSOLE)/package-lock.json
	npm ci --prefix $(CONSOLE) --no-audit --no-fund --loglevel=error
	touch $@

## the local stack (devstack/, `$(DEVSTACK) --help`): RabbitMQ and the store, installed and started where
## missing; their URIs in .stack/env
DEVSTACK := $(VENV)/bin/python -m devstack

stack-up: venv
	$(DEVSTACK) up

stack-down: venv
	$(DEVSTACK) down

## run the suite: five services and the gateway as separate processes on a local stack
run: venv console stack-up
	$(DEVSTACK) start

## stop what `make run` started: the services, then the local stack
stop: venv
	$(DEVSTACK) stop
	$(DEVSTACK) down

## print a locally signed bearer token, e.g. make -s token ARGS='--sub alice --role ORG_ADMIN'
token: venv
	@test -f .stack/auth.env || { echo "make: no local secret yet; run 'make run' first" >&2; exit 1; }
	@set -a && . .stack/auth.env && set +a && $(VENV)/bin/cadrectl token $(ARGS)

status: venv
	-$(DEVSTACK) status

## lint, the console's component tests, then every test against the real stack, the console's browser
## tests last (a pytest session of their own: console/e2e/conftest.py says why); a stack it had to
## start is stopped afterwards
## (`make stack-up` first keeps it running between test runs)
browser: venv
	$(DEVSTACK) browser

## the validators the deploy tests run, into .stack/bin: promtool and shellcheck from Debian's packages,
## kustomize and kubeconform built from the Go module proxy
tools: venv
	$(DEVSTACK) tools

test: venv asyncapi-parser browser tools console
	$(VENV)/bin/ruff check .
	npm test --prefix $(CONSOLE) --silent
	$(DEVSTACK) up
	set -a && . .stack/env && set +a && \
	$(VENV)/bin/pytest --amqp-uri "$$AMQP_URI" --rabbit-api-uri "$$RABBIT_API_URI" $(PYTEST_ARGS) && \
	$(VENV)/bin/pytest console/e2e --amqp-uri "$$AMQP_URI" --rabbit-api-uri "$$RABBIT_API_URI" $(PYTEST_ARGS); \
	rc=$$?; $(DEVSTACK) down-started; exit $$rc

## the fault-injection suite on its own (also part of `make test`): it starts a RabbitMQ node and a
## store of its own (stack-up installs and builds them); figures print and go to .stack/faults/
faults: venv
	$(DEVSTACK) up
	set -a && . .stack/env && set +a && \
	$(VENV)/bin/pytest -m faults tests/faults --amqp-uri "$$AMQP_URI" --rabbit-api-uri "$$RABBIT_API_URI" \
	  $(PYTEST_ARGS); rc=$$?; $(DEVSTACK) down-started; exit $$rc

## every benchmark on a RabbitMQ node and FerretDB of its own (bench/); results in bench/results/latest.{md,json};
## stops afterwards whatever part of the stack it had to start, as `make test` does
bench: venv
	$(DEVSTACK) up
	set -a && . .stack/env && set +a && $(VENV)/bin/python -m bench.run $(BENCH_ARGS); \
	  rc=$$?; $(DEVSTACK) down-started; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .

## regenerate the event catalogue (docs/asyncapi.yaml) and the RPC catalogue (docs/rpc-catalogue.json)
catalogues: venv
	$(VENV)/bin/python -m contracts.catalogue
