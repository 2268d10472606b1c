"""Administrative actions, shared by the CLI and the admin endpoint.

Each takes the Relay and keyword arguments and returns a JSON-able dict. The CLI calls them on
a Relay it opens itself when no server runs on the data dir, or through POST
/admin/v1/actions/<name> on the running server, which calls the same function after
check_arguments: every parameter is annotated with the types it takes."""
import inspect
import types
import typing

from relay.analytics import actions as analytics
from relay.core.errors import bad_request
from relay.core.numbers import whole_number
from relay.core.timefmt import parse_duration
from relay.portal import passwords
from relay.admin import backup as store_backup, keys, maintenance
from relay.phones import agent_file, credentials, operations as phones, pacing_log
from relay.phones.pacing import Rules, checked_changes
from relay.portal import operations as portal


def keys_create(relay, name: str):
    return relay.store.write_sync(keys.CreateKey(name))


def keys_list(relay):
    return {"keys": [keys.describe(k) for k in relay.state.keys.values()]}


def keys_rotate(relay, name: str, grace: str = "24h"):
    try:
        period = parse_duration(grace)
    except ValueError as error:
        raise bad_request("grace", str(error)) from None
    return relay.store.write_sync(keys.RotateKey(name, period))


def keys_revoke(relay, name: str):
    return relay.store.write_sync(keys.RevokeKey(name))


def phones_add(relay, phone_id: str):
    """Adds the phone and issues its first single-use pairing code (valid 10 minutes)."""
    added = relay.store.write_sync(credentials.AddPhoneWithCode(phones.AddPhone(phone_id)))
    return _with_install(relay, added)


def phones_pair(relay, phone_id: str):
    """A fresh pairing code; the phone's current tokens are revoked and its socket closed."""
    issued = relay.store.write_sync(credentials.IssuePairingCode(phone_id))
    return _with_install(relay, issued)


def _with_install(relay, pairing: dict) -> dict:
    """A pairing with the relay's URL and the two commands that install the agent with it."""
    url = relay.settings.url
    return {**pairing, "relay_url": url,
            "install_commands": agent_file.install_commands(url, pairing["pairing_code"])}


def phones_list(relay):
    return {"phones": [{"phone_id": p, "added_at": at.isoformat() + "Z",
                        "online": p in relay.online_phones}
                       for p, at in sorted(relay.state.phones.items())]}


def phones_remove(relay, phone_id: str):
    removed = relay.store.write_sync(phones.RemovePhone(phone_id))
    relay.store.write_sync(credentials.RevokePhone(phone_id, "removed"))   # closes its socket
    return removed


def phones_pace(relay, phone_id: str, pacing: dict):
    """Changes the phone's own pacing: each field of `pacing` given sets it (null: back to the
    relay-wide setting); the answer is the phone's pacing after."""
    own = relay.store.write_sync(pacing_log.SetPacing(phone_id, checked_changes(pacing)))
    return {"phone_id": phone_id, "pacing": {**Rules.of(relay.devices.default_pacing,
                                                        own).shown(),
                                             "own": Rules.own_shown(own)}}


def portal_set_password(relay, password: str):
    """The portal owner's password (stored as an scrypt hash); signs every session out."""
    hashed = passwords.hash_password(passwords.check_new(password))
    return relay.store.write_sync(portal.SetPassword(hashed))


def _writing_to(out: str, write) -> dict:
    """A folder the admin named that cannot be made or written is their 400, not a 500."""
    if not out.strip() or "\0" in out:
        raise bad_request("out", "'out' must be a folder's path")
    try:
        return write()
    except OSError as error:
        raise bad_request("out", f"cannot write to {out}: {error.strerror or error}") from None


def backup(relay, out: str):
    return _writing_to(out, lambda: relay.store.read_sync(store_backup.backup,
                                                          relay.settings.data_dir, out))


def archive(relay, out: str):
    return _writing_to(out, lambda: relay.store.read_sync(store_backup.archive, out))


def retention(relay, days: int | None = None):
    """Drops now the bodies older than `days` (default body_retention_days) of messages in a
    final state and of inbound events, as the hourly job does."""
    if days is None and not relay.settings.body_retention_days:
        raise bad_request("days", "give 'days': with body_retention_days 0, bodies are kept "
                          "until you say how long")
    days = whole_number("days", relay.settings.body_retention_days if days is None else days,
                        1, MAX_RETENTION_DAYS)
    return relay.store.write_sync(maintenance.DropOldBodies(days))


MAX_RETENTION_DAYS = 36500
ACTIONS = {
    "keys.create": keys_create, "keys.list": keys_list, "keys.rotate": keys_rotate,
    "keys.revoke": keys_revoke,
    "phones.add": phones_add, "phones.list": phones_list, "phones.remove": phones_remove,
    "phones.pair": phones_pair, "phones.pace": phones_pace,
    "portal.set_password": portal_set_password,
    "report": analytics.report, "events.import": analytics.events_import,
    "backup": backup, "archive": archive, "retention": retention,
}

_TYPE_NAMES = {str: "a string", int: "a whole number", dict: "a JSON object",
               types.NoneType: "null"}


def check_arguments(name: str, args) -> None:
    """A 400 unless `args` (a JSON body) are arguments the action takes, each of a type its
    annotation allows (a JSON boolean is not a number); it names the field that is not."""
    if not isinstance(args, dict):
        raise bad_request(None, "the body must be a JSON object of arguments", "invalid_body")
    action = ACTIONS[name]
    try:
        inspect.signature(action).bind(None, **args)
    except TypeError as error:
        raise bad_request(None, f"wrong arguments for {name}: {error}") from None
    hints = typing.get_type_hints(action)
    for field, value in args.items():
        allowed = typing.get_args(hints[field]) or (hints[field],)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise bad_request(field, f"'{field}' must be "
                              f"{' or '.join(_TYPE_NAMES[t] for t in allowed)}", "invalid_type")
