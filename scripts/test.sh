#!/usr/bin/env bash
# Sets up everything the test suite needs, then runs it: ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs Debian packages for the tests when something they need is missing.
apt_install() {
  local why="$1"; shift
  local as_root=() log
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      echo "test.sh: $why needs $* and this user can install nothing (not root, no sudo):" \
           "install those Debian packages, then run again" >&2
      exit 1
    fi
  fi
  log="$(mktemp)"
  echo "Installing $* for $why" >&2
  if ! { "${as_root[@]}" apt-get update -qq &&
         "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
       > "$log" 2>&1; then
    cat "$log" >&2
    echo "test.sh: could not install $* with apt-get (see above)" >&2
    exit 1
  fi
  rm -f "$log"
}

# The modem backend's tests use python-gammu (a test extra); where pip finds no wheel of it,
# it builds against libgammu, with a C compiler and pkg-config.
if ! { [ -x .venv/bin/python ] && .venv/bin/python -c "import gammu" 2>/dev/null; } &&
   ! pkg-config --exists gammu 2>/dev/null; then
  apt_install "the modem tests" libgammu-dev pkg-config gcc
fi
source scripts/setup.sh test
# The Python client (clients/python) is tested from .venv too; editable, so its code is the
# work tree's. Re-installed only when its pyproject.toml changed.
client_stamp=".venv/.installed-client-$(sha256sum clients/python/pyproject.toml | cut -c1-16)"
if [ ! -f "$client_stamp" ]; then
  .venv/bin/python -m pip install -q -e clients/python >> .venv/install.log 2>&1 ||
    { cat .venv/install.log >&2; exit 1; }
  touch "$client_stamp"
fi
# The JavaScript client (clients/js) is built and tested by tests/test_js_client.py with
# Node's own tools; its packages come from its lockfile, re-installed when that changed.
if ! command -v npm >/dev/null 2>&1; then
  apt_install "the JavaScript client's tests" nodejs npm
fi
npm_stamp="clients/js/node_modules/.installed-$(sha256sum clients/js/package-lock.json | cut -c1-16)"
if [ ! -f "$npm_stamp" ]; then
  echo "Installing the JavaScript client's packages (npm ci)" >&2
  if ! (cd clients/js && npm ci --no-audit --no-fund) > .venv/npm.log 2>&1; then
    cat .venv/npm.log >&2
    echo "test.sh: npm ci in clients/js failed (see above)" >&2
    exit 1
  fi
  touch "$npm_stamp"
fi
# The portal's browser tests drive Debian's chromium (Playwright's own browser download needs
# the internet).
if ! command -v chromium >/dev/null 2>&1; then
  apt_install "the portal's browser tests" chromium
fi
exec .venv/bin/python -m pytest "$@"
