"""JSON-lines logging on stdout. Keys, tokens and message bodies are never passed to a log call;
phone numbers that appear in a message are masked here as a last line of defence."""
import json
import logging
import re
import sys
import time

# "+" and 7-20 digits with separators, or 9-15 digits in a row: numbers, not dates or addresses.
PHONE = re.compile(r"\+\d[\d ()-]{5,18}\d|\b\d{9,15}\b")


def mask_phone_numbers(text: str) -> str:
    return PHONE.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)


class JsonLines(logging.Formatter):
    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote", "phone_id",
              "client")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z",
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


def log_request(handler) -> None:
    """Tornado's log_function: one line per request, without the query string (it may hold
    addresses) and without bodies."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    logger = logging.getLogger("relay.access")
    if not logger.isEnabledFor(level):
        return
    request = handler.request
    logger.log(level, "%s %s %d", request.method, request.path, status, extra={
        "request_id": getattr(handler, "request_id", None), "method": request.method,
        "path": request.path, "status": status,
        "duration_ms": round(request.request_time() * 1000, 2), "remote": request.remote_ip})
