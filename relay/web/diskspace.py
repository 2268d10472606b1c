"""Refusing writes before the disk fills: a full disk must cost a 503, never the database."""
import shutil
import time


class DiskGuard:
    CHECK_EVERY_S = 1.0

    def __init__(self, path, min_free_mb: int):
        self._path = path
        self._min_free = min_free_mb * 1024 * 1024
        self._checked_at = float("-inf")
        self._ok = True
        self.free_bytes = 0

    def ok(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at >= self.CHECK_EVERY_S:
            self.free_bytes = shutil.disk_usage(self._path).free
            self._ok = self.free_bytes >= self._min_free
            self._checked_at = now
        return self._ok
