"""Fixtures for the pages, tested in a real browser: the app served by uvicorn on a free port
(a fresh SQLite database, a generated area like Kent and a small second LA), Debian's Chromium
driven by Playwright, and axe-core (shipped by axe-playwright-python) for accessibility.

Chromium is a system package (``apt-get install chromium``: ``.ci/run`` installs it when it is
missing). These tests never skip themselves: without a browser they fail, naming what to install.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlmodel import Session, col, select

from placement.app import create_app
from placement.generate import generate_area
from placement.service.accounts.service import create_user
from placement.service.areas.service import store_area
from placement.service.children.models import ChildRow
from placement.service.security import Principal
from placement.service.settings import Settings
from tests.service.conftest import PASSWORD, TEST_SECRET, small_area

LA = "886"  # Kent
OTHER_LA = "212"  # Wandsworth
# WCAG 2.2 AA and everything below it, as axe-core tags its rules
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
_axe = Axe()
_names = itertools.count(1)
_without_js: weakref.WeakSet[Page] = weakref.WeakSet()


def chromium_path() -> str:
    """Debian's Chromium (or $PLACEMENT_CHROMIUM); a clear failure when there is none."""
    for cand in (os.environ.get("PLACEMENT_CHROMIUM"), "chromium", "chromium-browser"):
        found = shutil.which(cand) if cand else None
        if found:
            return found
    pytest.fail(
        "no Chromium for the browser tests: apt-get install -y chromium (as root), or set "
        "PLACEMENT_CHROMIUM to a Chromium binary; .ci/run installs it when missing",
        pytrace=False,
    )


@dataclass
class Site:
    """The running service: its address, app, the demo-like area and a way to make users."""

    url: str
    app: FastAPI
    area_id: int
    other_area_id: int

    def session(self) -> Session:
        return Session(self.app.state.ctx.engine, expire_on_commit=False)

    def children(self, area_id: int | None = None) -> list[str]:
        with self.session() as s:
            return list(
                s.exec(
                    select(ChildRow.child_id)
                    .where(ChildRow.area_id == (area_id or self.area_id))
                    .order_by(col(ChildRow.child_id))
                ).all()
            )

    def user(
        self, role: str, *, child_id: str | None = None, la: str = LA, area_id: int | None = None
    ) -> str:
        """A fresh user (password ``PASSWORD``): a family is given ``child_id`` of the area."""
        name = f"{role}{next(_names)}-{os.getpid()}"
        with self.session() as s:
            create_user(
                s,
                username=name,
                password=PASSWORD,
                role=role,
                la_code="" if role == "family" else la,
                area_id=(area_id or self.area_id) if role == "family" else None,
                child_id=child_id if role == "family" else None,
            )
        return name

    def path(self, p: str) -> str:
        return self.url + p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp: Path = tmp_path_factory.mktemp("site")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'pages.db'}",
        jwt_secret=TEST_SECRET,
        import_root=tmp / "imports",
    )
    app = create_app(settings)
    with Session(app.state.ctx.engine, expire_on_commit=False) as s:
        a = store_area(
            s,
            Principal(0, "setup", "planner", LA, None, None),
            area=generate_area("Kent", seed=7, scale=0.02),
            overrides={},
            name="Like Kent (2%)",
            source="generate:Kent:seed=7:scale=0.02",
            max_children=100_000,
        )
        b = store_area(
            s,
            Principal(0, "setup", "planner", OTHER_LA, None, None),
            area=small_area("wandsworth-test", OTHER_LA),
            overrides={},
            name="Wandsworth test",
            source="test",
            max_children=1000,
        )
        assert a.id is not None and b.id is not None
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", app, a.id, b.id)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.ctx.engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(
        executable_path=chromium_path(),
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    )
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def nojs_page(browser: Browser) -> Iterator[Page]:
    """A page with JavaScript turned off: every page must work without it."""
    ctx = browser.new_context(java_script_enabled=False, locale="en-GB")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    _without_js.add(page)
    yield page
    ctx.close()


def sign_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in with the keyboard only: type into the fields, Enter submits."""
    page.goto(site.path("/sign-in"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()


def tab_to(page: Page, name: str, *, limit: int = 200) -> None:
    """Move focus with Tab until the focused element's accessible text contains ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " const l = e.labels && e.labels.length ? e.labels[0].innerText : '';"
            " return [e.innerText, e.value, e.getAttribute('aria-label'), l].join(' ') }"
        )
        # whitespace collapsed: visually hidden text ("Add<span> Oak School</span>") is
        # positioned, so innerText puts it on a line of its own
        if " ".join(name.lower().split()) in " ".join(str(text).lower().split()):
            return
    raise AssertionError(f"could not reach {name!r} with the Tab key")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the current page (a page with JavaScript on:
    axe runs in the page, and on a page without JavaScript Playwright waits for ever)."""
    if page in _without_js:
        raise AssertionError("axe needs JavaScript: check this page in a `page`, not `nojs_page`")
    # A test may go on as soon as the top of a new page is there (its error summary, say)
    # while the rest of a long page is still arriving; axe on a half-parsed page sees the
    # last element parsed without its text. Check the whole page.
    # (polled from here: the pages' CSP forbids the eval a page-side wait_for_function uses)
    page.wait_for_load_state("load")
    for _ in range(200):
        if page.evaluate("() => document.readyState") == "complete":
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError(f"{page.url} had not finished loading after 10 s")
    res = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    out: list[dict[str, Any]] = res.response["violations"]
    return out


def assert_accessible(page: Page) -> None:
    bad = axe_violations(page)
    assert not bad, f"{page.url}: axe found " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in bad
    )
