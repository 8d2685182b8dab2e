"""Locust: families' and officers' list reads while officers confirm placements, and people
reading the pages (families their child's options and choices, officers the worklist and a
child's page) with the session cookie the sign-in page sets.

Run by ``benchmarks/load/run_load.py`` (``make load``), which prepares a Kent-sized area, the
users and an allocation run, and passes them in the environment:
``LOAD_AREA_ID``, ``LOAD_FILE`` (JSON: child, setting and officer ids), ``LOAD_PASSWORD``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, between, task

AREA = int(os.environ.get("LOAD_AREA_ID", "1"))
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
with open(os.environ.get("LOAD_FILE", "load.json"), encoding="utf-8") as fh:
    DATA = json.load(fh)
CHILDREN: list[str] = DATA["children"]
SETTINGS: list[str] = DATA["settings"]
_officers = itertools.cycle(DATA["officers"])
_tokens = itertools.cycle(DATA.get("tokens") or [None])
_families = itertools.cycle(DATA.get("family_tokens") or [None])


class Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # reading a list takes a person longer than this

    def on_start(self) -> None:
        # tokens are issued before the run (Argon2 sign-ins are deliberately slow and are not
        # what this measures); without them, sign in
        token = next(_tokens)
        if token is None:
            r = self.client.post(
                "/auth/token",
                data={"username": next(_officers), "password": PASSWORD},
                name="token",
            )
            token = r.json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"


class ListReader(Staff):
    """Reads tailored lists (both wordings) for the children of a caseload of 50 drawn at
    random from the whole area (an officer works through their own cases)."""

    weight = 45

    def on_start(self) -> None:
        super().on_start()
        self.caseload = random.sample(CHILDREN, min(50, len(CHILDREN)))

    @task
    def read_list(self) -> None:
        cid = random.choice(self.caseload)
        audience = random.choice(("officer", "family"))
        self.client.get(
            f"/areas/{AREA}/children/{cid}/list?audience={audience}", name="tailored list"
        )


class Confirmer(Staff):
    """Proposes, consults and confirms placements; 409 (no place, already placed) is a
    correct answer under contention, not an error."""

    weight = 5

    @task
    def confirm(self) -> None:
        """As an officer works: read the child's list, propose its recommended option (the
        guard rails refuse an unsuitable setting without named overrides, with a 422)."""
        cid = random.choice(CHILDREN)
        lst = self.client.get(
            f"/areas/{AREA}/children/{cid}/list?audience=officer", name="tailored list"
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
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()
                return
            if r.status_code != 201:
                r.failure(f"propose: {r.status_code}")
                return
            pid = r.json()["id"]
        self.client.post(f"/placements/{pid}/consultation", name="consult")
        key = uuid.uuid4().hex
        body = {"outcome": "confirmed", "reason": "load test: family's informed choice"}
        for _ in range(2):  # a retry replays the first answer (Idempotency-Key)
            with self.client.post(
                f"/placements/{pid}/decision",
                json=body,
                headers={"Idempotency-Key": key},
                name="decision",
                catch_response=True,
            ) as r:
                if r.status_code in (201, 409):
                    r.success()
                else:
                    r.failure(f"decision: {r.status_code}")


class PageReader(HttpUser):
    """People in the browser: the pages render from the same caches as the API. The session
    cookie holds the token the sign-in page would have set (signing in is not measured)."""

    abstract = True
    wait_time = between(1, 3)

    def sign_in_as(self, token: str | None) -> None:
        if token is None:
            raise RuntimeError("the load data holds no tokens for page readers")
        self.client.cookies.set("placement_session", token)


class FamilyPages(PageReader):
    """A family reading its child's options, its choices and the decision page."""

    weight = 10

    def on_start(self) -> None:
        self.sign_in_as(next(_families))

    @task(3)
    def options(self) -> None:
        self.client.get("/family", name="page: family options")

    @task(1)
    def choices(self) -> None:
        self.client.get("/family/choices", name="page: family choices")


class OfficerPages(PageReader):
    """An officer filtering the worklist and opening children's pages."""

    weight = 10

    def on_start(self) -> None:
        self.sign_in_as(next(_tokens))
        self.caseload = random.sample(CHILDREN, min(50, len(CHILDREN)))

    @task(1)
    def worklist(self) -> None:
        self.client.get(
            f"/officer/areas/{AREA}?run_outcome=unplaced", name="page: officer worklist"
        )

    @task(3)
    def child(self) -> None:
        cid = random.choice(self.caseload)
        self.client.get(f"/officer/areas/{AREA}/children/{cid}", name="page: officer child")
