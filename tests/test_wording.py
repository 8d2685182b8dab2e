"""Family wording (issue 12): one test per fault found, each setting kind's family name, and
the reading level of a sample of family lists (Flesch-Kincaid grade, syllables by pyphen)."""

from __future__ import annotations

import re
from typing import Any

import pyphen
import pytest

from placement.domain import Need, SettingKind
from placement.reasons import Reason, ReasonCode
from placement.solve import allocate
from placement.tailored import area_run, tailored_list
from placement.wording import KIND_WORDS, NO_OPTIONS_FAMILY, list_as_dict, render, render_list_text

from .factories import at, child, problem, setting, special


def family(code: ReasonCode, **facts: Any) -> str:
    return render(Reason(code, "A", "S1", facts), "family", {"S1": "Oak School"})


def officer(code: ReasonCode, **facts: Any) -> str:
    return render(Reason(code, "A", "S1", facts), "officer", {"S1": "Oak School"})


COST = {
    "cost_gbp": 40_000,
    "alternative_gbp": 20_000,
    "extra_gbp": 20_000,
    "threshold_gbp": 5_000,
    "alternative_setting_id": "S2",
    "alternative_is": "named",
}


def test_a_pupil_referral_unit_is_not_called_an_independent_school() -> None:
    text = family(ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE, kind="alternative_provision", **COST)
    assert "independent" not in text and "pupil referral unit" in text
    text = family(ReasonCode.NOT_S41_UNREASONABLE_EXPENDITURE, kind="independent_special", **COST)
    assert "independent school that is not on the government's approved list" in text
    assert "independent" not in KIND_WORDS["alternative_provision"]


@pytest.mark.parametrize("kind", list(SettingKind))
def test_every_setting_kind_has_its_own_family_name(kind: SettingKind) -> None:
    words = KIND_WORDS[kind.value]
    assert "_" not in words and words[0].islower()
    assert sum(1 for w in KIND_WORDS.values() if w == words) == 1


def test_one_place_is_not_all_1_free_places() -> None:
    fam = family(ReasonCode.SETTING_FULL, places_free=1, taken_in_run=1)
    off = officer(ReasonCode.SETTING_FULL, places_free=1, taken_in_run=1)
    assert "free" not in fam  # "free" reads as costless to a family
    assert "all 1" not in off and "the 1 place is taken" in off
    off = officer(ReasonCode.POOL_FULL, places_free=12, taken_in_run=12, need="ASD")
    assert "all 12 ASD places are taken" in off


def test_need_level_is_not_band_jargon_to_a_family() -> None:
    text = family(
        ReasonCode.NEED_LEVEL_ABOVE_DESIGNATION, need_band=5, max_band=2, primary_need="ASD",
        kind="mainstream",
    )  # fmt: skip
    assert "level" not in text and "band" not in text


def test_the_cost_threshold_reads_as_a_local_policy_not_law() -> None:
    off = officer(ReasonCode.COST_DISPROPORTIONATE, **COST)
    assert "local policy" in off
    fam = family(ReasonCode.COST_DISPROPORTIONATE, **COST)
    assert "does not have to" not in fam and "£" not in fam


def test_an_unplaced_childs_family_list_says_what_happens_next() -> None:
    # band 5 ASD, only a mainstream school: nothing suitable
    p = problem([child("A", Need.ASD, 5)], [setting("M")])
    tl = tailored_list(p, "A", run=area_run(p, allocate(p, "optimised")))
    assert tl.options == ()
    text = render_list_text(tl, "family")
    assert NO_OPTIONS_FAMILY in text
    assert list_as_dict(tl, "family")["message"] == NO_OPTIONS_FAMILY


def test_no_mainstream_promise_after_mainstream_is_ruled_out() -> None:
    kids = [child("A", Need.ASD, 5, prefs=("M",))]
    p = problem(kids, [setting("M"), special("S1", location=at(1))])
    text = render_list_text(
        tailored_list(p, "A", run=area_run(p, allocate(p, "optimised"))), "family"
    )
    assert "must then offer a mainstream school" not in text
    assert "No mainstream school near you can give the help" in text


def test_a_settled_childs_own_school_is_not_unlikely() -> None:
    kids = [child("A", Need.ASD, 2, nc_year=2, current_setting_id="M")]
    p = problem(kids, [setting("M", capacity=1)])
    text = render_list_text(
        tailored_list(p, "A", run=area_run(p, allocate(p, "optimised"))), "family"
    )
    assert "unlikely" not in text and "staying at the school named in their plan" in text


# -- reading level ----------------------------------------------------------------------------

_HYPH = pyphen.Pyphen(lang="en_GB")


def syllables(word: str) -> int:
    w = re.sub(r"[^A-Za-z]", "", word)
    return len(_HYPH.positions(w)) + 1 if w else 0


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level (US school grade; reading age is about grade + 5)."""
    sentences = [x for x in re.split(r"[.!?]+(?:\s|$)", text) if x.strip()]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    syl = sum(syllables(w) for w in words)
    return 0.39 * len(words) / max(1, len(sentences)) + 11.8 * syl / max(1, len(words)) - 15.59


def test_family_wording_reads_at_age_9_to_11() -> None:
    from placement.files.policy_files import load_policy
    from placement.generate import generate_area
    from placement.problem import build_problem

    area = generate_area("Rutland", seed=3)
    p = build_problem(area, load_policy())
    run = area_run(p, allocate(p, "optimised"))
    names = sorted({s.name for s in p.settings}, key=len, reverse=True)
    grades = []
    for c in p.children[::5]:
        text = render_list_text(tailored_list(p, c.child_id, run=run), "family")
        for nm in names:  # settings' own names are not the council's words
            text = text.replace(nm, "the school")
        grades.append(fk_grade(text))
    grades.sort()
    median = grades[len(grades) // 2]
    # grade 4-6 is a reading age of about 9-11
    assert median <= 6.0, median
    assert grades[int(0.9 * (len(grades) - 1))] <= 7.0, grades[-5:]


def test_explain_for_a_family_names_no_other_child_and_no_totals(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from placement.area import Area
    from placement.cli import main
    from placement.files.area_writer import write_area

    # A asks for S1 (one place); B is placed there by the run: the what-if would move B
    kids = (child("A", Need.ASD, 4, prefs=("S2",)), child("B", Need.ASD, 4, prefs=("S1",)))
    sets = (special("S1", capacity=1), special("S2", capacity=1, location=at(2)))
    folder = tmp_path / "area"
    write_area(Area("t", kids, sets), folder)
    args = ["explain", str(folder), "--child", "A", "--setting", "S1"]
    assert main([*args, "--audience", "officer"]) == 0
    officer_text = capsys.readouterr().out
    assert "B:" in officer_text  # officers see who would move
    assert main([*args, "--audience", "family"]) == 0
    text = capsys.readouterr().out
    assert "B:" not in text and " B " not in text and "placed +" not in text
    assert "cost" not in text.lower() and "£" not in text
