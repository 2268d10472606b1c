"""The single writer thread: takes operations from a queue and commits them in groups.

Whatever is queued when the previous commit ends becomes the next group (no fixed wait
window: measured faster here). Each group is one transaction: rows of each table go in with one
INSERT ... SELECT from a DataFrame, then one COMMIT (one fsync). An operation's Future resolves
only after its group committed; its in-memory effects are applied only then too."""
import concurrent.futures
import logging
import queue
import threading
import time

import pandas as pd

from relay.core.errors import ApiError, StorageUnavailable

log = logging.getLogger("relay.store")
MAX_GROUP = 5000


class Batch:
    """What one group commit writes, and what it does to memory once committed."""

    def __init__(self, state):
        self.state = state
        self.rows: dict[str, list[dict]] = {}
        self.pending: dict = {}            # scratch space operations share within the group
        self._after_commit: list = []
        self.published: list[tuple[str, dict]] = []
        self._seq = state.seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    def after_commit(self, fn) -> None:
        self._after_commit.append(fn)

    def publish(self, topic: str, payload: dict) -> None:
        """Announce a fact to the IOLoop's subscribers once it is committed."""
        self.published.append((topic, payload))

    def committed(self) -> None:
        self.state.seq = self._seq
        for fn in self._after_commit:
            fn()


class Operation:
    """A unit of work for the writer. stage() adds rows and after-commit effects to the batch
    and returns the result the caller gets once the batch is committed; it may raise ApiError,
    which fails only this operation."""

    def stage(self, batch: Batch):
        raise NotImplementedError


class Writer:
    def __init__(self, con, state, columns: dict[str, list[str]], on_commit=None):
        # on_commit(group_size, seconds, published) runs on this thread after each commit.
        self._con = con
        self._state = state
        self._columns = columns
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._on_commit = on_commit or (lambda group_size, seconds, published: None)
        self._thread = threading.Thread(target=self._run, name="relay-writer", daemon=True)
        self._stopping = False
        self.healthy = True

    def start(self) -> None:
        self._thread.start()

    def submit(self, op: Operation) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        if self._stopping:
            future.set_exception(StorageUnavailable("the relay is shutting down"))
        else:
            self._queue.put((op, future))
        return future

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            group, stop = [], item is None
            if item is not None:
                group.append(item)
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    group.append(item)
            if group:
                self._commit_group(group)
            if stop:
                return

    def _commit_group(self, group) -> None:
        batch = Batch(self._state)
        results = []
        for op, future in group:
            if not future.set_running_or_notify_cancel():
                continue
            try:
                results.append((future, op.stage(batch), None))
            except ApiError as error:
                results.append((future, None, error))
            except Exception as error:  # a bug in one operation must not sink the group
                log.exception("operation %s failed", type(op).__name__)
                results.append((future, None, error))
        started = time.perf_counter()
        try:
            if batch.rows:
                self._insert(batch.rows)
            batch.committed()
            self.healthy = True
        except Exception as error:
            log.exception("group commit failed")
            self.healthy = False
            self._rollback()
            failure = StorageUnavailable(f"the database could not commit: {error}")
            for future, _, _ in results:
                future.set_exception(failure)
            return
        self._on_commit(len(group), time.perf_counter() - started, batch.published)
        for future, result, error in results:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def _insert(self, rows: dict[str, list[dict]]) -> None:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        for table, table_rows in rows.items():
            columns = self._columns[table]
            frame = pd.DataFrame({c: pd.Series([r.get(c) for r in table_rows], dtype=object)
                                  for c in columns})
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")  # table: our own constant
        con.execute("COMMIT")

    def _rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK")
        except Exception:  # no transaction open: nothing to undo
            pass
