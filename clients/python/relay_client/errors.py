"""What a failed call raises: the relay's error shape as an exception."""
from __future__ import annotations

from typing import Any, Optional


class RelayError(Exception):
    """The relay refused a call, or could not be reached.

    status is the HTTP status (None when no answer came: then code is "timeout" or
    "connection_error"); code, message and field are the relay's error object's."""

    def __init__(self, status: Optional[int], code: str, message: str,
                 field: Optional[str] = None, retry_after: Optional[float] = None,
                 body: Any = None):
        super().__init__(f"{code} (HTTP {status}): {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after
        self.body = body


class WebhookVerificationError(Exception):
    """A webhook delivery whose signature does not match its body, or whose timestamp is too
    far from now (or whose headers are missing or malformed)."""


def from_answer(status: int, body: Any, retry_after: Optional[float] = None) -> RelayError:
    """The RelayError for a non-2xx answer; a body that is not the relay's error shape (a proxy's
    page, say) gives code "http_error"."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return RelayError(status, error["code"], str(error.get("message", "")),
                          error.get("field"), retry_after, body)
    return RelayError(status, "http_error", f"HTTP {status} without a Relay error body",
                      None, retry_after, body)
