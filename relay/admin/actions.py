"""Administrative actions, shared by the CLI and the admin endpoint.

Each takes the Relay and keyword arguments and returns a JSON-able dict. The CLI calls them on
a Relay it opens itself when no server runs on the data dir, or through POST
/admin/v1/actions/<name> on the running server, which calls the same function."""
from relay.analytics import actions as analytics
from relay.core.errors import bad_request
from relay.core.timefmt import parse_duration
from relay.portal import passwords
from relay.admin import backup as store_backup, keys, maintenance
from relay.phones import credentials, operations as phones
from relay.portal import operations as portal


def keys_create(relay, name):
    return relay.store.write_sync(keys.CreateKey(name))


def keys_list(relay):
    return {"keys": [keys.describe(k) for k in relay.state.keys.values()]}


def keys_rotate(relay, name, grace="24h"):
    try:
        period = parse_duration(grace)
    except (ValueError, AttributeError) as error:
        raise bad_request("grace", str(error)) from None
    return relay.store.write_sync(keys.RotateKey(name, period))


def keys_revoke(relay, name):
    return relay.store.write_sync(keys.RevokeKey(name))


def phones_add(relay, phone_id):
    """Adds the phone and issues its first single-use pairing code (valid 10 minutes)."""
    added = relay.store.write_sync(credentials.AddPhoneWithCode(phones.AddPhone(phone_id)))
    return {**added, "relay_url": relay.settings.url}


def phones_pair(relay, phone_id):
    """A fresh pairing code; the phone's current tokens are revoked and its socket closed."""
    issued = relay.store.write_sync(credentials.IssuePairingCode(phone_id))
    return {**issued, "relay_url": relay.settings.url}


def phones_list(relay):
    return {"phones": [{"phone_id": p, "added_at": at.isoformat() + "Z",
                        "online": p in relay.online_phones}
                       for p, at in sorted(relay.state.phones.items())]}


def phones_remove(relay, phone_id):
    removed = relay.store.write_sync(phones.RemovePhone(phone_id))
    relay.store.write_sync(credentials.RevokePhone(phone_id, "removed"))   # closes its socket
    return removed


def portal_set_password(relay, password):
    """The portal owner's password (stored as an scrypt hash); signs every session out."""
    hashed = passwords.hash_password(passwords.check_new(password))
    return relay.store.write_sync(portal.SetPassword(hashed))


def backup(relay, out):
    return relay.store.read_sync(store_backup.backup, relay.settings.data_dir, out)


def archive(relay, out):
    return relay.store.read_sync(store_backup.archive, out)


def retention(relay, days=None):
    """Drops now the bodies older than `days` (default body_retention_days) of messages in a
    final state and of inbound events, as the hourly job does."""
    days = relay.settings.body_retention_days if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise bad_request("days", "'days' must be a whole number of days, at least 1 (with "
                          "body_retention_days 0, bodies are kept until you say how long)")
    return relay.store.write_sync(maintenance.DropOldBodies(days))


ACTIONS = {
    "keys.create": keys_create, "keys.list": keys_list, "keys.rotate": keys_rotate,
    "keys.revoke": keys_revoke,
    "phones.add": phones_add, "phones.list": phones_list, "phones.remove": phones_remove,
    "phones.pair": phones_pair, "portal.set_password": portal_set_password,
    "report": analytics.report, "events.import": analytics.events_import,
    "backup": backup, "archive": archive, "retention": retention,
}
