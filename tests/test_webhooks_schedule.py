"""The retry schedule (about three days of backoff with jitter, Retry-After honoured) and the
address policy, checked directly: waiting three days or reaching a private network is not a
test."""
import datetime as dt
import ipaddress
import random

import pytest

from relay.webhooks import schedule
from relay.webhooks.timetable import Timetable
from relay.core.networks import parse_networks
from relay.webhooks.addresses import AddressPolicy, GuardedResolver, RefusedAddress

START = dt.datetime(2026, 11, 26, 12, 0, 0)


def _tries_until_dead() -> list[dt.datetime]:
    tries, now, failed = [START], START, 0
    while True:
        failed += 1
        now = schedule.next_attempt(START, failed, now)
        if now is None:
            return tries
        tries.append(now)


def test_retries_back_off_for_about_three_days_then_stop():
    random.seed(7)
    for _ in range(20):
        tries = _tries_until_dead()
        gaps = [(b - a).total_seconds() for a, b in zip(tries, tries[1:])]
        assert 1.6 <= gaps[0] <= 2.4                    # 2s +-20%
        assert all(later > earlier for earlier, later in zip(gaps[:7], gaps[1:7]))
        assert max(gaps) <= 12 * 3600 * 1.2
        assert 12 <= len(tries) <= 18
        assert dt.timedelta(days=2.4) <= tries[-1] - START <= dt.timedelta(days=3)


def test_jitter_spreads_receivers_that_failed_together():
    assert len({schedule.backoff(3) for _ in range(20)}) > 15


@pytest.mark.parametrize("header, seconds", [
    ("120", 120), ("0", 1), ("999999", 86400), ("Thu, 26 Nov 2026 12:00:30 GMT", 30),
    ("Thu, 26 Nov 2026 11:00:00 GMT", 1), (None, None), ("soon", None), ("-5", None),
])
def test_retry_after_is_read_as_seconds_or_a_date(header, seconds):
    delay = schedule.retry_after(header, START)
    assert (delay.total_seconds() if delay else None) == seconds


def test_a_retry_after_past_the_window_ends_the_delivery():
    late = START + dt.timedelta(days=2, hours=23)
    assert schedule.next_attempt(START, 5, late, dt.timedelta(hours=2)) is None
    assert schedule.next_attempt(START, 5, late, dt.timedelta(minutes=30)) is not None


@pytest.mark.parametrize("address, allowed", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.31.255.255", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("100.127.255.254", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("::1", False), ("::", False), ("fd00:ec2::254", False),
    ("fe80::1", False), ("::ffff:10.0.0.1", False), ("::ffff:93.184.216.34", True),
    ("2002:7f00:1::", False), ("64:ff9b::a9fe:a9fe", False), ("ff02::1", False),
])
def test_only_public_unicast_addresses_are_allowed(address, allowed):
    assert AddressPolicy().allows(ipaddress.ip_address(address)) is allowed


def test_the_operator_can_allow_networks():
    policy = AddressPolicy(parse_networks(" 10.0.0.0/8, ::1/128 ,"))
    assert policy.allows(ipaddress.ip_address("10.2.3.4"))
    assert policy.allows(ipaddress.ip_address("::1"))
    assert not policy.allows(ipaddress.ip_address("127.0.0.1"))
    assert not policy.allows(ipaddress.ip_address("192.168.1.1"))
    with pytest.raises(ValueError, match="not-a-net"):
        parse_networks("10.0.0.0/8,not-a-net")


async def test_the_resolver_refuses_names_that_resolve_to_private_addresses():
    resolver = GuardedResolver(policy=AddressPolicy())
    try:
        with pytest.raises(RefusedAddress):
            await resolver.resolve("localhost", 80)
        with pytest.raises(RefusedAddress):
            await resolver.resolve("127.0.0.1", 80)
    finally:
        resolver.close()
    allowing = GuardedResolver(policy=AddressPolicy(parse_networks("127.0.0.0/8,::1/128")))
    try:
        assert await allowing.resolve("127.0.0.1", 80)
    finally:
        allowing.close()


def test_the_timetable_gives_ready_deliveries_oldest_first_and_parks_per_callback():
    timetable = Timetable()
    later = START + dt.timedelta(seconds=30)
    for when, delivery_id in ((later, "late"), (START, "first"),
                              (START + dt.timedelta(seconds=1), "second")):
        timetable.add(when, delivery_id)
    now = START + dt.timedelta(seconds=5)
    assert [timetable.pop_ready(now), timetable.pop_ready(now)] == ["first", "second"]
    assert timetable.pop_ready(now) is None
    assert timetable.seconds_until_next(now) == 25
    timetable.park("cb_1", "waiting_a")
    timetable.park("cb_1", "waiting_b")
    timetable.unpark("cb_2", now)                       # another callback's slot: nothing
    assert timetable.pop_ready(now) is None
    timetable.unpark("cb_1", now)
    assert timetable.pop_ready(now) == "waiting_a" and timetable.pop_ready(now) is None
    timetable.unpark("cb_1", now)
    timetable.unpark("cb_1", now)
    assert timetable.pop_ready(now) == "waiting_b" and timetable.pop_ready(now) is None
