"""The signing secret: a weak one, or a secret file others may read or write, stops the service
starting with a message that says what is wrong and how to fix it; a new file is 0600."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest

from placement.app import create_app
from placement.service.settings import SecretError, Settings, jwt_secret, secret_weakness

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        secret_file=tmp_path / "var" / "jwt-secret",
        **kw,  # type: ignore[arg-type]
    )


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("abc", "3 bytes long; it needs at least 32"),
        ("s" * 48, "too little variety (1 different characters"),
        ("abcd" * 12, "too little variety (4 different characters"),
        ("ab" * 8 + "cdefghij" * 3, "about"),  # 10 symbols but repetitive: under 128 bits
    ],
)
def test_weak_secrets(value: str, why: str) -> None:
    assert why in (secret_weakness(value) or "")


def test_strong_secrets() -> None:
    assert secret_weakness(secrets.token_urlsafe(32)) is None
    assert secret_weakness(secrets.token_hex(32)) is None


@pytest.mark.parametrize("value", ["abc", "s" * 48])
def test_a_weak_environment_secret_stops_the_start(tmp_path: Path, value: str) -> None:
    s = _settings(tmp_path, jwt_secret=value)
    with pytest.raises(SecretError, match=r"PLACEMENT_JWT_SECRET .*secrets\.token_urlsafe"):
        jwt_secret(s)
    with pytest.raises(SecretError):
        create_app(s)


def test_the_first_start_makes_a_0600_secret_and_keeps_it(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    old = os.umask(0)  # even with no umask at all
    try:
        value = jwt_secret(s)
    finally:
        os.umask(old)
    assert _mode(s.secret_file) == 0o600
    assert secret_weakness(value) is None
    assert jwt_secret(s) == value  # read back, not remade
    assert _mode(s.secret_file) == 0o600
    assert [p.name for p in s.secret_file.parent.iterdir()] == ["jwt-secret"]  # no temp left


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        (0o644, "readable by the group, readable by others"),
        (0o640, "readable by the group"),
        (0o620, "writable by the group"),
        (0o604, "readable by others"),
        (0o602, "writable by others"),
    ],
)
def test_a_secret_file_open_to_others_stops_the_start(tmp_path: Path, mode: int, said: str) -> None:
    s = _settings(tmp_path)
    jwt_secret(s)
    s.secret_file.chmod(mode)
    with pytest.raises(SecretError) as e:
        jwt_secret(s)
    msg = str(e.value)
    assert f"mode {mode:04o}" in msg
    assert said in msg
    assert f"chmod 600 {s.secret_file}" in msg
    with pytest.raises(SecretError):
        create_app(s)
    s.secret_file.chmod(0o600)  # the fix the message gives
    assert jwt_secret(s)


@pytest.mark.parametrize("content", ["abc\n", "s" * 48, ""])
def test_a_weak_secret_file_stops_the_start(tmp_path: Path, content: str) -> None:
    s = _settings(tmp_path)
    s.secret_file.parent.mkdir(parents=True)
    s.secret_file.write_text(content)
    s.secret_file.chmod(0o600)
    with pytest.raises(SecretError, match=r"the secret in .*jwt-secret .*delete the file"):
        jwt_secret(s)
    assert s.secret_file.read_text() == content  # not silently replaced


def test_a_secret_path_that_is_not_a_file_stops_the_start(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    s.secret_file.mkdir(parents=True)
    with pytest.raises(SecretError, match="not a regular file"):
        jwt_secret(s)


def test_a_secret_file_made_by_another_process_first_is_read_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes starting together: the loser of the race reads the winner's file."""
    s = _settings(tmp_path)
    theirs = secrets.token_urlsafe(32)
    real_link = os.link

    def race(src: str, dst: str) -> None:
        Path(dst).write_text(theirs + "\n")
        Path(dst).chmod(0o600)
        real_link(src, dst)  # FileExistsError, as for the loser of a real race

    monkeypatch.setattr(os, "link", race)
    assert jwt_secret(s) == theirs
