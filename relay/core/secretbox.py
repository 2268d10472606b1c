"""Secrets the relay must keep for a while but never readable on disk (a tg_bot message's
bot_token): sealed with AES-256-GCM under a key kept in the data dir, readable by its owner only.

A sealed value is nonce (12 bytes) + ciphertext with its tag; the message id is the associated
data, so a sealed token copied to another message's row does not open."""
import os
import pathlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "secrets.key"
NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """The sealed value was not made with this data dir's key (or was altered)."""


class SecretBox:
    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    @classmethod
    def for_data_dir(cls, data_dir: pathlib.Path) -> "SecretBox":
        """The data dir's box; its key file is created (mode 0600) on first use."""
        path = pathlib.Path(data_dir) / KEY_FILE
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:    # another process made it meanwhile
                pass
            else:
                with os.fdopen(fd, "wb") as file:
                    file.write(AESGCM.generate_key(bit_length=256))
                    file.flush()
                    os.fsync(file.fileno())
        return cls(path.read_bytes())

    def seal(self, plaintext: str, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                      context.encode()).decode()
        except (InvalidTag, ValueError):
            raise SecretUnreadable("the secret does not open with this relay's key") from None
