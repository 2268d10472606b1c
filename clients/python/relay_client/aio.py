"""AsyncRelay: the asyncio client. Each method of Relay, awaited; the lists are async
iterators (`async for message in relay.list_messages()`)."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Optional

import httpx

from relay_client.api import Methods, settings
from relay_client.calls import RETRYABLE, Attempts, Call, Pages


class AsyncRelay(Methods):
    """The asyncio twin of Relay, with the same arguments. Use it with `async with`, or
    `await aclose()`."""

    def __init__(self, url: Optional[str] = None, key: Optional[str] = None, *,
                 timeout: float = 10.0, retry=True):
        base_url, headers, self.retry = settings(url, key, retry)
        self._http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)

    async def _run(self, call: Call) -> Any:
        attempts = Attempts(self.retry)
        while True:
            try:
                response = await self._http.request(call.method, call.path, **call.request())
            except RETRYABLE as error:
                wait = attempts.failed(error)
            else:
                wait = attempts.answered(response)
                if wait is None:
                    return call.finish(response)
            await asyncio.sleep(wait)

    async def _iterate(self, pages: Pages) -> AsyncIterator[dict]:
        call: Optional[Call] = pages.first
        while call is not None:
            answer = await self._run(call)
            for item in answer[pages.items]:
                yield item
            call = pages.after(call, answer)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncRelay":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
