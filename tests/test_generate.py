"""The synthetic area generator: deterministic, calibrated to the LA's published figures."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from placement.domain import Need, SettingKind
from placement.generate import NEEDS, UnknownAreaError, generate_area, list_las, resolve_la


@pytest.mark.parametrize("key", ["Kent", "kent", " KENT ", "E10000016", "886"])
def test_resolve_by_name_or_code(key: str) -> None:
    assert resolve_la(key).la_name == "Kent"


def test_resolve_first_part_of_a_comma_name() -> None:
    assert resolve_la("Bristol").la_name.startswith("Bristol")


def test_unknown_area_suggests() -> None:
    with pytest.raises(UnknownAreaError, match="did you mean 'Kent'"):
        resolve_la("Kentt")


def test_vendored_calibration_covers_england() -> None:
    las = list_las()
    assert len(las) == 153
    assert sum(la.plans for la in las) == 638_745  # England, 2024/25 (DfE)
    assert all(la.area_km2 > 0 and la.population > 0 for la in las)


def test_same_seed_same_area_other_seed_other_area() -> None:
    a = generate_area("Rutland", seed=3)
    b = generate_area("Rutland", seed=3)
    c = generate_area("Rutland", seed=4)
    assert a == b
    assert a.children != c.children


def test_size_and_need_mix_follow_the_calibration() -> None:
    la = resolve_la("Kent")
    a = generate_area("Kent", seed=1, scale=0.5)
    assert len(a.children) == round(sum(la.ages) * 0.5)
    want = np.zeros(len(NEEDS))
    for g in la.needs.values():
        want += np.asarray(g, float)
    want /= want.sum()
    got = Counter(c.primary_need.value.lower() for c in a.children)
    for k, need in enumerate(NEEDS):
        assert abs(got[need] / len(a.children) - want[k]) < 0.02, need


def test_transfer_cohort_is_the_phase_transfer_years() -> None:
    whole = generate_area("Kent", seed=1, scale=0.2)
    transfer = generate_area("Kent", seed=1, scale=0.2, cohort="transfer")
    assert {c.nc_year for c in transfer.children} <= {0, 7, 12}
    assert len(transfer.children) < len(whole.children) / 4
    # settings hold the children who are staying: rolls are taken
    assert any(s.roll > 0 for s in transfer.settings if s.kind.is_specialist)


def test_specialist_places_are_tight_and_some_are_independent_or_out_of_area() -> None:
    a = generate_area("Kent", seed=1, scale=0.5)
    spec_places = sum(
        s.free for s in a.settings if s.kind.is_specialist and not s.kind.is_mainstream
    )
    high_need = sum(1 for c in a.children if c.need_band >= 3)
    assert spec_places < high_need  # fewer specialist places than children with high needs
    kinds = Counter(s.kind for s in a.settings)
    assert kinds[SettingKind.INDEPENDENT_SPECIAL] > 0
    assert any(not s.in_area for s in a.settings)
    assert any(c.preferences for c in a.children)
    assert sum(1 for c in a.children if c.primary_need is Need.ASD) > 0


def test_every_la_generates_at_small_scale() -> None:
    for la in list_las():
        a = generate_area(la.la_code, seed=1, scale=0.01)
        assert a.children and a.settings, la.la_name
