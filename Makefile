# The two commands of the README: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: help install lock run test test-sqlite test-postgres lint bench widget widget-deps admin-styles browser-deps postgres clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Exactly the pinned, hash-checked versions of requirements.lock; then the app itself, editable, adding nothing.
install: $(BIN)/python ## Create .venv and install the app with its test tools, as pinned in requirements.lock
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .

lock: install ## Re-pin requirements.lock from pyproject.toml (keeps pins that still fit; UPGRADE=1 takes the newest)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
		--quiet --custom-compile-command "make lock" -o requirements.lock $(if $(UPGRADE),--upgrade)

# `make run` is demo mode, with its own address in the links of e-mails and one secret key and one token key
# for all its processes, kept in var/ (gitignored) so that sessions, unsubscribe links and the shops' access
# tokens outlive a restart.
SECRET_KEY_FILE ?= var/secret_key
TOKEN_KEY_FILE ?= var/token_key
# The demo's mail catcher takes MAIL_PORT, else a port free right now (1025 may be another catcher's).
MAIL_PORT ?=
FREE_PORT = import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
DEMO_ENV = LOYALTY_DEMO=1 LOYALTY_PUBLIC_URL=http://$(HOST):$(PORT) LOYALTY_SECRET_KEY=$$(cat $(SECRET_KEY_FILE)) \
	LOYALTY_TOKEN_KEYS=$$(cat $(TOKEN_KEY_FILE))

run: $(VENV)/.installed $(SECRET_KEY_FILE) $(TOKEN_KEY_FILE) ## Install, migrate, seed the demo shop and serve on http://127.0.0.1:8000 (demo page: /demo, e-mails: var/mail)
	$(DEMO_ENV) $(BIN)/loyalty db-upgrade
	$(DEMO_ENV) $(BIN)/loyalty seed-demo
	@echo "Demo storefront: http://$(HOST):$(PORT)/demo  (Dutch: /demo?lang=nl)"
	mail_port=$(or $(MAIL_PORT),$$($(BIN)/python -c '$(FREE_PORT)')); \
	echo "Demo e-mails: var/mail (a Maildir), caught by a local SMTP server on 127.0.0.1:$$mail_port"; \
	$(BIN)/aiosmtpd -n -l 127.0.0.1:$$mail_port -c aiosmtpd.handlers.Mailbox var/mail & mail=$$!; \
	LOYALTY_SMTP__PORT=$$mail_port $(DEMO_ENV) $(BIN)/loyalty worker --idle-seconds 2 & worker=$$!; \
	trap 'kill $$mail $$worker' EXIT; \
	$(DEMO_ENV) PROMETHEUS_MULTIPROC_DIR=var/metrics $(BIN)/gunicorn --bind $(HOST):$(PORT) \
		--config python:webhooks.gunicorn_conf --workers 2 --threads 4 'webhooks.app:create_app()'

# Installs again only when the pins or the project's metadata changed (a second `make run` starts at once).
$(VENV)/.installed: requirements.lock pyproject.toml
	$(MAKE) install
	touch $@

# Made once, readable by its owner only; kept across runs (`make clean` removes it with var/).
$(SECRET_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@.new && mv $@.new $@

# A Fernet key (32 random bytes, url-safe base64), made and kept the same way.
$(TOKEN_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())' \
		> $@.new && mv $@.new $@

browser-deps: ## Install Debian's chromium for the browser tests (if missing)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

postgres: ## Start the local PostgreSQL server if it is down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; exit 1

test: install widget-deps extensions-deps admin/node_modules/.package-lock.json browser-deps postgres lint ## Install everything, then run the whole suite on SQLite and on PostgreSQL
	$(MAKE) test-sqlite test-postgres

test-sqlite:
	$(BIN)/pytest -q -n 2 --dist loadfile

test-postgres:
	LOYALTY_TEST_DATABASE=postgresql LOYALTY_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/pytest -q -n 2 --dist loadfile -m "not browser"

lint: ## ruff (checks and formatting), mypy and the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install postgres ## Print the benchmarks' figures (not part of the tests)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

widget: widget-deps ## Rebuild the storefront widget from its TypeScript source
	npm --prefix storefront_widget run build

# The widget's build tools, exactly as its lock file pins them (a test checks the committed build with them).
widget-deps: storefront_widget/node_modules/.package-lock.json

storefront_widget/node_modules/.package-lock.json: storefront_widget/package-lock.json
	npm --prefix storefront_widget ci --no-audit --no-fund

# The Shopify CLI project (shopify.app.toml, shopify.web.toml). Each UI extension's packages exactly as its lock
# file pins them, and the tools that bundle the extensions as the CLI does and test them (Theme Check, a DOM).
SHOPIFY_PROJECT := storefront_widget/shopify
EXTENSION_DEPS := $(patsubst %/package-lock.json,%/node_modules/.package-lock.json,\
	$(wildcard $(SHOPIFY_PROJECT)/package-lock.json $(SHOPIFY_PROJECT)/extensions/*/package-lock.json))
.PHONY: extensions extensions-deps shopify-dev

extensions: extensions-deps ## Build every Shopify UI extension from source into storefront_widget/shopify/build/
	node $(SHOPIFY_PROJECT)/build.mjs

extensions-deps: $(EXTENSION_DEPS)

$(SHOPIFY_PROJECT)/node_modules/.package-lock.json: $(SHOPIFY_PROJECT)/package-lock.json
	npm --prefix $(SHOPIFY_PROJECT) ci --no-audit --no-fund

$(SHOPIFY_PROJECT)/extensions/%/node_modules/.package-lock.json: $(SHOPIFY_PROJECT)/extensions/%/package-lock.json
	npm --prefix $(dir $<) ci --no-audit --no-fund

# Run by `shopify app dev` (shopify.web.toml), which passes the app's credentials, its tunnel's URL and a PORT.
# The backend and its worker, with the database and keys of `make run` but not in demo mode.
SHOPIFY_DEV_ENV = LOYALTY_PUBLIC_URL=$(APP_URL) SHOPIFY_CLIENT_ID=$(SHOPIFY_API_KEY) \
	SHOPIFY_CLIENT_SECRET=$(SHOPIFY_API_SECRET) LOYALTY_SECRET_KEY=$$(cat $(SECRET_KEY_FILE)) \
	LOYALTY_TOKEN_KEYS=$$(cat $(TOKEN_KEY_FILE))

shopify-dev: $(VENV)/.installed $(SECRET_KEY_FILE) $(TOKEN_KEY_FILE)
	@test -n "$(APP_URL)" -a -n "$(SHOPIFY_API_KEY)" || { echo "Run by shopify app dev, which sets APP_URL and SHOPIFY_API_KEY"; exit 1; }
	$(SHOPIFY_DEV_ENV) $(BIN)/loyalty db-upgrade
	$(SHOPIFY_DEV_ENV) $(BIN)/loyalty worker --idle-seconds 2 & worker=$$!; trap 'kill $$worker' EXIT; \
	$(SHOPIFY_DEV_ENV) $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --config python:webhooks.gunicorn_conf \
		--workers 2 --threads 4 'webhooks.app:create_app()'

admin-styles: admin/node_modules/.package-lock.json ## Write admin/static/polaris-tokens.css from npm @shopify/polaris-tokens
	{ echo "/* @shopify/polaris-tokens $$(node -p "require('./admin/node_modules/@shopify/polaris-tokens/package.json').version") dist/css/styles.css, written by make admin-styles */"; \
	  cat admin/node_modules/@shopify/polaris-tokens/dist/css/styles.css; } > admin/static/polaris-tokens.css

admin/node_modules/.package-lock.json: admin/package-lock.json
	npm --prefix admin ci --no-audit --no-fund

clean: ## Remove the venv, the local database and test artifacts
	rm -rf $(VENV) var test-artifacts

# mutmut writes its mutants/ next to the code it mutates: a copy in var/ keeps them out of the tree and the linters.
# The unit tests read fixtures from ../shared beside the checkout; the link lets them find it from the copy.
# An equivalent mutant is marked `# pragma: no mutate` (it skips the whole line) with a comment saying why.
MUTATION_DIR := var/mutation
.PHONY: mutation
mutation: install ## Mutation testing of rules, ledger and services against tests/unit (slow, not in CI; ONLY=plugin.ledger*)
	mkdir -p $(MUTATION_DIR) && rm -rf $(addprefix $(MUTATION_DIR)/,plugin webhooks storefront_widget admin tests)
	cp -r plugin webhooks storefront_widget admin tests app.toml shopify.app.toml pyproject.toml $(MUTATION_DIR)/
	ln -sfn $(abspath ../shared) $(MUTATION_DIR)/shared
	cd $(MUTATION_DIR) && $(abspath $(BIN))/mutmut run --max-children 1 $(if $(ONLY),"$(ONLY)")
	cd $(MUTATION_DIR) && $(abspath $(BIN))/mutmut results
