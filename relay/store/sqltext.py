"""A file path quoted into a DuckDB statement. ATTACH, EXPORT, IMPORT and COPY take no bound
parameter for their path, so it is written as an SQL string literal."""
import pathlib


def sql_path(path: pathlib.Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
