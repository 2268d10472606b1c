"""Helpers of the email and tg_bot tests: a relay set up for server-side sending, waiting for a
message's final status, and reading its logged attempts."""
import asyncio
import time

import pytest

from conftest import Api, make_settings, start_relay, stop_relay

FINAL = ("sent", "failed", "expired")


async def sending_relay(data_dir, key: str | None = None, **overrides):
    """A relay with quick retries: (running, client). Without `key` (a first start) it adds a
    client 'app' and phone 'phone_main'; with it (a restart) the client uses that key."""
    settings = make_settings(data_dir, **{"send_retry_base_ms": 100, **overrides})
    running = await start_relay(settings)
    if key is not None:
        return running, Api(running.base_url, key=key)
    client = await running.new_client("app")
    await running.api.admin("phones.add", phone_id="phone_main")
    return running, client


@pytest.fixture
async def start_sending(data_dir):
    """start(**settings) -> (running, client) as sending_relay gives them; every relay started
    is stopped after the test."""
    started = []

    async def start(**overrides):
        running, client = await sending_relay(data_dir, **overrides)
        started.append((running, client))
        return running, client
    yield start
    for running, client in started:
        client.close()
        await stop_relay(running)


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
