"""Relay: the blocking client."""
from __future__ import annotations

import time
from typing import Any, Iterator, Optional

import httpx

from relay_client.api import Methods, settings
from relay_client.calls import RETRYABLE, Attempts, Call, Pages


class Relay(Methods):
    """A client of one relay. url and key default to RELAY_URL and RELAY_API_KEY; timeout is
    seconds per try; retry is a RetryPolicy, or False for a single try. Use it as a context
    manager, or close() it."""

    def __init__(self, url: Optional[str] = None, key: Optional[str] = None, *,
                 timeout: float = 10.0, retry=True):
        base_url, headers, self.retry = settings(url, key, retry)
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def _run(self, call: Call) -> Any:
        attempts = Attempts(self.retry)
        while True:
            try:
                response = self._http.request(call.method, call.path, **call.request())
            except RETRYABLE as error:
                wait = attempts.failed(error)
            else:
                wait = attempts.answered(response)
                if wait is None:
                    return call.finish(response)
            time.sleep(wait)

    def _iterate(self, pages: Pages) -> Iterator[dict]:
        call: Optional[Call] = pages.first
        while call is not None:
            answer = self._run(call)
            yield from answer[pages.items]
            call = pages.after(call, answer)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
