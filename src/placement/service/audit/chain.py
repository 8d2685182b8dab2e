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
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from placement.service.audit.models import AuditEvent, AuditHead

__all__ = [
    "COMMITTED",
    "GENESIS",
    "ChainReport",
    "append",
    "canonical",
    "commits",
    "event_hash",
    "verify",
]

GENESIS = "0" * 64
# notified after each commit that appended events (the anchor writer waits on it)
COMMITTED = threading.Condition()
_commits = 0


def commits() -> int:
    """How many commits with audit events this process has made."""
    return _commits


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop("audit_appended", False):
        global _commits
        with COMMITTED:
            _commits += 1
            COMMITTED.notify_all()


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, _previous: Any) -> None:
    session.info.pop("audit_appended", None)


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
    session.info["audit_appended"] = True
    return e


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None
    head_hash: str = GENESIS
    anchor_seq: int | None = None  # the anchored event the chain was checked against


def verify(
    session: Session, *, batch: int = 5000, anchor: tuple[int, str] | None = None
) -> ChainReport:
    """Recompute the whole chain; report the first event that does not fit. With ``anchor``
    (seq, hash) as kept outside the database (:mod:`placement.service.anchor`), the chain
    must also hold that event with that hash: a consistent rewrite of the chain, or an
    older backup restored, does not."""
    r = _verify_chain(session, batch)
    if not r.ok or anchor is None:
        return r
    seq, hash_ = anchor
    if seq > r.head_seq:
        why = (
            f"the database is behind its anchor: the anchor holds event {seq}, the chain ends "
            f"at {r.head_seq} (an older backup restored, or events removed)"
        )
        return ChainReport(False, r.events, r.head_seq, r.head_seq + 1, why, r.head_hash, seq)
    got = (
        GENESIS
        if seq == 0
        else session.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first()
    )
    if got != hash_:
        why = f"event {seq} does not match the anchor: the chain was rewritten"
        return ChainReport(False, r.events, r.head_seq, seq, why, r.head_hash, seq)
    return ChainReport(True, r.events, r.head_seq, None, None, r.head_hash, seq)


def _verify_chain(session: Session, batch: int) -> ChainReport:
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
    return ChainReport(True, n, last, None, None, prev)
