"""Message bodies sealed in the log row (migration 0006), under one key per UTC day.

A send then writes one table, which keeps its group commit to a single Appender flush (no
BEGIN and COMMIT, each a wait for the GIL behind a busy IOLoop: docs/performance.md). Retention
drops a day's bodies by deleting that day's key (crypto-shredding): the log row stays as it
was written and its body no longer opens, which reads as NULL like a dropped body row.

A sealed body is nonce (12 bytes) + AES-256-GCM of the JSON [text, subject, title], with the
message id as associated data, so a body copied to another row does not open. Day keys are
kept in body_keys sealed with the data dir's secrets.key (relay/core/secretbox.py), so the
database file alone opens no body. The ring is changed on the writer thread only, after a
commit; readers only look keys up."""
import base64
import datetime as dt
import json
import logging

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from relay.core.ids import random_bytes
from relay.core.secretbox import SecretUnreadable
from relay.core.timefmt import utcnow
from relay.store.writer import Scratch

log = logging.getLogger("relay.store")
TABLE = "body_keys"
NONCE_BYTES = 12
_EMPTY = (None, None, None)
# The days whose key an earlier message of the same group made: day -> that key.
KEYS_IN_GROUP: Scratch[dict[dt.date, AESGCM]] = Scratch(dict)


def _plain(text: str, subject: str | None, title: str | None) -> bytes:
    return json.dumps([text, subject, title], ensure_ascii=False, separators=(",", ":")).encode()


def _context(day: dt.date) -> str:
    return f"body-key:{day.isoformat()}"


class BodyKeys:
    def __init__(self, secret_box):
        self._box = secret_box
        self._keys: dict[dt.date, AESGCM] = {}

    def load(self, con) -> None:
        unreadable = []
        for day, sealed in con.execute(f"SELECT day, sealed FROM {TABLE}").fetchall():
            try:
                key = base64.b64decode(self._box.open(bytes(sealed), _context(day)))
            except SecretUnreadable:     # secrets.key was replaced: those texts read as null
                unreadable.append(day.isoformat())
            else:
                self._keys[day] = AESGCM(key)
        if unreadable:
            log.warning("message bodies of %s do not open with this data dir's secrets.key",
                        ", ".join(unreadable))

    @property
    def days(self) -> list[dt.date]:
        return sorted(self._keys)

    def seal(self, batch, message_id: str, created_at: dt.datetime, text: str,
             subject: str | None, title: str | None) -> bytes:
        """The sealed body, made on the writer thread while staging. The first message of a day
        stages the day's new key in the same group, and the ring learns it once committed."""
        aead = self._keys.get(created_at.date()) or self._new_key(batch, created_at.date())
        nonce = random_bytes(NONCE_BYTES)
        return nonce + aead.encrypt(nonce, _plain(text, subject, title), message_id.encode())

    def _new_key(self, batch, day: dt.date) -> AESGCM:
        staged = batch.scratch(KEYS_IN_GROUP)
        if day not in staged:
            key = AESGCM.generate_key(bit_length=256)
            batch.add(TABLE, {"day": day, "created_at": utcnow(),
                              "sealed": self._box.seal(base64.b64encode(key).decode(),
                                                       _context(day))})
            staged[day] = AESGCM(key)
            batch.after_commit(lambda: self._keys.setdefault(day, staged[day]))
        return staged[day]

    def open(self, message_id: str, created_at: dt.datetime, sealed) -> tuple:
        """(text, subject, title), or NULLs once the day's key is dropped."""
        aead = self._keys.get(created_at.date())
        if aead is None or sealed is None:
            return _EMPTY
        sealed = bytes(sealed)
        try:
            plain = aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], message_id.encode())
        except InvalidTag:     # not sealed for this row: read as dropped, never as garbage
            return _EMPTY
        return tuple(json.loads(plain))

    def drop(self, batch, days: list[dt.date]):
        """Deletes the keys of these days in the batch's commit; the ring forgets them after."""
        deletion = batch.delete_where(TABLE, "list_contains($days, day)", {"days": days})

        def forget():
            for day in days:
                self._keys.pop(day, None)
        batch.after_commit(forget)
        return deletion
