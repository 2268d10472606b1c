"""One API call described once, for the sync and the async client alike: what to request, how
to read the answer, how to page on, and the tries it gets."""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Callable, Optional

import httpx

from relay_client.errors import RelayError, from_answer
from relay_client.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds

# What may have failed before the relay answered: worth another try (a send carries its
# idempotency key, so the relay makes one message of however many tries arrive).
RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def whole(answer: Any) -> Any:
    return answer


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Optional[dict] = None
    body: Any = None
    result: Callable[[Any], Any] = whole     # from the JSON answer to what the method returns
    raw: bool = False                        # the answer's bytes (an export), not JSON

    def request(self) -> dict:
        """httpx's request arguments."""
        arguments: dict = {"params": self.params or None}
        if self.body is not None:
            arguments["json"] = self.body
        elif self.method in ("POST", "PATCH"):
            arguments["content"] = b""
        return arguments

    def finish(self, response: httpx.Response) -> Any:
        """What the method returns for this answer; a RelayError when it is not a 2xx."""
        if 200 <= response.status_code < 300:
            return response.content if self.raw else self.result(response.json())
        try:
            body = response.json()
        except ValueError:
            body = response.text
        raise from_answer(response.status_code, body,
                          retry_after_seconds(response.headers.get("Retry-After")))


@dataclasses.dataclass(frozen=True)
class Pages:
    """A list endpoint read page after page: `items` names the list in each answer, `cursor`
    the answer's field holding the next page's position and `param` the query parameter it
    goes back in."""
    first: Call
    items: str
    cursor: str = "next_cursor"
    param: str = "cursor"

    def after(self, call: Call, answer: dict) -> Optional[Call]:
        position = answer.get(self.cursor)
        if not position:
            return None
        return dataclasses.replace(call, params={**(call.params or {}), self.param: position})


class Attempts:
    """The tries of one call under a policy."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.retries = 0

    def failed(self, error: Exception) -> float:
        """The wait before the next try after a connection error or timeout; once no try is
        left, raises it as a RelayError (status None, code "timeout" or "connection_error")."""
        wait = self._next(None)
        if wait is None:
            code = "timeout" if isinstance(error, httpx.TimeoutException) else "connection_error"
            raise RelayError(None, code, str(error) or type(error).__name__) from error
        return wait

    def answered(self, response: httpx.Response) -> Optional[float]:
        """The wait before the next try after this answer, or None: it is final."""
        if response.status_code not in RETRY_STATUSES:
            return None
        return self._next(retry_after_seconds(response.headers.get("Retry-After")))

    def _next(self, retry_after: Optional[float]) -> Optional[float]:
        self.retries += 1
        return self.policy.delay(self.retries, retry_after)


def fields(**given) -> dict:
    """The given fields without the ones left out (None), times written in ISO-8601."""
    return {name: iso(value) for name, value in given.items() if value is not None}


def iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value
