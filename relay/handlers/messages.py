"""POST/GET /api/v1/messages and GET /api/v1/messages/<id>."""
from relay.core import validate
from relay.core.errors import ApiError, bad_request
from relay.core.timefmt import parse_iso
from relay.handlers.base import BaseHandler
from relay.store import queries
from relay.store.messages import AcceptMessage

STATUSES = ("queued", "sending", "sent", "failed", "expired")
LIST_PARAMS = ("limit", *queries.LIST_FILTERS)


class MessagesHandler(BaseHandler):
    async def post(self):
        body = self.json_body()
        header_key = validate.idempotency_key(self.request.headers.get("Idempotency-Key"),
                                              "Idempotency-Key")
        request = validate.message_request(body, header_key, self.relay.settings.default_region)
        if request.phone_id not in self.relay.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{request.phone_id}' is configured",
                           "phone_id")
        accepted = await self.store.write(AcceptMessage(request, self.client_id,
                                                        self.key.key_id))
        answer = {"success": True, "message_id": accepted.message_id,
                  "idempotency_key": request.idempotency_key}
        if accepted.duplicate:
            status = await self.store.read(queries.message_status, accepted.message_id)
            self.reply(200, {**answer, "duplicate": True, "status": status})
        else:
            self.reply(202, {**answer, "status": "queued"})

    async def get(self):
        for name in self.request.query_arguments:
            if name not in LIST_PARAMS:
                raise bad_request(name, f"unknown parameter '{name}'", "unknown_field")
        filters = {}
        for name in queries.LIST_FILTERS:
            value = self.get_query_argument(name, None)
            if value is not None:
                filters[name] = _list_filter(name, value)
        limit = _limit(self.get_query_argument("limit", "50"))
        messages, next_cursor = await self.store.read(queries.list_messages, self.client_id,
                                                      filters, limit)
        self.reply(200, {"success": True, "messages": messages, "next_cursor": next_cursor})


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 500:
        raise bad_request("limit", "'limit' must be a whole number from 1 to 500")
    return int(text)


def _list_filter(name: str, value: str):
    if name == "status" and value not in STATUSES:
        raise bad_request(name, f"'status' must be one of {', '.join(STATUSES)}")
    if name == "channel" and value not in validate.CHANNELS:
        raise bad_request(name, f"'channel' must be one of {', '.join(validate.CHANNELS)}")
    if name in ("since", "until"):
        try:
            return parse_iso(value)
        except ValueError:
            raise bad_request(name, f"'{name}' must be an ISO-8601 time") from None
    if name == "cursor":
        return queries.decode_cursor(value)
    return value


class MessageHandler(BaseHandler):
    async def get(self, message_id):
        message = await self.store.read(queries.get_message, self.client_id, message_id)
        if message is None:
            raise ApiError(404, "unknown_message", f"no message '{message_id}'", "message_id")
        self.reply(200, {"success": True, "message": message})


ROUTES = [
    (r"/api/v1/messages", MessagesHandler),
    (r"/api/v1/messages/([^/]+)", MessageHandler),
]
