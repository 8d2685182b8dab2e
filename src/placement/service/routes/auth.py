"""Sign-in (OAuth2 password flow), the caller, and liveness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from sqlmodel import Session, select

from placement.service import accounts
from placement.service.deps import Ctx, CtxDep, PrincipalDep, SessionDep
from placement.service.errors import UnauthorisedError
from placement.service.guards import client_address
from placement.service.models import User
from placement.service.schemas import Me, Token
from placement.service.security import issue_token, verify_password

router = APIRouter()


@router.get("/health", tags=["service"])
def health(session: SessionDep) -> dict[str, str]:
    """Liveness: the process answers and the database can be read."""
    session.exec(select(User.id).limit(1)).first()
    return {"status": "ok"}


@router.post(
    "/auth/token",
    tags=["auth"],
    responses={
        429: {"description": "too many failed sign-ins for this username or address"},
        503: {"description": "too many sign-ins being checked at once"},
    },
)
def token(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> Token:
    """Exchange a username and password for a short-lived bearer token (OAuth2 password flow).

    Failed attempts are rate-limited per username and per client address (429 with
    Retry-After); at most a few passwords are checked at once (503 with Retry-After)."""
    tok, seconds = authenticate(request, ctx, session, username, password)
    return Token(access_token=tok, expires_in=seconds)


def authenticate(
    request: Request, ctx: Ctx, session: Session, username: str, password: str
) -> tuple[str, int]:
    """Check a username and password under the sign-in limits and the hashing cap, and issue
    a token (the API's and the pages' sign-in). Raises UnauthorisedError, or an HTTP 429/503
    with Retry-After."""
    limits, client = ctx.guards.limits, client_address(request)
    limits.check_signin(username, client)  # before waiting for a hashing slot
    user = session.exec(select(User).where(User.username == username)).first()
    session.commit()  # end the read transaction: no database work while the hash runs
    with (
        limits.username_turn(username, ctx.settings.hash_wait_s),
        ctx.guards.hashing.slot(),
    ):
        limits.check_signin(username, client)  # again: attempts may have failed meanwhile
        ok = verify_password(password, user.password_hash if user else None)
        if user is None or not ok or user.disabled or user.id is None:
            limits.signin_failed(username, client)
            raise UnauthorisedError("wrong username or password")
    return issue_token(
        user.id,
        user.role,
        user.token_version,
        ctx.secret,
        ctx.settings.token_minutes,
        now=ctx.clock(),
    )


@router.post("/auth/logout", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, who: PrincipalDep) -> Response:
    """End the caller's tokens: this one and any other they hold (all their sessions)."""
    accounts.logout(session, who)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", tags=["auth"])
def me(who: PrincipalDep) -> Me:
    return Me(
        username=who.username,
        role=who.role,
        la_code=who.la_code,
        area_id=who.area_id,
        child_id=who.child_id,
    )
