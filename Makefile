# Porchlight — the two commands:
#   make run    build and start Porchlight with a demo board
#   make test   everything CI checks
SHELL := /bin/bash
CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/target/demo-profile
PORCHLIGHT := $(CURDIR)/target/debug/porchlight

.PHONY: run test deps build fmt-check clippy rust-tests demo bench interop-deps

# Installs what is missing. The desktop app (with its system libraries) and
# the relay come with their own issues; today the product is the CLI.
deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is missing: install it from https://rustup.rs and re-run"; exit 1; }
	@command -v cargo-nextest >/dev/null 2>&1 || $(CARGO) install cargo-nextest --locked
	@rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy

# The JavaScript automerge-repo peer of the interoperability tests, pinned by
# interop/js/package-lock.json. (`npm install --no-save` rather than `npm ci`:
# npm 11 writes optional platform packages into the lock without versions
# when lockfile "resolved" fields are omitted, and `npm ci` then refuses it.)
interop-deps:
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install -y nodejs npm)"; exit 1; }
	@[ -d interop/js/node_modules/@automerge/automerge-repo-storage-nodefs ] || npm install --prefix interop/js --no-save --no-audit --no-fund

build: deps
	$(CARGO) build --workspace

run: build demo
	@echo
	@echo "Porchlight demo profile: $(DEMO_DIR)"
	@echo "Try:  $(PORCHLIGHT) --data-dir $(DEMO_DIR) task list"
	@echo "      $(PORCHLIGHT) --data-dir $(DEMO_DIR) task add \"Call the seller friday 10am #followup !high\" --board \"12 Oak St listing\""
	@echo "      $(PORCHLIGHT) --data-dir $(DEMO_DIR) focus"

demo:
	@scripts/demo.sh "$(PORCHLIGHT)" "$(DEMO_DIR)"

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-tests:
	$(CARGO) nextest run --workspace --no-fail-fast

test: deps interop-deps fmt-check clippy rust-tests

bench:
	$(CARGO) bench -p porchlight-core --bench core
