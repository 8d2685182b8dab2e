"""The immutable, index-based problem: dense arrays over children and settings, and the
suitable child-setting pairs with their journey, cost, pool and preference.

Children and settings are sorted by id, so the same area gives the same problem (and the same
allocation) whatever order its rows came in. ``*_idx`` are dense indices into these arrays.

:func:`build_problem` resolves the area (:func:`resolve`: the arrays of
:mod:`placement.dense`) and enumerates the pairs (:mod:`placement.pairs`);
:meth:`Problem.with_changes` gives a changed area's problem from an unchanged one's, as
PyVRP's ``ProblemData.replace`` does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placement.area import Area
from placement.cohort import MOVEMENTS, Movement, Scope
from placement.dense import (
    KIND_LIST,
    NO_LIMIT,
    child_arrays,
    preference_arrays,
    setting_arrays,
    sparse_keys,
)
from placement.domain import Child, Phase, Setting
from placement.pairs import (
    BLOCK_CELLS,
    Pairs,
    carried_pairs,
    empty_pairs,
    make_pairs,
    suitable_pairs,
    with_pairs,
)
from placement.policy import Policy

__all__ = [
    "BLOCK_CELLS",
    "KIND_LIST",
    "NO_LIMIT",
    "Pairs",
    "Problem",
    "build_problem",
    "child_line",
    "input_digest",
    "make_pairs",
    "resolve",
    "suitable_pairs",
    "with_pairs",
]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Problem:
    """An area, resolved against a policy, as dense arrays. Build with :func:`build_problem`."""

    name: str
    policy: Policy
    scope: Scope  # "moving": only moving children are placed; "from_scratch": every child
    children: tuple[Child, ...]
    settings: tuple[Setting, ...]
    child_index: dict[str, int]
    setting_index: dict[str, int]
    # children
    c_east: F64
    c_north: F64
    c_year: I32
    c_phase: I32
    c_need: I32
    c_band: I32
    c_secondary: I64  # bitmask over Need
    c_features: I64  # bitmask over Feature
    c_transport: B
    c_limit_min: I32  # journey limit for the LA's proposals: policy by phase, or the plan's own
    c_plan_limit_min: I32  # the limit the child's plan sets (NO_LIMIT: none)
    c_female: B
    c_looked_after: B
    c_movement: I32  # index into placement.cohort.MOVEMENTS (why the child moves, or stays)
    c_moving: B  # placed in this run (every child in a from-scratch run)
    c_home: I32  # a moving child's current setting that still takes its age (-1: none)
    # settings
    s_east: F64
    s_north: F64
    s_kind: I32
    s_low: I32
    s_high: I32
    s_entry: I32
    s_meets: I32  # (S, NUM_NEEDS): highest band at which s meets a child's primary need, 0 = no
    s_secondary: I64  # bitmask of needs s meets as secondary needs
    s_features: I64
    s_free: I64  # places free for this run (capacity - roll - staying children there)
    s_staying: I64  # children in the area who stay at the setting (not placed in this run)
    s_home_seats: I64  # seats kept for moving children whose place there stands (home pairs)
    s_mainstream: B
    s_independent: B
    s_in_area: B
    s_base_cost_gbp: I64  # place funding or fee (fee kinds): high-needs block
    s_school_gbp: I64
    s_pool_of_need: I32  # (S, NUM_NEEDS) -> pool index or -1
    # pools
    pool_setting: I32
    pool_need: I32
    pool_free: I64  # places - roll - staying children - home seats in the pool
    pool_staying: I64
    pool_home_seats: I64
    # sparse facts
    excluded_keys: I64  # sorted child_idx * S + setting_idx
    sibling_keys: I64
    current_keys: I64
    matrix_keys: I64  # sorted child_idx * S + setting_idx with a router time
    matrix_min: I32
    top_up: I64  # (len(KIND_LIST), 5)
    # preferences: flattened, ranked
    pref_child: I32
    pref_setting: I32
    pref_rank: I32
    pref_route_s38: B
    pref_keys: I64  # sorted child_idx * S + setting_idx of every preference
    pairs: Pairs
    input_digest: str

    @property
    def num_children(self) -> int:
        return len(self.children)

    @property
    def num_settings(self) -> int:
        return len(self.settings)

    @property
    def num_pools(self) -> int:
        return int(self.pool_setting.shape[0])

    def phase(self, child_idx: int) -> Phase:
        return Phase(int(self.c_phase[child_idx]))

    def movement(self, child_idx: int) -> Movement:
        return MOVEMENTS[int(self.c_movement[child_idx])]

    @property
    def moving_children(self) -> I64:
        """Indices of the children placed in this run."""
        return np.flatnonzero(self.c_moving).astype(np.int64)

    def pair_index(self, child_idx: int, setting_idx: int) -> int:
        """Index into :attr:`pairs` of a suitable pair, or -1 when the pair is not suitable."""
        lo, hi = int(self.pairs.start[child_idx]), int(self.pairs.start[child_idx + 1])
        k = lo + int(np.searchsorted(self.pairs.setting[lo:hi], setting_idx))
        if k < hi and int(self.pairs.setting[k]) == setting_idx:
            return k
        return -1

    def carries_pairs_to(self, area: Area, policy: Policy) -> bool:
        """Whether :meth:`with_changes` can carry this problem's pairs over to ``area`` and
        ``policy``: neither area has router rows, and the policy's travel modes and funding
        are the same (the pairs' journeys and costs are computed from them)."""
        bp = self.policy
        if policy is not bp and (
            not policy.travel.same_journeys(bp.travel) or policy.funding != bp.funding
        ):
            return False
        return not (area.travel or self.matrix_keys.shape[0])

    def with_changes(
        self, area: Area, policy: Policy | None = None, *, digest: bool = True
    ) -> Problem:
        """This problem for a changed area and policy (as PyVRP's ``ProblemData.replace``: a
        modified copy; a capacity scenario is "the same area with 40 more ASD places at this
        school"). Exactly what :func:`build_problem` gives for ``area`` and ``policy`` (this
        problem's when None) in this problem's scope, input hash included (``digest=False``:
        left empty, as there), so the allocation is the same too. The suitable pairs of the
        children and settings the change leaves as they were are carried over, the rest
        enumerated (:func:`placement.pairs.carried_pairs`); built afresh where
        :meth:`carries_pairs_to` says they cannot be."""
        pol = self.policy if policy is None else policy
        if not self.carries_pairs_to(area, pol):
            return build_problem(area, pol, digest=digest, scope=self.scope)
        q = resolve(area, pol, self.scope)
        return with_pairs(q, carried_pairs(self, q), input_digest(q) if digest else "")


def build_problem(
    area: Area, policy: Policy, *, digest: bool = True, scope: Scope = "moving"
) -> Problem:
    """Resolve an area against a policy and enumerate every suitable pair.

    ``scope``: ``"moving"`` places only the children who move this round (a staying child's
    place counts as taken); ``"from_scratch"`` places the whole caseload afresh (a planner's
    study). ``digest=False`` leaves the input digest empty (for runs whose manifests nobody
    reads: a national sweep's counts). Raises :class:`DomainError` when a child's date of
    birth and year disagree.
    """
    prob = resolve(area, policy, scope)
    child, sett, travel = suitable_pairs(prob)
    pairs = make_pairs(prob, child, sett, travel)
    return with_pairs(prob, pairs, input_digest(prob) if digest else "")


def resolve(area: Area, policy: Policy, scope: Scope = "moving") -> Problem:
    """The area resolved against the policy as dense arrays (:mod:`placement.dense`), without
    its pairs (empty) or input digest (""): :func:`build_problem` less :func:`suitable_pairs`."""
    if scope not in ("moving", "from_scratch"):
        raise ValueError(f"scope {scope!r} must be 'moving' or 'from_scratch'")
    children = tuple(sorted(area.children, key=lambda c: c.child_id))
    settings = tuple(sorted(area.settings, key=lambda s: s.setting_id))
    ci = {c.child_id: i for i, c in enumerate(children)}
    si = {s.setting_id: j for j, s in enumerate(settings)}
    kids = child_arrays(children, settings, policy, scope)
    return Problem(
        name=area.name,
        policy=policy,
        scope=scope,
        children=children,
        settings=settings,
        child_index=ci,
        setting_index=si,
        **kids,
        **setting_arrays(settings, children, kids["c_moving"], policy),
        **sparse_keys(area, children, ci, si),
        **preference_arrays(children, settings, si),
        pairs=empty_pairs(len(children)),
        input_digest="",
    )


def child_line(c: Child) -> str:
    """Every field of a child in a fixed order, sets sorted (independent of the hash seed).
    Need, Feature and Sex are StrEnums: each member is its value as a str."""
    loc = c.location
    return "|".join(
        (
            c.child_id,
            repr(loc.easting),
            repr(loc.northing),
            c.primary_need,
            str(c.need_band),
            str(c.nc_year),
            str(c.date_of_birth),
            ",".join(sorted(c.secondary_needs)) if c.secondary_needs else "",
            ",".join(sorted(c.required_features)) if c.required_features else "",
            str(c.transport_eligible),
            str(c.max_journey_min),
            c.sex,
            str(c.current_setting_id),
            ",".join(sorted(c.excluded_setting_ids)) if c.excluded_setting_ids else "",
            ",".join([f"{p.setting_id}:{p.rank}" for p in c.preferences]),
            str(c.looked_after),
            ",".join(sorted(c.sibling_setting_ids)) if c.sibling_setting_ids else "",
            str(c.new_plan),
            str(c.move_requested),
        )
    )


def _setting_line(s: Setting) -> str:
    """Every field of a setting in a fixed order, mappings and sets sorted."""
    return "|".join(
        (
            s.setting_id,
            s.name,
            s.kind.value,
            repr(s.location.easting),
            repr(s.location.northing),
            str(s.low_age),
            str(s.high_age),
            str(s.capacity),
            str(s.roll),
            s.entry.value,
            ",".join(sorted(f"{n.value}:{b}" for n, b in s.designations.items())),
            ",".join(sorted(f.value for f in s.features)),
            ",".join(sorted(f"{n.value}:{q.places}/{q.roll}" for n, q in s.pools.items())),
            str(s.s41_approved),
            s.la_code,
            str(s.in_area),
            str(s.annual_fee_gbp),
        )
    )


def input_digest(prob: Problem) -> str:
    """SHA-256 of the input: every field of every child and setting (sorted by id, sets
    sorted, so independent of row order and of Python's per-process hash seed) and the router
    rows."""
    h = hashlib.sha256()
    h.update("\n".join(child_line(c) for c in prob.children).encode())
    h.update(b"\x00")
    h.update("\n".join(_setting_line(s) for s in prob.settings).encode())
    h.update(prob.matrix_keys.tobytes())
    h.update(prob.matrix_min.tobytes())
    return h.hexdigest()
