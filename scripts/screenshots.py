"""Screenshots of the main pages for docs/ and the README, taken in Debian's Chromium on the
demo that ``placement serve`` makes (a synthetic area like Kent, 5%: no real child).

    .venv/bin/python scripts/screenshots.py [--out docs/img/pages]

It serves the app on a temporary SQLite database, waits for the demo's first run, makes one
officer decision for the demo family's child (so "The decision" has a letter) and a scenario
run for the planner, then signs in as each role and saves a PNG of each main page.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "asd-resourced-provision.toml"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(get: Any, done: Any, what: str, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        x = get()
        if done(x):
            return x
        time.sleep(0.5)
    raise SystemExit(f"{what} did not finish in {seconds:.0f} s")


def serve(tmp: Path) -> tuple[str, dict[str, str], Any]:
    from placement.app import create_app
    from placement.cli.service import demo_area_and_users, queue_demo_run
    from placement.service.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp / 'shots.db'}",
        jwt_secret="screenshots-only:" + "7f3a9c1e5b2d4f6a8c0e2b4d6f8a1c3e",
        import_root=tmp,
    )
    made = demo_area_and_users(settings)
    app = create_app(settings)
    queue_demo_run(app.state.ctx.engine, settings, app.state.ctx.jobs)
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    _wait(lambda: server.started, bool, "the server")
    return f"http://127.0.0.1:{port}", {name: pw for _, name, pw in made}, server


def prepare(base: str, pw: dict[str, str]) -> dict[str, Any]:
    """The first run done, one decision for the family's child, one scenario run."""

    def token(name: str) -> dict[str, str]:
        r = httpx.post(f"{base}/auth/token", data={"username": name, "password": pw[name]})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    off, plan, fam = token("officer"), token("planner"), token("family")
    me = httpx.get(f"{base}/me", headers=fam).json()
    area, child = me["area_id"], me["child_id"]
    _wait(
        lambda: httpx.get(f"{base}/areas/{area}/runs", headers=plan).json()["items"][0],
        lambda r: r["status"] in ("succeeded", "failed"),
        "the demo's first run",
    )
    lst = httpx.get(f"{base}/areas/{area}/children/{child}/list", headers=off).json()
    named = (lst.get("recommended") or {}).get("setting_id") or lst["options"][0]["setting_id"]
    r = httpx.post(
        f"{base}/areas/{area}/children/{child}/placements",
        json={"setting_id": named},
        headers=off,
    )
    r.raise_for_status()
    pid = r.json()["id"]
    httpx.post(f"{base}/placements/{pid}/consultation", headers=off).raise_for_status()
    d = httpx.post(
        f"{base}/placements/{pid}/decision",
        json={"outcome": "confirmed", "reason": "the area run's recommendation"},
        headers=off,
    )
    if d.status_code >= 400:
        print(f"the decision was refused: {d.status_code} {d.text}")
    s = httpx.post(
        f"{base}/areas/{area}/scenarios",
        json={"scenario": SCENARIO.read_text(), "marginal": False},
        headers=plan,
    )
    s.raise_for_status()
    sid = s.json()["id"]
    _wait(
        lambda: httpx.get(f"{base}/scenarios/{sid}", headers=plan).json(),
        lambda r: r["status"] in ("succeeded", "failed"),
        "the scenario",
    )
    return {"area": area, "child": child, "scenario": sid, "decision": d.status_code}


def shoot(page: Page, base: str, path: str, out: Path, name: str, full: bool = False) -> None:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    print(f"  {out / name}.png  <- {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "pages")
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.stderr.write("error: no chromium: apt-get install -y chromium\n")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="placement-shots-"))
    base, pw, server = serve(tmp)
    try:
        ids = prepare(base, pw)
        print(f"prepared: {ids}")
        area, child, sid = ids["area"], ids["child"], ids["scenario"]
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            for role, pages in (
                (
                    "family",
                    [
                        ("/family", "family-options", False),
                        ("/family/choices", "family-choices", False),
                        ("/family/decision", "family-decision", True),
                        ("/family/what-we-used", "family-what-we-used", False),
                    ],
                ),
                (
                    "officer",
                    [
                        (f"/officer/areas/{area}", "officer-worklist", False),
                        (f"/officer/areas/{area}/children/{child}", "officer-child", False),
                    ],
                ),
                (
                    "planner",
                    [
                        ("/planner", "planner-home", False),
                        (f"/planner/scenarios/{sid}", "planner-scenario-report", False),
                    ],
                ),
            ):
                ctx = browser.new_context(viewport={"width": 1100, "height": 900})
                page = ctx.new_page()
                if role == "family":
                    shoot(page, base, "/sign-in", args.out, "sign-in")
                page.goto(base + "/sign-in")
                page.get_by_label("Username").fill(role)
                page.get_by_label("Password").fill(pw[role])
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                for path, name, full in pages:
                    shoot(page, base, path, args.out, name, full)
                ctx.close()
            browser.close()
    finally:
        server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
