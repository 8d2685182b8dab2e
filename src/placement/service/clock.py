"""The service's clock: every date and time the service stores or compares comes from here,
so that tests (and a demonstration of a whole year) can move it."""

from __future__ import annotations

import datetime as dt

__all__ = ["today", "utcnow"]


def utcnow() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in UTC."""
    return utcnow().date()
