"""The login limits as pure rules: delays that double and leak, who is a stranger, what is counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.domain import login_limits as limits
from boxoffice.domain.login_limits import ACCOUNT, ACCOUNT_FROM_ADDRESS, ADDRESS, Counter

NOW = datetime(2026, 7, 3, 18, 0, tzinfo=UTC)


def test_every_limit_is_declared_once_with_a_distinct_scope() -> None:
    assert limits.LIMITS == (ACCOUNT_FROM_ADDRESS, ADDRESS, ACCOUNT)
    assert len({lim.scope for lim in limits.LIMITS}) == 3
    assert all(len(lim.scope) <= 16 for lim in limits.LIMITS)  # the column's width
    assert limits.KEEP_FOR >= limits.TRUSTED_FOR
    assert len(limits.limits_text()) == 3


def test_the_delay_doubles_past_the_free_failures_up_to_its_ceiling() -> None:
    lim = ACCOUNT_FROM_ADDRESS
    delays = [lim.delay_after(n).total_seconds() for n in range(1, 16)]
    assert delays[:lim.free] == [0] * lim.free
    assert delays[lim.free:lim.free + 5] == [2, 4, 8, 16, 32]
    assert max(delays) == lim.max_delay.total_seconds() == delays[-1]
    assert lim.delay_after(10**9) == lim.max_delay  # no overflow however many


def test_failures_leak_away_one_per_interval() -> None:
    lim = ADDRESS
    assert lim.remaining(12, NOW, NOW) == 12
    assert lim.remaining(12, NOW - lim.leak_every * 3 - timedelta(seconds=1), NOW) == 9
    assert lim.remaining(2, NOW - lim.leak_every * 5, NOW) == 0
    assert lim.remaining(5, None, NOW) == 0


def test_after_a_failure_the_counter_says_how_long_the_next_attempt_waits() -> None:
    lim = ACCOUNT_FROM_ADDRESS
    counter = Counter()
    for _ in range(lim.free):
        counter = limits.after_failure(lim, counter, NOW)
        assert counter.blocked_until is None
    counter = limits.after_failure(lim, counter, NOW)
    assert (counter.failures, counter.blocked_until) == (lim.free + 1, NOW + lim.first_delay)


def test_the_longest_wait_is_the_one_said_and_strangers_get_more_of_them() -> None:
    counters = {
        ACCOUNT_FROM_ADDRESS: Counter(4, NOW, NOW + timedelta(seconds=2)),
        ADDRESS: Counter(30, NOW, NOW + timedelta(seconds=299.2)),
        ACCOUNT: Counter(),
    }
    refusal = limits.refusal(counters, trusted=False, now=NOW)
    assert refusal == limits.Refusal(ADDRESS, 300)
    # From the account's own address the address's count (other accounts' failures) does not apply.
    assert limits.refusal(counters, trusted=True, now=NOW) == limits.Refusal(ACCOUNT_FROM_ADDRESS, 2)
    assert limits.refusal(counters, trusted=True, now=NOW + timedelta(seconds=2)) is None
    assert limits.applying(True) == (ACCOUNT_FROM_ADDRESS,)
    assert limits.applying(False) == limits.LIMITS


@pytest.mark.parametrize(("address", "key"), [
    (None, "local"),
    ("", "local"),
    ("203.0.113.7", "203.0.113.7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ("testclient", "testclient"),
])
def test_addresses_are_counted_per_host_or_ipv6_network(address: str | None, key: str) -> None:
    assert limits.address_key(address) == key


def test_counters_keep_digests_not_addresses_or_emails() -> None:
    keys = limits.counter_keys(limits.account_key("ana@example.org", None), "203.0.113.7")
    assert set(keys) == set(limits.LIMITS)
    assert all(len(k) == 64 and "ana" not in k for k in keys.values())
    other_org = limits.counter_keys(limits.account_key("ana@example.org", "org-2"), "203.0.113.7")
    assert other_org[ADDRESS] == keys[ADDRESS]  # one address, whichever account it tries
    assert other_org[ACCOUNT] != keys[ACCOUNT] and other_org[ACCOUNT_FROM_ADDRESS] != keys[ACCOUNT_FROM_ADDRESS]
