#!/usr/bin/env bash
# Sets up everything the test suite needs, then runs it: ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
