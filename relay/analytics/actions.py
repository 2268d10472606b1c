"""The analytics' admin actions (relay/admin/actions.py): `relay report` and
`relay events import`."""
import base64

from relay.analytics import engine, filters, importer
from relay.core.errors import bad_request


def _client(relay, name: str | None) -> str:
    """The named client, or the only one there is."""
    clients = {key.client_id for key in relay.state.keys.values()}
    if name is None:
        if len(clients) != 1:
            raise bad_request("client", "name the client whose report it is (--client); "
                                        f"clients: {', '.join(sorted(clients)) or 'none'}")
        return next(iter(clients))
    if name not in clients:
        raise bad_request("client", f"no client '{name}'")
    return name


def report(relay, query: dict, client: str | None = None) -> dict:
    """The webchat query's export for a client, as the admin sees it (the file in base64)."""
    client_id = _client(relay, client)
    chosen = filters.parse({"format": "csv", **query})
    download = relay.store.read_sync(engine.export, client_id, chosen,
                                     engine.Limits.from_settings(relay.settings))
    return {"client": client_id, "filename": download.filename,
            "content_type": download.content_type, "rows": download.rows,
            "body_base64": base64.b64encode(download.body).decode()}


def events_import(relay, path: str, phone_id: str | None = None) -> dict:
    return importer.import_file(relay, path, phone_id)
