"""phone.offline and phone.online webhooks (docs/webhooks.md, Phone events): a phone that drops
is announced offline once it has been unseen for offline_after_seconds, and online when it
connects again; each transition once, across a relay restart too, signed like every delivery."""
import asyncio

import standardwebhooks

from helpers.phones import start_agent
from helpers.polling import eventually
from helpers.relays import Api, add_client_and_phone, make_settings, start_relay, stop_relay
from helpers.webhooks import LOOPBACK, Receiver, deliveries, register

OFFLINE_AFTER = 1


def _types(receiver) -> list[str]:
    return [body["type"] for body in receiver.bodies("phones")]


async def _restarted(running, client, settings):
    """The relay stopped and started again on its data dir, and the same client of it."""
    client.close()
    await stop_relay(running)
    running = await start_relay(settings)
    return running, Api(running.base_url, key=client.key)


async def test_a_phone_that_drops_and_comes_back_is_announced_once_each_way(data_dir, tmp_path):
    settings = make_settings(data_dir, callback_allow_networks=LOOPBACK,
                             offline_after_seconds=OFFLINE_AFTER)
    receiver = Receiver()
    running = await start_relay(settings)
    client = await add_client_and_phone(running)
    agent = await start_agent(running, tmp_path / "phone")
    try:
        registered = await register(client, receiver.url("phones"),
                                    event_types=["phone.offline", "phone.online"])
        assert registered["callback"]["event_types"] == ["phone.offline", "phone.online"]
        await agent.stop()
        await eventually(lambda: _types(receiver) == ["phone.offline"], 10,
                         what="phone.offline")
        offline = receiver.bodies("phones")[0]
        assert offline["phone_id"] == "phone_main" and offline["last_seen"] is not None
        status, phones = await client.get("/api/v1/phones/phone_main")
        assert phones["phone"]["online"] is False

        # A restart while the phone is away announces nothing again.
        running, client = await _restarted(running, client, settings)
        await asyncio.sleep(OFFLINE_AFTER + 1)
        assert _types(receiver) == ["phone.offline"]

        agent = await start_agent(running, tmp_path / "phone")
        await eventually(lambda: _types(receiver) == ["phone.offline", "phone.online"], 10,
                         what="phone.online")
        await asyncio.sleep(OFFLINE_AFTER + 1)
        assert _types(receiver) == ["phone.offline", "phone.online"]
        secret = registered["secret"]
        for record in receiver.received["phones"]:
            standardwebhooks.Webhook(secret).verify(record["body"], record["headers"])
        logged = await deliveries(client, message_id="phone_main")
        assert sorted(d["type"] for d in logged) == ["phone.offline", "phone.online"]
    finally:
        await agent.stop()
        client.close()
        await stop_relay(running)
        receiver.close()


async def test_a_relay_down_longer_than_the_threshold_announces_the_phone_offline(data_dir,
                                                                                   tmp_path):
    settings = make_settings(data_dir, callback_allow_networks=LOOPBACK,
                             offline_after_seconds=OFFLINE_AFTER)
    receiver = Receiver()
    running = await start_relay(settings)
    client = await add_client_and_phone(running)
    await register(client, receiver.url("phones"), event_types=["phone.offline"])
    agent = await start_agent(running, tmp_path / "phone")
    await agent.stop()
    # Stopped before the phone was announced offline
    running, client = await _restarted(running, client, settings)
    try:
        await eventually(lambda: _types(receiver) == ["phone.offline"], 10,
                         what="phone.offline after the restart")
    finally:
        client.close()
        await stop_relay(running)
        receiver.close()


async def test_phone_events_are_asked_for_by_name(hooks, receiver):
    default = await register(hooks.client, receiver.url("inbound"))
    assert default["callback"]["event_types"] == ["message", "call", "answered", "missed"]
    status, body = await hooks.client.post("/api/v1/webchat/callbacks/inbound", {
        "callback_url": receiver.url("x"), "event_types": ["phone.lost"]})
    assert status == 400 and body["error"]["field"] == "event_types", body
