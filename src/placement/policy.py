"""Policy: funding, travel, suitability and objective parameters, as frozen dataclasses.

Policy is data (``models/*.toml``, versioned, each figure with its source). This module turns a
plain mapping (parsed TOML) into validated, immutable objects; reading files is the job of
:mod:`placement.files.policy_files`. Unknown keys are errors, with a "did you mean".
"""

from __future__ import annotations

import difflib
import hashlib
import json
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from placement.domain import MAX_BAND, Need, Phase, SettingKind

__all__ = [
    "PRIORITY_RULES",
    "Funding",
    "Objective",
    "Policy",
    "PolicyError",
    "RoadFit",
    "Suitability",
    "Travel",
    "TravelMode",
    "deep_merge",
]


class PolicyError(ValueError):
    """A policy mapping that cannot be used; ``path`` is the dotted key at fault."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


PriorityRule = Literal["looked_after", "need_band", "sibling", "current_setting", "distance"]
PRIORITY_RULES: tuple[PriorityRule, ...] = (
    "looked_after",
    "need_band",
    "sibling",
    "current_setting",
    "distance",
)


LIST_COMPONENTS = (
    "need_fit",
    "journey",
    "cost",
    "preference",
    "mainstream",
    "continuity",
    "capacity_pressure",
)


# a value quoted in a message: nesting and length bounded, so that a deeply nested or huge
# override (a client's JSON or TOML) gives a short error, not a RecursionError
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 80, 80


def _show(v: Any) -> str:
    return _REPR.repr(v)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _table(m: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    v = m.get(key)
    if not isinstance(v, Mapping):
        raise PolicyError(f"{path}{key}", "missing or not a table")
    return v


def _sub(m: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """An optional table (empty when absent)."""
    v = m.get(key, {})
    if not isinstance(v, Mapping):
        raise PolicyError(f"{path}{key}", "must be a table")
    return v


def _list(v: Any, path: str) -> Sequence[Any]:
    if not isinstance(v, list):
        raise PolicyError(path, "must be a list")
    return v


def _version(m: Mapping[str, Any], path: str) -> str:
    v = m.get("version", "unversioned")
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise PolicyError(f"{path}version", f"{_show(v)} must be a string")
    return str(v)


def _check_keys(m: Mapping[str, Any], allowed: list[str], path: str) -> None:
    for k in m:
        if k not in allowed:
            raise PolicyError(f"{path}{k}", f"unknown key{_suggest(k, allowed)}")


def _int(v: Any, path: str, lo: int = 0, hi: int = 10_000_000) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise PolicyError(path, f"{_show(v)} must be a whole number from {lo} to {hi}")
    return v


def _float(v: Any, path: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise PolicyError(path, f"{_show(v)} must be a number from {lo} to {hi}")
    return float(v)


def _kind(k: str, path: str) -> SettingKind:
    try:
        return SettingKind(k)
    except ValueError:
        raise PolicyError(
            f"{path}{k}", f"unknown setting kind{_suggest(k, [s.value for s in SettingKind])}"
        ) from None


def _need(k: Any, path: str) -> Need:
    try:
        return Need(k)
    except ValueError:
        raise PolicyError(
            path, f"unknown need {_show(k)}{_suggest(str(k), [n.value for n in Need])}"
        ) from None


@dataclass(frozen=True, slots=True)
class Funding:
    """Annual public cost of a place by kind and need band, and who pays."""

    place_funding_gbp: Mapping[SettingKind, int]
    school_contribution_gbp: Mapping[SettingKind, int]
    top_up_gbp: Mapping[SettingKind, tuple[int, ...]]
    default_fee_gbp: Mapping[str, int]
    transport_base_gbp: int
    transport_per_km_gbp: int
    transport_max_gbp: int
    max_extra_cost_ratio: float
    min_extra_cost_gbp: int

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Funding:
        p = "funding."
        _check_keys(
            m,
            [
                "version",
                "place_funding_gbp",
                "school_contribution_gbp",
                "top_up_gbp",
                "default_fee_gbp",
                "transport",
                "efficiency",
            ],
            p,
        )
        place = {
            _kind(k, p + "place_funding_gbp."): _int(v, f"{p}place_funding_gbp.{k}")
            for k, v in _table(m, "place_funding_gbp", p).items()
        }
        missing = [k.value for k in SettingKind if k not in place]
        if missing:
            raise PolicyError(p + "place_funding_gbp", f"no figure for {', '.join(missing)}")
        school = {
            _kind(k, p + "school_contribution_gbp."): _int(v, f"{p}school_contribution_gbp.{k}")
            for k, v in _sub(m, "school_contribution_gbp", p).items()
        }
        top: dict[SettingKind, tuple[int, ...]] = {}
        for k, v in _table(m, "top_up_gbp", p).items():
            kind = _kind(k, p + "top_up_gbp.")
            if not isinstance(v, list) or len(v) != MAX_BAND:
                raise PolicyError(f"{p}top_up_gbp.{k}", f"must list {MAX_BAND} bands")
            top[kind] = tuple(_int(x, f"{p}top_up_gbp.{k}[{i}]") for i, x in enumerate(v))
        fees: dict[str, int] = {}
        fee_keys = [
            f"{kind.value}_{where}"
            for kind in SettingKind
            if kind.is_independent or kind is SettingKind.NON_MAINTAINED_SPECIAL
            for where in ("in_area", "out_of_area")
        ]
        for k, v in _table(m, "default_fee_gbp", p).items():
            if k not in fee_keys:
                raise PolicyError(f"{p}default_fee_gbp.{k}", f"unknown key{_suggest(k, fee_keys)}")
            fees[k] = _int(v, f"{p}default_fee_gbp.{k}")
        t = _table(m, "transport", p)
        _check_keys(t, ["base_gbp", "per_km_gbp", "max_gbp"], p + "transport.")
        e = _table(m, "efficiency", p)
        _check_keys(e, ["max_extra_cost_ratio", "min_extra_cost_gbp"], p + "efficiency.")
        return Funding(
            place_funding_gbp=place,
            school_contribution_gbp=school,
            top_up_gbp=top,
            default_fee_gbp=fees,
            transport_base_gbp=_int(t.get("base_gbp"), p + "transport.base_gbp"),
            transport_per_km_gbp=_int(t.get("per_km_gbp"), p + "transport.per_km_gbp"),
            transport_max_gbp=_int(t.get("max_gbp"), p + "transport.max_gbp"),
            max_extra_cost_ratio=_float(
                e.get("max_extra_cost_ratio"), p + "efficiency.max_extra_cost_ratio", 0.0, 10.0
            ),
            min_extra_cost_gbp=_int(
                e.get("min_extra_cost_gbp"), p + "efficiency.min_extra_cost_gbp"
            ),
        )

    @overload
    def extra_cost_threshold_gbp(self, alternative_gbp: int) -> int: ...
    @overload
    def extra_cost_threshold_gbp(
        self, alternative_gbp: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]: ...
    def extra_cost_threshold_gbp(
        self, alternative_gbp: int | npt.NDArray[np.int64]
    ) -> int | npt.NDArray[np.int64]:
        """The most a preference may cost above ``alternative_gbp`` (one cost, or one per
        row) before it is out of proportion: incompatible with the efficient use of resources
        (s.39(4)(b) CFA 2014; s.9 EA 1996: unreasonable public expenditure). Local policy,
        ``models/funding.toml`` ``[efficiency]``: ``max_extra_cost_ratio`` of the alternative,
        and at least ``min_extra_cost_gbp``; rounded half to even (whole pounds).

        The one formula the solvers, the legal tests and the tailored lists share
        (:mod:`placement.validate` keeps its own copy on purpose: it shares nothing with
        them)."""
        raw = np.maximum(
            self.min_extra_cost_gbp,
            np.rint(np.multiply(alternative_gbp, self.max_extra_cost_ratio)),
        )
        if isinstance(alternative_gbp, np.ndarray):
            return np.asarray(raw, np.int64)
        return int(raw)

    def fee_for(self, kind: SettingKind, in_area: bool) -> int:
        """Default annual fee for a fee-charging kind where the setting gives none."""
        key = f"{kind.value}_{'in_area' if in_area else 'out_of_area'}"
        if key not in self.default_fee_gbp:
            raise PolicyError(f"funding.default_fee_gbp.{key}", "no default fee for this kind")
        return self.default_fee_gbp[key]


@dataclass(frozen=True, slots=True)
class TravelMode:
    """How a mode's journey relates to the road fit: ``factor`` x road minutes + ``extra_min``."""

    factor: float
    extra_min: int


@dataclass(frozen=True, slots=True)
class RoadFit:
    """Road minutes as a piecewise-linear function of straight-line km: ``minutes[j]`` at
    ``km[j]`` (``km`` strictly increasing from 0, ``minutes`` non-decreasing), linear between
    knots, and ``min_per_km_beyond`` per km past the last knot."""

    km: tuple[float, ...]
    minutes: tuple[float, ...]
    min_per_km_beyond: float
    source: str = ""
    fitted: str = ""

    @staticmethod
    def from_mapping(m: Mapping[str, Any], path: str) -> RoadFit:
        _check_keys(m, ["km", "minutes", "min_per_km_beyond", "source", "fitted"], path)

        def numbers(key: str) -> tuple[float, ...]:
            v = _list(m.get(key), path + key)
            out = tuple(_float(x, f"{path}{key}[{j}]", 0.0, 10_000.0) for j, x in enumerate(v))
            if len(out) < 2:
                raise PolicyError(path + key, "needs at least two knots")
            return out

        km, minutes = numbers("km"), numbers("minutes")
        if len(km) != len(minutes):
            raise PolicyError(
                path + "minutes", f"has {len(minutes)} values for {len(km)} knots in {path}km"
            )
        if km[0] != 0:
            raise PolicyError(path + "km", f"must start at 0 (it starts at {_show(km[0])})")
        if any(b <= a for a, b in pairwise(km)):
            raise PolicyError(path + "km", "must be strictly increasing")
        if any(b < a for a, b in pairwise(minutes)):
            raise PolicyError(path + "minutes", "must not decrease with distance")
        beyond = _float(m.get("min_per_km_beyond"), path + "min_per_km_beyond", 0.0, 60.0)
        for key in ("source", "fitted"):
            if not isinstance(m.get(key, ""), str):
                raise PolicyError(path + key, "must be a string")
        return RoadFit(km, minutes, beyond, str(m.get("source", "")), str(m.get("fitted", "")))


BeyondLimit = Literal["family_transport", "la_transport"]
BEYOND_LIMIT: tuple[BeyondLimit, ...] = ("family_transport", "la_transport")


@dataclass(frozen=True, slots=True)
class Travel:
    """Journey limits by phase, the straight-line estimate, and how a family's request for a
    setting beyond the LA's journey limit is costed.

    The estimate (used only where the router matrix has no row for the pair) is
    ``ceil((road(km) x mode.factor + mode.extra_min) x peak_factor)``: ``road`` is the
    piecewise-linear fit of road minutes on straight-line km (``estimate``), the mode is
    ``transport`` for a child eligible for LA transport and ``family`` otherwise. Router
    minutes are used as given (no factor). ``detour`` (road km per straight-line km) prices
    LA transport by the km.

    ``beyond_limit_requests``: ``family_transport`` (the LA may name the setting on condition
    that the family arranges transport, unless it is the child's nearest suitable setting:
    s.508B EA 1996 duty is to the nearest suitable school) or ``la_transport`` (the LA's
    transport cost is counted, and weighed under efficient use of resources).
    """

    max_journey_min: Mapping[Phase, int]
    estimate: RoadFit
    transport: TravelMode
    family: TravelMode
    peak_factor: float = 1.0
    detour: float = 1.35
    beyond_limit_requests: BeyondLimit = "family_transport"

    def same_journeys(self, other: Travel) -> bool:
        """Same journeys and transport km for every pair (limits aside)."""
        return (self.estimate, self.transport, self.family, self.peak_factor, self.detour) == (
            other.estimate,
            other.transport,
            other.family,
            other.peak_factor,
            other.detour,
        )

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Travel:
        p = "travel."
        _check_keys(
            m,
            [
                "version",
                "max_journey_min",
                "estimate",
                "modes",
                "peak_factor",
                "detour",
                "beyond_limit_requests",
            ],
            p,
        )
        beyond = m.get("beyond_limit_requests", "family_transport")
        if beyond not in BEYOND_LIMIT:
            raise PolicyError(
                p + "beyond_limit_requests",
                f"{_show(beyond)} must be one of {', '.join(BEYOND_LIMIT)}"
                f"{_suggest(str(beyond), list(BEYOND_LIMIT))}",
            )
        lim = _table(m, "max_journey_min", p)
        names = [ph.label for ph in Phase]
        _check_keys(lim, names, p + "max_journey_min.")
        limits = {}
        for ph in Phase:
            if ph.label not in lim:
                raise PolicyError(f"{p}max_journey_min.{ph.label}", "missing")
            limits[ph] = _int(lim[ph.label], f"{p}max_journey_min.{ph.label}", 1, 240)
        fit = RoadFit.from_mapping(_table(m, "estimate", p), p + "estimate.")
        modes = _table(m, "modes", p)
        _check_keys(modes, ["transport", "family"], p + "modes.")

        def mode(name: str) -> TravelMode:
            mm = _table(modes, name, p + "modes.")
            q = f"{p}modes.{name}."
            _check_keys(mm, ["factor", "extra_min"], q)
            return TravelMode(
                factor=_float(mm.get("factor", 1.0), q + "factor", 0.5, 5.0),
                extra_min=_int(mm.get("extra_min", 0), q + "extra_min", 0, 60),
            )

        return Travel(
            max_journey_min=limits,
            estimate=fit,
            transport=mode("transport"),
            family=mode("family"),
            peak_factor=_float(m.get("peak_factor", 1.0), p + "peak_factor", 0.5, 3.0),
            detour=_float(m.get("detour", 1.35), p + "detour", 1.0, 5.0),
            beyond_limit_requests=beyond,
        )


@dataclass(frozen=True, slots=True)
class Suitability:
    """Which needs and bands each kind and designation can meet."""

    general_max_band: Mapping[SettingKind, int]
    designation_meets: Mapping[Need, frozenset[Need]]
    secondary_met_by_any_specialist: frozenset[Need]

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Suitability:
        p = "suitability."
        _check_keys(m, ["version", "general_max_band", "designation_meets", "secondary"], p)
        gen = {
            _kind(k, p + "general_max_band."): _int(v, f"{p}general_max_band.{k}", 0, MAX_BAND)
            for k, v in _table(m, "general_max_band", p).items()
        }
        meets: dict[Need, frozenset[Need]] = {}
        for k, v in _table(m, "designation_meets", p).items():
            d = _need(k, f"{p}designation_meets.{k}")
            if not isinstance(v, list):
                raise PolicyError(f"{p}designation_meets.{k}", "must be a list of need codes")
            meets[d] = frozenset(_need(x, f"{p}designation_meets.{k}") for x in v) | {d}
        for n in Need:
            meets.setdefault(n, frozenset({n}))
        sec = _table(m, "secondary", p)
        _check_keys(sec, ["met_by_any_specialist"], p + "secondary.")
        anyspec = frozenset(
            _need(x, p + "secondary.met_by_any_specialist")
            for x in _list(
                sec.get("met_by_any_specialist", []), p + "secondary.met_by_any_specialist"
            )
        )
        return Suitability(gen, meets, anyspec)


@dataclass(frozen=True, slots=True)
class Objective:
    max_arcs_per_child: int
    min_guard_bits: int
    priority: tuple[PriorityRule, ...]
    extend_with_nearest: bool
    list_k: int
    list_weights: Mapping[str, float]
    transfer_years: frozenset[int] = frozenset({0, 7, 12})

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Objective:
        p = "objective."
        _check_keys(m, ["version", "optimised", "preference_first", "tailored_list", "cohort"], p)
        co = _sub(m, "cohort", p)
        _check_keys(co, ["transfer_years"], p + "cohort.")
        years = frozenset(
            _int(y, f"{p}cohort.transfer_years", -4, 21)
            for y in _list(co.get("transfer_years", [0, 7, 12]), p + "cohort.transfer_years")
        )
        o = _table(m, "optimised", p)
        _check_keys(o, ["max_arcs_per_child", "min_guard_bits"], p + "optimised.")
        pf = _table(m, "preference_first", p)
        _check_keys(pf, ["priority", "extend_with_nearest"], p + "preference_first.")
        pr = pf.get("priority", [])
        if not isinstance(pr, list):
            raise PolicyError(p + "preference_first.priority", "must be a list")
        prio: list[PriorityRule] = []
        for r in pr:
            if r not in PRIORITY_RULES:
                raise PolicyError(
                    p + "preference_first.priority",
                    f"unknown rule {_show(r)}{_suggest(str(r), list(PRIORITY_RULES))}",
                )
            prio.append(r)
        ext = pf.get("extend_with_nearest", True)
        if not isinstance(ext, bool):
            raise PolicyError(p + "preference_first.extend_with_nearest", "must be true or false")
        tl = _sub(m, "tailored_list", p)
        _check_keys(tl, ["k", "weights"], p + "tailored_list.")
        w = _sub(tl, "weights", p + "tailored_list.")
        _check_keys(w, list(LIST_COMPONENTS), p + "tailored_list.weights.")
        weights = {
            c: _float(w.get(c, 10), f"{p}tailored_list.weights.{c}", 0.0, 1000.0)
            for c in LIST_COMPONENTS
        }
        return Objective(
            max_arcs_per_child=_int(
                o.get("max_arcs_per_child", 0), p + "optimised.max_arcs_per_child", 0, 100_000
            ),
            min_guard_bits=_int(o.get("min_guard_bits", 3), p + "optimised.min_guard_bits", 0, 20),
            priority=tuple(prio),
            extend_with_nearest=ext,
            list_k=_int(tl.get("k", 5), p + "tailored_list.k", 1, 50),
            list_weights=weights,
            transfer_years=years,
        )


WAITING_RULES = ("looked_after", "need_band", "sibling", "distance", "refused_first")
CONTACTS = ("send_team", "mediation", "sendiass")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Casework:
    """Whom a family can contact about a decision (its letter names them), and the order of a
    setting's waiting list. ``placeholder``: the contacts are made up (a synthetic area), and
    every letter says so."""

    placeholder: bool
    contacts: Mapping[str, Contact]
    waiting_list_order: tuple[str, ...]

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Casework:
        p = "casework."
        _check_keys(m, ["version", "placeholder", "contacts", "waiting_list"], p)
        c = m
        placeholder = m.get("placeholder", True)
        if not isinstance(placeholder, bool):
            raise PolicyError(p + "placeholder", "must be true or false")
        contacts = _sub(c, "contacts", p)
        _check_keys(contacts, list(CONTACTS), p + "contacts.")
        made: dict[str, Contact] = {}
        for who in CONTACTS:
            one = _sub(contacts, who, p + "contacts.")
            _check_keys(one, ["name", "phone", "email"], f"{p}contacts.{who}.")
            made[who] = Contact(*(_text(one.get(k, ""), f"{p}contacts.{who}.{k}") for k in (
                "name", "phone", "email")))  # fmt: skip
        order = _sub(c, "waiting_list", p).get("order", list(WAITING_RULES))
        rules = tuple(_list(order, p + "waiting_list.order"))
        for r in rules:
            if r not in WAITING_RULES:
                raise PolicyError(
                    p + "waiting_list.order",
                    f"unknown rule {_show(r)}{_suggest(str(r), list(WAITING_RULES))}",
                )
        return Casework(placeholder, made, rules)


def _text(v: Any, path: str) -> str:
    if not isinstance(v, str) or len(v) > 200:
        raise PolicyError(path, "must be text of 200 characters or fewer")
    return v


SECTIONS = ("funding", "travel", "suitability", "objective", "casework")


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the engine needs to know that is policy rather than law or fact."""

    funding: Funding
    travel: Travel
    suitability: Suitability
    objective: Objective
    casework: Casework
    versions: Mapping[str, str]
    academic_year_start: int
    digest: str

    @staticmethod
    def from_mapping(m: Mapping[str, Any]) -> Policy:
        """Build from ``{"funding": {...}, "travel": {...}, "suitability": {...},
        "objective": {...}, "casework": {...}, "academic_year_start": 2026}``."""
        _check_keys(m, [*SECTIONS, "academic_year_start"], "")
        for s in SECTIONS:
            _table(m, s, "")
        versions = {s: _version(m[s], f"{s}.") for s in SECTIONS}
        funding = Funding.from_mapping(m["funding"])
        travel = Travel.from_mapping(m["travel"])
        suitability = Suitability.from_mapping(m["suitability"])
        objective = Objective.from_mapping(m["objective"])
        casework = Casework.from_mapping(m["casework"])
        year = _int(m.get("academic_year_start", 2026), "academic_year_start", 2000, 2100)
        # hashed once every key and value has been checked (nothing deep or unknown is left)
        digest = hashlib.sha256(json.dumps(m, sort_keys=True, default=str).encode()).hexdigest()
        return Policy(
            funding=funding,
            travel=travel,
            suitability=suitability,
            objective=objective,
            casework=casework,
            versions=versions,
            academic_year_start=year,
            digest=digest,
        )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay ``override`` on ``base`` table by table (an area's ``policy.toml`` on models/)."""
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out
