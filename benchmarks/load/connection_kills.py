"""5xx under connection kills: the service on PostgreSQL while its database connections are
terminated (``pg_terminate_backend``) over and over, and clients keep making requests.

A request whose connection is killed under it cannot succeed; what matters is how it fails:
a 503 with ``Retry-After`` (the database is unavailable: try again) rather than a 500 (a bug).
The script seeds a small area in a schema of its own, starts the service (uvicorn, in a
subprocess) with its connections named ``placement-kills``, runs ``--clients`` threads of
officers reading tailored lists and child records and proposing placements for
``--seconds``, and meanwhile terminates every backend of that name each ``--kill-every``
seconds. It writes the counts to ``benchmarks/results/connection_kills.json`` under
``--label``. ``--pythonpath DIR`` serves another copy of the code (the code before a change:
``git archive HEAD src models | tar -x -C /tmp/before``, then ``--pythonpath
/tmp/before/src --label before``).

    python -m benchmarks.load.connection_kills [--seconds 30] [--clients 8] [--kill-every 0.25]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "connection_kills.json"
APP_NAME = "placement-kills"
PASSWORD = "kills-benchmark-password"

SEED = """
import json, sys
from sqlmodel import Session, col, select
from placement.generate import generate_area
from placement.service.accounts.service import create_user
from placement.service.areas.service import store_area
from placement.service.db import make_engine, migrate
from placement.service.areas.models import SettingRow
from placement.service.children.models import ChildRow
from placement.service.security import Principal
from placement.service.settings import Settings

engine = make_engine(Settings(database_url=sys.argv[1], jwt_secret="x" * 64))
migrate(engine)
area = generate_area("Kent", seed=1, scale=0.02)
with Session(engine, expire_on_commit=False) as s:
    row = store_area(
        s, Principal(0, "bench", "planner", "886", None, None), area=area, overrides={},
        name="kills: like Kent (2%)", source="generate:Kent", max_children=200_000,
    )
    create_user(s, username="officer", password=sys.argv[2], role="officer",
                         la_code="886")
    kids = s.exec(select(ChildRow.child_id).where(ChildRow.area_id == row.id)
                  .order_by(col(ChildRow.child_id)).limit(60)).all()
    sets = s.exec(select(SettingRow.setting_id).where(SettingRow.area_id == row.id)
                  .order_by(col(SettingRow.setting_id)).limit(20)).all()
print(json.dumps({"area_id": row.id, "children": list(kids), "settings": list(sets)}))
"""

SERVE = (
    "import sys, uvicorn\n"
    "from placement.app import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(pythonpath: str | None, extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = args.postgres
    schema = f"bench_kills_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    db = f"{base}{sep}options=-csearch_path%3D{schema}&application_name={APP_NAME}"
    tmp = Path(tempfile.mkdtemp(prefix="kills-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        seed = subprocess.run(
            [sys.executable, "-c", SEED, db, PASSWORD],
            env=_env(args.pythonpath, {}),
            check=True,
            capture_output=True,
            text=True,
        )
        world = json.loads(seed.stdout.strip().splitlines()[-1])
        port = _port()
        log = (tmp / "server.log").open("wb")
        env = {
            "PLACEMENT_DATABASE_URL": db,
            "PLACEMENT_JWT_SECRET": secrets.token_urlsafe(48),
            "PLACEMENT_IMPORT_ROOT": str(tmp / "imports"),
            "PLACEMENT_WRITE_LIMIT": "100000/minute",  # measure kills, not the rate limit
        }
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            env=_env(args.pythonpath, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"the server exited: {(tmp / 'server.log').read_text()}")
            time.sleep(0.1)
        tok = httpx.post(
            f"{url}/auth/token", data={"username": "officer", "password": PASSWORD}, timeout=30
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {tok}"}
        a = world["area_id"]
        first = world["children"][0]
        httpx.get(f"{url}/areas/{a}/children/{first}/list", headers=auth, timeout=120)
        return _load(args, url, auth, world, tmp)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _load(
    args: argparse.Namespace, url: str, auth: dict[str, str], world: dict[str, Any], tmp: Path
) -> dict[str, Any]:
    statuses: collections.Counter[str] = collections.Counter()
    retry_after = 0
    lock = threading.Lock()
    stop = threading.Event()
    kills = 0
    a = world["area_id"]

    def client(seed: int) -> None:
        nonlocal retry_after
        rng = random.Random(seed)
        with httpx.Client(base_url=url, headers=auth, timeout=60) as h:
            while not stop.is_set():
                cid = rng.choice(world["children"])
                roll = rng.random()
                try:
                    if roll < 0.7:
                        r = h.get(f"/areas/{a}/children/{cid}/list")
                    elif roll < 0.9:
                        r = h.get(f"/areas/{a}/children/{cid}")
                    else:
                        r = h.post(
                            f"/areas/{a}/children/{cid}/placements",
                            json={"setting_id": rng.choice(world["settings"])},
                        )
                    key = str(r.status_code)
                    has_retry = r.status_code == 503 and "retry-after" in r.headers
                except httpx.HTTPError as e:
                    key, has_retry = f"no answer ({type(e).__name__})", False
                with lock:
                    statuses[key] += 1
                    retry_after += has_retry

    def killer() -> None:
        nonlocal kills
        eng = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            while not stop.wait(args.kill_every):
                kills += c.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :n"
                    ),
                    {"n": APP_NAME},
                ).scalar_one()
        eng.dispose()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    threads.append(threading.Thread(target=killer))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    total = sum(statuses.values())
    five = sum(n for k, n in statuses.items() if k.startswith("5"))
    server_log = (tmp / "server.log").read_text(errors="replace")
    return {
        "label": args.label,
        "code": args.pythonpath or "working tree",
        "seconds": round(wall, 1),
        "clients": args.clients,
        "kill_every_s": args.kill_every,
        "backends_killed": kills,
        "requests": total,
        "status_5xx": five,
        "status_500": statuses.get("500", 0),
        "status_503": statuses.get("503", 0),
        "status_503_with_retry_after": retry_after,
        "by_status": dict(sorted(statuses.items())),
        "server_tracebacks": server_log.count("Traceback"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=30.0, help="load duration (default 30)")
    p.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    p.add_argument(
        "--kill-every", type=float, default=0.25, help="seconds between kills (default 0.25)"
    )
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "PLACEMENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL URL whose role may create schemas and terminate backends "
        "(default: PLACEMENT_TEST_POSTGRES_URL or the local test database)",
    )
    p.add_argument("--pythonpath", help="serve the code in this folder (default: this tree)")
    p.add_argument("--label", default="after", help="the results' key (default: after)")
    args = p.parse_args(argv)
    result = run(args)
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results[args.label] = result
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
