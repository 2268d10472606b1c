"""Message status changes. Status only moves forward (relay/core/statuses.py); a late, repeated
or backward report is accepted and ignored (not logged)."""
import dataclasses
import datetime as dt

from relay.core.errors import ApiError
from relay.core.statuses import FINAL, QUEUED, STATUSES, moves_forward
from relay.core.timefmt import iso, utcnow
from relay.webhooks.operations import stage_status_delivery
from relay.store.events import MessageStatus
from relay.store.writer import Operation, Scratch

# The status each message moved to earlier in the same group: message_id -> status.
STATUS_IN_GROUP: Scratch[dict[str, str]] = Scratch(dict)


@dataclasses.dataclass
class RecordStatus(Operation):
    """Returns True when the status was recorded, False when it was stale and ignored.
    `phone_id`, when given, must be the message's phone (a phone may report only its own)."""
    message_id: str
    status: str
    error: str | None = None
    delivered_at: dt.datetime | None = None
    phone_id: str | None = None

    def stage(self, batch):
        if self.status not in STATUSES or self.status == QUEUED:
            raise ApiError(400, "invalid_status", f"unknown status '{self.status}'", "status")
        state = batch.state
        current = batch.scratch(STATUS_IN_GROUP)
        owner = state.open_messages.get(self.message_id)
        if owner is None:           # terminal already (or unknown): nothing moves any more
            return False
        if self.phone_id is not None and owner != self.phone_id:
            raise ApiError(403, "not_your_message", "the message belongs to another phone",
                           "message_id")
        now_status = current.get(self.message_id) or state.open_status.get(self.message_id,
                                                                            QUEUED)
        if not moves_forward(now_status, self.status):
            return False
        current[self.message_id] = self.status
        row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "message_id": self.message_id,
               "status": self.status, "error": self.error, "delivered_at": self.delivered_at}
        batch.add("message_events", row)

        def apply():
            if self.status in FINAL:
                state.ended(self.message_id)
            else:
                state.open_status[self.message_id] = self.status
        batch.after_commit(apply)
        stage_status_delivery(batch, self.message_id, {
            "message_id": self.message_id, "phone_id": owner, "status": self.status,
            "error": self.error, "delivered_at": iso(self.delivered_at),
            "at": iso(row["recorded_at"])}, self.status in FINAL)
        batch.publish(MessageStatus(self.message_id, owner, self.status, self.error,
                                    row["recorded_at"]))
        return True
