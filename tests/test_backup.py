"""Backups taken while the relay runs restore into an empty data dir with every message; the
archive is day-partitioned Parquet that DuckDB reads back."""
import json
import urllib.error
import urllib.request

import duckdb

from helpers.processes import RelayProcess, free_port
from helpers.relays import sms


def _send(relay, key, **fields):
    request = urllib.request.Request(relay.url + "/api/v1/messages",
                                     data=json.dumps(sms(**fields)).encode(),
                                     headers={"Authorization": f"Bearer {key}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["message_id"]


def _get(relay, key, message_id):
    request = urllib.request.Request(f"{relay.url}/api/v1/messages/{message_id}",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["message"]


def test_backup_while_running_then_restore(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    try:
        ids = [_send(relay, key, text=f"m{i}", idempotency_key=f"k{i}") for i in range(20)]
        taken = json.loads(relay.cli("backup", "--out", str(tmp_path / "backup")).stdout)
        # bodies are sealed in the messages' rows, under a key per day (one day, or two
        # if the sends straddle midnight UTC)
        assert taken["rows"]["messages"] == 20 and taken["rows"]["body_keys"] in (1, 2)
        refused = relay.cli("backup", "--out", str(tmp_path / "backup"), check=False)
        assert refused.returncode == 1 and "not empty" in refused.stderr
        archived = json.loads(relay.cli("archive", "--out", str(tmp_path / "archive")).stdout)
        assert archived["rows"]["messages"] == 20
        later = _send(relay, key, text="after the backup")
    finally:
        relay.stop()
    running = relay.cli("restore", str(tmp_path / "backup"), check=False)
    assert running.returncode == 1 and "already has a database" in running.stderr

    restored = RelayProcess(tmp_path / "restored", free_port())
    result = json.loads(restored.cli("restore", str(tmp_path / "backup")).stdout)
    assert result["rows"]["messages"] == 20
    assert result["rows"]["body_keys"] == taken["rows"]["body_keys"]
    restored.start()
    try:
        assert [_get(restored, key, i)["text"] for i in ids] == [f"m{i}" for i in range(20)]
        request = urllib.request.Request(f"{restored.url}/api/v1/messages/{later}",
                                         headers={"Authorization": f"Bearer {key}"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("a message sent after the backup came back")
        except urllib.error.HTTPError as error:
            assert error.code == 404
        # idempotency keys came back too
        assert _send(restored, key, text="m3", idempotency_key="k3") == ids[3]
    finally:
        restored.stop()

    days = sorted(p.name for p in (tmp_path / "archive" / "messages").iterdir())
    assert days and all(d.startswith("day=") for d in days)
    with duckdb.connect() as con:
        count = con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = true)",
                            [str(tmp_path / "archive" / "messages" / "*" / "*.parquet")])
        assert count.fetchone()[0] == 20
