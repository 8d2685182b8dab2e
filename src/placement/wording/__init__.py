"""Words for two audiences from the same reason objects.

Officer wording gives codes, figures and the sections of law; family wording says the same
facts in plain English (short sentences, no codes or section numbers), aimed at a reading age
of about 9 to 11. Both read only a :class:`~placement.reasons.Reason`'s code and facts, so the
two can never say different things: one reason at a time in :mod:`placement.wording.reasons`,
a whole tailored list in :mod:`placement.wording.lists`. Pure: no I/O.
"""

from __future__ import annotations

from placement.wording.lists import (
    NO_OPTIONS_FAMILY,
    RECOMMENDED_BECAUSE,
    list_as_dict,
    render_list_text,
)
from placement.wording.reasons import (
    AUDIENCES,
    CHANCE_WORDS,
    KIND_WORDS,
    NEED_WORDS,
    PHASE_WORDS,
    Audience,
    describe_kind,
    render,
)

__all__ = [
    "AUDIENCES",
    "CHANCE_WORDS",
    "KIND_WORDS",
    "NEED_WORDS",
    "NO_OPTIONS_FAMILY",
    "PHASE_WORDS",
    "RECOMMENDED_BECAUSE",
    "Audience",
    "describe_kind",
    "list_as_dict",
    "render",
    "render_list_text",
]
