"""An area from its parts: geography, settings, children, places and preferences."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from placement.area import Area
from placement.domain import Child, Setting, SettingKind
from placement.generate.arrays import ChildArrays, SettingGroups
from placement.generate.calibration import I64, SPECIALIST, joint_table
from placement.generate.children import ChildPicks, draw_children, make_children
from placement.generate.geography import draw_geography
from placement.generate.nearest import CandidateSearch, bound_candidates, fallback_candidates
from placement.generate.places import size_mainstream_places, size_specialist_places
from placement.generate.schools import has_real_schools, schools_within_reach
from placement.generate.settings import SettingDraft, build_settings
from placement.register import PLACEMENTS, LaProfile, resolve_la

Schools = Literal["auto", "real", "synthetic"]
Cohort = Literal["caseload", "transfer"]


@dataclass(frozen=True, slots=True)
class GenerationReport:
    """What was generated, for tests, benchmarks and the area's notes.

    ``specialist_bound``: children whose sampled placement is in :data:`SPECIALIST`;
    ``specialist_free_places``: free places in settings whose kind is specialist. Their ratio
    is the tightness (:data:`~placement.generate.places.TIGHTNESS`, before rounding and
    out-of-area draws).
    """

    la: LaProfile
    cohort: str
    seed: int
    scale: float
    children: int
    settings: int
    by_placement: dict[str, int]
    specialist_bound: int
    specialist_free_places: int
    unit_bound: int
    unit_free_places: int
    no_preference: int
    schools: str = "synthetic"  # "real" or "synthetic": what the settings were built on
    real_settings: int = 0  # settings that are real schools (URNs from the school census)
    elsewhere: int = 0
    """Plans drawn into "other" that are young people in other arrangements (employment,
    apprenticeships, education otherwise, elsewhere): not in the area, counted here."""
    elsewhere_ages: tuple[int, ...] = ()  # the same by age on 31 August (AGES)

    @property
    def specialist_ratio(self) -> float:
        return self.specialist_free_places / max(1, self.specialist_bound)


def generate_area(
    like: str,
    *,
    seed: int,
    cohort: Cohort = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
    schools: Schools = "auto",
) -> Area:
    """A synthetic area like ``like`` (an LA name or code); see the module docstring.

    Raises :class:`~placement.register.UnknownAreaError` for an unknown LA and
    ``ValueError`` for a bad argument.
    """
    return generate_with_report(
        like,
        seed=seed,
        cohort=cohort,
        scale=scale,
        academic_year_start=academic_year_start,
        schools=schools,
    )[0]


def generate_with_report(
    like: str,
    *,
    seed: int,
    cohort: Cohort = "caseload",
    scale: float = 1.0,
    academic_year_start: int = 2026,
    schools: Schools = "auto",
) -> tuple[Area, GenerationReport]:
    """:func:`generate_area` and a :class:`GenerationReport` of what it drew.

    ``schools``: ``"real"`` builds the area on the LA's real schools and its neighbours'
    within reach (:mod:`placement.generate.schools`), synthesising only what the public data
    lacks; ``"synthetic"`` makes every setting up; ``"auto"`` (the default) is real wherever
    the LA has schools with points (all 153 do).

    The steps: the geography and the settings (without places), the children, the nearest
    settings of each child's kind, the places (specialist, then mainstream), the children's
    details and preferences; the seed's four random streams serve the geography and
    settings, the children, the places, and the details and preferences.
    """
    _check_arguments(seed, scale, cohort, academic_year_start, schools)
    la = resolve_la(like)
    if schools == "real" and not has_real_schools(la.old_la_code):
        raise ValueError(f"no real schools with points for {la.la_name}: use schools='synthetic'")
    use_real = schools != "synthetic" and has_real_schools(la.old_la_code)
    transfer = cohort == "transfer"
    r_geo, r_kid, r_cap, r_pref = np.random.default_rng(int(seed)).spawn(4)
    geo = draw_geography(la, r_geo)
    joint = joint_table(la.la_code)
    real = schools_within_reach(la.old_la_code, geo.home_xy) if use_real else []
    recs = build_settings(la, geo, joint, scale, r_geo, real)
    kids, elsewhere_ages = draw_children(la, joint, scale, transfer, geo, r_kid)
    search = CandidateSearch.of_drafts(recs, kids)
    groups = SettingGroups.of_settings([r.placement for r in recs], search.low, search.high)
    cands = bound_candidates(search, groups)
    fallback = fallback_candidates(search, groups)
    own = size_specialist_places(recs, search, groups, joint, scale, transfer, r_cap)
    size_mainstream_places(recs, kids, groups, cands, r_cap)
    pick = ChildPicks(cands, fallback, own, groups)
    ids = [r.setting_id for r in recs]
    children, no_pref = make_children(kids, ids, search, pick, transfer, r_pref)
    _add_required_features(recs, children, own)
    settings = tuple(rec.freeze() for rec in recs)
    report = _report(
        la, cohort, seed, scale, kids, recs, settings, no_pref, use_real, elsewhere_ages
    )
    name = _area_name(la, seed, transfer)
    notes = _notes(report, academic_year_start)
    return Area(name, children, settings, (), la.old_la_code, notes), report


def _check_arguments(
    seed: int, scale: float, cohort: str, academic_year_start: int, schools: str
) -> None:
    """Raises ``ValueError`` naming the first argument out of range."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed {seed!r} must be a whole number >= 0")
    if not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale {scale!r} must be a number greater than 0")
    if cohort not in ("caseload", "transfer"):
        raise ValueError(f"cohort {cohort!r} must be 'caseload' or 'transfer'")
    if not isinstance(academic_year_start, int) or not 2000 <= academic_year_start <= 2100:
        raise ValueError(f"academic_year_start {academic_year_start!r} must be 2000 to 2100")
    if schools not in ("auto", "real", "synthetic"):
        raise ValueError(f"schools {schools!r} must be 'auto', 'real' or 'synthetic'")


def _add_required_features(recs: list[SettingDraft], children: tuple[Child, ...], own: I64) -> None:
    """The provision a placed child's plan requires, at the setting it is counted at where
    that setting's features are estimated."""
    for i, j in enumerate(own.tolist()):
        if j >= 0 and children[i].required_features and recs[j].is_estimated("features"):
            recs[j].features |= children[i].required_features


def _report(
    la: LaProfile,
    cohort: Cohort,
    seed: int,
    scale: float,
    kids: ChildArrays,
    recs: list[SettingDraft],
    settings: tuple[Setting, ...],
    no_pref: int,
    use_real: bool,
    elsewhere_ages: tuple[int, ...],
) -> GenerationReport:
    """What was drawn: children by placement, and the free places for those bound for
    specialist settings and for units."""
    by_p = {pl: int((kids.group == k).sum()) for k, pl in enumerate(PLACEMENTS)}
    units = (SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT)
    return GenerationReport(
        la=la,
        cohort=cohort,
        seed=int(seed),
        scale=float(scale),
        children=kids.n,
        settings=len(recs),
        by_placement=by_p,
        specialist_bound=sum(by_p[pl] for pl in SPECIALIST),
        specialist_free_places=sum(s.free for s in settings if s.kind.is_specialist),
        unit_bound=by_p["rp_su"],
        unit_free_places=sum(s.free for s in settings if s.kind in units),
        no_preference=no_pref,
        schools="real" if use_real else "synthetic",
        real_settings=sum(1 for r in recs if r.real),
        elsewhere=sum(elsewhere_ages),
        elsewhere_ages=elsewhere_ages,
    )


def _area_name(la: LaProfile, seed: int, transfer: bool) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", la.la_name.split(",")[0].lower()).strip("-")
    return f"synthetic-{slug}-s{seed}" + ("-transfer" if transfer else "")


def _notes(report: GenerationReport, academic_year_start: int) -> tuple[str, ...]:
    """The area's notes: what it is like, what was drawn, and what is real."""
    la, n, m = report.la, report.children, report.settings
    year = f"{academic_year_start}/{(academic_year_start + 1) % 100:02d}"
    return (
        f"synthetic area like {la.la_name} ({la.la_code}, old code {la.old_la_code}): "
        f"{la.plans:,} EHC plans in January 2025 (DfE SEN2 2025), {la.area_km2:,.0f} km², "
        f"population {la.population:,} (2020)",
        f"cohort {report.cohort}, scale {report.scale:g}, seed {report.seed}, academic year "
        f"{year} (nc_year = age on 31 August - 4): {n:,} children, {m:,} settings",
        f"other arrangements: {report.elsewhere:,} more plans drawn for young people in "
        "employment, apprenticeships, supported internships, education otherwise than at "
        "school or elsewhere hold no place and seek none, so are not in the area; the rest of "
        f"the LA's 'other' column ({report.by_placement['other']:,} here) are children "
        "awaiting provision, who seek a place with no place made for them",
        f"specialist places: {report.specialist_free_places:,} free for "
        f"{report.specialist_bound:,} children the placement mix sends to specialist settings "
        f"({report.specialist_ratio:.0%})",
        (
            f"settings: {report.real_settings:,} real schools (their URNs, names, points and "
            "rolls: DfE school census 2024/25, Open Government Licence v3.0) and "
            f"{m - report.real_settings:,} synthesised; settings.csv's `estimated` column "
            "names what is estimated"
            if report.schools == "real"
            else "settings: all synthesised (schools = synthetic)"
        ),
        "synthetic: no real child is represented; generated by placement.generate",
    )
