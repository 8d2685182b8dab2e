"""One family saving its requests every second while officers read tailored lists (issue 12,
"no rebuild storm"): officers' list throughput and latency with and without the saves.

    python -m benchmarks.load.family_saves [--scale 1.0] [--seconds 30] [--readers 4]

A Kent-sized area behind ``placement serve`` (SQLite), an allocation run, then two phases of
``--seconds`` each: officers reading lists of random children as fast as they can (``--readers``
threads, no think time), first alone, then while one family saves its ranked requests once a
second. Writes ``benchmarks/results/family_saves.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.load.run_load import _port, prepare

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "family_saves.json"


def _family(db: str, area_id: int, child_id: str, password: str) -> None:
    from sqlmodel import Session

    from placement.service.accounts.service import create_user
    from placement.service.db import make_engine
    from placement.service.settings import Settings

    engine = make_engine(Settings(database_url=db))
    with Session(engine) as s:
        create_user(
            s,
            username="family",
            password=password,
            role="family",
            la_code="",
            area_id=area_id,
            child_id=child_id,
        )
    engine.dispose()


def _phase(
    base: str, area: int, children: list[str], tokens: list[str], seconds: float,
    family: tuple[str, list[str]] | None,
) -> dict[str, float]:  # fmt: skip
    stop = time.perf_counter() + seconds
    lat: list[float] = []
    lock = threading.Lock()
    saves = [0]

    def reader(tok: str, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tok}"}) as c:
            while time.perf_counter() < stop:
                cid = rng.choice(children)
                t0 = time.perf_counter()
                r = c.get(f"/areas/{area}/children/{cid}/list", timeout=60)
                dt_ = time.perf_counter() - t0
                if r.status_code == 200:
                    with lock:
                        lat.append(dt_)

    def saver(tok: str, settings: list[str]) -> None:
        rng = random.Random(0)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tok}"}) as c:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                pick = rng.sample(settings, 2)
                r = c.put(
                    f"/areas/{area}/children/{children[0]}/requests",
                    json={"setting_ids": pick},
                    timeout=60,
                )
                if r.status_code == 200:
                    saves[0] += 1
                time.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))

    threads = [threading.Thread(target=reader, args=(tok, k)) for k, tok in enumerate(tokens)]
    if family is not None:
        threads.append(threading.Thread(target=saver, args=family))
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    lat.sort()
    return {
        "lists": len(lat),
        "lists_per_s": round(len(lat) / wall, 1),
        "p50_ms": round(1000 * statistics.median(lat), 1) if lat else 0.0,
        "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1) if lat else 0.0,
        "family_saves": saves[0],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--readers", type=int, default=4)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="placement-saves-"))
    db = f"sqlite:///{tmp / 'load.db'}"
    password = secrets.token_urlsafe(16)
    data = prepare(db, args.scale, password, officers=args.readers)
    children: list[str] = data["children"]  # type: ignore[assignment]
    area = int(data["area_id"])  # type: ignore[call-overload]
    _family(db, area, children[0], password)
    port = _port()
    base = f"http://127.0.0.1:{port}"
    secret = tmp / "secret"
    env = {
        **os.environ,
        "PLACEMENT_DATABASE_URL": db,
        "PLACEMENT_SECRET_FILE": str(secret),
        # the family's own write limit (30 a minute) would stop the saves after 30: lifted
        # here to measure what the saves cost everyone else
        "PLACEMENT_WRITE_LIMIT": "1000/minute",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "placement.cli", "serve", "--no-demo", "--port", str(port),
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        def token(user: str) -> str:
            r = httpx.post(f"{base}/auth/token", data={"username": user, "password": password})
            return str(r.json()["access_token"])

        plan = {"Authorization": f"Bearer {token('planner')}"}
        run = httpx.post(f"{base}/areas/{area}/runs", json={}, headers=plan).json()
        while run["status"] not in ("succeeded", "failed"):
            time.sleep(1)
            run = httpx.get(f"{base}/runs/{run['id']}", headers=plan).json()
        tokens = [token(n) for n in data["officers"]]  # type: ignore[attr-defined]
        httpx.get(  # build the lists' cache once
            f"{base}/areas/{area}/children/{children[0]}/list",
            headers={"Authorization": f"Bearer {tokens[0]}"},
            timeout=300,
        )
        quiet = _phase(base, area, children, tokens, args.seconds, None)
        settings: list[str] = data["settings"][:20]  # type: ignore[index]
        busy = _phase(base, area, children, tokens, args.seconds, (token("family"), settings))
    finally:
        server.terminate()
        server.wait(30)
    result = {
        "command": "python -m benchmarks.load.family_saves "
        f"--scale {args.scale} --seconds {args.seconds} --readers {args.readers}",
        "area": {"like": "Kent", "scale": args.scale, "children": len(children)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "officers_alone": quiet,
        "officers_while_a_family_saves_every_second": busy,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
