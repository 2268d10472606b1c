"""Waiting for what a relay does in the background: poll until it shows."""
import asyncio
import inspect
import time


async def eventually(check, timeout: float = 10, interval: float = 0.02,
                     what: str = "the condition"):
    """Polls check() until it gives a true value, and returns that value; check may return an
    awaitable (an async function, or a lambda calling one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(interval)
