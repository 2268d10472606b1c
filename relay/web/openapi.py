"""The pieces of the OpenAPI 3.1 document each feature's handlers module describes its paths with
(OPENAPI_PATHS, beside the handler they describe); relay/routes.py assembles the document."""

ERROR = {"$ref": "#/components/schemas/Error"}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def page_response(description: str, name: str, items: dict) -> dict:
    """A 200 answer holding one page of a list under `name`, and the cursor of the next."""
    return json_response(description, {
        "type": "object", "required": ["success", name, "next_cursor"],
        "properties": {"success": {"const": True}, name: {"type": "array", "items": items},
                       "next_cursor": NULLABLE_STRING}})


def error_responses(*statuses: int) -> dict:
    """The error answers of an operation. One that authenticates (401) may also answer 429:
    failed authentications are limited per address, on every route."""
    if 401 in statuses:
        statuses = (*statuses, 429)
    return {str(s): json_response("error", ERROR) for s in sorted(set(statuses))}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def query_param(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}
# A character str.strip() keeps: the server refuses a string of white space alone. (\x1c-\x1f
# and \x85 are white space to Python though not to the patterns of JSON Schema; Tornado drops
# the other control characters from query arguments.)
NON_BLANK = r"[^\s\x00-\x1f\x85]"
# A time a client gives: ISO-8601, between the years the server accepts (relay.core.timefmt).
GIVEN_TIME = {
    "type": "string", "description": "ISO-8601 (RFC 3339), with an offset or Z; UTC without; "
    "in the years 1970 to 2200",
    "pattern": r"^(197[1-9]|19[89][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
               r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
               r"(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])?$"}
# A time that must name its offset (a send_at, an expires_at).
OFFSET_TIME = {**GIVEN_TIME, "description": "ISO-8601 (RFC 3339) with an offset or Z; in the "
               "years 1970 to 2200", "pattern": GIVEN_TIME["pattern"].replace(")?$", ")$")}

# The server takes 1-255 printable characters; the ASCII ones are what a header can carry.
IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$",
                   "description": "1-255 printable characters"}
# An absolute http(s) URL without user name or password (relay.webhooks.urls): here with a
# host name, for an address literal must also be one webhooks may reach.
# A character of a URL's path, query or fragment (RFC 3986 pchar).
_PCHAR = r"([-A-Za-z0-9._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
CALLBACK_URL = {
    "type": "string", "format": "uri", "maxLength": 2048,
    "pattern": r"^https?://([A-Za-z0-9-]+\.)*[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*"
               r"(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
               r"|6553[0-5]))?"
               rf"(/({_PCHAR}|/)*)?(\?({_PCHAR}|[/?])*)?(#({_PCHAR}|[/?])*)?$"}

CURSOR = {"type": "string", "minLength": 1,
          "description": "opaque: only a next_cursor the relay gave out"}


def text(max_length: int, nullable: bool = False) -> dict:
    """A string the server takes once it is not blank, of at most max_length characters."""
    return {"type": ["string", "null"] if nullable else "string", "pattern": NON_BLANK,
            "maxLength": max_length}


def or_null(schema: dict) -> dict:
    """A field the server takes as left out when it is null."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": list(dict.fromkeys([*types, "null"]))}


def tag_pattern(max_length: int, also_not: str = "") -> str:
    """One tag as relay.messages.validate reads it: 1 to max_length characters once stripped (and
    none of `also_not`, the list's separator)."""
    edge = NON_BLANK[:-1] + also_not + "]"
    inner = f"[^{also_not}]" if also_not else r"[\s\S]"
    return rf"\s*{edge}({inner}{{0,{max_length - 2}}}{edge})?\s*"


def tag_list(max_items: int, max_length: int) -> dict:
    """Tags, compared in lower case: at most max_items different ones."""
    return {"type": ["array", "null"], "maxItems": max_items,
            "items": {"type": "string", "pattern": f"^{tag_pattern(max_length)}$"}}


# What an error says: its code, a message for people, and the field at fault (or null).
ERROR_DETAIL = {"type": "object", "required": ["code", "message", "field"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "field": NULLABLE_STRING}}
COMPONENTS = {
    "securitySchemes": {"clientKey": {"type": "http", "scheme": "bearer",
                                      "description": "a client key made by `relay keys create`"}},
    "schemas": {
        "Error": {
            "type": "object", "required": ["success", "error"],
            "properties": {
                "success": {"const": False},
                "error": ERROR_DETAIL}},
    },
}
