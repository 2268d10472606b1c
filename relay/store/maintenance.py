"""Housekeeping that must run on the writer thread, which owns the in-memory state."""
import dataclasses
import datetime as dt

from relay.core.timefmt import iso, utcnow
from relay.store.bodies import INBOUND_BODIES, MESSAGE_BODIES
from relay.store.writer import Operation


class ForgetIdempotencyKeys(Operation):
    def stage(self, batch):
        batch.state.forget_old_idempotency_keys()


@dataclasses.dataclass
class DropOldBodies(Operation):
    """Deletes the bodies recorded more than `days` days ago, except those of messages not yet
    in a final state (queued or sending: their phone or sender still needs them; they go in a
    later run). Returns the bodies deleted, per table."""
    days: int

    def stage(self, batch):
        before = utcnow() - dt.timedelta(days=self.days)
        messages = batch.delete_where(
            MESSAGE_BODIES, "recorded_at < $before AND message_id NOT IN (SELECT unnest($open))",
            {"before": before, "open": list(batch.state.open_messages)})
        inbound = batch.delete_where(INBOUND_BODIES, "recorded_at < $before",
                                     {"before": before})
        deleted = {"before": iso(before)}
        batch.after_commit(lambda: deleted.update({MESSAGE_BODIES: messages.count,
                                                   INBOUND_BODIES: inbound.count}))
        return deleted
