# Porchlight — the two commands:
#   make run    build and start Porchlight with a demo board
#   make test   everything CI checks
SHELL := /bin/bash
CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/target/demo-profile
PORCHLIGHT := $(CURDIR)/target/debug/porchlight

# CI builds once from a fresh clone: incremental state would only take disk.
ifdef CI
export CARGO_INCREMENTAL := 0
endif

.PHONY: run test deps build fmt-check clippy rust-tests demo bench bench-ui bench-listings bench-sync fuzz fuzz-api deploy-check interop-deps ui-deps ui-build ui-check ui-test bindings

# System packages: the Tauri 2 libraries, a virtual display and WebDriver for
# the end-to-end tests, a Secret Service (gnome-keyring) for the keychain
# test, a notification daemon (dunst) that shows the app's reminders under
# Xvfb, and PostgreSQL and NATS, of which the relay tests start throwaway
# instances of their own (no service is used or needs to run). Only what is missing is installed (apt-get, as root or with sudo).
APT_PACKAGES := build-essential pkg-config curl wget file libssl-dev libwebkit2gtk-4.1-dev \
	libxdo-dev libayatana-appindicator3-dev librsvg2-dev xvfb xauth webkit2gtk-driver \
	gnome-keyring libsecret-tools dbus dbus-x11 imagemagick dunst python3-venv \
	postgresql nats-server python3-yaml

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
	@command -v tauri-driver >/dev/null 2>&1 || $(CARGO) install tauri-driver --locked

# The UI's npm packages, pinned by ui/package-lock.json. `npm ci` first; the
# package mirror this project is built on serves only this platform's
# optional packages (rollup, esbuild), which npm 11 then leaves out of the
# lock file, so `npm ci` can refuse it: then `npm install` from the same lock.
ui-deps:
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install -y nodejs npm)"; exit 1; }
	@[ -x ui/node_modules/.bin/vite ] || (cd ui && (npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund --no-save))

# The desktop shell embeds ui/dist at compile time, so it is built first.
ui-build: ui-deps
	cd ui && npm run build

ui-check: ui-deps
	cd ui && npm run check

ui-test: ui-deps
	cd ui && npm test

# Regenerates ui/src/lib/bindings from the Rust types (commit the result).
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p porchlight-app --test bindings

# The JavaScript automerge-repo peer of the interoperability tests, pinned by
# interop/js/package-lock.json. (`npm install --no-save` rather than `npm ci`:
# npm 11 writes optional platform packages into the lock without versions
# when lockfile "resolved" fields are omitted, and `npm ci` then refuses it.)
interop-deps:
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install -y nodejs npm)"; exit 1; }
	@[ -d interop/js/node_modules/@automerge/automerge-repo-storage-nodefs ] || npm install --prefix interop/js --no-save --no-audit --no-fund
	@# Python's icalendar reads the relay's calendar feeds in its tests, and
	@# aiosmtpd receives its email.
	@target/interop-venv/bin/python -c "import icalendar, recurring_ical_events, aiosmtpd" 2>/dev/null || \
		{ python3 -m venv target/interop-venv && target/interop-venv/bin/pip install -q -r interop/requirements.txt; }

# --all-targets: the binaries are built with the same feature set as the
# tests (dev-dependencies unify features), so `make run` and `make test`
# share one build instead of each compiling everything.
build: deps ui-build
	$(CARGO) build --workspace --all-targets

run: build
	@scripts/run.sh

demo:
	@scripts/demo.sh "$(PORCHLIGHT)" "$(DEMO_DIR)"

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: ui-build
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Every test, then the relay's own suites again on PostgreSQL.
rust-tests: ui-build
	$(CARGO) nextest run --workspace --no-fail-fast
	@# The workspace's build, filtered to the relay's tests (`-p` alone would
	@# resolve features for one package and compile its dependencies again).
	PORCHLIGHT_TEST_DATABASE=postgres $(CARGO) nextest run --workspace -E 'package(porchlight-relay)' --no-fail-fast

test: deps interop-deps ui-deps fmt-check clippy ui-check ui-test rust-tests fuzz-api deploy-check

bench:
	$(CARGO) bench -p porchlight-store --bench core

# The listing cache: import 50,000 and search 100,000 (figures for BENCHMARKS.md).
bench-listings:
	$(CARGO) bench -p porchlight-store --bench listings

# The fuzz targets under libFuzzer on the stable toolchain (coverage
# instrumentation without a sanitizer): FUZZ_SECONDS each, corpora in
# target/fuzz-corpus. `cargo +nightly fuzz run --fuzz-dir shared/fuzz T` works too, with ASan.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= rets_compact reso_page listings_csv wire_frame quick_add
FUZZ_FLAGS = -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
	-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks
fuzz:
	cd shared/fuzz && RUSTFLAGS="$(FUZZ_FLAGS)" $(CARGO) build --release --target x86_64-unknown-linux-gnu \
		--target-dir ../../target/fuzz $(addprefix --bin ,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do mkdir -p target/fuzz-corpus/$$t && \
		target/fuzz/x86_64-unknown-linux-gnu/release/$$t -max_total_time=$(FUZZ_SECONDS) target/fuzz-corpus/$$t || exit 1; done

# schemathesis (PyPI, in target/fuzz-api-venv) against the relay's OpenAPI
# document: no 5xx, every answer as documented. FUZZ_API_EXAMPLES per route
# (CI: 25; more for a longer hunt).
FUZZ_API_EXAMPLES ?= 25
fuzz-api:
	$(CARGO) build -q --workspace --all-targets
	FUZZ_API_EXAMPLES=$(FUZZ_API_EXAMPLES) scripts/fuzz-api.sh

# deploy/: the systemd unit verified, the YAML parsed, the settings known.
deploy-check:
	$(CARGO) build -q --workspace --all-targets
	scripts/check-deploy.sh

# A cold sync of 50,000 shared listings to a second device through a relay.
bench-sync:
	$(CARGO) test --release -p porchlight-cli --test sync_bench -- --ignored --nocapture

# UI timings of the real (release) app under Xvfb (figures for BENCHMARKS.md).
bench-ui: ui-build
	$(CARGO) build --release -p porchlight-app
	$(CARGO) test -p porchlight-app --test ui_bench -- --ignored --nocapture --test-threads 1
