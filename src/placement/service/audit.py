"""The audit trail: append-only and hash-chained.

Each event's ``hash`` is SHA-256 over the previous event's hash and the canonical JSON (sorted
keys, no spaces, UTF-8) of its own fields; the single ``audit_head`` row holds the last seq and
hash. Appending must happen inside a write transaction (:func:`placement.service.db.begin_write`
holds the lock, so the chain never forks). Database triggers refuse UPDATE and DELETE on
``audit_event``; :func:`verify` recomputes the chain and finds any row changed, removed or
inserted behind the service's back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from placement.service.models import AuditEvent, AuditHead

__all__ = ["GENESIS", "ChainReport", "append", "canonical", "event_hash", "verify"]

GENESIS = "0" * 64


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _body(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "la_code": e.la_code,
        "details": json.loads(e.details),
    }


def event_hash(prev_hash: str, e: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(_body(e))).encode()).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    object_type: str,
    object_id: str,
    la_code: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain (in the caller's write transaction)."""
    head = session.get(AuditHead, 1)
    if head is None:  # pragma: no cover - the migration seeds it
        raise RuntimeError("audit_head row missing: run the migrations")
    e = AuditEvent(
        seq=head.seq + 1,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor,
        role=role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        la_code=la_code,
        details=canonical(details or {}),
        prev_hash=head.hash,
        hash="",
    )
    e.hash = event_hash(head.hash, e)
    head.seq, head.hash = e.seq, e.hash
    session.add(e)
    session.add(head)
    session.flush()
    return e


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None


def verify(session: Session, *, batch: int = 5000) -> ChainReport:
    """Recompute the whole chain; report the first event that does not fit."""
    head = session.get(AuditHead, 1)
    prev = GENESIS
    expected_seq = 1
    n = 0
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) >= expected_seq)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                return ChainReport(False, n, last, expected_seq, "an event is missing")
            if e.prev_hash != prev:
                return ChainReport(False, n, last, e.seq, "prev_hash does not match")
            try:
                h = event_hash(prev, e)
            except (ValueError, TypeError):
                return ChainReport(False, n, last, e.seq, "details are not JSON")
            if h != e.hash:
                return ChainReport(False, n, last, e.seq, "hash does not match the event")
            prev, last, n = e.hash, e.seq, n + 1
            expected_seq += 1
    if head is None or head.seq != last or head.hash != prev:
        return ChainReport(False, n, last, last + 1, "the chain head does not match the last event")
    return ChainReport(True, n, last, None, None)
