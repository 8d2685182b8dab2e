"""Why is setting S on child C's tailored list, or why not, and how did the statutory tests of
the family's request for it come out: one answer for the API, the CLI and the web pages.

Everything comes from the child's tailored list (:mod:`placement.tailored`): the option as
listed, the reasons a setting was left off, and the assessment of each request. A setting
that is neither listed nor left off (a setting for another age group that the family did not
ask for) is explained by the suitability rules themselves (:func:`placement.rules.
why_unsuitable`), so the explanation cannot drift from the list or from the optimisation.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placement.problem import Problem
from placement.reasons import Reason
from placement.rules import why_unsuitable
from placement.tailored import (
    AreaRun,
    LeftOff,
    Option,
    RequestAssessment,
    ScoreTable,
    TailoredList,
    tailored_list,
)
from placement.wording import Audience, list_as_dict, render

__all__ = ["SettingExplanation", "explain_setting"]

# what the CLI says of a setting neither listed nor left off (they are the settings for
# another age group the family did not ask for); the API gives the rules' own reasons
OTHER_AGE_GROUP = "a setting for another age group"


@dataclass(frozen=True, slots=True)
class SettingExplanation:
    """One setting explained for one child (see the module docstring).

    ``listed`` is the child's tailored list the explanation is read from; ``names`` the
    area's setting names (setting id -> name) for the wording of reasons that the list does
    not word itself; ``unsuitable`` the rules the pair fails when the setting is neither
    listed nor left off; ``run_id`` the stored run the list was built from, when the caller
    has one."""

    child_id: str
    setting_id: str
    name: str
    listed: TailoredList
    names: Mapping[str, str]
    unsuitable: tuple[Reason, ...] = ()
    run_id: int | str | None = None

    @property
    def option(self) -> Option | None:
        """The setting as listed, or None (not on the list)."""
        return next((o for o in self.listed.options if o.setting_id == self.setting_id), None)

    @property
    def left_off(self) -> LeftOff | None:
        """Why the setting was left off the list, when it was (with evidence)."""
        return next((x for x in self.listed.left_off if x.setting_id == self.setting_id), None)

    @property
    def requests(self) -> tuple[RequestAssessment, ...]:
        """The assessment of each of the family's requests for this setting."""
        return tuple(r for r in self.listed.requests if r.setting_id == self.setting_id)

    @property
    def on_list(self) -> bool:
        return self.option is not None

    def as_dict(
        self, audience: Audience, *, requests: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Plain data for JSON in ``audience``'s wording: the option as the list gives it,
        why not (the left-off reasons, or the rules the pair fails), the requests for the
        setting and the list's advisory. ``requests``: the caller's own view of the
        family's requests (every setting's; for a family, their saved requests with their
        status), shown instead of the run's assessments."""
        d = list_as_dict(self.listed, audience)
        option = next((o for o in d["options"] if o["setting_id"] == self.setting_id), None)
        left = next((x for x in d["left_off"] if x["setting_id"] == self.setting_id), None)
        shown = d["requests"] if requests is None else requests
        why_not: list[dict[str, Any]] = []
        if option is None:
            why_not = left["reasons"] if left is not None else self._unsuitable_dicts(audience)
        return {
            "child_id": self.child_id,
            "setting_id": self.setting_id,
            "name": self.name,
            "on_list": option is not None,
            "option": option,
            "why_not": why_not,
            "requests": [dict(r) for r in shown if r["setting_id"] == self.setting_id],
            "advisory": d["advisory"],
            "run_id": self.run_id,
        }

    def _unsuitable_dicts(self, audience: Audience) -> list[dict[str, Any]]:
        return [
            {"setting_id": self.setting_id, "text": render(r, audience, self.names)}
            | (r.as_dict() if audience == "officer" else {})
            for r in self.unsuitable
        ]

    def text_lines(self, audience: Audience) -> list[str]:
        """The explanation as lines of text (what ``placement explain`` prints before any
        what-if and the list's advisory)."""
        names = self.names
        lines = [f"{self.name} [{self.setting_id}] for {self.child_id}"]
        option, left = self.option, self.left_off
        if option is not None:
            lines.append(f"On the list (chance: {option.chance}). Why:")
            lines += [f"  - {render(r, audience, names)}" for r in option.reasons]
        else:
            lines.append("Not on the list. Why not:")
            if left is not None:
                lines += [f"  - {render(r, audience, names)}" for r in left.reasons]
            else:
                lines.append(f"  - {OTHER_AGE_GROUP}")
        for r in self.requests:
            outcome = r.outcome.replace("_", " ")
            lines.append(f"The family asked for it (choice {r.rank}): {outcome}.")
            for t in r.tests:
                ev = "; ".join(render(x, audience, names) for x in t.reasons)
                label = t.ground.value if audience == "officer" else t.name.replace("_", " ")
                lines.append(f"  {label}: {t.outcome.replace('_', ' ')}{': ' + ev if ev else ''}")
        return lines


def explain_setting(
    p: Problem,
    child_id: str,
    setting_id: str,
    *,
    listed: TailoredList | None = None,
    run: AreaRun | None = None,
    table: ScoreTable | None = None,
    run_id: int | str | None = None,
) -> SettingExplanation:
    """Why ``setting_id`` is on ``child_id``'s tailored list or not, and the statutory tests
    of the family's requests for it.

    Parameters
    ----------
    p
        The area's problem.
    child_id, setting_id
        The child and the setting; :class:`KeyError` for one the area does not have.
    listed
        The child's tailored list when the caller has it already (a cache); else it is built
        from ``run`` and ``table`` (:func:`placement.tailored.tailored_list`).
    run, table
        The area run and score table the list is built from (None: no run yet).
    run_id
        The stored run the list belongs to, returned as it is.
    """
    if child_id not in p.child_index:
        raise KeyError(child_id)
    if setting_id not in p.setting_index:
        raise KeyError(setting_id)
    tl = listed if listed is not None else tailored_list(p, child_id, run=run, table=table)
    s = p.setting_index[setting_id]
    listed_or_left = any(o.setting_id == setting_id for o in tl.options) or any(
        x.setting_id == setting_id for x in tl.left_off
    )
    unsuitable: tuple[Reason, ...] = ()
    if not listed_or_left:
        unsuitable = tuple(why_unsuitable(p, p.child_index[child_id], s))
    return SettingExplanation(
        child_id=child_id,
        setting_id=setting_id,
        name=p.settings[s].name,
        listed=tl,
        names={st.setting_id: st.name for st in p.settings},
        unsuitable=unsuitable,
        run_id=run_id,
    )
