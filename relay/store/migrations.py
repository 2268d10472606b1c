"""Schema migrations: relay/store/sql/NNNN_name.sql, version 1 being the schema itself. At
start-up each version not yet in schema_migrations is applied, in order, in its own transaction
with the row that records it, so a crash leaves a version applied or not at all.
A migration's SQL may call the relay's own functions, given by the caller (a feature's sealing
with the data dir's key): the store knows none of them."""
import importlib.resources
import re
import typing

from relay.core.timefmt import utcnow

MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


class SqlFunction(typing.NamedTuple):
    """A Python function a migration's SQL may call, registered only while migrations run. It
    is given NULLs as they are and may have side effects (fresh nonces), so DuckDB calls it for
    every row."""
    name: str
    function: typing.Callable
    parameters: list[str]         # DuckDB type names
    returns: str


def versions() -> list[tuple[int, str, str]]:
    """(version, name, sql) of the schema and every migration, in order."""
    found = []
    for entry in importlib.resources.files("relay.store").joinpath("sql").iterdir():
        match = MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text()))
    return sorted(found)


def migrate(con, functions: typing.Iterable[SqlFunction] = ()) -> list[int]:
    """Brings the database to the newest version; returns the versions applied now."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    done = applied_versions(con)
    pending = [(v, name, sql) for v, name, sql in versions() if v not in done]
    if not pending:
        return []
    functions = list(functions)
    for name, function, parameters, returns in functions:
        con.create_function(name, function, parameters, returns, null_handling="special",
                            side_effects=True)
    try:
        return [_apply(con, *migration) for migration in pending]
    finally:
        for name, *_ in functions:
            con.remove_function(name)


def _apply(con, version: int, name: str, sql: str) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utcnow()])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return version


def applied_versions(con) -> set[int]:
    if not con.execute("SELECT count(*) FROM duckdb_tables() "
                       "WHERE table_name = 'schema_migrations'").fetchone()[0]:
        return set()
    return {version for (version,) in con.execute(
        "SELECT version FROM schema_migrations").fetchall()}


def current_version(con) -> int:
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
