"""Message bodies are sealed in their log rows under a key per day: the database file alone
shows no text, the API reads it back, and a data dir whose secrets.key was replaced still
starts and serves, with the old texts read as null."""
import duckdb

from helpers.relays import Api, make_settings, sms, start_relay, stop_relay
from relay.core.secretbox import KEY_FILE
from relay.store.database import DB_FILE

TEXT = "the meeting moved to 4pm"


async def _started(data_dir, key: str | None = None):
    """The relay on data_dir, with a client: new, or the one whose key is given."""
    running = await start_relay(make_settings(data_dir))
    running.client = (Api(running.base_url, key=key) if key
                      else await running.new_client("app"))
    return running


async def _send(running, text: str) -> str:
    status, body = await running.client.post("/api/v1/messages",
                                             sms(text=text, subject=None))
    assert status == 202, body
    return body["message_id"]


async def _text(running, message_id: str):
    status, body = await running.client.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]["text"]


def _file_contains(data_dir, text: str) -> bool:
    with duckdb.connect(str(data_dir / DB_FILE), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return any(con.execute(f"SELECT count(*) FROM {t} WHERE contains(CAST(COLUMNS(*) AS "
                               "VARCHAR), ?)", [text]).fetchone()[0] for t in tables)


async def test_the_file_holds_no_text_and_the_api_reads_it_back(data_dir):
    running = await _started(data_dir)
    try:
        await running.api.admin("phones.add", phone_id="phone_main")
        message_id = await _send(running, TEXT)
        assert await _text(running, message_id) == TEXT
        key = running.client.key
    finally:
        running.client.close()
        await stop_relay(running)
    assert not _file_contains(data_dir, TEXT)
    with duckdb.connect(str(data_dir / DB_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM body_keys").fetchone()[0] == 1

    running = await _started(data_dir, key)      # the day's key is loaded again
    try:
        assert await _text(running, message_id) == TEXT
    finally:
        running.client.close()
        await stop_relay(running)


async def test_a_replaced_secrets_key_reads_old_texts_as_null(data_dir):
    running = await _started(data_dir)
    try:
        await running.api.admin("phones.add", phone_id="phone_main")
        old = await _send(running, TEXT)
        key = running.client.key
    finally:
        running.client.close()
        await stop_relay(running)
    (data_dir / KEY_FILE).unlink()

    running = await _started(data_dir, key)
    try:
        assert await _text(running, old) is None
        status, listed = await running.client.get("/api/v1/messages")
        assert status == 200 and listed["messages"][0]["text"] is None
        new = await _send(running, "after the new key")
        assert await _text(running, new) == "after the new key"
    finally:
        running.client.close()
        await stop_relay(running)
