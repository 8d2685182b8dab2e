"""Run a scenario: the baseline and the scenario on the same area, seed and mechanisms, and
what changed; and the marginal value of one more place where places are short.

The scenario's problem is the baseline's with the scenario's changes
(:meth:`~placement.problem.Problem.with_changes`): the suitable pairs are enumerated, by the
same rule code, only for the children and settings the scenario changed or added, and carried
over for the rest; it is built afresh only when the area has router rows or the policy's
travel modes or funding changed. Either way it is exactly what
:func:`~placement.problem.build_problem` gives for the scenario's area (a test checks every
array and the input hash), so the allocation is too.

Pure: no file I/O (the area directory of a ``base.area`` scenario is read by
:func:`load_base`, the one function here that touches files).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from placement.area import Area
from placement.cohort import SCOPE_LABEL, Scope
from placement.domain import Need, Phase, SettingKind
from placement.files.errors import InputError
from placement.policy import Policy, PolicyError, deep_merge
from placement.problem import KIND_LIST, Problem, build_problem
from placement.register import PLACEMENTS
from placement.result import Allocation, pair_taken
from placement.rules.common import I64
from placement.scenarios.apply import Applied, apply_changes
from placement.scenarios.changes import Scenario

__all__ = [
    "CATEGORY_OF_KIND",
    "MarginalValue",
    "ScenarioResult",
    "Side",
    "load_base",
    "marginal_values",
    "run_scenario",
    "run_side",
    "side_metrics",
    "side_of",
]

Mech = Literal["optimised", "preference-first"]

# DfE caseload placement columns (placement.generate.PLACEMENTS) for each kind of setting
CATEGORY_OF_KIND: Mapping[SettingKind, str] = {
    SettingKind.MAINSTREAM: "mainstream",
    SettingKind.RESOURCED_PROVISION: "rp_su",
    SettingKind.SEN_UNIT: "rp_su",
    SettingKind.SPECIAL_LA: "special_la",
    SettingKind.SPECIAL_ACADEMY: "special_academy",
    SettingKind.NON_MAINTAINED_SPECIAL: "special_nm",
    SettingKind.INDEPENDENT_SPECIAL: "special_independent",
    SettingKind.INDEPENDENT_MAINSTREAM: "other",
    SettingKind.ALTERNATIVE_PROVISION: "ap",
    SettingKind.FE_COLLEGE: "fe",
    SettingKind.SPECIALIST_POST16: "post16_specialist",
}
# the DfE caseload placement types, in the generator's order (one list for both)
CATEGORIES = PLACEMENTS
SPECIAL_CATEGORIES = frozenset(
    {"special_la", "special_academy", "special_independent", "special_nm", "post16_specialist"}
)
JOURNEY_BINS = 256  # minutes 0..255 (limits are at most 240)


@dataclass(frozen=True, slots=True)
class MarginalValue:
    """One more place at ``setting_id`` (in its ``need`` pool, or general places: None)."""

    setting_id: str
    setting_name: str
    need: str | None
    unmet_demand: int  # unplaced children for whom this pool/setting is suitable
    delta_placed: int
    delta_cost_gbp: int
    delta_preferences_met: int
    delta_travel_min: int


@dataclass(frozen=True, slots=True)
class Side:
    """One allocation (baseline or scenario, one mechanism) and the figures the report needs."""

    mechanism: str
    allocation: Allocation
    metrics: dict[str, Any]  # flat: see side_metrics
    taken: dict[str, int]  # setting id -> places taken in this run
    free: dict[str, int]  # setting id -> places free for this run
    journeys: list[int]  # histogram of journey minutes (0..255)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    base_area: str
    scenario_area: str
    notes: tuple[str, ...]
    changed_setting_ids: frozenset[str]
    baseline: dict[str, Side]
    outcome: dict[str, Side]
    marginal: tuple[MarginalValue, ...]
    setting_names: dict[str, tuple[str, str]]  # id -> (name, kind)
    timings_s: dict[str, float] = field(default_factory=dict)
    derived: bool = False  # the scenario's problem was derived from the baseline's
    la_name: str | None = None


def load_base(scenario: Scenario) -> tuple[Area, dict[str, Any], str | None]:
    """The base area, its own policy overrides and the LA it is like (if generated)."""
    b = scenario.base
    if b.area is not None:
        from placement.files.area_reader import load_area

        if not b.area.is_dir():
            raise InputError(scenario.file, None, None, f"base.area: {b.area} is not a folder")
        loaded = load_area(b.area)
        la = None
        if loaded.area.la_code:
            from placement.register import UnknownAreaError, resolve_la

            try:
                la = resolve_la(loaded.area.la_code).la_name
            except UnknownAreaError:
                la = None
        return loaded.area, dict(loaded.policy_overrides or {}), la
    from placement.generate import generate_area
    from placement.register import resolve_la

    assert b.like is not None
    area = generate_area(b.like, seed=b.seed, cohort=b.cohort, scale=b.scale)
    return area, {}, resolve_la(b.like).la_name


def policies(scenario: Scenario, overrides: Mapping[str, Any]) -> tuple[Policy, Policy]:
    """(baseline policy, scenario policy): the area's overrides, then the scenario's."""
    from placement.files.policy_files import load_policy

    try:
        base = load_policy(overrides)
    except PolicyError as e:
        raise InputError("policy.toml", None, None, str(e)) from None
    if not scenario.policy:
        return base, base
    try:
        scen = load_policy(deep_merge(overrides, scenario.policy))
    except PolicyError as e:
        raise InputError(scenario.file, None, None, f"policy.{e.path}: {e.message}") from None
    return base, scen


def side_metrics(p: Problem, alloc: Allocation) -> dict[str, Any]:
    """Every figure the issue asks for, flat (counts are raw here; exports suppress)."""
    m = alloc.metrics
    a = alloc.assign
    pr = p.pairs
    chosen = a[a >= 0]
    sett = pr.setting[chosen]
    cats = np.array([CATEGORY_OF_KIND[k] for k in KIND_LIST])[p.s_kind[sett]]
    placed = int(chosen.shape[0])

    def pct(x: int, n: int) -> float:
        return round(100.0 * x / n, 2) if n else 0.0

    special = int(np.isin(cats, list(SPECIAL_CATEGORIES)).sum())
    out_of_area = int((~p.s_in_area[sett]).sum())
    out: dict[str, Any] = {
        "children": m.children,
        "placed": m.placed,
        "unplaced": m.children - m.placed,
        "placed_pct": m.placed_pct,
        "first_preference_pct": m.first_preference_pct,
        "any_preference_pct": m.any_preference_pct,
        "request_honoured_pct": m.request_honoured_pct,
        "mainstream_pct": m.mainstream_pct,
        "special_pct": pct(special, placed),
        "independent_pct": m.independent_pct,
        "out_of_area_pct": pct(out_of_area, placed),
        "total_cost_gbp": m.total_cost_gbp,
        "high_needs_block_gbp": m.cost_by_payer_gbp["high_needs_block"],
        "schools_gbp": m.cost_by_payer_gbp["schools"],
        "transport_gbp": m.cost_by_payer_gbp["transport"],
        "mean_journey_min": m.mean_journey_min,
        "p95_journey_min": m.p95_journey_min,
        "justified_envy": m.justified_envy,
        # counts behind the percentages, so regions and England can be aggregated exactly
        # and exports can round them (placement.disclosure)
        "with_preference": m.with_preference,
        "first_preference": m.first_preference,
        "any_preference": m.any_preference,
        "with_request": m.with_request,
        "request_honoured": m.request_honoured,
        "special": special,
        "independent": m.independent,
        "mainstream": m.mainstream,
        "out_of_area": out_of_area,
    }
    for nd in Need:
        out[f"unmet_{nd.value}"] = int(m.unmet_by_need.get(nd.value, 0))
    for ph in Phase:
        out[f"unmet_{ph.label}"] = int(m.unmet_by_phase.get(ph.label, 0))
    # where every child is, for the placement mix: placed in this run, or staying where the
    # plan names (the real mixes it is compared with count every plan)
    stay = np.flatnonzero(~p.c_moving)
    stay_s = np.array(
        [p.setting_index[str(p.children[i].current_setting_id)] for i in stay.tolist()], np.int64
    )
    stay_cats = np.array([CATEGORY_OF_KIND[k] for k in KIND_LIST])[p.s_kind[stay_s]]
    out["staying"] = int(stay.shape[0])
    for c in CATEGORIES:
        out[f"mix_{c}"] = int((cats == c).sum()) + int((stay_cats == c).sum())
    return out


def run_side(p: Problem, mechanism: Mech, seed: int, details: bool = True) -> tuple[Side, Any]:
    """Allocate ``p``; returns the side and (optimised) the solver state for re-solves.
    ``details=False``: the allocation without placements, unplaced children and refusals
    (:func:`placement.result.finalise`), for callers that read only the figures."""
    from placement.solve.optimised import finish_optimised, run_optimised
    from placement.solve.preference_first import solve_preference_first

    state = None
    if mechanism == "optimised":
        state = run_optimised(p)
        alloc = finish_optimised(state, seed=seed, details=details)
    else:
        alloc = solve_preference_first(p, seed=seed, details=details)
    return side_of(p, alloc), state


def side_of(p: Problem, alloc: Allocation) -> Side:
    """The figures of an allocation of ``p`` (a fresh one, or a stored run's rebuilt)."""
    _, by_setting = pair_taken(p, alloc.assign)
    chosen = alloc.assign[alloc.assign >= 0]
    hist = np.bincount(
        np.minimum(p.pairs.travel_min[chosen], JOURNEY_BINS - 1), minlength=JOURNEY_BINS
    )
    return Side(
        alloc.mechanism,
        alloc,
        side_metrics(p, alloc),
        {s.setting_id: int(by_setting[j]) for j, s in enumerate(p.settings)},
        {s.setting_id: int(p.s_free[j]) for j, s in enumerate(p.settings)},
        [int(x) for x in hist],
    )


def marginal_values(
    state: Any, limit: int = 20, progress: Callable[[str], None] | None = None
) -> list[MarginalValue]:
    """The value of one more place, for the ``limit`` full pools (or full settings' general
    places) with the most unplaced children they could suit: each is re-solved exactly with
    one more place (the kept OR-Tools model, new arc capacities, the same repair loop), and
    the change in children placed, annual cost, preferences met and minutes travelled is
    reported. Optimised mechanism only (the preference-first run has no reusable model).
    ``progress`` is told each candidate before its re-solve ("marginal value 3/20: ...")."""
    from placement.whatif import tiers

    p: Problem = state.problem
    fm = state.fm
    if limit <= 0 or len(p.pairs) == 0:
        return []
    order, demand = _short_places(p, state.assign, limit)
    if not order:
        return []
    before = tiers(p, state.assign)
    nc = fm.num_child_arcs
    all_arcs = np.arange(fm.tails.shape[0], dtype=np.int64)
    out: list[MarginalValue] = []
    try:
        for n, u in enumerate(order, 1):
            s = _setting_of_unit(p, u)
            need = None if u < p.num_settings else tuple(Need)[int(p.pool_need[u - p.num_settings])]
            if progress is not None:
                what = "general places" if need is None else need.value + " places"
                progress(
                    f"marginal value {n}/{len(order)}: one more place at "
                    f"{p.settings[s].name} ({what})"
                )
            after = tiers(*_with_one_more_place(state, u))
            out.append(
                MarginalValue(
                    p.settings[s].setting_id,
                    p.settings[s].name,
                    None if need is None else need.value,
                    int(demand[u]),
                    after.placed - before.placed,
                    after.cost_gbp - before.cost_gbp,
                    after.preferences_met - before.preferences_met,
                    after.travel_min - before.travel_min,
                )
            )
    finally:
        state.smcf.set_arc_capacities(all_arcs, np.concatenate([state.caps, fm.caps[nc:]]))
    return out


def _setting_of_unit(p: Problem, u: int) -> int:
    """A unit of places: a setting's general places (``u`` < settings) or a pool."""
    return u if u < p.num_settings else int(p.pool_setting[u - p.num_settings])


def _short_places(p: Problem, a: I64, limit: int) -> tuple[list[int], I64]:
    """The ``limit`` full units of places (a pool, or a setting's general places: setting
    index, or settings + pool index) with the most unplaced children they could suit, most
    first (ties by setting id); and every unit's demand."""
    pr = p.pairs
    pool_taken, set_taken = pair_taken(p, a)
    pool_full = pool_taken >= p.pool_free
    set_full = set_taken >= p.s_free
    unplaced = a[pr.child] < 0
    # a unit is (setting, pool) with pool -1 for general places; demand: unplaced children
    # with a suitable pair into it
    pool_or = pr.pool.astype(np.int64)
    unit = np.where(pool_or >= 0, p.num_settings + pool_or, pr.setting.astype(np.int64))
    # a pair into a pool is blocked when its pool or its setting is full (pool -1: the
    # appended False, so an area without pools works too)
    full = set_full[pr.setting] | np.append(pool_full, False)[pool_or]
    sel = unplaced & full
    demand = np.bincount(unit[sel], minlength=p.num_settings + p.num_pools)
    cand = np.flatnonzero(demand > 0)
    order = sorted(
        cand.tolist(),
        key=lambda u: (-int(demand[u]), p.settings[_setting_of_unit(p, u)].setting_id, u),
    )[:limit]
    return order, demand


def _with_one_more_place(state: Any, u: int) -> tuple[Problem, I64]:
    """The area with one more place in unit ``u``, re-solved exactly on the kept model (its
    capacities set back by the caller): the problem and the new assignment."""
    from placement.solve.optimised import FlowState

    p: Problem = state.problem
    fm = state.fm
    nc = fm.num_child_arcs
    s = _setting_of_unit(p, u)
    pool_free = p.pool_free.copy()
    s_free = p.s_free.copy()
    caps = fm.caps.copy()
    s_free[s] += 1
    caps[nc + p.num_pools + s] += 1
    if u >= p.num_settings:
        k = u - p.num_settings
        pool_free[k] += 1
        caps[nc + k] += 1
    p2 = replace(p, pool_free=pool_free, s_free=s_free)
    st = FlowState(
        p2, replace(fm, caps=caps), state.smcf, state.caps, state.assign, 0, {},
        params=state.params,
    )  # fmt: skip
    a2, _, _ = st.solve(state.caps)
    return p2, a2


def _baseline_sides(
    p: Problem, mechs: tuple[Mech, ...], seed: int, details: bool
) -> tuple[dict[str, Side], dict[str, float]]:
    sides: dict[str, Side] = {}
    t: dict[str, float] = {}
    for mech in mechs:
        t0 = time.perf_counter()
        sides[mech], _ = run_side(p, mech, seed, details)
        t[f"baseline_{mech}_s"] = time.perf_counter() - t0
    return sides, t


def _fields(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    """Pickle a slotted dataclass as its class and its fields in order (rebuilt by calling the
    class: several times faster to load than the dataclass's own ``__setstate__``)."""
    return type(obj), tuple(getattr(obj, f) for f in type(obj).__slots__)


def _dumps(obj: Any) -> bytes:
    """Pickle the baseline's sides for the trip back from the forked worker."""
    import copyreg
    import io
    import pickle

    from placement.reasons import Reason
    from placement.result import Placement, Refusal, Unplaced

    buf = io.BytesIO()
    pk = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pk.dispatch_table = {
        **copyreg.dispatch_table,
        **dict.fromkeys((Placement, Refusal, Unplaced, Reason), _fields),
    }
    pk.dump(obj)
    return buf.getvalue()


def _loads(data: bytes) -> Any:
    """Unpickle with the cyclic garbage collector paused: the tens of thousands of small
    objects would otherwise set off full collections over the whole (large) heap."""
    import gc
    import pickle

    was = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if was:
            gc.enable()


def _baseline_child(
    conn: Any,
    area: Area,
    policy: Policy,
    mechs: tuple[Mech, ...],
    seed: int,
    details: bool,
    digest: bool,
    scope: Scope = "moving",
) -> None:
    """The forked worker: build and allocate the baseline; send the sides back (or the
    error)."""
    try:
        t0 = time.perf_counter()
        p = build_problem(area, policy, digest=digest, scope=scope)
        built = time.perf_counter() - t0
        sides, t = _baseline_sides(p, mechs, seed, details)
        out = _dumps((True, (sides, {"baseline_problem_s": built, **t})))
    except BaseException as e:  # sent to the parent, which raises it
        try:
            out = _dumps((False, e))
            _loads(out)
        except Exception:  # an exception that cannot make the round trip: its text
            out = _dumps((False, RuntimeError(f"baseline worker: {e!r}")))
    try:
        conn.send_bytes(out)
        conn.close()
    finally:
        # out at once: not through multiprocessing's exit, which flushes the standard
        # streams, whose locks a thread of the parent (a terminal spinner) may have held
        # at the fork
        os._exit(0)


def _fork_available() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


@dataclass(slots=True)
class _BaselineWorker:
    """The baseline built and allocated in a forked process (:func:`_baseline_child`): the
    worker has the area already, so nothing is pickled on the way out."""

    proc: Any
    conn: Any

    @staticmethod
    def start(
        area: Area,
        policy: Policy,
        mechs: tuple[Mech, ...],
        seed: int,
        details: bool,
        digest: bool,
        scope: Scope,
    ) -> _BaselineWorker:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        conn, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_baseline_child,
            args=(child_end, area, policy, mechs, seed, details, digest, scope),
            daemon=True,
        )
        proc.start()
        child_end.close()
        return _BaselineWorker(proc, conn)

    def result(self) -> tuple[dict[str, Side], dict[str, float]]:
        """The baseline's sides and timings (the worker's error raised here)."""
        try:
            ok, got = _loads(self.conn.recv_bytes())
        except EOFError:
            raise RuntimeError("the baseline's worker process ended without a result") from None
        except Exception as e:  # what came back cannot be read
            raise RuntimeError(f"the baseline's worker sent an unreadable result: {e}") from e
        if not ok:
            raise got
        sides, t = got
        return sides, t

    def stop(self, finished: bool) -> None:
        """Close the pipe and end the process (at once when this side failed: the baseline
        is not wanted; killed if it is stuck)."""
        self.conn.close()
        if not finished:
            self.proc.terminate()
        self.proc.join(timeout=10)
        if self.proc.exitcode is None:  # still there: stuck, not finishing
            self.proc.kill()
            self.proc.join()


def run_scenario(
    scenario: Scenario,
    *,
    marginal: int | None = None,
    base: tuple[Area, dict[str, Any], str | None] | None = None,
    details: bool = True,
    digest: bool = True,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ScenarioResult:
    """Baseline and scenario, each mechanism, on the same area and seed; marginal values of
    one more place on the scenario's optimised run (``marginal`` candidates; default the
    scenario's ``marginal``, 0 to skip).

    ``workers=2`` builds and allocates the baseline in a forked process while this one builds
    and allocates the scenario (where ``fork`` exists; the same results, sooner on two cores;
    not from a multi-threaded server). With one worker the scenario's problem is derived from
    the baseline's (:meth:`~placement.problem.Problem.with_changes`). ``details=False``:
    allocations without placements, unplaced children and refusals
    (:func:`placement.result.finalise`), which the scenario reports do not show;
    ``digest=False``: problems without an input digest (manifests without an input hash), for
    a sweep's counts. ``progress`` is told what is being done as each step starts (a CLI shows
    it beside its spinner)."""

    def doing(what: str) -> None:
        if progress is not None:
            progress(what)

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    area, overrides, la = base or load_base(scenario)
    pol_base, pol_scen = policies(scenario, overrides)
    t["base_area_s"] = time.perf_counter() - t0
    seed = scenario.base.seed
    scope: Scope = "from_scratch" if scenario.base.from_scratch else "moving"
    mechs = tuple(scenario.mechanisms)
    worker = None
    if workers > 1 and _fork_available():
        worker = _BaselineWorker.start(area, pol_base, mechs, seed, details, digest, scope)
    try:
        # the changes first, with one worker or two: a change that cannot apply is the error
        # reported, whichever way the run goes
        t0 = time.perf_counter()
        doing("applying the scenario's changes")
        applied: Applied = apply_changes(area, scenario, pol_scen)
        t["apply_s"] = time.perf_counter() - t0
        p0 = None
        if worker is None:
            t0 = time.perf_counter()
            doing("suitable pairs for the baseline")
            p0 = build_problem(area, pol_base, digest=digest, scope=scope)
            t["baseline_problem_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        doing("suitable pairs for the scenario")
        # derived from the baseline's problem when this process has it (one after the other);
        # beside a worker that builds the baseline, built directly (sooner than waiting)
        derived = p0 is not None and p0.carries_pairs_to(applied.area, pol_scen)
        p1 = (
            p0.with_changes(applied.area, pol_scen, digest=digest)
            if p0 is not None
            else build_problem(applied.area, pol_scen, digest=digest, scope=scope)
        )
        t["scenario_problem_s"] = time.perf_counter() - t0
        outcome, state = _scenario_sides(p1, mechs, seed, details, t, doing)
        if worker is not None:
            t0 = time.perf_counter()
            doing("waiting for the baseline (allocated in a second process)")
            baseline, tb = worker.result()
            t["baseline_wait_s"] = time.perf_counter() - t0
        else:
            assert p0 is not None
            doing(f"allocating the baseline ({', '.join(mechs)})")
            baseline, tb = _baseline_sides(p0, mechs, seed, details)
        t.update(tb)
    finally:
        if worker is not None:
            worker.stop(finished="baseline_wait_s" in t)
    t0 = time.perf_counter()
    n = scenario.marginal if marginal is None else marginal
    mv = tuple(marginal_values(state, n, progress)) if state is not None and n > 0 else ()
    t["marginal_s"] = time.perf_counter() - t0
    return ScenarioResult(
        scenario=scenario,
        base_area=area.name,
        scenario_area=applied.area.name,
        notes=_notes(scenario, scope) + applied.notes,
        changed_setting_ids=applied.changed_setting_ids,
        baseline={m: baseline[m] for m in mechs},
        outcome=outcome,
        marginal=mv,
        setting_names=_setting_names(area, applied.area),
        timings_s={k: round(v, 3) for k, v in t.items()},
        derived=derived,
        la_name=la,
    )


def _notes(scenario: Scenario, scope: Scope) -> tuple[str, ...]:
    """What the reports say first: a study from scratch, and keys of [base] ignored."""
    notes: tuple[str, ...] = (
        (f"AS IF FROM SCRATCH: {SCOPE_LABEL['from_scratch']}",) if scope == "from_scratch" else ()
    )
    return notes + ((scenario.base.ignored_note,) if scenario.base.ignored_note else ())


def _setting_names(base: Area, changed: Area) -> dict[str, tuple[str, str]]:
    """Every setting's name and kind, in either area (a closed one and a new one too)."""
    names = {s.setting_id: (s.name, s.kind.value) for s in base.settings}
    names.update({s.setting_id: (s.name, s.kind.value) for s in changed.settings})
    return names


def _scenario_sides(
    p: Problem,
    mechs: tuple[Mech, ...],
    seed: int,
    details: bool,
    t: dict[str, float],
    doing: Callable[[str], None],
) -> tuple[dict[str, Side], Any]:
    """The scenario allocated with each mechanism (timed into ``t``), and the optimised
    run's solver state for the marginal values (None without one)."""
    outcome: dict[str, Side] = {}
    state = None
    for mech in mechs:
        t0 = time.perf_counter()
        doing(f"allocating the scenario ({mech})")
        outcome[mech], st = run_side(p, mech, seed, details)
        t[f"scenario_{mech}_s"] = time.perf_counter() - t0
        if st is not None:
            state = st
    return outcome, state
