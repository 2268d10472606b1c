"""Client keys: format, rotation with a grace period, revocation, last use."""
import asyncio

from helpers.relays import sms
from relay.core import apikeys


async def test_key_format_has_prefix_and_checksum(relay):
    created = await relay.api.admin("keys.create", name="fmt")
    key = created["key"]
    assert key.startswith("rly_") and apikeys.well_formed(key)
    mangled = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert not apikeys.well_formed(mangled)
    listed = await relay.api.admin("keys.list")
    entry = next(k for k in listed["keys"] if k["name"] == "fmt")
    assert entry["display"] == f"{key[:8]}...{key[-4:]}"
    assert key not in str(listed)


async def test_create_twice_is_a_conflict(relay):
    await relay.api.admin("keys.create", name="dup")
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.create",
                                           {"name": "dup"}, key=relay.relay.admin_token)
    assert (status, body["error"]["code"]) == (409, "key_exists")
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.create",
                                           {"name": "bad name!"}, key=relay.relay.admin_token)
    assert (status, body["error"]["field"]) == (400, "name")


async def test_revoked_key_gets_401_at_once(relay, client):
    status, _ = await client.post("/api/v1/messages", sms())
    assert status == 202
    await relay.api.admin("keys.revoke", name="app")
    status, body = await client.post("/api/v1/messages", sms())
    assert (status, body["error"]["code"]) == (401, "invalid_key")
    assert "revoked" in body["error"]["message"]


async def test_a_mistyped_key_is_told_apart_from_a_revoked_one(relay, client):
    mistyped = client.key[:-1] + ("A" if client.key[-1] != "A" else "B")
    status, body = await client.post("/api/v1/messages", sms(), key=mistyped)
    assert (status, body["error"]["code"]) == (401, "invalid_key")
    assert "checksum" in body["error"]["message"]


async def test_rotation_keeps_the_old_key_for_the_grace_period(relay, client):
    rotated = await relay.api.admin("keys.rotate", name="app", grace="1s")
    assert rotated["key"] != client.key
    assert (await client.post("/api/v1/messages", sms()))[0] == 202   # old key, in grace
    await asyncio.sleep(1.2)
    assert (await client.post("/api/v1/messages", sms()))[0] == 401   # old key, expired
    assert (await client.post("/api/v1/messages", sms(), key=rotated["key"]))[0] == 202
    # both keys belong to one client: the new key sees the old key's messages
    _, page = await client.get("/api/v1/messages", key=rotated["key"])
    assert len(page["messages"]) == 2


async def test_bad_grace_and_unknown_names(relay):
    token = relay.relay.admin_token
    await relay.api.admin("keys.create", name="g")
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.rotate",
                                           {"name": "g", "grace": "soon"}, key=token)
    assert (status, body["error"]["field"]) == (400, "grace")
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.revoke",
                                           {"name": "ghost"}, key=token)
    assert (status, body["error"]["code"]) == (404, "unknown_key")
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.revoke",
                                           {"name": "g", "extra": 1}, key=token)
    assert status == 400
    status, body = await relay.api.request("POST", "/admin/v1/actions/keys.list", {},
                                           key="wrong")
    assert (status, body["error"]["code"]) == (401, "invalid_admin_token")


async def test_last_used_is_recorded(relay, client):
    before = await relay.api.admin("keys.list")
    assert before["keys"][0]["last_used_at"] is None
    await client.get("/api/v1/messages")
    after = await relay.api.admin("keys.list")
    assert after["keys"][0]["last_used_at"] is not None
