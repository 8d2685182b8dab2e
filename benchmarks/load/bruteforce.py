"""Brute-force sign-in against ``placement serve``: wrong passwords accepted per minute, with and
without the rate limits, and the memory of 40 concurrent sign-ins with and without the cap on
concurrent Argon2 hashes.

Each case starts the service with uvicorn on a free port against a temporary SQLite database
(one officer, production Argon2 cost) and, for ``--seconds``, has ``--workers`` clients post
wrong passwords as fast as the server answers. An attempt is *accepted* when the server checks
the password (401), not refused up front (429 rate limit, 503 hashing busy).

    python -m benchmarks.load.bruteforce [--seconds 60] [--workers 4]

Writes ``benchmarks/results/bruteforce.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "bruteforce.json"
NO_LIMIT = "1000000/minute"  # "before": the limits out of the way
USER = "officer"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _burst_users(n: int) -> list[str]:
    """``n`` usernames whose sign-ins can be checked at the same time (a username's checks
    take turns: ``RateLimits.username_turn``), so the burst measures the hashing cap."""
    from placement.service.guards import RateLimits

    names, stripes = [], set()
    for i in range(10 * n):
        name = f"staff{i}"
        stripe = zlib.crc32(name.encode()) % RateLimits.TURN_STRIPES
        if stripe not in stripes:
            names.append(name)
            stripes.add(stripe)
        if len(names) == n:
            break
    return names


def _prepare(db: str, password: str, users: list[str]) -> None:
    from sqlmodel import Session

    from placement.service.accounts.service import create_user
    from placement.service.db import make_engine, migrate
    from placement.service.settings import Settings

    engine = make_engine(Settings(database_url=db))
    migrate(engine)
    with Session(engine, expire_on_commit=False) as s:
        for name in users:
            create_user(s, username=name, password=password, role="officer", la_code="886")
    engine.dispose()


def _memory_kib(pid: int) -> dict[str, int]:
    """Resident and peak resident memory of ``pid`` (Linux /proc), KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


class Server:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = _port()
        self.base = f"http://127.0.0.1:{self.port}"
        db = f"sqlite:///{tmp / 'bf.db'}"
        full = {
            **os.environ,
            "PLACEMENT_DATABASE_URL": db,
            "PLACEMENT_SECRET_FILE": str(tmp / "secret"),
            **env,
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "placement.cli",
                "serve",
                "--no-demo",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=full,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(600):
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited at start-up")
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def hammer(base: str, seconds: float, workers: int, spray: bool) -> dict[str, Any]:
    """Wrong passwords from ``workers`` clients for ``seconds``: one username, or (``spray``)
    a new username each attempt."""
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    n = iter(range(10**9))

    def work() -> None:
        with httpx.Client(timeout=60) as c:
            while time.monotonic() < deadline:
                with lock:
                    i = next(n)
                user = f"guess{i}" if spray else USER
                r = c.post(
                    f"{base}/auth/token", data={"username": user, "password": f"wrong-{i:06d}"}
                )
                with lock:
                    codes[r.status_code] += 1

    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(work) for _ in range(workers)]:
            f.result()
    elapsed = time.monotonic() - t0
    accepted = sum(v for k, v in codes.items() if k not in (429, 503))
    return {
        "seconds": round(elapsed, 1),
        "attempts": sum(codes.values()),
        "status_counts": {str(k): v for k, v in sorted(codes.items())},
        "accepted": accepted,
        "accepted_per_minute": round(accepted * 60 / elapsed, 1),
    }


def burst(server: Server, password: str, users: list[str]) -> dict[str, Any]:
    """One sign-in (right password) by each of ``users`` at once: peak memory rise and wall
    time."""
    n = len(users)
    before = _memory_kib(server.proc.pid)
    gate = threading.Barrier(n)

    def one(name: str) -> int:
        with httpx.Client(timeout=120) as c:
            gate.wait()
            r = c.post(f"{server.base}/auth/token", data={"username": name, "password": password})
            return r.status_code

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        codes = Counter(pool.map(one, users))
    elapsed = time.monotonic() - t0
    after = _memory_kib(server.proc.pid)
    return {
        "sign_ins": n,
        "status_counts": {str(k): v for k, v in sorted(codes.items())},
        "seconds": round(elapsed, 2),
        "rss_before_mib": round(before["VmRSS"] / 1024),
        "peak_rss_after_mib": round(after["VmHWM"] / 1024),
        "peak_rise_mib": round((after["VmHWM"] - before["VmHWM"]) / 1024),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=60, help="per case (default 60)")
    ap.add_argument("--workers", type=int, default=4, help="concurrent clients (default 4)")
    args = ap.parse_args()
    password = secrets.token_urlsafe(16)
    no_limits = {
        "PLACEMENT_SIGNIN_LIMIT_USERNAME": NO_LIMIT,
        "PLACEMENT_SIGNIN_LIMIT_CLIENT": NO_LIMIT,
    }
    cases: list[tuple[str, dict[str, str], bool]] = [
        (
            "no rate limits (before), one username",
            {**no_limits, "PLACEMENT_HASH_CONCURRENCY": "64"},
            False,
        ),
        ("rate limits (defaults), one username", {}, False),
        ("rate limits (defaults), a new username each attempt", {}, True),
    ]
    results: dict[str, Any] = {
        "command": f"python -m benchmarks.load.bruteforce --seconds {args.seconds:g}"
        f" --workers {args.workers}",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
        "brute_force": {},
        "concurrent_sign_ins": {},
    }
    for name, env, spray in cases:
        with tempfile.TemporaryDirectory(prefix="placement-bf-") as d:
            _prepare(f"sqlite:///{Path(d) / 'bf.db'}", password, [USER])
            server = Server(Path(d), env)
            try:
                r = hammer(server.base, args.seconds, args.workers, spray)
            finally:
                server.stop()
        results["brute_force"][name] = r
        print(f"{name}: {r['accepted_per_minute']} accepted/min {r['status_counts']}", flush=True)
    users = _burst_users(40)
    for name, cap in (("no cap (40 hashes at once)", "40"), ("cap 4 (default)", "4")):
        with tempfile.TemporaryDirectory(prefix="placement-bf-") as d:
            _prepare(f"sqlite:///{Path(d) / 'bf.db'}", password, users)
            server = Server(
                Path(d), {"PLACEMENT_HASH_CONCURRENCY": cap, "PLACEMENT_HASH_WAIT_S": "30"}
            )
            try:
                r = burst(server, password, users)
            finally:
                server.stop()
        results["concurrent_sign_ins"][name] = r
        print(f"40 sign-ins, {name}: {r}", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
