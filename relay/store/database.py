"""Opening the database file, applying the schema, and the Store facade the app uses.

The Store knows no feature: the app hands it the in-memory state to load at start-up (and to
give every batch), the hook that derives facts from a group's rows, and the functions a
migration's SQL may call."""
import asyncio
import logging
import pathlib

import duckdb

from relay.store import rewrite
from relay.store.body_keys import BodyKeys
from relay.store.migrations import current_version, migrate
from relay.store.readers import Readers
from relay.store.writer import Writer

log = logging.getLogger("relay.store")
DB_FILE = "relay.duckdb"
# An idle writer checkpoints once the write-ahead log holds this share of checkpoint_wal_mb
# (4 MB of the default 64). A checkpoint stalls commits whatever the log's size
# (docs/performance.md), so it is done when no one waits, and DuckDB's own checkpoint only
# comes under sustained writes.
IDLE_CHECKPOINT_SHARE = 1 / 16


class DatabaseLocked(Exception):
    """Another process (a running relay) holds the database file."""


def limit_resources(con, memory_mb: int, threads: int) -> None:
    """DuckDB's memory limit and threads, for the whole database (0: DuckDB's default). The
    values are whole numbers from the settings."""
    if memory_mb > 0:
        con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    if threads > 0:
        con.execute(f"SET threads = {int(threads)}")


def last_seq(con) -> int:
    """The log's last sequence number: every log table has a seq column, and the next seq
    continues after the largest."""
    tables = [t for (t,) in con.execute("SELECT DISTINCT table_name FROM duckdb_columns() "
                                        "WHERE column_name = 'seq'").fetchall()]
    # fetched whole: the writer appends on this connection, which must hold no open result
    return con.execute("SELECT greatest(0, " + ", ".join(
        f"(SELECT coalesce(max(seq), 0) FROM {t})" for t in tables) + ")").fetchall()[0][0]


def _table_columns(con) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' ORDER BY table_name, column_index").fetchall():
        columns.setdefault(table, []).append(column)
    return columns


class Store:
    def __init__(self, data_dir: pathlib.Path, secret_box, state, derive=None,
                 sql_functions=(), readers: int = 4, on_commit=None, memory_mb: int = 0,
                 threads: int = 0, checkpoint_wal_mb: int = 64):
        # state: loaded (state.load(con)) once the schema is current, then batch.state;
        # derive(batch): the writer's hook; sql_functions: what migrations may call.
        path = pathlib.Path(data_dir) / DB_FILE
        self._wal = path.with_name(path.name + ".wal")
        self._idle_checkpoint_bytes = (checkpoint_wal_mb * 2**20 * IDLE_CHECKPOINT_SHARE
                                       if checkpoint_wal_mb > 0 else float("inf"))
        existed = path.exists()
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise DatabaseLocked(str(error)) from error
            raise
        if existed:
            rewrite.owe_if_migrating(self.con, path)
        self.migrations_applied = migrate(self.con, sql_functions)
        if rewrite.owed(path):
            self.con = rewrite.rewrite(self.con, path)
        self.schema_version = current_version(self.con)
        self.body_keys = BodyKeys(secret_box)      # sealed message bodies' day keys
        self.body_keys.load(self.con)
        state.load(self.con)
        limit_resources(self.con, memory_mb, threads)    # for what runs once started
        if checkpoint_wal_mb > 0:
            self.con.execute(f"SET checkpoint_threshold = '{int(checkpoint_wal_mb)}MB'")
        self.writer = Writer(self.con, state, _table_columns(self.con), last_seq(self.con),
                             self.body_keys, on_commit, derive, self._checkpoint_when_idle)
        self.readers = Readers(self.con, readers)
        self.writer.start()

    def _checkpoint_when_idle(self, con) -> None:
        """The writer's idle hook (writer thread, nothing queued)."""
        try:
            if self._wal.stat().st_size < self._idle_checkpoint_bytes:
                return
            con.execute("CHECKPOINT")
        except FileNotFoundError:     # no log: nothing written since the last checkpoint
            pass
        except duckdb.Error as error:    # e.g. a long read still open: the next idle turn
            log.info("idle checkpoint skipped: %s", error)

    # Both return concurrent Futures, usable from the CLI; handlers await the async forms.
    def write_sync(self, op):
        return self.writer.submit(op).result()

    def read_sync(self, fn, *args):
        return self.readers.submit(fn, *args).result()

    async def write(self, op):
        return await self.writer.submit_async(op)

    async def write_group(self, ops: list) -> list:
        """Operations committed together in one group; each one's result, or the exception
        that failed it alone, in their order."""
        return await asyncio.gather(*self.writer.submit_group_async(ops), return_exceptions=True)

    async def read(self, fn, *args):
        return await asyncio.wrap_future(self.readers.submit(fn, *args))

    def close(self) -> None:
        self.writer.stop()
        self.readers.close()
        try:
            self.con.execute("CHECKPOINT")
        finally:
            self.con.close()
