# SafeSlot. `make run` serves the local stack; `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The venv is (re)installed whenever a requirements file changes.
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt infra/requirements.txt | sha256sum | cut -c1-16)
CHECKOV := .venv-checkov/.installed-$(shell sha256sum infra/requirements-checkov.txt | cut -c1-16)
STAGE ?= staging
CONTEXT ?=  # more CDK context, e.g. -c domain_name=... -c alert_subscriptions=... (docs/deploy.md)
CDK := npx --yes aws-cdk@2.1148.1  # the CDK CLI, pinned (Dependabot does not see it: bump by hand)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: run test fuzz lint audit browser age bench synth deploy smoke clean controls

# Quiet on stdout (`make bench` prints its JSON report there); progress goes to stderr.
$(INSTALLED): requirements.txt requirements-dev.txt infra/requirements.txt
	@echo "installing $(VENV) (requirements changed)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt >&2
	@rm -f $(VENV)/.installed-* && touch $@

$(CHECKOV): infra/requirements-checkov.txt
	test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q --disable-pip-version-check -r infra/requirements-checkov.txt
	rm -f .venv-checkov/.installed-* && touch $@

run: $(INSTALLED)
	$(BIN)/python scripts/run_local.py

# The fuzz stage and a daily sample of the controls (5 a day: every control within a week) run first:
# CI reads the last summary printed, and it must be pytest's own. Three workers on two cores: with two, the
# suite used 1.4 cores (its tests wait on browsers, TOTP steps, spawned stacks and cache expiries), and a
# third worker fills that wait (measured on the same tree: 17.4 min with two, 14.4 with three).
test: lint audit $(CHECKOV) browser age
	$(MAKE) fuzz
	$(MAKE) controls SAMPLE=5
	$(BIN)/python -m pytest -n 3 --dist loadfile

# Schemathesis over GET /v1/openapi.json against a spawned local stack: no 5xx, nothing undocumented.
fuzz: $(INSTALLED)
	$(BIN)/python -m tests.harness.fuzz

# Debian's chromium, for the hosted booking page's tests in a real browser (tests/e2e/test_booking_page.py),
# and axe-core from npm for their accessibility checks (into .local/axe, never committed).
AXE_VERSION := $(shell sed -n 's/^AXE_VERSION = "\(.*\)".*/\1/p' tests/e2e/conftest.py)
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }
	@test -f .local/axe/node_modules/axe-core/axe.min.js || \
		npm install --prefix .local/axe --no-save --no-audit --no-fund -q axe-core@$(AXE_VERSION) >&2

# Debian's age, to open org exports as an owner would (tests/functional/exports; the tests install it too).
age:
	@command -v age >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q age; }

# Redocly's CLI from npm, pinned, into .local (never committed): it lints docs/openapi.yaml (redocly.yaml).
REDOCLY_VERSION := 2.77.0
REDOCLY := .local/redocly-$(REDOCLY_VERSION)/node_modules/.bin/redocly
$(REDOCLY):
	npm install --prefix .local/redocly-$(REDOCLY_VERSION) --no-save --no-audit --no-fund -q @redocly/cli@$(REDOCLY_VERSION) >&2

lint: $(INSTALLED) $(REDOCLY)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(REDOCLY) lint docs/openapi.yaml --format=stylish

# Known vulnerabilities with a fix in any pinned requirement fail the build (scripts/audit_dependencies.py).
audit: $(INSTALLED)
	$(BIN)/python scripts/audit_dependencies.py

bench: $(INSTALLED)
	@$(if $(SCALE),SAFESLOT_BENCH_SCALE=1 )$(BIN)/python -m bench

# Controls that prove themselves (security/controls.yaml): each removed in a temporary copy, its tests must
# fail. `make test` runs a daily sample. ONLY=<id> runs one; SAMPLE=N [SEED=S] a rotating daily sample.
controls: $(INSTALLED)
	@$(BIN)/python -m scripts.controls $(if $(ONLY),--only $(ONLY)) $(if $(SAMPLE),--sample $(SAMPLE) --seed $(or $(SEED),0))

synth: $(INSTALLED)
	cd infra && $(CDK) synth --all -c stage=$(STAGE) $(CONTEXT) --app "../$(BIN)/python app.py" --quiet

# Needs AWS credentials (an OIDC role in CI). INDEX_KEY_BLOB: see docs/deploy.md. The main stack first:
# its data key's ARN (output DataKeyArn) is what the replica stack replicates into the second region.
deploy: $(INSTALLED)
	cd infra && $(CDK) deploy SafeSlot-$(STAGE) -c stage=$(STAGE) -c index_key_blob=$(INDEX_KEY_BLOB) $(CONTEXT) \
		--app "../$(BIN)/python app.py" --require-approval never --outputs-file cdk-outputs-$(STAGE).json
	cd infra && $(CDK) deploy SafeSlot-$(STAGE)-replica --exclusively -c stage=$(STAGE) $(CONTEXT) \
		-c primary_key_arn=$$(../$(BIN)/python -c "import json; print(json.load(open('cdk-outputs-$(STAGE).json'))['SafeSlot-$(STAGE)']['DataKeyArn'])") \
		--app "../$(BIN)/python app.py" --require-approval never
	$(BIN)/python scripts/smoke.py infra/cdk-outputs-$(STAGE).json

clean:
	rm -rf $(VENV) .venv-checkov .local .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/chalice.out
