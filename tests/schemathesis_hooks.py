"""What the OpenAPI document cannot say, for the schemathesis run of tests/test_fuzz.py
(loaded through SCHEMATHESIS_HOOKS).

JSON Schema states each value on its own; these rules relate two values, or depend on what
the relay already holds. A refusal for breaking a rule between two values, or for a state the
document cannot know (a URL the client never registered), is not the document's fault."""
import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

QUERY = "/api/v1/webchat/inbound/query"
CALLBACKS = "/api/v1/webchat/callbacks/inbound"
RULES = "/api/v1/webchat/inbound/rules"


def _given(values: dict, name: str):
    """A field's value; null is the same as leaving the field out."""
    return values.get(name)


def _ordered(values: dict, low: str, high: str) -> bool:
    """`low` is not after `high` when both are given (times in one format compare as text;
    a wrongly typed value is for the server to refuse)."""
    a, b = _given(values, low), _given(values, high)
    try:
        return a is None or b is None or int(a) <= int(b)
    except (TypeError, ValueError):
        return True


def _query_fields_agree(values: dict) -> bool:
    if _given(values, "range") is not None and (_given(values, "from") is not None
                                                or _given(values, "to") is not None):
        return False
    if _given(values, "section") is not None and _given(values, "format") is None:
        return False
    start, end = _given(values, "from"), _given(values, "to")
    if isinstance(start, str) and isinstance(end, str) and not start < end:
        return False       # not exact across offsets; too strict is only fewer cases drawn
    return _ordered(values, "min_duration_sec", "max_duration_sec")


def _rule_fields_agree(values: dict) -> bool:
    """A rule's office hours end after they start; its `notify` message follows the rules of
    POST /api/v1/messages between a channel and its fields, which the rule's schema does not
    restate."""
    hours = _given(values, "office_hours")
    if isinstance(hours, dict) and not (hours.get("end") or "17:00") > (
            hours.get("start") or "09:00"):
        return False
    return _given(values, "notify") is None


def _values_agree(case) -> bool:
    """The case keeps the rules between two of its values."""
    path, method = case.operation.path, case.method.upper()
    query = case.query or {}
    body = case.body if isinstance(case.body, dict) else {}
    if path == QUERY:
        return _query_fields_agree(query if method == "GET" else body)
    if path == CALLBACKS and method == "DELETE":    # one of the two, in the query or the body
        named = [name for name in ("id", "callback_url") if name in query]
        if case.body is not None:
            named = [] if named else [name for name in ("id", "callback_url")
                                      if _given(body, name) is not None]
        return len(named) == 1
    if path == CALLBACKS and method == "POST":
        return _ordered(body, "min_duration_sec", "max_duration_sec")
    if path.startswith(RULES) and method in ("POST", "PUT"):
        return _rule_fields_agree(body)
    if _given(body, "ttl_seconds") is not None and _given(body, "expires_at") is not None:
        return False                                # one kind of expiry or the other
    header = (case.headers or {}).get("Idempotency-Key")
    field = body.get("idempotency_key")
    return header is None or field is None or header == field


# Refusals that depend on what the relay holds, the network or a library the document cannot
# restate: not on the document.
OUTSIDE_THE_DOCUMENT = {
    "unregistered_callback",   # status_callback_url: a URL the client registered
    "idempotency_conflict",    # a key an earlier case used for another message
    "unknown_cursor",          # a cursor the relay never gave out
    "unknown_rule",            # a rule id the relay never gave out
    "invalid_phone_number",    # which numbers exist is the numbering plan's, not a pattern's
    "invalid_email",           # which domains may get mail (not .test) is email-validator's
    "already_past",            # an expires_at is compared with the relay's clock
    "too_far_ahead",           # so is a send_at, with a setting's horizon
    "already_final",           # whether a message may still change depends on what it did
    "already_sending",
}


def _integral_float(value) -> bool:
    """1270.0: an integer to JSON Schema, a number with a fraction to the relay, which wants
    whole numbers written as integers."""
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(map(_integral_float, value.values()))
    return isinstance(value, list) and any(map(_integral_float, value))


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if not isinstance(failure, RejectedPositiveData):
        return True
    if not _values_agree(case) or _integral_float(case.body):
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return True
    code = "unknown_cursor" if error.get("field") == "cursor" else error.get("code")
    return code not in OUTSIDE_THE_DOCUMENT
