"""Passwords (Argon2 via pwdlib), tokens (JWT via PyJWT) and the caller's identity.

Roles: ``officer`` (their LA's children), ``family`` (their own child), ``planner`` (runs and
aggregates for their LA). A token names the user; the user row is read on every request, so a
disabled user's tokens stop working at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = [
    "ROLES",
    "Principal",
    "Role",
    "decode_token",
    "hash_password",
    "issue_token",
    "verify_password",
]

Role = Literal["officer", "family", "planner"]
ROLES: tuple[Role, ...] = ("officer", "family", "planner")
ALGORITHM = "HS256"

_hasher = PasswordHash((Argon2Hasher(),))
_DUMMY = _hasher.hash("not a real password: equalises timing for unknown users")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not the user exists."""
    if hashed is None:
        _hasher.verify(password, _DUMMY)
        return False
    try:
        return bool(_hasher.verify(password, hashed))
    except Exception:  # a malformed stored hash never authenticates
        return False


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    username: str
    role: Role
    la_code: str
    area_id: int | None  # family: their child's area
    child_id: str | None  # family: their child


def issue_token(user_id: int, role: str, secret: str, minutes: int) -> tuple[str, int]:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + dt.timedelta(minutes=minutes),
        "iss": "placement",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


def decode_token(token: str, secret: str) -> int | None:
    """The user id a valid token names, else None."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer="placement",
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        sub = claims.get("sub")
        return int(sub) if isinstance(sub, str) and sub.isdigit() and len(sub) < 12 else None
    except (jwt.PyJWTError, ValueError):
        return None
