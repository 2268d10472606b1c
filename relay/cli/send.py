"""`relay send --csv FILE`: every row of a CSV file as a message, posted to a running relay's
POST /api/v1/messages/batch in batches of 1,000, with a client key (docs/api.md, Sending a
CSV file). It speaks the client API like any client, so the relay may be on another machine."""
import csv
import hashlib
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request

from relay.cli.admin_client import loopback_tls, running_server

BATCH = 1000
DEFAULT_URL = "http://127.0.0.1:5110"
TAG_SEPARATOR = ";"
# The columns a file may have: the send object's fields. Empty cells are left out.
COLUMNS = ("to", "text", "phone_id", "channel", "subject", "title", "source", "tags",
           "idempotency_key", "sim", "send_at", "priority", "ttl_seconds", "expires_at",
           "status_callback_url")
WHOLE_NUMBERS = ("sim", "ttl_seconds")
MAX_RETRIES = 5      # of a batch answered 429 or 503, which accepted none of it


class CsvProblem(Exception):
    """The file cannot be sent at all (not found, no header, unknown columns)."""


def add_command(commands) -> list:
    send = commands.add_parser("send", help="send every row of a CSV file as a message, "
                                            "through a running relay")
    send.add_argument("--csv", required=True, dest="csv_file", metavar="FILE",
                      help=f"UTF-8, a header row naming the columns: to, text and any of "
                           f"{', '.join(COLUMNS[2:])}; tags separated by '{TAG_SEPARATOR}'")
    send.add_argument("--url", help="the relay's base URL (default: RELAY_URL, else the relay "
                                    f"running on the data dir, else {DEFAULT_URL})")
    send.add_argument("--key", help="the client key (default: RELAY_API_KEY, which keeps it "
                                    "out of the process list)")
    send.add_argument("--phone-id", help="the phone of rows without a phone_id")
    send.add_argument("--channel", default="sms", help="the channel of rows without one "
                                                       "(default sms)")
    send.set_defaults(run=run)
    return [send]


def read_rows(path: str, defaults: dict) -> tuple[list, list]:
    """([(line, send object)], [error of a line that is no row]) of the file. A row's line is
    the line it starts on (a quoted cell may span lines); the header is line 1. A row without
    an idempotency_key gets one made of the file's content and its line, so sending the same
    file again (after an interruption) sends no row twice."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise CsvProblem(f"cannot read {path}: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvProblem(f"{path} is not UTF-8 (byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or "text" not in header:
        raise CsvProblem(f"the header row names the columns: text, and to and any of "
                         f"{', '.join(COLUMNS[2:])} as needed; "
                         + (f"unknown: {', '.join(unknown)}" if unknown else "no text"))
    digest = hashlib.sha256(data).hexdigest()[:16]
    rows, errors, line = [], [], reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if len(cells) != len(header):
                errors.append(_line_error(line, 400, "invalid_csv", None, f"{len(cells)} "
                                          f"cells; the header has {len(header)}"))
            else:
                rows.append((line, _send_object(dict(zip(header, cells)), defaults,
                                                f"csv-{digest}-{line}")))
        line = reader.line_num + 1
    return rows, errors


def _send_object(row: dict, defaults: dict, key: str) -> dict:
    message = {**defaults, "idempotency_key": key}
    for name, value in row.items():
        if value.strip() == "":
            continue
        if name == "tags":
            message[name] = [tag for tag in value.split(TAG_SEPARATOR) if tag.strip()]
        elif name in WHOLE_NUMBERS and value.strip().isascii() and value.strip().isdigit():
            message[name] = int(value)
        else:       # the relay judges every value, as it would a client's
            message[name] = value
    return message


def _line_error(line: int, status: int, code: str, field, message: str) -> dict:
    return {"line": line, "status": status, "code": code, "field": field, "message": message}


class Client:
    def __init__(self, url: str, key: str, tls=None):
        self.url, self.key, self.tls = url.rstrip("/"), key, tls

    def post_batch(self, messages: list) -> list:
        """The batch's results; a 429 or 503 (none of it accepted) is tried again."""
        request = urllib.request.Request(
            self.url + "/api/v1/messages/batch", method="POST",
            data=json.dumps({"messages": messages}).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        attempt = 0
        while True:
            try:
                with urllib.request.urlopen(request, timeout=120, context=self.tls) as response:
                    return json.loads(response.read())["results"]
            except urllib.error.HTTPError as error:
                try:
                    body = json.loads(error.read() or b"{}")
                except ValueError:       # not the relay's answer (a proxy's page)
                    body = {}
                attempt += 1
                if error.code not in (429, 503) or attempt > MAX_RETRIES:
                    problem = body.get("error") or {}
                    raise SendFailed(f"the relay answered {error.code} "
                                     f"{problem.get('code', '')}: {problem.get('message', '')}")
                time.sleep(float(error.headers.get("Retry-After") or 1))
            except OSError as error:     # URLError too: no answer
                raise SendFailed(f"the relay at {self.url} did not answer: "
                                 f"{getattr(error, 'reason', error)}") from None


class SendFailed(Exception):
    pass


class Progress:
    """A bar on stderr, only when it is a terminal."""

    def __init__(self, total: int):
        self.total, self.shown = total, sys.stderr.isatty()

    def show(self, done: int) -> None:
        if self.shown:
            filled = 30 * done // max(1, self.total)
            sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{self.total}")
            sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _client(args, settings, key: str) -> Client:
    url = args.url or os.environ.get("RELAY_URL")
    if url:
        return Client(url, key)
    server = running_server(settings)
    if server is None:
        return Client(DEFAULT_URL, key)
    return Client(server["url"], key, loopback_tls(server["url"]))    # the local relay's


def send_rows(client: Client, rows: list, errors: list) -> dict:
    """Posts the rows in batches; the summary of what the relay answered."""
    summary = {"rows": len(rows) + len(errors), "accepted": 0, "duplicates": 0,
               "errors": errors, "not_sent": 0}
    progress = Progress(len(rows))
    try:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            try:
                results = client.post_batch([message for _, message in chunk])
            except SendFailed as error:
                summary["not_sent"] = len(rows) - start
                summary["stopped"] = f"{error}; rows from line {chunk[0][0]} on were not sent"
                break
            for (line, _), result in zip(chunk, results):
                if result["status"] == 202:
                    summary["accepted"] += 1
                elif result["status"] == 200:
                    summary["duplicates"] += 1
                else:
                    problem = result["error"]
                    errors.append(_line_error(line, result["status"], problem["code"],
                                              problem["field"], problem["message"]))
            progress.show(start + len(chunk))
    finally:
        progress.end()
    errors.sort(key=lambda error: error["line"])
    return summary


def run(args, settings) -> int:
    key = args.key or os.environ.get("RELAY_API_KEY")
    if not key:
        print("relay: give the client key with --key or RELAY_API_KEY", file=sys.stderr)
        return 2
    defaults = {"channel": args.channel}
    if args.phone_id:
        defaults["phone_id"] = args.phone_id
    try:
        rows, errors = read_rows(args.csv_file, defaults)
    except CsvProblem as error:
        print(f"relay: {error}", file=sys.stderr)
        return 2
    summary = send_rows(_client(args, settings, key), rows, errors)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if not summary["errors"] and not summary["not_sent"] else 1
