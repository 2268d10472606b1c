"""A response-time rule: what a client sends to set one, which inbound events it covers (the
webchat query's filters, relay/analytics/filters.py, validated by the same code) and the
deadline it gives an event."""
import dataclasses
import datetime as dt
import json

from relay.alerts.office_hours import OfficeHours, office_hours
from relay.analytics import filters
from relay.core.errors import ApiError, bad_request, json_object
from relay.core.inbound import CALL_TYPES
from relay.messages.validate import message_request
from relay.webhooks.urls import checked_url

FILTER_FIELDS = ("phone_id", "channels", "event_types", "tags", "tag_mode", "source_contains")
FIELDS = ("name", "within_minutes", *FILTER_FIELDS, "office_hours", "notify", "callback_url",
          "active")
NOTIFY_FIELDS = ("phone_id", "channel", "to", "subject", "title")
MAX_MINUTES = 7 * 24 * 60
NOTIFY_PLACEHOLDER = "(the alert's text)"


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    within_minutes: int
    name: str | None = None
    phone_id: str | None = None
    channels: tuple[str, ...] = ()         # empty: every channel
    event_types: tuple[str, ...] = ()      # empty: every type; 'call' is any call
    tags: tuple[str, ...] = ()             # the event's own and its contact's
    tag_mode: str = "any"
    source_contains: str | None = None     # in the contact's address or name
    office_hours: OfficeHours | None = None   # None: the clock always runs
    notify: dict | None = None             # a message to the owner: POST /api/v1/messages fields
    callback_url: str | None = None        # None: every callback that got the event
    active: bool = True

    @property
    def needs_book(self) -> bool:
        """Whether matching needs the contact's entry in the address book."""
        return bool(self.tags) or self.source_contains is not None

    def matches(self, event: dict, book_tags=(), book_name: str | None = None) -> bool:
        """event: an inbound_events row (with its reported contact_name)."""
        if self.phone_id is not None and event["phone_id"] != self.phone_id:
            return False
        if self.channels and event["channel"] not in self.channels:
            return False
        if self.event_types and event["event_type"] not in self.event_types and not (
                "call" in self.event_types and event["event_type"] in CALL_TYPES):
            return False
        if self.tags:
            tags = {*(event["tags"] or ()), *(book_tags or ())}
            wanted = set(self.tags)
            if not (wanted <= tags if self.tag_mode == "all" else wanted & tags):
                return False
        if self.source_contains is not None:
            needle = self.source_contains.lower()
            name = book_name or event["contact_name"] or ""
            if needle not in (event["contact"] or "").lower() and needle not in name.lower():
                return False
        return True

    def deadline(self, occurred_at: dt.datetime, minute: dt.timedelta) -> dt.datetime:
        """When an event that occurred then must have its reply; `minute` is how long one of
        the rule's minutes lasts (alert_minute_seconds)."""
        budget = self.within_minutes * minute
        if self.office_hours is None:
            return occurred_at + budget
        return self.office_hours.deadline(occurred_at, budget.total_seconds())

    def describe(self) -> dict:
        """The definition as a client sees it, and as its log row keeps it."""
        fields = dataclasses.asdict(self)
        fields.update({name: list(getattr(self, name)) for name in ("channels", "event_types",
                                                                     "tags")})
        fields["office_hours"] = self.office_hours and self.office_hours.describe()
        return fields

    def to_json(self) -> str:
        return json.dumps(self.describe(), ensure_ascii=False, separators=(",", ":"))


def _name(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise bad_request("name", "'name' must be a non-empty string of at most 100 characters")
    return value.strip()


def _minutes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise bad_request("within_minutes", "'within_minutes' is required: a whole number of "
                          f"minutes from 1 to {MAX_MINUTES}")
    return value


def _notify(value, region: str, strict: bool) -> dict | None:
    """The owner's message, checked as POST /api/v1/messages checks one (its text is the
    alert's); errors name the field as notify.<field>."""
    if value is None:
        return None
    try:
        json_object(value, NOTIFY_FIELDS)
        request = message_request({**value, "text": NOTIFY_PLACEHOLDER}, None, region, strict)
    except ApiError as error:
        error.field = "notify" if error.field is None else f"notify.{error.field}"
        error.message = f"notify: {error.message}"
        raise
    kept = {"phone_id": request.phone_id, "channel": request.channel, "to": request.to,
            "subject": request.subject, "title": request.title}
    return {name: v for name, v in kept.items() if v is not None}


def rule_spec(body, region: str = "US", strict: bool = False) -> RuleSpec:
    """A rule from a client's JSON body; every bad field is a 400 naming it."""
    json_object(body, FIELDS)
    chosen = filters.parse({name: body[name] for name in FILTER_FIELDS if name in body})
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise bad_request("active", "'active' must be true or false", "invalid_type")
    url = body.get("callback_url")
    return RuleSpec(
        within_minutes=_minutes(body.get("within_minutes")), name=_name(body.get("name")),
        phone_id=chosen.phone_id, channels=chosen.channels, event_types=chosen.event_types,
        tags=chosen.tags, tag_mode=chosen.tag_mode, source_contains=chosen.source_contains,
        office_hours=office_hours(body.get("office_hours"), filters.TIME_ZONES),
        notify=_notify(body.get("notify"), region, strict),
        callback_url=None if url is None else checked_url(url, "callback_url"),
        active=active)


def from_log(definition: str) -> RuleSpec:
    """A rule from its log row's JSON (written by RuleSpec.to_json, so valid)."""
    fields = json.loads(definition)
    hours = fields.pop("office_hours")
    for name in ("channels", "event_types", "tags"):
        fields[name] = tuple(fields[name])
    return RuleSpec(**fields, office_hours=hours and office_hours(hours, filters.TIME_ZONES))
