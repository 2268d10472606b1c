"""Small durable files of the phone agent: written whole, fsynced, then renamed over the old
one, so that a crash leaves either the old content or the new, never half of it."""
import json
import os
import pathlib


def write_atomically(path: pathlib.Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def read_json(path: pathlib.Path, default):
    """The file's JSON, or `default` when there is no file yet."""
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: pathlib.Path, value, mode: int = 0o644) -> None:
    write_atomically(path, json.dumps(value, separators=(",", ":")), mode)
