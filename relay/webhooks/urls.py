"""Checks of a webhook target URL at registration: its form, and a host written as an address."""
import ipaddress
import re
import socket
import urllib.parse

from relay.core.errors import ApiError, bad_request
from relay.webhooks.addresses import Address, AddressPolicy, RefusedAddress

MAX_URL = 2048
# What RFC 3986 allows in a path, a query and a fragment: '%' only as the start of an escape.
_PCHAR = r"(?:[-A-Za-z0-9._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
PATH = re.compile(rf"(?:{_PCHAR}|/)*")
QUERY_OR_FRAGMENT = re.compile(rf"(?:{_PCHAR}|[/?])*")
HOST_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?")


def checked_url(value, field: str) -> str:
    """An absolute http(s) URL without userinfo, up to 2048 characters."""
    if not isinstance(value, str) or not value.strip():
        raise bad_request(field, f"'{field}' is required and must be a URL", "required")
    if len(value) > MAX_URL:
        raise bad_request(field, f"'{field}' is longer than {MAX_URL} characters", "too_long")
    if not value.isprintable() or any(c.isspace() for c in value):
        raise bad_request(field, f"'{field}' must not contain spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise bad_request(field, f"'{field}' is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise bad_request(field, f"'{field}' must be an http or https URL")
    if "@" in parts.netloc:
        raise bad_request(field, f"'{field}' must not contain a user name or password")
    if not parts.hostname:
        raise bad_request(field, f"'{field}' has no host")
    if not (HOST_NAME.fullmatch(parts.hostname) or literal_address(parts.hostname.strip("[]"))):
        raise bad_request(field, f"'{field}' has no valid host: a name or an address")
    if not (PATH.fullmatch(parts.path) and QUERY_OR_FRAGMENT.fullmatch(parts.query)
            and QUERY_OR_FRAGMENT.fullmatch(parts.fragment)):
        raise bad_request(field, f"'{field}' is not a valid URL: write other characters, and "
                                 "'%' itself, as %XX escapes (RFC 3986)")
    return value


def literal_address(host: str) -> Address | None:
    """The address a host written as a number stands for ('203.0.113.5', '[2001:db8::1]', and
    the short IPv4 forms getaddrinfo also takes, such as '2130706433' or '127.1'); None for a
    name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_target(url: str, field: str, policy: AddressPolicy) -> None:
    """Refuses a URL whose host is an address webhooks must not reach: a literal one, or
    localhost (loopback by definition, RFC 6761). A name is not resolved here: it may not
    resolve yet, and what it resolves to now proves nothing later; sending checks every
    address it actually connects to."""
    host = urllib.parse.urlsplit(url).hostname.rstrip(".")
    try:
        if host == "localhost" or host.endswith(".localhost"):
            raise RefusedAddress(f"{host} is a loopback name")
        address = literal_address(host)
        if address is not None:
            policy.check(address, host)
    except RefusedAddress as refused:
        raise ApiError(400, "forbidden_address", f"'{field}' is refused: {refused}; the "
                       "operator can allow a network with RELAY_CALLBACK_ALLOW_NETWORKS",
                       field) from None


def optional_url(body: dict, field: str) -> str | None:
    return None if body.get(field) is None else checked_url(body[field], field)
