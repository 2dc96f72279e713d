#!/usr/bin/env bash
# Runs the same load against porchlight-relay and the JavaScript reference
# server (automerge-repo Repo + WebSocketServerAdapter + NodeFSStorageAdapter),
# one after the other on this machine, and prints both reports.
#
#   sync-server/benches/compare.sh [clients] [docs] [rate] [seconds] [history]
#
# history: changes each document already has before the load starts.
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-200}
docs=${2:-20}
rate=${3:-200}
seconds=${4:-10}
history=${5:-0}
cargo build --release -q -p porchlight-relay -p porchlight-cli -p porchlight-loadgen
make -s interop-deps
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_addr() { # file → addr printed as addr=HOST:PORT
  for _ in $(seq 1 100); do
    addr=$(grep -o 'addr=[0-9.:]*' "$1" | head -1 | cut -d= -f2 || true)
    [ -n "$addr" ] && { echo "$addr"; return; }
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}

echo "== porchlight-relay =="
./target/release/porchlight-relay serve --listen 127.0.0.1:0 --data-dir "$work/relay" > "$work/relay.log" 2>&1 &
relay_pid=$!
addr=$(wait_addr "$work/relay.log")
pl() { PORCHLIGHT_SECRETS=file ./target/release/porchlight --data-dir "$work/profile" "$@"; }
echo "benchmark password" | pl signup --relay "http://$addr" --email bench@example.com > /dev/null
echo "benchmark password" | pl login --relay "http://$addr" --email bench@example.com > /dev/null 2>&1
team=$(pl --json team create Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
token=$(pl apikey create --team Bench --scope write --name loadgen 2>/dev/null)
./target/release/porchlight-loadgen --url "ws://$addr/sync" --token "$token" --register-team "$team" \
  --clients "$clients" --docs "$docs" --rate "$rate" --seconds "$seconds" --history "$history" --server-pid "$relay_pid" --json | tee "$work/porchlight.json" || true
kill "$relay_pid"

echo "== JavaScript reference server =="
(cd interop/js && exec node reference-server.mjs 0 "$work/reference") > "$work/ref.log" 2>&1 &
ref_pid=$!
addr=$(wait_addr "$work/ref.log")
./target/release/porchlight-loadgen --url "ws://$addr" \
  --clients "$clients" --docs "$docs" --rate "$rate" --seconds "$seconds" --history "$history" --server-pid "$ref_pid" --json | tee "$work/reference.json" || true
kill "$ref_pid"
