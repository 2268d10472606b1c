"""Schema migrations: relay/store/sql/NNNN_name.sql, version 1 being the schema itself. At
start-up each version not yet in schema_migrations is applied, in order, in its own transaction
with the row that records it, so a crash leaves a version applied or not at all."""
import importlib.resources
import re

from relay.core.timefmt import utcnow

MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


def versions() -> list[tuple[int, str, str]]:
    """(version, name, sql) of the schema and every migration, in order."""
    found = []
    for entry in importlib.resources.files("relay.store").joinpath("sql").iterdir():
        match = MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text()))
    return sorted(found)


def migrate(con) -> list[int]:
    """Brings the database to the newest version; returns the versions applied now."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    done = {version for (version,) in con.execute(
        "SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in versions():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, name, utcnow()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def current_version(con) -> int:
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
