"""Backups (a consistent Parquet export of the whole database, taken while the relay runs),
restores into an empty data dir, and the day-partitioned Parquet archive of the event log.

DuckDB takes no bound parameter for the file path of EXPORT, IMPORT or COPY, so paths are
quoted into those statements (relay/store/sqltext.py); table names come from the catalog,
never a user.

Backups and archives hold what the relay keeps from others (keys, numbers, texts): their folder
is made readable by its owner only before anything is written into it, and every folder in it
ends 0700 and every file 0600."""
import os
import pathlib
import shutil

import duckdb

from relay.core.errors import bad_request
from relay.store import bodies, body_keys
from relay.store.sqltext import sql_path

# Files of the data dir a backup carries besides the database: without them paired phones
# would have to pair again, message texts would not open and pending tg_bot messages could not
# be sent.
KEY_FILES = ("device.key", "secrets.key")


def _private_folder(out) -> pathlib.Path:
    out = pathlib.Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    return out


def _owner_only(root: pathlib.Path) -> None:
    """What DuckDB and the copies made under root with the umask's modes becomes 0700 (folders)
    and 0600 (files)."""
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def _empty_target(out: pathlib.Path) -> pathlib.Path:
    out = pathlib.Path(out).resolve()
    if out.exists() and any(out.iterdir()):
        raise bad_request("out", f"{out} is not empty")
    return _private_folder(out)


def _dated_tables(cur) -> dict[str, str]:
    """Each log table (it has a seq column) and the bodies and body keys kept beside the log,
    with the column that dates their rows. A database from before migration 0003 has no bodies
    tables (its bodies are still in the log tables)."""
    columns: dict[str, set] = {}
    for table, column in cur.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                     "WHERE schema_name = 'main'").fetchall():
        columns.setdefault(table, set()).add(column)
    return {table: "recorded_at" if "recorded_at" in names else "created_at"
            for table, names in sorted(columns.items())
            if ("seq" in names or table in (*bodies.TABLES, body_keys.TABLE))
            and ({"recorded_at", "created_at"} & names)}


def backup(cur, data_dir: pathlib.Path, out) -> dict:
    """Runs on a reader cursor: one transaction, so one consistent snapshot."""
    out = _empty_target(out)
    cur.execute("BEGIN TRANSACTION")
    try:
        counts = {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in _dated_tables(cur)}
        cur.execute(f"EXPORT DATABASE {sql_path(out / 'database')} (FORMAT parquet)")
    finally:
        cur.execute("COMMIT")
    for name in KEY_FILES:
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, out / name)
    _owner_only(out)
    return {"out": str(out), "rows": counts}


def restore(source, data_dir: pathlib.Path, db_file: str) -> dict:
    """Into a data dir with no database yet (the relay must not be running on it)."""
    source = pathlib.Path(source).resolve()
    if not (source / "database" / "load.sql").exists():
        raise bad_request("source", f"{source} is not a relay backup")
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / db_file).exists():
        raise bad_request("data_dir", f"{data_dir} already has a database; restore into an "
                          "empty data dir")
    con = duckdb.connect(str(data_dir / db_file))
    try:
        con.execute(f"IMPORT DATABASE {sql_path(source / 'database')}")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in _dated_tables(con)}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for name in KEY_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, data_dir / name)
    return {"data_dir": str(data_dir), "rows": counts}


def archive(cur, out) -> dict:
    """The event log and the bodies still kept as Parquet, one folder per table and one
    sub-folder per day (day=YYYY-MM-DD, Hive style), so DuckDB, Spark or Trino can read it as
    it grows."""
    out = _private_folder(out)
    cur.execute("BEGIN TRANSACTION")
    try:
        counts = {}
        for table, dated_by in _dated_tables(cur).items():
            counts[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if counts[table]:
                cur.execute(
                    f"COPY (SELECT *, CAST({dated_by} AS DATE) AS day FROM {table}) "
                    f"TO {sql_path(out / table)} "
                    "(FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE true)")
    finally:
        cur.execute("COMMIT")
    _owner_only(out)
    return {"out": str(out), "rows": counts}
