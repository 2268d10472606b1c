"""GET /api/v1/phones and /api/v1/phones/<id>: presence, queue depth and in-flight count."""
from helpers.phones import connect, frame, hang_up, pair, start_agent
from helpers.polling import eventually
from helpers.relays import make_settings, sms, start_relay, stop_relay
import relay as relay_package


async def test_phones_offline_then_online_with_queue_and_in_flight(relay, client):
    await relay.api.admin("phones.add", phone_id="spare")
    for _ in range(3):
        await client.post("/api/v1/messages", sms())
    status, body = await client.get("/api/v1/phones")
    assert status == 200
    main, spare = body["phones"]
    assert (main["phone_id"], spare["phone_id"]) == ("phone_main", "spare")
    assert main["online"] is False and main["paired"] is False
    assert (main["queue_depth"], main["in_flight"]) == (3, 0)
    assert main["last_seen"] is None and main["connected_at"] is None

    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        for _ in range(3):
            await frame(connection, "deliver")
        _, body = await client.get("/api/v1/phones/phone_main")
        phone = body["phone"]
        assert phone["online"] is True and phone["paired"] is True
        assert phone["connected_at"] is not None and phone["last_seen"] is not None
        assert (phone["queue_depth"], phone["in_flight"]) == (0, 3)
        _, health = await relay.api.get("/health")
        assert health["phones_online"] == 1
    finally:
        await hang_up(connection)

    async def offline():
        _, body = await client.get("/api/v1/phones/phone_main")
        return not body["phone"]["online"] and body["phone"]
    phone = await eventually(offline)
    assert phone["connected_at"] is None and phone["last_seen"] is not None
    assert (phone["queue_depth"], phone["in_flight"]) == (3, 0)   # back in the queue


async def test_unknown_phone_and_missing_key(relay, client):
    status, body = await client.get("/api/v1/phones/nope")
    assert status == 404 and body["error"]["code"] == "unknown_phone"
    status, body = await relay.api.get("/api/v1/phones")
    assert status == 401


async def test_last_seen_survives_a_restart(data_dir):
    relay = await start_relay(make_settings(data_dir))
    await relay.api.admin("phones.add", phone_id="phone_main")
    connection = await connect(relay, (await pair(relay))["access_token"])
    connection.write_message('{"type":"heartbeat","battery":55,"signal":2}')
    await frame(connection, "hello")
    client = await relay.new_client("app")

    async def beat():
        _, body = await client.get("/api/v1/phones/phone_main")
        return body["phone"]["battery"] == 55
    await eventually(beat)
    await hang_up(connection)
    client.close()
    await stop_relay(relay)
    relay = await start_relay(make_settings(data_dir))
    client = await relay.new_client("app2")
    try:
        _, body = await client.get("/api/v1/phones/phone_main")
        assert body["phone"]["online"] is False and body["phone"]["battery"] == 55
        assert body["phone"]["last_seen"] is not None
    finally:
        client.close()
        await stop_relay(relay)


async def test_the_agent_reports_its_vitals(relay, client):
    running = await start_agent(relay)
    try:
        async def reported():
            _, body = await client.get("/api/v1/phones/phone_main")
            return body["phone"]["battery"] is not None and body["phone"]
        phone = await eventually(reported)
        assert 0 <= phone["battery"] <= 100 and 0 <= phone["signal"] <= 4
        assert phone["app_version"] == relay_package.__version__
    finally:
        await running.stop()
