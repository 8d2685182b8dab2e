"""The law of parental preference as code: which route a family's preference takes.

CFA 2014 s.38(3) lists the settings a parent may *request*; the LA must name a requested
setting unless one of the three grounds of s.39(4) applies. Independent schools and specialist
post-16 institutions are requestable only when on the s.41 approved list; otherwise, and for
LA-arranged alternative provision, a parent's wish is a *representation* considered under
s.9 Education Act 1996 (parents' wishes, so far as compatible with efficient instruction and
the avoidance of unreasonable public expenditure). SEND Code of Practice 9.78-9.84.
"""

from __future__ import annotations

from enum import StrEnum

from placement.domain import Setting, SettingKind

__all__ = ["PreferenceRoute", "preference_route", "route_for_kind"]


class PreferenceRoute(StrEnum):
    S38_REQUEST = "s38_request"
    S9_REPRESENTATION = "s9_representation"


def route_for_kind(kind: SettingKind, s41_approved: bool) -> PreferenceRoute:
    if kind.la_arranged or (kind.needs_s41 and not s41_approved):
        return PreferenceRoute.S9_REPRESENTATION
    return PreferenceRoute.S38_REQUEST


def preference_route(setting: Setting) -> PreferenceRoute:
    """s.38 request for a requestable setting, else an s.9 EA 1996 representation."""
    return route_for_kind(setting.kind, setting.s41_approved)
