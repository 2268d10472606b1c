"""A registered callback: what a client sends to register one, and which events it wants."""
import dataclasses
import re

from relay.core.errors import bad_request
from relay.core.inbound import CALL_TYPES, EVENT_TYPES, INBOUND_CHANNELS
from relay.webhooks.urls import checked_url

FIELDS = ("callback_url", "channels", "source_filter", "event_types", "keyword_filter",
          "min_duration_sec", "max_duration_sec", "callback_token", "active")
TOKEN = re.compile(r"[\x21-\x7e]{1,512}")     # printable ASCII without spaces: a header value
MAX_DURATION = 7 * 86400
PHONE_EVENT_TYPES = ("phone.offline", "phone.online")   # asked for by name only
CALLBACK_EVENT_TYPES = EVENT_TYPES + PHONE_EVENT_TYPES


@dataclasses.dataclass(frozen=True)
class CallbackSpec:
    callback_url: str
    channels: tuple[str, ...]          # empty: every channel
    event_types: tuple[str, ...]       # inbound event types and phone.* ones; empty: status
                                       # callbacks only
    source_filter: str | None
    keyword_filter: str | None
    min_duration_sec: int | None
    max_duration_sec: int | None
    callback_token: str | None
    active: bool

    def matches(self, event: dict) -> bool:
        """event: an inbound_events row. Duration bounds apply to calls only; a call of
        unknown duration does not pass them."""
        if self.channels and event["channel"] not in self.channels:
            return False
        if event["event_type"] not in self.event_types:
            return False
        if self.source_filter and self.source_filter.lower() not in (event["contact"] or
                                                                     "").lower():
            return False
        if self.keyword_filter and self.keyword_filter.lower() not in (event["text"] or
                                                                       "").lower():
            return False
        if event["event_type"] in CALL_TYPES and (self.min_duration_sec is not None or
                                                  self.max_duration_sec is not None):
            duration = event["duration_sec"]
            if duration is None:
                return False
            if self.min_duration_sec is not None and duration < self.min_duration_sec:
                return False
            if self.max_duration_sec is not None and duration > self.max_duration_sec:
                return False
        return True


def _choices(body: dict, name: str, allowed: tuple[str, ...], allow_empty: bool,
             default: tuple[str, ...] = ()):
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(name, f"'{name}' must be a list of strings", "invalid_type")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise bad_request(name, f"'{name}': unknown value '{unknown[0]}'; one of "
                          f"{', '.join(allowed)}")
    if not value and not allow_empty:
        raise bad_request(name, f"'{name}' must not be empty; leave it out for all")
    return tuple(dict.fromkeys(value))


def _text(body: dict, name: str, max_len: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(name, f"'{name}' must be a non-empty string", "invalid_type")
    if len(value) > max_len:
        raise bad_request(name, f"'{name}' is longer than {max_len} characters", "too_long")
    return value.strip()


def _duration(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DURATION:
        raise bad_request(name, f"'{name}' must be a whole number of seconds from 0 to "
                          f"{MAX_DURATION}")
    return value


def callback_spec(body) -> CallbackSpec:
    if not isinstance(body, dict):
        raise bad_request(None, "the body must be a JSON object", "invalid_body")
    for name in body:
        if name not in FIELDS:
            raise bad_request(name, f"unknown field '{name}'", "unknown_field")
    token = body.get("callback_token")
    if token is not None and (not isinstance(token, str) or not TOKEN.fullmatch(token)):
        raise bad_request("callback_token", "'callback_token' must be 1-512 printable ASCII "
                          "characters without spaces")
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise bad_request("active", "'active' must be true or false", "invalid_type")
    spec = CallbackSpec(
        callback_url=checked_url(body.get("callback_url"), "callback_url"),
        channels=_choices(body, "channels", INBOUND_CHANNELS, allow_empty=False),
        event_types=_choices(body, "event_types", CALLBACK_EVENT_TYPES, allow_empty=True,
                             default=EVENT_TYPES),
        source_filter=_text(body, "source_filter", 320),
        keyword_filter=_text(body, "keyword_filter", 200),
        min_duration_sec=_duration(body, "min_duration_sec"),
        max_duration_sec=_duration(body, "max_duration_sec"),
        callback_token=token,
        active=active)
    if (spec.min_duration_sec is not None and spec.max_duration_sec is not None
            and spec.min_duration_sec > spec.max_duration_sec):
        raise bad_request("max_duration_sec", "'max_duration_sec' is less than "
                          "'min_duration_sec'")
    return spec
