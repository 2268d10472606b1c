"""What an attempt came to, and when to try again after a transient failure."""
import dataclasses
import datetime as dt
import random

from relay.core import storable

MAX_DELAY_S = 900.0       # backoff stops growing at 15 minutes
JITTER = 0.2              # +-20%: messages that failed together are not retried together
MAX_ERROR = 500           # characters of an error kept in the log


@dataclasses.dataclass(frozen=True)
class Outcome:
    sent: bool
    error: str | None = None
    permanent: bool = False             # retrying cannot help (bad recipient, refused auth)
    retry_after: float | None = None    # seconds the server asked us to wait


SENT = Outcome(True)


def _logged(error: str) -> str:
    """The error as the attempts log keeps it. A server's answer can hold what is not text (a
    lone surrogate from a JSON escape, or from the bytes aiosmtplib decodes with
    surrogateescape): written as escapes, it can be stored."""
    return storable.escaped(error[:MAX_ERROR])


def transient(error: str, retry_after: float | None = None) -> Outcome:
    return Outcome(False, _logged(error), retry_after=retry_after)


def permanent(error: str) -> Outcome:
    return Outcome(False, _logged(error), permanent=True)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    max_age: dt.timedelta          # from the message's acceptance
    first_delay_s: float

    @classmethod
    def from_settings(cls, settings) -> "RetryPolicy":
        return cls(settings.send_max_attempts,
                   dt.timedelta(seconds=settings.send_max_age_seconds),
                   settings.send_retry_base_ms / 1000)

    def backoff(self, attempt: int) -> dt.timedelta:
        """Delay after the n-th failed attempt: first_delay, doubling, at most 15 minutes."""
        delay = min(self.first_delay_s * 2 ** (attempt - 1), MAX_DELAY_S)
        return dt.timedelta(seconds=delay * random.uniform(1 - JITTER, 1 + JITTER))

    def next_attempt(self, attempt: int, accepted_at: dt.datetime, now: dt.datetime,
                     retry_after: float | None) -> dt.datetime | None:
        """When to make attempt n+1 after attempt n failed transiently, or None when the
        attempts or the age are used up. A server's retry_after is honoured as given."""
        if attempt >= self.max_attempts:
            return None
        delay = (dt.timedelta(seconds=retry_after) if retry_after is not None
                 else self.backoff(attempt))
        due = now + delay
        return due if due <= accepted_at + self.max_age else None
