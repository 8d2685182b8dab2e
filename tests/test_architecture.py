"""The layers hold (docs/architecture.md): each module imports only from the layers below it,
the core imports no web framework, database or template library, no module imports another
module's private name, and no module or function outgrows the limits the project keeps.

Read from the source with :mod:`ast` (function-level imports included), so the rules cannot
be dodged by importing late."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "placement"

# the layers, bottom first; a module may import its own layer and the layers it lists
CORE = "core"
LAYERS: dict[str, frozenset[str]] = {
    CORE: frozenset({CORE}),
    "data": frozenset({CORE, "data"}),
    "generate": frozenset({CORE, "data", "generate"}),
    "files": frozenset({CORE, "data", "files"}),
    "scenarios": frozenset({CORE, "data", "generate", "files", "scenarios"}),
    "forecast": frozenset({CORE, "data", "forecast"}),
    "reports": frozenset({CORE, "data", "scenarios", "forecast", "reports"}),
    "service": frozenset(
        {CORE, "data", "generate", "files", "scenarios", "forecast", "reports", "service"}
    ),
    "web": frozenset(
        {CORE, "data", "generate", "files", "scenarios", "forecast", "reports", "service", "web"}
    ),
    "app": frozenset({"service", "web", "app"}),
    "cli": frozenset(
        {
            CORE,
            "data",
            "generate",
            "files",
            "scenarios",
            "forecast",
            "reports",
            "service",
            "app",
            "cli",
        }
    ),
}
# top-level packages and modules by layer; every other placement.X is core
PACKAGES = {
    "data": "data",
    "register": "data",
    "generate": "generate",
    "files": "files",
    "scenarios": "scenarios",
    "forecast": "forecast",
    "reports": "reports",
    "html": "reports",
    "service": "service",
    "web": "web",
    "app": "app",
    "cli": "cli",
}
# what the core must never import (it runs without a database or a web server)
NOT_IN_CORE = (
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "uvicorn",
    "psycopg",
    "procrastinate",
    "rich",
    "openpyxl",
)
# the service's API routes: the pages call the service functions, never these
ROUTE_MODULES = ("routes", "api")
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 100
GENERATED = ("placement.service.migrations",)  # Alembic's revisions: generated tables


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    line: int
    target: str  # the imported module, dotted
    names: tuple[str, ...]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return PACKAGES.get(parts[1], CORE) if len(parts) > 1 else CORE


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        if not name.startswith(GENERATED):
            yield name, path, ast.parse(path.read_text(), str(path))


def imports() -> Iterator[Import]:
    for name, path, tree in modules():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    yield Import(name, node.lineno, a.name, ())
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, target] if target else base)
                yield Import(name, node.lineno, target, tuple(a.name for a in node.names))


def _where(i: Import) -> str:
    return f"{i.module}:{i.line} imports {i.target}"


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = [
        f"{_where(i)} ({layer_of(i.module)} may not import {layer_of(i.target)})"
        for i in imports()
        if i.target.startswith("placement.")
        and layer_of(i.target) not in LAYERS[layer_of(i.module)]
    ]
    assert not wrong


def test_the_core_imports_no_web_framework_database_or_templates() -> None:
    wrong = [
        _where(i)
        for i in imports()
        if layer_of(i.module) == CORE and i.target.split(".")[0] in NOT_IN_CORE
    ]
    assert not wrong


def test_the_pages_call_service_functions_never_api_routes() -> None:
    wrong = [
        _where(i)
        for i in imports()
        if layer_of(i.module) == "web"
        and i.target.startswith("placement.service")
        and (i.target.split(".")[-1] in ROUTE_MODULES or any(n in ROUTE_MODULES for n in i.names))
    ]
    assert not wrong


def test_the_service_does_not_know_its_pages() -> None:
    wrong = [
        _where(i)
        for i in imports()
        if i.module.startswith("placement.service") and i.target.startswith("placement.web")
    ]
    assert not wrong


def test_no_module_imports_another_modules_private_name() -> None:
    wrong = [
        f"{_where(i)}: {n}"
        for i in imports()
        if i.target.startswith("placement")
        for n in i.names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not wrong


def test_no_module_over_the_line_limit() -> None:
    long = {
        name: n
        for name, path, _ in modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long


def test_no_function_over_the_line_limit() -> None:
    long = [
        f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for name, _, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("placement.problem", "placement.rules.age", True),  # core within core
        ("placement.problem", "placement.service.db", False),  # the core knows no service
        ("placement.service.api", "placement.web.pages", False),  # nor the service its pages
        ("placement.web.officer", "placement.service.children.service", True),
        ("placement.generate.build", "placement.register", True),
        ("placement.register", "placement.generate", False),  # the register is below
        ("placement.app", "placement.web", True),
        ("placement.files.gias", "placement.scenarios.run", False),
    ],
)
def test_the_rules_themselves(module: str, target: str, allowed: bool) -> None:
    assert (layer_of(target) in LAYERS[layer_of(module)]) is allowed
