"""An email or tg_bot message whose server cannot be reached: each failed attempt shows its
reason as last_error at once, and the message says when the next attempt is due; `relay demo`
tells it too."""
import asyncio
import datetime as dt
import json
import re
import sys
import time
import urllib.request

import pytest

from helpers import process_output
from helpers.processes import free_port

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
RETRY_MS = 60_000
MESSAGES = {
    "tg_bot": {"phone_id": "phone_main", "channel": "tg_bot", "to": "123456789",
               "bot_token": TOKEN, "text": "hello"},
    "email": {"phone_id": "phone_main", "channel": "email", "to": "me@example.com",
              "subject": "Hi", "text": "hello"},
}
UNREACHABLE = {
    "tg_bot": lambda port: {"telegram_api_base": f"http://127.0.0.1:{port}"},
    "email": lambda port: {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                           "smtp_from": "relay@example.com"},
}


async def _retrying(client, message_id: str) -> dict:
    """The message once its first attempt has failed."""
    deadline = time.monotonic() + 15
    while True:
        status, body = await client.get(f"/api/v1/messages/{message_id}")
        assert status == 200, body
        if body["message"]["last_error"] is not None or time.monotonic() > deadline:
            return body["message"]
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("channel", ["tg_bot", "email"])
async def test_a_failed_attempt_shows_its_reason_and_the_next_attempts_time(start_sending,
                                                                           channel):
    _, client = await start_sending(send_retry_base_ms=RETRY_MS,
                                    **UNREACHABLE[channel](free_port()))
    status, body = await client.post("/api/v1/messages", MESSAGES[channel])
    assert status == 202, body
    accepted = dt.datetime.now(dt.UTC)
    message = await _retrying(client, body["message_id"])
    assert message["status"] == "sending", message
    assert re.match(r"could not (reach|talk to) the", message["last_error"]), message
    assert TOKEN not in str(message)
    due = dt.datetime.fromisoformat(message["next_attempt_at"]) - accepted
    assert 0.8 * RETRY_MS / 1000 - 1 < due.total_seconds() < 1.2 * RETRY_MS / 1000 + 1, message
    status, listed = await client.get(f"/api/v1/messages?channel={channel}")
    [shown] = listed["messages"]
    assert (shown["last_error"], shown["next_attempt_at"]) == (message["last_error"],
                                                               message["next_attempt_at"])


async def test_other_messages_have_no_next_attempt(start_sending):
    _, client = await start_sending()
    status, body = await client.post("/api/v1/messages", {
        "phone_id": "phone_main", "channel": "sms", "to": "+12025550143", "text": "hi"})
    status, shown = await client.get(f"/api/v1/messages/{body['message_id']}")
    assert shown["message"]["next_attempt_at"] is None and shown["message"]["last_error"] is None


def test_relay_demo_narrates_a_failed_attempt(tmp_path):
    port = free_port()
    demo = process_output.start(
        sys.executable, "-m", "relay", "demo", "--data-dir", str(tmp_path / "demo"),
        "--port", str(port), "--inbound-per-minute", "0",
        "--telegram-api-base", f"http://127.0.0.1:{free_port()}",
        "--send-retry-base-ms", str(RETRY_MS))
    try:
        key = demo.wait_for(r"Bearer (rly_\w+)").group(1)
        demo.wait_for(r'"event": "listening"')
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/messages", method="POST",
            data=json.dumps(MESSAGES["tg_bot"]).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            message_id = json.loads(response.read())["message_id"]
        demo.wait_for(message_id + r"\s+retry\s+attempt 1 failed: could not reach the Bot "
                                   r"API.*; next attempt at \d\d:\d\d:\d\d UTC")
    finally:
        assert demo.stop() == 0
