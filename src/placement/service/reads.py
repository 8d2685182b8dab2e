"""Who read which child's record: read access to child records goes into the audit trail.

A read must not wait for the database write lock (every list read would queue behind every
write), so :class:`ReadAudit` keeps read events in memory and a daemon thread appends them
to the hash chain in one write transaction per batch, within ``flush_s`` of the read (and at
shutdown). The events are ordinary audit events (``child.read``, ``child.list.read``,
``child.explanation.read``, ``child.requests.read``; object ``child``, id ``area/child``,
the actor and role), under the child's LA, so the LA's officers see them in
``GET /audit/events`` and planners do not. A process killed with SIGKILL loses at most the
last ``flush_s`` of reads; while the database is down they are kept (up to ``max_pending``,
then the oldest are dropped and the number dropped is logged as an error).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from placement.service.audit import chain
from placement.service.db import write_session
from placement.service.security import Principal

__all__ = ["ReadAudit", "ReadEvent"]

log = logging.getLogger("placement.service.reads")


@dataclass(frozen=True, slots=True)
class ReadEvent:
    actor: str
    role: str
    action: str
    object_id: str
    la_code: str
    details: dict[str, Any] = field(default_factory=dict)


class ReadAudit:
    """Read events, appended to the audit chain in batches by a daemon thread."""

    def __init__(self, engine: Engine, *, flush_s: float = 1.0, max_pending: int = 100_000):
        self.engine, self.flush_s, self.max_pending = engine, flush_s, max_pending
        self._pending: deque[ReadEvent] = deque()
        self._lock = threading.Lock()  # guards _pending
        self._flushing = threading.Lock()  # one batch at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def record(
        self,
        who: Principal,
        action: str,
        *,
        area_id: int,
        child_id: str,
        la_code: str,
        **details: Any,
    ) -> None:
        """Note that ``who`` read child ``child_id`` of area ``area_id`` (``action``)."""
        e = ReadEvent(who.username, who.role, action, f"{area_id}/{child_id}", la_code, details)
        with self._lock:
            self._pending.append(e)
            if len(self._pending) > self.max_pending:
                self._pending.popleft()
                self.dropped += 1
        if self._thread is None or not self._thread.is_alive():
            self.start()

    def start(self) -> None:
        """Start the thread (again, after :meth:`stop`), unless it is running."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="read-audit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and append what is pending."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        try:
            self.flush()
        except Exception as e:
            log.error("read audit: %d events not written at shutdown (%s)", len(self), type(e))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.flush_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception as e:  # the database is down: keep them for the next try
                log.warning("read audit: %d events not yet written (%s)", len(self), type(e))

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Append every pending read event (one write transaction); returns how many. On a
        database error they stay pending and the error is raised."""
        with self._flushing:
            with self._lock:
                batch = list(self._pending)
                self._pending.clear()
                dropped, self.dropped = self.dropped, 0
            if dropped:
                log.error("read audit: %d read events were dropped (database down)", dropped)
            if not batch:
                return 0
            try:
                with write_session(self.engine) as s:
                    for e in batch:
                        chain.append(
                            s,
                            actor=e.actor,
                            role=e.role,
                            action=e.action,
                            object_type="child",
                            object_id=e.object_id,
                            la_code=e.la_code,
                            details=e.details,
                        )
            except BaseException:
                with self._lock:  # not written: back in front of any that came meanwhile
                    self._pending.extendleft(reversed(batch))
                    while len(self._pending) > self.max_pending:
                        self._pending.popleft()
                        self.dropped += 1
                raise
            return len(batch)
