"""Times are naive UTC datetimes in the store and ISO-8601 with Z on the wire."""
import datetime as dt
import time

UTC = dt.timezone.utc


_EPOCH = dt.datetime(1970, 1, 1)
_this_millisecond = (0, _EPOCH)


def utcnow() -> dt.datetime:
    """Now, to the millisecond (the precision the API shows). Made once a millisecond: the
    send path asks on both the IOLoop and the writer thread, and now(UTC).replace(tzinfo=None)
    costs 0.9 us to this one's 0.16."""
    global _this_millisecond
    ms, known = time.time_ns() // 1_000_000, _this_millisecond   # one read: threads share it
    if ms != known[0]:
        known = _this_millisecond = (ms, _EPOCH + dt.timedelta(milliseconds=ms))
    return known[1]


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO-8601 time; a value without an offset is taken as UTC."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def parse_duration(text: str) -> dt.timedelta:
    """'90s', '15m', '24h', '7d' -> timedelta."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"not a duration like 30s, 15m, 24h or 7d: {text!r}")
    return dt.timedelta(seconds=int(text[:-1]) * units[text[-1]])
