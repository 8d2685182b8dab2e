"""Locust: families' and officers' list reads while officers confirm placements, people
reading the pages (families their child's options and choices, officers the worklist and a
child's page) with the session cookie the sign-in page sets, and people signing in.

Run by ``benchmarks/load/run_load.py`` (``make load``), which prepares a Kent-sized area, the
users and an allocation run, and passes them in the environment:

- ``LOAD_AREA_ID``, ``LOAD_FILE`` (JSON: child, setting, officer and sign-in ids and tokens),
  ``LOAD_PASSWORD``;
- ``LOAD_THINK``: each user's wait between requests, ``"MIN,MAX"`` seconds (default
  ``"1,3"``; ``"0"`` is no think time);
- ``LOAD_COUNTS``: JSON, how many users of each class (``ListReader``, ``Confirmer``,
  ``FamilyPages``, ``OfficerPages``, ``SignIn``); without it, the classes' weights;
- ``LOAD_CASELOAD``: children in each list reader's and officer page reader's caseload
  (default 50), drawn from the area with a seed of the user's class and number, so a warm-up
  run and the measured run after it read the same children;
- ``LOAD_RAW``: a file to write every request's name, start time, duration and outcome to
  when the run ends (run_load.py computes the groups' percentiles from it).

The clients are Locust's ``FastHttpUser`` (geventhttpclient): the load generator shares the
machine's cores with the service, and it costs several times less CPU per request than
``HttpUser``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from typing import Any

from locust import FastHttpUser, between, constant, events, task

AREA = int(os.environ.get("LOAD_AREA_ID", "1"))
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
with open(os.environ.get("LOAD_FILE", "load.json"), encoding="utf-8") as fh:
    DATA = json.load(fh)
CHILDREN: list[str] = DATA["children"]
SETTINGS: list[str] = DATA["settings"]
_officers = itertools.cycle(DATA["officers"])
_tokens = itertools.cycle(DATA.get("tokens") or [None])
_families = itertools.cycle(DATA.get("family_tokens") or [None])
_signin_names = itertools.cycle(DATA.get("signin_users") or [None])
COUNTS: dict[str, int] = json.loads(os.environ.get("LOAD_COUNTS") or "{}")
_think = [float(x) for x in os.environ.get("LOAD_THINK", "1,3").split(",")]
WAIT = constant(_think[0]) if len(_think) == 1 else between(_think[0], _think[1])

CASELOAD = int(os.environ.get("LOAD_CASELOAD", "50"))
_caseloads = {"ListReader": itertools.count(), "OfficerPages": itertools.count()}


def caseload(cls: str) -> list[str]:
    """The next caseload for a user of ``cls``: the same children in every run of this file."""
    n = next(_caseloads[cls])
    return random.Random(f"{cls}-{n}").sample(CHILDREN, min(CASELOAD, len(CHILDREN)))


RAW: list[tuple[str, float, float, bool]] = []  # name, start (epoch s), duration (ms), ok


@events.request.add_listener
def _record(name: str, start_time: float, response_time: float, exception: Any, **_: Any) -> None:
    RAW.append((name, start_time, response_time, exception is None))


@events.quitting.add_listener
def _dump(**_: Any) -> None:
    path = os.environ.get("LOAD_RAW")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(RAW, out)


def _count(cls: str, weight: int) -> dict[str, Any]:
    """The class's share: its fixed count from LOAD_COUNTS (abstract if 0), else its weight."""
    if not COUNTS:
        return {"weight": weight, "abstract": False}
    n = COUNTS.get(cls, 0)
    return {"fixed_count": n, "abstract": n == 0}


class Staff(FastHttpUser):
    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        # tokens are issued before the run (Argon2 sign-ins are deliberately slow: SignIn
        # users measure them); without them, sign in
        token = next(_tokens)
        if token is None:
            r = self.client.post(
                "/auth/token",
                data={"username": next(_officers), "password": PASSWORD},
                name="sign-in",
            )
            token = r.json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}


class ListReader(Staff):
    """Reads tailored lists (both wordings) for the children of a caseload (50) drawn at
    random from the whole area (an officer works through their own cases)."""

    _c = _count("ListReader", 45)
    weight = _c.get("weight", 1)
    fixed_count = _c.get("fixed_count", 0)
    abstract = _c["abstract"]

    def on_start(self) -> None:
        super().on_start()
        self.caseload = caseload("ListReader")

    @task
    def read_list(self) -> None:
        cid = random.choice(self.caseload)
        audience = random.choice(("officer", "family"))
        self.client.get(
            f"/areas/{AREA}/children/{cid}/list?audience={audience}",
            name="tailored list",
            headers=self.auth,
        )


class Confirmer(Staff):
    """Proposes, consults and confirms placements; 409 (no place, already placed) is a
    correct answer under contention, not an error."""

    _c = _count("Confirmer", 5)
    weight = _c.get("weight", 1)
    fixed_count = _c.get("fixed_count", 0)
    abstract = _c["abstract"]

    @task
    def confirm(self) -> None:
        """As an officer works: read the child's list, propose its recommended option (the
        guard rails refuse an unsuitable setting without named overrides, with a 422)."""
        cid = random.choice(CHILDREN)
        lst = self.client.get(
            f"/areas/{AREA}/children/{cid}/list?audience=officer",
            name="tailored list",
            headers=self.auth,
        )
        if lst.status_code != 200:
            return
        body_list = lst.json()
        if body_list.get("staying_setting_id"):  # not moving this round: nothing to place
            return
        chosen = body_list.get("recommended_setting_id") or next(
            (o["setting_id"] for o in body_list.get("options", [])), None
        )
        if chosen is None:  # no suitable setting: nothing to propose
            return
        with self.client.post(
            f"/areas/{AREA}/children/{cid}/placements",
            json={"setting_id": chosen},
            name="propose",
            headers=self.auth,
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()
                return
            if r.status_code != 201:
                r.failure(f"propose: {r.status_code}")
                return
            pid = r.json()["id"]
        self.client.post(f"/placements/{pid}/consultation", name="consult", headers=self.auth)
        key = uuid.uuid4().hex
        body = {"outcome": "confirmed", "reason": "load test: family's informed choice"}
        for _ in range(2):  # a retry replays the first answer (Idempotency-Key)
            with self.client.post(
                f"/placements/{pid}/decision",
                json=body,
                headers={**self.auth, "Idempotency-Key": key},
                name="decision",
                catch_response=True,
            ) as r:
                if r.status_code in (201, 409):
                    r.success()
                else:
                    r.failure(f"decision: {r.status_code}")


class PageReader(FastHttpUser):
    """People in the browser: the pages render from the same caches as the API. The session
    cookie holds the token the sign-in page would have set (SignIn users measure signing in)."""

    abstract = True
    wait_time = WAIT

    def sign_in_as(self, token: str | None) -> None:
        if token is None:
            raise RuntimeError("the load data holds no tokens for page readers")
        self.cookie = {"Cookie": f"placement_session={token}"}


class FamilyPages(PageReader):
    """A family reading its child's options, its choices and the decision page."""

    _c = _count("FamilyPages", 10)
    weight = _c.get("weight", 1)
    fixed_count = _c.get("fixed_count", 0)
    abstract = _c["abstract"]

    def on_start(self) -> None:
        self.sign_in_as(next(_families))

    @task(3)
    def options(self) -> None:
        self.client.get("/family", name="page: family options", headers=self.cookie)

    @task(1)
    def choices(self) -> None:
        self.client.get("/family/choices", name="page: family choices", headers=self.cookie)


class OfficerPages(PageReader):
    """An officer filtering the worklist and opening children's pages."""

    _c = _count("OfficerPages", 10)
    weight = _c.get("weight", 1)
    fixed_count = _c.get("fixed_count", 0)
    abstract = _c["abstract"]

    def on_start(self) -> None:
        self.sign_in_as(next(_tokens))
        self.caseload = caseload("OfficerPages")

    @task(1)
    def worklist(self) -> None:
        self.client.get(
            f"/officer/areas/{AREA}?run_outcome=unplaced",
            name="page: officer worklist",
            headers=self.cookie,
        )

    @task(3)
    def child(self) -> None:
        cid = random.choice(self.caseload)
        self.client.get(
            f"/officer/areas/{AREA}/children/{cid}",
            name="page: officer child",
            headers=self.cookie,
        )


class SignIn(FastHttpUser):
    """Someone signing in (OAuth2 password flow, Argon2) over and over: each has a username
    of its own, as people do (the service checks one password per username at a time). Only
    with a fixed count in LOAD_COUNTS (``run_load.py --sign-in-share``)."""

    _c = _count("SignIn", 0)
    fixed_count = _c.get("fixed_count", 0)
    abstract = fixed_count == 0
    wait_time = WAIT

    def on_start(self) -> None:
        name = next(_signin_names)
        if name is None:
            raise RuntimeError("the load data holds no sign-in users")
        self.username = name

    @task
    def sign_in(self) -> None:
        with self.client.post(
            "/auth/token",
            data={"username": self.username, "password": PASSWORD},
            name="sign-in",
            catch_response=True,
        ) as r:
            if r.status_code != 200 or "access_token" not in (r.json() or {}):
                r.failure(f"sign-in: {r.status_code}")
