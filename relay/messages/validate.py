"""Validation of POST /api/v1/messages bodies into a normalised MessageRequest."""
import dataclasses
import datetime as dt
import hashlib
import re

from relay.core import recipients
from relay.core.errors import bad_request, json_object
from relay.core.timefmt import MAX_DURATION, has_offset, time_field, utcnow
from relay.webhooks.urls import optional_url

CHANNELS = ("sms", "wa", "tg", "notify", "email", "tg_bot", "pchat")
SERVER_CHANNELS = ("email", "tg_bot")
NEEDS_TO = {"sms", "wa", "tg", "email", "tg_bot"}
MAX_TEXT = 4096
MAX_SMS_TEXT = 1600
MAX_SOURCE = 200
MAX_SUBJECT = 998
MAX_TAGS = 20
MAX_TAG = 64
BOT_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,100}")
FIELDS = ("phone_id", "channel", "to", "text", "source", "idempotency_key", "subject", "title",
          "bot_token", "tags", "status_callback_url", "sim", "send_at", "ttl_seconds",
          "expires_at", "priority")
# The fields that make two requests "the same message" for idempotency; source is a label, and
# when and how fast it goes (send_at, ttl_seconds, expires_at, priority) are the first
# request's: a retry computing its send_at afresh is still the same message.
COMPARED = ("phone_id", "channel", "to", "text", "subject", "title", "bot_token", "tags",
            "sim")
SIM_SLOTS = (1, 2)
PRIORITIES = ("normal", "high")
DEFAULT_HORIZON = dt.timedelta(days=365)


@dataclasses.dataclass(frozen=True)
class MessageRequest:
    phone_id: str
    channel: str
    to: str | None
    text: str
    source: str | None
    idempotency_key: str | None
    subject: str | None
    title: str | None
    bot_token: str | None
    tags: tuple[str, ...]
    status_callback_url: str | None = None   # a registered callback that gets status changes
    sim: int | None = None                   # the phone's SIM slot to send from
    send_at: dt.datetime | None = None       # not before then; None: at once (or was past)
    ttl_seconds: int | None = None           # its own time to live, from when it may go
    expires_at: dt.datetime | None = None    # its own expiry, a fixed time
    priority: str | None = None              # "high", else None (normal)

    def fingerprint(self) -> str:
        """Per-field digests of the compared fields, in COMPARED's order, so a conflict can
        name the field. Stored with each idempotency key and compared after upgrades: the
        text for a given request must never change. The SIM slot's part is there only when one
        is asked for, so keys stored before it existed compare as they did."""
        fingerprint = ";".join(f"{name}={_digest(getattr(self, name))}"
                               for name in COMPARED if name != "sim")
        return fingerprint if self.sim is None else f"{fingerprint};sim={self.sim}"


def _digest(value) -> str:
    """(repr: the fields are str, None or a tuple of str, whose repr is exact.)"""
    return hashlib.blake2b(repr(value).encode(), digest_size=8).hexdigest()


def differing_field(fingerprint_a: str, fingerprint_b: str) -> str | None:
    a = dict(part.split("=", 1) for part in fingerprint_a.split(";"))
    b = dict(part.split("=", 1) for part in fingerprint_b.split(";"))
    return next((name for name in COMPARED if a.get(name) != b.get(name)), None)


def _optional_str(body: dict, name: str, max_len: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(name, f"'{name}' must be a string", "invalid_type")
    if len(value) > max_len:
        raise bad_request(name, f"'{name}' is longer than {max_len} characters", "too_long")
    return value


def _required_str(body: dict, name: str, max_len: int) -> str:
    value = _optional_str(body, name, max_len)
    if value is None or not value.strip():
        raise bad_request(name, f"'{name}' is required and must not be empty", "required")
    return value


def idempotency_key(value, field: str = "idempotency_key") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(field, f"'{field}' must be a string", "invalid_type")
    if not 1 <= len(value) <= 255 or not value.isprintable():
        raise bad_request(field, f"'{field}' must be 1-255 printable characters")
    return value


def _tags(body: dict) -> tuple[str, ...]:
    value = body.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request("tags", "'tags' must be a list of strings", "invalid_type")
    # A dict keeps the first spelling's order and finds a repeat in constant time; the count
    # is checked as each distinct tag is added, so a list of thousands stops at the 21st.
    tags: dict[str, None] = {}
    for tag in value:
        if not isinstance(tag, str):
            raise bad_request("tags", "'tags' must be a list of strings", "invalid_type")
        tag = tag.strip().lower()
        if not 1 <= len(tag) <= MAX_TAG:
            raise bad_request("tags", f"each tag must be 1-{MAX_TAG} characters")
        tags[tag] = None
        if len(tags) > MAX_TAGS:
            raise bad_request("tags", f"at most {MAX_TAGS} tags")
    return tuple(tags)


def _sim(body: dict) -> int | None:
    value = body.get("sim")
    if value is not None and (type(value) is not int or value not in SIM_SLOTS):
        raise bad_request("sim", "'sim' must be 1 or 2 (the phone's SIM slot)")
    return value


def _offset_time(body: dict, name: str) -> dt.datetime | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(name, f"'{name}' must be an ISO-8601 time with an offset",
                          "invalid_type")
    parsed = time_field(name, value)
    if not has_offset(value):
        raise bad_request(name, f"'{name}' needs an offset (Z or +hh:mm): a time without one "
                          "could be any time zone's")
    return parsed


def timing(body: dict, horizon: dt.timedelta = DEFAULT_HORIZON):
    """(send_at, ttl_seconds, expires_at) of a body, checked against now: a send_at in the past
    is None (at once); one beyond the horizon, an expiry already past or before send_at, or
    both kinds of expiry, are 400s."""
    now = utcnow()
    send_at = _offset_time(body, "send_at")
    if send_at is not None and send_at - now > horizon:
        raise bad_request("send_at", f"'send_at' is more than {horizon.days} days ahead",
                          "too_far_ahead")
    if send_at is not None and send_at <= now:
        send_at = None
    ttl = body.get("ttl_seconds")
    if ttl is not None and (type(ttl) is not int
                            or not 1 <= ttl <= MAX_DURATION.total_seconds()):
        raise bad_request("ttl_seconds", f"'ttl_seconds' must be a whole number of seconds "
                          f"from 1 to {int(MAX_DURATION.total_seconds())}")
    expires_at = _offset_time(body, "expires_at")
    if expires_at is not None:
        if ttl is not None:
            raise bad_request("expires_at", "give 'ttl_seconds' or 'expires_at', not both",
                              "not_allowed")
        if expires_at <= (send_at or now):
            raise bad_request("expires_at", "'expires_at' must be after the message may go "
                              "(now, or its send_at)", "already_past")
    return send_at, ttl, expires_at


def _priority(body: dict) -> str | None:
    value = body.get("priority")
    if value is not None and value not in PRIORITIES:
        raise bad_request("priority", "'priority' must be normal or high")
    return None if value in (None, "normal") else value


def _recipient(channel: str, to: str | None, region: str, strict: bool) -> str | None:
    if to is None:
        if channel in NEEDS_TO:
            raise bad_request("to", f"'to' is required for channel {channel}", "required")
        return None
    if channel in ("sms", "wa"):
        return recipients.phone_number(to, region, strict=strict)
    if channel == "tg":
        return recipients.telegram_user(to, region, strict)
    if channel == "email":
        return recipients.email_address(to)
    if channel == "tg_bot":
        return recipients.telegram_chat(to)
    return to.strip() or None  # notify, pchat: a free-form thread name


def _only_for(body: dict, name: str, channel: str, allowed: tuple[str, ...]) -> None:
    if body.get(name) is not None and channel not in allowed:
        raise bad_request(name, f"'{name}' is only for channel {' or '.join(allowed)}",
                          "not_allowed")


def message_request(body, header_key: str | None, region: str, strict_numbers: bool = False,
                    horizon: dt.timedelta = DEFAULT_HORIZON) -> MessageRequest:
    json_object(body, FIELDS)
    phone_id = _required_str(body, "phone_id", 64)
    channel = _required_str(body, "channel", 16)
    if channel not in CHANNELS:
        raise bad_request("channel", f"'channel' must be one of {', '.join(CHANNELS)}",
                          "unknown_channel")
    text = _required_str(body, "text", MAX_TEXT)
    if channel == "sms" and len(text) > MAX_SMS_TEXT:
        raise bad_request("text", f"sms 'text' is longer than {MAX_SMS_TEXT} characters",
                          "too_long")
    for name, allowed in (("subject", ("email", "notify")), ("title", ("notify",)),
                          ("bot_token", ("tg_bot",))):
        _only_for(body, name, channel, allowed)
    subject = _optional_str(body, "subject", MAX_SUBJECT)
    if channel == "email" and (subject is None or not subject.strip()):
        raise bad_request("subject", "'subject' is required for email", "required")
    if subject is not None and ("\r" in subject or "\n" in subject):
        raise bad_request("subject", "'subject' must be a single line")
    bot_token = None
    if channel == "tg_bot":
        bot_token = _required_str(body, "bot_token", 200)
        if not BOT_TOKEN.fullmatch(bot_token):
            raise bad_request("bot_token", "'bot_token' is not a Telegram bot token")
    body_key = idempotency_key(body.get("idempotency_key"))
    if body_key is not None and header_key is not None and body_key != header_key:
        raise bad_request("idempotency_key", "the Idempotency-Key header and the "
                          "idempotency_key field differ", "idempotency_mismatch")
    send_at, ttl_seconds, expires_at = timing(body, horizon)
    return MessageRequest(
        phone_id=phone_id,
        channel=channel,
        to=_recipient(channel, _optional_str(body, "to", 320), region, strict_numbers),
        text=text,
        source=_optional_str(body, "source", MAX_SOURCE),
        idempotency_key=body_key if body_key is not None else header_key,
        subject=subject,
        title=_optional_str(body, "title", MAX_SUBJECT),
        bot_token=bot_token,
        tags=_tags(body),
        status_callback_url=optional_url(body, "status_callback_url"),
        sim=_sim(body),
        send_at=send_at,
        ttl_seconds=ttl_seconds,
        expires_at=expires_at,
        priority=_priority(body),
    )

