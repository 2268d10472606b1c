"""`relay phone`: runs the reference phone agent (relay/agent/cli.py); and the Setup QR that
`relay phones add --qr` prints."""
import sys

from relay.agent import cli
from relay.phones.pairing_qr import pairing_qr


def add_command(commands) -> None:
    phone = commands.add_parser("phone", help="run the reference phone agent")
    cli.add_arguments(phone)
    phone.set_defaults(run=lambda args, settings: cli.run(args))


def print_qr(pairing: dict) -> None:
    """The pairing as a QR code on stderr (stdout stays JSON), what a phone scans, and the
    commands it carries to install the agent on an Android phone with Termux."""
    pairing_qr(pairing).terminal(out=sys.stderr, compact=True)
    print("On the phone, in Termux (docs/phones.md):", *pairing["install_commands"],
          sep="\n  ", file=sys.stderr)
