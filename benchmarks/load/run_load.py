"""``make load``: a Kent-sized area behind ``placement serve``, Locust headless against it.

Each run is one configuration, stored under its label in ``benchmarks/results/load.json``
(other labels' figures are kept, so single-process and multi-process runs sit side by side):
requests per second and p50/p95/p99 for tailored lists, page views, sign-ins and all requests
together, the same per request name (Locust's), failures, the p95 targets for tailored lists
(200 ms) and pages (300 ms), the machine's load average before the run and where its CPU went
during it (the service's processes, PostgreSQL, Locust, anything else).

    python -m benchmarks.load.run_load [--users 50] [--seconds 60] [--scale 1.0]
        [--database-url URL] [--workers N] [--think-time 0 | 1-3] [--sign-in-share 0.1]
        [--label NAME]

The default (``make load``) is the issue 13 run: SQLite, one process, 1-3 s of think time,
nobody signing in. Issue 15's throughput goal (item 7) is ``--think-time 0 --sign-in-share
0.1`` on PostgreSQL with ``--workers 1``, ``2`` or ``3``:

    python -m benchmarks.load.run_load --think-time 0 --sign-in-share 0.1 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --workers 2

``--database-url`` names a PostgreSQL server and a database to connect to; the run makes a
fresh database beside it (``load_<random>``) and drops it afterwards (``--keep-db`` keeps
it). With ``--workers N`` above 1 the API runs as ``placement serve --workers N`` (jobs on the
queue) and a ``placement worker`` runs the allocation before the load starts; it is stopped
before the load, so that the API processes have the cores. Write rate limits are lifted for
the run (``PLACEMENT_WRITE_LIMIT``): confirmers with no think time would otherwise measure
the limiter's 429s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "load.json"
TARGET_P95_MS = 200
PAGES_TARGET_P95_MS = 300  # issue 13: page views at 50 users
WEIGHTS = {"ListReader": 45, "Confirmer": 5, "FamilyPages": 10, "OfficerPages": 10}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(
    db: str,
    scale: float,
    password: str,
    officers: int,
    families_n: int = 20,
    signin_n: int = 0,
) -> dict[str, object]:
    from sqlmodel import Session, col, select

    from placement.generate import generate_area
    from placement.service.accounts.service import create_user
    from placement.service.areas.models import SettingRow
    from placement.service.areas.service import store_area
    from placement.service.children.models import ChildRow
    from placement.service.db import make_engine, migrate
    from placement.service.security import Principal
    from placement.service.settings import Settings

    engine = make_engine(Settings(database_url=db))
    migrate(engine)
    area = generate_area("Kent", seed=1, scale=scale)
    with Session(engine, expire_on_commit=False) as s:
        row = store_area(
            s,
            Principal(0, "load", "planner", "886", None, None),
            area=area,
            overrides={},
            name="load: like Kent",
            source="generate:Kent",
            max_children=200_000,
        )
        names = [f"officer{i}" for i in range(officers)]
        signin = [f"signin{i}" for i in range(signin_n)]
        for n in names + signin:
            create_user(s, username=n, password=password, role="officer", la_code="886")
        create_user(s, username="planner", password=password, role="planner", la_code="886")
        children = list(s.exec(select(ChildRow.child_id).where(ChildRow.area_id == row.id)).all())
        families = [f"family{i}" for i in range(min(families_n, len(children)))]
        for n, cid in zip(families, children, strict=False):
            create_user(
                s,
                username=n,
                password=password,
                role="family",
                la_code="",
                area_id=row.id,
                child_id=cid,
            )
        settings = list(
            s.exec(
                select(SettingRow.setting_id).where(
                    SettingRow.area_id == row.id, col(SettingRow.kind) == "mainstream"
                )
            ).all()
        )
    engine.dispose()
    return {
        "area_id": row.id,
        "children": children,
        "settings": settings,
        "officers": names,
        "families": families,
        "signin_users": signin,
    }


def user_counts(users: int, sign_in_share: float) -> dict[str, int]:
    """How many users of each Locust class: ``sign_in_share`` of them signing in, the rest
    split 45:5:10:10 (list readers, confirmers, family pages, officer pages), largest
    remainders first, so the counts add up to ``users``."""
    signin = round(users * sign_in_share)
    rest = users - signin
    total = sum(WEIGHTS.values())
    exact = {k: rest * w / total for k, w in WEIGHTS.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: counts[k] - exact[k])[: rest - sum(counts.values())]:
        counts[k] += 1
    return {**counts, "SignIn": signin}


def think_range(text: str) -> tuple[float, float]:
    """``"0"`` -> (0, 0); ``"1-3"`` -> (1, 3)."""
    lo, _, hi = text.partition("-")
    a, b = float(lo), float(hi or lo)
    if a < 0 or b < a:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds as MIN-MAX or one number")
    return a, b


def fresh_database(url: str) -> tuple[str, str]:
    """A new, empty database on ``url``'s PostgreSQL server: (its URL, its name)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"load_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def drop_database(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# -- where the CPU went (Linux /proc; empty elsewhere) ------------------------------------


def _procs() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, CPU ticks used so far)."""
    out: dict[int, tuple[int, str, int]] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            raw = (d / "stat").read_text()
        except OSError:
            continue
        head, _, tail = raw.rpartition(")")
        f = tail.split()
        out[int(d.name)] = (int(f[1]), head.partition("(")[2], int(f[11]) + int(f[12]))
    return out


def _machine_ticks() -> int:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0
    return sum(int(x) for x in first[1:4] + first[6:9])  # user nice system, irq softirq steal


def cpu_snapshot(roots: dict[str, int]) -> dict[str, int]:
    """CPU ticks used so far by each named process tree, by PostgreSQL's processes and by
    the whole machine (busy time only)."""
    procs = _procs()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    snap: dict[str, int] = {}
    for label, root in roots.items():
        todo, total = [root], 0
        while todo:
            pid = todo.pop()
            if pid in procs:
                total += procs[pid][2]
            todo.extend(children.get(pid, []))
        snap[label] = total
    snap["postgresql"] = sum(t for _, name, t in procs.values() if name.startswith("postgres"))
    snap["machine"] = _machine_ticks()
    return snap


def cpu_cores_used(
    before: dict[str, int], after: dict[str, int], seconds: float
) -> dict[str, float]:
    """Cores' worth of CPU each used between two snapshots; "other" is the rest of the
    machine's busy time (other people's work, the kernel)."""
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used = {k: (after[k] - before[k]) / hz / seconds for k in before}
    used["other"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
    return {k: round(v, 2) for k, v in used.items()}


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# -- the figures ----------------------------------------------------------------------------


def group_stats(raw: list[list[Any]]) -> dict[str, dict[str, float | int]]:
    """Requests, failures, requests per second and p50/p95/p99 (ms) for tailored lists, page
    views, sign-ins and all requests, from every request's record. The rate is over the
    run's span (first request's start to the last one's end)."""
    if not raw:
        return {}
    start = min(r[1] for r in raw)
    end = max(r[1] + r[2] / 1000 for r in raw)
    span = max(end - start, 1e-9)
    groups = {
        "lists": lambda n: n == "tailored list",
        "pages": lambda n: n.startswith("page: "),
        "sign-in": lambda n: n == "sign-in",
        "all": lambda n: True,
    }
    out: dict[str, dict[str, float | int]] = {}
    for g, match in groups.items():
        rows = [r for r in raw if match(r[0])]
        if not rows:
            continue
        ms = np.array([r[2] for r in rows])
        out[g] = {
            "requests": len(rows),
            "failures": sum(1 for r in rows if not r[3]),
            "rps": round(len(rows) / span, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
        }
    return out


def _label(args: argparse.Namespace, postgres: bool) -> str:
    db = "postgresql" if postgres else "sqlite"
    procs = f"{args.workers} process{'es' if args.workers > 1 else ''}"
    lo, hi = args.think_time
    think = "no think time" if hi == 0 else f"think {lo:g}-{hi:g} s"
    signin = f", {args.sign_in_share:.0%} signing in" if args.sign_in_share else ""
    warm = f", caseload {args.caseload}" if args.caseload != 50 else ""
    warm += f", after {args.warm_up} s warm-up" if args.warm_up else ""
    return f"{db}, {procs}, {args.users} users, {think}{signin}{warm}"


def locust_cmd(users: int, seconds: int, base: str, csv_prefix: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 5)),
        "-t",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "5",
    ]


def _wait_health(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(900):
        if server.poll() is not None:
            raise SystemExit(f"the service exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not answer /health in 3 minutes")


def _wait_quiet(limit: float, wait_s: int) -> list[float]:
    """Wait (polling every 30 s, up to ``wait_s``) for the 1-minute load average to fall to
    ``limit``; the load average when the run starts."""
    deadline = time.monotonic() + wait_s
    while True:
        la = load_average()
        if not la or la[0] <= limit or time.monotonic() >= deadline:
            return la
        print(f"load average {la[0]} > {limit}: waiting", flush=True)
        time.sleep(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument(
        "--database-url",
        help="a PostgreSQL server (and a database on it to connect to); the run makes a fresh"
        " database there. Default: SQLite in a temporary folder",
    )
    ap.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database")
    ap.add_argument("--workers", type=int, default=1, help="API processes (above 1: PostgreSQL)")
    ap.add_argument(
        "--think-time",
        type=think_range,
        default=(1.0, 3.0),
        help="seconds each user waits between requests, MIN-MAX or one number (0: none)",
    )
    ap.add_argument(
        "--sign-in-share",
        type=float,
        default=0.0,
        help="the share of users who sign in (password, Argon2) over and over during the run",
    )
    ap.add_argument(
        "--caseload", type=int, default=50, help="children each list reader works through"
    )
    ap.add_argument(
        "--warm-up",
        type=int,
        default=0,
        help="seconds of the same load, not measured, before the run (the readers' lists"
        " built in each process's cache first)",
    )
    ap.add_argument("--label", help="the run's key in load.json (default: from the options)")
    ap.add_argument(
        "--max-load", type=float, default=2.5, help="wait for a 1-min load at most this"
    )
    ap.add_argument("--max-wait", type=int, default=600, help="seconds to wait for it")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if not 0 <= args.sign_in_share < 1:
        ap.error("--sign-in-share: give a share from 0 to below 1")
    postgres = bool(args.database_url) and args.database_url.startswith("postgresql")
    if args.workers > 1 and not postgres:
        ap.error("--workers above 1 needs --database-url postgresql+psycopg://...")
    counts = user_counts(args.users, args.sign_in_share)
    tmp = Path(tempfile.mkdtemp(prefix="placement-load-"))
    dbname: str | None = None
    if postgres:
        db, dbname = fresh_database(args.database_url)
    else:
        db = args.database_url or f"sqlite:///{tmp / 'load.db'}"
    password = secrets.token_urlsafe(16)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        data = prepare(db, args.scale, password, officers=5, signin_n=counts["SignIn"])
        (tmp / "data.json").write_text(json.dumps(data))
        print(f"prepared {len(data['children'])} children in {time.perf_counter() - t0:.1f} s")  # type: ignore[arg-type]
        port = _port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PLACEMENT_DATABASE_URL": db,
            "PLACEMENT_JWT_SECRET": secrets.token_urlsafe(48),
            "PLACEMENT_WRITE_LIMIT": "1000000/minute",  # measure the service, not the limiter
        }
        serve = [sys.executable, "-m", "placement.cli", "serve", "--no-demo"]
        serve += ["--port", str(port), "--log-level", "warning", "--workers", str(args.workers)]
        server = subprocess.Popen(serve, env=env)
        procs.append(server)
        worker: subprocess.Popen[bytes] | None = None
        if args.workers > 1:  # the API processes queue the allocation: a worker runs it
            worker = subprocess.Popen(
                [sys.executable, "-m", "placement.cli", "worker", "--log-level", "warning"],
                env=env,
            )
            procs.append(worker)
        _wait_health(base, server)
        tok = httpx.post(f"{base}/auth/token", data={"username": "planner", "password": password})
        auth = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        area = data["area_id"]
        run = httpx.post(f"{base}/areas/{area}/runs", json={}, headers=auth).json()
        while run["status"] not in ("succeeded", "failed"):
            time.sleep(1)
            run = httpx.get(f"{base}/runs/{run['id']}", headers=auth).json()
        print(f"allocation run {run['status']} {run.get('error') or ''}")
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        off = httpx.post(f"{base}/auth/token", data={"username": "officer0", "password": password})
        oauth = {"Authorization": f"Bearer {off.json()['access_token']}"}
        # each API process builds its own cache on its first list: warm them all (each new
        # connection goes to whichever process accepts it; stop after 3 fast answers a process)
        t1, fast = time.perf_counter(), 0
        for i in range(50 * args.workers):
            t = time.perf_counter()
            first = httpx.get(
                f"{base}/areas/{area}/children/{data['children'][i]}/list",  # type: ignore[index]
                headers=oauth,
                timeout=300,
            )
            fast = fast + 1 if time.perf_counter() - t < 0.5 else 0
            if fast >= 3 * args.workers:
                break
        print(
            f"each process's problem built (first list): {first.status_code} in"
            f" {time.perf_counter() - t1:.1f} s"
        )
        data["tokens"] = [
            httpx.post(f"{base}/auth/token", data={"username": n, "password": password}).json()[
                "access_token"
            ]
            for n in data["officers"]  # type: ignore[attr-defined]
        ]
        data["family_tokens"] = [
            httpx.post(f"{base}/auth/token", data={"username": n, "password": password}).json()[
                "access_token"
            ]
            for n in data["families"]  # type: ignore[attr-defined]
        ]
        (tmp / "data.json").write_text(json.dumps(data))
        lo, hi = args.think_time
        env_l = {
            **os.environ,
            "LOAD_AREA_ID": str(area),
            "LOAD_FILE": str(tmp / "data.json"),
            "LOAD_PASSWORD": password,
            "LOAD_THINK": f"{lo:g}" if lo == hi else f"{lo:g},{hi:g}",
            "LOAD_COUNTS": json.dumps(counts),
            "LOAD_RAW": str(tmp / "raw.json"),
            "LOAD_CASELOAD": str(args.caseload),
        }
        if args.warm_up > 0:
            t2 = time.perf_counter()
            subprocess.run(
                [*locust_cmd(args.users, args.warm_up, base, tmp / "warm"), "--loglevel", "ERROR"],
                env={**env_l, "LOAD_RAW": str(tmp / "warm-raw.json")},
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            print(f"warm-up: {time.perf_counter() - t2:.0f} s of the same load, not measured")
        la = _wait_quiet(args.max_load, args.max_wait)
        print(f"load average before the run: {la}", flush=True)
        locust = subprocess.Popen(
            locust_cmd(args.users, args.seconds, base, tmp / "stats"), env=env_l
        )
        procs.append(locust)
        roots = {"service": server.pid, "locust": locust.pid}
        time.sleep(min(args.seconds, 5))  # past the ramp-up
        cpu1, c1 = cpu_snapshot(roots), time.monotonic()
        time.sleep(max(0, args.seconds - 10))
        cpu2, c2 = cpu_snapshot(roots), time.monotonic()
        locust.wait()
        cpu = cpu_cores_used(cpu1, cpu2, c2 - c1) if c2 > c1 else {}
        la_after = load_average()
        rows = list(csv.DictReader((tmp / "stats_stats.csv").open()))
        raw = json.loads((tmp / "raw.json").read_text())
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                p.wait(30)
        if dbname is not None and not args.keep_db:
            drop_database(args.database_url, dbname)
    stats = {
        r["Name"]: {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "median_ms": float(r["50%"] or 0),
            "p95_ms": float(r["95%"] or 0),
            "p99_ms": float(r["99%"] or 0),
            "rps": round(float(r["Requests/s"]), 2),
        }
        for r in rows
    }
    groups = group_stats(raw)
    agg = groups.get("all", {"requests": 0, "failures": 0})
    lists = groups.get("lists", {})
    pages = {k: v for k, v in stats.items() if k.startswith("page: ")}
    pages_p95 = max((v["p95_ms"] for v in pages.values()), default=None)
    lo, hi = args.think_time
    label = args.label or _label(args, postgres)
    result = {
        "scenario": f"{args.users} users for {args.seconds} s: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + (" (no think time)" if hi == 0 else f" (think time {lo:g}-{hi:g} s)")
        + f"; each reader's caseload {args.caseload} children"
        + (f"; after {args.warm_up} s of the same load, not measured" if args.warm_up else ""),
        "command": "python -m benchmarks.load.run_load " + " ".join(sys.argv[1:]),
        "measured": time.strftime("%Y-%m-%d %H:%M %Z"),
        "area": {"like": "Kent", "scale": args.scale, "children": len(data["children"])},  # type: ignore[arg-type]
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": "postgresql (a fresh database)" if postgres else "sqlite (embedded default)",
        "api_processes": args.workers,
        "load_average_before": la,
        "load_average_after": la_after,
        "cpu_cores_used": cpu,
        "error_ratio": round(int(agg["failures"]) / max(1, int(agg["requests"])), 6),
        "tailored_list_p95_ms": lists.get("p95_ms"),
        "target_p95_ms": TARGET_P95_MS,
        "pages_p95_ms": pages_p95,
        "pages_target_p95_ms": PAGES_TARGET_P95_MS,
        "meets_target": bool(lists)
        and float(lists["p95_ms"]) <= TARGET_P95_MS
        and pages_p95 is not None
        and pages_p95 <= PAGES_TARGET_P95_MS
        and agg["failures"] == 0,
        "groups": groups,
        "stats": stats,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {}
    if args.out.exists():
        doc = json.loads(args.out.read_text())
        if "runs" not in doc:  # the file before runs were labelled: one SQLite run
            doc = {"runs": {"sqlite, 1 process, 50 users, think 1-3 s (issue 13)": doc}}
    doc.setdefault("runs", {})[label] = result
    doc["about"] = (
        "Each run is one configuration (run_load.py's options, in 'command'); 'groups' holds"
        " requests per second and p50/p95/p99 for tailored lists, pages, sign-ins and all"
        " requests; 'stats' the same per request name (Locust's). Measured on a 2-core machine"
        " shared with other work: see each run's load average and cpu_cores_used."
    )
    args.out.write_text(json.dumps(dict(sorted(doc.items())), indent=1) + "\n")
    print(json.dumps({"label": label, "groups": groups, "cpu_cores_used": cpu}, indent=1))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
