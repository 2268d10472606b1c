"""A relay killed (SIGKILL) in the middle of an SMTP delivery makes the attempt again after a
restart, and the message is sent once."""
import asyncio
import time

import duckdb
import pytest

from helpers.fake_smtp import Inbox, start_smtp
from helpers.relays import Api
from helpers.sending import final_message

pytestmark = pytest.mark.slow


async def test_killed_during_delivery_retries_after_restart_and_sends_once(relay_process):
    stalled = Inbox(stall=asyncio.Event())     # takes the DATA, never answers it
    first = await start_smtp(stalled)
    env = {"RELAY_SMTP_HOST": "127.0.0.1", "RELAY_SMTP_PORT": str(first.port),
           "RELAY_SMTP_SECURITY": "none", "RELAY_SMTP_FROM": "relay@example.com",
           "RELAY_SMTP_TIMEOUT_SECONDS": "60"}
    relay = relay_process(env)
    key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    await asyncio.to_thread(relay.start)
    client = Api(relay.url, key=key)
    status, body = await client.post("/api/v1/messages", {
        "phone_id": "phone_main", "channel": "email", "to": "bob@example.org",
        "subject": "once", "text": "exactly once"})
    assert status == 202, body
    deadline = time.monotonic() + 10
    while not stalled.offered and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert stalled.offered, "the relay never reached DATA"
    relay.kill()                               # mid-delivery: DATA sent, no answer yet
    client.close()
    await first.close()

    working = await start_smtp(Inbox(), port=first.port)
    restarted = relay_process(env)
    await asyncio.to_thread(restarted.start)
    client = Api(restarted.url, key=key)
    try:
        message = await final_message(client, body["message_id"])
    finally:
        client.close()
        await asyncio.to_thread(restarted.stop)
        await working.close()
    assert message["status"] == "sent"
    assert [h["status"] for h in message["history"]] == ["queued", "sending", "sent"]
    [(_, delivered, _)] = working.inbox.received
    # The same Message-ID on both attempts: a receiver can tell a copy from a new message.
    assert delivered["Message-ID"] == stalled.offered[0]["Message-ID"]
    with duckdb.connect(str(restarted.data_dir / "relay.duckdb"), read_only=True) as con:
        attempts = con.execute("SELECT attempt, event, outcome FROM send_attempts "
                               "ORDER BY seq").fetchall()
    assert attempts == [(1, "started", None), (2, "started", None), (2, "ended", "sent")]
