"""tg_bot delivered by the relay through a fake Telegram Bot API on loopback."""
import asyncio
import logging
import os
import time

import pytest

from helpers.fake_telegram import (BAD_GATEWAY, BLOCKED, CHAT_NOT_FOUND, FakeBotApi, HANG,
                                   UNAUTHORIZED, too_many_requests)
from helpers.processes import free_port
from helpers.relays import stop_relay
from helpers.sending import final_message, logged_attempts, sending_relay, stored_tokens

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def bot_message(**fields) -> dict:
    return {"phone_id": "phone_main", "channel": "tg_bot", "to": "-1001234567890",
            "text": "Привет from the relay", "bot_token": TOKEN, **fields}


@pytest.fixture
async def bot_api():
    api = FakeBotApi()
    yield api
    await api.close()


@pytest.fixture
def setup(start_sending, bot_api):
    """start(**settings) -> (running relay, client), sending to the fake Bot API."""
    return lambda **overrides: start_sending(telegram_api_base=bot_api.url, **overrides)


async def send(client, **fields):
    status, body = await client.post("/api/v1/messages", bot_message(**fields))
    assert status == 202, body
    return body


async def test_sent_with_chat_id_text_and_token(setup, bot_api):
    _, client = await setup()
    body = await send(client)
    assert body["status"] == "queued" and "bot_token" not in body
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent" and message["last_error"] is None
    assert message["delivered_at"] is not None
    assert [h["status"] for h in message["history"]] == ["queued", "sending", "sent"]
    assert "bot_token" not in message and TOKEN not in str(message)
    assert [(c["token"], c["chat_id"], c["text"]) for c in bot_api.calls] == [
        (TOKEN, "-1001234567890", "Привет from the relay")]


@pytest.mark.parametrize("answer, error", [
    (CHAT_NOT_FOUND, "Telegram 400: Bad Request: chat not found"),
    (UNAUTHORIZED, "Telegram 401: Unauthorized"),
    (BLOCKED, "Telegram 403: Forbidden: bot was blocked by the user"),
    ((400, {"ok": False, "description": "odd \ud800"}), "Telegram 400: odd \\ud800")])
async def test_permanent_refusals_fail_at_once(setup, bot_api, answer, error):
    _, client = await setup()
    bot_api.answers = [answer]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert (message["status"], message["last_error"]) == ("failed", error)
    assert len(bot_api.calls) == 1


async def test_429_waits_for_retry_after(setup, bot_api):
    _, client = await setup()
    bot_api.answers = [too_many_requests(1)]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent"
    first, second = bot_api.calls
    assert second["at"] - first["at"] >= 0.95     # retry_after 1 s, not the 0.1 s backoff


async def test_5xx_is_retried_and_every_attempt_is_logged(setup, bot_api):
    running, client = await setup()
    bot_api.answers = [BAD_GATEWAY, BAD_GATEWAY]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent" and len(bot_api.calls) == 3
    assert await logged_attempts(running, body["message_id"]) == [
        (1, "started", None, None), (1, "ended", "retry", "Telegram 502: Bad Gateway"),
        (2, "started", None, None), (2, "ended", "retry", "Telegram 502: Bad Gateway"),
        (3, "started", None, None), (3, "ended", "sent", None)]
    assert await stored_tokens(running) == 0      # dropped with the final status


async def test_gives_up_after_max_attempts_with_last_error(setup, bot_api):
    _, client = await setup(send_max_attempts=3)
    bot_api.answers = [BAD_GATEWAY] * 5
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed" and len(bot_api.calls) == 3
    assert message["last_error"] == "gave up after 3 attempts: Telegram 502: Bad Gateway"


async def test_gives_up_when_the_age_limit_passes(setup, bot_api):
    _, client = await setup(send_max_age_seconds=2)
    bot_api.answers = [too_many_requests(5)]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed" and len(bot_api.calls) == 1
    assert message["last_error"].startswith("gave up after 1 attempt: Telegram 429")


async def test_an_expired_message_stops_and_its_token_is_dropped(setup, bot_api):
    running, client = await setup(message_ttl_seconds=1)
    bot_api.answers = [too_many_requests(30)]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "expired" and len(bot_api.calls) == 1
    deadline = time.monotonic() + 5
    while await stored_tokens(running) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await stored_tokens(running) == 0


async def test_a_hung_api_times_out_and_is_retried(setup, bot_api):
    running, client = await setup(telegram_timeout_seconds=1)
    bot_api.answers = [HANG]
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent" and len(bot_api.calls) == 2
    first_end = (await logged_attempts(running, body["message_id"]))[1]
    assert first_end[2:] == ("retry", "the Bot API did not answer: Timeout during request")


async def test_an_unreachable_api_is_retried_then_fails(start_sending):
    _, client = await start_sending(telegram_api_base=f"http://127.0.0.1:{free_port()}",
                                    send_max_attempts=2)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed"
    assert message["last_error"].startswith("gave up after 2 attempts: could not reach the "
                                            "Bot API")
    assert TOKEN not in message["last_error"]


async def test_sync_delivery_answers_sent_or_failed(setup, bot_api):
    _, client = await setup(sync_delivery_ms=3000)
    body = await send(client)
    assert body["status"] == "sent" and body["delivered_at"] and body["last_error"] is None
    bot_api.answers = [CHAT_NOT_FOUND]
    body = await send(client)
    assert body["status"] == "failed"
    assert body["last_error"] == "Telegram 400: Bad Request: chat not found"


async def test_sync_delivery_answers_queued_when_slower(setup, bot_api):
    _, client = await setup(sync_delivery_ms=300, telegram_timeout_seconds=5)
    bot_api.answers = [HANG]
    started = time.monotonic()
    body = await send(client)
    assert body["status"] == "queued"
    assert 0.25 < time.monotonic() - started < 3


async def test_token_never_readable_on_disk_in_answers_or_logs(setup, bot_api, data_dir,
                                                               caplog):
    caplog.set_level(logging.DEBUG)
    running, client = await setup()
    bot_api.answers = [HANG]
    body = await send(client)
    while not bot_api.calls:                       # in flight: the token is stored
        await final_message(client, body["message_id"], timeout=0.05)
    assert await stored_tokens(running) == 1
    await running.relay.store.read(lambda cur: cur.execute("CHECKPOINT"))
    for name in os.listdir(data_dir):
        assert TOKEN.encode() not in (data_dir / name).read_bytes(), name
    assert os.stat(data_dir / "secrets.key").st_mode & 0o777 == 0o600
    _, listing = await client.get("/api/v1/messages")
    assert TOKEN not in str(listing)
    assert TOKEN not in caplog.text


async def test_restart_resumes_a_pending_retry(data_dir, bot_api):
    running, client = await sending_relay(data_dir, telegram_api_base=bot_api.url)
    bot_api.answers = [too_many_requests(2)]
    body = await send(client)
    while not bot_api.calls:
        await final_message(client, body["message_id"], timeout=0.05)
    client.close()
    await stop_relay(running)
    running, client = await sending_relay(data_dir, client.key, telegram_api_base=bot_api.url)
    try:
        message = await final_message(client, body["message_id"])
        assert message["status"] == "sent" and len(bot_api.calls) == 2
        assert bot_api.calls[1]["token"] == TOKEN          # opened with the data dir's key
        assert [a[:3] for a in await logged_attempts(running, body["message_id"])] == [
            (1, "started", None), (1, "ended", "retry"), (2, "started", None),
            (2, "ended", "sent")]
    finally:
        client.close()
        await stop_relay(running)


@pytest.mark.parametrize("fields, field", [
    ({"bot_token": "not-a-token"}, "bot_token"),
    ({"bot_token": None}, "bot_token"),
    ({"to": "@x"}, "to"),
    ({"subject": "hi"}, "subject")])
async def test_bad_tg_bot_requests_are_400(setup, bot_api, fields, field):
    _, client = await setup()
    status, body = await client.post("/api/v1/messages", bot_message(**fields))
    assert status == 400 and body["error"]["field"] == field
    assert bot_api.calls == []


async def test_same_idempotency_key_with_another_token_is_a_conflict(setup, bot_api):
    _, client = await setup()
    await send(client, idempotency_key="build-812")
    other = TOKEN.replace("AAH", "BBH")
    status, body = await client.post("/api/v1/messages",
                                     bot_message(idempotency_key="build-812", bot_token=other))
    assert status == 422 and body["error"]["field"] == "bot_token"
    assert TOKEN not in str(body) and other not in str(body)
