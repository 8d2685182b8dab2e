"""Scenario files: what a planner wants to change, parsed and validated before anything runs.

A scenario is TOML (see ``scenarios/*.toml`` for five worked examples)::

    name = "New 120-place ASD/SLCN special free school"
    mechanism = "both"            # optimised | preference-first | both

    [base]                        # either area = "dir" (relative to this file) or like = "Kent"
    like = "Kent"
    seed = 1
    scale = 1.0
    cohort = "caseload"

    [policy]                      # overrides laid over models/*.toml (and the area's policy.toml)
    travel.max_journey_min.secondary = 90

    [[add_places]]                # negative places remove
    setting_id = "123456"         # or select = {kind = "special_la_maintained", count = 2}
    need = "ASD"                  # optional: the need pool; without it, general places
    places = 20

    [[open_setting]] ... [[close_setting]] ... [[redesignate]] ... [[demand_growth]] ...
    [[cap_fees]] ...

Every problem is an :class:`~placement.files.errors.InputError` naming the file, the line
(found from the table and key where tomllib cannot say) and the dotted key, with a
"did you mean" for unknown keys and codes. Parsing does no I/O beyond reading the one file;
areas are not loaded and LA names are resolved here only to fail early.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from placement.area import suggest
from placement.domain import MAX_BAND, SettingKind
from placement.files.errors import InputError
from placement.scenarios.changes import (
    CHILD_PHASES,
    AddPlaces,
    Base,
    CapFees,
    Change,
    CloseSetting,
    DemandGrowth,
    OpenSetting,
    Redesignate,
    Scenario,
)
from placement.scenarios.toml_table import Ctx, Table, header_line, read_toml, tables

__all__ = ["MAX_SCALE", "load_scenario", "parse_scenario"]

# -- field readers ------------------------------------------------------------------------

TOP_KEYS = [
    "name",
    "description",
    "mechanism",
    "marginal",
    "base",
    "policy",
    "add_places",
    "open_setting",
    "close_setting",
    "redesignate",
    "demand_growth",
    "cap_fees",
]


def _add_places(t: Table) -> AddPlaces:
    t.keys(["setting_id", "select", "need", "places"])
    sid, sel = t.target()
    places = t.int_("places", -10_000, 10_000)
    if places == 0:
        raise t.fail("places", "0 changes nothing")
    return AddPlaces(header_line(t), places, sid, sel, t.need("need") if t.has("need") else None)


_OPEN_KEYS = [
    "id",
    "name",
    "kind",
    "easting",
    "northing",
    "near",
    "near_town",
    "near_setting",
    "at",
    "low_age",
    "high_age",
    "designations",
    "pools",
    "capacity",
    "annual_fee_gbp",
    "s41_approved",
]


def _open_setting(t: Table) -> OpenSetting:
    t.keys(_OPEN_KEYS)
    sid = t.str_("id")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,40}$", sid):
        raise t.fail("id", f"{sid!r} must be 1-40 letters, digits, '_', '-' or '.'")
    kind = t.kind("kind")
    where = [k for k in ("easting", "near", "near_town", "near_setting", "at") if t.has(k)]
    if len(where) != 1:
        raise t.fail(
            None, "say where it is with one of easting/northing, near, near_town, near_setting, at"
        )
    easting = northing = None
    near = None
    at = None
    if where[0] == "easting":
        easting = t.float_("easting", 0, 700_000)
        northing = t.float_("northing", 0, 1_300_000)
    elif where[0] == "at":
        at = t.select("at")
    else:
        near = t.str_(where[0])
    designations = t.needs_to_int("designations", 1, MAX_BAND) if t.has("designations") else {}
    pools = t.needs_to_int("pools", 0, 10_000) if t.has("pools") else {}
    for nd in pools:
        if nd not in designations:
            raise t.fail("pools", f"a pool for {nd} but the setting is not designated for it")
    capacity = t.int_("capacity", 0, 10_000, sum(pools.values()) if pools else None)
    if sum(pools.values()) > capacity:
        raise t.fail("capacity", f"{capacity} is less than the pools' {sum(pools.values())}")
    low, high = t.int_("low_age", 0, 25), t.int_("high_age", 1, 26)
    if low >= high:
        raise t.fail("high_age", f"{high} must be above low_age {low}")
    fee = t.int_("annual_fee_gbp", 0, 1_000_000) if t.has("annual_fee_gbp") else None
    s41 = t.bool_("s41_approved", False)
    if s41 and not kind.needs_s41:
        raise t.fail("s41_approved", f"only independent settings are on the s.41 list, not {kind}")
    return OpenSetting(
        header_line(t),
        sid,
        t.str_("name", sid),
        kind,
        low,
        high,
        designations,
        pools,
        capacity,
        fee,
        easting,
        northing,
        near,
        at,
        s41,
    )


def _close(t: Table) -> CloseSetting:
    t.keys(["setting_id", "select"])
    sid, sel = t.target()
    return CloseSetting(header_line(t), sid, sel)


def _redesignate(t: Table) -> Redesignate:
    t.keys(["setting_id", "select", "designations", "pools"])
    sid, sel = t.target()
    des = t.needs_to_int("designations", 1, MAX_BAND)
    pools = t.needs_to_int("pools", 0, 10_000) if t.has("pools") else None
    for nd in pools or {}:
        if nd not in des:
            raise t.fail("pools", f"a pool for {nd} but the setting is not designated for it")
    return Redesignate(header_line(t), des, pools, sid, sel)


def _growth(t: Table) -> DemandGrowth:
    t.keys(["need", "phase", "rate", "years"])
    need = None
    if t.has("need") and str(t.m["need"]).lower() != "all":
        need = t.need("need")
    phase = t.m.get("phase")
    if phase is not None and phase not in CHILD_PHASES:
        raise t.fail(
            "phase",
            f"{phase!r} must be one of {', '.join(CHILD_PHASES)}"
            f"{suggest(str(phase), list(CHILD_PHASES))}",
        )
    return DemandGrowth(
        header_line(t), t.float_("rate", -0.5, 1.0), t.int_("years", 1, 10, 1), need, phase
    )


FEE_KINDS = (
    SettingKind.INDEPENDENT_SPECIAL,
    SettingKind.INDEPENDENT_MAINSTREAM,
    SettingKind.SPECIALIST_POST16,
    SettingKind.NON_MAINTAINED_SPECIAL,
)


def _cap_fees(t: Table) -> CapFees:
    t.keys(["max_annual_fee_gbp", "kinds"])
    kinds = t.kinds("kinds", FEE_KINDS)
    for k in kinds:
        if k not in FEE_KINDS:
            raise t.fail(
                "kinds",
                f"{k} does not charge a fee (fee kinds: {', '.join(x.value for x in FEE_KINDS)})",
            )
    return CapFees(header_line(t), t.int_("max_annual_fee_gbp", 1_000, 1_000_000), kinds)


STORED_BASE_KEYS = ("seed", "from_scratch")  # what [base] gives on a stored area
GENERATED_BASE_KEYS = ("area", "like", "scale", "cohort")  # ignored there (with a note)


def _base(ctx: Ctx, m: Mapping[str, Any], base_dir: Path, stored: bool) -> Base:
    if "base" not in m:
        return Base() if stored else Base(like="Kent")
    if not isinstance(m["base"], Mapping):
        raise ctx.fail(None, None, "base", "must be a table")
    t = Table(ctx, m["base"], "base", None)
    if stored:
        # a file written for the CLI (like, scale, cohort or area) runs as it is: those keys
        # describe a base the stored area replaces, so they are ignored and the result says so
        # (never read: a folder named here is not looked at on the server)
        t.keys([*STORED_BASE_KEYS, *GENERATED_BASE_KEYS])
        return Base(
            seed=t.int_("seed", 0, 2**31 - 1, 1),
            from_scratch=t.bool_("from_scratch", False),
            ignored=tuple(k for k in GENERATED_BASE_KEYS if t.has(k)),
        )
    t.keys(["area", "like", "seed", "scale", "cohort", "from_scratch"])
    if t.has("area") == t.has("like"):
        raise t.fail(None, 'give exactly one of area = "folder" or like = "Kent"')
    cohort = t.m.get("cohort", "caseload")
    if cohort not in ("caseload", "transfer"):
        raise t.fail("cohort", f"{cohort!r} must be caseload or transfer")
    area = None
    like = None
    if t.has("area"):
        area = (base_dir / t.str_("area")).resolve()
        for k in ("scale", "cohort"):
            if t.has(k):
                raise t.fail(k, "applies only to a generated area (like = ...)")
    else:
        from placement.register import UnknownAreaError, resolve_la

        like = t.str_("like")
        try:
            resolve_la(like)
        except UnknownAreaError as e:
            raise t.fail("like", str(e)) from None
    return Base(
        area,
        like,
        t.int_("seed", 0, 2**31 - 1, 1),
        t.float_("scale", 0.0001, MAX_SCALE, 1.0),
        cohort,
        t.bool_("from_scratch", False),
    )


def _policy(ctx: Ctx, m: Mapping[str, Any]) -> dict[str, Any]:
    from placement.files.policy_files import load_policy
    from placement.policy import SECTIONS, PolicyError

    pol = m.get("policy", {})
    if not isinstance(pol, Mapping):
        raise ctx.fail(None, None, "policy", "must be a table of policy overrides")
    for k in pol:
        if k not in SECTIONS:
            raise ctx.fail("policy", None, k, f"unknown policy section{suggest(k, list(SECTIONS))}")
    try:
        load_policy(pol)  # validate now; the area's own overrides are merged when it loads
    except PolicyError as e:
        last = e.path.split(":")[-1].strip().split(".")[-1]
        line = ctx.loc.anywhere(last) or ctx.loc.header("policy", None)
        raise InputError(ctx.file, line, None, f"policy.{e.path}: {e.message}") from None
    return dict(pol)


MAX_SCALE = 10.0
"""The largest scale of a generated base (Kent x 10: about 200,000 children); a larger one
runs out of memory rather than failing with a message. ``--scale`` on the CLI shares it."""


def parse_scenario(
    text: str,
    *,
    file: str = "scenario.toml",
    base_dir: Path | None = None,
    stored_base: bool = False,
) -> Scenario:
    """Parse and validate a scenario; ``base_dir`` resolves ``base.area`` (default: cwd).
    ``stored_base``: the caller supplies the base area (the service's stored area): of
    ``[base]`` only ``seed`` and ``from_scratch`` apply; ``area``, ``like``, ``scale`` and
    ``cohort`` are ignored (:attr:`Base.ignored`, said in the result's notes)."""
    ctx = Ctx(file, text)
    m = read_toml(text, file)
    top = Table(ctx, m, None, None)
    for k in m:
        if k not in TOP_KEYS:
            raise ctx.fail(None, None, k, f"unknown key{suggest(k, TOP_KEYS)}")
    mech = m.get("mechanism", "both")
    if mech not in ("optimised", "preference-first", "both"):
        raise ctx.fail(
            None,
            None,
            "mechanism",
            f"{mech!r} must be optimised, preference-first or both"
            f"{suggest(str(mech), ['optimised', 'preference-first', 'both'])}",
        )
    base = _base(ctx, m, base_dir or Path.cwd(), stored_base)
    changes: list[Change] = []
    parsers: dict[str, Callable[[Table], Change]] = {
        "add_places": _add_places,
        "open_setting": _open_setting,
        "close_setting": _close,
        "redesignate": _redesignate,
        "demand_growth": _growth,
        "cap_fees": _cap_fees,
    }
    for key, fn in parsers.items():
        for t in tables(ctx, m, key):
            changes.append(fn(t))
    ids = [c.setting_id for c in changes if isinstance(c, OpenSetting)]
    for c in changes:
        if isinstance(c, OpenSetting) and ids.count(c.setting_id) > 1:
            raise InputError(file, c.line, None, f"open_setting: id {c.setting_id!r} twice")
    changes.sort(key=_order)
    return Scenario(
        file=file,
        name=top.str_("name", Path(file).stem),
        description=str(m.get("description", "")),
        base=base,
        mechanism=mech,
        changes=tuple(changes),
        policy=_policy(ctx, m),
        marginal=top.int_("marginal", 0, 200, 20),
        source=text,
    )


_ORDER = {
    CloseSetting: 0,
    Redesignate: 1,
    AddPlaces: 2,
    OpenSetting: 3,
    CapFees: 4,
    DemandGrowth: 5,
}


def _order(c: Change) -> int:
    """Changes apply in a fixed order (close, redesignate, add, open, cap fees, growth) so that
    the result does not depend on the order of tables in the file."""
    return _ORDER[type(c)]


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (UTF-8, with or without the BOM Notepad writes)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path.name, None, None, "file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(path.name, None, None, f"not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise InputError(path.name, None, None, f"cannot read: {e.strerror}") from None
    return parse_scenario(text, file=path.name, base_dir=path.resolve().parent)
