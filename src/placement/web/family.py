"""Pages for families (see placement.web.pages): their own child only.

- ``/family``: the tailored list in family wording, why nearby schools are not on it, and that
  the list is advice; ``/family/settings/{id}``: why any setting is or is not on it.
- ``/family/choices``: the family's ranked requests with their status; add (a search of the
  area's settings), remove and move, held in a signed cookie as a draft until the family checks
  and saves them (``/family/choices/check``), then a confirmation.
- ``/family/decision``: the setting named, each refusal's lawful ground and evidence, and the
  family's rights (mediation, the SEND Tribunal, the deadlines) as a printable letter.
- ``/family/what-we-used``: the information the list rests on, who decides and how, and how to
  ask for a correction (the six kinds of explanation of the ICO and Alan Turing Institute
  guidance "Explaining decisions made with AI").

The pages are an adapter: they call the API's own route functions (access control, read
auditing and wording stay in one place) and only arrange their answers. A family's child is
always the one its sign-in names, never one taken from the address.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Annotated, Any

from annotated_types import MaxLen
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from placement.reasons import Reason, ReasonCode
from placement.service.access import require
from placement.service.areas import service as areas
from placement.service.areas.models import AreaRow
from placement.service.children import service as children
from placement.service.decisions import service as decisions
from placement.service.deps import CtxDep, SessionDep
from placement.service.downloads import REPORT_CSP
from placement.service.errors import InvalidError
from placement.service.paths import ID, DbId
from placement.service.placements import service as placements
from placement.service.requests import service as requests
from placement.service.requests.schemas import RequestsUpdate
from placement.service.security import Principal
from placement.web.pages import PageWho, page, redirect
from placement.wording import CHANCE_WORDS, NEED_WORDS, render

router = APIRouter(include_in_schema=False)

DRAFT_COOKIE = "placement_choices"
DRAFT_SECONDS = 24 * 3600
ID_RE = re.compile(ID)
SettingId = Annotated[str, Path(pattern=ID)]
FormId = Annotated[str, Form(max_length=64)]


def _max_choices() -> int:
    """How many settings a family may ask for: the API's own limit (RequestsUpdate)."""
    for m in RequestsUpdate.model_fields["setting_ids"].metadata:
        if isinstance(m, MaxLen):
            return int(m.max_length)
    raise AssertionError("RequestsUpdate.setting_ids has no maximum length")


MAX_CHOICES = _max_choices()

STATUS_TAGS = {  # request status -> (tag words, tag colour)
    "being_considered": ("Being considered", "blue"),
    "named": ("Named", "green"),
    "refused": ("Refused", "red"),
    "after_decision": ("For the next review", "yellow"),
    "draft": ("Not saved yet", "grey"),
}
PLACEMENT_WORDS = {  # an open placement, while no decision is made
    "proposed": "The council is thinking about naming {name} for your child.",
    "consulted": "The council has asked {name} whether it can meet your child's needs.",
}
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _date(d: dt.date | dt.datetime | None) -> str:
    if d is None:
        return ""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _family(who: Principal) -> tuple[int, str]:
    """The family's own area and child, from the sign-in (never from the address)."""
    require(who, "family")
    if who.area_id is None or who.child_id is None:
        raise InvalidError("this family account names no child: ask the council's SEND team")
    return who.area_id, who.child_id


NEAREST_LEFT_OFF = 10  # settings left off the list shown on the options page, nearest first


def _tailored(ctx: CtxDep, session: SessionDep, who: Principal) -> dict[str, Any]:
    area_id, child_id = _family(who)
    return children.tailored_list_doc(ctx, session, who, area_id, child_id)


def _requests(ctx: CtxDep, session: SessionDep, who: Principal) -> dict[str, Any]:
    area_id, child_id = _family(who)
    return requests.get_requests(ctx, session, who, area_id, child_id)


def _settings(session: SessionDep, who: Principal) -> dict[str, dict[str, str]]:
    area_id, _ = _family(who)
    return {s["setting_id"]: s for s in areas.setting_choices(session, area_id=area_id)}


def _area_name(session: SessionDep, who: Principal) -> str:
    area = session.get(AreaRow, who.area_id)
    return area.name if area is not None else ""


# -- the draft of the family's choices: a signed cookie, never server memory --------------------


def _sign(ctx: CtxDep, payload: bytes) -> str:
    return hmac.new(ctx.secret.encode(), b"family-choices\0" + payload, hashlib.sha256).hexdigest()


def _read_draft(request: Request, ctx: CtxDep, who: Principal) -> dict[str, list[str]] | None:
    """The draft (``ids``, and ``base``: the saved choices it started from) if the cookie is
    this family's and untouched, else None (a tampered or stale cookie is ignored)."""
    raw = request.cookies.get(DRAFT_COOKIE, "")
    data, _, sig = raw.partition(".")
    try:
        payload = base64.urlsafe_b64decode(data.encode() + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None
    if not sig or not hmac.compare_digest(sig, _sign(ctx, payload)):
        return None
    try:
        d = json.loads(payload)
    except ValueError:
        return None
    mine = [who.area_id, who.child_id]
    if not isinstance(d, dict) or d.get("u") != who.user_id or d.get("c") != mine:
        return None
    out: dict[str, list[str]] = {}
    for key in ("ids", "base"):
        v = d.get(key)
        if not isinstance(v, list) or not all(isinstance(x, str) and ID_RE.match(x) for x in v):
            return None
        out[key] = v
    return out


def _write_draft(
    resp: Response, request: Request, ctx: CtxDep, who: Principal, ids: list[str], base: list[str]
) -> None:
    payload = json.dumps(
        {"u": who.user_id, "c": [who.area_id, who.child_id], "ids": ids, "base": base},
        separators=(",", ":"),
    ).encode()
    value = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(ctx, payload)
    resp.set_cookie(
        DRAFT_COOKIE,
        value,
        max_age=DRAFT_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/family",
    )


def _clear_draft(resp: Response) -> None:
    resp.delete_cookie(DRAFT_COOKIE, path="/family")


def _saved_ids(view: dict[str, Any]) -> list[str]:
    return [r["setting_id"] for r in view["requests"]]


def _current(
    request: Request, ctx: CtxDep, session: SessionDep, who: Principal
) -> tuple[list[str], list[str], dict[str, Any], bool]:
    """(the draft or else the saved choices, the saved choices the draft started from, the
    saved view with statuses, whether the draft differs from what is saved)."""
    view = _requests(ctx, session, who)
    saved = _saved_ids(view)
    draft = _read_draft(request, ctx, who)
    if draft is None:
        return saved, saved, view, False
    return draft["ids"], draft["base"], view, draft["ids"] != saved


def _choice_rows(
    ids: list[str], view: dict[str, Any], settings: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    saved = {r["setting_id"]: r for r in view["requests"]}
    rows = []
    for rank, sid in enumerate(ids, start=1):
        s = settings.get(sid, {"name": "A school or college no longer in this area"})
        r = saved.get(sid)
        status = r["status"] if r is not None else "draft"
        rows.append(
            {
                "rank": rank,
                "setting_id": sid,
                "name": s["name"],
                "kind_words": s.get("kind_words", ""),
                "status": status,
                "tag": STATUS_TAGS[status],
                "words": r["words"] if r is not None else "You have not saved this choice yet.",
            }
        )
    return rows


# -- your child's options ---------------------------------------------------------------------


@router.get("/family", response_class=HTMLResponse)
def family_home(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    d = _tailored(ctx, session, who)
    settings = _settings(session, who)
    names = {k: v["name"] for k, v in settings.items()}
    staying = None
    if d["staying_setting_id"] is not None:
        sid = d["staying_setting_id"]
        staying = {
            "name": names.get(sid, ""),
            "text": render(
                Reason(ReasonCode.STAYING, d["child_id"], sid, {"current_setting_id": sid}),
                "family",
                names,
            ),
        }
    recommended = None
    if d["recommended_setting_id"] is not None and staying is None:
        recommended = {
            "setting_id": d["recommended_setting_id"],
            "name": names.get(d["recommended_setting_id"], ""),
            "because": d["recommended_because"],
        }
    # the list weighs the requests as they were when it was made (a save does not rebuild
    # it); the tags show the requests as saved now, and say when the two differ
    now = {r["setting_id"]: r["rank"] for r in d["requests"]}
    then = {o["setting_id"]: o["preference_rank"] for o in d["options"] if o["preference_rank"]}
    stale = any(now.get(sid) != rank for sid, rank in then.items()) or any(
        sid not in then for sid in now if sid in {o["setting_id"] for o in d["options"]}
    )
    options = [
        o
        | {
            "chance_words": CHANCE_WORDS.get(o["chance"], CHANCE_WORDS["unknown"]),
            "choice": now.get(o["setting_id"]),
        }
        for o in d["options"]
    ]
    area_id, child_id = _family(who)
    named = next(
        (p for p in placements.list_for_child(session, who, area_id, child_id)
         if p.status == "confirmed"),
        None,
    )  # fmt: skip
    return page(
        request,
        "family/options.html",
        title="Your child's options",
        who=who,
        named=settings.get(named.setting_id, {}).get("name", "") if named else None,
        named_on=_date(named.decided_at) if named else "",
        near=NEAREST_LEFT_OFF,
        d=d,
        options=options,
        stale=stale,
        staying=staying,
        recommended=recommended,
        requests=d["requests"],
        status_tags=STATUS_TAGS,
    )


@router.get("/family/settings/{setting_id}", response_class=HTMLResponse)
def family_setting(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, setting_id: SettingId
) -> Response:
    area_id, child_id = _family(who)
    settings = _settings(session, who)
    if setting_id not in settings:  # a plain "page not found", echoing nothing typed
        raise StarletteHTTPException(404)
    e = children.explain(ctx, session, who, area_id, child_id, setting_id)
    ids, _, view, _ = _current(request, ctx, session, who)
    option = e["option"]
    if option is not None:
        option = option | {
            "chance_words": CHANCE_WORDS.get(option["chance"], CHANCE_WORDS["unknown"])
        }
    return page(
        request,
        "family/setting.html",
        title=e["name"],
        who=who,
        e=e,
        option=option,
        kind_words=settings.get(setting_id, {}).get("kind_words", ""),
        in_choices=ids.index(setting_id) + 1 if setting_id in ids else None,
        full=len(ids) >= MAX_CHOICES,
        requests=[
            r | {"tag": STATUS_TAGS[r["status"]]}
            for r in view["requests"]
            if r["setting_id"] == setting_id
        ],
    )


# -- your choices -----------------------------------------------------------------------------


@router.get("/family/choices", response_class=HTMLResponse)
def choices(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    return _choices_page(request, ctx, session, who)


def _choices_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: Principal,
    errors: dict[str, str] | None = None,
) -> Response:
    ids, _, view, changed = _current(request, ctx, session, who)
    rows = _choice_rows(ids, view, _settings(session, who))
    decided = any(r["status"] in ("named", "refused", "after_decision") for r in view["requests"])
    return page(
        request,
        "family/choices.html",
        title="Your choices",
        who=who,
        rows=rows,
        changed=changed,
        decided=decided,
        max_choices=MAX_CHOICES,
        errors=errors,
        status_code=400 if errors else 200,
    )


@router.get("/family/choices/add", response_class=HTMLResponse)
def add_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _add_page(request, ctx, session, who, q=q, kind=kind)


def _add_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: Principal,
    *,
    q: str,
    kind: str,
    errors: dict[str, str] | None = None,
) -> Response:
    ids, _, _, _ = _current(request, ctx, session, who)
    settings = list(areas.setting_choices(session, area_id=_family(who)[0]))
    listed = {o["setting_id"] for o in _tailored(ctx, session, who)["options"]}
    kinds = sorted({(s["kind"], s["kind_words"]) for s in settings}, key=lambda k: k[1])
    if kind not in {k for k, _ in kinds}:
        kind = ""
    words = q.lower().split()
    found = [
        s
        for s in settings
        if (not kind or s["kind"] == kind)
        and all(w in f"{s['name']} {s['kind_words']}".lower() for w in words)
    ]
    return page(
        request,
        "family/add.html",
        title="Add a school or college",
        who=who,
        q=q,
        kind=kind,
        kinds=[("", "Any type")] + [(k, w[0].upper() + w[1:]) for k, w in kinds],
        found=[
            s
            | {
                "on_list": s["setting_id"] in listed,
                "chosen": ids.index(s["setting_id"]) + 1 if s["setting_id"] in ids else None,
            }
            for s in found
        ],
        searched=bool(q or kind),
        full=len(ids) >= MAX_CHOICES,
        max_choices=MAX_CHOICES,
        errors=errors,
        status_code=400 if errors else 200,
    )


@router.post("/family/choices/add", response_class=HTMLResponse)
def add(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    setting_id: FormId = "",
    q: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    ids, base, _, _ = _current(request, ctx, session, who)
    settings = _settings(session, who)
    error = None
    if setting_id not in settings:
        error = "Choose a school or college from the search results"
    elif setting_id in ids:
        error = f"{settings[setting_id]['name']} is already in your choices"
    elif len(ids) >= MAX_CHOICES:
        error = f"You can ask for up to {MAX_CHOICES} schools or colleges: remove one first"
    if error is not None:
        return _add_page(request, ctx, session, who, q=q, kind=kind, errors={"q": error})
    ids = [*ids, setting_id]
    resp = redirect(
        "/family/choices",
        done=f"{settings[setting_id]['name']} is now choice {len(ids)}",
        request=request,
    )
    _write_draft(resp, request, ctx, who, ids, base)
    return resp


@router.post("/family/choices/move", response_class=HTMLResponse)
def move(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    setting_id: FormId = "",
    direction: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    ids, base, _, _ = _current(request, ctx, session, who)
    if setting_id not in ids or direction not in ("up", "down"):
        return _choices_page(
            request, ctx, session, who, errors={"choices": "Choose a choice to move"}
        )
    i = ids.index(setting_id)
    j = i - 1 if direction == "up" else i + 1
    name = _settings(session, who).get(setting_id, {}).get("name", "That choice")
    if not 0 <= j < len(ids):
        where = "first" if direction == "up" else "last"
        return _choices_page(
            request, ctx, session, who, errors={"choices": f"{name} is already {where}"}
        )
    ids = list(ids)
    ids[i], ids[j] = ids[j], ids[i]
    resp = redirect("/family/choices", done=f"{name} is now choice {j + 1}", request=request)
    _write_draft(resp, request, ctx, who, ids, base)
    return resp


@router.post("/family/choices/remove", response_class=HTMLResponse)
def remove(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, setting_id: FormId = ""
) -> Response:
    ids, base, _, _ = _current(request, ctx, session, who)
    if setting_id not in ids:
        return _choices_page(
            request, ctx, session, who, errors={"choices": "Choose a choice to remove"}
        )
    name = _settings(session, who).get(setting_id, {}).get("name", "That choice")
    resp = redirect("/family/choices", done=f"{name} is no longer in your choices", request=request)
    _write_draft(resp, request, ctx, who, [x for x in ids if x != setting_id], base)
    return resp


@router.get("/family/choices/check", response_class=HTMLResponse)
def check(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    return _check_page(request, ctx, session, who)


def _check_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: Principal,
    errors: dict[str, str] | None = None,
) -> Response:
    ids, base, view, changed = _current(request, ctx, session, who)
    return page(
        request,
        "family/check.html",
        title="Check your choices before you save them",
        who=who,
        rows=_choice_rows(ids, view, _settings(session, who)),
        changed=changed,
        moved_under_you=base != _saved_ids(view),
        errors=errors,
        status_code=400 if errors else 200,
    )


@router.post("/family/choices/check", response_class=HTMLResponse)
def save(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    area_id, child_id = _family(who)
    ids, _, _, _ = _current(request, ctx, session, who)
    settings = _settings(session, who)
    if len(ids) > MAX_CHOICES:
        error = f"You can ask for up to {MAX_CHOICES} schools or colleges: remove some first"
    elif len(set(ids)) != len(ids):
        error = "A school or college appears twice in your choices: remove one"
    elif any(s not in settings for s in ids):
        error = "A school or college in your choices is no longer in this area: remove it"
    else:
        error = None
    if error is None:
        ctx.guards.limits.write(who.user_id)  # the API's per-user write limit
        try:
            body = RequestsUpdate(setting_ids=ids)
            requests.save_requests(session, who, area_id, child_id, list(body.setting_ids))
        except (InvalidError, ValidationError):
            error = "Your choices could not be saved: check them and try again"
    if error is not None:
        return _check_page(request, ctx, session, who, errors={"choices": error})
    resp = redirect("/family/choices/saved")
    _clear_draft(resp)
    return resp


@router.get("/family/choices/saved", response_class=HTMLResponse)
def saved(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    view = _requests(ctx, session, who)
    pending = [r for r in view["requests"] if r["status"] in ("being_considered", "after_decision")]
    words = view.get("next_steps") or (
        requests.REQUEST_WORDS["being_considered"]
        if pending
        else "You have not asked for any school or college that is still to be decided. You "
        "can ask for any school or college at any time."
    )
    return page(
        request,
        "family/saved.html",
        title="Your choices are saved",
        who=who,
        rows=_choice_rows(_saved_ids(view), view, _settings(session, who)),
        words=words,
    )


# -- the decision -----------------------------------------------------------------------------


def _setting_name(settings: dict[str, dict[str, str]], setting_id: str) -> str:
    return settings.get(setting_id, {}).get("name") or setting_id


KIND_WORDS = {
    "named": "We named a school or college for your child",
    "refused": "We said no to a request",
    "withdrawn": "We withdrew a place we had named",
    "panel": "The placement panel decided",
}


@router.get("/family/decision", response_class=HTMLResponse)
def decision(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    """The decisions about your child, each with its letter exactly as it was sent; what you
    have asked for since; and any school or college the council is still asking."""
    area_id, child_id = _family(who)
    made = decisions.list_decisions(session, who, area_id, child_id)
    rows = placements.list_for_child(session, who, area_id, child_id)
    settings = _settings(session, who)
    view = _requests(ctx, session, who)
    named = next((p for p in rows if p.status == "confirmed"), None)
    shown = [
        {
            "id": d.id,
            "words": KIND_WORDS.get(d.kind, "A decision"),
            "date": _date(d.decided_at),
            "setting": (d.record.get("setting") or {}).get("name", ""),
            "reference": d.reference,
        }
        for d in reversed(made)
    ]
    waiting = [r | {"tag": STATUS_TAGS[r["status"]]} for r in view["requests"]
               if r["status"] in ("being_considered", "after_decision")]  # fmt: skip
    open_ = [
        {
            "text": PLACEMENT_WORDS[p.status].format(
                name=settings.get(p.setting_id, {}).get("name", "a school or college")
            ),
            "due": _date(p.consultation_due) if p.status == "consulted" else "",
        }
        for p in rows
        if p.status in PLACEMENT_WORDS
    ]
    return page(
        request,
        "family/decision.html",
        title="Decisions about your child's school place",
        who=who,
        named=(settings.get(named.setting_id, {}).get("name") or named.setting_id)
        if named
        else None,
        decisions=shown,
        waiting=waiting,
        open=open_,
        area_name=_area_name(session, who),
    )


@router.get("/family/decisions/{decision_id}/letter", response_class=HTMLResponse)
def decision_letter(session: SessionDep, who: PageWho, decision_id: DbId) -> Response:
    """A decision letter exactly as it was sent (a page of its own, to read or print)."""
    _family(who)
    return HTMLResponse(
        decisions.letter(session, who, decision_id),
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "private, no-store"},
    )


# -- what we used -----------------------------------------------------------------------------


def _year_words(year: int | None) -> str:
    if year is None:
        return "Not known"
    if year < 0:
        return "Before Reception (early years)"
    return "Reception" if year == 0 else f"Year {year}"


@router.get("/family/what-we-used", response_class=HTMLResponse)
def what_we_used(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    area_id, child_id = _family(who)
    child = children.get_child(ctx, session, who, area_id, child_id).child
    d = _tailored(ctx, session, who)
    settings = _settings(session, who)
    names = {k: v["name"] for k, v in settings.items()}
    needs = [NEED_WORDS.get(child["primary_need"], "other needs")]
    other = [  # "Other needs: other needs" reads as nothing
        "a need of another kind" if n == "OTH" else NEED_WORDS.get(n, "a need of another kind")
        for n in child.get("secondary_needs", [])
    ]
    from_plan = d["journey_limit_source"] == "plan"
    return page(
        request,
        "family/what_we_used.html",
        title="What we used to make your child's list",
        who=who,
        main_need=needs[0],
        other_needs=other,
        band=child["need_band"],
        year=_year_words(child.get("nc_year")),
        area_name=_area_name(session, who),
        limit=d["journey_limit_min"],
        limit_from_plan=from_plan,
        transport=bool(child.get("transport_eligible")),
        current=names.get(child.get("current_setting_id") or ""),
        siblings=[names[s] for s in child.get("sibling_setting_ids", []) if s in names],
        run_id=d.get("run_id"),
    )
