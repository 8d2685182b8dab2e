"""The ``placement`` command line: an adapter around the core and the service (no rules live
here).

Exit codes: 0 success; 1 the allocation failed validation or the solver failed; 2 bad input
(a file, a flag or an area name), with one message naming what is wrong and where.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.markup import escape

from placement.cli import areas, imports, planning
from placement.cli import service as service_commands
from placement.cli.common import EXIT_FAILED, EXIT_INPUT, Parser, UsageError, err
from placement.domain import DomainError
from placement.files.errors import InputError, OutputError
from placement.policy import PolicyError
from placement.register import UnknownAreaError
from placement.solve.optimised import SolverError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="placement",
        description="Tailored lists and area-wide placement matching for children with SEND.",
    )
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    areas.add_commands(sub)  # demo, generate, allocate, validate, list, explain
    planning.add_commands(sub)  # scenario run, dashboard, sweep
    imports.add_commands(sub)  # import gias, import sen2
    service_commands.add_commands(sub)  # serve, worker, users, audit (the service)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc: int = args.func(args)
        return rc
    except (InputError, OutputError, DomainError, PolicyError, UsageError, FileExistsError) as e:
        err.print(f"[red]error:[/red] {escape(str(e))}")  # it quotes the user's own text
        return EXIT_INPUT
    except UnknownAreaError as e:  # unknown LA name in generate/demo
        err.print(f"[red]error:[/red] {escape(str(e))}")
        return EXIT_INPUT
    except SolverError as e:
        err.print(f"[red]error:[/red] the solver failed: {escape(str(e))}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
