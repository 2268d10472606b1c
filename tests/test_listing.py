"""GET /api/v1/messages: newest first, filters, cursor pagination, bad parameters."""
import pytest

from helpers.relays import sms


async def _send(client, n, **fields):
    ids = []
    for i in range(n):
        status, body = await client.post("/api/v1/messages", sms(text=f"m{i}", **fields))
        assert status == 202
        ids.append(body["message_id"])
    return ids


async def test_pages_cover_everything_once_newest_first(client):
    ids = await _send(client, 7)
    seen, cursor = [], None
    while True:
        path = "/api/v1/messages?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = await client.get(path)
        assert status == 200 and len(page["messages"]) <= 3
        seen += [m["message_id"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_default_limit_is_50(client):
    await _send(client, 52)
    _, page = await client.get("/api/v1/messages")
    assert len(page["messages"]) == 50 and page["next_cursor"]


async def test_filters(client):
    await _send(client, 2, source="crm")
    await _send(client, 1, channel="wa", to="+447911123456")
    _, page = await client.get("/api/v1/messages?source=crm")
    assert len(page["messages"]) == 2
    _, page = await client.get("/api/v1/messages?channel=wa")
    assert [m["to"] for m in page["messages"]] == ["+447911123456"]
    _, page = await client.get("/api/v1/messages?status=queued&phone_id=phone_main")
    assert len(page["messages"]) == 3
    _, page = await client.get("/api/v1/messages?status=sent")
    assert page["messages"] == []
    _, page = await client.get("/api/v1/messages?since=2000-01-01T00:00:00Z"
                               "&until=2000-01-02T00:00:00%2B02:00")
    assert page["messages"] == []
    _, page = await client.get("/api/v1/messages?since=2000-01-01")
    assert len(page["messages"]) == 3


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"), ("limit=-1", "limit"),
    ("status=lost", "status"), ("channel=fax", "channel"), ("since=yesterday", "since"),
    ("until=2020-13-01", "until"), ("cursor=%%%", "cursor"), ("cursor=abc", "cursor"),
    ("colour=red", "colour"),
])
async def test_bad_parameters(client, query, field):
    status, body = await client.get(f"/api/v1/messages?{query}")
    assert status == 400 and body["error"]["field"] == field
