"""The API's answers, recorded before the service layer moved (issue 19), stay the same.

Every route, for every role, on a fixed small area (``tests/service/recorded.py`` says what
is played and what is normalised). A change meant to change an answer records them again
(``python -m tests.service.recorded --write``), and its diff is read in review.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.service.conftest import TEST_SECRET
from tests.service.recorded import RECORDED, fresh_answers


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    return fresh_answers()


def test_every_recorded_request_is_played(answers: dict[str, Any]) -> None:
    want = json.loads(RECORDED.read_text())
    assert sorted(answers) == sorted(want)


def test_the_script_reaches_every_api_route(answers: dict[str, Any]) -> None:
    """Each operation of the OpenAPI schema (the API, not the pages) is played at least once."""
    from placement.app import create_app
    from placement.service.settings import Settings

    app = create_app(Settings(database_url="sqlite://", jwt_secret=TEST_SECRET))
    try:
        paths = app.openapi()["paths"]
    finally:
        app.state.ctx.jobs.shutdown()
    played = [(a["method"], a["path"].split("?")[0]) for a in answers.values()]
    missing = []
    for path, ops in paths.items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in ops:
            if not any(m == method.upper() and pattern.match(p) for m, p in played):
                missing.append(f"{method.upper()} {path}")
    assert len(paths) >= 30
    assert not missing


def test_the_answers_are_the_recorded_ones(answers: dict[str, Any]) -> None:
    want = json.loads(RECORDED.read_text())
    changed = [k for k in sorted(want) if answers.get(k) != want[k]]
    first = changed[0] if changed else None
    assert not changed, (
        f"{len(changed)} answers changed, first {first!r}:\n"
        f"recorded: {json.dumps(want[first], sort_keys=True)[:2000] if first else ''}\n"
        f"now:      {json.dumps(answers.get(first), sort_keys=True)[:2000] if first else ''}"
    )
