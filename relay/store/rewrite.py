"""Rewriting the database into a fresh file after a migration replaced values that must not
stay readable (the clear callback secrets of migration 0007). DuckDB reuses the blocks it
frees but never clears them, so a replaced value stays in the file until it is rewritten.

A marker file, made before such a migration commits, says a rewrite is owed: a crash anywhere
before the fresh file is in place leaves the marker, and the next start rewrites."""
import os
import pathlib

import duckdb

from relay.store.migrations import applied_versions
from relay.store.sqltext import sql_path

REPLACES_SECRETS = (7,)     # migrations whose replaced values the old file still holds


def _marker(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".rewrite")


def _fsync(path: pathlib.Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def owe_if_migrating(con, path: pathlib.Path) -> None:
    """Before migrating a database that existed: marks the rewrite owed if a pending migration
    replaces secrets."""
    if not set(REPLACES_SECRETS) <= applied_versions(con):
        _marker(path).touch()
        _fsync(path.parent)


def owed(path: pathlib.Path) -> bool:
    return _marker(path).exists()


def rewrite(con, path: pathlib.Path):
    """Copies the database into a fresh file that replaces it; closes con, returns a connection
    to the new file."""
    fresh = path.with_name(path.name + ".new")
    for stale in (fresh, fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)
    con.execute("CHECKPOINT")
    name = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {sql_path(fresh)} AS fresh")
    try:
        con.execute(f'COPY FROM DATABASE "{name}" TO fresh')
    finally:
        con.execute("DETACH fresh")
    con.close()
    for left in (path, fresh):      # a write-ahead log would be replayed onto the new file
        if left.with_name(left.name + ".wal").exists():
            raise RuntimeError(f"{left}.wal is left after a checkpoint; not rewriting {path}")
    _fsync(fresh)
    os.replace(fresh, path)
    _fsync(path.parent)
    _marker(path).unlink()
    return duckdb.connect(str(path))
