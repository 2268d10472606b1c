"""Times are naive UTC datetimes in the store and ISO-8601 with Z on the wire."""
import datetime as dt

from relay.core.errors import bad_request
from relay.core.numbers import ascii_digits

UTC = dt.timezone.utc
MIN_YEAR, MAX_YEAR = 1970, 2200
MAX_DURATION = dt.timedelta(days=3650)


def utcnow() -> dt.datetime:
    """Now, to the millisecond: the precision the API shows times with, so a time a client
    reads back and sends as a bound compares equal to the stored one."""
    now = dt.datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def _from_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))


def has_offset(text: str) -> bool:
    """Whether an ISO-8601 time (one parse_iso takes) names its offset."""
    return _from_iso(text).tzinfo is not None


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO-8601 time; a value without an offset is taken as UTC. Anything else is a
    ValueError, a time whose offset moves it past year 1 or 9999 too (OverflowError)."""
    if not isinstance(text, str):
        raise ValueError(f"not an ISO-8601 time: {text!r}")
    try:
        value = _from_iso(text)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"out of range: {text!r}") from None
    return value


def time_field(name: str, value) -> dt.datetime:
    """A time a client, a phone or an import file gives, or a 400 naming its field. Years
    outside MIN_YEAR..MAX_YEAR are refused too: the store adds windows to the times it keeps
    (a reply window to an inbound event's), which must not overflow."""
    try:
        parsed = parse_iso(value)
    except ValueError:
        raise bad_request(name, f"'{name}' must be an ISO-8601 time") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise bad_request(name, f"'{name}' must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return parsed


def parse_duration(text: str) -> dt.timedelta:
    """'90s', '15m', '24h', '7d' -> timedelta, up to MAX_DURATION."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower() if isinstance(text, str) else ""
    count = ascii_digits(text[:-1]) if text[-1:] in units else None
    if count is None or count * units[text[-1]] > MAX_DURATION.total_seconds():
        raise ValueError(f"not a duration like 30s, 15m, 24h or 7d, up to "
                         f"{MAX_DURATION.days}d: {text!r}")
    return dt.timedelta(seconds=count * units[text[-1]])
