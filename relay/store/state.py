"""In-memory state derived from the log at start-up and kept current by the writer thread.

The IOLoop reads it (to authenticate, to check a phone exists) without touching DuckDB; only
the writer thread changes it, and only after the change is committed."""
import dataclasses
import datetime as dt
import typing

from relay.core.timefmt import utcnow
from relay.webhooks.state import WebhookState
from relay.phones.credentials import Credentials

TERMINAL = ("sent", "failed", "expired")


@dataclasses.dataclass
class KeyRecord:
    key_id: str
    client_id: str
    key_hash: str
    display_prefix: str
    last4: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class IdempotencyEntry(typing.NamedTuple):
    message_id: str
    fingerprint: str
    created_at: dt.datetime


class State:
    def __init__(self, idempotency_window: dt.timedelta, body_keys, secret_box):
        self.seq = 0
        self.body_keys = body_keys                     # sealed message bodies' day keys
        self.keys: dict[str, KeyRecord] = {}          # key_id -> record
        self.keys_by_hash: dict[str, KeyRecord] = {}
        self.used_keys: set[str] = set()               # key_ids whose last use is not yet logged
        self.phones: dict[str, dt.datetime] = {}       # phone_id -> added_at
        # (client, key) -> the entry as a plain tuple: one is kept per keyed message for days,
        # and a plain tuple of strings and a time leaves the garbage collector's view after its
        # first pass, so full collections do not grow with the window (an object each: a pause
        # of 0.7 s once a million were kept).
        self._idempotency: dict[tuple[str, str], tuple] = {}
        self.idempotency_window = idempotency_window
        self.open_messages: dict[str, str] = {}        # message_id -> phone_id, not yet terminal
        self.open_status: dict[str, str] = {}          # message_id -> status, if past queued
        self.inbound_ids: dict[tuple[str, str], str] = {}  # (phone, device event id) -> event_id
        self.webhooks = WebhookState(secret_box)       # callbacks and due deliveries
        self.credentials = Credentials()               # phones' pairing codes and sessions

    # -- reads, safe from any thread ------------------------------------------------------
    def key_for(self, key_hash: str, now: dt.datetime) -> KeyRecord | None:
        record = self.keys_by_hash.get(key_hash)
        return record if record is not None and record.usable(now) else None

    def client_keys(self, client_id: str) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.client_id == client_id]

    def note_key_use(self, record: KeyRecord, now: dt.datetime) -> None:
        record.last_used_at = now
        self.used_keys.add(record.key_id)

    def queue_depth(self) -> int:
        return len(self.open_messages)

    # -- loading ---------------------------------------------------------------------------
    def load(self, con) -> None:
        # Every log table has a seq column; the next seq continues after the largest.
        tables = [t for (t,) in con.execute("SELECT DISTINCT table_name FROM duckdb_columns() "
                                            "WHERE column_name = 'seq'").fetchall()]
        self.seq = con.execute("SELECT greatest(0, " + ", ".join(
            f"(SELECT coalesce(max(seq), 0) FROM {t})" for t in tables) + ")").fetchone()[0]
        for row in con.execute("SELECT event, recorded_at, key_id, client_id, key_hash, display_prefix, "
                               "last4, expires_at FROM key_events ORDER BY seq").fetchall():
            self.apply_key_event(*row)
        for event, at, phone_id in con.execute(
                "SELECT event, recorded_at, phone_id FROM phone_events ORDER BY seq").fetchall():
            self.apply_phone_event(event, at, phone_id)
        self.credentials.load(con)
        since = utcnow() - self.idempotency_window
        self.remember_idempotency([
            ((client_id, key), (message_id, fingerprint, created_at))
            for client_id, key, message_id, fingerprint, created_at in con.execute(
                "SELECT client_id, idempotency_key, message_id, fingerprint, created_at "
                "FROM messages WHERE idempotency_key IS NOT NULL AND created_at >= ?",
                [since]).fetchall()])
        for message_id, phone_id, status in con.execute("""
                SELECT m.message_id, m.phone_id, s.status FROM messages m
                LEFT JOIN (SELECT message_id, arg_max(status, seq) AS status
                           FROM message_events GROUP BY message_id) s USING (message_id)
                WHERE s.status IS NULL OR s.status NOT IN ?""", [list(TERMINAL)]).fetchall():
            self.open_messages[message_id] = phone_id
            if status is not None:
                self.open_status[message_id] = status

        self.inbound_ids = {(phone_id, device_id): event_id for phone_id, device_id, event_id in
                            con.execute("SELECT phone_id, device_event_id, event_id "
                                        "FROM inbound_events").fetchall()}
        self.webhooks.load(con, self.open_messages)

    def apply_key_event(self, event, at, key_id, client_id, key_hash=None, display_prefix=None,
                        last4=None, expires_at=None) -> None:
        if event == "created":
            record = KeyRecord(key_id, client_id, key_hash, display_prefix, last4, at)
            self.keys[key_id] = record
            self.keys_by_hash[key_hash] = record
            return
        record = self.keys[key_id]
        if event == "expires":
            record.expires_at = expires_at
        elif event == "revoked":
            record.revoked_at = at
        elif event == "used":
            record.last_used_at = max(record.last_used_at or at, at)

    def apply_phone_event(self, event: str, at: dt.datetime, phone_id: str) -> None:
        if event == "added":
            self.phones[phone_id] = at
        else:
            self.phones.pop(phone_id, None)

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
