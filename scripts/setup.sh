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
  echo "Installing Relay${extras:+ with [$extras]} into .venv (log: .venv/install.log)" >&2
  if ! { "$venv/bin/python" -m pip install --upgrade pip &&
         "$venv/bin/python" -m pip install -e "$root${extras:+[$extras]}"; } \
       > "$venv/install.log" 2>&1; then
    cat "$venv/install.log" >&2
    exit 1
  fi
  touch "$stamp"
fi
exec 9>&-    # release the install lock: test.sh and run.sh go on to exec long-running commands
