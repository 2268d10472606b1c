"""The single writer thread: takes operations from a queue and commits them in groups.

Whatever is queued when the previous commit ends becomes the next group: no fixed wait window,
so a lone request is committed at once and a busy moment makes a bigger group. Each group is
one transaction: the rows of each table go in through that table's DuckDB Appender, then one
COMMIT (one fsync). An operation's future resolves only after its group committed; its
in-memory effects are applied only then too.

Why the Appender: every DuckDB call hands the GIL over to and back from the busy IOLoop thread,
and a thread waiting for the GIL is woken by every syscall the loop makes and goes back to
waiting. An Appender flush is one call per table, fewer than INSERT ... SELECT from Arrow or
pandas, and a group that touches one table needs no BEGIN or COMMIT call at all (the flush is
its own transaction). bench/bench_send.py measures the whole path (docs/performance.md).

So a send writes one table: its body is sealed in the message's own row
(relay/store/body_keys.py), and its group needs no explicit transaction, whose BEGIN, second
flush and COMMIT would each wait for the GIL behind the IOLoop. A group that does touch several
tables (a day's first message with its key, retention, pairing) is one transaction still.

A group is all-or-nothing only as a way to commit: its operations do not belong together. So
when one of them cannot be staged or committed (a value the database cannot hold, a bug), the
group is split and committed in parts until that one alone fails (Writer._commit); the others
are committed and answered as if it had not been there. Only a failure of the database itself
fails the whole group and marks the writer unhealthy (/health: "database: not writable")."""
import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import queue
import threading
import time
import typing

import duckdb

from relay.core import storable
from relay.core.errors import ApiError, StorageUnavailable
from relay.store.events import Event

log = logging.getLogger("relay.store")
MAX_GROUP = 5000
IDLE_SECONDS = 0.25      # nothing queued this long: the writer is idle (on_idle runs)
# What a value in an operation's rows raises when the database cannot hold it (text that is
# not UTF-8, a value of the wrong type, a NULL where none may be): that operation's data is at
# fault, not the database.
UNSTORABLE = (duckdb.DataError, duckdb.IntegrityError, duckdb.InvalidInputException,
              duckdb.NotSupportedError, UnicodeError)
# What says the database itself failed (I/O, a full disk, an invalidated or closed database):
# every operation would fail alike, so the group is not split to find a culprit.
DATABASE_FAILED = (duckdb.OperationalError, duckdb.FatalException, duckdb.PermissionException)


@dataclasses.dataclass
class Deletion:
    """Rows of a side table (not part of the log) to delete in the group's transaction. table
    and condition are the caller's constants; every value is bound through params."""
    table: str
    condition: str
    params: list | dict
    count: int | None = None       # the rows deleted, once committed


def _settle(items) -> None:
    for future, result, error in items:
        if future.done():        # cancelled by its caller; the commit stands regardless
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


T = typing.TypeVar("T")


class Scratch(typing.Generic[T]):
    """One named part of a group's scratch space: what the operations of one group must see of
    each other before it is committed (a key already claimed, a status already moved), since
    memory changes only after the commit. The feature that needs it declares it once, at
    module level; each batch makes its own value with `make` on first use."""

    def __init__(self, make: typing.Callable[[], T]):
        self.make = make


class Batch:
    """What one group commit writes, and what it does to memory once committed."""

    def __init__(self, state, con, seq: int, body_keys):
        self.state = state          # every feature's in-memory state (relay/state.py)
        self.con = con              # the writer's connection, for what must read while staging
        self.body_keys = body_keys  # seals a new message's body (relay/store/body_keys.py)
        self.rows: dict[str, list[dict]] = {}
        self._scratch: dict[Scratch, object] = {}
        self._after_commit: list = []
        self.published: list[Event] = []
        self.deletes: list[Deletion] = []
        self.seq = seq             # the last seq given out: the log's, then the batch's rows

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    def after_commit(self, fn) -> None:
        self._after_commit.append(fn)

    def delete(self, table: str, column: str, value) -> Deletion:
        """Remove rows of a side table that is not part of the log (a secret no longer
        needed, a body past its retention) whose column equals value."""
        return self.delete_where(table, f"{column} = ?", [value])

    def delete_where(self, table: str, condition: str, params: list | dict) -> Deletion:
        deletion = Deletion(table, condition, params)
        self.deletes.append(deletion)
        return deletion

    def scratch(self, part: Scratch[T]) -> T:
        """This group's value of a part of the scratch space."""
        value = self._scratch.get(part)
        if value is None:
            value = self._scratch[part] = part.make()
        return value

    def publish(self, event: Event) -> None:
        """Announce a fact to the IOLoop's subscribers once it is committed."""
        self.published.append(event)

    def committed(self) -> None:
        for fn in self._after_commit:
            fn()


class Operation:
    """A unit of work for the writer. stage() adds rows and after-commit effects to the batch
    and returns the result the caller gets once the batch is committed; it may raise ApiError
    before staging anything, which fails only this operation. It may be staged again, in a
    fresh batch, when its group is split to find an operation that cannot be stored: so it
    changes nothing but the batch (rows, scratch, after-commit effects) until committed."""

    def stage(self, batch: Batch):
        raise NotImplementedError


class Writer:
    def __init__(self, con, state, columns: dict[str, list[str]], seq: int, body_keys,
                 on_commit=None, derive=None, on_idle=None):
        # on_commit(group_size, seconds, published) runs on this thread after each commit;
        # derive(batch) adds the facts derived from the group's rows (reply links) to it;
        # on_idle(con) runs when nothing was queued for IDLE_SECONDS (the idle checkpoint).
        self._con = con
        self._state = state
        self.seq = seq                     # the last committed, readable from any thread
        self._body_keys = body_keys
        self._columns = columns            # table -> column names, in order
        self._appenders: dict = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._on_commit = on_commit or (lambda group_size, seconds, published: None)
        self._derive = derive or (lambda batch: None)
        self._on_idle = on_idle or (lambda con: None)
        self._thread = threading.Thread(target=self._run, name="relay-writer", daemon=True)
        self._stopping = False
        self.healthy = True

    def start(self) -> None:
        self._thread.start()

    def submit(self, op: Operation) -> concurrent.futures.Future:
        """For threads other than the IOLoop's (the CLI, housekeeping)."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._put([(op, future)])
        return future

    def submit_async(self, op: Operation) -> asyncio.Future:
        """For the IOLoop: the future is settled by one loop callback per committed group."""
        return self.submit_group_async([op])[0]

    def submit_group_async(self, ops: list[Operation]) -> list[asyncio.Future]:
        """For the IOLoop: operations staged and committed in one group (a batch of messages
        is one commit, not one per message), each with its own future and its own answer. The
        group is still split when one of them cannot be stored, like any other."""
        loop = asyncio.get_running_loop()
        items = [(op, loop.create_future()) for op in ops]
        self._put(items)
        return [future for _, future in items]

    def _put(self, items: list) -> None:
        """items: (operation, future) pairs that go into one group."""
        if self._stopping:
            _settle([(future, None, StorageUnavailable("the relay is shutting down"))
                     for _, future in items])
        elif items:
            self._queue.put(items)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        held = None      # what would have made the last group pass MAX_GROUP: the next one's
        while True:
            if held is not None:
                items, held = held, None
            else:
                try:
                    items = self._queue.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    self._idle()
                    continue
            group, stop = [], items is None
            if items is not None:
                group.extend(items)
            while len(group) < MAX_GROUP:
                try:
                    items = self._queue.get_nowait()
                except queue.Empty:
                    break
                if items is None:
                    stop = True
                elif len(group) + len(items) > MAX_GROUP:   # submitted together, kept together
                    held = items
                    break
                else:
                    group.extend(items)
            if group:
                self._commit_group(group)
            if stop:
                return

    def _idle(self) -> None:
        try:
            self._on_idle(self._con)
        except Exception:      # housekeeping: never the end of the writer
            log.exception("idle work failed")

    def _commit_group(self, group) -> None:
        results = self._commit(group)
        # One wake-up of each event loop per group, not one per operation.
        by_loop = collections.defaultdict(list)
        for item in results:
            future = item[0]
            if isinstance(future, asyncio.Future):
                by_loop[future.get_loop()].append(item)
            else:
                _settle([item])
        for loop, items in by_loop.items():
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle, items)

    def _commit(self, group) -> list:
        """Stages the group's operations in one batch and commits it; (future, result, error)
        for each. When staging or committing fails, the group is split in two halves, each
        staged afresh (after the first committed) and committed on its own, down to the one
        operation that fails: only it gets an error, and the others are answered as if it
        had never been there. A fresh batch starts from the committed state, so nothing of
        the failed attempt (seq numbers, scratch, after-commit effects) survives it."""
        batch = Batch(self._state, self._con, self.seq, self._body_keys)
        results = []
        staging = True
        try:
            for op, future in group:
                try:
                    results.append((future, op.stage(batch), None))
                except ApiError as error:   # raised before it staged anything: its own answer
                    results.append((future, None, error))
            staging = False
            started = time.perf_counter()
            self._derive(batch)    # derived rows commit with their facts, or neither does
            if batch.rows or batch.deletes:
                self._insert(batch.rows, batch.deletes)
        except Exception as error:
            self._rollback()
            if isinstance(error, DATABASE_FAILED):
                log.exception("group commit failed")
                self.healthy = False
                failure = StorageUnavailable("the database could not commit: "
                                             f"{storable.escaped(str(error))}")
                return [(future, None, failure) for _, future in group]
            if len(group) == 1:
                return [(group[0][1], None, self._own_failure(group[0][0], error, staging))]
            log.info("a group of %d could not be committed (%s); committing it in halves",
                     len(group), storable.escaped(str(error)))
            half = len(group) // 2
            return self._commit(group[:half]) + self._commit(group[half:])
        self.healthy = True
        self.seq = batch.seq
        try:   # a failing in-memory effect or subscriber must not undo a durable commit
            batch.committed()
            self._on_commit(len(group), time.perf_counter() - started, batch.published)
        except Exception:
            log.exception("after-commit work failed")
        return results

    @staticmethod
    def _own_failure(op, error, staging: bool) -> Exception:
        """The error of the one operation that could not be staged or committed."""
        if isinstance(error, UNSTORABLE):
            log.warning("operation %s could not be stored: %s", type(op).__name__,
                        storable.escaped(str(error)))
            return ApiError(422, "unstorable_value", "the request holds a value the database "
                            f"cannot store: {storable.escaped(str(error))}")
        log.error("operation %s could not be %s", type(op).__name__,
                  "staged" if staging else "committed", exc_info=error)
        if staging:
            return error      # a bug in the operation: the caller's 500
        return StorageUnavailable(f"the database could not commit: "
                                  f"{storable.escaped(str(error))}")

    def _appender(self, table: str):
        appender = self._appenders.get(table)
        if appender is None:
            appender = self._appenders[table] = self._con.appender(table)
        return appender

    def _insert(self, rows: dict[str, list[dict]], deletes: list) -> None:
        several = len(rows) + bool(deletes) > 1
        if several:
            self._con.execute("BEGIN TRANSACTION")
        for table, table_rows in rows.items():
            columns = self._columns[table]
            appender = self._appender(table)
            appender.append_rows([tuple(map(row.get, columns)) for row in table_rows])
            appender.flush()
        for deletion in deletes:
            deletion.count = self._con.execute(
                f"DELETE FROM {deletion.table} WHERE {deletion.condition}",
                deletion.params).fetchone()[0]
        if several:
            self._con.execute("COMMIT")

    def _rollback(self) -> None:
        for appender in self._appenders.values():
            appender.clear()
        try:
            self._con.execute("ROLLBACK")
        except Exception:  # no transaction open: nothing to undo
            pass
