"""``placement.explain``: one answer to "why is this setting on the child's list, or why not",
the same as the API route and the CLI assembled it themselves before (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from placement.area import Area
from placement.domain import Need
from placement.explain import explain_setting
from placement.files.policy_files import load_policy
from placement.problem import Problem, build_problem
from placement.rules import why_unsuitable
from placement.solve.optimised import finish_optimised, run_optimised
from placement.tailored import AreaRun, area_run, tailored_list
from placement.wording import Audience, list_as_dict, render

from .factories import at, child, setting, special

KIDS = (
    child("C1", Need.ASD, 4, prefs=("S1",)),
    child("C2", Need.SLCN, 1, location=at(1)),
    child("C3", Need.ASD, 5, prefs=("S1", "S2")),
)
SETS = (
    special("S1", places=1, capacity=3),
    special("S2", location=at(4)),
    setting("M1"),
    # a secondary school: another age group for these Year 3 children
    setting("SEC", low_age=11, high_age=16, location=at(1)),
)


def the_area() -> Area:
    return Area("small", KIDS, SETS)


def the_run(p: Problem) -> AreaRun:
    """The area run as ``placement list|explain`` makes it (optimised, seed 0)."""
    return area_run(p, finish_optimised(run_optimised(p), seed=0))


def route_today(
    p: Problem, child_id: str, setting_id: str, aud: Audience, run: AreaRun | None, run_id: Any
) -> dict[str, Any]:
    """The answer of ``GET .../children/{c}/explanations/{s}`` as the route assembled it before
    this use case (its code, less the database: the list as ``Computed.list_json`` serialises
    it, and the run's assessment of the requests)."""
    tl = tailored_list(p, child_id, run=run)
    d = list_as_dict(tl, aud)
    d["run_id"] = run_id
    d = json.loads(json.dumps(d, separators=(",", ":"), ensure_ascii=False))
    option = next((o for o in d["options"] if o["setting_id"] == setting_id), None)
    left = next((lo for lo in d["left_off"] if lo["setting_id"] == setting_id), None)
    requests = [r for r in d["requests"] if r["setting_id"] == setting_id]
    why_not: list[dict[str, Any]] = []
    if option is None:
        if left is not None:
            why_not = left["reasons"]
        else:
            names = {s.setting_id: s.name for s in p.settings}
            i, s = p.child_index[child_id], p.setting_index[setting_id]
            why_not = [
                {"setting_id": setting_id, "text": render(r, aud, names)}
                | (r.as_dict() if aud == "officer" else {})
                for r in why_unsuitable(p, i, s)
            ]
    return {
        "child_id": child_id,
        "setting_id": setting_id,
        "name": p.settings[p.setting_index[setting_id]].name,
        "on_list": option is not None,
        "option": option,
        "why_not": why_not,
        "requests": requests,
        "advisory": d["advisory"],
        "run_id": d.get("run_id"),
    }


def as_json(d: dict[str, Any]) -> str:
    # what the API sends: the order of the keys included
    return json.dumps(d, ensure_ascii=False)


CASES = [
    # (child, setting, audience, with a run): what the row shows
    ("C1", "S1", "officer", True),  # the family's request, on the list
    ("C1", "S1", "family", True),  # the same in the family's words
    ("C3", "S1", "officer", True),  # a request the run may refuse (one place, two asking)
    ("C3", "S2", "family", True),  # the second request
    ("C3", "M1", "officer", True),  # left off (need level above designation), with evidence
    ("C3", "M1", "family", True),
    ("C1", "SEC", "officer", True),  # unsuitable and not left off: the rules' own reasons
    ("C1", "SEC", "family", True),
    ("C2", "M1", "officer", True),  # a plain option, no request
    ("C1", "S1", "officer", False),  # a child with no run yet
    ("C3", "M1", "family", False),
    ("C2", "SEC", "officer", False),
]


@pytest.mark.parametrize(("child_id", "setting_id", "aud", "with_run"), CASES)
def test_as_dict_is_the_routes_answer(
    child_id: str, setting_id: str, aud: Audience, with_run: bool
) -> None:
    p = build_problem(the_area(), load_policy())
    run = the_run(p) if with_run else None
    run_id = 7 if with_run else None
    want = route_today(p, child_id, setting_id, aud, run, run_id)
    got = explain_setting(p, child_id, setting_id, run=run, run_id=run_id).as_dict(aud)
    assert as_json(got) == as_json(want)
    # the same from a list the caller already has (a cache)
    tl = tailored_list(p, child_id, run=run)
    cached = explain_setting(p, child_id, setting_id, listed=tl, run_id=run_id)
    assert as_json(cached.as_dict(aud)) == as_json(want)


def test_the_cases_cover_each_kind_of_answer() -> None:
    p = build_problem(the_area(), load_policy())
    run = the_run(p)
    seen = set()
    for child_id, setting_id, _aud, with_run in CASES:
        e = explain_setting(p, child_id, setting_id, run=run if with_run else None)
        if e.on_list:
            seen.add("on list")
        elif e.left_off is not None:
            seen.add("left off")
        else:
            assert e.unsuitable  # neither listed nor left off: the rules say why
            seen.add("unsuitable, not left off")
        if e.requests:
            seen.add("request")
    assert seen == {"on list", "left off", "unsuitable, not left off", "request"}


def test_a_callers_own_requests_are_shown_for_the_setting_only() -> None:
    """A family sees its saved requests with their status (the service's view), not the run's
    assessment: the caller passes them and only this setting's are shown."""
    p = build_problem(the_area(), load_policy())
    e = explain_setting(p, "C3", "S2", run=the_run(p))
    saved = [
        {"setting_id": "S1", "rank": 1, "status": "being_considered"},
        {"setting_id": "S2", "rank": 2, "status": "being_considered"},
    ]
    assert e.as_dict("family", requests=saved)["requests"] == [saved[1]]


def test_unknown_child_or_setting_is_a_key_error() -> None:
    p = build_problem(the_area(), load_policy())
    with pytest.raises(KeyError):
        explain_setting(p, "NOPE", "S1")
    with pytest.raises(KeyError):
        explain_setting(p, "C1", "NOPE")


@pytest.mark.parametrize(
    ("child_id", "setting_id", "aud"),
    [
        ("C3", "S1", "officer"),  # a request
        ("C3", "S2", "family"),
        ("C3", "M1", "officer"),  # left off
        ("C1", "SEC", "family"),  # another age group
        ("C2", "M1", "family"),  # on the list
    ],
)
def test_text_lines_are_what_the_cli_prints(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    child_id: str,
    setting_id: str,
    aud: Audience,
) -> None:
    from placement.cli import main
    from placement.files.area_writer import write_area

    folder = tmp_path / "area"
    write_area(the_area(), folder)
    args = ["explain", str(folder), "--child", child_id, "--setting", setting_id]
    assert main([*args, "--audience", aud]) == 0
    printed = capsys.readouterr().out.splitlines()
    p = build_problem(the_area(), load_policy())
    lines = explain_setting(p, child_id, setting_id, run=the_run(p)).text_lines(aud)
    assert printed[: len(lines)] == lines
    assert printed[len(lines)].startswith(("What if", "A place "))  # the what-if follows
