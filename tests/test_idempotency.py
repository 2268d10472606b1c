"""Idempotency keys: one message per key and client, however often and however concurrently."""
import asyncio

from helpers.relays import sms


async def test_repeat_is_a_duplicate_with_current_status(client):
    status, first = await client.post("/api/v1/messages", sms(idempotency_key="order-1"))
    assert status == 202
    # source is only a label: a different one is still the same message
    status, again = await client.post("/api/v1/messages",
                                      sms(idempotency_key="order-1", source="retry"))
    assert status == 200
    assert again == {"success": True, "duplicate": True, "message_id": first["message_id"],
                     "status": "queued", "idempotency_key": "order-1", "encoding": "GSM-7",
                     "segments": 1}
    _, listed = await client.get("/api/v1/messages")
    assert len(listed["messages"]) == 1


async def test_header_key_and_body_key(client):
    status, first = await client.post("/api/v1/messages", sms(),
                                      headers={"Idempotency-Key": "hdr-1"})
    assert status == 202 and first["idempotency_key"] == "hdr-1"
    status, again = await client.post("/api/v1/messages", sms(idempotency_key="hdr-1"))
    assert status == 200 and again["message_id"] == first["message_id"]
    status, same = await client.post("/api/v1/messages", sms(idempotency_key="hdr-1"),
                                     headers={"Idempotency-Key": "hdr-1"})
    assert status == 200
    status, body = await client.post("/api/v1/messages", sms(idempotency_key="a"),
                                     headers={"Idempotency-Key": "b"})
    assert (status, body["error"]["code"]) == (400, "idempotency_mismatch")
    status, body = await client.post("/api/v1/messages", sms(),
                                     headers={"Idempotency-Key": "x" * 300})
    assert (status, body["error"]["field"]) == (400, "Idempotency-Key")


async def test_same_key_different_message_is_a_conflict_naming_the_field(client):
    await client.post("/api/v1/messages", sms(idempotency_key="k", tags=["a"]))
    for change, field in (({"text": "other"}, "text"), ({"to": "+447911123456"}, "to"),
                          ({"tags": ["b"]}, "tags"),
                          ({"channel": "wa"}, "channel")):
        status, body = await client.post("/api/v1/messages",
                                         sms(**{"idempotency_key": "k", "tags": ["a"], **change}))
        assert status == 422
        assert body["error"]["code"] == "idempotency_conflict"
        assert body["error"]["field"] == field


async def test_equivalent_numbers_are_the_same_message(client):
    _, first = await client.post("/api/v1/messages", sms(idempotency_key="n"))
    status, again = await client.post("/api/v1/messages",
                                      sms(idempotency_key="n", to="(202) 555-0143"))
    assert status == 200 and again["message_id"] == first["message_id"]


async def test_concurrent_requests_with_one_key_make_one_message(client):
    results = await asyncio.gather(*[
        client.post("/api/v1/messages", sms(idempotency_key="burst")) for _ in range(40)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 39 + [202]
    assert len({body["message_id"] for _, body in results}) == 1
    _, listed = await client.get("/api/v1/messages")
    assert len(listed["messages"]) == 1


async def test_keys_are_per_client_and_survive_rotation(relay, client):
    _, mine = await client.post("/api/v1/messages", sms(idempotency_key="shared"))
    other = await relay.new_client("other")
    status, theirs = await other.post("/api/v1/messages", sms(idempotency_key="shared"))
    assert status == 202 and theirs["message_id"] != mine["message_id"]
    other.close()
    rotated = await relay.api.admin("keys.rotate", name="app", grace="1h")
    status, again = await client.post("/api/v1/messages", sms(idempotency_key="shared"),
                                      key=rotated["key"])
    assert status == 200 and again["message_id"] == mine["message_id"]


async def test_keys_survive_a_restart(data_dir):
    from helpers.relays import make_settings, start_relay, stop_relay
    running = await start_relay(make_settings(data_dir))
    created = await running.api.admin("keys.create", name="app")
    await running.api.admin("phones.add", phone_id="phone_main")
    _, first = await running.api.post("/api/v1/messages", sms(idempotency_key="r"),
                                      key=created["key"])
    await stop_relay(running)
    running = await start_relay(make_settings(data_dir))
    status, again = await running.api.post("/api/v1/messages", sms(idempotency_key="r"),
                                           key=created["key"])
    assert status == 200 and again["message_id"] == first["message_id"]
    status, body = await running.api.post("/api/v1/messages", sms(idempotency_key="r", text="x"),
                                          key=created["key"])
    assert status == 422
    await stop_relay(running)
