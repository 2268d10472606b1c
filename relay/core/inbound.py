"""Validation of an inbound event as a phone reports it (or an analyst imports it)."""
import dataclasses
import datetime as dt

from relay.core import recipients
from relay.core.errors import ApiError, bad_request
from relay.core.timefmt import time_field

INBOUND_CHANNELS = ("sms", "wa", "tg", "email", "pchat")
EVENT_TYPES = ("message", "call", "answered", "missed")
CALL_TYPES = ("call", "answered", "missed")
MAX_DURATION = 86400 * 7   # a call's duration_sec
FIELDS = ("event_id", "channel", "event_type", "contact", "contact_name", "text", "duration_sec",
          "tags", "occurred_at")


@dataclasses.dataclass(frozen=True)
class InboundEvent:
    device_event_id: str
    channel: str
    event_type: str
    contact: str | None
    contact_name: str | None
    text: str | None
    duration_sec: int | None
    tags: tuple[str, ...]
    occurred_at: dt.datetime


def normalise_contact(channel: str, address: str, region: str) -> str:
    """A phone number in E.164 and an e-mail address with its domain in lower case, the same
    normalisation as a message's `to`; anything else (an @user, a chat thread, a short code, a
    name) as given, in its letter case: replies and contacts are matched in lower case
    (relay/analytics/replies.py), so only what is shown keeps the case the phone reported."""
    address = address.strip()
    try:
        if channel in ("sms", "wa") or (channel == "tg" and not address.startswith("@")):
            return recipients.phone_number(address, region)
        if channel == "email":
            return recipients.email_address(address)
    except ApiError:
        pass
    return address


def _string(data: dict, name: str, max_len: int, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise bad_request(name, f"'{name}' is required", "required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(name, f"'{name}' must be a non-empty string", "invalid_type")
    if len(value) > max_len:
        raise bad_request(name, f"'{name}' is longer than {max_len} characters", "too_long")
    return value


def inbound_event(data, region: str) -> InboundEvent:
    if not isinstance(data, dict):
        raise bad_request(None, "an inbound event must be a JSON object", "invalid_body")
    for name in data:
        if name not in FIELDS:
            raise bad_request(name, f"unknown field '{name}'", "unknown_field")
    channel = _string(data, "channel", 16, required=True)
    if channel not in INBOUND_CHANNELS:
        raise bad_request("channel", f"'channel' must be one of {', '.join(INBOUND_CHANNELS)}")
    event_type = _string(data, "event_type", 16) or "message"
    if event_type not in EVENT_TYPES:
        raise bad_request("event_type", f"'event_type' must be one of {', '.join(EVENT_TYPES)}")
    duration = data.get("duration_sec")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)
                                 or not 0 <= duration <= MAX_DURATION):
        raise bad_request("duration_sec", "'duration_sec' must be a whole number of seconds")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or len(tags) > 20 or not all(
            isinstance(t, str) and 1 <= len(t) <= 64 for t in tags):
        raise bad_request("tags", "'tags' must be a list of at most 20 strings of 1-64 chars")
    occurred_at = time_field("occurred_at", _string(data, "occurred_at", 64, required=True))
    contact = _string(data, "contact", 320)
    return InboundEvent(
        device_event_id=_string(data, "event_id", 128, required=True),
        channel=channel,
        event_type=event_type,
        contact=normalise_contact(channel, contact, region) if contact else None,
        contact_name=_string(data, "contact_name", 200),
        text=_string(data, "text", 65536),
        duration_sec=duration,
        tags=tuple(dict.fromkeys(t.strip().lower() for t in tags)),
        occurred_at=occurred_at,
    )
