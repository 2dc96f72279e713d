#!/usr/bin/env bash
# schemathesis (PyPI) against the relay's own OpenAPI document: every
# documented route, with generated good and bad input, as a signed-in
# account that owns a team. Fails on any 5xx, any reply that breaks its
# documented schema, status or content type.
#
#   scripts/fuzz-api.sh [examples per operation]   (FUZZ_API_EXAMPLES)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-${FUZZ_API_EXAMPLES:-25}}
relay=${RELAY_BIN:-target/debug/porchlight-relay}
[ -x "$relay" ] || cargo build -q -p porchlight-relay
venv=$PWD/target/fuzz-api-venv
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$relay" serve --listen 127.0.0.1:0 --data-dir "$work/relay" > "$work/relay.log" 2>&1 &
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o 'addr=[0-9.:]*' "$work/relay.log" | head -1 | cut -d= -f2 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/relay.log"; echo "the relay did not start" >&2; exit 1; }
base="http://$addr"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
curl -sf -X POST "$base/api/signup" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"fuzzing passphrase"}' > /dev/null
token=$(curl -sf -X POST "$base/api/login" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"fuzzing passphrase","device":"schemathesis"}' | json '["token"]')
curl -sf -X POST "$base/api/teams" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Fuzz team"}' > /dev/null
# /sync is a WebSocket; revoking device 1 would sign the fuzzer itself out
# (the route is exercised by the relay's own tests).
# From the scratch directory: schemathesis keeps its cache in the current one.
(cd "$work" && "$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /sync --exclude-path '/api/devices/{id}' \
  --max-examples "$examples" --seed 20261207 --workers 1 \
  --suppress-health-check all --no-color)
if grep -q "panicked" "$work/relay.log"; then
  grep -B2 -A10 "panicked" "$work/relay.log"; exit 1
fi
