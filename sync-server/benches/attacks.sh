#!/usr/bin/env bash
# The relay under attack: a login flood and a presence flood against a
# release relay on this machine, each measured by porchlight-attack (a
# legitimate client's sync round trip, /healthz and the relay's RSS, idle
# and under attack). Prints one JSON report per attack.
#
#   sync-server/benches/attacks.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
cargo build --release -q -p porchlight-relay -p porchlight-loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # name, relay flags..., then -- attack args
  local name=$1; shift
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done; shift
  ./target/release/porchlight-relay serve --listen 127.0.0.1:0 --data-dir "$work/$name" "${flags[@]}" > "$work/$name.log" 2>&1 &
  local pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(grep -o 'addr=[0-9.:]*' "$work/$name.log" | head -1 | cut -d= -f2 || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  echo "== $name =="
  ./target/release/porchlight-attack --base "http://$addr" --pid "$pid" --seconds "$seconds" "$@"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run login-flood -- login-flood --concurrency 500
# A botnet: every attempt from another address (the relay trusts 127.0.0.1
# as its proxy, so X-Forwarded-For counts and the per-address limit does not
# help; the bound on password hashing at once does).
run login-flood-spread --trusted-proxy 127.0.0.1 -- login-flood --concurrency 500 --forwarded
run presence-flood -- presence-flood --readers 50 --size 61440
