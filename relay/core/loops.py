"""Running a function on an IOLoop's thread, from that thread or from any other."""
import asyncio


def call_on_loop(loop: asyncio.AbstractEventLoop | None, fn) -> None:
    """Runs fn now when called on loop's thread, else schedules it there; does nothing when
    the loop is gone (a service stopped after its loop ended has nothing left to stop)."""
    if loop is None or loop.is_closed():
        return
    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if on_loop:
        fn()
    else:
        loop.call_soon_threadsafe(fn)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop this thread runs, or None (the CLI's own Relay runs no services)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
