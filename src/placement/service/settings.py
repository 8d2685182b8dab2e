"""Service settings from the environment (prefix ``PLACEMENT_``), built on demand, never at import.

The JWT signing secret is never in the code: it comes from ``PLACEMENT_JWT_SECRET`` or, when
that is unset, from ``secret_file`` (created on first start with 256 random bits, mode 0600).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "jwt_secret"]


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PLACEMENT_", extra="forbid")

    database_url: str = "sqlite:///./var/placement.db"
    jwt_secret: SecretStr | None = None
    secret_file: Path = Path("./var/jwt-secret")
    token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    run_workers: int = Field(default=1, ge=1, le=8)
    run_time_limit_s: int = Field(default=300, ge=1, le=3600)
    max_queued_runs: int = Field(default=4, ge=1, le=100)  # allocation and scenario runs
    max_marginal: int = Field(default=20, ge=0, le=200)  # re-solves per scenario run
    max_area_children: int = Field(default=150_000, ge=1)
    import_root: Path = Path("./var/imports")
    cache_entries: int = Field(default=4, ge=1, le=64)
    validate_runs: bool = True
    db_pool_size: int = Field(default=10, ge=1, le=100)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()


def jwt_secret(settings: Settings) -> str:
    """The signing secret: the configured one, else the stored one, else a new stored one."""
    if settings.jwt_secret is not None:
        value = settings.jwt_secret.get_secret_value()
        if len(value) < 32:
            raise ValueError("PLACEMENT_JWT_SECRET must be at least 32 characters")
        return value
    path = settings.secret_file
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 32:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # fails if another process won the race: read theirs
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink()
    return value
