"""A delivery's exact body. The outbox stores an inbound event's payload without its text: the
text is the event's body (relay/store/bodies.py), which retention may drop. It is put back
when the delivery is sent or shown, as null once dropped; the other keys are as stored."""
import json

from relay.store.bodies import INBOUND_BODIES

# Joins the inbound event's text to a webhook_deliveries row `d` as `ib.text`.
TEXT_JOIN = (f"LEFT JOIN {INBOUND_BODIES} ib "
             "ON d.kind = 'inbound' AND ib.event_id = d.subject_id")


def _encode(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def stored_payload(body: dict) -> str:
    """What the outbox keeps of a new delivery's body."""
    return _encode({name: value for name, value in body.items() if name != "text"})


def sent_payload(kind: str, payload: str, text: str | None) -> str:
    """The body a stored delivery sends (and the deliveries log shows)."""
    if kind != "inbound":
        return payload
    return _encode({**json.loads(payload), "text": text})
