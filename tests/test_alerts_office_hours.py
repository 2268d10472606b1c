"""Office hours stop a rule's clock: the deadline is the moment the rule's minutes of office
time have passed, checked against examples and, for any hours, against counting minute by
minute."""
import datetime as dt
import zoneinfo

from hypothesis import given, settings, strategies as st

from relay.alerts.office_hours import DAYS, office_hours
from relay.analytics.filters import TIME_ZONES

BERLIN_WEEKDAYS = office_hours({"tz": "Europe/Berlin"}, TIME_ZONES)     # Mon-Fri 09-17


def test_a_friday_evening_message_is_due_on_monday_morning():
    friday_1659_berlin = dt.datetime(2026, 12, 4, 15, 59)          # UTC
    assert BERLIN_WEEKDAYS.deadline(friday_1659_berlin, 15 * 60) == dt.datetime(
        2026, 12, 7, 8, 14)                                         # Monday 09:14 Berlin


def test_a_message_before_opening_waits_for_it_and_summer_time_is_the_days_own():
    sunday_night = dt.datetime(2026, 3, 29, 1, 30)                  # the change to summer time
    assert BERLIN_WEEKDAYS.deadline(sunday_night, 60) == dt.datetime(2026, 3, 30, 7, 1)


def test_hours_to_midnight_and_budgets_longer_than_a_day():
    late = office_hours({"tz": "UTC", "days": ["sat"], "start": "22:00", "end": "24:00"},
                        TIME_ZONES)
    saturday_2330 = dt.datetime(2026, 12, 5, 23, 30)
    assert late.deadline(saturday_2330, 45 * 60) == dt.datetime(2026, 12, 12, 22, 15)


def _by_minutes(hours, start: dt.datetime, minutes: int) -> dt.datetime:
    """The reference: step a minute at a time, counting those inside the hours."""
    zone = zoneinfo.ZoneInfo(hours.tz)
    at = start
    while True:
        local = at.replace(tzinfo=dt.timezone.utc).astimezone(zone)
        inside = (local.weekday() in hours.days
                  and hours.start <= local.hour * 60 + local.minute < hours.end)
        at += dt.timedelta(minutes=1)
        if inside:
            minutes -= 1
            if minutes == 0:
                return at


@settings(max_examples=60, deadline=None)
@given(tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
       days=st.sets(st.sampled_from(DAYS), min_size=1),
       start=st.integers(0, 22), length=st.integers(1, 2),
       minutes=st.integers(1, 240),
       when=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1)))
def test_the_deadline_counts_only_office_minutes(tz, days, start, length, minutes, when):
    hours = office_hours({"tz": tz, "days": sorted(days), "start": f"{start:02d}:00",
                          "end": f"{start + length:02d}:00"}, TIME_ZONES)
    begin = when.replace(second=0, microsecond=0)
    assert hours.deadline(begin, minutes * 60) == _by_minutes(hours, begin, minutes)
