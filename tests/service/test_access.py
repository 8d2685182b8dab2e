"""Route x role x own/other-object matrix: role refusals are 403, hidden objects 404."""

from __future__ import annotations

import pytest

from tests.service.conftest import World, consulted

WHO = ("officer", "officer_other", "planner", "planner_other", "family", "family_other")


def _codes(officer: int, planner: int, family: int, *, other: int = 404) -> dict[str, int]:
    """Expected status per caller: own-LA officer/planner and own family get the first
    figures; the other LA's officer/planner and the other family get ``other`` (404) where
    their role may use the route, else the role's refusal."""
    return {
        "officer": officer,
        "officer_other": other if officer < 400 else officer,
        "planner": planner,
        "planner_other": other if planner < 400 else planner,
        "family": family,
        "family_other": other if family < 400 else family,
    }


CHILD = _codes(200, 403, 200)
STAFF = _codes(200, 200, 403)

# (method, path template, body, expected by caller)
ROUTES = [
    ("GET", "/areas/{a}", None, STAFF),  # area: staff of its LA
    ("GET", "/areas/{a}/children", None, _codes(200, 403, 403)),  # officers only
    ("GET", "/areas/{a}/children/C01", None, CHILD),  # the child: officer or own family
    ("GET", "/areas/{a}/children/C01/list", None, CHILD),
    ("GET", "/areas/{a}/children/C01/requests", None, CHILD),
    ("GET", "/areas/{a}/children/C01/placements", None, CHILD),
    ("GET", "/areas/{a}/children/C01/explanations/S1", None, CHILD),
    ("GET", "/placements/{p}", None, CHILD),  # a placement of C01
    ("GET", "/areas/{a}/settings", None, STAFF),
    ("GET", "/areas/{a}/settings/S1", None, STAFF),
    ("GET", "/areas/{a}/aggregates", None, STAFF),
    ("GET", "/areas/{a}/runs", None, STAFF),
    ("GET", "/areas/{a}/scenarios", None, STAFF),
    ("GET", "/audit/verify", None, _codes(200, 200, 403, other=200)),  # not an object
    # writes
    ("POST", "/areas/{a}/children/C01/placements", {"setting_id": "M1"}, _codes(201, 403, 403)),
    ("POST", "/areas/{a}/runs", {"mechanism": "optimised"}, _codes(202, 202, 403)),
    (
        "POST",
        "/areas/{a}/runs",
        {"mechanism": "optimised", "scope": "from_scratch"},
        _codes(403, 202, 403),
    ),
    ("GET", "/areas/{a}/children/C01/what-if/S2", None, _codes(200, 403, 403)),
    ("POST", "/areas/{a}/scenarios", {"scenario": 'name = "no change"'}, _codes(403, 202, 403)),
    ("POST", "/placements/{p}/setting-response", {"response": "agrees"}, _codes(200, 403, 403)),
    ("PUT", "/areas/{a}/children/C01/requests", {"setting_ids": ["S1"]}, CHILD),
    ("POST", "/auth/logout", None, _codes(204, 204, 204, other=204)),  # not an object
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), ROUTES)
def test_matrix(
    world: World, method: str, path: str, body: object, expected: dict[str, int]
) -> None:
    pid = consulted(world, "C01", "M1")
    for who in WHO:
        url = path.format(a=world.area_id, p=pid)
        r = world.client.request(method, url, json=body, headers=world.as_(who))
        assert r.status_code == expected[who], (who, method, url, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["status"] == r.status_code


@pytest.mark.parametrize("path", [p for m, p, _, _ in ROUTES if m == "GET"] + ["/me"])
def test_no_token_is_401(world: World, path: str) -> None:
    r = world.client.get(path.format(a=world.area_id, p=1))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "path",
    [
        "/areas/{b}/children/C01",  # another LA's area, a child id that exists there
        "/areas/{b}/children/C01/list",
        "/areas/999999/children/C01",  # no such area
        "/areas/{a}/children/C99",  # no such child
        "/placements/999999",
        "/runs/999999",
        "/scenarios/999999",
        "/scenarios/999999/report.html",
        "/policies/999999",
    ],
)
def test_guessing_ids_is_404(world: World, path: str) -> None:
    url = path.format(a=world.area_id, b=world.other_area_id)
    r = world.client.get(url, headers=world.as_("officer"))
    assert r.status_code == 404, r.text


def test_family_wording_has_no_costs_or_codes(world: World) -> None:
    r = world.client.get(
        f"/areas/{world.area_id}/children/C01/list?audience=officer", headers=world.as_("family")
    )
    assert r.status_code == 200
    d = r.json()
    assert d["audience"] == "family"
    assert d["options"]
    assert all("cost_gbp" not in o and "score" not in o for o in d["options"])
    officer = world.client.get(
        f"/areas/{world.area_id}/children/C01/list", headers=world.as_("officer")
    ).json()
    assert "cost_gbp" in officer["options"][0]


def test_bad_token_is_401(world: World) -> None:
    r = world.client.get("/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401
    forged = world.as_("officer")["Authorization"][:-4] + "AAAA"
    assert world.client.get("/me", headers={"Authorization": forged}).status_code == 401


def test_wrong_password_is_401(world: World) -> None:
    r = world.client.post("/auth/token", data={"username": "officer", "password": "nope"})
    assert r.status_code == 401
    r = world.client.post("/auth/token", data={"username": "nobody", "password": "nope"})
    assert r.status_code == 401
