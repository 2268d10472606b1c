"""A database made by the previous schema is upgraded at start-up, keeping its data."""
import duckdb

from conftest import make_settings, sms, start_relay, stop_relay
from relay.core import apikeys
from relay.core.timefmt import utcnow
from relay.store import migrations

KEY = apikeys.new_key()


def _version_1_database(path):
    """What a relay at schema version 1 left behind: a key, a phone and a message."""
    version, name, sql = migrations.versions()[0]
    assert version == 1
    now = utcnow()
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL, "
                    "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (1, ?, ?)", [name, now])
        con.execute("INSERT INTO key_events (seq, recorded_at, event, key_id, client_id, "
                    "key_hash, display_prefix, last4) VALUES (1, ?, 'created', 'key_old', "
                    "'app', ?, ?, ?)", [now, apikeys.key_hash(KEY), KEY[:8], KEY[-4:]])
        con.execute("INSERT INTO phone_events VALUES (2, ?, 'added', 'phone_main')", [now])
        con.execute("INSERT INTO messages (seq, message_id, created_at, client_id, key_id, "
                    "phone_id, channel, recipient, text, tags, fingerprint) VALUES "
                    "(3, 'msg_old', ?, 'app', 'key_old', 'phone_main', 'sms', '+12025550143', "
                    "'from version 1', [], 'x')", [now])


async def test_upgrade_from_version_1(data_dir):
    data_dir.mkdir(parents=True)
    _version_1_database(data_dir / "relay.duckdb")
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
