"""Read-only work on a small thread pool, each thread with its own DuckDB cursor."""
import concurrent.futures
import contextlib
import threading


@contextlib.contextmanager
def snapshot(cur):
    """One read transaction: the statements inside see the same committed state."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    finally:
        cur.execute("ROLLBACK")


class Readers:
    def __init__(self, con, workers: int = 4):
        self._con = con
        self._local = threading.local()
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="relay-read")

    def _cursor(self):
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._con.cursor()
        return cursor

    def submit(self, fn, *args) -> concurrent.futures.Future:
        """Run fn(cursor, *args) on a reader thread."""
        return self._pool.submit(lambda: fn(self._cursor(), *args))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
