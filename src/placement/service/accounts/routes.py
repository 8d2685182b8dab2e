"""Sign-in (OAuth2 password flow), sign-out, the caller, and liveness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from sqlmodel import select

from placement.service.accounts import service
from placement.service.accounts.models import User
from placement.service.accounts.schemas import Me, Token
from placement.service.deps import CtxDep, PrincipalDep, SessionDep
from placement.service.guards import client_address

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
    tok, seconds = service.authenticate(
        ctx, session, username, password, client=client_address(request)
    )
    return Token(access_token=tok, expires_in=seconds)


@router.post("/auth/logout", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, who: PrincipalDep) -> Response:
    """End the caller's tokens: this one and any other they hold (all their sessions)."""
    service.logout(session, who)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", tags=["auth"])
def me(who: PrincipalDep) -> Me:
    return service.me(who)
