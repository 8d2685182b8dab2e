"""National sweep: one scenario over all 153 LAs (a synthetic area calibrated to each), then
totals by region and for England.

Each LA is an independent task (generate, build, allocate baseline and scenario; no marginal
values), run in a local process pool, on a local Ray instance or on a Ray cluster at an
address (``placement[ray]`` on the driver and every node; docs/scenarios.md). Tasks return
counts only (never percentages), so regions and England aggregate exactly: percentages are
recomputed from summed counts, mean and 95th percentile journeys from summed minute
histograms. A change that cannot apply in one LA (an unknown setting id, say) is recorded
for that LA and the sweep goes on.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from placement.scenarios.changes import Scenario
from placement.scenarios.report import DISCLOSURE_NOTE, export_metrics

__all__ = [
    "Engine",
    "RayClusterError",
    "RayUnavailableError",
    "SweepResult",
    "aggregate",
    "run_sweep",
    "sweep_one",
]

Engine = Literal["process", "ray"]
SUMMED = (
    "children",
    "placed",
    "unplaced",
    "with_preference",
    "first_preference",
    "any_preference",
    "with_request",
    "request_honoured",
    "mainstream",
    "special",
    "independent",
    "out_of_area",
    "total_cost_gbp",
    "high_needs_block_gbp",
    "schools_gbp",
    "transport_gbp",
    "justified_envy",
)


class RayUnavailableError(RuntimeError):
    """``--engine ray`` without Ray installed."""


class RayClusterError(RayUnavailableError):
    """A Ray cluster address that cannot be reached or connected to."""


@dataclass(frozen=True, slots=True)
class SweepResult:
    scenario: Scenario
    engine: str
    workers: int
    las: list[dict[str, Any]]  # one per LA: la_code, la_name, region, sides or error
    regions: dict[str, dict[str, Any]]
    england: dict[str, Any]  # the total over every LA swept (England only when all 153 are)
    wall_s: float
    selected: tuple[str, ...] = ()  # the LAs asked for by name (empty: all 153)

    @property
    def total_name(self) -> str:
        """What the total is of: "England", or "the selected LAs: A, B" for a subset."""
        if not self.selected:
            return "England"
        names = list(self.selected)
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        return f"the selected LAs: {', '.join(names[:5])}{more}"


def sweep_one(scenario: Scenario, la_code: str) -> dict[str, Any]:
    """Run the scenario on a synthetic area like ``la_code``; counts only."""
    from placement.files.errors import InputError
    from placement.register import resolve_la
    from placement.scenarios.run import run_scenario

    t0 = time.perf_counter()
    la = resolve_la(la_code)
    sc = replace(scenario, base=replace(scenario.base, like=la_code, area=None))
    out: dict[str, Any] = {"la_code": la.la_code, "la_name": la.la_name, "region": la.region}
    try:
        # counts only: no placements, refusals or input digest
        r = run_scenario(sc, marginal=0, details=False, digest=False)
    except InputError as e:
        out["error"] = str(e)
        return out
    sides: dict[str, Any] = {}
    for mech in r.baseline:
        for label, side in (("baseline", r.baseline[mech]), ("scenario", r.outcome[mech])):
            d = {
                k: v
                for k, v in side.metrics.items()
                if k in SUMMED or k.startswith(("unmet_", "mix_"))
            }
            d["journeys"] = side.journeys
            sides[f"{label}:{mech}"] = d
    out["sides"] = sides
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _percentile(hist: Sequence[int], q: float) -> float:
    """The q-th percentile of minutes from a histogram (numpy's linear method, exact for
    whole-minute journeys)."""
    n = sum(hist)
    if n == 0:
        return 0.0
    pos = (n - 1) * q / 100.0
    lo_k, hi_k = int(pos), min(n - 1, int(pos) + 1)
    frac = pos - lo_k

    def at(k: int) -> int:
        acc = 0
        for minute, c in enumerate(hist):
            acc += c
            if acc > k:
                return minute
        return len(hist) - 1

    a, b = at(lo_k), at(hi_k)
    return round(a + (b - a) * frac, 2)


def _finish(tot: dict[str, Any]) -> dict[str, Any]:
    def pct(a: str, b: str) -> float:
        return round(100.0 * tot[a] / tot[b], 2) if tot[b] else 0.0

    hist = tot.pop("journeys")
    n = sum(hist)
    tot["placed_pct"] = pct("placed", "children")
    tot["first_preference_pct"] = pct("first_preference", "with_preference")
    tot["any_preference_pct"] = pct("any_preference", "with_preference")
    tot["request_honoured_pct"] = pct("request_honoured", "with_request")
    tot["mainstream_pct"] = pct("mainstream", "placed")
    tot["special_pct"] = pct("special", "placed")
    tot["independent_pct"] = pct("independent", "placed")
    tot["out_of_area_pct"] = pct("out_of_area", "placed")
    tot["mean_journey_min"] = round(sum(m * c for m, c in enumerate(hist)) / n, 2) if n else 0.0
    tot["p95_journey_min"] = _percentile(hist, 95)
    return tot


def aggregate(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sum LA rows side by side ("baseline:optimised" ...), then recompute percentages."""
    acc: dict[str, dict[str, Any]] = {}
    count = 0
    for r in rows:
        if "sides" not in r:
            continue
        count += 1
        for key, d in r["sides"].items():
            t = acc.setdefault(key, {"journeys": [0] * len(d["journeys"])})
            for k, v in d.items():
                if k == "journeys":
                    t["journeys"] = [a + b for a, b in zip(t["journeys"], v, strict=True)]
                else:
                    t[k] = t.get(k, 0) + v
    out = {k: _finish(v) for k, v in acc.items()}
    for v in out.values():
        v["las"] = count
    return out


def _ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def run_sweep(
    scenario: Scenario,
    *,
    engine: Engine = "process",
    workers: int | None = None,
    las: Sequence[str] | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    ray_address: str | None = None,
) -> SweepResult:
    """Run ``scenario`` over ``las`` (default all 153 LAs, largest first so the pool stays
    busy) with ``workers`` processes (default: every CPU).

    With ``engine="ray"``: on the Ray cluster at ``ray_address`` (else ``RAY_ADDRESS``), one
    task per CPU of the cluster (``workers`` is then the cluster's CPUs); with neither, on a
    local instance of ``workers`` CPUs that is shut down afterwards. An address that cannot
    be reached raises :class:`RayClusterError`."""
    from placement.register import list_las, resolve_la

    if scenario.base.area is not None:
        raise ValueError("a sweep needs a generated base (base.like), not an area folder")
    profiles = [resolve_la(x) for x in las] if las else list(list_las())
    selected = tuple(dict.fromkeys(la.la_name for la in profiles)) if las else ()
    profiles.sort(key=lambda la: (-la.plans, la.la_code))
    codes = [la.la_code for la in profiles]
    n_workers = max(1, workers or os.cpu_count() or 1)
    if ray_address and engine != "ray":
        raise ValueError("a Ray address needs engine='ray'")
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if engine == "ray":
        rows, n_workers = _run_ray(scenario, codes, n_workers, progress, ray_address)
    elif engine == "process":
        rows = _run_pool(scenario, codes, n_workers, progress)
    else:
        raise ValueError(f"unknown engine {engine!r}: process or ray")
    wall = time.perf_counter() - t0
    rows.sort(key=lambda r: r["la_code"])
    by_region: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_region.setdefault(r["region"], []).append(r)
    regions = {k: aggregate(v) for k, v in sorted(by_region.items())}
    return SweepResult(scenario, engine, n_workers, rows, regions, aggregate(rows), wall, selected)


def _run_pool(
    scenario: Scenario,
    codes: Sequence[str],
    workers: int,
    progress: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers == 1:
        out = []
        for c in codes:
            r = sweep_one(scenario, c)
            out.append(r)
            if progress:
                progress(r)
        return out
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(sweep_one, scenario, c) for c in codes]
        for f in as_completed(futs):
            r = f.result()
            rows.append(r)
            if progress:
                progress(r)
    return rows


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast, in words, when nothing listens at a cluster's ``HOST:PORT`` (``ray.init``
    itself retries for a long while, then raises a traceback's worth). ``auto`` (the cluster
    started on this machine) is left to ``ray.init``."""
    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise RayClusterError(
            f"Ray address {address!r}: expected HOST:PORT of the cluster's head "
            "(e.g. 10.0.0.5:6379), or auto"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise RayClusterError(
            f"cannot reach the Ray cluster at {address} ({why}): is its head running "
            "(ray start --head) and the port open from here?"
        ) from None


def _connect(address: str) -> int:
    """Connect this process to the cluster at ``address``; its CPUs."""
    import ray

    _check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=False)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError, AuthenticationError...
        ray.shutdown()  # whatever half of the connection was made
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        chain: list[str] = []
        x: BaseException | None = e
        while x is not None and len(chain) < 5:
            chain.append(str(x))
            x = x.__cause__ or x.__context__
        hint = (
            " (the cluster wants its token: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN here "
            "as on its nodes)"
            if any("InvalidAuthToken" in t or "Authentication" in t for t in chain)
            else ""
        )
        raise RayClusterError(
            f"cannot connect to the Ray cluster at {address}: {first}{hint}"
        ) from None
    return int(ray.cluster_resources().get("CPU", 0))  # type: ignore[no-untyped-call]


def _run_ray(
    scenario: Scenario,
    codes: Sequence[str],
    workers: int,
    progress: Callable[[dict[str, Any]], None] | None,
    address: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The rows, and the CPUs they ran on (the cluster's, when at an address)."""
    if not _ray_available():
        raise RayUnavailableError(
            "--engine ray needs Ray: pip install 'placement[ray]' (or use --engine process)"
        )
    import ray

    started = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address:
            workers = _connect(address) or workers
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started = True
    try:
        task = ray.remote(sweep_one)
        ref = ray.put(scenario)
        pending = [task.remote(ref, c) for c in codes]
        rows: list[dict[str, Any]] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for d in done:
                r = ray.get(d)
                rows.append(r)
                if progress:
                    progress(r)
        return rows, workers
    finally:
        if started:
            ray.shutdown()


def sweep_json(res: SweepResult) -> dict[str, Any]:
    """Exportable (:mod:`placement.disclosure`: 1-9 children as "<10", other counts rounded
    to the nearest 5, percentages from the rounded counts); journey histograms left out."""

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return export_metrics(_full(d))

    las = []
    for r in res.las:
        row: dict[str, Any] = {k: r[k] for k in ("la_code", "la_name", "region") if k in r}
        if "error" in r:
            row["error"] = r["error"]
        else:
            row["seconds"] = r.get("seconds")
            row["sides"] = {k: clean(v) for k, v in r["sides"].items()}
        las.append(row)
    return {
        "scenario": res.scenario.name,
        "engine": res.engine,
        "workers": res.workers,
        "wall_s": round(res.wall_s, 2),
        # the total over the LAs swept: England when all 153 were (the key is kept for
        # readers of earlier files; "total_of" says what it is)
        "total_of": res.total_name,
        "england": {k: clean(v) for k, v in res.england.items()},
        "regions": {g: {k: clean(v) for k, v in d.items()} for g, d in res.regions.items()},
        "las": las,
        "suppression": DISCLOSURE_NOTE,
    }


def _full(d: dict[str, Any]) -> dict[str, Any]:
    """An LA's side (counts and journeys) or a total, with its percentages and journeys."""
    if "placed_pct" in d:
        return d
    return _finish({**d, "journeys": list(d["journeys"])})


SWEEP_COLUMNS = (
    "children",
    "placed",
    "placed_pct",
    "first_preference_pct",
    "mainstream_pct",
    "special_pct",
    "independent_pct",
    "out_of_area_pct",
    "total_cost_gbp",
    "transport_gbp",
    "mean_journey_min",
    "p95_journey_min",
)


def sweep_csv(res: SweepResult) -> str:
    """One row per (level, name, side): the total (England, or the selected LAs), each
    region and each LA."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["level", "name", "side", *SWEEP_COLUMNS])

    def put(level: str, name: str, sides: dict[str, dict[str, Any]]) -> None:
        for key, d in sides.items():
            shown = export_metrics(_full(d))
            w.writerow([level, name, key] + [shown[c] for c in SWEEP_COLUMNS])

    put("england" if not res.selected else "selected", res.total_name, res.england)
    for g, d in res.regions.items():
        put("region", g, d)
    for r in res.las:
        if "sides" in r:
            put("la", r["la_name"], {k: dict(v) for k, v in r["sides"].items()})
    return buf.getvalue()
