"""`relay events import FILE`: inbound history (past calls and messages) from JSONL or CSV.

Each record has the fields a phone reports (relay/core/inbound.py): channel, event_type,
contact, contact_name, text, duration_sec, tags, occurred_at, and optionally event_id. The
whole file is checked before anything is written; a bad record fails the import naming its
line. Records go through RecordInbound like the phone's reports, so importing a file twice adds
nothing: a record without an event_id gets one derived from its content. History is not
announced: no inbound webhook fires for an imported event (a recent one still meets the
response rules, relay/alerts/)."""
import csv
import hashlib
import json
import pathlib

from relay.core import jsondecode, storable
from relay.core.errors import ApiError, bad_request
from relay.core.inbound import inbound_event
from relay.core.numbers import ascii_digits
from relay.phones.inbound import RecordInbound
from relay.phones.operations import check_phone_id

MAX_RECORDS = 1_000_000
IN_FLIGHT = 5000          # operations handed to the writer before waiting for their commits


def _csv_record(row: dict) -> dict:
    record = {name: value for name, value in row.items() if name and value not in ("", None)}
    if "duration_sec" in record:     # a number, or the text for inbound_event to refuse
        text = record["duration_sec"].strip()
        number = ascii_digits(text)
        record["duration_sec"] = text if number is None else number
    if "tags" in record:
        record["tags"] = [tag for tag in record["tags"].split(";") if tag.strip()]
    return record


def read_records(path: pathlib.Path):
    """(line number, record dict) for each record of a .csv file or a JSON-lines file."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(file)
            for row in reader:
                yield reader.line_num, _csv_record(row)
            return
        for number, line in enumerate(file, 1):
            if line.strip():
                try:
                    yield number, jsondecode.loads(line)
                except ValueError as error:
                    raise bad_request("file", f"line {number}: not JSON: {error}") from None


def _with_event_id(record):
    if isinstance(record, dict) and "event_id" not in record:
        digest = hashlib.blake2b(json.dumps(record, sort_keys=True).encode(), digest_size=12)
        record = {**record, "event_id": "import_" + digest.hexdigest()}
    return record


def _phone(relay, phone_id: str | None) -> str:
    if phone_id is not None:
        return check_phone_id(phone_id)
    if len(relay.state.phones) != 1:
        raise bad_request("phone_id", "name the phone the history belongs to (--phone)")
    return next(iter(relay.state.phones))


def import_file(relay, path: str, phone_id: str | None = None) -> dict:
    phone_id = _phone(relay, phone_id)
    file = pathlib.Path(path)
    if not file.is_file():
        raise bad_request("file", f"no file {path}")
    events = []
    try:
        for number, record in read_records(file):
            try:
                storable.check(record)
                events.append(inbound_event(_with_event_id(record),
                                            relay.settings.default_region))
            except ApiError as error:
                raise bad_request(error.field, f"line {number}: {error.message}",
                                  error.code) from None
            if len(events) > MAX_RECORDS:
                raise bad_request("file", f"more than {MAX_RECORDS} records; split the file")
    except (UnicodeDecodeError, csv.Error) as error:
        raise bad_request("file", f"{path} is not UTF-8 CSV or JSON lines: {error}") from None
    imported = duplicates = 0
    for start in range(0, len(events), IN_FLIGHT):
        futures = [relay.store.writer.submit(RecordInbound(phone_id, event, live=False))
                   for event in events[start:start + IN_FLIGHT]]
        for future in futures:
            if future.result().duplicate:
                duplicates += 1
            else:
                imported += 1
    return {"phone_id": phone_id, "imported": imported, "duplicates": duplicates}
