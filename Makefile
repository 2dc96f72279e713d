# Porchlight — the two commands:
#   make run    build and start Porchlight with a demo board
#   make test   everything CI checks
SHELL := /bin/bash
CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/target/demo-profile
PORCHLIGHT := $(CURDIR)/target/debug/porchlight

.PHONY: run test deps build fmt-check clippy rust-tests demo bench interop-deps

# System packages: the Tauri 2 libraries, a virtual display and WebDriver for
# the end-to-end tests, and a Secret Service (gnome-keyring) for the keychain
# test. Only what is missing is installed (apt-get, as root or with sudo).
APT_PACKAGES := build-essential pkg-config curl wget file libssl-dev libwebkit2gtk-4.1-dev \
	libxdo-dev libayatana-appindicator3-dev librsvg2-dev xvfb xauth webkit2gtk-driver \
	gnome-keyring libsecret-tools dbus dbus-x11 imagemagick

# Installs what is missing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
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
