"""What `relay serve` prints for the person who started it at a terminal, besides its JSON."""
import json
import re
import sys

from helpers import process_output
from helpers.processes import free_port


def test_serve_prints_the_portal_setup_code_on_a_line_of_its_own(tmp_path):
    port = free_port()
    serve = process_output.start(sys.executable, "-m", "relay", "serve", "--data-dir",
                                 str(tmp_path / "data"), "--port", str(port), terminal=True)
    try:
        code = json.loads(serve.wait_for(r'^\{"event": "portal_setup".*').group(0))["setup_code"]
        url = f"http://127.0.0.1:{port}"
        serve.wait_for(rf"^Portal: open {re.escape(url)}/ in a browser and enter the one-time "
                       rf"setup code {code} to choose the owner's password")
    finally:
        assert serve.stop() == 0
