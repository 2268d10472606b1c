"""What `relay serve` prints for the person who started it."""
import json
import re


def test_serve_prints_the_portal_setup_code_on_a_line_of_its_own(relay_process):
    process = relay_process().start()
    try:
        lines = process.log_text().splitlines()
        [setup] = [json.loads(line) for line in lines if '"portal_setup"' in line]
        code = setup["setup_code"]
        [plain] = [line for line in lines if code in line and not line.startswith("{")]
        assert re.fullmatch(rf"Portal: open {re.escape(process.url)}/ in a browser and enter "
                            rf"the one-time setup code {code} .*", plain), plain
    finally:
        process.stop()

