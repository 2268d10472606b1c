"""Checking a webhook delivery before trusting it, with the Standard Webhooks reference library:
the signature over the raw body, and a timestamp within five minutes of now."""
from __future__ import annotations

from typing import Any, Mapping, Union

import standardwebhooks

from relay_client.errors import WebhookVerificationError


def verify_webhook(body: Union[bytes, str], headers: Mapping[str, str], secret: str) -> Any:
    """The delivery's event (a WebhookEvent dict) when `body`, the raw request body, is signed
    with `secret` (the whsec_... of the callback's registration) in `headers` (any mapping:
    Tornado's, Flask's, a dict) and its timestamp is not stale; else WebhookVerificationError.
    Parse nothing before this: a re-encoded body no longer matches its signature."""
    given = {name.lower(): value for name, value in headers.items()}
    try:
        return standardwebhooks.Webhook(secret).verify(body, given)
    except standardwebhooks.WebhookVerificationError as error:
        raise WebhookVerificationError(str(error)) from error
    except (ValueError, TypeError) as error:       # a malformed header or secret
        raise WebhookVerificationError(f"malformed webhook: {error}") from error
