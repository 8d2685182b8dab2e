"""A server killed with SIGKILL right after answering 201 still has the confirmation."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.service.conftest import PASSWORD, TEST_SECRET, build_world, consulted

SERVE = (
    "import sys, uvicorn\n"
    "from placement.app import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PLACEMENT_DATABASE_URL": f"sqlite:///{db}",
        "PLACEMENT_JWT_SECRET": TEST_SECRET,
        "PLACEMENT_IMPORT_ROOT": str(tmp / "imports"),
    }
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the server exited at start-up")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def test_confirmation_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    w = build_world(f"sqlite:///{db}", tmp_path)
    pid = consulted(w, "C02", "S2")
    w.app.state.ctx.engine.dispose()
    port = _free_port()
    proc = _start(db, tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        tok = httpx.post(
            f"{base}/auth/token", data={"username": "officer", "password": PASSWORD}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {tok}"}
        r = httpx.post(
            f"{base}/placements/{pid}/decision",
            json={"outcome": "confirmed", "reason": "nearest"},
            headers=auth,
            timeout=30,
        )
        assert r.status_code == 201
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = _start(db, tmp_path, port)
        got = httpx.get(f"{base}/placements/{pid}", headers=auth).json()
        assert got["status"] == "confirmed" and got["decision_reason"] == "nearest"
        assert httpx.get(f"{base}/audit/verify", headers=auth).json()["ok"]
    finally:
        proc.kill()
        proc.wait(10)
