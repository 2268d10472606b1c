"""The client keys in memory: every key by id and by hash, so a request is authenticated without
touching DuckDB, and the keys used since their last use was logged. Loaded from key_events at
start-up; changed only by the writer thread after a commit."""
import dataclasses
import datetime as dt


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


class KeyState:
    def __init__(self):
        self.keys: dict[str, KeyRecord] = {}          # key_id -> record
        self.keys_by_hash: dict[str, KeyRecord] = {}
        self.used_keys: set[str] = set()               # key_ids whose last use is not yet logged

    # -- reads, safe from any thread ------------------------------------------------------
    def key_for(self, key_hash: str, now: dt.datetime) -> KeyRecord | None:
        record = self.keys_by_hash.get(key_hash)
        return record if record is not None and record.usable(now) else None

    def client_keys(self, client_id: str) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.client_id == client_id]

    def note_key_use(self, record: KeyRecord, now: dt.datetime) -> None:
        record.last_used_at = now
        self.used_keys.add(record.key_id)

    # -- loading and changes -----------------------------------------------------------------
    def load(self, con) -> None:
        for row in con.execute("SELECT event, recorded_at, key_id, client_id, key_hash, display_prefix, "
                               "last4, expires_at FROM key_events ORDER BY seq").fetchall():
            self.apply_key_event(*row)

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
