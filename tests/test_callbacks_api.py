"""The callback registration API: create, replace, list, delete, every bad input a 400 naming
its field, SSRF refusals at registration and at connection time, the deliveries listing."""
import asyncio
import time

import pytest

from helpers.relays import Api, make_settings, start_relay, stop_relay
from helpers.webhooks import CALLBACKS, LOOPBACK, Receiver, deliveries, inbound, register, settled

URL = "https://hooks.example.com/relay"


@pytest.mark.parametrize("body, field", [
    ({}, "callback_url"),
    ({"callback_url": ""}, "callback_url"),
    ({"callback_url": 42}, "callback_url"),
    ({"callback_url": "ftp://example.com/x"}, "callback_url"),
    ({"callback_url": "example.com/x"}, "callback_url"),
    ({"callback_url": "https://user:pw@example.com/x"}, "callback_url"),
    ({"callback_url": "https://user@example.com/x"}, "callback_url"),
    ({"callback_url": "https://example.com/" + "a" * 2040}, "callback_url"),
    ({"callback_url": "https://exa mple.com/x"}, "callback_url"),
    ({"callback_url": "https:///nohost"}, "callback_url"),
    ({"callback_url": "https://example.com:99999/x"}, "callback_url"),
    ({"callback_url": URL, "channels": "sms"}, "channels"),
    ({"callback_url": URL, "channels": []}, "channels"),
    ({"callback_url": URL, "channels": ["fax"]}, "channels"),
    ({"callback_url": URL, "event_types": ["sms"]}, "event_types"),
    ({"callback_url": URL, "event_types": [1]}, "event_types"),
    ({"callback_url": URL, "source_filter": ""}, "source_filter"),
    ({"callback_url": URL, "source_filter": 5}, "source_filter"),
    ({"callback_url": URL, "keyword_filter": "x" * 201}, "keyword_filter"),
    ({"callback_url": URL, "min_duration_sec": -1}, "min_duration_sec"),
    ({"callback_url": URL, "min_duration_sec": 1.5}, "min_duration_sec"),
    ({"callback_url": URL, "max_duration_sec": True}, "max_duration_sec"),
    ({"callback_url": URL, "min_duration_sec": 60, "max_duration_sec": 10}, "max_duration_sec"),
    ({"callback_url": URL, "callback_token": "has space"}, "callback_token"),
    ({"callback_url": URL, "callback_token": "line\nbreak"}, "callback_token"),
    ({"callback_url": URL, "callback_token": ""}, "callback_token"),
    ({"callback_url": URL, "active": "yes"}, "active"),
    ({"callback_url": URL, "secret": "mine"}, "secret"),
])
async def test_bad_registrations_are_400_naming_the_field(client, body, field):
    status, answer = await client.post(CALLBACKS, body)
    assert status == 400, answer
    assert answer["success"] is False and answer["error"]["field"] == field, answer
    status, answer = await client.get(CALLBACKS)
    assert answer["callbacks"] == []


async def test_bad_bodies_are_4xx_json(client):
    status, body = await client.post(CALLBACKS, raw=b"{not json")
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    status, body = await client.post(CALLBACKS, ["a list"])
    assert status == 400
    status, body = await client.post(CALLBACKS, raw=b"{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    status, body = await client.get(CALLBACKS, key="rk_wrong")
    assert status == 401


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/hook", "http://[::1]/hook",
    "http://10.1.2.3/hook", "http://172.16.0.1/hook", "http://192.168.1.20/hook",
    "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/hook", "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://[fd00::1]/hook", "http://[fe80::1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook", "http://2130706433/hook", "http://127.1/hook",
    "http://localhost:5000/hook", "http://api.localhost./hook",   # loopback names (RFC 6761)
])
async def test_private_targets_are_refused_at_registration(client, url):
    status, body = await client.post(CALLBACKS, {"callback_url": url})
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400, "forbidden_address", "callback_url"), body


async def test_a_name_is_not_resolved_at_registration(client):
    status, body = await client.post(CALLBACKS, {"callback_url": "https://nowhere.invalid/x"})
    assert status == 201, body


async def test_a_name_that_does_not_resolve_is_a_failed_attempt_retried(hooks):
    await register(hooks.client, "http://nowhere.invalid/hook")
    await inbound(hooks)
    deadline = time.monotonic() + 10
    while not (found := await deliveries(hooks.client)) or not found[0]["events"]:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)
    [delivery] = found
    [attempt] = delivery["events"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 1, delivery
    assert attempt["outcome"] == "failed" and attempt["next_attempt_at"] is not None
    assert "the host nowhere.invalid does not resolve" in attempt["error"], attempt


async def test_register_replace_list_and_delete(hooks):
    api, url = hooks.client, "http://127.0.0.1:9/hook"
    status, created = await api.post(CALLBACKS, {
        "callback_url": url, "channels": ["sms", "wa"], "source_filter": "+1202",
        "event_types": ["message", "missed"], "keyword_filter": "Help",
        "min_duration_sec": 0, "max_duration_sec": 600, "callback_token": "s3cr3t"})
    assert status == 201 and created["created"] is True, created
    callback = created["callback"]
    assert callback["id"].startswith("cb_") and created["secret"].startswith("whsec_")
    assert callback == {**callback, "callback_url": url, "channels": ["sms", "wa"],
                        "event_types": ["message", "missed"], "source_filter": "+1202",
                        "keyword_filter": "Help", "min_duration_sec": 0,
                        "max_duration_sec": 600, "has_callback_token": True, "active": True}
    # The same URL again replaces the definition: same id, new secret.
    status, replaced = await api.post(CALLBACKS, {"callback_url": url, "active": False})
    assert status == 200 and replaced["created"] is False
    assert replaced["callback"]["id"] == callback["id"]
    assert replaced["secret"] != created["secret"]
    assert replaced["callback"]["channels"] == [] and replaced["callback"]["active"] is False
    assert replaced["callback"]["event_types"] == ["message", "call", "answered", "missed"]
    await register(api, "http://127.0.0.1:9/second")
    status, listed = await api.get(CALLBACKS)
    assert [c["callback_url"] for c in listed["callbacks"]] == [url, "http://127.0.0.1:9/second"]
    text = str(listed)
    assert "s3cr3t" not in text and created["secret"] not in text and "whsec_" not in text
    # Another client sees none of them and cannot delete them.
    other = await hooks.new_client("other")
    assert (await other.get(CALLBACKS))[1]["callbacks"] == []
    status, body = await other.request("DELETE", f"{CALLBACKS}?id={callback['id']}")
    assert (status, body["error"]["code"]) == (404, "unknown_callback")
    other.close()
    # Delete by id and by URL.
    status, body = await api.request("DELETE", f"{CALLBACKS}?id={callback['id']}")
    assert (status, body["deleted"]) == (200, callback["id"])
    status, body = await api.request("DELETE",
                                     f"{CALLBACKS}?callback_url=http://127.0.0.1:9/second")
    assert status == 200
    assert (await api.get(CALLBACKS))[1]["callbacks"] == []
    for query, code in (("", 400), (f"?id={callback['id']}", 404), ("?id=a&callback_url=b", 400),
                        ("?name=x", 400)):
        status, body = await api.request("DELETE", CALLBACKS + query)
        assert status == code and body["success"] is False, (query, body)


async def test_delete_takes_the_registration_body_or_an_id_in_json(hooks):
    api = hooks.client
    body = {"callback_url": "http://127.0.0.1:9/a", "channels": ["sms"], "active": True}
    await register(api, body["callback_url"], channels=["sms"])
    second = (await register(api, "http://127.0.0.1:9/b"))["callback"]
    status, answer = await api.request("DELETE", CALLBACKS, body)
    assert status == 200, answer
    status, answer = await api.request("DELETE", CALLBACKS, {"id": second["id"]})
    assert (status, answer["deleted"]) == (200, second["id"])
    assert (await api.get(CALLBACKS))[1]["callbacks"] == []
    for bad, path, code, field in (
            ({"id": second["id"]}, CALLBACKS, 404, "id"),
            ({"callback_url": "http://127.0.0.1:9/none"}, CALLBACKS, 404, "callback_url"),
            ({"id": "cb_1", "callback_url": "http://127.0.0.1:9/b"}, CALLBACKS, 400, None),
            ({}, CALLBACKS, 400, None), ({"id": 5}, CALLBACKS, 400, "id"),
            ({"name": "x"}, CALLBACKS, 400, "name"), (["cb_1"], CALLBACKS, 400, None),
            ({"id": "cb_1"}, CALLBACKS + "?id=cb_1", 400, None)):
        status, answer = await api.request("DELETE", path, bad)
        assert (status, answer["success"], answer["error"]["field"]) == (
            code, False, field), (bad, answer)
    status, answer = await api.request("DELETE", CALLBACKS, raw=b"{")
    assert (status, answer["error"]["code"]) == (400, "invalid_json")


async def test_the_deliveries_listing_filters_and_pages(hooks):
    receiver = Receiver()
    try:
        first = await register(hooks.client, receiver.url("one"))
        await register(hooks.client, receiver.url("two"), channels=["wa"])
        ids = [await inbound(hooks) for _ in range(5)] + [await inbound(hooks, channel="wa")]
        found = await settled(hooks.client)
        assert len(found) == 7 and {d["status"] for d in found} == {"delivered"}
        only_one = await deliveries(hooks.client, callback_id=first["callback"]["id"])
        assert [d["message_id"] for d in only_one] == ids[::-1]
        assert len(await deliveries(hooks.client, message_id=ids[-1])) == 2
        assert await deliveries(hooks.client, status="dead") == []
        pages, cursor = [], None
        while True:
            status, body = await hooks.client.get(
                f"{CALLBACKS}/deliveries?limit=3" + (f"&cursor={cursor}" if cursor else ""))
            pages.append(body["deliveries"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [d["delivery_id"] for p in pages for d in p] == [d["delivery_id"] for d in found]
        for query in ("status=lost", "limit=0", "limit=abc", "cursor=zzz", "colour=red",
                      "limit=1&limit=2"):
            status, body = await hooks.client.get(f"{CALLBACKS}/deliveries?{query}")
            assert status == 400 and body["error"]["field"], (query, body)
    finally:
        receiver.close()


async def test_the_address_is_checked_again_when_connecting(data_dir):
    """Registered while the operator allowed loopback; once the allowance is gone, nothing is
    sent to it, though the URL is unchanged: the check is on the address connected to."""
    receiver = Receiver()
    running = await start_relay(make_settings(data_dir, callback_allow_networks=LOOPBACK))
    api = await running.new_client("app")
    await register(api, receiver.url("rebound"))
    api.close()
    await stop_relay(running)
    running = await start_relay(make_settings(data_dir))
    api = Api(running.base_url, key=api.key)
    try:
        await inbound(running)
        deadline = time.monotonic() + 10
        while not (found := await deliveries(api)) or not found[0]["attempts"]:
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.05)
        [delivery] = found
        assert delivery["status"] == "pending"        # retried later, in case it is allowed
        attempt = delivery["events"][0]
        assert attempt["outcome"] == "failed" and attempt["status_code"] is None
        assert "RefusedAddress" in attempt["error"] and "127.0.0.1" in attempt["error"]
        assert receiver.received["rebound"] == []
    finally:
        api.close()
        receiver.close()
        await stop_relay(running)


@pytest.mark.parametrize("env, message", [
    ({"RELAY_CALLBACK_ALLOW_NETWORKS": "10.0.0.0/8,nonsense"}, "nonsense"),
    ({"RELAY_CALLBACK_CONCURRENCY": "0"}, "callback_concurrency"),
])
def test_bad_webhook_settings_stop_the_relay_with_a_clear_error(relay_process, env, message):
    process = relay_process(env)
    result = process.cli("keys", "list", check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr


async def test_a_client_has_at_most_100_callbacks(hooks):
    for n in range(100):
        await register(hooks.client, f"http://127.0.0.1:9/hook{n}")
    status, body = await hooks.client.post(CALLBACKS, {"callback_url": "http://127.0.0.1:9/x"})
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        409, "too_many_callbacks", "callback_url")
    await register(hooks.client, "http://127.0.0.1:9/hook7", active=False)   # replacing is fine
