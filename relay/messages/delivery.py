"""Delivery outcomes: what the network reported about a message after the phone sent it. The
status stays `sent`; the report is a fact of its own (delivery_reports), shown on the message
and sent to its status callback."""
import dataclasses
import datetime as dt
import typing

from relay.core.errors import ApiError
from relay.core.statuses import CURRENT, CURRENT_OR_QUEUED
from relay.core.timefmt import iso, utcnow
from relay.webhooks.operations import stage_late_status_delivery
from relay.store.events import MessageDelivery
from relay.store.writer import Operation, Scratch

# The messages whose report was recorded earlier in the same group.
REPORTED_IN_GROUP: Scratch[set[str]] = Scratch(set)


class SentMessage(typing.NamedTuple):
    seq: int
    phone_id: str
    status: str
    callback_id: str | None


def sent_message(cur, message_id: str) -> SentMessage | None:
    """The message's phone, current status and status callback; None for an unknown id."""
    row = cur.execute(f"""
        SELECT m.seq, m.phone_id, {CURRENT_OR_QUEUED.format(status="s.status")},
               (SELECT any_value(c.callback_id) FROM message_callbacks c
                WHERE c.seq > m.seq AND c.message_id = m.message_id)
        FROM messages m
        LEFT JOIN ({CURRENT.format(where="WHERE message_id = $id")}) s USING (message_id)
        WHERE m.message_id = $id""", {"id": message_id}).fetchone()
    return None if row is None else SentMessage(*row)


async def record_delivery(store, phone_id: str, message_id: str, report: dict) -> bool:
    """Records a phone's delivery report (protocol.delivery_report); False when there is
    nothing to record: an unknown message, one not sent, or one already reported."""
    message = await store.read(sent_message, message_id)
    if message is None:
        return False
    if message.phone_id != phone_id:
        raise ApiError(403, "not_your_message", "the message belongs to another phone",
                       "message_id")
    if message.status != "sent":
        return False
    return await store.write(RecordDelivery(message_id, message, report["result"],
                                            report["at"]))


@dataclasses.dataclass
class RecordDelivery(Operation):
    message_id: str
    message: SentMessage
    result: str                       # delivered | undelivered
    reported_at: dt.datetime | None   # the network's time, when the phone gave one

    def stage(self, batch):
        reported = batch.scratch(REPORTED_IN_GROUP)
        # fetchall: a result left unfinished would stop the group's appenders.
        if self.message_id in reported or batch.con.execute(
                "SELECT 1 FROM delivery_reports WHERE seq > ? AND message_id = ?",
                [self.message.seq, self.message_id]).fetchall():
            return False
        reported.add(self.message_id)
        now = utcnow()
        row = {"seq": batch.next_seq(), "recorded_at": now, "message_id": self.message_id,
               "result": self.result, "reported_at": self.reported_at or now}
        batch.add("delivery_reports", row)
        batch.publish(MessageDelivery(self.message_id, self.message.phone_id, self.result,
                                      row["reported_at"]))
        if self.message.callback_id is not None:
            stage_late_status_delivery(batch, self.message.callback_id, self.message_id, {
                "message_id": self.message_id, "phone_id": self.message.phone_id,
                "status": "sent", "error": None,
                "delivered_at": iso(row["reported_at"]) if self.result == "delivered" else None,
                "delivery_result": self.result, "delivery_reported_at": iso(row["reported_at"]),
                "at": iso(now)})
        return True


def outcomes(cur, messages: list[dict], after_seq: int) -> list[dict]:
    """Adds sent_at, delivery_result and delivery_reported_at to messages (as the queries
    shape them, all logged after after_seq), and sets delivered_at from a report: the
    network's time when it said delivered, null when it said undelivered."""
    sent = [m["message_id"] for m in messages if m["status"] == "sent"]
    found = {}
    if sent:
        found = {message_id: (sent_at, result, reported_at)
                 for message_id, sent_at, result, reported_at in cur.execute("""
            SELECT e.message_id, coalesce(e.delivered_at, e.recorded_at), d.result, d.reported_at
            FROM message_events e
            LEFT JOIN (SELECT * FROM delivery_reports WHERE seq > $after) d USING (message_id)
            WHERE e.seq > $after AND e.status = 'sent' AND list_contains($ids, e.message_id)""",
            {"after": after_seq, "ids": sent}).fetchall()}
    for message in messages:
        sent_at, result, reported_at = found.get(message["message_id"], (None, None, None))
        message["sent_at"] = iso(sent_at)
        message["delivery_result"] = result
        message["delivery_reported_at"] = iso(reported_at)
        if result is not None:
            message["delivered_at"] = iso(reported_at) if result == "delivered" else None
    return messages
