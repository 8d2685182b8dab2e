"""An anchor for the audit chain kept outside the database.

The chain (:mod:`placement.service.audit`) finds any event changed, removed or inserted, but
someone with the database owner's rights can drop the triggers and rewrite the whole chain
consistently, and a restored older backup is a consistent chain too. Both are found by
comparing the chain with its head as written somewhere the database's users cannot write:
the anchor. ``PLACEMENT_AUDIT_ANCHOR`` is

- a file path: one JSON line ``{"seq": ..., "hash": ..., "at": ...}`` is appended per new
  head (the last complete line counts), so the file can be append-only (``chattr +a``) or on
  another machine's share; or
- an ``http(s)://`` URL: each new head is POSTed to it as that JSON, and a GET answers the
  latest (404: none yet), with ``Authorization: Bearer PLACEMENT_AUDIT_ANCHOR_TOKEN`` if set.

:class:`AnchorWriter` writes the head shortly after each commit that appended events (and
checks at least every ``PLACEMENT_AUDIT_ANCHOR_INTERVAL_S`` and at shutdown). It never moves
the anchor back or sideways: if the database does not hold the anchored event with the
anchored hash (a restored older backup, a rewritten chain) it stops writing and logs an error;
``placement audit verify --anchor`` and ``GET /audit/verify`` report the mismatch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from placement.service.audit import chain
from placement.service.audit.models import AuditEvent, AuditHead

__all__ = ["AnchorError", "AnchorWriter", "Head", "check", "read_anchor", "write_anchor"]

log = logging.getLogger("placement.service.anchor")
TIMEOUT_S = 5.0


class AnchorError(Exception):
    """The anchor cannot be read or written (missing file given by hand, unreachable URL,
    unreadable content)."""


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _parse(data: Any) -> Head:
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("seq"), int)
        or not isinstance(data.get("hash"), str)
        or data["seq"] < 0
    ):
        raise AnchorError("the anchor is not {'seq': int, 'hash': str}")
    return Head(data["seq"], data["hash"])


def _request(target: str, token: str | None, body: bytes | None = None) -> Any:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        target, data=body, headers=headers, method="POST" if body is not None else "GET"
    )
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        return resp.read()


def read_anchor(target: str, *, token: str | None = None, missing_ok: bool = True) -> Head | None:
    """The anchored head, or None if nothing has been anchored yet (an empty or missing file
    when ``missing_ok``, a 404 from the URL)."""
    if _is_url(target):
        try:
            raw = _request(target, token)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise AnchorError(f"the anchor answered HTTP {e.code}") from None
        except (OSError, ValueError) as e:
            raise AnchorError(f"the anchor cannot be reached: {e}") from None
        try:
            return _parse(json.loads(raw))
        except ValueError:
            raise AnchorError("the anchor did not answer JSON") from None
    path = Path(target)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise AnchorError(f"no anchor file at {target}") from None
    except OSError as e:
        raise AnchorError(f"the anchor file cannot be read: {e.strerror}") from None
    for line in reversed(lines):  # the last complete line (a crash can leave a partial one)
        try:
            return _parse(json.loads(line))
        except (ValueError, AnchorError):
            continue
    if lines:
        raise AnchorError(f"{target} holds no anchor line")
    return None


def write_anchor(target: str, head: Head, *, token: str | None = None) -> None:
    """Append ``head`` to the anchor file (flushed to disk) or POST it to the URL."""
    line = json.dumps(
        {
            "seq": head.seq,
            "hash": head.hash,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        sort_keys=True,
    )
    if _is_url(target):
        try:
            _request(target, token, line.encode())
        except (OSError, ValueError) as e:
            raise AnchorError(f"the anchor cannot be written: {e}") from None
        return
    try:
        with open(target, "a", encoding="ascii") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as e:
        raise AnchorError(f"the anchor file cannot be written: {e.strerror}") from None


def check(session: Session, anchor: Head) -> str | None:
    """Why the database's chain does not hold ``anchor`` (None if it does): only the
    anchored event's hash is compared, as every hash includes the ones before it."""
    if anchor.seq == 0:
        return None if anchor.hash == chain.GENESIS else "the anchor's genesis hash is wrong"
    head = session.get(AuditHead, 1)
    if head is None or head.seq < anchor.seq:
        last = head.seq if head else 0
        return (
            f"the database is behind its anchor: the anchor holds event {anchor.seq}, the "
            f"chain ends at {last} (an older backup restored, or events removed)"
        )
    got = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == anchor.seq)).first()
    if got != anchor.hash:
        return f"event {anchor.seq} does not match the anchor: the chain was rewritten"
    return None


class AnchorWriter:
    """A daemon thread writing the audit head to ``target`` when it changes."""

    def __init__(
        self, engine: Engine, target: str, *, interval_s: float, token: str | None = None
    ) -> None:
        self.engine, self.target, self.interval_s, self.token = engine, target, interval_s, token
        self.problem: str | None = None  # why the anchor is not being written, if it is not
        self.written: Head | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (again, after :meth:`stop`), unless it is running."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="audit-anchor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write the head a last time."""
        self._stop.set()
        with chain.COMMITTED:
            chain.COMMITTED.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S * 2)
        self.write_now()

    def _loop(self) -> None:
        seen = chain.commits()

        def woken() -> bool:
            return chain.commits() != seen or self._stop.is_set()

        while not self._stop.is_set():
            try:
                self.write_now()
            except Exception:  # pragma: no cover - never let the thread die
                log.exception("audit anchor: unexpected error")
            with chain.COMMITTED:  # until a commit appends events, or the interval is up
                chain.COMMITTED.wait_for(woken, timeout=self.interval_s)
                seen = chain.commits()

    def write_now(self) -> Head | None:
        """Anchor the current head if it is new and the database holds the last anchor;
        returns the head written, if any."""
        with self._lock:
            try:
                anchored = read_anchor(self.target, token=self.token)
            except AnchorError as e:
                self._report(str(e), level=logging.WARNING)
                return None
            # the anchor is read before the database, so a head another process anchored
            # meanwhile is in what this one reads next
            with Session(self.engine) as s:
                try:
                    why = check(s, anchored) if anchored is not None else None
                    head = s.get(AuditHead, 1)
                except Exception as e:  # the database is down: try again later
                    self._report(f"the database cannot be read: {type(e).__name__}")
                    return None
            if why is not None:
                self._report(f"not writing the audit anchor: {why}", level=logging.ERROR)
                return None
            if head is None or (anchored is not None and anchored.seq >= head.seq):
                self.problem = None
                return None
            new = Head(head.seq, head.hash)
            try:
                write_anchor(self.target, new, token=self.token)
            except AnchorError as e:
                self._report(str(e), level=logging.WARNING)
                return None
            self.problem, self.written = None, new
            return new

    def _report(self, problem: str, *, level: int = logging.WARNING) -> None:
        if problem != self.problem:  # once per new problem, not every cycle
            log.log(level, "audit anchor: %s", problem)
        self.problem = problem
