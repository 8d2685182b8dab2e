"""Children and settings to and from plain JSON (their stored form), losslessly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from placement.domain import (
    Child,
    Entry,
    Feature,
    Location,
    Need,
    Pool,
    Preference,
    Setting,
    SettingKind,
    Sex,
)

__all__ = ["child_from_dict", "child_to_dict", "setting_from_dict", "setting_to_dict"]


def child_to_dict(c: Child) -> dict[str, Any]:
    return {
        "child_id": c.child_id,
        "easting": c.location.easting,
        "northing": c.location.northing,
        "primary_need": c.primary_need.value,
        "need_band": c.need_band,
        "nc_year": c.nc_year,
        "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
        "secondary_needs": sorted(n.value for n in c.secondary_needs),
        "required_features": sorted(f.value for f in c.required_features),
        "transport_eligible": c.transport_eligible,
        "max_journey_min": c.max_journey_min,
        "sex": c.sex.value,
        "current_setting_id": c.current_setting_id,
        "excluded_setting_ids": sorted(c.excluded_setting_ids),
        "preferences": [p.setting_id for p in sorted(c.preferences, key=lambda p: p.rank)],
        "looked_after": c.looked_after,
        "sibling_setting_ids": sorted(c.sibling_setting_ids),
        "new_plan": c.new_plan,
        "move_requested": c.move_requested,
    }


def child_from_dict(d: dict[str, Any]) -> Child:
    dob = d.get("date_of_birth")
    return Child(
        d["child_id"],
        location=Location(d["easting"], d["northing"]),
        primary_need=Need(d["primary_need"]),
        need_band=d["need_band"],
        nc_year=d.get("nc_year"),
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
        secondary_needs=frozenset(Need(n) for n in d.get("secondary_needs", ())),
        required_features=frozenset(Feature(f) for f in d.get("required_features", ())),
        transport_eligible=bool(d.get("transport_eligible", False)),
        max_journey_min=d.get("max_journey_min"),
        sex=Sex(d["sex"]),
        current_setting_id=d.get("current_setting_id"),
        excluded_setting_ids=frozenset(d.get("excluded_setting_ids", ())),
        preferences=tuple(Preference(s, r + 1) for r, s in enumerate(d.get("preferences", ()))),
        looked_after=bool(d.get("looked_after", False)),
        sibling_setting_ids=frozenset(d.get("sibling_setting_ids", ())),
        new_plan=bool(d.get("new_plan", False)),
        move_requested=bool(d.get("move_requested", False)),
    )


def setting_to_dict(s: Setting) -> dict[str, Any]:
    return {
        "setting_id": s.setting_id,
        "name": s.name,
        "kind": s.kind.value,
        "easting": s.location.easting,
        "northing": s.location.northing,
        "low_age": s.low_age,
        "high_age": s.high_age,
        "capacity": s.capacity,
        "roll": s.roll,
        "entry": s.entry.value,
        "designations": {n.value: b for n, b in s.designations.items()},
        "features": sorted(f.value for f in s.features),
        "pools": {n.value: [p.places, p.roll] for n, p in s.pools.items()},
        "s41_approved": s.s41_approved,
        "la_code": s.la_code,
        "in_area": s.in_area,
        "annual_fee_gbp": s.annual_fee_gbp,
    }


def setting_from_dict(
    d: dict[str, Any], *, extra_roll: int = 0, extra_pool_roll: dict[str, int] | None = None
) -> Setting:
    """A setting; ``extra_roll`` (and per-need ``extra_pool_roll``) add places confirmed
    through the service to the roll, capped at capacity, so the next run sees them taken."""
    xp = extra_pool_roll or {}
    pools = {
        Need(n): Pool(pl, min(pl, r + xp.get(n, 0))) for n, (pl, r) in d.get("pools", {}).items()
    }
    return Setting(
        d["setting_id"],
        name=d["name"],
        kind=SettingKind(d["kind"]),
        location=Location(d["easting"], d["northing"]),
        low_age=d["low_age"],
        high_age=d["high_age"],
        capacity=d["capacity"],
        roll=min(d["capacity"], d["roll"] + extra_roll),
        entry=Entry(d["entry"]),
        designations={Need(n): b for n, b in d.get("designations", {}).items()},
        features=frozenset(Feature(f) for f in d.get("features", ())),
        pools=pools,
        s41_approved=bool(d.get("s41_approved", False)),
        la_code=d.get("la_code", ""),
        in_area=bool(d.get("in_area", True)),
        annual_fee_gbp=d.get("annual_fee_gbp"),
    )
