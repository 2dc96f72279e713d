#!/usr/bin/env bash
# Holds many WebSocket connections to porchlight-relay at once, with light
# traffic on them, and reports the relay's RSS and propagation latency.
#
#   sync-server/benches/connections.sh [clients] [docs] [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-10000}
docs=${2:-1000}
rate=${3:-200}
seconds=${4:-20}
ulimit -n $((clients * 2 + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p porchlight-relay -p porchlight-cli -p porchlight-loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
./target/release/porchlight-relay serve --listen 127.0.0.1:0 --data-dir "$work/relay" > "$work/relay.log" 2>&1 &
relay_pid=$!
for _ in $(seq 1 100); do
  addr=$(grep -o 'addr=[0-9.:]*' "$work/relay.log" | head -1 | cut -d= -f2 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
pl() { PORCHLIGHT_SECRETS=file ./target/release/porchlight --data-dir "$work/profile" "$@"; }
echo "benchmark password" | pl signup --relay "http://$addr" --email bench@example.com > /dev/null
echo "benchmark password" | pl login --relay "http://$addr" --email bench@example.com > /dev/null 2>&1
team=$(pl --json team create Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
./target/release/porchlight-loadgen --url "ws://$addr/sync" --token "$(pl apikey create --team Bench --scope write --name loadgen 2>/dev/null)" --register-team "$team" \
  --clients "$clients" --docs "$docs" --rate "$rate" --seconds "$seconds" --server-pid "$relay_pid" --json
