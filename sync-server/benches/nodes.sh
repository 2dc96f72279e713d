#!/usr/bin/env bash
# The same load against one relay node on SQLite, one on PostgreSQL, and
# two on PostgreSQL + NATS (clients of each document spread over both
# nodes, so every delivery between them crosses NATS), each beside nothing
# else on this machine; PostgreSQL and NATS are throwaway instances started
# here (Debian's postgresql and nats-server).
#
#   sync-server/benches/nodes.sh [clients] [docs] [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-100}
docs=${2:-10}
rate=${3:-200}
seconds=${4:-10}
cargo build --release -q -p porchlight-relay -p porchlight-cli -p porchlight-loadgen
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/pg/data/postmaster.pid" ] && kill -QUIT "$(head -1 "$work/pg/data/postmaster.pid")" 2>/dev/null; sleep 1; rm -rf "$work"' EXIT
bin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$work/pg"; [ "$(id -u)" = 0 ] && chown -R postgres "$work/pg"
as_pg "$bin/initdb" -D "$work/pg/data" -U porchlight --auth=trust -N -E UTF8 > /dev/null
pg_port=$(free_port)
as_pg "$bin/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pg" -c listen_addresses=127.0.0.1 -c max_connections=200 > "$work/pg.log" 2>&1 &
until "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; do sleep 0.1; done
nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" > /dev/null 2>&1 &

start() { # log, flags... -> prints the address; the pid goes to LOG.pid
  local log=$1; shift
  ./target/release/porchlight-relay serve --listen 127.0.0.1:0 "$@" > "$log" 2>&1 &
  echo $! > "$log.pid"
  for _ in $(seq 1 100); do
    addr=$(grep -o 'addr=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$addr" ] && { echo "$addr"; return; }
    sleep 0.1
  done
  cat "$log" >&2; exit 1
}
setup() { # addr, profile dir -> team and key on stdout as "TEAM KEY"
  local pl="./target/release/porchlight --data-dir $2"
  echo "benchmark password" | PORCHLIGHT_SECRETS=file $pl signup --relay "http://$1" --email bench@example.com > /dev/null 2>&1 || true
  echo "benchmark password" | PORCHLIGHT_SECRETS=file $pl login --relay "http://$1" --email bench@example.com > /dev/null 2>&1
  local team; team=$(PORCHLIGHT_SECRETS=file $pl --json team create "Bench $RANDOM" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  echo "$team $(PORCHLIGHT_SECRETS=file $pl apikey create --team "$team" --scope write --name loadgen 2>/dev/null)"
}
run() { # name, pid, urls...
  local name=$1 pid=$2; shift 2
  local urls=()
  for u in "$@"; do urls+=(--url "ws://$u/sync"); done
  echo "== $name =="
  ./target/release/porchlight-loadgen "${urls[@]}" --token "$key" --register-team "$team" \
    --clients "$clients" --docs "$docs" --rate "$rate" --seconds "$seconds" --server-pid "$pid" --json || true
}

a=$(start "$work/sqlite.log" --data-dir "$work/sqlite"); pid=$(cat "$work/sqlite.log.pid")
read -r team key < <(setup "$a" "$work/p1")
run "one node, SQLite" "$pid" "$a"; kill "$pid"

db="postgres://porchlight@127.0.0.1:$pg_port/porchlight"
"$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U porchlight porchlight
a=$(start "$work/pg1.log" --database "$db"); pid=$(cat "$work/pg1.log.pid")
read -r team key < <(setup "$a" "$work/p2")
run "one node, PostgreSQL" "$pid" "$a"; kill "$pid"

a=$(start "$work/n1.log" --database "$db" --nats "nats://127.0.0.1:$nats_port"); pid=$(cat "$work/n1.log.pid")
b=$(start "$work/n2.log" --database "$db" --nats "nats://127.0.0.1:$nats_port")
sleep 1
read -r team key < <(setup "$a" "$work/p3")
run "two nodes, PostgreSQL + NATS (RSS of node 1)" "$pid" "$a" "$b"

echo "== failover: cross-node propagation, then node 1 killed =="
./target/release/porchlight-failover --a "ws://$a/sync" --b "ws://$b/sync" --pid "$pid" --token "$key" --team "$team"
