#!/usr/bin/env bash
# The relay's HTTP integrations: a release relay (embedded SQLite), a team
# with one board made and shared by the CLI, then porchlight-apiload
# creates TASKS tasks through the REST API (CONCURRENCY in flight) and
# times a calendar feed of the board, which then holds them all.
#
#   sync-server/benches/api.sh [tasks] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/../.."
tasks=${1:-10000}
concurrency=${2:-4}
cargo build --release -q -p porchlight-relay -p porchlight-cli -p porchlight-loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# The rate limit is per key; this is a benchmark, not an abuse.
printf '[limits]\napi_requests_per_minute = 10000000\n' > "$work/relay.toml"
./target/release/porchlight-relay serve --listen 127.0.0.1:0 --data-dir "$work/relay" \
  --config "$work/relay.toml" > "$work/relay.log" 2>&1 &
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o 'addr=[0-9.:]*' "$work/relay.log" | head -1 | cut -d= -f2 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/relay.log"; exit 1; }
pl() { PORCHLIGHT_SECRETS=file ./target/release/porchlight --data-dir "$work/profile" --user bench "$@"; }
echo "benchmark password" | pl signup --relay "http://$addr" --email bench@example.com > /dev/null
echo "benchmark password" | pl login --relay "http://$addr" --email bench@example.com > /dev/null
pl team create "Bench" > /dev/null
pl board new "48 Elm Ave" > /dev/null
pl board share "48 Elm Ave" --team Bench > /dev/null
pl sync > /dev/null
board=$(pl --json board list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
key=$(pl apikey create --team Bench --scope write --name apiload 2>/dev/null)
feed=$(pl calendar url --board "48 Elm Ave" 2>/dev/null)
pid=$(pgrep -f "porchlight-relay serve --listen 127.0.0.1:0 --data-dir $work/relay")
./target/release/porchlight-apiload --relay "http://$addr" --key "$key" --board "$board" \
  --create "$tasks" --concurrency "$concurrency" --feed "$feed" --gets 200
echo "relay RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2}') KiB peak"
