"""The shapes of the relay's answers, for type checkers and editors (docs/api.md, docs/webhooks.md,
docs/analytics.md). At run time each is a plain dict. Fields a newer relay adds are passed
through as they come."""
from __future__ import annotations

from typing import Dict, List, Optional, TypedDict


class Accepted(TypedDict, total=False):
    """The answer to a send: 202 for a new message, 200 with duplicate for a repeat."""
    success: bool
    message_id: str
    status: str
    idempotency_key: str
    duplicate: bool
    phone_offline: bool
    warning: str
    last_error: Optional[str]
    delivered_at: Optional[str]
    scheduled_for: Optional[str]
    expires_at: Optional[str]
    encoding: str
    segments: int


class HistoryEntry(TypedDict, total=False):
    status: str
    at: str
    error: Optional[str]
    delivery_result: str


class Message(TypedDict, total=False):
    message_id: str
    status: str
    last_error: Optional[str]
    created_at: str
    sent_at: Optional[str]
    delivered_at: Optional[str]
    delivery_result: Optional[str]
    delivery_reported_at: Optional[str]
    next_attempt_at: Optional[str]
    channel: str
    phone_id: str
    to: Optional[str]
    text: Optional[str]
    subject: Optional[str]
    title: Optional[str]
    source: Optional[str]
    tags: List[str]
    idempotency_key: Optional[str]
    sim: Optional[int]
    scheduled_for: Optional[str]
    expires_at: Optional[str]
    priority: str
    encoding: str
    segments: int
    history: List[HistoryEntry]


class ErrorBody(TypedDict, total=False):
    code: str
    message: str
    field: Optional[str]


class BatchResult(TypedDict, total=False):
    """One item of a batch send, in the order sent: status 202 (new), 200 (duplicate) or 4xx
    with error."""
    index: int
    status: int
    message_id: str
    idempotency_key: str
    duplicate: bool
    error: ErrorBody


class Phone(TypedDict, total=False):
    phone_id: str
    online: bool
    paired: bool
    connected_at: Optional[str]
    last_seen: Optional[str]
    battery: Optional[int]
    signal: Optional[int]
    app_version: Optional[str]
    capabilities: Optional[List[str]]
    queue_depth: int
    in_flight: int
    pacing: Dict[str, object]


class Callback(TypedDict, total=False):
    id: str
    callback_url: str
    channels: List[str]
    event_types: List[str]
    source_filter: Optional[str]
    keyword_filter: Optional[str]
    min_duration_sec: Optional[int]
    max_duration_sec: Optional[int]
    has_callback_token: bool
    active: bool
    deactivated_reason: Optional[str]
    created_at: str
    updated_at: str


class Registration(TypedDict, total=False):
    """A callback registered: secret (whsec_...) signs its deliveries and is shown only here."""
    success: bool
    created: bool
    callback: Callback
    secret: str


class Delivery(TypedDict, total=False):
    delivery_id: str
    callback_id: str
    type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: Optional[str]
    payload: Dict[str, object]
    events: List[Dict[str, object]]


class Contact(TypedDict, total=False):
    address: str
    name: Optional[str]
    tags: List[str]


# -- the inbound query's sections (docs/analytics.md, The answer) -----------------------------

class Summary(TypedDict):
    inbound_total: int
    calls_total: int
    messages_total: int
    answered_calls: int
    missed_calls: int
    avg_call_duration_sec: float
    median_response_min: float
    channels: Dict[str, int]


class SentSummary(TypedDict):
    sent_total: int
    channels: Dict[str, int]
    statuses: Dict[str, int]
    delivered: int
    undelivered: int


class DayCount(TypedDict):
    day: str
    count: int


class SentByPerson(TypedDict):
    destination: str
    total: int
    last_sent: str


class TagCount(TypedDict):
    tag: str
    count: int


class SentEvent(TypedDict):
    message_id: str
    destination: Optional[str]
    channel: str
    status: str
    created_at: str


class SenderCount(TypedDict):
    sender: str
    count: int


class RecipientCount(TypedDict):
    recipient: str
    count: int


class DomainCount(TypedDict):
    domain: str
    count: int


class EmailReport(TypedDict):
    inbound_total: int
    sent_total: int
    top_inbound_senders: List[SenderCount]
    top_sent_recipients: List[RecipientCount]
    domains: List[DomainCount]
    by_day: List[DayCount]


class HourCount(TypedDict):
    hour: int
    count: int


class TopContact(TypedDict):
    source: str
    total: int


class EventWaiting(TypedDict):
    """An event's wait for a reply past a response rule's deadline (docs/alerts.md)."""
    rule_id: str
    deadline_at: str


class _Event(TypedDict):
    """What every row about one inbound event has."""
    message_id: str
    phone_id: str
    event_type: str
    channel: str
    source: str
    contact_name: Optional[str]
    occurred_at: str


class InboundEvent(_Event):
    text: Optional[str]
    duration_sec: Optional[int]
    tags: List[str]
    response_min: Optional[float]
    waiting: Optional[EventWaiting]


class WaitingEvent(_Event):
    """An event still waiting for a reply past its rule's deadline, oldest first."""
    rule_id: str
    deadline_at: str
    waited_min: float


class AnsweredInTime(TypedDict):
    """Per local day and rule: the events whose deadline passed, and the share replied to."""
    day: str
    rule_id: str
    due: int
    answered_in_time: int
    share: float


class InboundQuery(TypedDict):
    """The answer of the webchat inbound query: every section over the filtered set."""
    success: bool
    summary: Summary
    sent_summary: SentSummary
    sent_by_channel: Dict[str, int]
    sent_by_day: List[DayCount]
    sent_by_person: List[SentByPerson]
    sent_by_tag: List[TagCount]
    sent_events: List[SentEvent]
    email_report: EmailReport
    hourly: List[HourCount]
    top_contacts: List[TopContact]
    events: List[InboundEvent]
    waiting: List[WaitingEvent]
    answered_in_time: List[AnsweredInTime]
    count: int
    filters: Dict[str, object]


# -- what a webhook delivery carries (docs/webhooks.md) --------------------------------------

class WebhookEvent(TypedDict, total=False):
    """An inbound event (type "inbound": the InboundEvent fields and callback_id) or a status
    callback (type "message.status": message_id, phone_id, status, error, delivered_at, at)."""
    type: str
    callback_id: str
    message_id: str
    phone_id: str
    event_type: str
    channel: str
    source: str
    contact_name: Optional[str]
    duration_sec: Optional[int]
    tags: List[str]
    occurred_at: str
    text: Optional[str]
    status: str
    error: Optional[str]
    delivered_at: Optional[str]
    delivery_result: str
    delivery_reported_at: str
    at: str
