"""The `relay` command."""
import argparse
import json
import sys

from relay.cli import admin, admin_client, data, demo, health, pacing, phone, report, send
from relay.config import SETTINGS, ConfigError, load
from relay.core import storable
from relay.core.errors import ApiError


def _setting_flags(parser: argparse.ArgumentParser, names) -> None:
    for setting in SETTINGS:
        if setting.name in names:
            parser.add_argument("--" + setting.name.replace("_", "-"), dest=setting.name,
                                type=setting.type, default=None,
                                help=setting.help.replace("%", "%%"))   # argparse formats help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relay", description="Relay: a self-hosted phone relay")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the relay")
    _setting_flags(serve, [s.name for s in SETTINGS])

    keys = commands.add_parser("keys", help="client API keys").add_subparsers(
        dest="action", required=True)
    create = keys.add_parser("create", help="create a client key (printed once, last line)")
    create.add_argument("--name", required=True)
    keys.add_parser("list", help="list keys (never the keys themselves)")
    rotate = keys.add_parser("rotate", help="issue a new key; old ones work for --grace")
    rotate.add_argument("name")
    rotate.add_argument("--grace", default="24h", help="e.g. 30m, 24h, 7d (default 24h)")
    revoke = keys.add_parser("revoke", help="revoke a client's keys at once")
    revoke.add_argument("name")

    phones = commands.add_parser("phones", help="phones").add_subparsers(
        dest="action", required=True)
    add = phones.add_parser("add", help="configure a phone; prints its pairing code")
    add.add_argument("phone_id")
    pair = phones.add_parser("pair", help="a fresh pairing code (ends the phone's sessions)")
    pair.add_argument("phone_id")
    for command in (add, pair):
        command.add_argument("--qr", action="store_true",
                             help="also show the pairing as a QR code for the phone to scan")
    phones.add_parser("list", help="list phones")
    pacing.add_command(phones)
    remove = phones.add_parser("remove", help="remove a phone")
    remove.add_argument("phone_id")

    for group in (keys, phones):
        for sub in group.choices.values():
            _setting_flags(sub, ["data_dir"])
    phone.add_command(commands)
    demo.add_command(commands)
    for sub in (report.add_command(commands) + health.add_command(commands)
                + data.add_command(commands) + admin.add_command(commands)
                + send.add_command(commands)):
        _setting_flags(sub, ["data_dir"])
    _setting_flags(commands.choices["demo"], [s.name for s in SETTINGS])
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # An argument that is not UTF-8 reaches Python as a string no database can hold.
        storable.check(vars(args))
        settings = load({s.name: getattr(args, s.name, None) for s in SETTINGS})
        if args.command == "serve":
            from relay.server import serve
            return serve(settings)
        if hasattr(args, "run"):
            return args.run(args, settings)
        qr = getattr(args, "qr", False)
        params = {k: v for k, v in vars(args).items()
                  if k not in ("command", "action", "qr") and k not in {s.name for s in SETTINGS}}
        result = admin_client.call(settings, f"{args.command}.{args.action}", params)
    except ConfigError as error:
        print(f"relay: {error}", file=sys.stderr)
        return 2
    except ApiError as error:
        print(json.dumps(error.body()), file=sys.stderr)
        return 1
    except admin_client.RelayUnreachable as error:
        print(f"relay: {error}", file=sys.stderr)
        return 1
    key = result.pop("key", None)
    print(json.dumps(result, indent=2))
    if qr and "pairing_code" in result:
        phone.print_qr(result)
    if key is not None:
        print(key)  # alone on the last line, for scripts: KEY=$(relay keys create ... | tail -1)
    return 0
