"""What every command shares: the consoles, exit codes, flag types, a progress step, reading
an area folder with its policy, and the parser classes whose help shows each default."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from placement.area import Area
from placement.files.errors import InputError
from placement.policy import Policy, PolicyError
from placement.scenarios.spec import MAX_SCALE  # one limit for scenario files and --scale

__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_OK",
    "HelpFormatter",
    "Parser",
    "UsageError",
    "err",
    "load_area_and_policy",
    "out",
    "scale_arg",
    "scope_of",
    "seed_arg",
    "step",
    "wrote",
]


EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """A bad flag value or argument (exit 2)."""


def seed_arg(text: str) -> int:
    """``--seed``: a whole number, 0 or more (argparse reports a bad one and exits 2)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{v} must be 0 or more")
    return v


def scale_arg(text: str) -> float:
    """``--scale``: a number greater than 0 and at most :data:`MAX_SCALE`."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v <= MAX_SCALE:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0 and at most {MAX_SCALE:g}")
    return v


@contextmanager
def step(label: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner on a terminal while a long step runs, then its time. Yields a function
    that says what the step is doing now (``"marginal value 3/20: ..."``): on the spinner
    line on a terminal, as a line of its own otherwise (a log shows the progress too)."""
    label = escape(label)  # it may hold a user's text (an LA, a scenario's name)
    t0 = time.perf_counter()
    with err.status(label, spinner="dots") as status:

        def doing(what: str) -> None:
            if err.is_terminal:
                status.update(f"{label}: {escape(what)}")
            else:
                err.print(f"[dim]  {escape(what)}[/dim]")

        yield doing
    err.print(f"[dim]{label}: {time.perf_counter() - t0:.2f} s[/dim]")


def wrote(paths: Sequence[Path]) -> str:
    return escape(f"wrote {', '.join(str(p) for p in paths)}")


def load_area_and_policy(area_dir: Path) -> tuple[Area, Policy]:
    from placement.files.area_reader import load_area
    from placement.files.policy_files import load_policy

    if not area_dir.is_dir():
        raise InputError(str(area_dir), None, None, "not a directory (an area is a folder)")
    loaded = load_area(area_dir)
    try:
        policy = load_policy(loaded.policy_overrides)
    except PolicyError as e:
        raise InputError("policy.toml", None, None, str(e)) from None
    return loaded.area, policy


def scope_of(args: argparse.Namespace) -> Any:
    return "from_scratch" if getattr(args, "from_scratch", False) else "moving"


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already gives it or there is
    none to give (a flag that is off, an option that is unset unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        d = action.default
        if (
            "default" in text
            or d is None
            or d is False
            or d == argparse.SUPPRESS
            or (not action.option_strings and action.nargs not in ("?", "*"))
        ):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose help shows defaults, as do the sub-command parsers it makes
    (``add_subparsers`` makes parsers of the class that calls it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
