#!/usr/bin/env bash
# Creates .venv and installs Relay with the given extras; re-installs only when pyproject.toml
# changed. Sourced by run.sh and test.sh.
set -euo pipefail
extras="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "Creating .venv" >&2
  python3 -m venv "$venv"
fi
exec 9>"$venv.lock"; flock 9   # one install at a time
stamp="$venv/.installed-$(sha256sum "$root/pyproject.toml" | cut -c1-16)-${extras:-base}"
# pip's "Collecting <package>" lines as they come, for a person at a terminal; a log (CI) gets
# only the step lines.
pip_progress() {
  if [ -t 2 ]; then
    grep --line-buffered -E '^(Collecting|Installing collected packages)' | sed -u 's/^/  /' >&2 || true
  else
    cat > /dev/null
  fi
}
if [ ! -f "$stamp" ]; then
  echo "Installing Relay${extras:+ with [$extras]} and its dependencies into .venv:" \
       "1-2 minutes the first time (log: .venv/install.log)" >&2
  started=$SECONDS
  if ! { "$venv/bin/python" -m pip install --upgrade pip &&
         "$venv/bin/python" -m pip install -e "$root${extras:+[$extras]}"; } 2>&1 \
       | tee "$venv/install.log" | pip_progress; then
    cat "$venv/install.log" >&2
    exit 1
  fi
  echo "Installed in $((SECONDS - started)) s" >&2
  touch "$stamp"
fi
exec 9>&-    # release the install lock: test.sh and run.sh go on to exec long-running commands
