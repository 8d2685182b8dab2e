"""Officer pages for a placement: propose a setting, consult it, record its reply, and
confirm (with the guard rails and their overrides) or decline."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from placement.service.areas.models import AreaRow
from placement.service.children import service as children
from placement.service.decisions import service as decisions
from placement.service.deps import CtxDep, SessionDep
from placement.service.errors import ConflictError, NotFoundError, ServiceError
from placement.service.paths import AreaId, ChildId, PlacementId
from placement.service.placements import service as placements
from placement.service.placements.schemas import (
    DecisionCreate,
    PlacementCreate,
    PlacementPublic,
    SettingResponseCreate,
    WithdrawalCreate,
)
from placement.service.security import Principal
from placement.web.officer_common import (
    IDEM_RE,
    OfficerChild,
    changed,
    child_base,
    field_errors,
    names_of,
    officer,
    settings_of,
    show,
)
from placement.web.officer_words import (
    RULE_WORDS,
    date_words,
)
from placement.web.pages import (
    PageWho,
    cap,
    redirect,
)

router = APIRouter(include_in_schema=False)

# -- propose --------------------------------------------------------------------------------------


def _propose_form(
    request: Request,
    ctx: CtxDep,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    *,
    chosen: str,
    note: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    lst = children.tailored_list_doc(ctx, session, who, area_id, child_id, "officer")
    settings = settings_of(session, area_id)
    listed = [o["setting_id"] for o in lst["options"]]
    others = [s for s in settings if s.setting_id not in listed]
    return show(
        request, who, "propose.html", title=f"Propose a setting for {child_id}",
        status_code=400 if errors else 200, errors=errors, lst=lst, others=others,
        chosen=chosen or lst.get("recommended_setting_id") or "", note=note,
        base=child_base(area_id, child_id), child_id=child_id,
    )  # fmt: skip


@router.get("/officer/areas/{area_id}/children/{child_id}/propose", response_class=HTMLResponse)
def propose_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    c: OfficerChild,
) -> Response:
    chosen = request.query_params.get("setting", "")[:64]
    return _propose_form(request, ctx, session, who, c.area_id, c.child_id, chosen=chosen, note="")


@router.post("/officer/areas/{area_id}/children/{child_id}/propose", response_class=HTMLResponse)
def propose(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    c: OfficerChild,
    setting: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    setting = setting.strip()
    errors: dict[str, str] = {}
    body = None
    if not setting:
        errors["setting"] = "Choose the setting to propose"
    else:
        try:
            body = PlacementCreate(setting_id=setting, note=note)
        except ValidationError as e:
            errors = field_errors(e, {"setting_id": "The setting", "note": "The note"})
            errors = {("setting" if k == "setting_id" else k): v for k, v in errors.items()}
    if body is not None and not errors:
        try:
            row = placements.propose(ctx, session, who, c.area_id, c.child_id, body)
        except ServiceError as e:
            session.rollback()
            if e.status in (403, 404):
                raise
            errors["setting"] = (
                "Choose a setting of this area from the list"
                if "not in this area" in e.detail
                else cap(e.detail)
            )
        else:
            return redirect(
                f"{child_base(c.area_id, c.child_id)}/placements/{row.id}",
                done=f"Proposed {names_of(session, c.area_id).get(setting, setting)}: "
                "start the consultation next",
                request=request,
            )
    return _propose_form(
        request, ctx, session, who, c.area_id, c.child_id, chosen=setting, note=note, errors=errors
    )


# -- a placement ---------------------------------------------------------------------------------


def placement_of(
    session: Session, who: Principal, area_id: int, child_id: str, placement_id: int
) -> PlacementPublic:
    """The placement, if it is this child's (else 404, as for another LA's)."""
    p = placements.get_placement(session, who, placement_id)
    if p.area_id != area_id or p.child_id != child_id:
        raise NotFoundError(f"placement {placement_id} not found")
    return p


def placement_url(p: PlacementPublic) -> str:
    return f"{child_base(p.area_id, p.child_id)}/placements/{p.id}"


PLACEMENT = "/officer/areas/{area_id}/children/{child_id}/placements/{placement_id}"


def officer_placement(
    session: SessionDep, who: PageWho, area_id: AreaId, child_id: ChildId, placement_id: PlacementId
) -> PlacementPublic:
    """The placement of the page's address, for an officer (another child's or another LA's
    placement is "not found")."""
    officer(who)
    return placement_of(session, who, area_id, child_id, placement_id)


OfficerPlacement = Annotated[PlacementPublic, Depends(officer_placement)]


@router.get(PLACEMENT, response_class=HTMLResponse)
def placement_page(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    return show(
        request, who, "placement.html", title=f"Placement {p.id} for {p.child_id}", p=p,
        names=names_of(session, p.area_id), base=child_base(p.area_id, p.child_id),
        url=placement_url(p),
    )  # fmt: skip


@router.post(PLACEMENT + "/consultation", response_class=HTMLResponse)
def consult(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    try:
        done = placements.consult(session, who, p.id)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    return redirect(
        placement_url(p),
        done="Consultation started: the setting's reply is due by "
        + date_words(done.consultation_due),
        request=request,
    )


def _reply_form(
    request: Request,
    who: Principal,
    session: Session,
    p: PlacementPublic,
    *,
    response: str,
    ground: str = "",
    note: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return show(
        request, who, "reply.html", title="Record the setting's reply",
        status_code=400 if errors else 200, errors=errors, p=p, response=response,
        ground=ground, note=note, names=names_of(session, p.area_id), url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/reply", response_class=HTMLResponse)
def reply_form(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    return _reply_form(
        request, who, session, p, response=p.setting_response or "",
        ground=p.setting_ground or "", note=p.setting_response_note or "",
    )  # fmt: skip


@router.post(PLACEMENT + "/reply", response_class=HTMLResponse)
def reply(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
    response: Annotated[str, Form()] = "",
    ground: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if response not in ("agrees", "objects"):
        errors["response"] = "Choose whether the setting agrees or objects"
    elif response == "objects":
        if ground not in ("needs", "others"):
            errors["ground"] = "Choose the ground the setting gives for objecting"
        if not note.strip():
            errors["note"] = "Enter the setting's evidence for its objection"
    body = None
    if not errors:
        try:
            body = SettingResponseCreate.model_validate(
                {"response": response, "ground": ground or None, "note": note}
            )
        except ValidationError as e:
            errors = field_errors(e, {"response": "The setting's reply", "note": "The evidence"})
    if body is None:
        return _reply_form(
            request, who, session, p, response=response, ground=ground, note=note, errors=errors
        )
    try:
        placements.record_reply(session, who, p.id, body)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    return redirect(placement_url(p), done="The setting's reply is recorded", request=request)


# -- decisions ------------------------------------------------------------------------------------


def _confirm_form(
    request: Request,
    ctx: CtxDep,
    session: Session,
    who: Principal,
    p: PlacementPublic,
    *,
    reason: str,
    key: str,
    overrides: list[str],
    failed: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    lst = children.tailored_list_doc(ctx, session, who, p.area_id, p.child_id, "officer")
    listed = [o["setting_id"] for o in lst["options"]]
    names = names_of(session, p.area_id)
    preview = decisions.preview(ctx, session, who, p.area_id, p.child_id, p.setting_id)
    return show(
        request, who, "confirm.html", title=f"Confirm {names.get(p.setting_id, p.setting_id)}",
        status_code=422 if errors else 200, errors=errors, p=p, lst=lst, names=names,
        preview=preview, blocked=[x for x in preview if x.outcome == "no_ground"],
        rank=listed.index(p.setting_id) + 1 if p.setting_id in listed else None,
        reason=reason, key=key, overrides=overrides, failed=failed, url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/confirm", response_class=HTMLResponse)
def confirm_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    return _confirm_form(
        request, ctx, session, who, p, reason="", key=secrets.token_hex(16), overrides=[],
        failed=_failures(ctx, session, p),
    )  # fmt: skip


def _failures(ctx: CtxDep, session: Session, p: PlacementPublic) -> list[tuple[str, str]]:
    """The engine's eligibility rules the placement's setting fails for the child, with their
    officer wording (the rules the API asks to be overridden by name)."""
    area = session.get(AreaRow, p.area_id)
    assert area is not None
    codes, texts = placements.eligibility_failures(
        ctx.cache.get(session, area).problem, p.child_id, p.setting_id
    )
    return [(c, f"{RULE_WORDS.get(c, c)}: {texts[c].split('] ', 1)[-1]}") for c in codes]


@router.post(PLACEMENT + "/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
    reason: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    overriding: Annotated[str, Form()] = "",
    overrides: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Confirm, through the API's decision: the guard rails refuse a setting that fails a rule
    unless each failed rule is named (ticked) with a reason, and anything but the recommended
    option without a reason; the refusal is shown with the override form."""
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    ticked = list(overrides or [])
    if not IDEM_RE.fullmatch(key):
        key = secrets.token_hex(16)  # a form without one still decides once
    errors: dict[str, str] = {}
    failed = _failures(ctx, session, p)
    try:
        body = DecisionCreate.model_validate(
            {"outcome": "confirmed", "reason": reason, "overrides": ticked}
        )
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The reason", "overrides": "The rules overridden"})
        return _confirm_form(
            request, ctx, session, who, p, reason=reason, key=key, overrides=ticked,
            failed=failed, errors=errors,
        )  # fmt: skip
    try:
        placements.decide(ctx, session, who, placement_id, body, idempotency_key=key)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        setting = names_of(session, area_id).get(p.setting_id, p.setting_id)
        if e.slug in ("override-required", "override"):
            failed = _failures(ctx, session, p)
            n = len(failed)
            errors["overrides"] = (
                f"{setting} fails {n} of the rules for this child: to confirm it anyway, tick "
                f"{'the rule' if n == 1 else 'each rule'} you are overriding"
                if e.slug == "override-required"
                else "Tick only the rules this setting fails for this child"
            )
            if not body.reason:
                errors["reason"] = "Give your reason for overriding the rules"
        elif e.slug == "reason-required":
            errors["reason"] = (
                "Give your reason for overriding the rules"
                if failed or body.overrides
                else f"Give your reason: {setting} is not the recommended option"
            )
        else:
            errors["reason"] = cap(e.detail)
        return _confirm_form(
            request, ctx, session, who, p, reason=reason, key=key, overrides=ticked,
            failed=failed, errors=errors,
        )  # fmt: skip
    return redirect(placement_url(p) + "/confirmed")


@router.get(PLACEMENT + "/confirmed", response_class=HTMLResponse)
def confirmed_page(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    if p.status != "confirmed":
        return redirect(placement_url(p))
    return show(
        request, who, "confirmed.html", title="Placement confirmed", p=p,
        names=names_of(session, p.area_id), url=placement_url(p),
        base=child_base(p.area_id, p.child_id),
    )  # fmt: skip


def _decline_form(
    request: Request,
    who: Principal,
    session: Session,
    p: PlacementPublic,
    *,
    reason: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return show(
        request, who, "decline.html", title="Decline the placement",
        status_code=422 if errors else 200, errors=errors, p=p, reason=reason,
        names=names_of(session, p.area_id), url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/decline", response_class=HTMLResponse)
def decline_form(
    request: Request,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
) -> Response:
    return _decline_form(request, who, session, p, reason="")


@router.post(PLACEMENT + "/decline", response_class=HTMLResponse)
def decline(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = DecisionCreate.model_validate({"outcome": "declined", "reason": reason})
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The reason"})
        return _decline_form(request, who, session, p, reason=reason, errors=errors)
    try:
        placements.decide(ctx, session, who, p.id, body)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        msg = "Enter the reason for declining" if e.slug == "reason-required" else cap(e.detail)
        return _decline_form(request, who, session, p, reason=reason, errors={"reason": msg})
    return redirect(
        child_base(p.area_id, p.child_id), done="The placement is declined", request=request
    )


def _withdraw_form(
    request: Request,
    who: Principal,
    session: Session,
    p: PlacementPublic,
    *,
    reason: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return show(
        request, who, "withdraw.html", title="Withdraw the placement",
        status_code=422 if errors else 200, errors=errors, p=p, reason=reason,
        names=names_of(session, p.area_id), url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/withdraw", response_class=HTMLResponse)
def withdraw_form(
    request: Request, session: SessionDep, who: PageWho, p: OfficerPlacement
) -> Response:
    """Withdraw a proposal or consultation made by mistake, or a named place (with a letter)."""
    if p.status not in ("proposed", "consulted", "confirmed"):
        return redirect(placement_url(p))
    return _withdraw_form(request, who, session, p, reason="")


@router.post(PLACEMENT + "/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    p: OfficerPlacement,
    reason: Annotated[str, Form()] = "",
) -> Response:
    if not reason.strip():
        return _withdraw_form(
            request, who, session, p, reason=reason,
            errors={"reason": "Enter why the placement is withdrawn"},
        )  # fmt: skip
    try:
        body = WithdrawalCreate(reason=reason)
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The reason"})
        return _withdraw_form(request, who, session, p, reason=reason, errors=errors)
    try:
        placements.withdraw(ctx, session, who, p.id, body)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    return redirect(
        child_base(p.area_id, p.child_id) + "#placements",
        done="The placement is withdrawn"
        + (": the family's letter is in the decisions below" if p.status == "confirmed" else ""),
        request=request,
    )
