"""The DuckDB system of record: one writer thread that commits in groups, reader cursors on a
thread pool, and the in-memory state the IOLoop consults without touching DuckDB."""
