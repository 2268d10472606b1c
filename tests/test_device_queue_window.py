"""A phone's queue keeps a small window in memory and the rest in the database: with many more
messages waiting than the window holds, the phone still gets every one, oldest first, once,
across a restart too; expiry reaches the ones outside the window; the count stays right."""
import asyncio
import contextlib
import json

import pytest

from helpers.relays import make_settings, sms, start_relay, stop_relay
from helpers.phones import connect, frame, hang_up, pair, start_agent
from helpers.polling import eventually

WINDOW = 10


@contextlib.asynccontextmanager
async def _running(data_dir, client="app", **settings):
    """A relay whose phones keep 10 waiting messages in memory, with a client and phone_main."""
    relay = await start_relay(make_settings(data_dir, device_queue_window=WINDOW,
                                            max_in_flight=3, **settings))
    relay.client = None
    try:
        relay.client = await relay.new_client(client)
        if "phone_main" not in relay.relay.state.phones:    # a restart keeps it
            await relay.api.admin("phones.add", phone_id="phone_main")
        yield relay
    finally:
        if relay.client is not None:
            relay.client.close()
        await stop_relay(relay)


@pytest.fixture
async def windowed(data_dir):
    async with _running(data_dir) as relay:
        yield relay


async def _send(client, count, start=0):
    ids = []
    for n in range(start, start + count):
        status, body = await client.post("/api/v1/messages", sms(text=f"m{n}"))
        assert status == 202, body
        ids.append(body["message_id"])
    return ids


async def _depth(client):
    _, body = await client.get("/api/v1/phones/phone_main")
    return body["phone"]["queue_depth"], body["phone"]["in_flight"]


def _in_memory(relay) -> int:
    queue = relay.relay.devices.dispatcher.queues["phone_main"]
    return len(queue.waiting) + len(queue.in_flight)


async def _receive(connection, count) -> list[str]:
    """Acts as the phone: answers each deliver frame with sent, returns the ids in order."""
    received = []
    while len(received) < count:
        deliver = await frame(connection, "deliver")
        received.append(deliver["message_id"])
        connection.write_message(json.dumps({"type": "status", "status": "sent",
                                             "message_id": deliver["message_id"]}))
    return received


async def _nothing_more(connection):
    with pytest.raises(asyncio.TimeoutError):
        await frame(connection, "deliver", timeout=0.5)


async def test_many_more_than_the_window_arrive_in_order_once(windowed):
    relay, client = windowed, windowed.client
    ids = await _send(client, 200)
    assert await _depth(client) == (200, 0)
    assert _in_memory(relay) <= WINDOW
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        assert await _receive(connection, 200) == ids
        await _nothing_more(connection)
        await eventually(lambda: _all_are(client, ids, "sent"))
        assert await _depth(client) == (0, 0)
    finally:
        await hang_up(connection)


async def test_messages_sent_while_the_backlog_drains_come_after_it(windowed):
    relay, client = windowed, windowed.client
    backlog = await _send(client, 60)
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        more = asyncio.ensure_future(_send(client, 60, start=60))
        received = await _receive(connection, 120)
        assert received == backlog + await more
        await _nothing_more(connection)
    finally:
        await hang_up(connection)


async def test_a_restart_reads_only_the_window_and_the_rest_follows(data_dir):
    async with _running(data_dir) as relay:
        ids = await _send(relay.client, 200)
        grant = await pair(relay)
        connection = await connect(relay, grant["access_token"])
        first = await _receive(connection, 50)
        await eventually(lambda: _all_are(relay.client, first, "sent"))
        await hang_up(connection)
    async with _running(data_dir, client="app2") as relay:
        assert await _depth(relay.client) == (150, 0)
        assert _in_memory(relay) <= WINDOW
        connection = await connect(relay, grant["access_token"])
        try:
            assert first + await _receive(connection, 150) == ids
            await _nothing_more(connection)
        finally:
            await hang_up(connection)


async def test_the_agent_sends_each_of_a_long_backlog_once(windowed, tmp_path):
    relay, client = windowed, windowed.client
    ids = await _send(client, 150)
    running = await start_agent(relay, tmp_path / "phone")
    try:
        await eventually(lambda: _all_are(client, ids, "sent"), timeout=30)
        assert sorted(running.backend.sent) == sorted(ids)
        assert len(running.backend.sent) == len(ids)
    finally:
        await running.stop()


async def test_messages_outside_the_window_expire_and_leave_the_count(data_dir):
    async with _running(data_dir, message_ttl_seconds=1) as relay:
        ids = await _send(relay.client, 40)
        await eventually(lambda: _all_are(relay.client, ids, "expired"), timeout=15)
        await eventually(lambda: _empty(relay.client), timeout=15)
        connection = await connect(relay, (await pair(relay))["access_token"])
        try:
            await _nothing_more(connection)
        finally:
            await hang_up(connection)


async def _empty(client):
    return await _depth(client) == (0, 0)


async def _all_are(client, ids, status):
    _, page = await client.get("/api/v1/messages?limit=500")
    statuses = {m["message_id"]: m["status"] for m in page["messages"]}
    return all(statuses.get(message_id) == status for message_id in ids)


def test_a_window_below_one_stops_relay_serve(relay_process):
    relay = relay_process({"RELAY_DEVICE_QUEUE_WINDOW": "0"})
    result = relay.cli("serve", "--port", str(relay.port), check=False)
    assert result.returncode == 2 and "device_queue_window must be at least 1" in result.stderr
