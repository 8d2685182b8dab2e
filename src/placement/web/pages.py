"""Pages for people: server-rendered GOV.UK Frontend pages in the same app as the API.

Sign-in sets a session cookie holding the same short-lived signed token the API issues (HttpOnly,
SameSite=Lax, Secure over TLS), renewed as the person moves between pages, and revoked by
sign-out exactly as the API's logout revokes tokens. Every form is protected against
cross-site request forgery by ``asgi-csrf`` (a signed double-submit token in a hidden field;
API requests with a bearer token are not affected). The same rate limits and password-hashing
cap as the API apply to the sign-in form. Every page works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import pass_context
from markupsafe import Markup
from sqlmodel import Session, select
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Scope

from placement.html import environment
from placement.register import UnknownAreaError, resolve_la
from placement.service.accounts import service as accounts
from placement.service.accounts.models import User
from placement.service.accounts.service import principal_from_token
from placement.service.deps import CtxDep, SessionDep
from placement.service.errors import ServiceError
from placement.service.guards import client_address
from placement.service.security import Principal, issue_token

__all__ = [
    "BUSY",
    "JOB_TAGS",
    "PAGE_PREFIXES",
    "PageWho",
    "cap",
    "install_pages",
    "is_page_path",
    "job_refusal",
    "la_name",
    "page",
    "redirect",
    "router",
    "staff_page",
]

HERE = Path(__file__).parent
COOKIE = "placement_session"
SERVICE_NAME = "Find a school place (SEND)"
ROLE_WORDS = {"family": "a family", "officer": "a placement officer", "planner": "a planner"}
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)
# the paths that are pages (HTML, cookie sessions, CSRF-protected); everything else is the API
PAGE_PREFIXES = ("/sign-in", "/sign-out", "/family", "/officer", "/planner", "/accessibility")

env = environment(HERE / "templates")  # and the shared GOV.UK macros (placement.html)


@pass_context
def csrf_field(context: Any) -> Markup:
    """The form's CSRF token as a hidden field: ``{{ csrf_field() }}`` inside every form (in
    the page's template, where the request's token is in the context)."""
    token = context.get("csrftoken") or ""
    return Markup('<input type="hidden" name="csrftoken" value="%s">') % token


env.globals["csrf_field"] = csrf_field


def is_page_path(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)


def _csrftoken(request: Request) -> str:
    get = request.scope.get("csrftoken")
    return str(get()) if callable(get) else ""


def page(
    request: Request,
    template: str,
    *,
    title: str,
    who: Principal | None = None,
    status_code: int = 200,
    nav: list[dict[str, Any]] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page (``template`` extends base.html) with the service's frame."""
    html = env.get_template(template).render(
        request=request,
        title=title,
        who=who,
        service_name=SERVICE_NAME,
        role_words=ROLE_WORDS,
        csrftoken=_csrftoken(request),
        nav=nav if nav is not None else navigation(who, request.url.path),
        la_name=context.pop("la_name", None),
        errors=context.pop("errors", None),
        flash=context.pop("flash", None) or flash_of(request),
        **context,
    )
    resp = HTMLResponse(html, status_code=status_code)
    resp.headers["Content-Security-Policy"] = PAGE_CSP
    renew = getattr(request.state, "renew_session", None)
    if renew is not None:
        _set_cookie(resp, request, renew[0], renew[1])
    return resp


def staff_page(
    request: Request,
    who: Principal,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    nav_path: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page for LA staff (``template`` under the role's folder): their LA's name in the
    header; ``nav_path`` marks the navigation item of another address as current."""
    return page(
        request,
        f"{who.role}/{template}",
        title=title,
        who=who,
        status_code=status_code,
        nav=navigation(who, nav_path) if nav_path else None,
        la_name=la_name(who.la_code),
        **context,
    )


# a run's or scenario's status, as a GOV.UK tag: words and colour
JOB_TAGS: dict[str, tuple[str, str]] = {
    "queued": ("Waiting to start", "grey"),
    "running": ("Running", "blue"),
    "succeeded": ("Finished", "green"),
    "failed": ("Failed", "red"),
}


BUSY = "The service is busy with other runs: wait a minute, then try again"


def cap(s: str) -> str:
    """``s`` with its first letter in capitals."""
    return s[:1].upper() + s[1:]


def job_refusal(session: Session, e: ServiceError) -> str:
    """Why the service would not start a run or scenario, in words for the form (the
    transaction rolled back); a 403 or 404 is raised on as the page's own error."""
    session.rollback()
    if e.status in (403, 404):
        raise e
    return BUSY if e.status == 503 else cap(e.detail)


def la_name(code: str) -> str | None:
    """The LA's name for the page header (None for an unknown code)."""
    try:
        return resolve_la(code).la_name
    except UnknownAreaError:
        return None


def _flash_sig(request: Request, text: str) -> str:
    """The signature that lets ``text`` show as a success banner: a link someone else made,
    with words of their choosing in ``done``, shows no banner."""
    key = ("flash:" + request.app.state.ctx.secret).encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def flash_of(request: Request) -> str | None:
    """The success banner a redirect from this service asked for (signed), or None."""
    text = request.query_params.get("done")
    sig = request.query_params.get("sig", "")
    if text and hmac.compare_digest(sig, _flash_sig(request, text)):
        return text
    return None


def redirect(
    url: str, done: str | None = None, *, request: Request | None = None
) -> RedirectResponse:
    """A post/redirect/get answer; ``done`` shows as the next page's success banner (signed
    with the service's secret, so it needs the ``request``)."""
    if done:
        if request is None:
            raise TypeError("redirect(done=...) needs the request to sign the banner")
        url += (
            ("&" if "?" in url else "?")
            + "done="
            + quote(done)
            + "&sig="
            + _flash_sig(request, done)
        )
    return RedirectResponse(url, status_code=303)


NAV: dict[str, list[tuple[str, str]]] = {
    "family": [
        ("/family", "Your child's options"),
        ("/family/choices", "Your choices"),
        ("/family/decision", "The decision"),
        ("/family/what-we-used", "What we used"),
    ],
    "officer": [("/officer", "Worklist"), ("/officer/runs", "Runs"), ("/officer/panel", "Panel")],
    "planner": [("/planner", "Runs and scenarios")],
}


def navigation(who: Principal | None, path: str) -> list[dict[str, Any]]:
    if who is None:
        return []
    items = NAV.get(who.role, [])
    best = max((h for h, _ in items if path == h or path.startswith(h + "/")), key=len, default="")
    return [{"href": h, "text": t, "current": h == best} for h, t in items]


# -- the session --------------------------------------------------------------------------------


def _set_cookie(resp: Response, request: Request, token: str, seconds: int) -> None:
    resp.set_cookie(
        COOKIE,
        token,
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


class SignInNeededError(Exception):
    """A page needs a signed-in person: answered with a redirect to the sign-in page."""


def page_principal(request: Request, ctx: CtxDep, session: SessionDep) -> Principal:
    """The signed-in person from the session cookie (else a redirect to sign in). The
    cookie's token is renewed on each page so a session lasts while it is used."""
    token = request.cookies.get(COOKIE)
    who = principal_from_token(ctx, session, token) if token else None
    if who is None:
        raise SignInNeededError
    user = session.get(User, who.user_id)
    if user is not None:
        tok, seconds = issue_token(
            who.user_id,
            user.role,
            user.token_version,
            ctx.secret,
            ctx.settings.token_minutes,
            now=ctx.clock(),
        )
        request.state.renew_session = (tok, seconds)
        session.commit()
    return who


PageWho = Annotated[Principal, Depends(page_principal)]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: CtxDep, session: SessionDep) -> Response:
    token = request.cookies.get(COOKIE)
    who = principal_from_token(ctx, session, token) if token else None
    if who is None:
        return redirect("/sign-in")
    return redirect(f"/{who.role}")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> Response:
    return page(request, "sign_in.html", title="Sign in", username="")


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return page(
            request, "sign_in.html", title="Sign in", username=username, errors=errors,
            status_code=400,
        )  # fmt: skip
    try:
        tok, seconds = accounts.authenticate(
            ctx, session, username.strip(), password, client=client_address(request)
        )
    except ServiceError as e:
        msg = (
            "Enter a correct username and password"
            if e.status == 401
            else "Too many attempts: wait a few minutes, then try again"
            if e.status == 429
            else "The service is busy: try again in a moment"
        )
        return page(
            request, "sign_in.html", title="Sign in", username=username,
            errors={"username": msg}, status_code=e.status,
        )  # fmt: skip
    except StarletteHTTPException as e:
        msg = (
            "Too many attempts: wait a few minutes, then try again"
            if e.status_code == 429
            else "The service is busy: try again in a moment"
        )
        resp = page(
            request, "sign_in.html", title="Sign in", username=username,
            errors={"username": msg}, status_code=e.status_code,
        )  # fmt: skip
        if e.headers and "Retry-After" in e.headers:
            resp.headers["Retry-After"] = e.headers["Retry-After"]
        return resp
    user = session.exec(select(User).where(User.username == username.strip())).first()
    done = redirect(f"/{user.role}" if user is not None else "/")
    _set_cookie(done, request, tok, seconds)
    return done


@router.post("/sign-out")
def sign_out(request: Request, ctx: CtxDep, session: SessionDep) -> Response:
    """Sign out: the session's token and every other of the person's tokens are revoked."""
    token = request.cookies.get(COOKIE)
    who = principal_from_token(ctx, session, token) if token else None
    if who is not None:
        accounts.logout(session, who)
    resp = redirect("/sign-in", done="You have signed out", request=request)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request, ctx: CtxDep, session: SessionDep) -> Response:
    token = request.cookies.get(COOKIE)
    who = principal_from_token(ctx, session, token) if token else None
    return page(request, "accessibility.html", title="Accessibility statement", who=who)


# -- installing ------------------------------------------------------------------------------


class _Static(StaticFiles):
    """Static files, cacheable for an hour (the app's security headers leave them be)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        resp = await super().get_response(path, scope)
        resp.headers.setdefault("Cache-Control", "public, max-age=3600")
        return resp


def _html_errors(app: FastAPI) -> None:
    """On page paths, errors are pages (a sign-in redirect, "page not found", ...); on the
    API's paths the service's own problem+json handlers answer as before."""
    messages = {
        400: ("There is a problem", "Check the page and try again."),
        403: ("You cannot do this", "Your role does not allow this page."),
        404: ("Page not found", "If you typed the web address, check it is correct."),
        405: ("Page not found", "If you typed the web address, check it is correct."),
        409: ("This has changed", "Someone else changed this meanwhile: go back and try again."),
        422: ("There is a problem", "Check what you entered and try again."),
        429: ("Too many attempts", "Wait a few minutes, then try again."),
        503: ("Sorry, the service is unavailable", "Try again in a few minutes."),
    }
    handlers = app.exception_handlers

    def wrap(cls: type[Exception]) -> None:
        orig = handlers.get(cls)

        async def handle(request: Request, exc: Exception) -> Response:
            if not is_page_path(request.url.path) and not isinstance(exc, SignInNeededError):
                assert orig is not None
                out: Response = await _call(orig, request, exc)
                return out
            if isinstance(exc, SignInNeededError):
                return redirect("/sign-in")
            status = (
                exc.status
                if isinstance(exc, ServiceError)
                else exc.status_code
                if isinstance(exc, StarletteHTTPException)
                else 400
                if isinstance(exc, RequestValidationError)
                else 503
            )
            heading, text = messages.get(status, ("Sorry, there is a problem", "Try again later."))
            detail = exc.detail if isinstance(exc, ServiceError) else None
            resp = page(
                request, "error.html", title=heading, heading=heading, text=text,
                detail=detail, status_code=status,
            )  # fmt: skip
            if status in (429, 503):
                resp.headers["Retry-After"] = "30"
            return resp

        app.add_exception_handler(cls, handle)

    for cls in [*handlers, SignInNeededError]:
        if isinstance(cls, type) and issubclass(cls, Exception):
            wrap(cls)


async def _call(
    handler: Callable[[Request, Exception], Awaitable[Response] | Response],
    request: Request,
    exc: Exception,
) -> Response:
    out = handler(request, exc)
    if isinstance(out, Response):
        return out
    return await out


def _multipart_csrf() -> None:
    """asgi-csrf 0.11 reads a multipart form's token with ``FormParser(..., FileClass=...)``,
    which python-multipart no longer takes (a file upload was a 500). Its parser, taking
    that argument again: a file before the token is refused (403) as asgi-csrf means it to
    be; the token is found as the form's first field, as every form here puts it."""
    import inspect

    import asgi_csrf
    from python_multipart import FormParser

    if "FileClass" in inspect.signature(FormParser.__init__).parameters:
        return
    if getattr(asgi_csrf.FormParser, "_placement_compat", False):
        return

    def file_first(_: object) -> None:
        raise asgi_csrf.FileBeforeToken

    class CompatFormParser(FormParser):
        _placement_compat = True

        def __init__(
            self, content_type: str, on_field: Any, on_file: Any, *a: Any, **kw: Any
        ) -> None:
            kw.pop("FileClass", None)
            super().__init__(content_type, on_field, file_first, *a, **kw)

    asgi_csrf.FormParser = CompatFormParser


def csrf_protection(secret: str) -> Callable[[ASGIApp], ASGIApp]:
    """The pages' forms carry a signed double-submit token (asgi-csrf); the API (bearer
    tokens, no cookies) is not a page path and is left alone."""
    from asgi_csrf import asgi_csrf

    def wrap(inner: ASGIApp) -> ASGIApp:
        protected: ASGIApp = asgi_csrf(
            inner,
            signing_secret=secret or None,
            skip_if_scope=lambda scope: not is_page_path(str(scope.get("path", ""))),
            always_protect={"/sign-in"},
        )
        return protected

    return wrap


def install_pages(app: FastAPI) -> None:
    """Mount the static assets and every page router on ``app`` (after the API's handlers)."""
    from placement.web import family, officer, officer_decisions, officer_placements, planner

    _multipart_csrf()
    app.mount("/static", _Static(directory=HERE / "static"), name="static")
    routers = (
        router,
        family.router,
        officer.router,
        officer_placements.router,
        officer_decisions.router,
        planner.router,
    )
    for r in routers:
        app.include_router(r)
    _html_errors(app)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
