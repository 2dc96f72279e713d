#!/usr/bin/env bash
# `make run`: a local relay on its embedded SQLite store, a demo team with
# boards and tasks, and the desktop app signed in to it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/debug
relay_dir=$root/target/demo-relay
profile=$root/target/demo-profile
laptop=$root/target/demo-teammate
listen=${PORCHLIGHT_DEMO_LISTEN:-127.0.0.1:7280}
url=http://$listen
password="porchlight demo password"
export PORCHLIGHT_SECRETS=${PORCHLIGHT_SECRETS:-file}   # keep the demo out of your real keychain

"$bin/porchlight-relay" serve --listen "$listen" --data-dir "$relay_dir" > "$root/target/demo-relay.log" 2>&1 &
relay_pid=$!
cleanup() { kill "$relay_pid" 2>/dev/null || true; [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/readyz" >/dev/null || { echo "the relay did not start; see target/demo-relay.log"; exit 1; }
echo "Relay: $url (data in $relay_dir, log in target/demo-relay.log)"

pl() { "$bin/porchlight" --data-dir "$1" --user "$2" "${@:3}"; }
if [ ! -f "$laptop/.demo-seeded" ]; then
  echo "Seeding the demo team…"
  "$root/scripts/demo.sh" "$bin/porchlight" "$laptop" >/dev/null
  echo "$password" | pl "$laptop" maria signup --relay "$url" --email maria@example.com --name Maria >/dev/null
  echo "$password" | pl "$laptop" maria login --relay "$url" --email maria@example.com 2>/dev/null >/dev/null
  pl "$laptop" maria team create "Oak St team" >/dev/null
  pl "$laptop" maria board share "12 Oak St listing" --team "Oak St team" >/dev/null
  pl "$laptop" maria board share "Escrow: 48 Elm Ave" --team "Oak St team" >/dev/null
  pl "$laptop" maria board share "Buyer: 9 Pine Rd" --team "Oak St team" >/dev/null
  pl "$laptop" maria template share --team "Oak St team" >/dev/null
  # Maria calls Alex (the app's user) in on a task: it waits in the inbox.
  lockbox=$(pl "$laptop" maria --json task list --board "12 Oak St listing" |
    python3 -c 'import json,sys; print(next(t["id"] for t in json.load(sys.stdin) if t["title"].startswith("Order lockbox")))')
  pl "$laptop" maria task comment "$lockbox" "@alex can you get the lockbox code from the seller?" >/dev/null
  # A listing cache (synthetic listings as an MLS CSV export), shared with the team.
  pl "$laptop" maria mls generate --count 300 -o "$laptop/demo-listings.csv" >/dev/null
  pl "$laptop" maria mls import-csv "$laptop/demo-listings.csv" >/dev/null
  pl "$laptop" maria listings share --team "Oak St team" >/dev/null
  pl "$laptop" maria sync >/dev/null
  # A teammate, so the team page has someone on it.
  code=$(pl "$laptop" maria --json team invite "Oak St team" --role member | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
  echo "$password" | pl "$laptop" joe signup --relay "$url" --email joe@example.com --name Joe --invite "$code" >/dev/null
  touch "$laptop/.demo-seeded"
fi
if [ ! -f "$profile/relay.json" ]; then
  echo "$password" | pl "$profile" alex login --relay "$url" --email maria@example.com 2>/dev/null >/dev/null
  pl "$profile" alex config >/dev/null   # the app is Alex: mentions of @alex are its inbox
fi
pl "$profile" alex sync >/dev/null || true
echo "Demo account: maria@example.com / $password"

if [ -z "${DISPLAY:-}" ]; then
  echo "No display (DISPLAY is not set): running the app under Xvfb on :99."
  echo "Look at it with:  import -display :99 -window root shot.png"
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY=:99
  sleep 0.5
fi
echo "Starting Porchlight (profile $profile). Close the window or press Ctrl+C to stop."
PORCHLIGHT_DATA_DIR=$profile "$bin/porchlight-app"
