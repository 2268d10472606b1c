"""`relay report` (the webchat query's export, written to a file) and `relay events import FILE`
(inbound history). Both run on the running relay when there is one, like every admin action."""
import base64
import json
import pathlib

from relay.analytics import filters
from relay.cli import admin_client

# flag -> query field; list flags are comma-separated like the GET query's parameters
QUERY_FLAGS = {"range": "range", "from_": "from", "to": "to", "tz": "tz", "phone": "phone_id",
               "channels": "channels", "event_types": "event_types", "tags": "tags",
               "tag_mode": "tag_mode", "source_contains": "source_contains",
               "has_response": "has_response", "waiting": "waiting", "sort": "sort",
               "section": "section"}


def add_command(commands) -> list:
    """Adds both commands; returns their parsers (for the --data-dir flag)."""
    report = commands.add_parser("report", help="export the inbound query's events (or another "
                                                "list section) to a file")
    report.add_argument("--out", required=True, help="the file to write")
    report.add_argument("--format", choices=filters.FORMATS, default="csv")
    report.add_argument("--client", help="whose sent messages and contacts (default: the only "
                                          "client)")
    report.add_argument("--range", choices=list(filters.RANGES))
    report.add_argument("--from", dest="from_", help="ISO-8601 start, instead of --range")
    report.add_argument("--to", help="ISO-8601 end")
    report.add_argument("--tz", help="IANA time zone of day and hour buckets")
    report.add_argument("--phone", help="one phone's events only")
    for name in ("channels", "event_types", "tags"):
        report.add_argument("--" + name.replace("_", "-"), dest=name, help="comma-separated")
    report.add_argument("--tag-mode", choices=("any", "all"))
    report.add_argument("--source-contains")
    report.add_argument("--has-response", choices=("true", "false"))
    report.add_argument("--waiting", choices=("true", "false"),
                        help="only the events waiting past a response rule's deadline, or not")
    report.add_argument("--sort", choices=filters.SORTS)
    report.add_argument("--section", choices=filters.LIST_SECTIONS, default="events")
    report.set_defaults(run=run_report)

    events = commands.add_parser("events", help="inbound events").add_subparsers(
        dest="action", required=True)
    imports = events.add_parser("import", help="load inbound history from JSONL or CSV")
    imports.add_argument("file")
    imports.add_argument("--phone", help="the phone it belongs to (default: the only one)")
    imports.set_defaults(run=run_import)
    return [report, imports]


def _query(args) -> dict:
    query = {"format": args.format}
    for flag, field in QUERY_FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            query[field] = value.split(",") if field in filters.LIST_FIELDS else value
    return query


def run_report(args, settings) -> int:
    result = admin_client.call(settings, "report", {"query": _query(args), "client": args.client})
    pathlib.Path(args.out).write_bytes(base64.b64decode(result.pop("body_base64")))
    print(json.dumps({**result, "out": args.out}, indent=2))
    return 0


def run_import(args, settings) -> int:
    # The running relay reads the file itself: give it a path it can resolve.
    result = admin_client.call(settings, "events.import",
                               {"path": str(pathlib.Path(args.file).resolve()),
                                "phone_id": args.phone})
    print(json.dumps(result, indent=2))
    return 0
