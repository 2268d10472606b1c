"""A database made by a previous schema is upgraded at start-up, keeping its data; so is a
backup made by a previous schema, once restored."""
import json

import duckdb

from helpers.relays import make_settings, sms, start_relay, stop_relay
from relay.core import apikeys
from relay.core.timefmt import utcnow
from relay.admin import backup
from relay.store import migrations
from relay.store.database import DB_FILE

KEY = apikeys.new_key()
BODIES_APART = 3      # the migration that moved texts out of the log tables


def _database_at(path, last_version: int):
    """What a relay at schema version last_version left behind: a key, a phone and a
    message, in a database every version up to last_version was applied to."""
    now = utcnow()
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for version, name, sql in migrations.versions():
        if version <= last_version:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, now])
    con.execute("INSERT INTO key_events (seq, recorded_at, event, key_id, client_id, "
                "key_hash, display_prefix, last4) VALUES (1, ?, 'created', 'key_old', "
                "'app', ?, ?, ?)", [now, apikeys.key_hash(KEY), KEY[:8], KEY[-4:]])
    con.execute("INSERT INTO phone_events VALUES (2, ?, 'added', 'phone_main')", [now])
    con.execute("INSERT INTO messages (seq, message_id, created_at, client_id, key_id, "
                "phone_id, channel, recipient, text, tags, fingerprint) VALUES "
                "(3, 'msg_old', ?, 'app', 'key_old', 'phone_main', 'sms', '+12025550143', "
                "'from version 1', [], 'x')", [now])
    return con


def _database_before_bodies_apart(path):
    """The schema just before migration 0003, with what carried texts then: an email (subject
    too), an inbound message and a call, and a delivered webhook of the message whose payload
    held its text."""
    con = _database_at(path, BODIES_APART - 1)
    now = utcnow()
    con.execute("INSERT INTO messages (seq, message_id, created_at, client_id, key_id, "
                "phone_id, channel, recipient, text, subject, tags) VALUES "
                "(4, 'msg_mail', ?, 'app', 'key_old', 'phone_main', 'email', 'a@example.com', "
                "'the letter', 'Re: old', ['support'])", [now])
    for seq, event_id, event_type, text in ((5, "in_said", "message", "an old hello"),
                                            (6, "in_rang", "missed", None)):
        con.execute("INSERT INTO inbound_events (seq, recorded_at, event_id, phone_id, "
                    "device_event_id, channel, event_type, contact, text, tags, occurred_at) "
                    "VALUES (?, ?, ?, 'phone_main', ?, 'sms', ?, '+12025550144', ?, [], ?)",
                    [seq, now, event_id, event_id, event_type, text, now])
    payload = {"type": "inbound", "callback_id": "cb_old", "message_id": "in_said",
               "text": "an old hello", "tags": []}
    con.execute("INSERT INTO webhook_deliveries VALUES (7, ?, 'wh_old', 'cb_old', 'app', "
                "'inbound', 'in_said', ?)", [now, json.dumps(payload)])
    con.execute("INSERT INTO webhook_delivery_events (seq, recorded_at, delivery_id, event, "
                "attempt, outcome, status_code) VALUES (8, ?, 'wh_old', 'attempt', 1, "
                "'delivered', 200)", [now])
    return con


async def _texts_read_as_before(data_dir):
    """Starts a relay on data_dir, which applies 0003 first, and reads every text back."""
    running = await start_relay(make_settings(data_dir))
    try:
        assert running.relay.store.migrations_applied[0] == BODIES_APART
        await _read_back(running)
    finally:
        await stop_relay(running)


async def _read_back(running):
    api = running.api
    status, mail = await api.get("/api/v1/messages/msg_mail", key=KEY)
    assert status == 200, mail
    assert (mail["message"]["text"], mail["message"]["subject"]) == ("the letter", "Re: old")
    assert mail["message"]["tags"] == ["support"]
    status, listed = await api.get("/api/v1/messages", key=KEY)
    assert {m["message_id"]: m["text"] for m in listed["messages"]} == {
        "msg_old": "from version 1", "msg_mail": "the letter"}
    status, report = await api.post("/api/v1/webchat/inbound/query", {"range": "all"}, key=KEY)
    assert status == 200, report
    assert {e["message_id"]: e["text"] for e in report["events"]} == {
        "in_said": "an old hello", "in_rang": None}
    status, found = await api.get("/api/v1/webchat/callbacks/inbound/deliveries", key=KEY)
    assert status == 200 and found["deliveries"][0]["payload"]["text"] == "an old hello"
    stored = running.relay.store.read_sync(
        lambda cur: cur.execute("SELECT payload FROM webhook_deliveries").fetchone()[0])
    assert "text" not in json.loads(stored)      # the copy in the outbox is gone


async def test_upgrade_from_version_1(data_dir):
    data_dir.mkdir(parents=True)
    _database_at(data_dir / "relay.duckdb", 1).close()
    running = await start_relay(make_settings(data_dir))
    try:
        assert running.relay.store.migrations_applied == [
            v for v, _, _ in migrations.versions() if v > 1]
        status, old = await running.api.get("/api/v1/messages/msg_old", key=KEY)
        assert status == 200 and old["message"]["text"] == "from version 1"
        status, new = await running.api.post("/api/v1/messages", sms(), key=KEY)  # no key: NULL
        assert status == 202
        status, ready = await running.api.get("/readyz", key="")
        assert status == 200 and ready["checks"]["schema_applied"] is True
    finally:
        await stop_relay(running)
    running = await start_relay(make_settings(data_dir))      # nothing left to apply
    assert running.relay.store.migrations_applied == []
    await stop_relay(running)


async def test_upgrade_moves_the_texts_out_of_the_log_and_reads_them_back(data_dir):
    data_dir.mkdir(parents=True)
    _database_before_bodies_apart(data_dir / DB_FILE).close()
    await _texts_read_as_before(data_dir)


async def test_a_backup_from_before_the_migration_restores_then_upgrades(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    con = _database_before_bodies_apart(old_dir / DB_FILE)
    try:
        taken = backup.backup(con.cursor(), old_dir, tmp_path / "backup")
    finally:
        con.close()
    assert taken["rows"]["messages"] == 2 and "message_bodies" not in taken["rows"]
    restored = backup.restore(tmp_path / "backup", new_dir, DB_FILE)
    assert restored["rows"] == taken["rows"]
    await _texts_read_as_before(new_dir)
