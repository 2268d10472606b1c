"""`relay admin set-password`: the portal owner's password, read from the terminal (asked
twice) or, when stdin is not a terminal, from its first line."""
import getpass
import json
import sys

from relay.cli import admin_client


def add_command(commands) -> list:
    admin = commands.add_parser("admin", help="the portal's owner").add_subparsers(
        dest="action", required=True)
    set_password = admin.add_parser("set-password", help="set the portal password (signs "
                                                         "every portal session out)")
    set_password.set_defaults(run=run)
    return [set_password]


def _read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("New portal password: ")
    if getpass.getpass("Again: ") != password:
        print("relay: the passwords differ", file=sys.stderr)
        return None
    return password


def run(args, settings) -> int:
    password = _read_password()
    if password is None:
        return 1
    result = admin_client.call(settings, "portal.set_password", {"password": password})
    print(json.dumps(result))
    return 0
