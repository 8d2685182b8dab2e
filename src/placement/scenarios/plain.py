"""Planners' outputs in words: names for the codes the model uses (needs, phases, kinds of
setting, the DfE's placement columns, mechanisms). The report and the dashboard that use them
are drawn by :mod:`placement.reports`.
"""

from __future__ import annotations

__all__ = [
    "KIND_NAMES",
    "MECHANISM_NAMES",
    "MIX_NAMES",
    "NEED_NAMES",
    "PHASE_NAMES",
    "cap",
    "kind_name",
    "need_name",
    "phase_name",
]

# SEN2 primary needs, as a planner would write them
NEED_NAMES = {
    "ASD": "autism",
    "SLCN": "speech, language and communication needs",
    "SEMH": "social, emotional and mental health needs",
    "MLD": "moderate learning difficulty",
    "SLD": "severe learning difficulty",
    "PMLD": "profound and multiple learning difficulty",
    "SPLD": "specific learning difficulty",
    "HI": "hearing impairment",
    "VI": "vision impairment",
    "MSI": "multi-sensory impairment",
    "PD": "physical disability",
    "DS": "Down syndrome",
    "OTH": "other difficulty or disability",
}
PHASE_NAMES = {
    "early_years": "early years",
    "primary": "primary",
    "secondary": "secondary",
    "post16": "post-16",
    "all-through": "all-through",
}
KIND_NAMES = {
    "mainstream": "mainstream school",
    "resourced_provision": "resourced provision",
    "sen_unit": "SEN unit",
    "special_la_maintained": "special school (LA maintained)",
    "special_academy_free": "special school (academy or free school)",
    "non_maintained_special": "special school (non-maintained)",
    "independent_special": "special school (independent)",
    "independent_mainstream": "independent school",
    "alternative_provision": "alternative provision",
    "fe_college": "further education college",
    "specialist_post16": "specialist post-16 institution",
}
# the DfE's placement columns (placement.generate.PLACEMENTS) and the run's own
MIX_NAMES = {
    "mainstream": "mainstream school",
    "rp_su": "resourced provision / SEN unit",
    "special_la": "special school (LA maintained)",
    "special_academy": "special school (academy or free school)",
    "special_independent": "special school (independent)",
    "special_nm": "special school (non-maintained)",
    "ap": "alternative provision",
    "fe": "further education college",
    "post16_specialist": "specialist post-16 institution",
    "other": "other (educated elsewhere, awaiting provision)",
    "unplaced": "not placed in this run",
}
MECHANISM_NAMES = {
    "optimised": "optimised allocation",
    "preference-first": "preference-first allocation",
}


def cap(s: str) -> str:
    """``s`` with its first letter a capital (the rest as it is: "SEN", "LA")."""
    return s[:1].upper() + s[1:]


def need_name(code: str) -> str:
    return NEED_NAMES.get(code, code.replace("_", " "))


def phase_name(code: str) -> str:
    return PHASE_NAMES.get(code, code.replace("_", " "))


def kind_name(code: str) -> str:
    return KIND_NAMES.get(code, code.replace("_", " "))
