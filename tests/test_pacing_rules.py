"""The pacing rules on their own clock (relay/phones/pacing.py): the interval and its jitter,
the caps per hour and per day counted per SIM, holds, redeliveries and what the log gives back
at start-up; and the checks of a change to a phone's pacing."""
import hypothesis
import hypothesis.strategies as st
import pytest

from relay.core.errors import ApiError
from relay.phones.pacing import DAY, HOUR, Pacing, Rules, checked_changes


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def paced(rules: Rules, draw=lambda: 0.0):
    clock, holds = Clock(), []
    pacing = Pacing(lambda phone_id: rules, lambda phone_id, hold: holds.append(hold),
                    clock, draw)
    return pacing, clock, holds


def message(number: int, sim=None) -> dict:
    return {"message_id": f"msg_{number}", "sim": sim}


def hand_all(pacing, clock, messages, phone_id="p") -> list[float]:
    """Hands each message as soon as pacing lets it go; the clock times they went."""
    times = []
    for each in messages:
        delay = pacing.delay(phone_id, each)
        if delay is not None:
            clock.now += delay
            assert pacing.delay(phone_id, each) is None
        pacing.handed(phone_id, each)
        times.append(clock.now)
    return times


def test_no_rules_never_hold():
    pacing, clock, holds = paced(Rules())
    for n in range(100):
        assert pacing.delay("p", message(n)) is None
        pacing.handed("p", message(n))
    assert pacing.used("p") == {None: (100, 100)} and not holds


def test_the_interval_with_its_jitter_spaces_the_messages():
    draws = iter([0.5, 1.0, 0.0, 0.25, 0.0])
    pacing, clock, holds = paced(Rules(min_interval=2.0, jitter=1.0), lambda: next(draws))
    times = hand_all(pacing, clock, [message(n) for n in range(5)])
    gaps = [round(b - a, 6) for a, b in zip(times, times[1:])]
    assert gaps == [2.5, 3.0, 2.0, 2.25]
    assert not holds          # the interval is no cap: nothing to log


def test_an_hourly_cap_holds_the_next_until_the_oldest_leaves_the_hour():
    pacing, clock, holds = paced(Rules(per_hour=3))
    start = clock.now
    for n in range(3):
        assert pacing.delay("p", message(n)) is None
        pacing.handed("p", message(n))
        clock.now += 10
    assert pacing.delay("p", message(3)) == pytest.approx(start + HOUR - clock.now)
    hold = pacing.hold("p")
    assert hold.reason == "per_hour" and hold.until == start + HOUR and hold.sim is None
    assert holds == [hold]
    pacing.delay("p", message(3))       # asked again: the same hold, not logged again
    assert len(holds) == 1
    clock.now = start + HOUR
    assert pacing.delay("p", message(3)) is None and pacing.hold("p") is None


def test_a_daily_cap_outlasts_the_hour():
    pacing, clock, holds = paced(Rules(per_hour=5, per_day=2))
    start = clock.now
    hand_all(pacing, clock, [message(0), message(1)])
    clock.now += 2 * HOUR
    assert pacing.delay("p", message(2)) == pytest.approx(start + DAY - clock.now)
    assert pacing.hold("p").reason == "per_day"


def test_caps_count_per_sim():
    pacing, clock, holds = paced(Rules(per_hour=2))
    hand_all(pacing, clock, [message(0, 1), message(1, 1), message(2, 2), message(3, 2)])
    assert pacing.delay("p", message(4, None)) is None     # the default SIM has its own count
    assert pacing.delay("p", message(5, 1)) is not None
    assert pacing.hold("p").sim == 1
    assert pacing.used("p") == {1: (2, 2), 2: (2, 2)}


def test_a_message_handed_again_is_not_counted_again_nor_held():
    pacing, clock, holds = paced(Rules(min_interval=5, per_hour=1))
    pacing.handed("p", message(0))
    assert pacing.delay("p", message(0)) is None     # redelivered after a dropped connection
    pacing.handed("p", message(0))
    assert pacing.used("p") == {None: (1, 1)}
    assert pacing.hold("p", "msg_0") is None


def test_what_the_log_gives_back_counts_and_spaces():
    pacing, clock, holds = paced(Rules(min_interval=30, per_hour=2))
    pacing.load("p", None, "msg_a", clock.now - 2 * HOUR)       # outside the hour
    pacing.load("p", None, "msg_b", clock.now - 100)
    pacing.load("p", None, "msg_c", clock.now - 10)
    assert pacing.used("p") == {None: (2, 3)}
    assert pacing.delay("p", message(1)) == pytest.approx(HOUR - 100)
    pacing_interval, clock2, _ = paced(Rules(min_interval=30))
    pacing_interval.load("p", None, "msg_a", clock2.now - 10)
    assert pacing_interval.delay("p", message(1)) == pytest.approx(20)   # no burst


def test_a_day_later_nothing_is_remembered():
    pacing, clock, holds = paced(Rules(per_day=1))
    pacing.handed("p", message(0))
    clock.now += DAY + 1
    assert pacing.used("p") == {} and pacing.delay("p", message(1)) is None


def test_a_rule_relaxed_releases_at_once():
    rules = {"now": Rules(per_hour=1)}
    pacing = Pacing(lambda phone_id: rules["now"])
    pacing.handed("p", message(0))
    assert pacing.delay("p", message(1)) is not None
    rules["now"] = Rules(per_hour=2)
    assert pacing.delay("p", message(1)) is None


def test_own_values_override_the_defaults_one_by_one():
    defaults = Rules(min_interval=1.5, jitter=0.5, per_hour=10, per_day=100)
    own = {"min_interval_ms": 250, "jitter_ms": None, "per_hour": 0, "per_day": None}
    assert Rules.of(defaults, own) == Rules(0.25, 0.5, 0, 100)
    assert Rules.of(defaults, {}) == defaults
    assert Rules.own_shown(own) == {"min_interval_seconds": 0.25, "jitter_seconds": None,
                                    "per_hour": 0, "per_day": None}


def test_changes_are_checked_field_by_field():
    assert checked_changes({"min_interval_seconds": 0.5, "jitter_seconds": None,
                            "per_hour": 5}) == {"min_interval_ms": 500, "jitter_ms": None,
                                                "per_hour": 5}
    for body, field in [([], "pacing"), ({"per_minute": 1}, "per_minute"),
                        ({"per_hour": -1}, "per_hour"), ({"per_day": 1.5}, "per_day"),
                        ({"per_hour": True}, "per_hour"),
                        ({"min_interval_seconds": "1"}, "min_interval_seconds"),
                        ({"jitter_seconds": 86401}, "jitter_seconds")]:
        with pytest.raises(ApiError) as raised:
            checked_changes(body)
        assert raised.value.status == 400 and raised.value.field == field, body


_JSON = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
         | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=2),
                                                                 st.integers(), max_size=2))


@hypothesis.given(st.dictionaries(st.sampled_from(["min_interval_seconds", "jitter_seconds",
                                                   "per_hour", "per_day", "other"]), _JSON))
def test_any_json_is_a_change_or_a_400_naming_its_field(body):
    try:
        changes = checked_changes(body)
    except ApiError as error:
        assert error.status == 400 and error.field in body
    else:
        assert all(value is None or (isinstance(value, int) and value >= 0)
                   for value in changes.values())
