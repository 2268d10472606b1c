"""`relay backup`, `relay restore`, `relay archive` and `relay retention`."""
import json
import pathlib

from relay.cli import admin_client
from relay.core.errors import ApiError
from relay.admin import backup
from relay.store.database import DB_FILE


def add_command(commands) -> list:
    save = commands.add_parser("backup", help="a consistent Parquet backup, while running")
    save.add_argument("--out", required=True, help="an empty or new folder")
    save.set_defaults(run=run_remote, action_name="backup")
    load = commands.add_parser("restore", help="restore a backup into an empty data dir "
                                               "(the relay must not be running)")
    load.add_argument("source", help="the backup folder")
    load.set_defaults(run=run_restore)
    log = commands.add_parser("archive", help="the event log as day-partitioned Parquet")
    log.add_argument("--out", required=True, help="the archive folder (re-runs overwrite)")
    log.set_defaults(run=run_remote, action_name="archive")
    drop = commands.add_parser("retention", help="drop now the message and inbound texts "
                                                 "older than body_retention_days")
    drop.add_argument("--days", type=int, help="this many days instead of body_retention_days")
    drop.set_defaults(run=run_retention)
    return [save, load, log, drop]


def run_remote(args, settings) -> int:
    # The running relay may have another working directory: give it an absolute path.
    out = str(pathlib.Path(args.out).resolve())
    print(json.dumps(admin_client.call(settings, args.action_name, {"out": out}), indent=2))
    return 0


def run_retention(args, settings) -> int:
    params = {} if args.days is None else {"days": args.days}
    print(json.dumps(admin_client.call(settings, "retention", params), indent=2))
    return 0


def run_restore(args, settings) -> int:
    if admin_client.running_server(settings) is not None:
        raise ApiError(409, "relay_running", "stop the relay on this data dir before restoring",
                       "data_dir")
    print(json.dumps(backup.restore(args.source, settings.data_dir, DB_FILE), indent=2))
    return 0


