"""The bridge to the engine: areas rebuilt from the database and an in-memory cache of the
built problem and area run per (area revision, run, policy), so that a tailored list is a
dictionary lookup after the first request (keyed on the database on every request, so safe
with several processes: :class:`CoreCache`).

Nothing here decides anything the core does not: lists, reasons and allocations come from
:mod:`placement.tailored`, :mod:`placement.wording` and :mod:`placement.solve`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from placement.area import Area, TravelTime
from placement.files.policy_files import load_policy
from placement.policy import Policy, deep_merge
from placement.problem import Problem, build_problem
from placement.result import Allocation, finalise
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.children.models import ChildRow
from placement.service.codec import child_from_dict, setting_from_dict
from placement.service.placements.models import PlacementRow
from placement.service.policies.models import PolicyRow
from placement.service.rounds.models import RoundRow
from placement.service.runs.models import RunRow
from placement.solve.priority import count_justified_envy, priority_keys
from placement.tailored import AreaRun, ScoreTable, TailoredList, area_run, score_table
from placement.tailored import tailored_list as core_tailored_list
from placement.wording import AUDIENCES, Audience, list_as_dict

__all__ = [
    "LIGHT_RUN",
    "Computed",
    "CoreCache",
    "WorklistBase",
    "area_from_db",
    "policy_for",
    "policy_overrides",
]

# the result column holds a whole allocation (megabytes for a large LA): load it only when used
LIGHT_RUN = (
    defer(RunRow.result),  # type: ignore[arg-type]
    defer(RunRow.manifest),  # type: ignore[arg-type]
    defer(RunRow.metrics),  # type: ignore[arg-type]
    defer(RunRow.dashboard),  # type: ignore[arg-type]
)


def area_from_db(session: Session, area: AreaRow, *, for_run: bool = False) -> Area:
    """The stored area as a core :class:`Area`. ``for_run``: children whose placement is
    confirmed are left out and their places count as taken (added to the rolls)."""
    assert area.id is not None
    settings_rows = session.exec(
        select(SettingRow).where(SettingRow.area_id == area.id).order_by(col(SettingRow.id))
    ).all()
    pools: dict[int, dict[str, int]] = {}
    if for_run:
        ids = [s.id for s in settings_rows]
        for p in session.exec(
            select(PoolRow).where(col(PoolRow.setting_row_id).in_(ids), PoolRow.confirmed > 0)
        ).all():
            pools.setdefault(p.setting_row_id, {})[p.need] = p.confirmed
    settings = tuple(
        setting_from_dict(
            json.loads(s.data),
            extra_roll=s.confirmed if for_run else 0,
            extra_pool_roll=pools.get(s.id or 0),
        )
        for s in settings_rows
    )
    placed: set[str] = set()
    if for_run:
        placed = set(
            session.exec(
                select(PlacementRow.child_id).where(
                    PlacementRow.area_id == area.id, PlacementRow.status == "confirmed"
                )
            ).all()
        )
    children = tuple(
        child_from_dict(json.loads(d))
        for cid, d in session.exec(
            select(ChildRow.child_id, ChildRow.data)
            .where(ChildRow.area_id == area.id)
            .order_by(col(ChildRow.id))
        ).all()
        if cid not in placed
    )
    keep = {c.child_id for c in children}
    travel = tuple(TravelTime(t[0], t[1], t[2]) for t in json.loads(area.travel) if t[0] in keep)
    return Area(area.name, children, settings, travel, la_code=area.la_code)


def policy_overrides(session: Session, area: AreaRow, policy_id: int | None) -> dict[str, Any]:
    """The area's own overrides, then the LA's versioned policy's, merged."""
    overrides: dict[str, Any] = json.loads(area.policy_overrides)
    if policy_id is not None:
        row = session.get(PolicyRow, policy_id)
        if row is not None:
            overrides = deep_merge(overrides, json.loads(row.overrides))
    return overrides


def policy_for(session: Session, area: AreaRow, policy_id: int | None) -> Policy:
    """The default policy, the area's own overrides, then the LA's versioned policy."""
    return load_policy(policy_overrides(session, area, policy_id))


@dataclass(frozen=True, slots=True)
class WorklistBase:
    """A child's worklist facts from the problem and the area's latest run."""

    child_id: str
    nc_year: int | None
    primary_need: str
    movement: str
    year_at_entry: int  # the national curriculum year the child enters (phase transfer)
    run_outcome: Literal["placed", "unplaced", "staying"] | None
    planned_setting_id: str | None


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """At most ``size`` entries, the least recently used dropped first (not thread-safe:
    the caller holds its lock)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        hit = self.items.get(key)
        if hit is not None:
            self.items.move_to_end(key)
        return hit

    def put(self, key: K, value: V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


@dataclass(eq=False)
class Computed:
    """A built problem, its area run (if any) and the score table, with serialised lists."""

    problem: Problem
    run: AreaRun | None
    table: ScoreTable
    run_id: int | None
    # serialised lists by (child, audience); and the last lists built (frozen; about
    # 0.2 MiB each at Kent size): a confirmation's check of the list an officer has just
    # read reuses it instead of building it again
    _lists: _Lru[tuple[str, str], bytes] = field(default_factory=lambda: _Lru(20_000))
    _tailored: _Lru[str, TailoredList] = field(default_factory=lambda: _Lru(64))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: Any = None  # the optimised solver state for what-ifs (built on first use)
    _state_lock: threading.Lock = field(default_factory=threading.Lock)
    _worklist: list[WorklistBase] | None = None  # the worklist's per-child facts (first use)

    def flow_state(self) -> Any:
        """The optimised mechanism's solver state on this problem (what-ifs re-solve it)."""
        with self._state_lock:
            if self._state is None:
                from placement.solve.optimised import run_optimised

                self._state = run_optimised(self.problem)
            return self._state

    def worklist(self) -> list[WorklistBase]:
        """Each child's facts that follow from the problem and its run (who moves, the year
        the child enters, the run's outcome and planned setting), in child-id order:
        computed once per entry, so a worklist page costs a filter, not a pass over the area."""
        with self._state_lock:
            if self._worklist is None:
                p = self.problem
                rows: list[WorklistBase] = []
                for i, c in enumerate(p.children):
                    outcome: Literal["placed", "unplaced", "staying"] | None = None
                    planned: str | None = None
                    if not p.c_moving[i]:
                        outcome, planned = "staying", c.current_setting_id
                    elif self.run is not None:
                        k = int(self.run.assign[i])
                        outcome = "placed" if k >= 0 else "unplaced"
                        if k >= 0:
                            planned = p.settings[int(p.pairs.setting[k])].setting_id
                    rows.append(
                        WorklistBase(
                            child_id=c.child_id,
                            nc_year=c.nc_year,
                            primary_need=c.primary_need.value,
                            movement=p.movement(i).value,
                            year_at_entry=int(p.c_year[i]),
                            run_outcome=outcome,
                            planned_setting_id=planned,
                        )
                    )
                rows.sort(key=lambda r: r.child_id)
                self._worklist = rows
            return self._worklist

    def nbytes(self) -> int:
        """About how much memory the arrays of this entry hold (the cache's budget)."""
        total = 0
        for obj in (self.problem, self.problem.pairs, self.table):
            for name in getattr(obj, "__slots__", ()) or vars(obj):
                v = getattr(obj, name, None)
                if isinstance(v, np.ndarray):
                    total += int(v.nbytes)
        for v in self.table.components.values():
            total += int(v.nbytes)
        return total + sum(len(b) for b in self._lists.items.values())

    def tailored(self, child_id: str) -> TailoredList:
        with self._lock:
            hit = self._tailored.get(child_id)
        if hit is None:
            hit = core_tailored_list(self.problem, child_id, run=self.run, table=self.table)
            with self._lock:
                self._tailored.put(child_id, hit)
        return hit

    def list_json(self, child_id: str, audience: Audience) -> bytes:
        """The child's list in ``audience``'s wording, serialised. A list not built yet is
        built once and serialised in both wordings (the wording is a small part of the cost:
        Kent, about 7 ms of 110), so the officer's and the family's reads share one build."""
        key = (child_id, audience)
        with self._lock:
            hit = self._lists.get(key)
        if hit is not None:
            return hit
        tl = self.tailored(child_id)
        built: dict[tuple[str, str], bytes] = {}
        for aud in AUDIENCES:
            d = list_as_dict(tl, aud)
            d["run_id"] = self.run_id
            built[(child_id, aud)] = json.dumps(
                d, separators=(",", ":"), ensure_ascii=False
            ).encode()
        with self._lock:
            for k, body in built.items():
                self._lists.put(k, body)
        return built[key]

    def list_doc(self, child_id: str, audience: Audience) -> dict[str, Any]:
        """The child's list in ``audience``'s wording as the document the API serialises,
        built from the core's list (the pages render it; nothing is read back from JSON)."""
        d = list_as_dict(self.tailored(child_id), audience)
        d["run_id"] = self.run_id
        return d


def allocation_from_result(p: Problem, result: Mapping[str, Any]) -> Allocation:
    """Rebuild a stored run's Allocation against ``p`` from its child -> setting mapping."""
    assign = np.full(p.num_children, -1, np.int64)
    for row in result.get("placements", ()):
        i = p.child_index.get(row["child_id"])
        s = p.setting_index.get(row["setting_id"])
        if i is not None and s is not None:
            assign[i] = p.pair_index(i, s)
    manifest = result.get("manifest", {})
    seed = manifest.get("seed")
    keys = priority_keys(p, seed or 0)
    return finalise(
        p,
        str(result.get("mechanism", "optimised")),
        assign,
        parameters=manifest.get("parameters", {}),
        seed=seed,
        justified_envy=count_justified_envy(p, assign, keys),
    )


class CoreCache:
    """Built problems keyed by (area, revision, run, policy); least recently used evicted.

    Each process has its own, and each is safe beside the others (``placement serve
    --workers N``): the key is read from the database on every request (the area's revision,
    its latest successful run and the policy that run used, or the LA's latest policy), so a
    run finished or a policy published through any process is what the next request in every
    process is served. What an entry holds changes with nothing else: a confirmation, a
    decline or a family's saved requests change no key and no entry, and everything they do
    change (a request's status, a placement's, the worklist's statuses) is read from the
    database per request, never kept here.
    """

    def __init__(self, engine: Engine, entries: int, max_bytes: int = 1 << 30) -> None:
        self.engine = engine
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, int, int, int], Computed] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[int, int, int, int], threading.Lock] = {}

    def latest_run(self, session: Session, area_id: int) -> RunRow | None:
        """The area's working run (an officer designated it; every other run is a study that
        never feeds lists or placements), or None."""
        rid = session.exec(
            select(RoundRow.working_run_id)
            .where(RoundRow.area_id == area_id)
            .order_by(col(RoundRow.number).desc())
            .limit(1)
        ).first()
        if rid is None:
            return None
        got: RunRow | None = session.exec(
            select(RunRow).options(*LIGHT_RUN).where(RunRow.id == rid, RunRow.status == "succeeded")
        ).first()
        return got

    def latest_policy_id(self, session: Session, la_code: str) -> int | None:
        return session.exec(
            select(PolicyRow.id)
            .where(PolicyRow.la_code == la_code)
            .order_by(col(PolicyRow.version).desc())
            .limit(1)
        ).first()

    def get(self, session: Session, area: AreaRow) -> Computed:
        """The computed lists for the area's current revision and latest successful run."""
        assert area.id is not None
        run = self.latest_run(session, area.id)
        policy_id = (
            run.policy_id if run is not None else self.latest_policy_id(session, area.la_code)
        )
        key = (area.id, area.revision, run.id or 0 if run else 0, policy_id or 0)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one builder per key; the others wait for it
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    return hit
            computed = self._build(session, area, run, policy_id)
            with self._lock:
                self._items[key] = computed
                self._building.pop(key, None)
                # bounded by entries and by memory: the least recently used go first (the
                # newest stays, whatever its size)
                while len(self._items) > 1 and (
                    len(self._items) > self.entries
                    or sum(c.nbytes() for c in self._items.values()) > self.max_bytes
                ):
                    self._items.popitem(last=False)
            return computed

    def _build(
        self, session: Session, area: AreaRow, run: RunRow | None, policy_id: int | None
    ) -> Computed:
        policy = policy_for(session, area, policy_id)
        p = build_problem(area_from_db(session, area), policy)
        ar: AreaRun | None = None
        if run is not None and run.result:
            ar = area_run(p, allocation_from_result(p, json.loads(run.result)))
        return Computed(p, ar, score_table(p, ar), run.id if run else None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
