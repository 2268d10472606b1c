"""Times are naive UTC datetimes in the store and ISO-8601 with Z on the wire."""
import datetime as dt

UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    """Now, to the millisecond: the precision the API shows times with, so a time a client
    reads back and sends as a bound compares equal to the stored one."""
    now = dt.datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


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
