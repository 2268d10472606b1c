"""Helpers of the email and tg_bot tests: a relay set up for server-side sending, waiting for a
message's final status, and reading its logged attempts."""
import asyncio
import time

from helpers.relays import Api, add_client_and_phone, make_settings, start_relay

FINAL = ("sent", "failed", "expired")


async def sending_relay(data_dir, key: str | None = None, **overrides):
    """A relay with quick retries: (running, client). Without `key` (a first start) it adds a
    client 'app' and phone 'phone_main'; with it (a restart) the client uses that key."""
    settings = make_settings(data_dir, **{"send_retry_base_ms": 100, **overrides})
    running = await start_relay(settings)
    if key is not None:
        return running, Api(running.base_url, key=key)
    return running, await add_client_and_phone(running)


async def final_message(client, message_id: str, timeout: float = 15) -> dict:
    """The message once its status is final, as GET /api/v1/messages/<id> shows it."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = await client.get(f"/api/v1/messages/{message_id}")
        assert status == 200, body
        if body["message"]["status"] in FINAL or time.monotonic() > deadline:
            return body["message"]
        await asyncio.sleep(0.05)


async def logged_attempts(running, message_id: str) -> list[tuple]:
    """(attempt, event, outcome, error) of each send_attempts row, in order."""
    return await running.relay.store.read(lambda cur: cur.execute(
        "SELECT attempt, event, outcome, error FROM send_attempts WHERE message_id = ? "
        "ORDER BY seq", [message_id]).fetchall())


async def stored_tokens(running) -> int:
    return await running.relay.store.read(
        lambda cur: cur.execute("SELECT count(*) FROM sealed_bot_tokens").fetchone()[0])
