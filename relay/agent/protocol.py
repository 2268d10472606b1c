"""The device protocol's frames and close codes, shared by the server and the phone agent.
docs/device-protocol.md is the description for phone developers; keep the two in step."""
import datetime as dt
import json

from relay.core import jsondecode, storable
from relay.core.errors import bad_request
from relay.core.statuses import PHONE_REPORTS
from relay.core.timefmt import iso, time_field

VERSION = 1
MAX_FRAME = 64 * 1024          # larger frames close the socket with 1009

# Close codes the server uses beyond the standard ones (1001 going away, 1009 too big).
CLOSE_TOKEN_EXPIRED = 4001     # renew the access token, then reconnect
CLOSE_REPLACED = 4002          # a newer connection of the same phone took over: do not reconnect
CLOSE_REVOKED = 4003           # removed, re-paired or refresh token reused: pair again

PHONE_FRAMES = ("status", "inbound", "heartbeat")


def encode(frame: dict) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def decode(raw) -> dict:
    """A phone frame as a dict with a known `type`, or a 400 ApiError for the error frame."""
    if isinstance(raw, bytes):
        raise bad_request(None, "frames are JSON text, not binary", "invalid_frame")
    try:
        frame = jsondecode.loads(raw)
    except ValueError as error:
        raise bad_request(None, f"the frame is not JSON: {error}", "invalid_json") from None
    storable.check_json(raw, frame)
    if not isinstance(frame, dict):
        raise bad_request(None, "a frame is a JSON object", "invalid_frame")
    if frame.get("type") not in PHONE_FRAMES:
        raise bad_request("type", f"'type' must be one of {', '.join(PHONE_FRAMES)}",
                          "unknown_type")
    return frame


def _only(frame: dict, allowed: tuple[str, ...]) -> None:
    for name in frame:
        if name != "type" and name not in allowed:
            raise bad_request(name, f"unknown field '{name}'", "unknown_field")


def status_report(frame: dict) -> tuple[str, str, str | None, dt.datetime | None]:
    """(message_id, status, error, delivered_at) of a status frame."""
    _only(frame, ("message_id", "status", "error", "delivered_at"))
    message_id, status, error = frame.get("message_id"), frame.get("status"), frame.get("error")
    if message_id is None or message_id == "":
        raise bad_request("message_id", "'message_id' is required", "required")
    if not isinstance(message_id, str):
        raise bad_request("message_id", "'message_id' must be a string", "invalid_type")
    if status not in PHONE_REPORTS:
        raise bad_request("status", f"'status' must be one of {', '.join(PHONE_REPORTS)}")
    if error is not None and (not isinstance(error, str) or len(error) > 1000):
        raise bad_request("error", "'error' must be a text of at most 1000 characters")
    if status == "failed" and not error:
        raise bad_request("error", "a failed status needs an 'error' text", "required")
    delivered_at = frame.get("delivered_at")
    if delivered_at is not None:
        if status != "sent":
            raise bad_request("delivered_at", "'delivered_at' is only for a sent status")
        delivered_at = time_field("delivered_at", delivered_at)
    return message_id, status, error, delivered_at


def heartbeat(frame: dict) -> dict:
    """battery (0-100), signal (0-4), app_version, each optional."""
    _only(frame, ("battery", "signal", "app_version"))
    values = {}
    for name, top in (("battery", 100), ("signal", 4)):
        value = frame.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= top):
            raise bad_request(name, f"'{name}' must be a whole number from 0 to {top}")
        values[name] = value
    version = frame.get("app_version")
    if version is not None and (not isinstance(version, str) or len(version) > 64):
        raise bad_request("app_version", "'app_version' must be a text of at most 64 characters")
    values["app_version"] = version
    return values


def inbound_fields(frame: dict) -> dict:
    """The inbound event's fields: the frame less its type (checked by core.inbound)."""
    return {k: v for k, v in frame.items() if k != "type"}


def error_frame(error, frame: dict | None) -> dict:
    """An ApiError as an error frame, naming the frame it answers when that can be told."""
    answer = {"type": "error", "code": error.code, "message": error.message,
              "field": error.field}
    if isinstance(frame, dict):
        for name in ("type", "message_id", "event_id"):
            if isinstance(frame.get(name), str):
                answer["frame_" + name if name == "type" else name] = frame[name]
    return answer


def deliver_frame(message: dict, expires_at: dt.datetime) -> dict:
    """A deliver frame for a message as "message.accepted" publishes it (or the start-up load)."""
    return {"type": "deliver", "message_id": message["message_id"],
            "channel": message["channel"], "to": message["to"], "text": message["text"],
            "subject": message["subject"], "title": message["title"],
            "tags": message["tags"] or (), "created_at": iso(message["created_at"]),
            "expires_at": iso(expires_at)}
