"""POST/GET/DELETE /api/v1/contacts: set, replace, list by tag and page, delete; per client."""
import urllib.parse

import pytest
from helpers.relays import make_settings, start_relay, stop_relay

CONTACTS = "/api/v1/contacts"


async def test_set_replace_list_and_delete(client):
    status, body = await client.post(CONTACTS, {"address": "(202) 555-0143", "name": " Ann ",
                                                "tags": ["VIP", "family", "vip"]})
    assert status == 200
    assert body["contact"]["address"] == "+12025550143"
    assert body["contact"]["name"] == "Ann" and body["contact"]["tags"] == ["vip", "family"]
    await client.post(CONTACTS, {"address": "Bob@Example.com", "tags": ["work"]})
    await client.post(CONTACTS, {"address": "@Carol_TG"})
    # setting again replaces the whole entry: no name now, other tags
    await client.post(CONTACTS, {"address": "+12025550143", "tags": ["work"]})
    status, body = await client.get(CONTACTS)
    assert [(c["address"], c["name"], c["tags"]) for c in body["contacts"]] == [
        ("+12025550143", None, ["work"]), ("@Carol_TG", None, []),
        ("Bob@example.com", None, ["work"])]   # the domain is lower-cased, as in a message's to
    status, body = await client.get(CONTACTS + "?tag=WORK&limit=1")
    assert [c["address"] for c in body["contacts"]] == ["+12025550143"]
    status, body = await client.get(CONTACTS + "?tag=work&limit=1&after="
                                    + urllib.parse.quote(body["next_after"]))
    assert [c["address"] for c in body["contacts"]] == ["Bob@example.com"]
    assert body["next_after"] is None
    status, body = await client.get(CONTACTS + "?address=" + urllib.parse.quote("+1 202 555 0143"))
    assert status == 200 and body["contacts"][0]["tags"] == ["work"]
    status, body = await client.request("DELETE", CONTACTS + "?address=Bob@EXAMPLE.com")
    assert status == 200 and body == {"success": True, "address": "Bob@example.com",
                                      "deleted": True}
    status, body = await client.request("DELETE", CONTACTS + "?address=Bob@example.com")
    assert status == 404 and body["error"]["code"] == "unknown_contact"
    assert len((await client.get(CONTACTS))[1]["contacts"]) == 2


async def test_contacts_belong_to_their_client(relay, client):
    other = await relay.new_client("other")
    await other.post(CONTACTS, {"address": "+12025550143", "name": "Theirs"})
    assert (await client.get(CONTACTS))[1]["contacts"] == []
    assert (await client.get(CONTACTS + "?address=%2B12025550143"))[0] == 404
    other.close()


async def test_contacts_survive_a_restart(data_dir):
    relay = await start_relay(make_settings(data_dir))
    client = await relay.new_client("app")
    await client.post(CONTACTS, {"address": "+12025550143", "name": "Ann", "tags": ["vip"]})
    await stop_relay(relay)
    relay = await start_relay(make_settings(data_dir))
    try:
        client.base_url = relay.base_url
        status, body = await client.get(CONTACTS)
        assert body["contacts"][0]["name"] == "Ann" and body["contacts"][0]["tags"] == ["vip"]
    finally:
        client.close()
        await stop_relay(relay)


@pytest.mark.parametrize("body, field", [
    ({}, "address"), ({"address": ""}, "address"), ({"address": 5}, "address"),
    ({"address": "+12025550143", "name": 5}, "name"),
    ({"address": "+12025550143", "name": "x" * 201}, "name"),
    ({"address": "+12025550143", "tags": "vip"}, "tags"),
    ({"address": "+12025550143", "tags": ["x" * 65]}, "tags"),
    ({"address": "+12025550143", "tags": [str(n) for n in range(21)]}, "tags"),
    ({"address": "+12025550143", "colour": "red"}, "colour"),
])
async def test_bad_contacts_are_400_naming_the_field(client, body, field):
    status, answer = await client.post(CONTACTS, body)
    assert status == 400 and answer["error"]["field"] == field, answer


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=x", "limit"),
                                          ("colour=red", "colour")])
async def test_bad_listing_parameters(client, query, field):
    status, answer = await client.get(f"{CONTACTS}?{query}")
    assert status == 400 and answer["error"]["field"] == field


async def test_delete_needs_an_address(client):
    status, answer = await client.request("DELETE", CONTACTS)
    assert status == 400 and answer["error"]["field"] == "address"


async def test_one_contact_whatever_the_letter_case_of_its_address(client):
    """Analytics counts Bob@example.com and bob@example.com as one contact, so the address
    book does too: a second spelling replaces the entry, and either spelling finds it."""
    await client.post(CONTACTS, {"address": "Bob@Example.com", "name": "Bob", "tags": ["vip"]})
    status, body = await client.post(CONTACTS, {"address": "bob@example.com", "name": "Bobby"})
    assert status == 200 and body["contact"]["address"] == "bob@example.com"
    status, body = await client.get(CONTACTS)
    assert [(c["address"], c["name"], c["tags"]) for c in body["contacts"]] == [
        ("bob@example.com", "Bobby", [])]          # listed in its latest spelling
    status, body = await client.get(CONTACTS + "?address=BOB%40example.com")
    assert status == 200 and body["contacts"][0]["name"] == "Bobby"
    status, body = await client.request("DELETE", CONTACTS + "?address=Bob%40example.com")
    assert status == 200 and body["deleted"] is True
    assert (await client.get(CONTACTS))[1]["contacts"] == []
