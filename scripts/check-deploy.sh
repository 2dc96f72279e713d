#!/usr/bin/env bash
# Checks the files in deploy/: the systemd unit with systemd-analyze verify
# (against the binary just built), the compose and Kubernetes files parse
# as YAML, and every PORCHLIGHT_RELAY_* setting they use is one the relay
# reads. (No container engine runs here, so the Containerfile itself is
# not built.)
set -euo pipefail
cd "$(dirname "$0")/.."
relay=${RELAY_BIN:-$PWD/target/debug/porchlight-relay}
[ -x "$relay" ] || cargo build -q -p porchlight-relay
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if command -v systemd-analyze >/dev/null; then
  sed "s#/usr/local/bin/porchlight-relay#$relay#" deploy/porchlight-relay.service > "$work/porchlight-relay.service"
  systemd-analyze verify "$work/porchlight-relay.service"
  echo "systemd unit: verified"
else
  echo "systemd-analyze is not installed: the unit was not verified" >&2
  exit 1
fi

python3 - deploy/compose.yaml deploy/kubernetes/relay.yaml <<'PY'
import sys
try:
    import yaml
except ImportError:
    sys.exit("PyYAML is missing (apt-get install python3-yaml)")
for path in sys.argv[1:]:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    assert docs, f"{path} is empty"
    print(f"{path}: {len(docs)} document(s)")
PY

known=$("$relay" serve --help | grep -o 'PORCHLIGHT_RELAY_[A-Z][A-Z_]*' | sort -u)
used=$(grep -ho 'PORCHLIGHT_RELAY_[A-Z][A-Z_]*' deploy/compose.yaml deploy/kubernetes/relay.yaml deploy/Containerfile | sort -u)
for name in $used; do
  grep -qx "$name" <<<"$known" || { echo "deploy/ uses $name, which the relay does not read" >&2; exit 1; }
done
echo "deploy/ settings: all known to the relay ($(wc -w <<<"$used") used)"
