"""The relay command, with and without a running server on the data dir."""
import json
import signal
import urllib.request

from helpers.processes import RelayProcess, free_port


def _post(url, key, body):
    request = urllib.request.Request(url + "/api/v1/messages", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_cli_without_and_with_a_running_server(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    # no server: the CLI opens the data dir itself
    created = relay.cli("keys", "create", "--name", "ops")
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("rly_")
    assert json.loads(relay.cli("phones", "add", "phone_main").stdout)["phone_id"] == "phone_main"
    assert (tmp_path / "data" / "admin.token").stat().st_mode & 0o777 == 0o600
    relay.start()
    try:
        status, body = _post(relay.url, key, {"phone_id": "phone_main", "channel": "sms",
                                              "to": "+12025550143", "text": "hi"})
        assert status == 202
        # server running: the CLI goes through its admin endpoint
        rotated = relay.cli("keys", "rotate", "ops", "--grace", "1h").stdout.splitlines()[-1]
        assert _post(relay.url, rotated, {"phone_id": "phone_main", "channel": "notify",
                                          "text": "x"})[0] == 202
        relay.cli("phones", "add", "phone_b")
        phones = json.loads(relay.cli("phones", "list").stdout)["phones"]
        assert [p["phone_id"] for p in phones] == ["phone_b", "phone_main"]
        keys = json.loads(relay.cli("keys", "list").stdout)["keys"]
        assert len(keys) == 2 and all(k["name"] == "ops" for k in keys)
        failed = relay.cli("phones", "remove", "ghost", check=False)
        assert failed.returncode == 1 and "unknown_phone" in failed.stderr
        relay.cli("keys", "revoke", "ops")
        health = relay.cli("health")
        assert json.loads(health.stdout)["ready"] is True
    finally:
        assert relay.stop() == 0
    assert not (tmp_path / "data" / "server.json").exists()
    assert relay.cli("health", check=False).returncode == 1   # nothing runs there now
    keys = json.loads(relay.cli("keys", "list").stdout)["keys"]
    assert not any(k["active"] for k in keys)


def test_sigterm_stops_cleanly_and_keeps_everything(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    key = relay.cli("keys", "create", "--name", "ops").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    ids = [_post(relay.url, key, {"phone_id": "phone_main", "channel": "pchat",
                                  "text": str(i)})[1]["message_id"] for i in range(5)]
    relay.proc.send_signal(signal.SIGTERM)
    assert relay.proc.wait(timeout=10) == 0
    relay.start()
    try:
        request = urllib.request.Request(relay.url + "/api/v1/messages",
                                         headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            listed = json.loads(response.read())["messages"]
        assert sorted(m["message_id"] for m in listed) == sorted(ids)
    finally:
        relay.stop()


def test_bad_configuration_is_reported(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "relay.toml").write_text("port = 'many'\n")
    relay = RelayProcess(data, free_port())
    result = relay.cli("keys", "list", check=False)
    assert result.returncode == 2 and "port" in result.stderr
