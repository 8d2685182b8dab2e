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

import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from placement.area import suggest
from placement.domain import MAX_BAND, Need, SettingKind
from placement.files.errors import InputError

__all__ = [
    "AddPlaces",
    "Base",
    "CapFees",
    "Change",
    "CloseSetting",
    "DemandGrowth",
    "OpenSetting",
    "Redesignate",
    "Scenario",
    "Select",
    "load_scenario",
    "parse_scenario",
]

MechanismChoice = Literal["optimised", "preference-first", "both"]
SetPhase = Literal["primary", "secondary", "all-through", "post16", "any"]
NEAR_SPECIAL = ("centre", "largest gaps")
PHASES_OF_SETTING: tuple[SetPhase, ...] = ("primary", "secondary", "all-through", "post16", "any")
CHILD_PHASES = ("early_years", "primary", "secondary", "post16")
MAX_COUNT = 500


@dataclass(frozen=True, slots=True)
class Select:
    """Which existing settings a change applies to, so that a scenario works on any generated
    area (whose ids are generated): the ``count`` settings of this ``kind``/``phase``/``need``
    that come first by ``near``. Ties break by setting id, so the choice is deterministic."""

    kinds: tuple[SettingKind, ...] = ()
    phase: SetPhase = "any"
    need: Need | None = None  # designated for this need
    in_area: bool | None = True
    count: int = 1
    near: str = "centre"  # "centre", "largest gaps", a town name, or a setting id


@dataclass(frozen=True, slots=True)
class AddPlaces:
    """Add (or, negative, remove) places at a setting: in its ``need`` pool, or general."""

    line: int | None
    places: int
    setting_id: str | None = None
    select: Select | None = None
    need: Need | None = None


@dataclass(frozen=True, slots=True)
class OpenSetting:
    """A new setting. Where it is: ``easting``/``northing``, or ``near`` (see :class:`Select`
    for the words), or one at each setting ``at`` selects (resourced provision in six
    primaries: six new settings, each at its host school)."""

    line: int | None
    setting_id: str
    name: str
    kind: SettingKind
    low_age: int
    high_age: int
    designations: Mapping[Need, int]
    pools: Mapping[Need, int]
    capacity: int
    annual_fee_gbp: int | None = None
    easting: float | None = None
    northing: float | None = None
    near: str | None = None
    at: Select | None = None
    s41_approved: bool = False


@dataclass(frozen=True, slots=True)
class CloseSetting:
    line: int | None
    setting_id: str | None = None
    select: Select | None = None


@dataclass(frozen=True, slots=True)
class Redesignate:
    """Replace a setting's designations (need -> highest band met) and, if given, its pools."""

    line: int | None
    designations: Mapping[Need, int]
    pools: Mapping[Need, int] | None = None
    setting_id: str | None = None
    select: Select | None = None


@dataclass(frozen=True, slots=True)
class DemandGrowth:
    """Compound growth in the number of children with ``need`` (all needs: None) in ``phase``
    (all phases: None): ``(1 + rate) ** years`` times as many."""

    line: int | None
    rate: float
    years: int
    need: Need | None = None
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class CapFees:
    """The LA pays at most ``max_annual_fee_gbp`` for a place at a fee-charging setting of
    ``kinds`` (a national price band for independent fees)."""

    line: int | None
    max_annual_fee_gbp: int
    kinds: tuple[SettingKind, ...]


Change = AddPlaces | OpenSetting | CloseSetting | Redesignate | DemandGrowth | CapFees


@dataclass(frozen=True, slots=True)
class Base:
    area: Path | None = None
    like: str | None = None
    seed: int = 1
    scale: float = 1.0
    cohort: Literal["caseload", "transfer"] = "caseload"
    # a planner's study: place the whole caseload afresh, as if nobody had a place (default:
    # only the children moving this round are placed; the others keep their places)
    from_scratch: bool = False
    # keys of [base] describing a generated or folder base that were ignored because the
    # scenario runs on a stored area (the service): said in the result's notes
    ignored: tuple[str, ...] = ()

    @property
    def ignored_note(self) -> str | None:
        """What the result says about :attr:`ignored` (None when nothing was)."""
        if not self.ignored:
            return None
        keys = ", ".join(f"base.{k}" for k in self.ignored)
        return (
            f"{keys} ignored: the scenario runs on the stored area it was sent to "
            "(only seed and from_scratch of [base] apply)"
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    file: str
    name: str
    description: str
    base: Base
    mechanism: MechanismChoice
    changes: tuple[Change, ...]
    policy: Mapping[str, Any] = field(default_factory=dict)
    marginal: int = 20  # candidates for the marginal value of one more place
    source: str = ""  # the TOML text (for the report)

    @property
    def mechanisms(self) -> tuple[Literal["optimised", "preference-first"], ...]:
        if self.mechanism == "both":
            return ("optimised", "preference-first")
        return (self.mechanism,)

    def with_scale(self, scale: float) -> Scenario:
        from dataclasses import replace

        return replace(self, base=replace(self.base, scale=scale))


# -- locating problems -------------------------------------------------------------------


class _Locator:
    """Finds the line of ``[[table]]`` number ``index`` (0-based) and of a key inside it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, table: str, index: int | None) -> int | None:
        pat = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        hits = [k + 1 for k, ln in enumerate(self.lines) if pat.match(ln)]
        k = 0 if index is None else index
        return hits[k] if k < len(hits) else None

    def key(self, table: str | None, index: int | None, key: str) -> int | None:
        if table is None:
            first = key.split(".")[0]
            pat = re.compile(rf"^\s*\[\[?\s*{re.escape(first)}\s*[\].]")
            for k, ln in enumerate(self.lines):
                if pat.match(ln):
                    return k + 1
        start = self.header(table, index) if table else 1
        if start is None:
            return None
        first = key.split(".")[0]
        pat = re.compile(rf"^\s*{re.escape(first)}\s*[=.]")
        for k in range(start - 1 if table is None else start, len(self.lines)):
            ln = self.lines[k]
            if table is not None and k >= start and re.match(r"^\s*\[", ln):
                break
            if table is None and re.match(r"^\s*\[", ln):
                break
            if pat.match(ln) or re.search(rf"[{{,]\s*{re.escape(first)}\s*=", ln):
                return k + 1
        return start if table else None

    def anywhere(self, key: str) -> int | None:
        """The first line assigning ``key`` (a dotted key's last part), in any table."""
        pat = re.compile(rf"(^|[\s{{,.])({re.escape(key)})\s*=")
        for k, ln in enumerate(self.lines):
            if pat.search(ln.split("#")[0]):
                return k + 1
        return None


class _Ctx:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.loc = _Locator(text)

    def fail(
        self, table: str | None, index: int | None, key: str | None, message: str
    ) -> InputError:
        line = None
        if key is not None:
            line = self.loc.key(table, index, key)
        elif table is not None:
            line = self.loc.header(table, index)
        where = ".".join(
            x
            for x in (
                f"{table}[{index}]" if table and index is not None else table,
                key,
            )
            if x
        )
        return InputError(self.file, line, None, f"{where}: {message}" if where else message)


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
SELECT_KEYS = ["kind", "phase", "need", "in_area", "count", "near"]


class _Table:
    """One table of the file with typed getters that fail with the key's location."""

    def __init__(
        self, ctx: _Ctx, m: Mapping[str, Any], table: str | None, index: int | None
    ) -> None:
        self.ctx, self.m, self.table, self.index = ctx, m, table, index

    def fail(self, key: str | None, message: str) -> InputError:
        return self.ctx.fail(self.table, self.index, key, message)

    def keys(self, allowed: Sequence[str]) -> None:
        for k in self.m:
            if k not in allowed:
                raise self.fail(k, f"unknown key{suggest(k, list(allowed))}")

    def has(self, key: str) -> bool:
        return key in self.m

    def int_(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"{v!r} must be a whole number")
        if not lo <= v <= hi:
            raise self.fail(key, f"{v} must be from {lo} to {hi}")
        return v

    def float_(self, key: str, lo: float, hi: float, default: float | None = None) -> float:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.fail(key, f"{v!r} must be a number")
        if not lo <= v <= hi:
            raise self.fail(key, f"{v} must be from {lo} to {hi}")
        return float(v)

    def str_(self, key: str, default: str | None = None) -> str:
        v = self.m.get(key, default)
        if v is None:
            raise self.fail(None, f"missing key {key!r}")
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"{v!r} must be a non-empty string")
        return v

    def bool_(self, key: str, default: bool) -> bool:
        v = self.m.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"{v!r} must be true or false")
        return v

    def need(self, key: str, value: Any = None) -> Need:
        v = self.m.get(key) if value is None else value
        codes = [n.value for n in Need]
        if not isinstance(v, str) or v.upper() not in codes:
            raise self.fail(key, f"unknown need {v!r}{suggest(str(v).upper(), codes)}")
        return Need(v.upper())

    def kind(self, key: str, value: Any = None) -> SettingKind:
        v = self.m.get(key) if value is None else value
        kinds = [k.value for k in SettingKind]
        if not isinstance(v, str) or v not in kinds:
            raise self.fail(key, f"unknown setting kind {v!r}{suggest(str(v), kinds)}")
        return SettingKind(v)

    def kinds(self, key: str, default: Sequence[SettingKind] = ()) -> tuple[SettingKind, ...]:
        v = self.m.get(key)
        if v is None:
            return tuple(default)
        vals = v if isinstance(v, list) else [v]
        return tuple(self.kind(key, x) for x in vals)

    def needs_to_int(self, key: str, lo: int, hi: int) -> dict[Need, int]:
        v = self.m.get(key)
        if not isinstance(v, Mapping) or not v:
            raise self.fail(key, "must be a table of need code = number, e.g. {ASD = 5}")
        out: dict[Need, int] = {}
        for k, x in v.items():
            nd = self.need(key, k)
            if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
                raise self.fail(key, f"{k} = {x!r} must be a whole number from {lo} to {hi}")
            out[nd] = x
        return out

    def sub(self, key: str) -> _Table:
        v = self.m.get(key)
        if not isinstance(v, Mapping):
            raise self.fail(key, 'must be a table, e.g. {kind = "mainstream", count = 6}')
        return _Table(self.ctx, v, self.table, self.index)

    def select(self, key: str) -> Select:
        t = self.sub(key)
        for k in t.m:
            if k not in SELECT_KEYS:
                raise self.fail(key, f"unknown key {k!r}{suggest(k, SELECT_KEYS)}")
        phase = t.m.get("phase", "any")
        if phase not in PHASES_OF_SETTING:
            raise self.fail(
                key,
                f"phase {phase!r} must be one of {', '.join(PHASES_OF_SETTING)}"
                f"{suggest(str(phase), list(PHASES_OF_SETTING))}",
            )
        in_area = t.m.get("in_area", True)
        if not isinstance(in_area, bool):
            raise self.fail(key, "in_area must be true or false")
        near = t.m.get("near", "centre")
        if not isinstance(near, str) or not near.strip():
            raise self.fail(key, "near must be 'centre', 'largest gaps', a town or a setting id")
        return Select(
            kinds=t.kinds("kind"),
            phase=phase,
            need=t.need("need") if "need" in t.m else None,
            in_area=in_area,
            count=t.int_("count", 1, MAX_COUNT, 1),
            near=near.strip(),
        )

    def target(self) -> tuple[str | None, Select | None]:
        sid = self.m.get("setting_id")
        if ("setting_id" in self.m) == ("select" in self.m):
            raise self.fail(None, "give exactly one of setting_id or select")
        if sid is not None:
            return self.str_("setting_id"), None
        return None, self.select("select")


def _array(ctx: _Ctx, m: Mapping[str, Any], key: str) -> list[_Table]:
    v = m.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, Mapping) for x in v):
        raise ctx.fail(None, None, key, f"write it as [[{key}]] tables")
    return [_Table(ctx, x, key, i) for i, x in enumerate(v)]


def _line(t: _Table) -> int | None:
    return t.ctx.loc.header(t.table or "", t.index)


def _add_places(t: _Table) -> AddPlaces:
    t.keys(["setting_id", "select", "need", "places"])
    sid, sel = t.target()
    places = t.int_("places", -10_000, 10_000)
    if places == 0:
        raise t.fail("places", "0 changes nothing")
    return AddPlaces(_line(t), places, sid, sel, t.need("need") if t.has("need") else None)


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


def _open_setting(t: _Table) -> OpenSetting:
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
        _line(t),
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


def _close(t: _Table) -> CloseSetting:
    t.keys(["setting_id", "select"])
    sid, sel = t.target()
    return CloseSetting(_line(t), sid, sel)


def _redesignate(t: _Table) -> Redesignate:
    t.keys(["setting_id", "select", "designations", "pools"])
    sid, sel = t.target()
    des = t.needs_to_int("designations", 1, MAX_BAND)
    pools = t.needs_to_int("pools", 0, 10_000) if t.has("pools") else None
    for nd in pools or {}:
        if nd not in des:
            raise t.fail("pools", f"a pool for {nd} but the setting is not designated for it")
    return Redesignate(_line(t), des, pools, sid, sel)


def _growth(t: _Table) -> DemandGrowth:
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
        _line(t), t.float_("rate", -0.5, 1.0), t.int_("years", 1, 10, 1), need, phase
    )


FEE_KINDS = (
    SettingKind.INDEPENDENT_SPECIAL,
    SettingKind.INDEPENDENT_MAINSTREAM,
    SettingKind.SPECIALIST_POST16,
    SettingKind.NON_MAINTAINED_SPECIAL,
)


def _cap_fees(t: _Table) -> CapFees:
    t.keys(["max_annual_fee_gbp", "kinds"])
    kinds = t.kinds("kinds", FEE_KINDS)
    for k in kinds:
        if k not in FEE_KINDS:
            raise t.fail(
                "kinds",
                f"{k} does not charge a fee (fee kinds: {', '.join(x.value for x in FEE_KINDS)})",
            )
    return CapFees(_line(t), t.int_("max_annual_fee_gbp", 1_000, 1_000_000), kinds)


STORED_BASE_KEYS = ("seed", "from_scratch")  # what [base] gives on a stored area
GENERATED_BASE_KEYS = ("area", "like", "scale", "cohort")  # ignored there (with a note)


def _base(ctx: _Ctx, m: Mapping[str, Any], base_dir: Path, stored: bool) -> Base:
    if "base" not in m:
        return Base() if stored else Base(like="Kent")
    if not isinstance(m["base"], Mapping):
        raise ctx.fail(None, None, "base", "must be a table")
    t = _Table(ctx, m["base"], "base", None)
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


def _policy(ctx: _Ctx, m: Mapping[str, Any]) -> dict[str, Any]:
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

MAX_DEPTH = 16  # tables and arrays within one another; the deepest real file uses 4


def _too_deep(value: object) -> str | None:
    """Where tables and arrays in ``value`` nest more than :data:`MAX_DEPTH` deep (the first
    keys of the path), without recursion; ``None`` if nowhere."""
    stack: list[tuple[object, tuple[str, ...]]] = [(value, ())]
    while stack:
        v, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join(path[:6]).replace(".[", "[") + "..."
        if isinstance(v, dict):
            stack.extend((x, (*path, str(k))) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, (*path, f"[{n}]")) for n, x in enumerate(v))
    return None


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
    ctx = _Ctx(file, text)
    try:
        m = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        hit = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(hit.group(1)) if hit else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise InputError(file, line, None, f"not valid TOML: {msg}") from None
    except RecursionError:
        raise InputError(file, None, None, "not valid TOML: nested too deeply") from None
    deep = _too_deep(m)
    if deep is not None:
        # a dotted key nests as deep as it likes in a few bytes (name.a.a.a... = 1); no
        # scenario needs more than a few levels, and quoting such a value would recurse
        raise InputError(
            file, None, None, f"{deep}: nested too deeply (more than {MAX_DEPTH} levels)"
        )
    top = _Table(ctx, m, None, None)
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
    parsers: dict[str, Callable[[_Table], Change]] = {
        "add_places": _add_places,
        "open_setting": _open_setting,
        "close_setting": _close,
        "redesignate": _redesignate,
        "demand_growth": _growth,
        "cap_fees": _cap_fees,
    }
    for key, fn in parsers.items():
        for t in _array(ctx, m, key):
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
