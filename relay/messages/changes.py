"""What may happen to a message before it is handed on: its time comes (release), the client
moves it (reschedule) or calls it off (cancel). Each is a fact appended to the log; a message
already handed to a phone or to a server-side sender can no longer be moved or cancelled."""
import dataclasses
import datetime as dt
import functools

from relay.core.errors import ApiError
from relay.core.statuses import FINAL, QUEUED
from relay.core.timefmt import utcnow
from relay.messages.status import STATUS_IN_GROUP, RecordStatus
from relay.store.events import MessageReleased, MessageRescheduled
from relay.store.writer import Operation, Scratch

CANCELLED = "cancelled"      # the last_error of a cancelled message
# When each message moved to in this group (None: released): message_id -> send_at.
SCHEDULE_IN_GROUP: Scratch[dict[str, dt.datetime | None]] = Scratch(dict)


def _status(batch, message_id: str) -> str | None:
    """The message's status as of this group; None once final (or unknown)."""
    status = batch.scratch(STATUS_IN_GROUP).get(message_id)
    if message_id not in batch.state.open_messages or status in FINAL:
        return None
    return status or batch.state.open_status.get(message_id, QUEUED)


def _waiting(batch, message_id: str) -> None:
    """409 unless the message is still queued: not final, not handed on."""
    status = _status(batch, message_id)
    if status is None:
        raise ApiError(409, "already_final", "the message has already ended", "message_id")
    if status != QUEUED:
        raise ApiError(409, "already_sending", "the message was already handed on for "
                       "delivery", "message_id")


def scheduled_in(batch, message_id: str) -> dt.datetime | None:
    """When the message waits for, as of this group; None once it may go."""
    moved = batch.scratch(SCHEDULE_IN_GROUP)
    return moved[message_id] if message_id in moved else batch.state.scheduled.get(message_id)


@dataclasses.dataclass
class ReleaseMessages(Operation):
    """Logs the release of each message whose time came, as read (relay/messages/contents.py),
    unless it was moved, cancelled or ended meanwhile; returns how many were released."""
    messages: list[dict]

    def stage(self, batch):
        moved, state = batch.scratch(SCHEDULE_IN_GROUP), batch.state
        released = []
        for message in self.messages:
            message_id = message["message_id"]
            if (_status(batch, message_id) is None
                    or scheduled_in(batch, message_id) != message["send_at"]):
                continue
            seq = batch.next_seq()
            batch.add("message_schedule", {"seq": seq, "recorded_at": utcnow(),
                                           "message_id": message_id, "event": "released",
                                           "send_at": None})
            moved[message_id] = None
            released.append(message_id)
            batch.publish(MessageReleased(**{**message, "seq": seq,
                                             "tags": tuple(message["tags"] or ())}))

        def apply():
            for message_id in released:
                state.scheduled.pop(message_id, None)
        batch.after_commit(apply)
        return len(released)


@dataclasses.dataclass
class Reschedule(Operation):
    """Moves a message still waiting (for its time or in its queue) to send_at."""
    message_id: str
    phone_id: str
    channel: str
    send_at: dt.datetime

    def stage(self, batch):
        _waiting(batch, self.message_id)
        batch.add("message_schedule", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                       "message_id": self.message_id, "event": "rescheduled",
                                       "send_at": self.send_at})
        batch.scratch(SCHEDULE_IN_GROUP)[self.message_id] = self.send_at
        batch.after_commit(functools.partial(self._apply, batch.state))
        batch.publish(MessageRescheduled(self.message_id, self.phone_id, self.channel,
                                         self.send_at))

    def _apply(self, state) -> None:
        state.scheduled[self.message_id] = self.send_at


@dataclasses.dataclass
class CancelMessage(Operation):
    """Ends a message still queued as failed, "cancelled" (its status callback fires as for
    any failure). Returns False when it had ended already, however it ended."""
    message_id: str

    def stage(self, batch):
        if _status(batch, self.message_id) is None:
            return False
        _waiting(batch, self.message_id)
        return RecordStatus(self.message_id, "failed", CANCELLED).stage(batch)
