"""Service settings from the environment (prefix ``PLACEMENT_``), built on demand, never at import.

The JWT signing secret is never in the code: it comes from ``PLACEMENT_JWT_SECRET`` or, when
that is unset, from ``secret_file`` (created on first start with 256 random bits, mode 0600).
A weak secret, or a file the group or others may read or write, stops the service starting.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from placement.service.clock import parse_now

__all__ = ["SecretError", "Settings", "get_settings", "jwt_secret", "secret_weakness"]


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PLACEMENT_", extra="forbid")

    database_url: str = "sqlite:///./var/placement.db"
    jwt_secret: SecretStr | None = None
    secret_file: Path = Path("./var/jwt-secret")
    token_minutes: int = Field(default=15, ge=1, le=24 * 60)  # access tokens are short-lived
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    run_workers: int = Field(default=1, ge=1, le=8)
    # where allocation and scenario jobs run: "in-process", a thread pool of run_workers in
    # the web process (the single-process default, SQLite or PostgreSQL); or "queue", a job
    # queue in the PostgreSQL database that `placement worker` processes take from (several
    # API processes: `placement serve --workers N`; placement.service.queue)
    jobs: Literal["in-process", "queue"] = "in-process"
    worker_heartbeat_s: float = Field(default=10.0, gt=0, le=600)  # a worker's "I am alive"
    # a job whose worker has sent no heartbeat for this long is taken back and run again, or
    # failed once it has had job_attempts tries
    worker_stalled_after_s: float = Field(default=60.0, gt=0, le=3600)
    job_attempts: int = Field(default=2, ge=1, le=5)
    run_time_limit_s: int = Field(default=300, ge=1, le=3600)
    max_queued_runs: int = Field(default=4, ge=1, le=100)  # allocation and scenario runs
    max_marginal: int = Field(default=20, ge=0, le=200)  # re-solves per scenario run
    max_area_children: int = Field(default=150_000, ge=1)
    import_root: Path = Path("./var/imports")
    cache_entries: int = Field(default=4, ge=1, le=64)
    cache_mb: int = Field(default=1024, ge=16, le=1 << 20)  # built lists' memory budget
    validate_runs: bool = True
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # operations (docs/service.md, "Deploying")
    db_lock_timeout_s: float = Field(default=30.0, gt=0, le=600)  # longer lock waits: 503
    # the owner role that runs migrations; the service then runs as database_url's role,
    # which needs no DDL or trigger rights. Unset: migrations run as database_url's role.
    migration_database_url: SecretStr | None = None
    # where the audit chain's head is written (a file path, or an http(s) URL that takes a
    # POST and answers a GET with the latest): after appends, at most every interval
    audit_anchor: str | None = None
    audit_anchor_interval_s: float = Field(default=5.0, gt=0, le=3600)
    audit_anchor_token: SecretStr | None = None  # bearer token for an http(s) anchor
    docs: bool = True  # /docs and /openapi.json; set PLACEMENT_DOCS=false in production
    # the service's clock set to this date (or date and time), time passing from there: a
    # demonstration or a rehearsal of a year; never set in production
    now: str | None = None
    # rate limits (placement.service.guards): a ``limits`` storage URI and tiers per key
    rate_limit_storage: str = "memory://"  # or redis://127.0.0.1:6379, shared by processes
    signin_limit_username: str = "5/minute;20/hour"  # failed sign-ins per username
    signin_limit_client: str = "20/minute;100/hour"  # failed sign-ins per client address
    write_limit: str = "30/minute;300/hour"  # state-changing requests per user
    hash_concurrency: int = Field(default=4, ge=1, le=64)  # Argon2 hashes at once (64 MiB each)
    hash_wait_s: float = Field(default=5.0, ge=0, le=60)  # then 503 with Retry-After

    @model_validator(mode="after")
    def _stall_after_heartbeats(self) -> Settings:
        if self.worker_stalled_after_s < 2 * self.worker_heartbeat_s:
            raise ValueError(
                f"PLACEMENT_WORKER_STALLED_AFTER_S ({self.worker_stalled_after_s:g}) must be"
                " at least twice PLACEMENT_WORKER_HEARTBEAT_S"
                f" ({self.worker_heartbeat_s:g}), or a live worker's job would be taken from it"
            )
        return self

    @field_validator("now")
    @classmethod
    def _a_date(cls, v: str | None) -> str | None:
        if v is not None:
            parse_now(v)  # a ValueError naming PLACEMENT_NOW
        return v

    @field_validator("signin_limit_username", "signin_limit_client", "write_limit")
    @classmethod
    def _limit_tiers(cls, v: str) -> str:
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError as e:
            raise ValueError(f"{v!r} is not a rate limit such as '5/minute;20/hour' ({e})") from e
        return v


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()


MAKE_ONE = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 128  # estimated from the characters' frequencies
MIN_SECRET_SYMBOLS = 8


class SecretError(ValueError):
    """The signing secret cannot be used; the message says what is wrong and how to fix it."""


def secret_weakness(value: str) -> str | None:
    """Why ``value`` is too weak to sign tokens with, or None: it needs 32 bytes or more and
    variety (8 different characters or more, and about 128 bits by the frequency of its
    characters; ``secrets.token_urlsafe(32)`` gives about 200)."""
    size = len(value.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        return f"is {size} bytes long; it needs at least {MIN_SECRET_BYTES}"
    counts = Counter(value)
    bits = max(0.0, -sum(c * math.log2(c / len(value)) for c in counts.values()))
    if len(counts) < MIN_SECRET_SYMBOLS or bits < MIN_SECRET_BITS:
        return (
            f"has too little variety ({len(counts)} different characters, about {bits:.0f}"
            f" bits; it needs at least {MIN_SECRET_SYMBOLS} and {MIN_SECRET_BITS})"
        )
    return None


def _file_problem(path: Path, st: os.stat_result) -> str | None:
    """Why the secret file may not be trusted (not a plain file, someone else's, or open to
    the group or others), or None."""
    if not stat.S_ISREG(st.st_mode):
        return f"secret file {path} is not a regular file: remove it"
    if os.name != "posix":  # pragma: no cover - mode bits mean nothing elsewhere
        return None
    if st.st_uid != os.geteuid():
        return (
            f"secret file {path} belongs to uid {st.st_uid}, not to the user running the"
            f" service (uid {os.geteuid()}): chown it to this user, then chmod 600 {path}"
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        who = [
            f"{what} by {whom}"
            for what, whom, bit in (
                ("readable", "the group", stat.S_IRGRP),
                ("writable", "the group", stat.S_IWGRP),
                ("readable", "others", stat.S_IROTH),
                ("writable", "others", stat.S_IWOTH),
            )
            if mode & bit
        ] or ["open to the group or others"]
        return (
            f"secret file {path} has mode {mode:04o}: it is {', '.join(who)}; only its owner"
            f" may read it: run `chmod 600 {path}`"
        )
    return None


def _create_secret_file(path: Path) -> None:
    """Write a new random secret to ``path`` (mode 0600), unless another process won."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        # another process may have made it first: theirs is read and checked like any other
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def jwt_secret(settings: Settings) -> str:
    """The signing secret: the configured one, else the stored one, else a new stored one
    (256 random bits, mode 0600). Raises :class:`SecretError` for a weak secret, or a file
    that is not the service user's alone."""
    if settings.jwt_secret is not None:
        value = settings.jwt_secret.get_secret_value()
        weak = secret_weakness(value)
        if weak:
            raise SecretError(f"PLACEMENT_JWT_SECRET {weak}: {MAKE_ONE}")
        return value
    path = settings.secret_file
    if not os.path.lexists(path):
        _create_secret_file(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise SecretError(f"secret file {path} cannot be read: {e.strerror}") from None
    problem = _file_problem(path, st)
    if problem:
        raise SecretError(problem)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretError(f"secret file {path} cannot be read: {e}") from None
    weak = secret_weakness(value)
    if weak:
        raise SecretError(
            f"the secret in {path} {weak}: delete the file to have a new one made at the next"
            f" start (tokens signed with the old one stop working), or write a strong one"
            f" ({MAKE_ONE})"
        )
    return value
