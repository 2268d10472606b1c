"""Retries: an answer lost on the way back is retried with the same idempotency key and makes
one message; 429 and 503 are retried (Retry-After honoured), other errors never."""
import time
import uuid

import pytest

from loopback import PHONE, LosingProxy, ScriptedServer, free_port, wait_for
from relay_client import AsyncRelay, Relay, RelayError, RetryPolicy

QUICK = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.1)


def sms(source: str) -> dict:
    return dict(phone_id=PHONE, channel="sms", to="+12025550143", text="exactly once",
                source=source)


@pytest.fixture
def losing(relay):
    """A proxy to the relay that swallows the relay's answer on its first connection."""
    proxy = LosingProxy(relay.port)
    yield proxy
    proxy.close()


def _one_message_sent_once(relay, client: Relay, accepted: dict, source: str) -> None:
    listed = list(client.list_messages(source=source))
    assert [m["message_id"] for m in listed] == [accepted["message_id"]]
    wait_for(lambda: client.get_message(accepted["message_id"])["status"] == "sent",
             what="the message to be sent")
    time.sleep(0.3)                     # a second delivery to the phone would come by now
    assert relay.times_sent(accepted["message_id"]) == 1


def test_a_lost_answer_is_retried_and_the_phone_sends_one_message(relay, client, losing):
    source = f"lost-{uuid.uuid4().hex[:8]}"
    with Relay(losing.url, relay.key, timeout=1.0, retry=QUICK) as through_proxy:
        accepted = through_proxy.send(**sms(source))
    assert losing.connections == 2
    # The first try was accepted by the relay; the retry, with the same key, is its repeat.
    assert accepted["duplicate"] is True
    _one_message_sent_once(relay, client, accepted, source)


async def test_the_async_client_retries_a_lost_answer_the_same_way(relay, client, losing):
    source = f"lost-{uuid.uuid4().hex[:8]}"
    async with AsyncRelay(losing.url, relay.key, timeout=1.0, retry=QUICK) as through_proxy:
        accepted = await through_proxy.send(**sms(source))
    assert accepted["duplicate"] is True and losing.connections == 2
    _one_message_sent_once(relay, client, accepted, source)


def test_without_retries_a_lost_answer_is_a_timeout_error(relay, client, losing):
    source = f"lost-{uuid.uuid4().hex[:8]}"
    with Relay(losing.url, relay.key, timeout=0.5, retry=False) as through_proxy:
        with pytest.raises(RelayError) as lost:
            through_proxy.send(**sms(source))
    assert (lost.value.status, lost.value.code) == (None, "timeout")
    assert losing.connections == 1
    # The relay did accept it: a caller that retries by hand needs the same key.
    assert len(list(client.list_messages(source=source))) == 1


def test_a_relay_that_is_not_there_is_a_connection_error_after_every_try(relay):
    with Relay(f"http://127.0.0.1:{free_port()}", relay.key, retry=QUICK) as nowhere:
        with pytest.raises(RelayError) as refused:
            nowhere.list_phones()
    assert (refused.value.status, refused.value.code) == (None, "connection_error")


@pytest.mark.parametrize("status", [400, 401, 404, 409, 413, 422])
def test_other_errors_are_never_retried(relay, status):
    server = ScriptedServer((status, {}))
    try:
        with Relay(server.url, "rly_any", retry=QUICK) as client, \
                pytest.raises(RelayError) as refused:
            client.send(**sms("scripted"))
        assert (refused.value.status, refused.value.code) == (status, f"code_{status}")
        assert len(server.requests) == 1
    finally:
        server.close()


def test_429_waits_retry_after_and_503_backs_off():
    server = ScriptedServer((429, {"Retry-After": "1"}), (503, {}), (202, {}))
    try:
        with Relay(server.url, "rly_any", retry=QUICK) as client:
            assert client.send(**sms("scripted"))["message_id"] == "msg_scripted"
        first, second, third = server.requests
        assert second - first >= 0.95          # Retry-After: 1
        assert third - second < 0.5            # the backoff of QUICK
    finally:
        server.close()


def test_the_last_try_raises_the_answer_with_its_retry_after():
    server = ScriptedServer(*[(503, {"Retry-After": "0"})] * 3)
    try:
        with Relay(server.url, "rly_any", retry=QUICK) as client, \
                pytest.raises(RelayError) as busy:
            client.list_phones()
        assert (busy.value.status, busy.value.retry_after) == (503, 0)
        assert len(server.requests) == QUICK.attempts
    finally:
        server.close()


def test_a_retry_after_longer_than_the_policy_waits_is_raised_at_once():
    server = ScriptedServer((429, {"Retry-After": "3600"}))
    try:
        with Relay(server.url, "rly_any", retry=QUICK) as client, \
                pytest.raises(RelayError) as limited:
            client.list_phones()
        assert (limited.value.status, limited.value.retry_after) == (429, 3600)
        assert len(server.requests) == 1
    finally:
        server.close()


def test_backoff_grows_with_jitter_up_to_its_ceiling():
    policy = RetryPolicy(attempts=10, base_delay=1.0, max_delay=4.0)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = {policy.delay(retry) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(waits) > 1
    assert policy.delay(10) is None
    assert RetryPolicy(attempts=1).delay(1) is None
