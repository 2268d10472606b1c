"""A callback's signing secret and callback_token at rest: sealed together with the data dir's
secrets.key (relay/core/secretbox.py) in the callback's log row (callback_events.sealed_secrets,
migration 0007), the callback id as context. The database file, backups and archives hold
them unreadable; the relay opens them into memory at start-up."""
import json

from relay.store.migrations import SqlFunction

SQL_FUNCTION = "seal_callback_secrets"   # what migration 0007 seals the clear values with


def _context(callback_id: str) -> str:
    return f"callback:{callback_id}"


def seal(box, callback_id: str, secret: str, callback_token: str | None) -> bytes:
    return box.seal(json.dumps([secret, callback_token]), _context(callback_id))


def open_sealed(box, callback_id: str, sealed) -> tuple[str, str | None]:
    """(secret, callback_token); raises SecretUnreadable under another data dir's key."""
    secret, callback_token = json.loads(box.open(bytes(sealed), _context(callback_id)))
    return secret, callback_token


def sql_function(box) -> SqlFunction:
    """Sealing as migration 0007 calls it."""
    return SqlFunction(SQL_FUNCTION, lambda callback_id, secret, token: seal(
        box, callback_id, secret, token), ["VARCHAR", "VARCHAR", "VARCHAR"], "BLOB")
