"""What the tests of the agent's real backends share: the relay's HTTP API from a plain
thread, the agent as a subprocess (as on a phone), and waiting for what it does."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


def call(relay, key, method, path, body=None):
    """(status, JSON answer) of one API request."""
    request = urllib.request.Request(
        relay.url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(condition, timeout=30.0, what="the condition"):
    """condition()'s first truthy value, checked every 0.1 s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def paired_agent(relay_process, agent):
    """Starts a relay with a client key, and the agent paired to it as phone_main; returns
    (relay, key) once the agent is connected."""
    relay = relay_process()
    key = relay.cli("keys", "create", "--name", "phones").stdout.splitlines()[-1]
    code = json.loads(relay.cli("phones", "add", "phone_main").stdout)["pairing_code"]
    relay.start()
    agent.start(relay, code)
    try:
        agent.wait_connected()
    except BaseException:
        agent.stop()
        raise
    return relay, key


class AgentProcess:
    """`relay phone` (or another program that runs the agent, such as the served agent file)
    as a subprocess; its output goes to a log file the test can read."""

    def __init__(self, state_dir, log_path, args, env=None, program=None):
        self.state_dir, self.log_path, self.args = state_dir, log_path, list(args)
        self.env = {**os.environ, **(env or {})}
        self.program = program or [sys.executable, "-m", "relay", "phone"]
        self.proc = None

    def start(self, relay=None, code=None):
        argv = [*self.program, "--state", str(self.state_dir), *self.args]
        if relay is not None:
            argv += ["--relay", relay.url, "--pairing-code", code]
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(argv, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_connected(self, times=1):
        wait_for(lambda: self.log().count('"event": "connected"') >= times, 30,
                 "the agent to connect: " + self.log())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def message_status(relay, key, message_id):
    return call(relay, key, "GET", f"/api/v1/messages/{message_id}")[1]["message"]


def wait_final(relay, key, message_id, timeout=30.0) -> dict:
    return wait_for(lambda: (m := message_status(relay, key, message_id))["status"]
                    in ("sent", "failed") and m, timeout, f"{message_id} to end")


def inbound_events(relay, key) -> list[dict]:
    status, answer = call(relay, key, "GET", "/api/v1/webchat/inbound/query?range=all&limit=1000")
    assert status == 200, answer
    return answer["events"]
