"""Sign-in rate limits (per username, per client, with back-off), the per-user write limit and
the cap on concurrent password hashing. No sleeps: the limiter's clock is moved by hand."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import limits.storage.memory
import pytest
from fastapi.testclient import TestClient

from placement.service import guards, security
from placement.service.accounts import service as auth_routes
from placement.service.settings import Settings
from tests.service.conftest import PASSWORD, World, build_world


class FakeTime:
    """Stands in for the ``time`` module where the limiter and the guards read the clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime(1_900_000_000.0)
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(guards, "time", fake)
    return fake


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Any]:
    made: list[World] = []

    def make(**settings: Any) -> World:
        w = build_world(f"sqlite:///{tmp_path / f'w{len(made)}.db'}", tmp_path, **settings)
        made.append(w)
        return w

    yield make
    for w in made:
        w.app.state.ctx.jobs.shutdown()
        w.app.state.ctx.engine.dispose()


def _client(w: World, host: str) -> TestClient:
    return TestClient(w.app, client=(host, 50000))


def _sign_in(c: TestClient, username: str, password: str = "wrong password!") -> Any:
    return c.post("/auth/token", data={"username": username, "password": password})


def _assert_429(r: Any, most: int) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= most
    return wait


def test_defaults() -> None:
    s = Settings(database_url="sqlite://")
    assert s.rate_limit_storage == "memory://"
    assert s.signin_limit_username == "5/minute;20/hour"
    assert s.signin_limit_client == "20/minute;100/hour"
    assert s.hash_concurrency == 4
    assert s.token_minutes == 15


def test_a_bad_limit_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(database_url="sqlite://", signin_limit_username="five a minute")


def test_per_username_limit(make_world: Any, clock: FakeTime) -> None:
    w = make_world()
    a, b = _client(w, "10.0.0.1"), _client(w, "10.0.0.2")
    for _ in range(5):
        assert _sign_in(a, "officer").status_code == 401
    _assert_429(_sign_in(a, "officer"), 60)
    # locked for the username, whoever asks and even with the right password
    _assert_429(_sign_in(b, "officer"), 60)
    _assert_429(_sign_in(b, "officer", PASSWORD), 60)
    _assert_429(_sign_in(b, "OFFICER"), 60)  # usernames are counted case-blind
    # another username from the same client is not affected
    assert _sign_in(a, "planner", PASSWORD).status_code == 200
    # the minute passes: the username may try again
    clock.now += 61
    assert _sign_in(b, "officer", PASSWORD).status_code == 200


def test_per_client_limit(make_world: Any, clock: FakeTime) -> None:
    w = make_world()
    a, b = _client(w, "10.0.0.1"), _client(w, "10.0.0.2")
    for i in range(20):  # a different username each time: only the client limit applies
        assert _sign_in(a, f"guess{i}").status_code == 401
    _assert_429(_sign_in(a, "guess99"), 60)
    _assert_429(_sign_in(a, "officer", PASSWORD), 60)  # the address is blocked
    assert _sign_in(b, "officer", PASSWORD).status_code == 200  # others are not


def test_back_off_longer_after_more_failures(make_world: Any, clock: FakeTime) -> None:
    w = make_world(signin_limit_username="2/minute;3/hour")
    c = _client(w, "10.0.0.1")
    assert [_sign_in(c, "officer").status_code for _ in range(2)] == [401, 401]
    _assert_429(_sign_in(c, "officer"), 60)
    clock.now += 61
    assert _sign_in(c, "officer").status_code == 401  # the third of the hour
    wait = _assert_429(_sign_in(c, "officer"), 3600)
    assert wait > 3000  # now the hour's tier holds it
    clock.now += 61
    _assert_429(_sign_in(c, "officer"), 3600)
    clock.now += 3600
    assert _sign_in(c, "officer", PASSWORD).status_code == 200


def test_successful_sign_ins_are_not_counted(make_world: Any, clock: FakeTime) -> None:
    w = make_world(signin_limit_username="2/minute", signin_limit_client="3/minute")
    c = _client(w, "10.0.0.1")
    assert all(_sign_in(c, "officer", PASSWORD).status_code == 200 for _ in range(10))


def test_a_blocked_attempt_hashes_nothing(
    make_world: Any, clock: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(signin_limit_username="1/minute")
    c = _client(w, "10.0.0.1")
    assert _sign_in(c, "officer").status_code == 401
    calls: list[tuple[str, str | None]] = []

    def counting(password: str, hashed: str | None) -> bool:
        calls.append((password, hashed))
        return False

    monkeypatch.setattr(auth_routes, "verify_password", counting)
    for _ in range(5):
        _assert_429(_sign_in(c, "officer"), 60)
    assert calls == []


def test_limits_are_kept_in_the_configured_storage(make_world: Any, clock: FakeTime) -> None:
    w = make_world(signin_limit_username="1/minute")
    c = _client(w, "10.0.0.1")
    assert _sign_in(c, "officer").status_code == 401
    _assert_429(_sign_in(c, "officer"), 60)
    w.app.state.ctx.guards.limits.storage.reset()  # e.g. an operator clearing a shared store
    assert _sign_in(c, "officer", PASSWORD).status_code == 200


def test_an_unreachable_store_fails_closed(make_world: Any, clock: FakeTime) -> None:
    w = make_world(signin_limit_username="1/minute")

    def broken(*_a: object, **_k: object) -> bool:
        raise limits.errors.StorageError(ConnectionError("redis down"))

    w.app.state.ctx.guards.limits.limiter.test = broken
    r = _sign_in(_client(w, "10.0.0.1"), "officer", PASSWORD)
    assert r.status_code == 503
    assert int(r.headers["retry-after"]) >= 1


# -- the per-user write limit ------------------------------------------------------------------


def test_family_saving_requests_is_rate_limited(make_world: Any, clock: FakeTime) -> None:
    w = make_world(write_limit="3/minute")
    url = f"/areas/{w.area_id}/children/C01/requests"
    body = {"setting_ids": ["S1"]}
    codes = [w.client.put(url, json=body, headers=w.as_("family")).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = w.client.put(url, json=body, headers=w.as_("family"))
    _assert_429(r, 60)
    # per user: the officer (and any other user) still may
    assert w.client.put(url, json=body, headers=w.as_("officer")).status_code == 200
    other = f"/areas/{w.area_id}/children/C02/requests"
    assert w.client.put(other, json=body, headers=w.as_("family_other")).status_code == 200
    # reads are not limited
    assert w.client.get(url, headers=w.as_("family")).status_code == 200
    clock.now += 61
    assert w.client.put(url, json=body, headers=w.as_("family")).status_code == 200


# -- the cap on concurrent hashing -------------------------------------------------------------


def test_saturated_hashing_is_503_with_retry_after(make_world: Any) -> None:
    w = make_world(hash_concurrency=2, hash_wait_s=0.05)
    gate = w.app.state.ctx.guards.hashing
    assert gate._sem.acquire(timeout=1) and gate._sem.acquire(timeout=1)  # both slots busy
    try:
        r = _sign_in(w.client, "officer", PASSWORD)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1
    finally:
        gate._sem.release()
        gate._sem.release()
    assert _sign_in(w.client, "officer", PASSWORD).status_code == 200


class Overlap:
    """Wraps the password check: how many run at once at most (``peak``); with ``pair``, each
    waits for another to run alongside it (so a cap of 2 is reached, not only respected)."""

    def __init__(self, pair: bool) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.pair = threading.Barrier(2, timeout=10) if pair else None

    def __call__(self, password: str, hashed: str | None) -> bool:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            if self.pair is not None:
                self.pair.wait()
            return security.verify_password(password, hashed)
        finally:
            with self.lock:
                self.now -= 1


def test_no_more_than_the_cap_hash_at_once(
    make_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(hash_concurrency=2, hash_wait_s=30)
    users = sorted(w.tokens)  # six users: one thread each
    turns = {zlib.crc32(u.encode()) % guards.RateLimits.TURN_STRIPES for u in users}
    assert len(turns) == len(users)  # no two share a username lock (stable hash)
    overlap = Overlap(pair=True)
    monkeypatch.setattr(auth_routes, "verify_password", overlap)
    with ThreadPoolExecutor(len(users)) as pool:
        codes = list(pool.map(lambda u: _sign_in(w.client, u, PASSWORD).status_code, users))
    assert codes == [200] * len(users)
    assert overlap.peak == 2


def test_one_username_is_checked_one_attempt_at_a_time(
    make_world: Any, clock: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So the per-username count is exact even under concurrent guessing."""
    w = make_world(signin_limit_username="3/minute", hash_concurrency=4)
    overlap = Overlap(pair=False)
    monkeypatch.setattr(auth_routes, "verify_password", overlap)
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(lambda _: _sign_in(w.client, "officer").status_code, range(8)))
    assert codes == [401] * 3 + [429] * 5
    assert overlap.peak == 1
