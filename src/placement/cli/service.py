"""``placement serve``, ``placement worker``,
``placement users create|disable|enable|reset-password|set-role`` and
``placement audit verify``. Passwords come from a prompt or stdin (``--password-stdin``), never
from the command line (where other users' ``ps`` and the shell history would see them).

Exit codes as the rest of the CLI: 0 ok, 1 failed (the audit chain is broken), 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from placement.service.accounts.models import User
from placement.service.children.models import ChildRow
from placement.service.errors import ServiceError
from placement.service.security import ROLES
from placement.service.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from placement.area import Area
    from placement.service.jobs import Jobs

__all__ = ["add_commands"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
DEMO_LA = "886"  # Kent


class _SettingsError(Exception):
    """The environment's settings are not valid: the message names each variable."""


def _settings(args: argparse.Namespace) -> Settings:
    from pydantic import ValidationError

    try:
        if getattr(args, "database_url", None):
            return Settings(database_url=args.database_url)
        return get_settings()
    except ValidationError as e:
        lines = []
        for err in e.errors():
            where = "".join(f"PLACEMENT_{str(x).upper()}" for x in err["loc"][:1])
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{where}: {msg}" if where else msg)
        raise _SettingsError("; ".join(lines)) from None


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command; settings the environment gets wrong are ``error: ...``, exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except _SettingsError as e:
            sys.stderr.write(f"error: {e}\n")
            return EXIT_INPUT

    return run


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from placement.service.db import make_engine, migrate_as_owner

    engine = make_engine(settings)
    migrate_as_owner(settings, engine)
    return engine


class _RefusePasswordArg(argparse.Action):
    """``--password X`` is refused with the way to do it instead (without it, argparse would
    take ``--password`` as short for ``--password-stdin``)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        parser.error(
            "--password: passwords are never taken from the command line (ps and the shell's"
            " history would show them): pipe it in with --password-stdin, or answer the prompt"
        )


class _InputError(Exception):
    """A bad flag or password: the message is printed after ``error:``, exit 2."""


def _read_password(args: argparse.Namespace, *, generate: bool) -> tuple[str, bool]:
    """The new password and whether it was generated (and so must be shown once): from stdin
    (``--password-stdin``: its first line), else a prompt on a terminal (asked twice), else a
    generated one if ``generate``."""
    from placement.service.accounts.service import check_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise _InputError("--password-stdin: stdin gave no password (one line expected)")
    elif generate and not getattr(args, "prompt", False):
        return secrets.token_urlsafe(12), True
    elif sys.stdin.isatty():
        password = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != password:
            raise _InputError("the two passwords differ")
    else:
        raise _InputError(
            "no terminal to ask for the password on: pipe it in with --password-stdin"
        )
    try:
        check_password(password)
    except ServiceError as e:
        raise _InputError(e.detail) from None
    return password, False


def _users_cmd(fn: Callable[[argparse.Namespace], str]) -> Callable[[argparse.Namespace], int]:
    """Run a users subcommand: print its message, or ``error: ...`` and exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            msg = fn(args)
        except (ServiceError, _InputError, _SettingsError) as e:
            sys.stderr.write(f"error: {e.detail if isinstance(e, ServiceError) else e}\n")
            return EXIT_INPUT
        sys.stdout.write(msg + "\n")
        return EXIT_OK

    return run


def _la_flag(args: argparse.Namespace) -> str | None:
    """``--la`` as the LA's three-digit code, checked against the 153 English LAs."""
    from placement.service.accounts.service import la_code_of

    return la_code_of(args.la) if args.la else None


@_users_cmd
def cmd_users_create(args: argparse.Namespace) -> str:
    from placement.service.accounts.service import create_user

    if args.role != "family" and not args.la:
        raise _InputError("--la is required for officers and planners")
    la = _la_flag(args)  # before the password prompt: a wrong code fails at once
    password, generated = _read_password(args, generate=True)
    engine = _engine(_settings(args))
    with Session(engine, expire_on_commit=False) as s:
        u = create_user(
            s,
            username=args.username,
            password=password,
            role=args.role,
            la_code=la or "",
            area_id=args.area,
            child_id=args.child,
        )
    shown = f" with password {password}" if generated else ""
    return f"created {u.role} {u.username} (LA {u.la_code}){shown}"


@_users_cmd
def cmd_users_disable(args: argparse.Namespace) -> str:
    from placement.service.accounts.service import disable_user

    with Session(_engine(_settings(args)), expire_on_commit=False) as s:
        u = disable_user(s, args.username)
    return f"disabled {u.username}: their tokens no longer work and they cannot sign in"


@_users_cmd
def cmd_users_enable(args: argparse.Namespace) -> str:
    from placement.service.accounts.service import enable_user

    with Session(_engine(_settings(args)), expire_on_commit=False) as s:
        u = enable_user(s, args.username)
    return f"enabled {u.username}: they can sign in again (tokens from before stay void)"


@_users_cmd
def cmd_users_reset_password(args: argparse.Namespace) -> str:
    from placement.service.accounts.service import reset_password

    password, generated = _read_password(args, generate=args.generate)
    with Session(_engine(_settings(args)), expire_on_commit=False) as s:
        u = reset_password(s, args.username, password)
    shown = f": new password {password}" if generated else ""
    return f"password of {u.username} reset; their tokens no longer work{shown}"


@_users_cmd
def cmd_users_set_role(args: argparse.Namespace) -> str:
    from placement.service.accounts.service import set_role

    la = _la_flag(args)
    with Session(_engine(_settings(args)), expire_on_commit=False) as s:
        u = set_role(s, args.username, args.role, la=la, area_id=args.area, child_id=args.child)
    where = f"area {u.area_id}, child {u.child_id}" if u.role == "family" else f"LA {u.la_code}"
    return f"{u.username} is now a {u.role} ({where}); their tokens no longer work"


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify an existing database's chain (never creating or migrating one), against the
    anchor if one is given (``--anchor``, else ``PLACEMENT_AUDIT_ANCHOR``); print the head."""
    from pathlib import Path

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from placement.service.anchor import AnchorError, read_anchor
    from placement.service.audit import chain
    from placement.service.db import make_engine

    settings = _settings(args)
    url = make_url(settings.database_url)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        sys.stderr.write(f"error: no database at {url.database or where}\n")
        return EXIT_INPUT
    anchor = None
    target = args.anchor or settings.audit_anchor
    if target:
        token = settings.audit_anchor_token
        try:
            head = read_anchor(
                target, token=token.get_secret_value() if token else None, missing_ok=False
            )
        except AnchorError as e:
            sys.stderr.write(f"error: {e}\n")
            return EXIT_INPUT
        if head is None:
            sys.stderr.write(f"error: the anchor {target} holds no head yet\n")
            return EXIT_INPUT
        anchor = (head.seq, head.hash)
    engine = make_engine(settings)
    try:
        if not inspect(engine).has_table("audit_head"):
            sys.stderr.write(f"error: {where} is not a placement database (no audit trail)\n")
            return EXIT_INPUT
        with Session(engine, expire_on_commit=False) as s:
            r = chain.verify(s, anchor=anchor)
    except SQLAlchemyError as e:
        sys.stderr.write(f"error: cannot read {where}: {type(e.__cause__ or e).__name__}\n")
        return EXIT_INPUT
    finally:
        engine.dispose()
    anchored = f"; matches the anchor at event {r.anchor_seq}" if anchor else ""
    if r.ok:
        sys.stdout.write(
            f"audit chain intact: {r.events} events, head {r.head_seq}{anchored}\n"
            f"head hash: {r.head_hash}\n"
        )
        return EXIT_OK
    sys.stdout.write(f"audit chain BROKEN at event {r.first_bad_seq}: {r.problem}\n")
    return EXIT_FAILED


def demo_area_and_users(settings: Settings) -> list[tuple[str, str, str]]:
    """An area and users on an empty database; returns (role, username, password) created."""
    from placement.service.accounts.service import create_user
    from placement.service.areas.service import store_area
    from placement.service.security import Principal

    engine = _engine(settings)
    with Session(engine, expire_on_commit=False) as s:
        if s.exec(select(User.id).limit(1)).first() is not None:
            return []
    try:
        from placement.generate import generate_area
    except ImportError:  # pragma: no cover - the generator is part of the package
        sys.stderr.write("no area generator: skipping the demo area\n")
        return []
    area = generate_area("Kent", seed=1, scale=0.05)
    who = Principal(0, "demo", "planner", DEMO_LA, None, None)
    made: list[tuple[str, str, str]] = []
    with Session(engine, expire_on_commit=False) as s:
        row = store_area(
            s,
            who,
            area=area,
            overrides={},
            name="Demo: like Kent (5%)",
            source="generate:Kent:seed=1:scale=0.05",
            max_children=settings.max_area_children,
        )
        child = (
            _demo_child(area)
            or s.exec(
                select(ChildRow.child_id)
                .where(ChildRow.area_id == row.id)
                .order_by(ChildRow.child_id)
            ).first()
        )
        for role, name, la in (
            ("officer", "officer", DEMO_LA),
            ("planner", "planner", DEMO_LA),
            ("officer", "officer-other-la", "212"),
            ("family", "family", DEMO_LA),
        ):
            pw = secrets.token_urlsafe(12)
            create_user(
                s,
                username=name,
                password=pw,
                role=role,
                la_code=la,
                area_id=row.id if role == "family" else None,
                child_id=child if role == "family" else None,
            )
            made.append((role, name, pw))
    return made


def _demo_child(area: Area) -> str | None:
    """The demo family's child: one being placed this round (a new plan, no current setting
    or about to change phase) whose family asked for two or more settings, so every family
    page has something to show."""
    for c in sorted(area.children, key=lambda c: c.child_id):
        moving = c.new_plan or c.current_setting_id is None or c.nc_year in (-1, 6, 11)
        if moving and len(c.preferences) >= 2:
            return c.child_id
    return None


def queue_demo_run(engine: Engine, settings: Settings, jobs: Jobs) -> None:
    """Queue the demo area's first allocation run, so the officer's worklist and the family's
    list show a run's outcome from the start."""
    from placement.service.areas.models import AreaRow
    from placement.service.runs.schemas import RunCreate
    from placement.service.runs.service import queue_run
    from placement.service.security import Principal

    with Session(engine, expire_on_commit=False) as s:
        area = s.exec(select(AreaRow).where(AreaRow.la_code == DEMO_LA)).first()
        if area is None:
            return
        queue_run(
            s,
            Principal(0, "demo", "planner", DEMO_LA, None, None),
            area,
            RunCreate(mechanism="optimised", seed=1, scope="moving"),
            jobs=jobs,
            max_queued=settings.max_queued_runs,
            limit=settings.run_time_limit_s,
        )


def _queue_refusal(settings: Settings, what: str) -> str | None:
    """Why the job queue cannot be used here (SQLite), or None."""
    from placement.service.db import needs_postgresql

    return needs_postgresql(settings.database_url, what)


def _where(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from placement.app import create_app
    from placement.service.settings import SecretError, jwt_secret

    settings = _settings(args)
    if args.workers < 1:
        sys.stderr.write(f"error: --workers {args.workers}: give 1 or more processes\n")
        return EXIT_INPUT
    jobs_mode = args.jobs or ("queue" if args.workers > 1 else settings.jobs)
    if args.workers > 1 and jobs_mode != "queue":
        sys.stderr.write(
            f"error: --workers {args.workers} --jobs in-process: several API processes cannot"
            " each run jobs on their own threads (each would fail the others' jobs when it"
            " starts); their jobs go on the queue (--jobs queue, the default with --workers)\n"
        )
        return EXIT_INPUT
    if jobs_mode == "queue":
        what = f"--workers {args.workers}" if args.workers > 1 else "--jobs queue"
        refused = _queue_refusal(settings, what)
        if refused:
            sys.stderr.write(f"error: {refused}\n")
            return EXIT_INPUT
    settings = settings.model_copy(update={"jobs": jobs_mode})
    try:
        jwt_secret(settings)  # refuse a weak or exposed secret before anything else
    except SecretError as e:
        sys.stderr.write(f"error: {e}\n")
        return EXIT_INPUT
    made: list[tuple[str, str, str]] = []
    if not args.no_demo:
        made = demo_area_and_users(settings)
        if made:
            sys.stdout.write("Demo area 1 (like Kent, 5%) and users (passwords shown once):\n")
            for role, name, pw in made:
                sys.stdout.write(f"  {role:8} {name:18} {pw}\n")
    base = f"http://{args.host}:{args.port}"
    if jobs_mode == "queue":
        sys.stdout.write(
            "Allocation and scenario jobs go on the queue in the database: run"
            " `placement worker` (one or more, here or on other machines) to run them\n"
        )
    if args.workers == 1:
        app = create_app(settings)
        if made:
            queue_demo_run(app.state.ctx.engine, settings, app.state.ctx.jobs)
        sys.stdout.write(f"Pages at {base}/ (sign in as a user above); API docs at {base}/docs\n")
        sys.stdout.flush()
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
        return EXIT_OK
    return _serve_processes(args, settings, made=bool(made), base=base)


def _serve_processes(args: argparse.Namespace, settings: Settings, *, made: bool, base: str) -> int:
    """``serve --workers N``: migrate once here, then N uvicorn processes, each its own
    ``create_app`` from the environment (placement.app.create_app_from_env) on one
    listening socket; jobs on the queue."""
    import os

    import uvicorn

    from placement.service.queue import QueueJobs

    engine = _engine(settings)  # the processes then find nothing to migrate
    try:
        if made:
            queue_demo_run(engine, settings, QueueJobs())
    finally:
        engine.dispose()
    # the processes read their settings from the environment: pass on what came as flags
    os.environ["PLACEMENT_DATABASE_URL"] = settings.database_url
    os.environ["PLACEMENT_JOBS"] = "queue"
    if settings.rate_limit_storage.startswith("memory://"):
        sys.stderr.write(
            f"warning: rate limits are counted in each of the {args.workers} processes"
            " (PLACEMENT_RATE_LIMIT_STORAGE=memory://), so a client may make up to"
            f" {args.workers} times as many failed sign-ins and writes as the limits say;"
            " share them with PLACEMENT_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379\n"
        )
    sys.stdout.write(
        f"{args.workers} API processes on {_where(settings)}. Pages at {base}/ ;"
        f" API docs at {base}/docs\n"
    )
    sys.stdout.flush()
    uvicorn.run(
        "placement.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Run allocation and scenario jobs from the queue (PostgreSQL) until stopped."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from placement.service.queue import run_worker

    settings = _settings(args)
    refused = _queue_refusal(settings, "placement worker")
    if refused:
        sys.stderr.write(f"error: {refused}\n")
        return EXIT_INPUT
    if args.concurrency < 1:
        sys.stderr.write(f"error: --concurrency {args.concurrency}: give 1 or more\n")
        return EXIT_INPUT
    try:
        engine = _engine(settings)
    except SQLAlchemyError as e:
        sys.stderr.write(
            f"error: cannot reach {_where(settings)}: {type(e.__cause__ or e).__name__}\n"
        )
        return EXIT_INPUT
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.stdout.write(
        f"Worker on {_where(settings)}: running allocation and scenario jobs from the queue"
        f" ({args.concurrency} at once); Ctrl+C or SIGTERM stops it after the job in hand\n"
    )
    sys.stdout.flush()
    try:
        run_worker(settings, engine, concurrency=args.concurrency)
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations (as the owner role: docs/service.md, "Deploying")."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    settings = _settings(args)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        _engine(settings).dispose()
    except SQLAlchemyError as e:
        sys.stderr.write(f"error: cannot migrate {where}: {type(e.__cause__ or e).__name__}\n")
        return EXIT_INPUT
    sys.stdout.write(f"{where}: migrated to the latest schema\n")
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve``, ``worker``, ``users``, ``audit`` and ``db`` to the CLI's subcommands."""
    _add_serve(sub)
    _add_users(sub)
    _add_audit_and_db(sub)


def _add_serve(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sv = sub.add_parser("serve", help="run the placement service (API docs at /docs)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on")
    sv.add_argument("--database-url", help="default: PLACEMENT_DATABASE_URL or ./var/placement.db")
    sv.add_argument("--no-demo", action="store_true", help="do not create a demo area and users")
    sv.add_argument(
        "--log-level", default="info", choices=["warning", "info", "debug"], help="server log level"
    )
    sv.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="API processes behind one database (more than 1 needs PostgreSQL; their jobs go on"
        " the queue, run by `placement worker`)",
    )
    sv.add_argument(
        "--jobs",
        choices=["in-process", "queue"],
        help="where allocation and scenario jobs run: this process's threads, or the queue in"
        " PostgreSQL that `placement worker` runs (default: PLACEMENT_JOBS, in-process; queue"
        " with --workers)",
    )
    sv.set_defaults(func=_guarded(cmd_serve))

    wk = sub.add_parser(
        "worker",
        help="run allocation and scenario jobs from the queue (PostgreSQL; for serve --workers N"
        " or --jobs queue)",
    )
    wk.add_argument("--database-url", help="default: PLACEMENT_DATABASE_URL (PostgreSQL)")
    wk.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="jobs at once in this process (solves are CPU-bound: prefer more worker processes)",
    )
    wk.add_argument(
        "--log-level", default="info", choices=["warning", "info", "debug"], help="log level"
    )
    wk.set_defaults(func=_guarded(cmd_worker))


ROLE_HELP = "officer: their LA's children; family: one child; planner: runs and aggregates"
LA_HELP = "the LA (officers, planners): a code such as 886 or E10000016, or a name"


def _user_parser(usub: Any, name: str, helptext: str) -> argparse.ArgumentParser:
    """A ``users`` action on one user (``--username``) in a database (``--database-url``)."""
    parser: argparse.ArgumentParser = usub.add_parser(name, help=helptext)
    parser.add_argument("--username", required=True, help="the user's sign-in name")
    return _with_database(parser)


def _user_scope(parser: argparse.ArgumentParser, la_help: str) -> None:
    """A user's role and what it covers: an LA, or a family's area and child."""
    parser.add_argument("--role", required=True, choices=list(ROLES), help=ROLE_HELP)
    parser.add_argument("--la", help=la_help)
    parser.add_argument("--area", type=int, help="area id (families)")
    parser.add_argument("--child", help="child id (families)")


def _add_users(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    usub = sub.add_parser("users", help="manage service users").add_subparsers(
        dest="users_command", metavar="ACTION", required=True
    )
    uc = _user_parser(usub, "create", "create a user (prints a generated password)")
    _user_scope(uc, LA_HELP)
    pw = uc.add_mutually_exclusive_group()
    pw.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin's first line (default: generate one, printed once)",
    )
    pw.add_argument("--prompt", action="store_true", help="ask for the password (twice)")
    uc.add_argument("--password", nargs="?", action=_RefusePasswordArg, help=argparse.SUPPRESS)
    uc.set_defaults(func=cmd_users_create)
    for name, helptext, func in (
        ("disable", "stop a user signing in and end their tokens", cmd_users_disable),
        ("enable", "let a disabled user sign in again (old tokens stay void)", cmd_users_enable),
    ):
        _user_parser(usub, name, helptext).set_defaults(func=func)
    ur = _user_parser(
        usub,
        "reset-password",
        "set a new password (asked twice on a terminal) and end the user's tokens",
    )
    pw = ur.add_mutually_exclusive_group()
    pw.add_argument("--password-stdin", action="store_true", help="read it from stdin's first line")
    pw.add_argument("--generate", action="store_true", help="generate one and print it once")
    ur.add_argument("--password", nargs="?", action=_RefusePasswordArg, help=argparse.SUPPRESS)
    ur.set_defaults(func=cmd_users_reset_password)
    ut = _user_parser(usub, "set-role", "change a user's role and scope; ends their tokens")
    _user_scope(ut, LA_HELP + " (default: the user's LA)")
    ut.set_defaults(func=cmd_users_set_role)


def _with_database(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--database-url", help="default: PLACEMENT_DATABASE_URL")
    return parser


def cmd_audit_decisions(args: argparse.Namespace) -> int:
    """Check every decision in a database against the rules (exit 1 on any finding)."""
    from sqlalchemy import inspect

    from placement.service.db import make_engine
    from placement.service.decisions.check import check_decisions

    settings = _settings(args)
    engine = make_engine(settings)
    try:
        if not inspect(engine).has_table("decision"):
            sys.stderr.write("error: no decisions table (not a placement database, or older)\n")
            return EXIT_INPUT
        with Session(engine, expire_on_commit=False) as s:
            n, found = check_decisions(s)
    finally:
        engine.dispose()
    for f in found:
        sys.stdout.write(f"{f}\n")
    sys.stdout.write(
        f"{n} decisions checked: "
        + (
            "every letter as issued, every refusal on a lawful ground\n"
            if not found
            else f"{len(found)} findings\n"
        )
    )
    return EXIT_FAILED if found else EXIT_OK


def _add_audit_and_db(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    asub = sub.add_parser("audit", help="the audit trail").add_subparsers(
        dest="audit_command", metavar="ACTION", required=True
    )
    verify_help = (
        "recompute the hash chain and print its head hash; exit 1 if it is broken, 2 if "
        "there is no such database"
    )
    av = _with_database(asub.add_parser("verify", help=verify_help))
    av.add_argument(
        "--anchor",
        metavar="FILE|URL",
        help="check the chain holds the head anchored here (default: PLACEMENT_AUDIT_ANCHOR, "
        "if set): a rewritten chain or an older backup fails",
    )
    av.set_defaults(func=_guarded(cmd_audit_verify))
    ad = _with_database(
        asub.add_parser(
            "decisions",
            help="check every decision: its letter as issued and in the audit trail, and every "
            "refusal on a ground the law allows with evidence that holds (exit 1 if not)",
        )
    )
    ad.set_defaults(func=_guarded(cmd_audit_decisions))

    dsub = sub.add_parser("db", help="the service's database").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    upgrade_help = (
        "apply the schema migrations, e.g. as the owner role before starting the service as "
        "a role without DDL rights"
    )
    _with_database(dsub.add_parser("upgrade", help=upgrade_help)).set_defaults(
        func=_guarded(cmd_db_upgrade)
    )
