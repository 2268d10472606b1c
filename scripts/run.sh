#!/usr/bin/env bash
# Sets up Relay and runs it: ./scripts/run.sh [relay serve flags]
# or, with a simulated phone already paired: ./scripts/run.sh demo [relay demo flags]
# First run: creates ./relay-data with a client key (saved to relay-data/first-client.key,
# mode 0600, for the README's examples) and a phone "phone_main".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh ""   # no extras (sourced bare, it would see our own arguments)
relay=.venv/bin/relay
data="${RELAY_DATA_DIR:-./relay-data}"
if [ ! -f "$data/first-client.key" ]; then
  mkdir -p "$data"
  key=$("$relay" keys create --name first-client --data-dir "$data" | tail -n 1)
  (umask 077; printf '%s\n' "$key" > "$data/first-client.key")
  "$relay" phones add phone_main --data-dir "$data" > /dev/null
  echo "Created $data with client key $key (also in $data/first-client.key) and phone phone_main"
fi
command=serve
if [ "${1:-}" = demo ]; then command=demo; shift; fi
exec "$relay" "$command" --data-dir "$data" "$@"
