"""Recording inbound events (messages and calls a phone reports), de-duplicated by the phone's
own event id."""
import dataclasses

from relay.core.ids import random_id
from relay.core.inbound import InboundEvent
from relay.core.timefmt import iso, utcnow
from relay.store.bodies import stage_inbound_body
from relay.webhooks.operations import stage_inbound_deliveries
from relay.store.events import InboundRecorded
from relay.store.writer import Operation, Scratch

# The events recorded earlier in the same group: (phone_id, device_event_id) -> event_id.
EVENTS_IN_GROUP: Scratch[dict[tuple[str, str], str]] = Scratch(dict)


@dataclasses.dataclass(frozen=True)
class Recorded:
    event_id: str
    duplicate: bool


def event_payload(row: dict) -> dict:
    """An inbound event as the API shows it (the query's `events`, webhooks)."""
    return {"message_id": row["event_id"], "phone_id": row["phone_id"],
            "event_type": row["event_type"], "channel": row["channel"],
            "source": row["contact"], "contact_name": row["contact_name"], "text": row["text"],
            "duration_sec": row["duration_sec"], "tags": list(row["tags"] or []),
            "occurred_at": iso(row["occurred_at"])}


@dataclasses.dataclass
class RecordInbound(Operation):
    phone_id: str
    event: InboundEvent
    live: bool = True      # False for imported history: recorded, but announced to no one

    def stage(self, batch):
        state, event = batch.state, self.event
        slot = (self.phone_id, event.device_event_id)
        claimed = batch.scratch(EVENTS_IN_GROUP)
        known = claimed.get(slot) or state.inbound_ids.get(slot)
        if known is not None:
            return Recorded(known, duplicate=True)
        row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event_id": random_id("in_"),
               "phone_id": self.phone_id, "device_event_id": event.device_event_id,
               "channel": event.channel, "event_type": event.event_type,
               "contact": event.contact, "contact_name": event.contact_name, "text": event.text,
               "duration_sec": event.duration_sec, "tags": list(event.tags),
               "occurred_at": event.occurred_at}
        # The row keeps the text for the payload and the webhook filters; the table has no
        # text column (the writer takes the table's columns only): it goes in as the body.
        batch.add("inbound_events", row)
        stage_inbound_body(batch, row["event_id"], row["recorded_at"], event.text)
        claimed[slot] = row["event_id"]
        batch.after_commit(lambda: state.inbound_ids.__setitem__(slot, row["event_id"]))
        if self.live:
            batch.publish(InboundRecorded(**event_payload(row)))
            stage_inbound_deliveries(batch, row, event_payload(row))   # the webhook outbox
        return Recorded(row["event_id"], duplicate=False)
