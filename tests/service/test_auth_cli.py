"""``placement users create|disable|enable|reset-password|set-role``: passwords from stdin or a
prompt (never argv), LA codes checked against the 153 LAs, and each change ends old tokens."""

from __future__ import annotations

import getpass
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from placement.cli import main
from tests.service.conftest import PASSWORD, World, build_world

NEW = "a brand new password"


@pytest.fixture
def cli_world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    w = build_world(url, tmp_path)
    yield w, url
    w.app.state.ctx.jobs.shutdown()
    w.app.state.ctx.engine.dispose()


class Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str = "",
    tty: bool = False,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", Stdin(stdin, tty=tty))
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _sign_in(w: World, username: str, password: str) -> int:
    r = w.client.post("/auth/token", data={"username": username, "password": password})
    code: int = r.status_code
    return code


def test_create_with_the_password_on_stdin(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    rc, out, err = run(
        monkeypatch,
        capsys,
        *("users", "create", "--username", "j.smith", "--role", "officer", "--la", "Kent"),
        *("--password-stdin", "--database-url", url),
        stdin=NEW + "\n",
    )
    assert rc == 0, err
    assert out == "created officer j.smith (LA 886)\n"  # the password is not echoed
    assert _sign_in(w, "j.smith", NEW) == 200


def test_create_generates_and_shows_a_password_once(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    rc, out, _ = run(
        monkeypatch,
        capsys,
        *("users", "create", "--username", "p2", "--role", "planner", "--la", "886"),
        *("--database-url", url),
    )
    assert rc == 0
    password = out.rsplit(" ", 1)[-1].strip()
    assert out.startswith("created planner p2 (LA 886) with password ")
    assert _sign_in(w, "p2", password) == 200


def test_no_password_on_the_command_line(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = cli_world
    for action in (["create", "--role", "officer", "--la", "886"], ["reset-password"]):
        with pytest.raises(SystemExit) as e:
            run(
                monkeypatch,
                capsys,
                *("users", *action, "--username", "x", "--password", NEW, "--database-url", url),
            )
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert "--password: passwords are never taken from the command line" in err
        assert NEW not in err


@pytest.mark.parametrize("action", ["create", "set-role"])
def test_unknown_la_codes_are_refused(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    action: str,
) -> None:
    _, url = cli_world
    rc, _, err = run(
        monkeypatch,
        capsys,
        *("users", action, "--username", "officer", "--role", "planner", "--la", "9999"),
        *("--database-url", url),
        stdin=NEW + "\n",
    )
    assert rc == 2
    assert err.startswith("error: --la 9999: not one of the 153 English local authorities")


def test_disable_and_enable(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    old = w.as_("officer")
    rc, out, _ = run(
        monkeypatch, capsys, "users", "disable", "--username", "officer", "--database-url", url
    )
    assert rc == 0 and out.startswith("disabled officer")
    assert w.client.get("/me", headers=old).status_code == 401
    assert _sign_in(w, "officer", PASSWORD) == 401
    rc, out, _ = run(
        monkeypatch, capsys, "users", "enable", "--username", "officer", "--database-url", url
    )
    assert rc == 0 and out.startswith("enabled officer")
    assert w.client.get("/me", headers=old).status_code == 401  # not revived
    assert _sign_in(w, "officer", PASSWORD) == 200
    rc, _, err = run(
        monkeypatch, capsys, "users", "disable", "--username", "nobody", "--database-url", url
    )
    assert rc == 2 and err == "error: no user 'nobody'\n"


def test_reset_password_from_stdin(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    old = w.as_("family")
    argv = ("users", "reset-password", "--username", "family", "--database-url", url)
    rc, out, err = run(monkeypatch, capsys, *argv, "--password-stdin", stdin=NEW + "\n")
    assert rc == 0, err
    assert NEW not in out
    assert w.client.get("/me", headers=old).status_code == 401
    assert _sign_in(w, "family", PASSWORD) == 401
    assert _sign_in(w, "family", NEW) == 200
    # too short, empty, or no terminal to prompt on: refused, nothing changed
    rc, _, err = run(monkeypatch, capsys, *argv, "--password-stdin", stdin="short\n")
    assert (rc, err) == (2, "error: passwords need at least 12 characters\n")
    rc, _, err = run(monkeypatch, capsys, *argv, "--password-stdin", stdin="")
    assert rc == 2 and "stdin gave no password" in err
    rc, _, err = run(monkeypatch, capsys, *argv)
    assert rc == 2 and "--password-stdin" in err
    assert _sign_in(w, "family", NEW) == 200


def test_reset_password_prompts_twice_on_a_terminal(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    argv = ("users", "reset-password", "--username", "planner", "--database-url", url)
    answers = iter([NEW, NEW + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda _prompt: next(answers))
    rc, _, err = run(monkeypatch, capsys, *argv, tty=True)
    assert (rc, err) == (2, "error: the two passwords differ\n")
    answers = iter([NEW, NEW])
    rc, _, _ = run(monkeypatch, capsys, *argv, tty=True)
    assert rc == 0
    assert _sign_in(w, "planner", NEW) == 200


def test_reset_password_generate(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    argv = ("users", "reset-password", "--username", "planner", "--generate", "--database-url")
    rc, out, _ = run(monkeypatch, capsys, *argv, url)
    assert rc == 0
    assert _sign_in(w, "planner", out.rsplit(" ", 1)[-1].strip()) == 200


def test_set_role(
    cli_world: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, url = cli_world
    old = w.as_("officer")
    rc, out, err = run(
        monkeypatch,
        capsys,
        *("users", "set-role", "--username", "officer", "--role", "planner"),
        *("--database-url", url),
    )
    assert rc == 0, err
    assert out == "officer is now a planner (LA 886); their tokens no longer work\n"
    assert w.client.get("/me", headers=old).status_code == 401
    rc, _, err = run(
        monkeypatch,
        capsys,
        *("users", "set-role", "--username", "officer", "--role", "family"),
        *("--area", str(w.area_id), "--child", "C07", "--database-url", url),
    )
    assert rc == 0, err
    r = w.client.post("/auth/token", data={"username": "officer", "password": PASSWORD})
    me = w.client.get("/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["role"] == "family" and me.json()["child_id"] == "C07"


def test_serve_refuses_a_weak_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLACEMENT_JWT_SECRET", "abc")
    rc, _, err = run(
        monkeypatch, capsys, "serve", "--no-demo", "--database-url", f"sqlite:///{tmp_path}/x.db"
    )
    assert rc == 2
    assert err.startswith("error: PLACEMENT_JWT_SECRET is 3 bytes long; it needs at least 32")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_serve_refuses_a_secret_file_others_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "jwt-secret"
    secret.write_text("tests-only:5f0c9a1e7b3d48c2a6e4f1b8d0c7a9e3b5d2f6a4c8e0b1d7\n")
    secret.chmod(0o644)
    monkeypatch.delenv("PLACEMENT_JWT_SECRET", raising=False)
    monkeypatch.setenv("PLACEMENT_SECRET_FILE", str(secret))
    rc, _, err = run(
        monkeypatch, capsys, "serve", "--no-demo", "--database-url", f"sqlite:///{tmp_path}/x.db"
    )
    assert rc == 2
    assert f"run `chmod 600 {secret}`" in err
