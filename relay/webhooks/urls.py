"""Checks of a webhook target URL: its form, and (at registration) where its host points."""
import asyncio
import urllib.parse

from relay.core.errors import ApiError, bad_request
from relay.webhooks.addresses import AddressPolicy, GuardedResolver, RefusedAddress

MAX_URL = 2048
RESOLVE_TIMEOUT_S = 5.0


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
    return value


async def check_target(url: str, field: str, policy: AddressPolicy) -> None:
    """Refuses a URL whose host is, or now resolves to, an address webhooks must not reach.
    Sending checks again on every connection; this only gives the client an early 400."""
    parts = urllib.parse.urlsplit(url)
    resolver = GuardedResolver(policy=policy)
    try:
        await asyncio.wait_for(resolver.resolve(parts.hostname, parts.port or 443),
                               RESOLVE_TIMEOUT_S)
    except RefusedAddress as refused:
        raise ApiError(400, "forbidden_address", f"'{field}' is refused: {refused}; the "
                       "operator can allow a network with RELAY_CALLBACK_ALLOW_NETWORKS",
                       field) from None
    except (OSError, TimeoutError) as error:
        reason = getattr(error, "strerror", None) or str(error) or "timed out"
        raise ApiError(400, "unresolvable_host", f"'{field}': the host {parts.hostname} does "
                       f"not resolve ({reason})", field) from None
    finally:
        resolver.close()


def optional_url(body: dict, field: str) -> str | None:
    return None if body.get(field) is None else checked_url(body[field], field)
