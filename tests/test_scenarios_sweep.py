"""The area dashboard and the national sweep: the process pool, a local Ray instance and a
two-node Ray cluster started on this machine (Ray is in the dev extra, so these run in
``make test``)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from placement.cli import main
from placement.register import list_las
from placement.scenarios import parse_scenario
from placement.scenarios.dashboard import la_mix, national_mix
from placement.scenarios.sweep import aggregate, run_sweep, sweep_csv, sweep_json

ROOT = Path(__file__).resolve().parents[1]
SMALL_LAS = ["Rutland", "City of London", "Isles of Scilly", "Hartlepool"]
RAY = Path(sys.executable).with_name("ray")  # the venv's ray command
# this process's own cluster token, so the tests neither read nor write ~/.ray/auth_token
RAY_TOKEN = secrets.token_hex(32)
START_TIMEOUT_S = 180  # only so that a broken start cannot hang the suite


def test_national_mix_is_the_sum_over_las() -> None:
    nat = national_mix()
    total = sum(la.plans for la in list_las())
    assert len(list_las()) == 153
    # placement counts cover (nearly) every plan; "other" takes the rest in the DfE columns
    assert 0.95 * total <= sum(nat.values()) <= 1.05 * total
    # of the children who hold or seek a place: "other" keeps only those awaiting provision
    seeking = national_mix(seeking=True)
    assert seeking["other"] == sum(min(la.awaiting, la_mix(la)["other"]) for la in list_las())
    assert 0 < seeking["other"] < nat["other"]
    assert {c: v for c, v in seeking.items() if c != "other"} == {
        c: v for c, v in nat.items() if c != "other"
    }


def test_dashboard_of_a_scenario(tmp_path: Path) -> None:
    f = ROOT / "scenarios" / "new-special-free-school.toml"
    out = tmp_path / "dash"
    assert main(["dashboard", str(f), "--scale", "0.05", "--out", str(out)]) == 0
    data = json.loads((out / "new-special-free-school-dashboard.json").read_text())
    mix = data["placement_mix"]
    assert data["la"] == "Kent"
    # shares of the allocation come from the rounded counts, and are withheld exactly where
    # the count is 1 to 9
    for c, v in mix["allocation_pct"].items():
        assert (v == "suppressed") == (mix["allocation_children"][c] == "<10"), c
    shown = [v for v in mix["allocation_pct"].values() if not isinstance(v, str)]
    assert 90 < sum(shown) <= 100.5
    assert abs(sum(mix["la_real_pct"].values()) - 100) < 0.1
    assert abs(sum(mix["england_pct"].values()) - 100) < 0.1
    for v in [*mix["allocation_children"].values(), *data["unmet_need"]["by_need"].values()]:
        assert v == "<10" or v == 0 or v >= 10
    html = (out / "new-special-free-school-dashboard.html").read_text()
    assert html.count("<svg") == 5


def test_dashboard_of_an_area_folder(tmp_path: Path) -> None:
    area = tmp_path / "area"
    assert main(["generate", "--like", "Rutland", "--scale", "0.3", "--out", str(area)]) == 0
    assert main(["dashboard", str(area), "--out", str(tmp_path / "d")]) == 0
    data = json.loads((tmp_path / "d" / "area-dashboard.json").read_text())
    assert data["la"] == "Rutland"


def test_the_dashboard_says_what_each_mainstream_share_is_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The headline's mainstream share (56.7%) and the mix's (34.5%) differed without a word:
    the headline counts s.33 mainstream (schools, their resourced provision and SEN units, FE
    colleges) among the children placed in this run; the mix counts the DfE's 'mainstream'
    column alone among every child (placed, staying, not placed). Each is labelled with what
    it is of, and the headline gives the same mainstream over the mix's children, which the
    mix's rows add up to."""
    from placement.scenarios.dashboard import HEADLINE_LABELS, MAINSTREAM_COLUMNS, MIX_LABELS

    area = tmp_path / "area"
    assert main(["generate", "--like", "Rutland", "--scale", "0.5", "--out", str(area)]) == 0
    assert main(["dashboard", str(area), "--out", str(tmp_path / "d")]) == 0
    said = " ".join(capsys.readouterr().out.split())
    data = json.loads((tmp_path / "d" / "area-dashboard.json").read_text())
    head, mix = data["headline_pct"], data["placement_mix"]
    assert set(head) == set(data["headline_labels"]) == set(HEADLINE_LABELS)
    for k, label in data["headline_labels"].items():
        assert " % of " in label, k  # every share says what it is a share of
    assert "placed in this run" in data["headline_labels"]["mainstream_pct"]
    assert "all the children" in data["headline_labels"]["mainstream_all_pct"]
    assert mix["labels"] == MIX_LABELS and "staying" in mix["of"]
    # the mainstream over every child is the mix's mainstream rows, up to their rounding
    rows = [mix["allocation_pct"][c] for c in MAINSTREAM_COLUMNS]
    shown = [v for v in rows if not isinstance(v, str)]
    assert isinstance(head["mainstream_all_pct"], float)
    if len(shown) == len(rows):  # each row is rounded to 0.1 on its own
        assert abs(sum(shown) - head["mainstream_all_pct"]) <= 0.2
    # and over the placed children it is the run's own figure, a share of them
    assert isinstance(head["mainstream_pct"], float) and 0 <= head["mainstream_pct"] <= 100
    # printed and in the page with the labels, not code names
    assert "special school (academy" in said and "rp_su" not in said and "special_la" not in said
    assert HEADLINE_LABELS["mainstream_all_pct"] in said
    page = (tmp_path / "d" / "area-dashboard.html").read_text()
    assert "mainstream_pct" not in page and "% of the children placed in this run" in page
    assert "Resourced provision / SEN unit" in page and "Special school (non-maintained)" in page


def _scenario() -> object:
    text = (ROOT / "scenarios" / "secondary-journey-90.toml").read_text()
    return parse_scenario(text, file="secondary-journey-90.toml").with_scale(0.05)


def test_sweep_aggregates_exactly() -> None:
    sc = _scenario()
    res = run_sweep(sc, engine="process", workers=2, las=SMALL_LAS)  # type: ignore[arg-type]
    assert [r["la_name"] for r in res.las] == sorted(
        [r["la_name"] for r in res.las], key=lambda n: [r["la_name"] for r in res.las].index(n)
    )
    ok = [r for r in res.las if "sides" in r]
    assert len(ok) == len(SMALL_LAS)
    key = "scenario:optimised"
    assert res.england[key]["children"] == sum(r["sides"][key]["children"] for r in ok)
    assert res.england[key]["las"] == len(SMALL_LAS)
    assert sum(v[key]["children"] for v in res.regions.values()) == res.england[key]["children"]
    one = aggregate([ok[0]])[key]
    assert one["placed"] == ok[0]["sides"][key]["placed"]
    data = sweep_json(res)
    assert "journeys" not in json.dumps(data)
    assert sweep_csv(res).startswith("level,name,side,children")


def test_sweep_is_deterministic_across_engines_and_workers() -> None:
    sc = _scenario()
    a = run_sweep(sc, engine="process", workers=1, las=SMALL_LAS[:2])  # type: ignore[arg-type]
    b = run_sweep(sc, engine="process", workers=2, las=SMALL_LAS[:2])  # type: ignore[arg-type]
    assert a.england == b.england


def test_sweep_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = ROOT / "scenarios" / "cap-independent-fees.toml"
    args = ["sweep", str(f), "--scale", "0.05", "--workers", "2", "--out", str(tmp_path)]
    assert main([*args, "--la", "Rutland", "--la", "Hartlepool"]) == 0
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert data["england"]["scenario:optimised"]["las"] == 2
    # two LAs are not England: the total is headed, and exported, as what it is
    said = " ".join(capsys.readouterr().out.split())
    assert said.startswith("the selected LAs: Rutland, Hartlepool: Cap on independent fees")
    assert "England" not in said.split("(real)")[0]
    assert "placed_pct" not in said and "total_cost_gbp" not in said and "£" in said
    assert data["total_of"] == "the selected LAs: Rutland, Hartlepool"
    first = (tmp_path / "sweep.csv").read_text().splitlines()[1]
    assert first.startswith('selected,"the selected LAs: Rutland, Hartlepool",')


def test_a_sweep_of_every_la_is_england() -> None:
    from placement.scenarios.sweep import SweepResult

    res = SweepResult(_scenario(), "process", 1, [], {}, {}, 0.0)  # type: ignore[arg-type]
    assert res.total_name == "England"
    many = SweepResult(
        _scenario(),  # type: ignore[arg-type]
        "process",
        1,
        [],
        {},
        {},
        0.0,
        tuple(f"LA {i}" for i in range(7)),
    )
    assert many.total_name == "the selected LAs: LA 0, LA 1, LA 2, LA 3, LA 4 and 2 more"


def test_ray_engine_without_ray_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import placement.scenarios.sweep as sw

    monkeypatch.setattr(sw, "_ray_available", lambda: False)
    f = ROOT / "scenarios" / "cap-independent-fees.toml"
    rc = main(["sweep", str(f), "--engine", "ray", "--la", "Rutland", "--out", str(tmp_path)])
    assert rc == 2
    assert "placement[ray]" in capsys.readouterr().err


# -- Ray ---------------------------------------------------------------------------------
# Each Ray test gets its own temporary directory (short: Ray's socket paths must fit in 107
# characters), its own token and free ports, so the two pytest-xdist workers can each run
# one at the same time; and it stops every process it started, by process id, even when it
# fails (never `ray stop`, which stops every Ray process on the machine).


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _processes() -> list[tuple[int, int, int, str]]:
    """(pid, parent pid, process group, command line) of every live process (Linux /proc)."""
    out: list[tuple[int, int, int, str]] = []
    if not Path("/proc").is_dir():  # not Linux: nothing to check or stop
        return out
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if fields[0] != "Z":  # a zombie is already dead
            out.append((int(d.name), int(fields[1]), int(fields[2]), cmd))
    return out


def _ray_processes(temp_dir: Path, groups: Sequence[int] = ()) -> list[int]:
    """The live processes of the Ray instance under ``temp_dir``: those whose command line
    names it (GCS, raylet, monitors), those in ``groups`` (the process groups of our
    ``ray start``s) and their descendants (Ray's workers and agents rename themselves)."""
    procs = _processes()
    mine = {p for p, _, g, cmd in procs if str(temp_dir) in cmd or g in set(groups)}
    mine.discard(os.getpid())
    grew = True
    while grew:
        more = {p for p, pp, _, _ in procs if pp in mine} - mine - {os.getpid()}
        mine |= more
        grew = bool(more)
    return sorted(mine)


def _stop(pids: list[int], grace_s: float = 2.0) -> None:
    """SIGTERM, a short grace, then SIGKILL for what is left (Ray's GCS can outlive a
    SIGTERM by minutes)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, sig)
        end = time.monotonic() + grace_s
        live = {p for p, *_ in _processes()}
        while time.monotonic() < end and any(p in live for p in pids):
            time.sleep(0.2)
            live = {p for p, *_ in _processes()}
        pids = [p for p in pids if p in live]
        if not pids:
            return


@pytest.fixture
def ray_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Ray temporary directory of this test's own, the test's token, no RAY_ADDRESS from
    the caller's shell; afterwards Ray is disconnected, every process of the instance is
    stopped and the directory removed."""
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(temp_dir))  # a local instance's sessions go here
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN", RAY_TOKEN)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    # a busy machine (CI shares 2 cores) can take longer than Ray's 30 s for a node to
    # register with the head (a worker's `ray start` failed so once); liveness bounds only
    monkeypatch.setenv("RAY_raylet_start_wait_time_s", str(START_TIMEOUT_S))
    import ray
    from ray._raylet import AuthenticationTokenLoader, Config

    # Ray reads RAY_AUTH_MODE and the token once per process: read them again, as Ray does
    # when it turns token authentication on (an earlier import would have cached "disabled")
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()
    try:
        yield temp_dir
    finally:
        ray.shutdown()
        _stop(_ray_processes(temp_dir))
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_ray_engine_on_a_local_instance_matches_the_process_pool(ray_dir: Path) -> None:
    sc = _scenario()
    las = SMALL_LAS[:2]
    a = run_sweep(sc, engine="process", workers=1, las=las)  # type: ignore[arg-type]
    running: list[int] = []  # the instance's processes seen while it ran
    b = run_sweep(
        sc,  # type: ignore[arg-type]
        engine="ray",
        workers=2,
        las=las,
        progress=lambda _: running.append(len(_ray_processes(ray_dir))),
    )
    assert a.england == b.england and a.regions == b.regions
    assert b.engine == "ray" and b.workers == 2
    # the sweep started its own instance in this test's directory and shut it down: nothing
    # of it is left running (the fixture would stop it, but a sweep must not leave it)
    import ray

    assert len(running) == len(las) and min(running) > 0
    assert not ray.is_initialized()
    deadline = time.monotonic() + 30
    while _ray_processes(ray_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ray_processes(ray_dir) == []


def _ray_start(args: list[str], temp_dir: Path, groups: list[int]) -> None:
    """``ray start`` in a session of its own (its daemons stay in that process group,
    which is recorded for the teardown); fails the test with Ray's output if it fails."""
    cmd = [str(RAY), "start", *args, "--temp-dir", str(temp_dir), "--disable-usage-stats"]
    cmd += ["--dashboard-agent-listen-port", str(_free_port())]  # 52365 would be shared
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    groups.append(proc.pid)
    try:
        out, _ = proc.communicate(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")


@pytest.fixture
def ray_cluster(ray_dir: Path) -> Iterator[str]:
    """A head (1 CPU, no dashboard) and one worker node (1 CPU) on this machine, started
    with the venv's ``ray``; the head's address. Stopped, process by process, afterwards."""
    port = _free_port()
    groups: list[int] = []
    try:
        _ray_start(
            [
                *("--head", "--port", str(port), "--num-cpus", "1"),
                "--include-dashboard=false",
                *("--dashboard-port", str(_free_port())),  # its API server's: not 8265
            ],
            ray_dir,
            groups,
        )
        address = f"127.0.0.1:{port}"
        _ray_start(["--address", address, "--num-cpus", "1"], ray_dir, groups)
        assert _ray_processes(ray_dir, groups)  # what the teardown will stop
        yield address
    finally:
        import ray

        ray.shutdown()
        _stop(_ray_processes(ray_dir, groups))
        assert _ray_processes(ray_dir, groups) == []


def test_sweep_on_a_ray_cluster_matches_the_process_pool(
    ray_cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = _scenario()
    las = SMALL_LAS[:2]
    a = run_sweep(sc, engine="process", workers=1, las=las)  # type: ignore[arg-type]
    b = run_sweep(sc, engine="ray", las=las, ray_address=ray_cluster)  # type: ignore[arg-type]
    assert a.england == b.england and a.regions == b.regions

    def counts(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert counts(a.las) == counts(b.las)  # LA by LA
    assert b.engine == "ray" and b.workers == 2  # the head's CPU and the worker node's
    import ray

    assert not ray.is_initialized()  # disconnected; the cluster itself goes on


def test_an_unreachable_ray_address_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    f = ROOT / "scenarios" / "cap-independent-fees.toml"
    base = ["sweep", str(f), "--la", "Rutland", "--out", str(tmp_path / "out")]
    nobody = f"127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert main([*base, "--ray-address", nobody]) == 2
    said = capsys.readouterr().err
    assert f"cannot reach the Ray cluster at {nobody}" in " ".join(said.split())
    assert "Traceback" not in said
    # RAY_ADDRESS is read the same way, and a malformed address is said to be one
    monkeypatch.setenv("RAY_ADDRESS", nobody)
    assert main([*base, "--engine", "ray"]) == 2
    assert "cannot reach the Ray cluster" in capsys.readouterr().err
    assert main([*base, "--ray-address", "head-without-a-port"]) == 2
    assert "expected HOST:PORT" in " ".join(capsys.readouterr().err.split())
    # the process pool has no address
    monkeypatch.delenv("RAY_ADDRESS")
    assert main([*base, "--engine", "process", "--ray-address", nobody]) == 2
    assert "--ray-address is for --engine ray" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
