#!/usr/bin/env bash
# Webhook fan-out against sync: a release relay (embedded SQLite) with sync
# load from porchlight-loadgen (CLIENTS clients on DOCS documents, RATE
# changes/s) while EVENTS events/s are made, twice: first with no webhook,
# then with ENDPOINTS webhooks (porchlight-hooksink on loopback) receiving
# every event. Prints the sync report of both runs and the deliveries
# received, so the sync p99 with fan-out can be set against the p99
# without. The events come from (EVENTS_FROM):
#   sync (default)  porchlight-eventgen, a synced client editing EVENTS
#                   distinct tasks a second on a shared board (task.updated)
#   api             porchlight-apiload creating EVENTS tasks a second
#                   through the REST API (task.created)
#
#
# ROUNDS=N runs N pairs, alternating which of the two goes first, and
# pools every propagation latency of each kind: single runs on a shared
# 2-core machine vary more than the effect asked about. It then prints
# the pooled p50/p99 of both, their ratio, and a bootstrap 90 % interval
# of the p99 ratio (resampling whole runs).
#
#   [EVENTS_FROM=api] [ROUNDS=N] sync-server/benches/fanout.sh [events/s] [endpoints] [clients] [docs] [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-1000}
endpoints=${2:-10}
clients=${3:-100}
docs=${4:-10}
rate=${5:-200}
seconds=${6:-20}
from=${EVENTS_FROM:-sync}
rounds=${ROUNDS:-1}
kind=task.updated
[ "$from" = api ] && kind=task.created
cargo build --release -q -p porchlight-relay -p porchlight-cli -p porchlight-loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
printf '[limits]\napi_requests_per_minute = 10000000\nwebhook_private_targets = true\n' > "$work/relay.toml"

wait_addr() {
  for _ in $(seq 1 100); do
    addr=$(grep -o 'addr=[0-9.:]*' "$1" | head -1 | cut -d= -f2 || true)
    [ -n "$addr" ] && { echo "$addr"; return; }
    sleep 0.1
  done
  echo "the relay did not start" >&2; exit 1
}

run() { # label hooks [latencies file]
  local label=$1 hooks=$2 dir="$work/$1" lat=${3:-}
  mkdir -p "$dir"
  ./target/release/porchlight-relay serve --listen 127.0.0.1:0 --data-dir "$dir/relay" \
    --config "$work/relay.toml" > "$dir/relay.log" 2>&1 &
  local relay_pid=$!
  local addr
  addr=$(wait_addr "$dir/relay.log")
  pl() { PORCHLIGHT_SECRETS=file ./target/release/porchlight --data-dir "$dir/profile" --user bench "$@"; }
  echo "benchmark password" | pl signup --relay "http://$addr" --email bench@example.com > /dev/null
  echo "benchmark password" | pl login --relay "http://$addr" --email bench@example.com > /dev/null 2>&1
  local team
  team=$(pl --json team create Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  pl board new "48 Elm Ave" > /dev/null
  pl board share "48 Elm Ave" --team Bench > /dev/null
  pl sync > /dev/null
  local board key token
  board=$(pl --json board list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  key=$(pl apikey create --team Bench --scope write --name apiload 2>/dev/null)
  token=$(pl apikey create --team Bench --scope write --name loadgen 2>/dev/null)
  if [ "$hooks" -gt 0 ]; then
    ${SINK_NICE:+nice -n "$SINK_NICE"} ./target/release/porchlight-hooksink --endpoints "$hooks" --seconds $((seconds + 40)) > "$dir/sink.log" &
    for _ in $(seq 1 100); do grep -q ready "$dir/sink.log" && break; sleep 0.1; done
    grep '^http' "$dir/sink.log" | while read -r url; do
      pl webhook add --team Bench "$url" --events "$kind" > /dev/null 2>&1
    done
  fi
  echo "== $label: $hooks webhooks, $events events/s from $from, sync $clients clients / $docs docs / $rate changes/s =="
  if [ "$from" = api ]; then
    ./target/release/porchlight-apiload --relay "http://$addr" --key "$key" --board "$board" \
      --create $((events * seconds)) --rate "$events" --concurrency 32 > "$dir/api.log" &
  else
    ./target/release/porchlight-eventgen --url "ws://$addr/sync" --token "$key" --board "$board" \
      --rate "$events" --seconds $((seconds + 2)) > "$dir/api.log" &
  fi
  local api_pid=$!
  # The synced editor makes its tasks first; the sync load starts on its
  # steady edits.
  [ "$from" = api ] || sleep 5
  ./target/release/porchlight-loadgen --url "ws://$addr/sync" --token "$token" --register-team "$team" \
    --clients "$clients" --docs "$docs" --rate "$rate" --seconds "$seconds" --server-pid "$relay_pid" ${lat:+--latencies "$lat"} || true
  wait "$api_pid" || true
  cat "$dir/api.log"
  if [ "$hooks" -gt 0 ]; then
    # Let the queue drain, then count what arrived.
    local want
    if [ "$from" = api ]; then
      want=$((events * seconds * hooks))
    else
      want="$(grep -o 'edited [0-9]*' "$dir/api.log" | cut -d' ' -f2) edits x $hooks"
    fi
    # Done when nothing is pending and no delivery was queued for two
    # seconds: the view may still be turning the editor's last changes
    # into events when the queue first runs empty.
    local last=""
    for _ in $(seq 1 60); do
      sleep 1
      now=$(python3 - "$dir/relay/relay.outbox.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
pending, total = c.execute(
    "SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FROM deliveries").fetchone()
print(f"{pending}/{total}")
PY
)
      [ "${now%%/*}" = 0 ] && [ "$now" = "$last" ] && break
      last=$now
    done
    python3 - "$dir/relay/relay.outbox.db" "$want" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
states = dict(c.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())
lag = sorted(r[0] for r in c.execute(
    "SELECT done_at - created_at FROM deliveries WHERE state = 'delivered'"))
pick = lambda p: lag[min(len(lag) - 1, int(p * len(lag)))] if lag else 0
print(f"deliveries: {states} of {sys.argv[2]} expected; "
      f"event to delivery p50={pick(0.5)} ms p99={pick(0.99)} ms max={lag[-1] if lag else 0} ms")
PY
    kill "$(jobs -p | tail -1)" 2>/dev/null || true
  fi
  # Where sync waited: frame handling and the store's lock (histograms).
  curl -s "http://$addr/metrics" | grep -E '^porchlight_(sync_handling|db_pool_wait)[a-z_]*_(bucket|sum|count)' \
    | grep -E '_sum|_count|le="(0.005|0.025|0.1|0.5)"' || true
  echo "relay RSS: $(grep VmHWM /proc/$relay_pid/status | awk '{print $2}') KiB peak"
  kill "$relay_pid"
  wait "$relay_pid" 2>/dev/null || true
}

if [ "$rounds" -le 1 ]; then
  run without 0
  run with "$endpoints"
  exit 0
fi
mkdir -p "$work/lat"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    run "without-$r" 0 "$work/lat/without-$r"
    run "with-$r" "$endpoints" "$work/lat/with-$r"
  else
    run "with-$r" "$endpoints" "$work/lat/with-$r"
    run "without-$r" 0 "$work/lat/without-$r"
  fi
done
python3 - "$work/lat" "$rounds" <<'PY'
import random, sys
from pathlib import Path
d, rounds = Path(sys.argv[1]), int(sys.argv[2])
def read(kind, r):
    f = d / f"{kind}-{r}"
    return [float(x) for x in f.read_text().split()] if f.exists() else []
runs = {k: [read(k, r) for r in range(1, rounds + 1)] for k in ("without", "with")}
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")
print("== pooled over", rounds, "rounds ==")
for r in range(rounds):
    a, b = runs["without"][r], runs["with"][r]
    print(f"round {r + 1}: p99 without {q(a, .99):.1f} ms ({len(a)} samples), with {q(b, .99):.1f} ms ({len(b)})")
pooled = {k: [x for run in v for x in run] for k, v in runs.items()}
for k in ("without", "with"):
    print(f"{k}: p50 {q(pooled[k], .5):.1f} ms, p99 {q(pooled[k], .99):.1f} ms, {len(pooled[k])} samples")
ratio = q(pooled["with"], .99) / q(pooled["without"], .99)
rng, boots = random.Random(7), []
for _ in range(2000):
    pick = lambda k: [x for r in (rng.randrange(rounds) for _ in range(rounds)) for x in runs[k][r]]
    boots.append(q(pick("with"), .99) / q(pick("without"), .99))
boots.sort()
print(f"p99 with / without: {ratio:.3f} (bootstrap 90 % interval over runs {boots[100]:.3f} to {boots[1899]:.3f})")
PY
