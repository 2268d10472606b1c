"""The webchat inbound query, and inbound events recorded for it as the phone channel does."""
from relay.core.inbound import inbound_event
from relay.core.timefmt import iso, utcnow
from relay.phones.inbound import RecordInbound

QUERY = "/api/v1/webchat/inbound/query"


async def record(relay, phone_id="phone_main", **fields):
    event = {"event_id": f"e{utcnow().timestamp()}", "channel": "sms",
             "contact": "+12025550143", "occurred_at": iso(utcnow()), **fields}
    return (await relay.relay.store.write(RecordInbound(phone_id,
                                                        inbound_event(event, "US")))).event_id
