"""Reads and writes behind server-side sending (relay/senders): the attempts log and the sealed
bot tokens, which are dropped in the same commit that ends a message's delivery."""
import dataclasses
import datetime as dt

from relay.core.statuses import ENDED, FINAL
from relay.core.timefmt import utcnow
from relay.phones.phone_queue import open_messages
from relay.messages.changes import scheduled_in
from relay.messages.status import STATUS_IN_GROUP, RecordStatus
from relay.store.events import MessageAttempt
from relay.store.writer import Operation

TOKENS = "sealed_bot_tokens"


def stage_bot_token(batch, message_id: str, sealed: bytes) -> None:
    """Called by AcceptMessage: the token goes in with the message, in one commit."""
    batch.add(TOKENS, {"message_id": message_id, "sealed": sealed})


def sealed_bot_token(cur, message_id: str) -> bytes | None:
    row = cur.execute(f"SELECT sealed FROM {TOKENS} WHERE message_id = ?",
                      [message_id]).fetchone()
    return None if row is None else bytes(row[0])


def open_sends(cur, body_keys, channels: list[str]) -> list[dict]:
    """The open messages of the given channels, oldest first, each with `attempts` (made so
    far) and `due` (when the next may start: the last retry's next_attempt_at, else now)."""
    messages = open_messages(cur, body_keys, channels)
    if not messages:
        return []
    made = {message_id: (attempts, due) for message_id, attempts, due in cur.execute("""
        SELECT message_id, max(attempt), arg_max(next_attempt_at, seq) FROM send_attempts
        WHERE list_contains(?, message_id) GROUP BY message_id""",
        [[m["message_id"] for m in messages]]).fetchall()}
    for message in messages:
        attempts, due = made.get(message["message_id"], (0, None))
        message["attempts"], message["due"] = attempts, due or utcnow()
    return messages


def stale_bot_tokens(cur) -> list[str]:
    """Messages whose token is still stored though their delivery ended (a stop came between,
    or the message expired)."""
    return [row[0] for row in cur.execute(
        f"SELECT t.message_id FROM {TOKENS} t WHERE "
        + ENDED.format(message_id="t.message_id", also="")).fetchall()]


def _still_open(batch, message_id: str) -> bool:
    """Open, and not moved to a later time since its delivery began."""
    status = batch.scratch(STATUS_IN_GROUP).get(message_id)
    return (message_id in batch.state.open_messages and status not in FINAL
            and scheduled_in(batch, message_id) is None)


@dataclasses.dataclass
class StartAttempt(Operation):
    """Logs the start of an attempt (and 'sending' on the first). Returns False, logging
    nothing, when the message is no longer open (it expired or was cancelled meanwhile) or was
    moved to a later time: no attempt is made."""
    message_id: str
    attempt: int

    def stage(self, batch):
        if not _still_open(batch, self.message_id):
            return False
        batch.add("send_attempts", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                    "message_id": self.message_id, "attempt": self.attempt,
                                    "event": "started"})
        RecordStatus(self.message_id, "sending").stage(batch)
        return True


@dataclasses.dataclass
class EndAttempt(Operation):
    """Logs an attempt's outcome; on sent or failed also the message's final status, and drops
    its sealed token in the same commit."""
    message_id: str
    attempt: int
    outcome: str                       # sent | retry | failed
    error: str | None
    duration_ms: int
    next_attempt_at: dt.datetime | None = None

    def stage(self, batch):
        now = utcnow()
        batch.add("send_attempts", {
            "seq": batch.next_seq(), "recorded_at": now, "message_id": self.message_id,
            "attempt": self.attempt, "event": "ended", "outcome": self.outcome,
            "error": self.error, "duration_ms": self.duration_ms,
            "next_attempt_at": self.next_attempt_at})
        if self.outcome == "retry":
            batch.publish(MessageAttempt(self.message_id, self.attempt, self.error,
                                         self.next_attempt_at))
            return None
        RecordStatus(self.message_id, self.outcome, self.error,
                     now if self.outcome == "sent" else None).stage(batch)
        batch.delete(TOKENS, "message_id", self.message_id)
        return now


@dataclasses.dataclass
class DropBotTokens(Operation):
    message_ids: list[str]

    def stage(self, batch):
        for message_id in self.message_ids:
            batch.delete(TOKENS, "message_id", message_id)
