"""Rate limits (the ``limits`` library) and the cap on concurrent password hashing.

- **Sign-in** (``POST /auth/token``): failed attempts are counted per username and per client
  address, each against tiers such as ``5/minute;20/hour`` (a moving window each). A tier that
  is used up answers 429 with ``Retry-After`` before any password is hashed; the tiers are the
  back-off: after 5 failures a username waits out the minute, after 20 the hour. Successful
  sign-ins are not counted, so many people behind one address can still sign in. A username's
  passwords are checked one at a time, so its count is exact; a client's may run over by up
  to the number of hashes at once less one (checks from one address run in parallel).
- **Writes**: ``placement.service.deps.WriteLimitDep`` counts every state-changing request
  per user (one bucket for all the routes that use it) and answers 429 with ``Retry-After``
  beyond the tiers.
- **Hashing**: Argon2 takes about 64 MiB a hash; :class:`HashGate` lets at most N run at once
  and makes the others wait a bounded time, then answers 503 with ``Retry-After``.

Counts live in ``PLACEMENT_RATE_LIMIT_STORAGE``: ``memory://`` (one process; a restart clears
them) or ``redis://host:6379`` (needs ``pip install 'limits[redis]'``; shared by processes).
If the store cannot be reached the limited routes answer 503: they fail closed.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from placement.service.settings import Settings

__all__ = [
    "BusyError",
    "Guards",
    "HashGate",
    "RateLimits",
    "TooManyRequestsError",
    "client_address",
]


_T = TypeVar("_T")


class TooManyRequestsError(HTTPException):
    """429 with ``Retry-After`` (whole seconds)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(429, detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class BusyError(HTTPException):
    """503 with ``Retry-After``: try again shortly."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(503, detail, headers={"Retry-After": str(max(1, retry_after))})


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: run uvicorn with
    ``--forwarded-allow-ips`` so that this is the real client, not the proxy)."""
    return request.client.host if request.client else "unknown"


class RateLimits:
    """The service's rate limits over one ``limits`` storage (moving windows)."""

    TURN_STRIPES = 1024  # locks that usernames share by a stable hash (see ``username_turn``)

    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(settings.rate_limit_storage, wrap_exceptions=True)
        if not isinstance(storage, Storage):
            raise ValueError(
                f"PLACEMENT_RATE_LIMIT_STORAGE {settings.rate_limit_storage!r}: an async storage;"
                " give memory:// or redis://host:port"
            )
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.signin_username = parse_many(settings.signin_limit_username)
        self.signin_client = parse_many(settings.signin_limit_client)
        self.writes = parse_many(settings.write_limit)
        self._turns = tuple(threading.Lock() for _ in range(self.TURN_STRIPES))

    # -- sign-in ----------------------------------------------------------------------------

    def _signin_keys(
        self, username: str, client: str
    ) -> tuple[tuple[Sequence[RateLimitItem], tuple[str, ...]], ...]:
        return (
            (self.signin_username, ("signin", "user", username.casefold())),
            (self.signin_client, ("signin", "client", client)),
        )

    def check_signin(self, username: str, client: str) -> None:
        """429 if this username or this client has used up a tier of failed sign-ins."""
        waits = [
            self._wait(item, ids)
            for items, ids in self._signin_keys(username, client)
            for item in items
            if not self._call(self.limiter.test, item, ids)
        ]
        if waits:
            wait = max(waits)
            raise TooManyRequestsError(
                f"too many failed sign-ins for this user or from this address: "
                f"try again in {wait} s",
                wait,
            )

    @contextmanager
    def username_turn(self, username: str, wait_s: float) -> Iterator[None]:
        """One password check at a time per username (in this process), so that the check of
        the limit, the hash and the count of a failure are one step and a username gets
        exactly its tiers' attempts; waits at most ``wait_s``, then 503."""
        key = zlib.crc32(username.casefold().encode("utf-8")) % self.TURN_STRIPES
        lock = self._turns[key]
        if not lock.acquire(timeout=wait_s):
            raise BusyError("sign-ins for this user are being checked: try again in a moment", 2)
        try:
            yield
        finally:
            lock.release()

    def signin_failed(self, username: str, client: str) -> None:
        """Count one failed sign-in against the username and the client."""
        for items, ids in self._signin_keys(username, client):
            for item in items:
                self._call(self.limiter.hit, item, ids)

    # -- writes -----------------------------------------------------------------------------

    def write(self, user_id: int) -> None:
        """Count one write by this user; 429 beyond the write tiers."""
        ids = ("write", "user", str(user_id))
        waits = [
            self._wait(i, ids) for i in self.writes if not self._call(self.limiter.hit, i, ids)
        ]
        if waits:
            wait = max(waits)
            raise TooManyRequestsError(
                f"too many changes in a short time: try again in {wait} s", wait
            )

    # -- helpers ----------------------------------------------------------------------------

    def _wait(self, item: RateLimitItem, ids: tuple[str, ...]) -> int:
        """Whole seconds until this tier has room again (the moving window's oldest entry
        expires)."""
        reset = self._call(lambda i, *k: self.limiter.get_window_stats(i, *k).reset_time, item, ids)
        return max(1, math.ceil(reset - time.time()))

    @staticmethod
    def _call(fn: Callable[..., _T], item: RateLimitItem, ids: tuple[str, ...]) -> _T:
        try:
            return fn(item, *ids)
        except StorageError:
            raise BusyError("the rate-limit store cannot be reached", 5) from None


class HashGate:
    """At most ``slots`` password hashes at once; a caller waits at most ``wait_s``, then 503."""

    def __init__(self, slots: int, wait_s: float) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self._sem = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._sem.acquire(timeout=self.wait_s):
            raise BusyError("too many sign-ins at once: try again in a moment", 2)
        try:
            yield
        finally:
            self._sem.release()


class Guards:
    """What the app keeps for these checks (``Ctx.guards``)."""

    def __init__(self, settings: Settings) -> None:
        self.limits = RateLimits(settings)
        self.hashing = HashGate(settings.hash_concurrency, settings.hash_wait_s)
