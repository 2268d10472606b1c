"""A callback's signing secret and callback_token are never readable at rest: not in the
database file, not in `relay backup` or `relay archive` (whose files are the owner's only), and
a database that held them in clear is upgraded so the file no longer does. Deliveries are still
signed and carry the token after a restart, a restore and the upgrade."""
import datetime as dt
import json
import pathlib
import secrets
import stat
import time
import urllib.request

import duckdb
import standardwebhooks

from helpers.processes import RelayProcess, free_port

from helpers.relays import Api, make_settings, start_relay, stop_relay
from relay.app import Relay
from relay.core import apikeys
from relay.core.inbound import inbound_event
from relay.core.timefmt import utcnow
from relay.store import migrations
from relay.store.database import DB_FILE
from relay.phones.inbound import RecordInbound
from relay.webhooks import signing
from helpers.polling import eventually
from helpers.webhooks import CALLBACKS, LOOPBACK, Receiver, inbound

BEFORE_SEALING = 6      # the last schema version that kept callback secrets in clear
KEY = apikeys.new_key()


def _call(relay, key, method, path, body=None):
    request = urllib.request.Request(
        relay.url + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _files(root: pathlib.Path) -> list[pathlib.Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _assert_unreadable(root: pathlib.Path, *clear: str) -> None:
    files = _files(root)
    assert files, f"nothing in {root}"
    for path in files:
        data = path.read_bytes()
        for value in clear:
            assert value.encode() not in data, f"{value} in {path}"


def _assert_owner_only(root: pathlib.Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


def _record_inbound(data_dir) -> str:
    """As the phone channel would, on a stopped relay's data dir; the event's id."""
    relay = Relay(make_settings(data_dir))
    try:
        return relay.store.write_sync(RecordInbound("phone_main", inbound_event({
            "event_id": secrets.token_hex(8), "channel": "sms", "contact": "+12025550143",
            "text": "hello", "occurred_at": "2026-11-26T10:00:00Z"}, "US"))).event_id
    finally:
        relay.close()


def _verified(receiver, name, secret, token) -> list[dict]:
    """Every delivery to name, verified with the secret; each carries the token."""
    with receiver.lock:
        received = list(receiver.received[name])
    for request in received:
        assert request["headers"]["Authorization"] == f"Bearer {token}"
    return [standardwebhooks.Webhook(secret).verify(r["body"], r["headers"]) for r in received]


def _delivered_after_start(relay, receiver, name, secret, token, event_id) -> None:
    relay.start()
    try:
        deadline = time.monotonic() + 20
        while event_id not in [p["message_id"] for p in _verified(receiver, name, secret, token)]:
            assert time.monotonic() < deadline, "the delivery did not come"
            time.sleep(0.05)
    finally:
        relay.stop()


def test_secrets_are_sealed_in_the_database_backups_and_archives(tmp_path):
    receiver = Receiver()
    env = {"RELAY_CALLBACK_ALLOW_NETWORKS": LOOPBACK}
    relay = RelayProcess(tmp_path / "data", free_port(), env)
    token = "tok-" + secrets.token_hex(24)
    try:
        key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
        relay.cli("phones", "add", "phone_main")
        relay.start()
        try:
            registered = _call(relay, key, "POST", CALLBACKS, {
                "callback_url": receiver.url("hook"), "callback_token": token})
            secret = registered["secret"]
            clear = (secret.removeprefix("whsec_"), token)
            _assert_unreadable(relay.data_dir, *clear)         # the log while running
            relay.cli("backup", "--out", str(tmp_path / "backup"))
            relay.cli("archive", "--out", str(tmp_path / "archive"))
        finally:
            relay.stop()
        _assert_unreadable(relay.data_dir, *clear)             # checkpointed at the stop
        for taken in (tmp_path / "backup", tmp_path / "archive"):
            _assert_unreadable(taken, *clear)
            _assert_owner_only(taken)
        assert (tmp_path / "archive" / "callback_events").is_dir()

        event_id = _record_inbound(relay.data_dir)
        _delivered_after_start(relay, receiver, "hook", secret, token, event_id)

        restored = RelayProcess(tmp_path / "restored", free_port(), env)
        restored.cli("restore", str(tmp_path / "backup"))
        event_id = _record_inbound(restored.data_dir)
        _delivered_after_start(restored, receiver, "hook", secret, token, event_id)
        _assert_unreadable(restored.data_dir, *clear)
    finally:
        receiver.close()


async def test_clear_secrets_of_an_older_database_are_sealed_and_gone_from_the_file(data_dir):
    secret = signing.new_secret()
    token = "tok-" + secrets.token_hex(24)
    receiver = Receiver()
    data_dir.mkdir(parents=True)
    con = duckdb.connect(str(data_dir / DB_FILE))
    con.execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for version, name, sql in migrations.versions()[:BEFORE_SEALING]:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utcnow()])
    con.execute("INSERT INTO key_events (seq, recorded_at, event, key_id, client_id, key_hash, "
                "display_prefix, last4) VALUES (1, ?, 'created', 'key_old', 'app', ?, ?, ?)",
                [utcnow(), apikeys.key_hash(KEY), KEY[:8], KEY[-4:]])
    con.execute("INSERT INTO phone_events VALUES (2, ?, 'added', 'phone_main')", [utcnow()])
    con.execute("INSERT INTO callback_events (seq, recorded_at, event, callback_id, client_id, "
                "callback_url, channels, event_types, callback_token, active, secret) VALUES "
                "(10, ?, 'set', 'cb_old', 'app', ?, [], ['message'], ?, true, ?)",
                [utcnow() - dt.timedelta(days=1), receiver.url("old"), token, secret])
    con.execute("CHECKPOINT")
    con.close()
    assert token.encode() in (data_dir / DB_FILE).read_bytes()
    settings = make_settings(data_dir, callback_allow_networks=LOOPBACK)
    try:
        running = await start_relay(settings)
        try:
            assert BEFORE_SEALING + 1 in running.relay.store.migrations_applied
            event_id = await inbound(running)
            await eventually(lambda: receiver.received["old"], what="the delivery")
            [payload] = _verified(receiver, "old", secret, token)
            assert payload["message_id"] == event_id
            status, listed = await running.api.get(CALLBACKS, key=KEY)
            assert status == 200 and listed["callbacks"][0]["has_callback_token"] is True
        finally:
            await stop_relay(running)
        assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith(DB_FILE)) == [
            DB_FILE]                           # no marker or half-made file left behind
        _assert_unreadable(data_dir, secret.removeprefix("whsec_"), token)
    finally:
        receiver.close()


async def test_a_callback_whose_secret_no_longer_opens_loads_inactive(data_dir):
    settings = make_settings(data_dir, callback_allow_networks=LOOPBACK)
    running = await start_relay(settings)
    try:
        client = await running.new_client("app")
        status, _ = await client.post(CALLBACKS, {"callback_url": "http://127.0.0.1:9/hook"})
        assert status == 201
    finally:
        client.close()
        await stop_relay(running)
    (data_dir / "secrets.key").unlink()        # a data dir restored without its key
    running = await start_relay(settings)
    client = Api(running.base_url, key=client.key)
    try:
        status, listed = await client.get(CALLBACKS)
        assert status == 200
        [callback] = listed["callbacks"]
        assert callback["active"] is False and "secrets.key" in callback["deactivated_reason"]
    finally:
        client.close()
        await stop_relay(running)
