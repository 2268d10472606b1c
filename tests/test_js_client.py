"""The JavaScript client's own suite (clients/js: tsc, then `node --test` against a real relay
with a simulated phone), run as one test so that the whole run fails when it does.
./scripts/test.sh installs its packages with `npm ci` from the committed lockfile."""
import os
import pathlib
import subprocess
import sys

import pytest

JS = pathlib.Path(__file__).resolve().parent.parent / "clients" / "js"


def test_the_javascript_client_builds_and_passes_its_suite():
    if not (JS / "node_modules").is_dir():
        pytest.fail("clients/js has no node_modules: ./scripts/test.sh installs them (npm ci)")
    # The suite starts the relay this test runs with, not whatever `relay` a PATH has.
    env = {**os.environ, "RELAY_BIN": str(pathlib.Path(sys.executable).parent / "relay")}
    for step in (["npm", "run", "--silent", "build"], ["npm", "test", "--silent"]):
        done = subprocess.run(step, cwd=JS, env=env, capture_output=True, text=True, timeout=110)
        assert done.returncode == 0, (f"{' '.join(step)} failed:\n{done.stdout[-8000:]}\n"
                                      f"{done.stderr[-4000:]}")
