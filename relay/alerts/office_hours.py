"""Office hours: the weekly hours, in one time zone, during which a rule's clock runs. A
deadline is the moment the rule's time has passed inside them; outside them the clock stops."""
import dataclasses
import datetime as dt
import zoneinfo

from relay.core.errors import bad_request

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")    # datetime.weekday() order
FIELDS = ("tz", "days", "start", "end")
UTC = dt.timezone.utc
DAY_MINUTES = 24 * 60


def _minutes(name: str, value, allow_end_of_day: bool) -> int:
    """'HH:MM' as minutes after midnight; '24:00' only as an end."""
    field = f"office_hours.{name}"
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":" or not (
            value[:2].isascii() and value[:2].isdigit() and value[3:].isascii()
            and value[3:].isdigit()):
        raise bad_request(field, f"'{field}' must be a time of day as HH:MM")
    minutes = int(value[:2]) * 60 + int(value[3:])
    if int(value[3:]) > 59 or minutes > DAY_MINUTES or (
            minutes == DAY_MINUTES and not allow_end_of_day):
        raise bad_request(field, f"'{field}' must be a time of day from 00:00 to "
                          f"{'24:00' if allow_end_of_day else '23:59'}")
    return minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclasses.dataclass(frozen=True)
class OfficeHours:
    tz: str
    days: tuple[int, ...]          # weekdays, Monday 0
    start: int                     # minutes after local midnight
    end: int                       # after start; 1440 is midnight at the day's end

    def describe(self) -> dict:
        return {"tz": self.tz, "days": [DAYS[d] for d in self.days],
                "start": _clock(self.start), "end": _clock(self.end)}

    def _utc(self, day: dt.date, minutes: int, zone) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    def deadline(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` of office time have passed since `start` (naive UTC). Ends,
        as every weekday listed has hours of its own."""
        zone = zoneinfo.ZoneInfo(self.tz)
        day = start.replace(tzinfo=UTC).astimezone(zone).date()
        left = dt.timedelta(seconds=seconds)
        while True:
            if day.weekday() in self.days:
                opens = max(self._utc(day, self.start, zone), start)
                span = self._utc(day, self.end, zone) - opens
                if span > dt.timedelta(0):
                    if left <= span:
                        return opens + left
                    left -= span
            day += dt.timedelta(days=1)


def office_hours(value, time_zones) -> OfficeHours | None:
    """A rule's office_hours: null (always), or {tz, days, start, end}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("office_hours", "'office_hours' must be an object with tz, days, "
                          "start and end, or null", "invalid_type")
    for name in value:
        if name not in FIELDS:
            raise bad_request(f"office_hours.{name}", f"unknown field 'office_hours.{name}'",
                              "unknown_field")
    tz = value.get("tz", "UTC")
    if not isinstance(tz, str) or tz not in time_zones:
        raise bad_request("office_hours.tz", "'office_hours.tz' must be an IANA time zone "
                          "such as Europe/Berlin")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise bad_request("office_hours.tz", f"the time zone {tz!r} is not known to this "
                          "relay's time zone data") from None
    days = value.get("days", list(DAYS[:5]))
    if not isinstance(days, list) or not days or not all(d in DAYS for d in days):
        raise bad_request("office_hours.days", "'office_hours.days' must be a non-empty list "
                          f"of {', '.join(DAYS)}")
    start = _minutes("start", value.get("start", "09:00"), allow_end_of_day=False)
    end = _minutes("end", value.get("end", "17:00"), allow_end_of_day=True)
    if end <= start:
        raise bad_request("office_hours.end", "'office_hours.end' must be after "
                          "'office_hours.start' (hours past midnight are not supported)")
    return OfficeHours(tz, tuple(sorted({DAYS.index(d) for d in days})), start, end)
