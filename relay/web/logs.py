"""JSON-lines logging on stdout. Keys, tokens and message bodies are never passed to a log call;
phone numbers that appear in a message are masked here as a last line of defence."""
import asyncio
import json
import logging
import re
import sys
import time

# "+" and 7-20 digits with separators, or 9-15 digits in a row: numbers, not dates or addresses.
PHONE = re.compile(r"\+\d[\d ()-]{5,18}\d|\b\d{9,15}\b")


def mask_phone_numbers(text: str) -> str:
    return PHONE.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)


def _timestamp(seconds: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int(seconds % 1 * 1000):03d}Z"


class JsonLines(logging.Formatter):
    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote", "phone_id",
              "client")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": _timestamp(record.created),
                 "level": record.levelname.lower(), "logger": record.name,
                 "msg": mask_phone_numbers(record.getMessage())}
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = mask_phone_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


ACCESS = logging.getLogger("relay.access")


class _FlushOncePerLoopTurn:
    """Access lines are flushed to stdout once per IOLoop turn, not once a line: a turn that
    answers a committed group of 30 requests makes one write, and every write hands the GIL
    away (to get it back costs up to a switch interval on a busy loop)."""

    def __init__(self):
        self.scheduled = False

    def write(self, line: str) -> None:
        sys.stdout.write(line)
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self.scheduled = False
        sys.stdout.flush()


_access_lines = _FlushOncePerLoopTurn()


def log_request(handler) -> None:
    """Tornado's log_function: one line per request, without the query string (it may hold
    addresses) and without bodies. Written straight to stdout in the JsonLines shape rather
    than through logging's handlers and their lock, which would take a large share of the
    IOLoop's time on the send path."""
    status = handler.get_status()
    level, name = ((logging.INFO, "info") if status < 400 else
                   (logging.WARNING, "warning") if status < 500 else (logging.ERROR, "error"))
    if not ACCESS.isEnabledFor(level):
        return
    request = handler.request
    path = mask_phone_numbers(request.path)      # contact routes carry addresses in the path
    _access_lines.write(json.dumps({
        "ts": _timestamp(time.time()), "level": name, "logger": ACCESS.name,
        "msg": f"{request.method} {path} {status}",
        "request_id": getattr(handler, "request_id", None), "method": request.method,
        "path": path, "status": status, "duration_ms": round(request.request_time() * 1000, 2),
        "remote": request.remote_ip}, ensure_ascii=False) + "\n")
