#!/usr/bin/env bash
# Creates .venv and installs Relay with the given extras; re-installs only when pyproject.toml
# changed. Sourced by run.sh and test.sh.
set -euo pipefail
extras="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
exec 9>"$venv.lock"; flock 9   # one install at a time
stamp="$venv/.installed-$(sha256sum "$root/pyproject.toml" | cut -c1-16)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e "$root${extras:+[$extras]}"
  touch "$stamp"
fi
