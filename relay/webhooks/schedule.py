"""When to try a failed delivery again: exponential backoff with jitter for about three days,
or when the receiver says (Retry-After on 429 and 503)."""
import datetime as dt
import email.utils
import random

from relay.core.numbers import ascii_digits

RETRY_WINDOW = dt.timedelta(days=3)
FIRST_RETRY_S = 2.0
BACKOFF_FACTOR = 5.0
MAX_DELAY_S = 12 * 3600.0
MAX_RETRY_AFTER_S = 24 * 3600.0
JITTER = 0.2          # +-20%: receivers that failed together are not retried together


def backoff(failed_attempts: int) -> dt.timedelta:
    """Delay after the n-th failed attempt of a cycle: 2s, 10s, 50s, ~4m, ~21m, ~1.7h, ~8.7h,
    then 12h: about 15 tries in three days."""
    delay = min(FIRST_RETRY_S * BACKOFF_FACTOR ** (failed_attempts - 1), MAX_DELAY_S)
    return dt.timedelta(seconds=delay * random.uniform(1 - JITTER, 1 + JITTER))


def retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay, at least 1s, at most a day."""
    if not value:
        return None
    value = value.strip()
    seconds = ascii_digits(value)
    if seconds is None:
        try:
            when = email.utils.parsedate_to_datetime(value)
            if when.tzinfo is not None:
                when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError):   # past year 9999 with its offset
            return None
        seconds = (when - now).total_seconds()
    return dt.timedelta(seconds=min(max(seconds, 1.0), MAX_RETRY_AFTER_S))


def next_attempt(cycle_started: dt.datetime, failed_attempts: int, now: dt.datetime,
                 requested: dt.timedelta | None = None) -> dt.datetime | None:
    """When to try next, or None: the retry window of the cycle is over (the delivery is dead)."""
    due = now + (requested if requested is not None else backoff(failed_attempts))
    return due if due <= cycle_started + RETRY_WINDOW else None
