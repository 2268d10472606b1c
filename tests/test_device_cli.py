"""The CLI side of the phone channel: pairing codes with --qr, and `relay demo` end to end."""
import json
import re
import subprocess
import sys
import urllib.request

from helpers import process_output
from helpers.processes import free_port


def test_phones_add_and_pair_print_json_and_a_qr_code(relay_process):
    relay = relay_process()
    added = relay.cli("phones", "add", "kitchen", "--qr")
    pairing = json.loads(added.stdout)          # stdout stays JSON for scripts
    assert pairing["phone_id"] == "kitchen" and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){2}",
                                                             pairing["pairing_code"])
    assert "█" in added.stderr or "▀" in added.stderr
    fresh = json.loads(relay.cli("phones", "pair", "kitchen").stdout)
    assert fresh["pairing_code"] != pairing["pairing_code"]
    missing = relay.cli("phones", "pair", "nope", check=False)
    assert missing.returncode == 1 and "unknown_phone" in missing.stderr


def test_phone_agent_needs_a_backend(tmp_path):
    result = subprocess.run([sys.executable, "-m", "relay", "phone", "--relay",
                             "http://127.0.0.1:9", "--state", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--simulate" in result.stderr


def test_demo_delivers_a_message_through_the_simulated_phone(tmp_path):
    port = free_port()
    demo = process_output.start(
        sys.executable, "-m", "relay", "demo", "--data-dir", str(tmp_path / "demo"),
        "--port", str(port), "--delay", "0.05", "--inbound-per-minute", "0")
    try:
        key = demo.wait_for(r"Bearer (rly_\w+)").group(1)
        demo.wait_for(r'"event": "listening"')
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/messages", method="POST",
            data=json.dumps({"phone_id": "phone_main", "channel": "sms", "to": "+12025550143",
                             "text": "hello demo"}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            message_id = json.loads(response.read())["message_id"]
        demo.wait_for(message_id + r"\s+queued")
        demo.wait_for(message_id + r"\s+sending")
        demo.wait_for(message_id + r"\s+sent")
    finally:
        assert demo.stop() == 0
