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
    later run). Returns the bodies dropped, per table (message_bodies counts sealed ones too).

    Sealed message bodies go a whole UTC day at a time, with the day's key, once the day ended
    more than `days` days ago. The open messages of that day keep their bodies: they are moved
    to message_bodies in the same commit, and leave it by the rule above once final."""
    days: int

    def stage(self, batch):
        before = utcnow() - dt.timedelta(days=self.days)
        open_ids = list(batch.state.open_messages)
        body_keys = batch.body_keys
        days = [day for day in body_keys.days if day < before.date()]
        sealed, kept = _sealed_bodies(batch.con, days, open_ids) if days else (0, [])
        for message_id, created_at, body in kept:
            text, subject, title = body_keys.open(message_id, created_at, body)
            if text is not None:     # None: sealed under a key that no longer opens
                batch.add(MESSAGE_BODIES, {"message_id": message_id, "recorded_at": created_at,
                                           "text": text, "subject": subject, "title": title})
        keys = body_keys.drop(batch, days)
        messages = batch.delete_where(
            MESSAGE_BODIES, "recorded_at < $before AND message_id NOT IN (SELECT unnest($open))",
            {"before": before, "open": open_ids})
        inbound = batch.delete_where(INBOUND_BODIES, "recorded_at < $before",
                                     {"before": before})
        deleted = {"before": iso(before)}
        batch.after_commit(lambda: deleted.update({
            MESSAGE_BODIES: messages.count + sealed - len(kept), INBOUND_BODIES: inbound.count,
            "body_keys": keys.count}))
        return deleted


def _sealed_bodies(con, days: list, open_ids: list) -> tuple[int, list]:
    """How many sealed bodies these days hold, and (message_id, created_at, body) of their open
    messages. Only those days' rows are read (created_at's zone maps skip the rest)."""
    span = {"lo": min(days), "hi": max(days) + dt.timedelta(days=1), "days": days}
    in_days = ("created_at >= $lo AND created_at < $hi AND body IS NOT NULL "
               "AND list_contains($days, CAST(created_at AS DATE))")
    count = con.execute(f"SELECT count(*) FROM messages WHERE {in_days}", span).fetchone()[0]
    kept = con.execute(f"SELECT message_id, created_at, body FROM messages WHERE {in_days} "
                       "AND message_id IN (SELECT unnest($open))",
                       {**span, "open": open_ids}).fetchall()
    return count, kept
