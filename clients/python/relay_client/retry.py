"""When to try a call again, and how long to wait first: exponential backoff with jitter on
connection errors, timeouts, 429 and 503 (a Retry-After header wins); never on other answers."""
from __future__ import annotations

import dataclasses
import email.utils
import random
import time
from typing import Optional

RETRY_STATUSES = frozenset({429, 503})


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """attempts counts the first try: 1 turns retrying off. The n-th retry waits between half
    and all of min(max_delay, base_delay * 2**(n-1)) seconds, so that clients that failed
    together do not come back together. A Retry-After longer than max_retry_after is not
    waited for: the error is raised with its retry_after."""
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self):
        if self.attempts < 1:
            raise ValueError("attempts counts the first try: at least 1")

    def delay(self, retry: int, retry_after: Optional[float] = None) -> Optional[float]:
        """Seconds to wait before retry number `retry` (1-based), or None: do not retry."""
        if retry >= self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


NO_RETRIES = RetryPolicy(attempts=1)


def policy_of(retry) -> RetryPolicy:
    """A client's retry argument: a RetryPolicy, True/None (the default policy) or False (off)."""
    if isinstance(retry, RetryPolicy):
        return retry
    if retry is False:
        return NO_RETRIES
    if retry is None or retry is True:
        return RetryPolicy()
    raise TypeError("retry must be a RetryPolicy, True or False")


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """A Retry-After header's wait: seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
