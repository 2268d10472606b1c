#!/usr/bin/env bash
# Sets up everything the test suite needs, then runs it: ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
# The portal's browser tests drive Debian's chromium (Playwright's own browser download needs
# the internet); install it when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "test.sh: chromium is missing and this user can install nothing (not root, no sudo):" \
         "install Debian's chromium package, then run again" >&2
    exit 1
  fi
  echo "Installing chromium for the portal tests (log: .venv/chromium-install.log)" >&2
  if ! { "${as_root[@]}" apt-get update -qq &&
         "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
       > .venv/chromium-install.log 2>&1; then
    cat .venv/chromium-install.log >&2
    echo "test.sh: could not install chromium with apt-get (see above)" >&2
    exit 1
  fi
fi
exec .venv/bin/python -m pytest "$@"
