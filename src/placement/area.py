"""An area: the children, settings and (optionally) router travel times of one allocation run.

This is the friendly, validated builder layer; :func:`placement.problem.build_problem` turns it
into the immutable, index-based :class:`~placement.problem.Problem` the solvers use.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from placement.domain import Child, DomainError, Setting

__all__ = ["Area", "TravelTime", "suggest"]


@dataclass(frozen=True, slots=True)
class TravelTime:
    """One row of a router matrix (OSRM ``table``, r5py ``TravelTimeMatrix``): minutes one way."""

    child_id: str
    setting_id: str
    minutes: int


@dataclass(frozen=True, slots=True)
class Area:
    """Children and settings of one area; ids are unique and every reference resolves."""

    name: str
    children: tuple[Child, ...]
    settings: tuple[Setting, ...]
    travel: tuple[TravelTime, ...] = ()
    la_code: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for c in self.children:
            if c.child_id in seen:
                raise DomainError("child_id", f"{c.child_id!r} appears twice")
            seen.add(c.child_id)
        sids: set[str] = set()
        for s in self.settings:
            if s.setting_id in sids:
                raise DomainError("setting_id", f"{s.setting_id!r} appears twice")
            sids.add(s.setting_id)
        for c in self.children:  # every reference, in this order
            for p in c.preferences:
                if p.setting_id not in sids:
                    _unknown("preferences", c, p.setting_id, sids)
            for sid in c.excluded_setting_ids:
                if sid not in sids:
                    _unknown("excluded_setting_ids", c, sid, sids)
            for sid in c.sibling_setting_ids:
                if sid not in sids:
                    _unknown("sibling_setting_ids", c, sid, sids)
            if c.current_setting_id and c.current_setting_id not in sids:
                _unknown("current_setting_id", c, c.current_setting_id, sids)
        pairs: set[tuple[str, str]] = set()
        for t in self.travel:
            if (t.child_id, t.setting_id) in pairs:
                raise DomainError(
                    "travel", f"child {t.child_id} to setting {t.setting_id} appears twice"
                )
            pairs.add((t.child_id, t.setting_id))
            if t.child_id not in seen:
                raise DomainError("travel.child_id", f"unknown child {t.child_id!r}")
            if t.setting_id not in sids:
                raise DomainError("travel.setting_id", f"unknown setting {t.setting_id!r}")
            if not 0 <= t.minutes <= 1440:
                raise DomainError("travel.minutes", f"{t.minutes} must be 0 to 1440")


def _unknown(what: str, c: Child, sid: str, sids: set[str]) -> NoReturn:
    raise DomainError(
        what, f"child {c.child_id}: unknown setting {sid!r}{suggest(sid, sorted(sids))}"
    )


def suggest(word: str, choices: Sequence[str]) -> str:
    """A " (did you mean 'x'?)" suffix when a close match exists, else ""."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
