from conftest import sms


async def test_send_and_get(client):
    status, body = await client.post("/api/v1/messages", sms())
    assert status == 202, body
    status, got = await client.get(f"/api/v1/messages/{body['message_id']}")
    assert status == 200 and got["message"]["status"] == "queued"
