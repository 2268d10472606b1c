"""GET /portal/api/overview: health and phones for the owner, and with a client chosen, its
counts of today (UTC) and its recent failures."""
import datetime as dt

from helpers.analytics import record
from helpers.portal_http import signed_in_owner
from helpers.relays import sms

from relay.core.timefmt import iso, utcnow
from relay.portal.access import CLIENT_HEADER


async def test_today_counts_only_today_for_the_chosen_client(relay, client):
    await record(relay)
    await record(relay, occurred_at=iso(utcnow() - dt.timedelta(days=2)))   # not today
    for _ in range(2):
        assert (await client.post("/api/v1/messages", sms()))[0] == 202
    browser = await signed_in_owner(relay)
    status, body, _ = await browser.call("GET", "/portal/api/overview",
                                         headers={CLIENT_HEADER: "app"})
    assert status == 200
    assert body["today"] == {"sent": 2, "inbound": 1}
    assert body["queue_depth"] == 2 and body["recent_failures"] == []
    assert [p["phone_id"] for p in body["phones"]] == ["phone_main"]
    status, body, _ = await browser.call("GET", "/portal/api/overview")   # no client chosen
    assert status == 200 and body["today"] is None
