"""The service's clock: every date and time the service stores or compares comes from here, so
that tests, and a demonstration of a whole year, can move it (the setting ``PLACEMENT_NOW``,
or :func:`set_now`). The clock is moved by an offset: time still passes after it is set."""

from __future__ import annotations

import datetime as dt

__all__ = ["parse_now", "set_now", "today", "utcnow"]

_offset = dt.timedelta(0)


def parse_now(text: str) -> dt.datetime:
    """``PLACEMENT_NOW``'s value: an ISO date (midday UTC) or date and time (UTC if naive);
    :class:`ValueError` naming the variable for anything else."""
    try:
        when = (
            dt.datetime.fromisoformat(text)
            if "T" in text or " " in text
            else dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12), dt.UTC)
        )
    except ValueError:
        raise ValueError(
            f"PLACEMENT_NOW={text!r}: give a date (2027-01-10) or a date and time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def set_now(when: dt.datetime | dt.date | None) -> None:
    """Make it ``when`` now (a date: midday UTC), time passing from there; None: real time."""
    global _offset
    if when is None:
        _offset = dt.timedelta(0)
        return
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(12), dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    _offset = when - dt.datetime.now(dt.UTC)


def utcnow() -> dt.datetime:
    """Now, in UTC, on the service's clock."""
    return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """Today's date in UTC, on the service's clock."""
    return utcnow().date()
