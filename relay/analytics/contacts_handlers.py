"""POST/GET/DELETE /api/v1/contacts: the client's address book (a name and tags per address).
A contact's tags count as the tags of its inbound events and of the messages sent to it."""
from relay.core.errors import ApiError, bad_request, json_object
from relay.core.inbound import normalise_contact
from relay.core.numbers import whole_number
from relay.messages.validate import MAX_TAG, MAX_TAGS
from relay.messages.validate import _tags as tag_list  # the same rules as a message's tags
from relay.web import openapi
from relay.web.base import BaseHandler
from relay.web.openapi import (NULLABLE_STRING, TIME, error_responses, json_body, json_response,
                               or_null, query_param, text)
from relay.analytics import contacts

FIELDS = ("address", "name", "tags")
MAX_NAME = 200
MAX_LIMIT = 1000


def contact_address(value, region: str) -> str:
    """An address normalised like the inbound events' contacts: e-mail, @user or phone."""
    if not isinstance(value, str) or not value.strip() or len(value) > 320:
        raise bad_request("address", "'address' must be a phone number, e-mail address or "
                                     "@username of at most 320 characters", "required")
    value = value.strip()
    channel = "tg" if value.startswith("@") else "email" if "@" in value else "sms"
    return normalise_contact(channel, value, region)


class ContactsHandler(BaseHandler):
    async def post(self):
        body = json_object(self.json_body(), FIELDS)
        address = contact_address(body.get("address"), self.relay.settings.default_region)
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise bad_request("name", f"'name' must be a string of at most {MAX_NAME} "
                                      "characters")
        name = (name or "").strip() or None
        contact = await self.store.write(contacts.SetContact(self.client_id, address, name,
                                                             tag_list(body)))
        self.reply(200, {"success": True, "contact": contact})

    async def get(self):
        for name in self.request.query_arguments:
            if name not in ("address", "tag", "after", "limit"):
                raise bad_request(name, f"unknown parameter '{name}'", "unknown_field")
        limit = whole_number("limit", self.get_query_argument("limit", str(MAX_LIMIT)), 1,
                             MAX_LIMIT)
        address = self.get_query_argument("address", None)
        if address is not None:
            contact = await self._existing(address)
            self.reply(200, {"success": True, "contacts": [contact], "next_after": None})
            return
        tag = self.get_query_argument("tag", None)
        found = await self.store.read(
            contacts.list_contacts, self.client_id, tag.strip().lower() if tag else None,
            self.get_query_argument("after", None), limit + 1)
        next_after = found[limit - 1]["address"] if len(found) > limit else None
        self.reply(200, {"success": True, "contacts": found[:limit], "next_after": next_after})

    async def delete(self):
        contact = await self._existing(self.get_query_argument("address", None))
        deleted = await self.store.write(contacts.DeleteContact(self.client_id,
                                                                contact["address"]))
        self.reply(200, {"success": True, **deleted})

    async def _existing(self, given) -> dict:
        address = contact_address(given, self.relay.settings.default_region)
        contact = await self.store.read(contacts.get_contact, self.client_id, address)
        if contact is None:
            raise ApiError(404, "unknown_contact", f"no contact '{address}'", "address")
        return contact


ROUTES = [(r"/api/v1/contacts", ContactsHandler)]

CONTACT = {
    "type": "object", "required": ["address", "name", "tags", "updated_at"],
    "properties": {"address": {"type": "string", "description": (
                       "normalised: E.164, e-mail with its domain in lower case, or @user; "
                       "one contact whatever its letter case, in the spelling last written")},
                   "name": NULLABLE_STRING, "tags": {"type": "array", "items": {"type": "string"}},
                   "updated_at": TIME},
}
_ADDRESS_TEXT = text(320)
_ADDRESS = query_param("address", _ADDRESS_TEXT, "a phone number, e-mail or @user")
OPENAPI_SCHEMAS = {"Contact": CONTACT}
OPENAPI_PATHS = {"/api/v1/contacts": {
    "post": {
        "summary": "Set a contact's name and tags (replacing what it had)",
        "requestBody": json_body({
            "type": "object", "additionalProperties": False, "required": ["address"],
            "properties": {"address": _ADDRESS_TEXT,
                           "name": or_null({"type": "string", "maxLength": MAX_NAME}),
                           "tags": openapi.tag_list(MAX_TAGS, MAX_TAG)}}),
        "responses": {"200": json_response("the contact as stored", {
            "type": "object", "required": ["success", "contact"],
            "properties": {"success": {"const": True},
                                             "contact": {"$ref": "#/components/schemas/Contact"}}}),
                      **error_responses(400, 401, 413, 415)}},
    "get": {
        "summary": "The client's contacts by address (one, with `address`)",
        "parameters": [_ADDRESS, query_param("tag", {"type": "string"}),
                       query_param("after", {"type": "string"}, "next_after of the last page"),
                       query_param("limit", {"type": "integer", "minimum": 1,
                                             "maximum": MAX_LIMIT})],
        "responses": {"200": json_response("contacts", {
            "type": "object", "required": ["success", "contacts", "next_after"],
            "properties": {"success": {"const": True}, "next_after": NULLABLE_STRING,
                           "contacts": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/Contact"}}}}),
                      **error_responses(400, 401, 404)}},
    "delete": {
        "summary": "Delete a contact",
        "parameters": [{**_ADDRESS, "required": True}],
        "responses": {"200": json_response("deleted", {
            "type": "object", "required": ["success", "address", "deleted"],
            "properties": {"success": {"const": True},
                                             "address": {"type": "string"},
                                             "deleted": {"const": True}}}),
                      **error_responses(400, 401, 404)}},
}}
