"""The agent file the relay serves (GET /agent/relay-agent.pyz): fetched over HTTP, it runs on
a Python that has nothing installed (a fresh venv without even pip), pairs with a real relay
and delivers a message; and the commands that install it come with every pairing code."""
import json
import subprocess
import sys
import urllib.request
import zipfile

import pytest

from helpers.agents import AgentProcess, call, paired_agent, wait_final
from helpers.relays import sms

AGENT_PATH = "/agent/relay-agent.pyz"


def _bare_python(folder) -> str:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=120)
    python = str(folder / "bin" / "python")
    for module in ("tornado", "relay", "duckdb"):        # nothing but the standard library
        assert subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                              env={"PATH": "/usr/bin:/bin"}, cwd=folder).returncode != 0
    return python


@pytest.mark.timeout(180)
def test_the_served_file_pairs_and_delivers_on_a_bare_python(relay_process, tmp_path):
    python = _bare_python(tmp_path / "venv")
    served = tmp_path / "phone" / "relay-agent.pyz"
    served.parent.mkdir()
    agent = AgentProcess(tmp_path / "phone" / "state", tmp_path / "agent.log",
                         ["--backend", "simulator", "--delay", "0"],
                         env={"PYTHONPATH": ""}, program=[python, str(served)])
    relay = relay_process()
    relay.start()
    with urllib.request.urlopen(relay.url + AGENT_PATH, timeout=30) as response:
        assert response.headers["Content-Type"] == "application/zip"
        served.write_bytes(response.read())
    names = zipfile.ZipFile(served).namelist()
    assert "__main__.py" in names and "relay/agent/agent.py" in names
    assert not any(name.endswith((".so", ".pyd")) for name in names)
    assert not any(name.startswith(("relay/store", "relay/phones", "relay/web"))
                   for name in names)
    relay.stop()

    relay, key = paired_agent(relay_process, agent)
    try:
        status, accepted = call(relay, key, "POST", "/api/v1/messages", sms(text="from a pyz"))
        assert status == 202, accepted
        assert wait_final(relay, key, accepted["message_id"])["status"] == "sent", agent.log()
        phone = call(relay, key, "GET", "/api/v1/phones/phone_main")[1]["phone"]
        assert phone["online"] and phone["capabilities"]
    finally:
        agent.stop()


def test_a_pairing_code_comes_with_the_commands_that_install_the_agent(relay_process):
    relay = relay_process()
    added = relay.cli("phones", "add", "kitchen", "--qr")
    pairing = json.loads(added.stdout)
    fetch, run = pairing["install_commands"]
    assert fetch == f"curl -fsSLo relay-agent.pyz {pairing['relay_url']}{AGENT_PATH}"
    assert run == (f"python relay-agent.pyz --relay {pairing['relay_url']} --pairing-code "
                   f"{pairing['pairing_code']} --backend termux")
    assert fetch in added.stderr and run in added.stderr      # beside the QR code
    again = json.loads(relay.cli("phones", "pair", "kitchen").stdout)
    assert again["pairing_code"] in again["install_commands"][1]
