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
DELIVERY_RESULTS = ("delivered", "undelivered")


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
    """(message_id, status, error, delivered_at) of a status frame; its optional delivery
    report is read by delivery_report()."""
    _only(frame, ("message_id", "status", "error", "delivered_at", "delivery"))
    delivery_report(frame)
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


def delivery_report(frame: dict) -> dict | None:
    """A status frame's optional `delivery`: {"result": "delivered" | "undelivered", "at":
    ISO time or null}, the network's report on a message already `sent`; None without one."""
    delivery = frame.get("delivery")
    if delivery is None:
        return None
    if not isinstance(delivery, dict) or set(delivery) - {"result", "at"}:
        raise bad_request("delivery", "'delivery' must be an object with 'result' and 'at'")
    if frame.get("status") != "sent":
        raise bad_request("delivery", "'delivery' is only for a sent status")
    if delivery.get("result") not in DELIVERY_RESULTS:
        raise bad_request("delivery", "'delivery.result' must be one of "
                          + ", ".join(DELIVERY_RESULTS))
    at = delivery.get("at")
    return {"result": delivery["result"],
            "at": None if at is None else time_field("delivery", at)}


def delivery_frame(message_id: str, report: dict) -> dict:
    """The status frame that passes a delivery report on (the agent's side of the above)."""
    return {"type": "status", "message_id": message_id, "status": "sent", "delivery": report}


def capabilities(frame: dict) -> tuple[str, ...] | None:
    """A heartbeat's optional `channels`: what the phone can deliver; None when not said."""
    channels = frame.get("channels")
    if channels is None:
        return None
    if not isinstance(channels, list) or len(channels) > 16 or not all(
            isinstance(c, str) and 0 < len(c) <= 16 for c in channels):
        raise bad_request("channels", "'channels' must be a list of channel names")
    return tuple(channels)


def heartbeat(frame: dict) -> dict:
    """battery (0-100), signal (0-4), app_version, each optional; its optional `channels` is
    read by capabilities()."""
    _only(frame, ("battery", "signal", "app_version", "channels"))
    capabilities(frame)
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
    """A deliver frame for a message as "message.accepted" publishes it (or the start-up load);
    `sim` only when the client asked for a slot."""
    frame = {"type": "deliver", "message_id": message["message_id"],
             "channel": message["channel"], "to": message["to"], "text": message["text"],
             "subject": message["subject"], "title": message["title"],
             "tags": message["tags"] or (), "created_at": iso(message["created_at"]),
             "expires_at": iso(expires_at)}
    if message.get("sim") is not None:
        frame["sim"] = message["sim"]
    return frame
