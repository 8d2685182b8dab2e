"""``placement serve``, ``placement users create`` and ``placement audit verify``.

Exit codes as the rest of the CLI: 0 ok, 1 failed (the audit chain is broken), 2 bad input.
"""

from __future__ import annotations

import argparse
import secrets
import sys

from sqlmodel import Session, select

from placement.service.errors import ServiceError
from placement.service.models import ChildRow, User
from placement.service.settings import Settings, get_settings

__all__ = ["add_commands"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
DEMO_LA = "886"  # Kent


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "database_url", None):
        return Settings(database_url=args.database_url)
    return get_settings()


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from placement.service.db import make_engine, migrate

    engine = make_engine(settings)
    migrate(engine)
    return engine


def cmd_users_create(args: argparse.Namespace) -> int:
    from placement.service import services

    if args.role != "family" and not args.la:
        sys.stderr.write("error: --la is required for officers and planners\n")
        return EXIT_INPUT
    engine = _engine(_settings(args))
    password = args.password or secrets.token_urlsafe(12)
    try:
        with Session(engine, expire_on_commit=False) as s:
            services.create_user(
                s,
                username=args.username,
                password=password,
                role=args.role,
                la_code=args.la or "",
                area_id=args.area,
                child_id=args.child,
            )
    except ServiceError as e:
        sys.stderr.write(f"error: {e.detail}\n")
        return EXIT_INPUT
    shown = "" if args.password else f" with password {password}"
    sys.stdout.write(f"created {args.role} {args.username}{shown}\n")
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from placement.service import audit

    engine = _engine(_settings(args))
    with Session(engine, expire_on_commit=False) as s:
        r = audit.verify(s)
    if r.ok:
        sys.stdout.write(f"audit chain intact: {r.events} events, head {r.head_seq}\n")
        return EXIT_OK
    sys.stdout.write(f"audit chain BROKEN at event {r.first_bad_seq}: {r.problem}\n")
    return EXIT_FAILED


def _demo(settings: Settings) -> list[tuple[str, str, str]]:
    """An area and users on an empty database; returns (role, username, password) created."""
    from placement.service import services
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
        row = services.store_area(
            s,
            who,
            area=area,
            overrides={},
            name="Demo: like Kent (5%)",
            source="generate:Kent:seed=1:scale=0.05",
            max_children=settings.max_area_children,
        )
        child = s.exec(
            select(ChildRow.child_id).where(ChildRow.area_id == row.id).order_by(ChildRow.child_id)
        ).first()
        for role, name, la in (
            ("officer", "officer", DEMO_LA),
            ("planner", "planner", DEMO_LA),
            ("officer", "officer-other-la", "212"),
            ("family", "family", DEMO_LA),
        ):
            pw = secrets.token_urlsafe(12)
            services.create_user(
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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from placement.service.app import create_app

    settings = _settings(args)
    if not args.no_demo:
        made = _demo(settings)
        if made:
            sys.stdout.write("Demo area 1 (like Kent, 5%) and users (passwords shown once):\n")
            for role, name, pw in made:
                sys.stdout.write(f"  {role:8} {name:18} {pw}\n")
    app = create_app(settings)
    sys.stdout.write(f"API docs at http://{args.host}:{args.port}/docs\n")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve``, ``users`` and ``audit`` to the CLI's subcommands."""
    sv = sub.add_parser("serve", help="run the placement service (API docs at /docs)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--database-url", help="default: PLACEMENT_DATABASE_URL or ./var/placement.db")
    sv.add_argument("--no-demo", action="store_true", help="do not create a demo area and users")
    sv.add_argument("--log-level", default="info", choices=["warning", "info", "debug"])
    sv.set_defaults(func=cmd_serve)

    us = sub.add_parser("users", help="manage service users")
    usub = us.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    uc = usub.add_parser("create", help="create a user (prints a generated password)")
    uc.add_argument("--username", required=True)
    uc.add_argument("--role", required=True, choices=["officer", "family", "planner"])
    uc.add_argument("--la", help="LA code, e.g. 886 (officers and planners)")
    uc.add_argument("--area", type=int, help="area id (families)")
    uc.add_argument("--child", help="child id (families)")
    uc.add_argument("--password", help="default: a generated one, printed once")
    uc.add_argument("--database-url")
    uc.set_defaults(func=cmd_users_create)

    au = sub.add_parser("audit", help="the audit trail")
    asub = au.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    av = asub.add_parser("verify", help="recompute the hash chain; exit 1 if it is broken")
    av.add_argument("--database-url")
    av.set_defaults(func=cmd_audit_verify)
