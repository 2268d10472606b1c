"""Pairing and tokens: single-use codes, the pinned JWT, refresh rotation with reuse detection,
expiry, and revocation (removal, re-pairing) closing the live socket at once."""
import base64
import datetime as dt
import json

import jwt
import pytest
import tornado.httpclient

from helpers.phones import closed, connect, frame, hang_up, pair, pairing_code, start_agent
from helpers.polling import eventually
from helpers.relays import make_settings, start_relay, stop_relay
from relay.agent import protocol
from relay.phones import tokens


async def _refused(relay, token, query="") -> tuple[int, dict]:
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await connect(relay, token, query)
    return refused.value.code, json.loads(refused.value.response.body)


async def test_phones_add_issues_a_pairing_code(relay):
    added = await relay.api.admin("phones.add", phone_id="kitchen")
    assert added["phone_id"] == "kitchen" and added["relay_url"].startswith("http")
    code = added["pairing_code"]
    assert len(code) == 14 and code.count("-") == 2
    expires = dt.datetime.fromisoformat(added["pairing_expires_at"].rstrip("Z"))
    lifetime = expires - dt.datetime.fromisoformat(added["added_at"].rstrip("Z"))
    assert dt.timedelta(minutes=9) < lifetime < dt.timedelta(minutes=10, seconds=1)


async def test_a_code_pairs_once(relay, client):
    code = await pairing_code(relay)
    status, grant = await relay.api.post("/api/v1/device/pair",
                                         {"pairing_code": code.lower().replace("-", " ")})
    assert status == 200 and grant["phone_id"] == "phone_main"
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 900
    assert grant["refresh_token"].startswith("rrt_") and grant["ws_url"].startswith("ws://")
    status, again = await relay.api.post("/api/v1/device/pair", {"pairing_code": code})
    assert status == 401 and again["error"]["code"] == "invalid_pairing_code"


async def test_expired_code_is_refused(relay, client, monkeypatch):
    monkeypatch.setattr(tokens, "CODE_TTL", dt.timedelta(0))
    status, body = await relay.api.post("/api/v1/device/pair",
                                        {"pairing_code": await pairing_code(relay)})
    assert status == 401 and body["error"]["code"] == "invalid_pairing_code"


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "pairing_code"), ({"pairing_code": 5}, 400, "pairing_code"),
    ({"pairing_code": "AAAA-BBBB-CCCC", "x": 1}, 400, "x"), ([], 400, None),
    ({"pairing_code": "AAAA-BBBB-CCCC"}, 401, None)])
async def test_bad_pairing_requests(relay, body, status, field):
    got, answer = await relay.api.post("/api/v1/device/pair", body)
    assert got == status and answer["error"]["field"] == field


async def test_access_token_claims_and_pinned_algorithm(relay, client):
    grant = await pair(relay)
    header = json.loads(base64.urlsafe_b64decode(grant["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    claims = jwt.decode(grant["access_token"], options={"verify_signature": False})
    assert set(tokens.REQUIRED_CLAIMS) <= set(claims) and claims["sub"] == "phone_main"
    assert claims["exp"] - claims["iat"] == 900
    # the same claims signed with another key, or with "none", are refused before the upgrade
    forged = jwt.encode(claims, "another-key-of-at-least-32-bytes!!", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned, "not-a-jwt"):
        status, body = await _refused(relay, token)
        assert status == 401 and body["error"]["code"] == "invalid_token"


async def test_socket_needs_the_token_in_the_header(relay, client):
    grant = await pair(relay)
    status, body = await _refused(relay, "")
    assert status == 401 and body["error"]["code"] == "missing_token"
    status, body = await _refused(relay, grant["access_token"],
                                  f"?access_token={grant['access_token']}")
    assert status == 400 and body["error"]["code"] == "token_in_url"


async def test_refresh_rotates_and_reuse_revokes(relay, client):
    grant = await pair(relay)
    status, renewed = await relay.api.post("/api/v1/device/token",
                                           {"refresh_token": grant["refresh_token"]})
    assert status == 200 and renewed["refresh_token"] != grant["refresh_token"]
    connection = await connect(relay, renewed["access_token"])
    await frame(connection, "hello")
    # the old refresh token comes back: stolen or replayed. Everything of the phone ends.
    status, body = await relay.api.post("/api/v1/device/token",
                                        {"refresh_token": grant["refresh_token"]})
    assert status == 401 and body["error"]["code"] == "refresh_token_reused"
    assert await closed(connection) == protocol.CLOSE_REVOKED
    status, body = await relay.api.post("/api/v1/device/token",
                                        {"refresh_token": renewed["refresh_token"]})
    assert status == 401 and body["error"]["code"] == "invalid_refresh_token"
    status, body = await _refused(relay, renewed["access_token"])
    assert status == 401 and body["error"]["code"] == "revoked_token"


async def test_access_token_expiry_closes_the_socket_and_the_agent_renews(data_dir):
    relay = await start_relay(make_settings(data_dir, device_token_seconds=1))
    client = await relay.new_client("app")
    try:
        await relay.api.admin("phones.add", phone_id="phone_main")
        grant = await pair(relay)
        connection = await connect(relay, grant["access_token"])
        assert await closed(connection) == protocol.CLOSE_TOKEN_EXPIRED
        status, body = await _refused(relay, grant["access_token"])
        assert status == 401 and body["error"]["code"] == "token_expired"
        running = await start_agent(relay)
        try:
            first = running.agent.credentials.data["refresh_token"]
            await eventually(lambda: _renewed(running.agent, first), timeout=5)
            await eventually(lambda: _online(client))
        finally:
            await running.stop()
    finally:
        client.close()
        await stop_relay(relay)


async def _renewed(agent, first):
    return agent.credentials.data["refresh_token"] != first and agent.connection is not None


async def _online(client):
    _, body = await client.get("/api/v1/phones/phone_main")
    return body["phone"]["online"]


@pytest.mark.parametrize("action", ["phones.remove", "phones.pair"])
async def test_removing_or_repairing_closes_the_socket_at_once(relay, client, action):
    grant = await pair(relay)
    connection = await connect(relay, grant["access_token"])
    await frame(connection, "hello")
    await relay.api.admin(action, phone_id="phone_main")
    assert await closed(connection) == protocol.CLOSE_REVOKED
    assert "revoked" in connection.close_reason or "removed" in connection.close_reason \
        or "re-paired" in connection.close_reason
    status, _ = await _refused(relay, grant["access_token"])
    assert status == 401
    status, _ = await relay.api.post("/api/v1/device/token",
                                     {"refresh_token": grant["refresh_token"]})
    assert status == 401


async def test_a_second_connection_replaces_the_first(relay, client):
    grant = await pair(relay)
    first = await connect(relay, grant["access_token"])
    await frame(first, "hello")
    second = await connect(relay, grant["access_token"])
    try:
        await frame(second, "hello")
        assert await closed(first) == protocol.CLOSE_REPLACED
        _, body = await client.get("/api/v1/phones/phone_main")
        assert body["phone"]["online"] is True
    finally:
        await hang_up(second)


async def test_credentials_survive_a_restart(data_dir):
    relay = await start_relay(make_settings(data_dir))
    await relay.api.admin("phones.add", phone_id="phone_main")
    grant = await pair(relay)
    code = await relay.api.admin("phones.add", phone_id="spare")
    await stop_relay(relay)
    relay = await start_relay(make_settings(data_dir))
    try:
        connection = await connect(relay, grant["access_token"])     # same signing key
        await hang_up(connection)
        status, _ = await relay.api.post("/api/v1/device/token",
                                         {"refresh_token": grant["refresh_token"]})
        assert status == 200
        status, _ = await relay.api.post("/api/v1/device/pair",
                                         {"pairing_code": code["pairing_code"]})
        assert status == 200
    finally:
        await stop_relay(relay)


async def test_guessing_codes_is_limited_per_address(data_dir):
    relay = await start_relay(make_settings(data_dir, auth_failures_per_minute=3))
    try:
        answers = [await relay.api.post("/api/v1/device/pair", {"pairing_code": "AAAA-BBBB-CCC"
                                                                                + str(n)})
                   for n in range(5)]
        assert [status for status, _ in answers] == [401, 401, 401, 429, 429]
        assert answers[-1][1]["error"]["code"] == "too_many_failures"
        status, _ = await _refused(relay, "not-a-jwt")
        assert status == 429
    finally:
        await stop_relay(relay)
