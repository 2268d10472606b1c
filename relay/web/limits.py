"""Token buckets: per client key for requests, per client address for failed authentication.
Used on the IOLoop only, so no locking."""
import math
import time


class TokenBuckets:
    """`rate` tokens a second up to `burst`, one bucket per name; rate 0 means no limit."""

    MAX_BUCKETS = 100_000   # full buckets are forgotten first when there are more

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}   # name -> (tokens, at)

    def take(self, name: str) -> float:
        """Takes a token; returns 0 if there was one, else the seconds until there is."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        tokens, at = self._buckets.get(name, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[name] = (tokens - 1, now)
            if len(self._buckets) > self.MAX_BUCKETS:
                self._forget_full(now)
            return 0.0
        self._buckets[name] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full = [n for n, (t, at) in self._buckets.items()
                if t + (now - at) * self.rate >= self.burst]
        for name in full:
            del self._buckets[name]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
