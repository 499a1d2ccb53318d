"""Login throttling (services/registry/throttle.py) and the bound on
concurrent password hashing (services/common/auth.py)."""
import time
from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from services.common import config as cfz_config
from services.common.auth import Passwords
from services.common.errors import Busy, RateLimited, Unauthorized
from services.common.storage import ensure_indexes
from services.registry import accounts, store, throttle

SECRET = "unit-test-secret-0123456789abcdefgh"
# now: the embedded store expires documents by its TTL index against the
# clock, so T0 is set when each test starts (set once at import, it was
# already past the windows when the whole suite reached these tests)
T0 = datetime.now(timezone.utc).replace(microsecond=0)
LIMITS = throttle.settings(cfz_config.DEFAULTS)


@pytest.fixture(autouse=True)
def now_is_t0():
    global T0
    T0 = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def db(database):
    ensure_indexes(database, store.INDEXES)
    return database


@pytest.fixture
def storage(db):
    return store.RegistryStore(db)


def attempt(username="officer", client="client-a", limits=LIMITS):
    return throttle.Attempt(SECRET, username, client, limits)


def fail(storage, n, at, **kw):
    for i in range(n):
        throttle.record_failure(storage, attempt(**kw), now=at)


def test_five_failures_lock_the_account_from_that_client_with_growing_lockouts(storage):
    fail(storage, 4, T0)
    throttle.check(storage, attempt(), now=T0)                 # four are free
    fail(storage, 1, T0)
    with pytest.raises(RateLimited) as locked:
        throttle.check(storage, attempt(), now=T0)
    assert locked.value.error_code == "LOGIN_LOCKED"
    assert locked.value.details["retry_after_seconds"] == 2
    throttle.check(storage, attempt(), now=T0 + timedelta(seconds=2))  # over
    fail(storage, 1, T0 + timedelta(seconds=2))
    with pytest.raises(RateLimited) as longer:
        throttle.check(storage, attempt(), now=T0 + timedelta(seconds=2))
    assert longer.value.details["retry_after_seconds"] == 4
    # another client is not locked out of the account by this one
    throttle.check(storage, attempt(client="client-b"), now=T0 + timedelta(seconds=2))


def test_lockouts_stop_at_their_caps():
    assert [throttle.lockout_seconds(n, 5, 2, 900) for n in (4, 5, 6, 9, 20, 10 ** 6)] == \
        [0, 2, 4, 32, 900, 900]


def test_failures_are_forgotten_after_a_quiet_window_computed_from_timestamps(storage):
    fail(storage, 5, T0)
    later = T0 + timedelta(seconds=LIMITS.window + 1)
    throttle.check(storage, attempt(), now=later)
    fail(storage, 1, later)
    throttle.check(storage, attempt(), now=later)              # counting from one again


def test_many_clients_lock_the_account_but_not_for_its_known_clients(storage):
    throttle.record_success(storage, attempt(client="office"), now=T0)
    for i in range(LIMITS.account_free):
        fail(storage, 1, T0, client="bot-{}".format(i))
    with pytest.raises(RateLimited) as locked:
        throttle.check(storage, attempt(client="bot-new"), now=T0)
    assert locked.value.details["retry_after_seconds"] <= LIMITS.account_cap
    throttle.check(storage, attempt(client="office"), now=T0)  # the officer's own office


def test_one_client_spraying_many_accounts_is_locked(storage):
    for i in range(LIMITS.client_free):
        fail(storage, 1, T0, username="user-{}".format(i))
    with pytest.raises(RateLimited):
        throttle.check(storage, attempt(username="someone-else"), now=T0)


def test_a_success_clears_the_accounts_counters_but_not_the_clients(db, storage):
    fail(storage, 4, T0)
    throttle.record_success(storage, attempt(), now=T0)
    fail(storage, 4, T0)
    throttle.check(storage, attempt(), now=T0)
    assert db.login_throttle.find_one({"_id": attempt().client.id})["failures"] == 8


def test_usernames_are_not_stored_in_the_clear(db, storage):
    fail(storage, 1, T0, username="my-secret-password-typed-here")
    assert "my-secret-password" not in repr(list(db.login_throttle.find()))


def test_authenticate_refuses_even_the_right_password_while_locked(storage):
    passwords = Passwords(time_cost=1, memory_kib=1024)
    accounts.ensure_admin(storage, passwords, "admin", "right-password-1")
    for _ in range(LIMITS.pair_free):
        with pytest.raises(Unauthorized):
            accounts.authenticate(storage, passwords, SECRET, 60, "admin", "wrong", "c", LIMITS)
    with pytest.raises(RateLimited):
        accounts.authenticate(storage, passwords, SECRET, 60, "admin", "right-password-1", "c",
                              LIMITS)
    # unknown usernames: the same answer and the same lockout
    for _ in range(LIMITS.pair_free):
        with pytest.raises(Unauthorized) as unknown:
            accounts.authenticate(storage, passwords, SECRET, 60, "nobody", "wrong", "c2", LIMITS)
        assert unknown.value.error_code == "INVALID_CREDENTIALS"
    with pytest.raises(RateLimited):
        accounts.authenticate(storage, passwords, SECRET, 60, "nobody", "wrong", "c2", LIMITS)


def test_unknown_usernames_take_as_long_as_wrong_passwords(storage):
    # a hash that dominates the lookups, so the comparison is of the hashing
    # (with an 8 ms hash, scheduling noise on a busy machine doubled one side)
    passwords = Passwords(time_cost=3, memory_kib=32768)
    accounts.ensure_admin(storage, passwords, "admin", "right-password-1")

    def timed(username):
        start = time.perf_counter()
        with pytest.raises(Unauthorized):
            accounts.authenticate(storage, passwords, SECRET, 60, username, "wrong-password")
        return time.perf_counter() - start
    timed("nobody")  # the dummy hash is made once
    known, unknown = [], []
    for i in range(7):  # interleaved, so a slow moment of the machine hits both
        known.append(timed("admin"))
        unknown.append(timed("nobody-{}".format(i)))
    assert 0.5 < sorted(unknown)[3] / sorted(known)[3] < 2


def test_hashes_beyond_the_bound_wait_briefly_then_are_refused():
    passwords = Passwords(time_cost=3, memory_kib=32768, concurrency=1, queue=1, wait=0.05)
    outcomes = []

    def one():
        try:
            passwords.hash("some password")
            outcomes.append("hashed")
        except Busy as exc:
            assert exc.status == 503 and exc.details["retry_after_seconds"] == 1
            outcomes.append("busy")
    threads = [eventlet.spawn(one) for _ in range(6)]
    for thread in threads:
        thread.wait()
    assert outcomes.count("hashed") >= 1 and outcomes.count("busy") >= 4, outcomes
