"""Every fact the bus carries, one type per topic: an operation publishes an instance while it
stages (relay/store/writer.py), and subscribers, which register by type (relay/store/bus.py),
get it once its group is committed. Plain data: the features build and read them.

`topic` names the fact where it leaves the process (the portal's live socket), and `fields()`
gives its payload there, in the order the fields are declared."""
import dataclasses
import datetime as dt
import typing


class Event:
    __slots__ = ()
    topic: typing.ClassVar[str]

    def fields(self) -> dict:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True, slots=True)
class MessageAccepted(Event):
    """A message was accepted. It carries its content so the phone dispatcher and the senders
    need no read to deliver it; its seq orders it among the messages read back from the log.
    One with a send_at waits for its time: a MessageReleased says when it may go."""
    topic: typing.ClassVar[str] = "message.accepted"
    message_id: str
    phone_id: str
    channel: str
    to: str | None
    text: str | None
    subject: str | None
    title: str | None
    tags: tuple[str, ...]
    created_at: dt.datetime
    seq: int
    sim: int | None = None          # the SIM slot to send from, when the client chose one
    send_at: dt.datetime | None = None      # scheduled: not before then
    ttl_seconds: int | None = None          # its own time to live
    expires_at: dt.datetime | None = None   # its own expiry
    priority: str | None = None             # "high", else None


@dataclasses.dataclass(frozen=True, slots=True)
class MessageReleased(MessageAccepted):
    """A scheduled message's time came: it joins its queue, placed by this seq."""
    topic: typing.ClassVar[str] = "message.released"


@dataclasses.dataclass(frozen=True, slots=True)
class MessageRescheduled(Event):
    """A waiting message was moved to a new time (it waits for it, wherever it was)."""
    topic: typing.ClassVar[str] = "message.rescheduled"
    message_id: str
    phone_id: str
    channel: str
    send_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class MessageStatus(Event):
    """A message's status moved forward."""
    topic: typing.ClassVar[str] = "message.status"
    message_id: str
    phone_id: str
    status: str
    error: str | None
    at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class MessageDelivery(Event):
    """The network's word on a message already sent: delivered or undelivered."""
    topic: typing.ClassVar[str] = "message.delivery"
    message_id: str
    phone_id: str
    result: str
    reported_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class MessageAttempt(Event):
    """A server-side attempt failed and another is due (the final ones are a MessageStatus)."""
    topic: typing.ClassVar[str] = "message.attempt"
    message_id: str
    attempt: int
    error: str | None
    next_attempt_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class InboundRecorded(Event):
    """A phone reported a new inbound event, as the API shows it (relay/phones/inbound.py)."""
    topic: typing.ClassVar[str] = "inbound"
    message_id: str
    phone_id: str
    event_type: str
    channel: str
    source: str | None
    contact_name: str | None
    text: str | None
    duration_sec: int | None
    tags: list[str]
    occurred_at: str


@dataclasses.dataclass(frozen=True, slots=True)
class DeadlineSet(Event):
    """An inbound event must have a client's reply by `deadline` (epoch seconds): it wakes the
    alert service (relay/alerts/service.py)."""
    topic: typing.ClassVar[str] = "alert.deadline"
    client_id: str
    event_seq: int
    deadline: float


@dataclasses.dataclass(frozen=True, slots=True)
class InboundWaiting(Event):
    """An inbound event passed its deadline under a client's rule with no reply: the alert."""
    topic: typing.ClassVar[str] = "inbound.unanswered"
    client_id: str
    rule_id: str
    message_id: str
    phone_id: str
    channel: str
    event_type: str
    source: str | None
    contact_name: str | None
    occurred_at: dt.datetime
    deadline_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class InboundAnsweredLate(Event):
    """A reply came to an event that had been reported waiting."""
    topic: typing.ClassVar[str] = "inbound.answered_late"
    client_id: str
    rule_id: str
    message_id: str
    replied_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class DeviceRevoked(Event):
    """A phone's session (session_id None: every session) may no longer connect."""
    topic: typing.ClassVar[str] = "device.revoked"
    phone_id: str
    session_id: str | None
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class PacingChanged(Event):
    """A phone's own pacing changed: its queue is paced anew."""
    topic: typing.ClassVar[str] = "phone.pacing"
    phone_id: str


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookQueued(Event):
    """A webhook delivery is due at next_at: it wakes the webhook service."""
    topic: typing.ClassVar[str] = "webhook.queued"
    delivery_id: str
    next_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookAttempted(Event):
    """A webhook try was recorded, with its outcome (delivered or failed)."""
    topic: typing.ClassVar[str] = "webhook.attempt"
    delivery_id: str
    outcome: str


@dataclasses.dataclass(frozen=True, slots=True)
class PortalPasswordSet(Event):
    """The portal owner's password changed: every portal session ends."""
    topic: typing.ClassVar[str] = "portal.password_set"
    password_hash: str
