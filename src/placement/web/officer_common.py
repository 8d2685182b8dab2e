"""What every officer page shares: the frame (``show``), a stale edit's page, paging, the
area's settings for the pickers (kept per area), and a form's field errors."""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel import Session, col, select

from placement.service.access import child_for, require
from placement.service.areas import service as areas
from placement.service.areas.models import AreaRow, SettingRow
from placement.service.areas.schemas import AreaPublic
from placement.service.deps import SessionDep
from placement.service.errors import NotFoundError, ServiceError
from placement.service.paths import AreaId, ChildId
from placement.service.schemas import PageParams
from placement.service.security import Principal
from placement.web.officer_words import (
    H,
)
from placement.web.pages import (
    PageWho,
    staff_page,
)

PAGE_SIZE = 25  # worklist and run placements, a page
RUN_PAGE_SIZE = 20  # the runs table, a page
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
ID_PART_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
IDEM_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


# -- the frame ------------------------------------------------------------------------------------


def show(request: Request, who: Principal, template: str, **kw: Any) -> HTMLResponse:
    """An officer page (:func:`~placement.web.pages.staff_page`), the words helpers as ``h``."""
    return staff_page(request, who, template, h=H, **kw)


def changed(
    request: Request, who: Principal, session: Session, e: ServiceError, back: str, what: str
) -> HTMLResponse:
    """A stale edit (409): what changed, and a link back to the up-to-date page."""
    session.rollback()
    return show(
        request, who, "changed.html", title="This has changed", status_code=409,
        detail=e.detail, back=back, what=what,
    )  # fmt: skip


def officer(who: Principal) -> None:
    require(who, "officer")


def pagination(
    current: int, total: int, size: int, href: Callable[[int], str]
) -> dict[str, Any] | None:
    """GOV.UK pagination for ``total`` items: the first, last and the pages around this one."""
    pages = max(1, math.ceil(total / size))
    if pages <= 1:
        return None
    wanted = sorted({1, pages, current - 1, current, current + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    last = 0
    for n in wanted:
        if n - last > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": href(n), "current": n == current})
        last = n
    return {
        "items": items,
        "prev": href(current - 1) if current > 1 else None,
        "next": href(current + 1) if current < pages else None,
    }


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise NotFoundError(f"page {raw[:20]!r} not found")
    return int(raw)


def la_areas(session: Session, who: Principal) -> list[AreaPublic]:
    return areas.list_areas(session, who, PageParams(1, 100)).items


@dataclass(frozen=True, slots=True)
class SettingChoice:
    """A setting as the pages name and pick it."""

    setting_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class AreaSettings:
    """An area's settings by name, their names by id, and the picker's options pre-rendered
    (an area's settings never change once stored: a new area is a new id)."""

    settings: list[SettingChoice]
    names: dict[str, str]
    options: Markup


# per process, and safe with several (serve --workers N): what it keeps never changes, and
# the key (the area's id and creation time, read per request) tells a new area from an old one
_AREA_SETTINGS: OrderedDict[tuple[int, dt.datetime], AreaSettings] = OrderedDict()
_AREA_SETTINGS_MAX = 16
_area_settings_lock = threading.Lock()


def area_settings(session: Session, area_id: int) -> AreaSettings:
    """The area's settings for the pages, read once per area and kept (bounded)."""
    made = session.exec(select(AreaRow.created_at).where(AreaRow.id == area_id)).first()
    key = (area_id, made or dt.datetime.min)
    with _area_settings_lock:
        hit = _AREA_SETTINGS.get(key)
        if hit is not None:
            _AREA_SETTINGS.move_to_end(key)
            return hit
    rows = [
        SettingChoice(sid, name, kind)
        for sid, name, kind in session.exec(
            select(SettingRow.setting_id, SettingRow.name, SettingRow.kind)
            .where(SettingRow.area_id == area_id)
            .order_by(col(SettingRow.name), col(SettingRow.setting_id))
        ).all()
    ]
    options = Markup("").join(
        Markup('<option value="{}">{} ({}, {})</option>').format(
            s.setting_id, s.name, H.kind(s.kind).lower(), s.setting_id
        )
        for s in rows
    )
    got = AreaSettings(rows, {s.setting_id: s.name for s in rows}, options)
    with _area_settings_lock:
        _AREA_SETTINGS[key] = got
        while len(_AREA_SETTINGS) > _AREA_SETTINGS_MAX:
            _AREA_SETTINGS.popitem(last=False)
    return got


def settings_of(session: Session, area_id: int) -> list[SettingChoice]:
    """The area's settings by name (for the pickers and to name settings)."""
    return area_settings(session, area_id).settings


def names_of(session: Session, area_id: int) -> dict[str, str]:
    return area_settings(session, area_id).names


def field_errors(e: ValidationError, fields: Mapping[str, str]) -> dict[str, str]:
    """A schema's validation errors as field -> message for an error summary."""
    out: dict[str, str] = {}
    for err in e.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        label = fields.get(field)
        if label is None or field in out:
            continue
        kind = err["type"]
        if kind == "string_too_long":
            limit = (err.get("ctx") or {}).get("max_length", "")
            out[field] = f"{label} must be {limit:,} characters or fewer"
        elif kind == "control_character":
            out[field] = f"{label} has a character that cannot be saved (a control character)"
        elif kind in ("literal_error", "enum"):
            out[field] = f"Choose {label.lower()} from the list"
        else:
            out[field] = f"Check {label.lower()}: {err['msg']}"
    return out


def child_base(area_id: int, child_id: str) -> str:
    return f"/officer/areas/{area_id}/children/{child_id}"


@dataclass(frozen=True, slots=True)
class ChildAt:
    """The child of a page's address, once the officer may see it."""

    area_id: int
    child_id: str


def officer_child(session: SessionDep, who: PageWho, area_id: AreaId, child_id: ChildId) -> ChildAt:
    """The child of the page's address, for an officer of its LA (else 403 or 404)."""
    officer(who)
    child_for(session, who, area_id, child_id)
    return ChildAt(area_id, child_id)


OfficerChild = Annotated[ChildAt, Depends(officer_child)]
