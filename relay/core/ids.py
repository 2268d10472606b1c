"""Unguessable identifiers."""
import os
import threading


class _RandomPool:
    """Bytes from the OS's CSPRNG, read 4 KiB at a time. os.urandom releases the GIL, and on
    a busy IOLoop every release costs a wait to get it back, and every request takes an id;
    a slice of a buffer under a lock does not."""

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


# Each random byte picks one of the 32 characters of lowercase base32 (256 is a multiple of
# 32, so each is equally likely): an id in the alphabet and length of base32, made in C;
# base64.b32encode loops in Python, on the writer thread, for every id.
_BASE32 = bytes.maketrans(bytes(range(256)), b"abcdefghijklmnopqrstuvwxyz234567" * 8)


def random_id(prefix: str, nbytes: int = 15) -> str:
    """prefix + the lowercase base32 characters that nbytes random bytes make (15 bytes: 120
    bits, 24 characters)."""
    return prefix + random_bytes(-(-nbytes * 8 // 5)).translate(_BASE32).decode()


def request_id() -> str:
    return random_bytes(8).hex()


def message_id() -> str:
    return random_id("msg_")
