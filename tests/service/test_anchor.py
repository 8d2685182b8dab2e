"""``placement audit verify`` on a real database only, printing the head hash; the audit
anchor kept outside the database (a file or an http(s) URL) catches a consistent rewrite of
the chain and the restore of an older backup."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from placement.cli import main
from placement.service.anchor import AnchorWriter, Head, read_anchor
from placement.service.audit import chain
from placement.service.audit.models import AuditEvent, AuditHead
from tests.service.conftest import World, build_world, consulted


def _head(w: World) -> tuple[int, str]:
    with Session(w.app.state.ctx.engine) as s:
        h = s.get(AuditHead, 1)
        assert h is not None
        return h.seq, h.hash


def _stop(w: World) -> None:
    w.app.state.ctx.jobs.shutdown()
    w.app.state.ctx.ops.stop()
    w.app.state.ctx.engine.dispose()


def _anchored(target: str, seq: int, timeout: float = 10.0) -> None:
    """Wait until the service has anchored event ``seq`` (it writes after each commit)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        a = read_anchor(target)
        if a is not None and a.seq >= seq:
            return
        time.sleep(0.02)
    raise AssertionError(f"the anchor did not reach {seq}: {read_anchor(target)}")


def test_verify_refuses_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "placment.db"
    assert main(["audit", "verify", "--database-url", f"sqlite:///{missing}"]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()


def test_verify_refuses_a_file_that_is_not_a_placement_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    assert main(["audit", "verify", "--database-url", f"sqlite:///{other}"]) == 2
    assert "not a placement database" in capsys.readouterr().err


def test_verify_prints_the_head_hash(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    consulted(world, "C01", "M1")
    url = world.app.state.ctx.engine.url.render_as_string(hide_password=False)
    assert main(["audit", "verify", "--database-url", url]) == 0
    seq, hash_ = _head(world)
    out = capsys.readouterr().out
    assert f"head {seq}" in out and f"head hash: {hash_}" in out
    api = world.client.get("/audit/verify", headers=world.as_("officer")).json()
    assert api["head_hash"] == hash_ and api["head_seq"] == seq and api["anchor_seq"] is None


def _rewrite_consistently(w: World, seq: int) -> None:
    """What someone with the owner's rights can do: drop the guards, change an event, and
    recompute every hash after it and the head, so the chain checks out on its own."""
    engine = w.app.state.ctx.engine
    with engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_event_no_update"))
    with Session(engine) as s:
        rows = s.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        prev = chain.GENESIS
        for e in rows:
            if e.seq == seq:
                e.actor = "someone-else"
            e.prev_hash = prev
            e.hash = chain.event_hash(prev, e)
            prev = e.hash
            s.add(e)
        head = s.get(AuditHead, 1)
        assert head is not None
        head.hash = prev
        s.add(head)
        s.commit()


def test_anchor_file_catches_a_consistent_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = tmp_path / "anchor" / "audit-head.jsonl"
    anchor.parent.mkdir()
    w = build_world(f"sqlite:///{tmp_path / 'a.db'}", tmp_path, audit_anchor=str(anchor))
    try:
        consulted(w, "C01", "M1")
        seq, hash_ = _head(w)
        _anchored(str(anchor), seq)
        last = json.loads(anchor.read_text().splitlines()[-1])
        assert (last["seq"], last["hash"]) == (seq, hash_)
        url = w.app.state.ctx.engine.url.render_as_string(hide_password=False)
        assert main(["audit", "verify", "--database-url", url, "--anchor", str(anchor)]) == 0
        assert f"matches the anchor at event {seq}" in capsys.readouterr().out

        _rewrite_consistently(w, 3)
        assert main(["audit", "verify", "--database-url", url]) == 0  # alone: looks intact
        capsys.readouterr()
        assert main(["audit", "verify", "--database-url", url, "--anchor", str(anchor)]) == 1
        assert "does not match the anchor" in capsys.readouterr().out
        api = w.client.get("/audit/verify", headers=w.as_("officer")).json()
        assert api["ok"] is False and "rewritten" in api["problem"]
        # and the service does not overwrite the anchor with the rewritten head
        assert w.app.state.ctx.ops.anchor.write_now() is None
        assert "rewritten" in (w.app.state.ctx.ops.anchor.problem or "")
        assert read_anchor(str(anchor)) == Head(seq, hash_)  # unchanged
    finally:
        _stop(w)


def test_anchor_file_catches_an_older_backup_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = tmp_path / "audit-head.jsonl"
    db = tmp_path / "live.db"
    w = build_world(f"sqlite:///{db}", tmp_path, audit_anchor=str(anchor))
    backup = tmp_path / "backup.db"
    try:
        with sqlite3.connect(db) as src, sqlite3.connect(backup) as dst:
            src.backup(dst)  # last night's backup
        consulted(w, "C01", "M1")  # today's work
        seq, _ = _head(w)
        _anchored(str(anchor), seq)
    finally:
        _stop(w)
    for suffix in ("", "-wal", "-shm"):  # the live database is replaced by the backup
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, db)
    url = f"sqlite:///{db}"
    assert main(["audit", "verify", "--database-url", url]) == 0  # a consistent chain
    capsys.readouterr()
    assert main(["audit", "verify", "--database-url", url, "--anchor", str(anchor)]) == 1
    assert "behind its anchor" in capsys.readouterr().out
    # a service started on the restored database reports it, and leaves the anchor alone
    before = anchor.read_text()
    restored = build_world_on(db, tmp_path, anchor)
    try:
        assert restored.app.state.ctx.ops.anchor.write_now() is None
        api = restored.client.get("/audit/verify", headers=restored.as_("officer")).json()
        assert api["ok"] is False and "behind its anchor" in api["problem"]
        assert anchor.read_text() == before
    finally:
        _stop(restored)


def build_world_on(db: Path, tmp: Path, anchor: Path) -> World:
    """The app on an existing database (its users already made), with an anchor."""
    from fastapi.testclient import TestClient

    from placement.app import create_app
    from placement.service.settings import Settings
    from tests.service.conftest import PASSWORD, TEST_SECRET

    app = create_app(
        Settings(
            database_url=f"sqlite:///{db}",
            jwt_secret=TEST_SECRET,
            import_root=tmp / "imports",
            audit_anchor=str(anchor),
        )
    )
    client = TestClient(app)
    w = World(app, client, 1, 2)
    r = client.post("/auth/token", data={"username": "officer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    w.tokens["officer"] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return w


def test_verify_with_a_missing_anchor_file_is_an_input_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = world.app.state.ctx.engine.url.render_as_string(hide_password=False)
    args = ["audit", "verify", "--database-url", url, "--anchor", str(tmp_path / "nope")]
    assert main(args) == 2
    assert "no anchor file" in capsys.readouterr().err


class _AnchorService(BaseHTTPRequestHandler):
    heads: list[dict[str, Any]]
    auth: list[str | None]

    def do_POST(self) -> None:
        n = int(self.headers["Content-Length"])
        type(self).heads.append(json.loads(self.rfile.read(n)))
        type(self).auth.append(self.headers.get("Authorization"))
        self.send_response(204)
        self.end_headers()

    def do_GET(self) -> None:
        if not type(self).heads:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(type(self).heads[-1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def anchor_service() -> Iterator[tuple[str, type[_AnchorService]]]:
    handler = type("Handler", (_AnchorService,), {"heads": [], "auth": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/anchor", handler
    server.shutdown()
    server.server_close()


def test_anchor_url(
    tmp_path: Path,
    anchor_service: tuple[str, type[_AnchorService]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, handler = anchor_service
    w = build_world(
        f"sqlite:///{tmp_path / 'u.db'}",
        tmp_path,
        audit_anchor=url,
        audit_anchor_token="anchor-token-123",
    )
    try:
        consulted(w, "C01", "M1")
        seq, hash_ = _head(w)
        _anchored(url, seq)
        assert handler.heads[-1]["hash"] == hash_
        assert set(handler.auth) == {"Bearer anchor-token-123"}
        api = w.client.get("/audit/verify", headers=w.as_("officer")).json()
        assert api["ok"] and api["anchor_seq"] == seq
        db = w.app.state.ctx.engine.url.render_as_string(hide_password=False)
        assert main(["audit", "verify", "--database-url", db, "--anchor", url]) == 0
        handler.heads.append({"seq": seq, "hash": "f" * 64})  # the anchor disagrees
        api = w.client.get("/audit/verify", headers=w.as_("officer")).json()
        assert api["ok"] is False and api["first_bad_seq"] == seq
    finally:
        _stop(w)


def test_unreachable_anchor_url_is_503_for_verify_and_never_blocks_writes(tmp_path: Path) -> None:
    w = build_world(
        f"sqlite:///{tmp_path / 'x.db'}",
        tmp_path,
        audit_anchor="http://127.0.0.1:9/anchor",  # discard port: nothing answers
    )
    try:
        consulted(w, "C01", "M1")  # writes go on
        r = w.client.get("/audit/verify", headers=w.as_("officer"))
        assert r.status_code == 503 and "anchor" in r.json()["detail"]
        assert w.app.state.ctx.ops.anchor.write_now() is None
        assert "reached" in (w.app.state.ctx.ops.anchor.problem or "")
    finally:
        _stop(w)


def test_anchor_writer_skips_an_unchanged_head(world: World, tmp_path: Path) -> None:
    anchor = tmp_path / "a.jsonl"
    writer = AnchorWriter(world.app.state.ctx.engine, str(anchor), interval_s=60)
    first = writer.write_now()
    assert first is not None and first.seq == _head(world)[0]
    assert writer.write_now() is None  # nothing new
    consulted(world, "C01", "M1")
    assert writer.write_now() == read_anchor(str(anchor))
    assert len(anchor.read_text().splitlines()) == 2
