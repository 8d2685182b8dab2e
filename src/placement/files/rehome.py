"""Synthetic children on an area's real settings.

A synthetic area (``placement.generate.generate_area``) has synthetic children and synthetic
settings. To run an LA's *real* settings (imported from GIAS) against children calibrated to
that LA, each child's references to synthetic settings (current setting, preferences,
siblings' settings, exclusions) are moved to a real setting: of the same kind (or, failing
that, the nearest kind in :data:`KIND_FALLBACK`), that admits the child's age and sex, that
is designated for the child's primary need where the kind has designations, and nearest to the
synthetic setting's site. A reference that finds no real setting is dropped; every move and
drop is counted in the notes. The children themselves (homes, needs, bands, years) are
unchanged. Pure: no files are read or written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from placement.domain import Child, Preference, Setting, SettingKind

__all__ = ["KIND_FALLBACK", "Rehomed", "rehome_children"]

# Where a kind has no real setting to take a child, the kinds tried next, in order.
KIND_FALLBACK: dict[SettingKind, tuple[SettingKind, ...]] = {
    SettingKind.MAINSTREAM: (SettingKind.INDEPENDENT_MAINSTREAM,),
    SettingKind.RESOURCED_PROVISION: (SettingKind.SEN_UNIT, SettingKind.MAINSTREAM),
    SettingKind.SEN_UNIT: (SettingKind.RESOURCED_PROVISION, SettingKind.MAINSTREAM),
    SettingKind.SPECIAL_LA: (SettingKind.SPECIAL_ACADEMY, SettingKind.NON_MAINTAINED_SPECIAL),
    SettingKind.SPECIAL_ACADEMY: (SettingKind.SPECIAL_LA, SettingKind.NON_MAINTAINED_SPECIAL),
    SettingKind.NON_MAINTAINED_SPECIAL: (
        SettingKind.INDEPENDENT_SPECIAL,
        SettingKind.SPECIAL_ACADEMY,
        SettingKind.SPECIAL_LA,
    ),
    SettingKind.INDEPENDENT_SPECIAL: (
        SettingKind.NON_MAINTAINED_SPECIAL,
        SettingKind.SPECIAL_ACADEMY,
        SettingKind.SPECIAL_LA,
    ),
    SettingKind.INDEPENDENT_MAINSTREAM: (SettingKind.MAINSTREAM,),
    SettingKind.ALTERNATIVE_PROVISION: (),
    SettingKind.FE_COLLEGE: (SettingKind.MAINSTREAM,),
    SettingKind.SPECIALIST_POST16: (
        SettingKind.INDEPENDENT_SPECIAL,
        SettingKind.FE_COLLEGE,
    ),
}


@dataclass(frozen=True, slots=True)
class Rehomed:
    """The children with their references on real settings, and what was done."""

    children: tuple[Child, ...]
    notes: tuple[str, ...]


@dataclass(slots=True)
class _Kind:
    settings: list[Setting]
    xy: np.ndarray


def _age(c: Child) -> int | None:
    return None if c.nc_year is None else c.nc_year + 4


def _fits(s: Setting, c: Child, need_strict: bool) -> bool:
    age = _age(c)
    if age is not None and not s.low_age <= age < s.high_age:
        return False
    if not s.entry.admits(c.sex):
        return False
    return not (need_strict and s.designations and c.primary_need not in s.designations)


def rehome_children(
    children: Sequence[Child], synthetic: Iterable[Setting], real: Iterable[Setting]
) -> Rehomed:
    """Move every reference of ``children`` from ``synthetic`` settings to ``real`` ones.

    Raises
    ------
    KeyError
        A child names a setting that is not in ``synthetic``.
    """
    finder = _Finder({s.setting_id: s for s in synthetic}, _by_kind(real))
    dropped: Counter[tuple[str, str]] = Counter()  # (reference, synthetic kind)
    out = [_rehome(c, finder, dropped) for c in children]
    return Rehomed(children=tuple(out), notes=tuple(_notes(finder.moved, dropped)))


def _by_kind(real: Iterable[Setting]) -> dict[SettingKind, _Kind]:
    """The real settings of each kind (by id) and their points."""
    by_kind: dict[SettingKind, _Kind] = {}
    for s in sorted(real, key=lambda s: s.setting_id):
        k = by_kind.setdefault(s.kind, _Kind([], np.zeros((0, 2))))
        k.settings.append(s)
    for k in by_kind.values():
        k.xy = np.array([[s.location.easting, s.location.northing] for s in k.settings])
    return by_kind


@dataclass(slots=True)
class _Finder:
    """The real setting a synthetic one's reference moves to, for a child (cached by what
    decides it: the setting, and the child's primary need, year and sex)."""

    syn: dict[str, Setting]
    by_kind: dict[SettingKind, _Kind]
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)  # (synthetic, real kind)
    cache: dict[tuple[str, str, int | None, str], str | None] = field(default_factory=dict)

    def find(self, sid: str, c: Child) -> str | None:
        s = self.syn[sid]
        key = (sid, c.primary_need.value, c.nc_year, c.sex.value)
        if key in self.cache:
            return self.cache[key]
        found: str | None = None
        for kind in (s.kind, *KIND_FALLBACK[s.kind]):
            k = self.by_kind.get(kind)
            if k is None:
                continue
            d = np.hypot(k.xy[:, 0] - s.location.easting, k.xy[:, 1] - s.location.northing)
            order = np.argsort(d, kind="stable")
            for strict in (True, False):
                hit = next((k.settings[i] for i in order if _fits(k.settings[i], c, strict)), None)
                if hit is not None:
                    found = hit.setting_id
                    self.moved[(s.kind.value, kind.value)] += 1
                    break
            if found is not None:
                break
        self.cache[key] = found
        return found


def _rehome(c: Child, finder: _Finder, dropped: Counter[tuple[str, str]]) -> Child:
    """The child with its references on real settings (those that find none dropped and
    counted)."""
    current = None
    if c.current_setting_id is not None:
        current = finder.find(c.current_setting_id, c)
        if current is None:
            dropped[("current setting", finder.syn[c.current_setting_id].kind.value)] += 1
    prefs: list[str] = []
    for p in sorted(c.preferences, key=lambda p: p.rank):
        r = finder.find(p.setting_id, c)
        if r is None:
            dropped[("preference", finder.syn[p.setting_id].kind.value)] += 1
        elif r not in prefs:
            prefs.append(r)
    siblings = {r for sid in c.sibling_setting_ids if (r := finder.find(sid, c)) is not None}
    excluded = {r for sid in c.excluded_setting_ids if (r := finder.find(sid, c)) is not None}
    excluded -= set(prefs) | ({current} if current else set())
    return replace(
        c,
        current_setting_id=current,
        preferences=tuple(Preference(sid, i) for i, sid in enumerate(prefs, start=1)),
        sibling_setting_ids=frozenset(siblings),
        excluded_setting_ids=frozenset(excluded),
    )


def _notes(moved: Counter[tuple[str, str]], dropped: Counter[tuple[str, str]]) -> list[str]:
    notes = [
        "synthetic children keep their homes, needs, bands, years and sex; each reference to "
        "a synthetic setting (current, preferences, siblings, exclusions) is moved to the "
        "nearest real setting of the same kind that admits the child's age and sex, designated "
        "for its primary need where the kind has designations (else any that admits it)",
    ]
    for (sk, rk), n in sorted(moved.items()):
        if sk != rk:
            notes.append(
                f"{sk}: no real setting of this kind fitted some children; {n} reference "
                f"pattern(s) moved to {rk} instead"
            )
    for (what, sk), n in sorted(dropped.items()):
        notes.append(
            f"{n} {what} reference(s) to a synthetic {sk} setting dropped: no real one fits"
        )
    return notes
