"""Passwords (Argon2 via pwdlib), tokens (JWT via PyJWT) and the caller's identity.

Roles: ``officer`` (their LA's children), ``family`` (their own child), ``planner`` (runs and
aggregates for their LA). A token names the user and carries their token version (``ver``);
the user row is read on every request and the version must match, so disabling a user, a
logout, a password reset or a role change (each bumps the version) ends their tokens at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from placement.service.clock import utcnow

__all__ = [
    "ROLES",
    "Principal",
    "Role",
    "TokenClaims",
    "decode_token",
    "hash_password",
    "issue_token",
    "verify_password",
]

Role = Literal["officer", "family", "planner"]
ROLES: tuple[Role, ...] = ("officer", "family", "planner")
ALGORITHM = "HS256"
CLOCK_SKEW_S = 60  # a token issued up to a minute "in the future" is accepted

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


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says: whose it is and the user's token version when it was issued."""

    user_id: int
    version: int


def issue_token(
    user_id: int,
    role: str,
    version: int,
    secret: str,
    minutes: int,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, int]:
    """A signed access token for ``minutes``, carrying the user's token version (``ver``)."""
    now = now or utcnow()
    claims = {
        "sub": str(user_id),
        "role": role,
        "ver": version,
        "iat": now,
        "exp": now + dt.timedelta(minutes=minutes),
        "iss": "placement",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


def decode_token(token: str, secret: str, *, now: dt.datetime | None = None) -> TokenClaims | None:
    """The claims of a valid, unexpired token at ``now`` (default: the clock), else None.

    Expiry is checked here against ``now`` rather than by PyJWT, so that tests can move time.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer="placement",
            options={
                "require": ["exp", "iat", "sub", "iss", "ver"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except (jwt.PyJWTError, ValueError):
        return None
    sub = claims.get("sub")
    ver, exp, iat = (_int(claims.get(k)) for k in ("ver", "exp", "iat"))
    if not (isinstance(sub, str) and sub.isdigit() and len(sub) < 12):
        return None
    if ver is None or exp is None or iat is None:
        return None
    t = (now or utcnow()).timestamp()
    if t >= exp or iat > t + CLOCK_SKEW_S:
        return None
    return TokenClaims(int(sub), ver)


def _int(x: object) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) else None
