"""Small builders for hand-made areas (British National Grid points near Canterbury)."""

from __future__ import annotations

from typing import Any

from placement.area import Area
from placement.domain import Child, Location, Need, Pool, Preference, Setting, SettingKind, Sex
from placement.files.policy_files import load_policy
from placement.policy import Policy
from placement.problem import Problem, build_problem

E0, N0 = 600_000.0, 150_000.0


def at(km_east: float = 0.0, km_north: float = 0.0) -> Location:
    return Location(E0 + km_east * 1000.0, N0 + km_north * 1000.0)


def km_taking(minutes: float, policy: Policy | None = None, transport: bool = False) -> float:
    """The straight-line km at which the policy's estimate (the road fit, the child's mode and
    the peak factor, before rounding up) is ``minutes``: tests place settings by journey time,
    not by the estimator's current numbers."""
    tv = (policy or load_policy()).travel
    mode = tv.transport if transport else tv.family
    road = (minutes / tv.peak_factor - mode.extra_min) / mode.factor
    fit = tv.estimate
    if road >= fit.minutes[-1]:
        return fit.km[-1] + (road - fit.minutes[-1]) / fit.min_per_km_beyond
    if road <= fit.minutes[0]:
        return 0.0
    j = next(j for j in range(1, len(fit.km)) if fit.minutes[j] >= road)
    w = (road - fit.minutes[j - 1]) / (fit.minutes[j] - fit.minutes[j - 1])
    return fit.km[j - 1] + w * (fit.km[j] - fit.km[j - 1])


def setting(sid: str, kind: SettingKind = SettingKind.MAINSTREAM, **kw: Any) -> Setting:
    """A setting with sensible defaults: primary ages, 10 free places, at the origin."""
    args: dict[str, Any] = {
        "name": f"Setting {sid}",
        "location": at(),
        "low_age": 4,
        "high_age": 11,
        "capacity": 10,
        "roll": 0,
    }
    args.update(kw)
    return Setting(sid, kind=kind, **args)


def special(
    sid: str, needs: dict[Need, int] | None = None, places: int | None = None, **kw: Any
) -> Setting:
    """An LA special school designated for ``needs`` (default ASD to band 5), optionally with
    one pool per need of ``places``."""
    d = needs or {Need.ASD: 5}
    pools = {n: Pool(places) for n in d} if places is not None else {}
    kw.setdefault("low_age", 4)
    kw.setdefault("high_age", 19)
    kind = kw.pop("kind", SettingKind.SPECIAL_LA)
    return setting(sid, kind, designations=d, pools=pools, **kw)


def child(
    cid: str, need: Need = Need.ASD, band: int = 1, prefs: tuple[str, ...] = (), **kw: Any
) -> Child:
    """A Year 3 child at the origin with the given need, band and ranked preferences."""
    kw.setdefault("nc_year", 3)
    kw.setdefault("location", at())
    kw.setdefault("sex", Sex.MALE)
    return Child(
        cid,
        primary_need=need,
        need_band=band,
        preferences=tuple(Preference(s, r + 1) for r, s in enumerate(prefs)),
        **kw,
    )


def problem(
    children: list[Child], settings: list[Setting], policy: Policy | None = None, **area_kw: Any
) -> Problem:
    return build_problem(
        Area("test", tuple(children), tuple(settings), **area_kw), policy or load_policy()
    )
