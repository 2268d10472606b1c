"""`relay phones pace PHONE_ID`: a phone's own pacing, on a running relay or a stopped one."""
import json

from relay.cli import admin_client

# flag -> the field of the phone's pacing it sets (relay/phones/pacing.py).
FLAGS = {"interval": ("min_interval_seconds", float, "least seconds between two messages"),
         "jitter": ("jitter_seconds", float, "up to this many seconds more, at random"),
         "per_hour": ("per_hour", int, "messages per SIM in any hour; 0: no cap"),
         "per_day": ("per_day", int, "messages per SIM in any 24 hours; 0: no cap")}


def add_command(phones) -> None:
    pace = phones.add_parser("pace", help="set the phone's own pacing (the flags given; the "
                                          "others stay)")
    pace.add_argument("phone_id")
    for flag, (_, kind, help_text) in FLAGS.items():
        pace.add_argument("--" + flag.replace("_", "-"), dest=flag, type=kind, help=help_text)
    pace.add_argument("--default", dest="defaults", action="append", default=[],
                      choices=sorted(flag.replace("_", "-") for flag in FLAGS),
                      help="put this one back to the relay-wide setting (repeatable)")
    pace.set_defaults(run=run_pace)


def run_pace(args, settings) -> int:
    changes = {field: getattr(args, flag) for flag, (field, _, _) in FLAGS.items()
               if getattr(args, flag) is not None}
    changes |= {FLAGS[flag.replace("-", "_")][0]: None for flag in args.defaults}
    print(json.dumps(admin_client.call(settings, "phones.pace",
                                       {"phone_id": args.phone_id, "pacing": changes}), indent=2))
    return 0
