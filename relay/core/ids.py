"""Unguessable identifiers."""
import base64
import secrets


def random_id(prefix: str, nbytes: int = 15) -> str:
    """prefix + lowercase base32 of nbytes random bytes (15 bytes: 120 bits, 24 characters)."""
    return prefix + base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=").lower()


def message_id() -> str:
    return random_id("msg_")
