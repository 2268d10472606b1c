"""The messages in memory: the idempotency window (the keyed messages of the last days), the
messages not yet in a final status, with their phone and status (the queue), and those of them
that wait for their time. Loaded from the log at start-up; changed only by the writer thread
after a commit."""
import datetime as dt
import typing

from relay.core.statuses import CURRENT, FINAL
from relay.core.timefmt import utcnow
from relay.messages.schedule import waiting_for_time


class IdempotencyEntry(typing.NamedTuple):
    message_id: str
    fingerprint: str
    created_at: dt.datetime


class MessageState:
    def __init__(self, idempotency_window: dt.timedelta):
        # (client, key) -> the entry as a plain tuple: one is kept per keyed message for days,
        # and a plain tuple of strings and a time leaves the garbage collector's view after its
        # first pass, so full collections do not grow with the window (an object each: a pause
        # of 0.7 s once a million were kept).
        self._idempotency: dict[tuple[str, str], tuple] = {}
        self.idempotency_window = idempotency_window
        self.open_messages: dict[str, str] = {}        # message_id -> phone_id, not yet terminal
        self.open_status: dict[str, str] = {}          # message_id -> status, if past queued
        self.scheduled: dict[str, dt.datetime] = {}    # message_id -> when it may go

    def queue_depth(self) -> int:
        return len(self.open_messages)

    def load(self, con) -> None:
        since = utcnow() - self.idempotency_window
        self.remember_idempotency([
            ((client_id, key), (message_id, fingerprint, created_at))
            for client_id, key, message_id, fingerprint, created_at in con.execute(
                "SELECT client_id, idempotency_key, message_id, fingerprint, created_at "
                "FROM messages WHERE idempotency_key IS NOT NULL AND created_at >= ?",
                [since]).fetchall()])
        for message_id, phone_id, status in con.execute(f"""
                SELECT m.message_id, m.phone_id, s.status FROM messages m
                LEFT JOIN ({CURRENT.format(where="")}) s USING (message_id)
                WHERE s.status IS NULL OR s.status NOT IN ?""", [list(FINAL)]).fetchall():
            self.open_messages[message_id] = phone_id
            if status is not None:
                self.open_status[message_id] = status
        self.scheduled.update(waiting_for_time(con))

    def ended(self, message_id: str) -> None:
        """A message reached a final status."""
        self.open_messages.pop(message_id, None)
        self.open_status.pop(message_id, None)
        self.scheduled.pop(message_id, None)

    def idempotency(self, slot: tuple[str, str]) -> IdempotencyEntry | None:
        found = self._idempotency.get(slot)
        return None if found is None else IdempotencyEntry._make(found)

    def remember_idempotency(self, entries: list[tuple[tuple[str, str], tuple]]) -> None:
        """(slot, entry as a plain tuple) pairs: a group commit's, or the start-up load's."""
        self._idempotency.update(entries)

    def forget_old_idempotency_keys(self) -> None:
        cutoff = utcnow() - self.idempotency_window
        for key in [k for k, (_, _, created_at) in self._idempotency.items()
                    if created_at < cutoff]:
            del self._idempotency[key]
