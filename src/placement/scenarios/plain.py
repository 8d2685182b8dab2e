"""Planners' outputs in words: names for the codes the model uses (needs, phases, kinds of
setting, the DfE's placement columns, mechanisms), and the frame of a self-contained HTML file.

The report and the dashboard are written once, as fragments with GOV.UK Frontend's classes:
the service's pages put them inside the GOV.UK frame, and :func:`document` wraps them in a
file of their own (the CLI's outputs, the service's downloads) with a few lines of inline CSS
that give those classes the same look. No scripts, nothing fetched.
"""

from __future__ import annotations

import html

__all__ = [
    "KIND_NAMES",
    "MECHANISM_NAMES",
    "MIX_NAMES",
    "NEED_NAMES",
    "PHASE_NAMES",
    "cap",
    "document",
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


# GOV.UK Frontend's look for the classes the fragments use, for a file read on its own
CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#0b0c0c;background:#fff;
font-size:19px;line-height:1.32}
main{max-width:960px;margin:0 auto;padding:20px 15px 40px}
.govuk-heading-l{font-size:36px;line-height:1.11;margin:0 0 30px;font-weight:700}
.govuk-heading-m{font-size:24px;line-height:1.25;margin:30px 0 20px;font-weight:700}
.govuk-heading-s{font-size:19px;line-height:1.32;margin:20px 0 15px;font-weight:700}
.govuk-body,.govuk-list{margin:0 0 20px}.govuk-body-l{font-size:24px;line-height:1.25;
margin:0 0 30px}.govuk-body-s{font-size:16px}.govuk-list--bullet{padding-left:20px}
.govuk-inset-text{border-left:10px solid #b1b4b6;padding:15px;margin:20px 0}
.govuk-table{border-collapse:collapse;width:100%;margin:0 0 30px;font-size:16px}
.govuk-table__caption{text-align:left;font-weight:700;margin-bottom:10px}
.govuk-table__header,.govuk-table__cell{border-bottom:1px solid #b1b4b6;padding:8px 16px 8px 0;
text-align:left;vertical-align:top}.govuk-table__header{font-weight:700}
.govuk-table__header--numeric,.govuk-table__cell--numeric{text-align:right}
.govuk-details{margin:0 0 30px}.govuk-details__summary{color:#1d70b8;cursor:pointer;
text-decoration:underline}.govuk-details__text{border-left:5px solid #b1b4b6;padding:15px;
margin-top:5px}
.govuk-tag{display:inline-block;padding:2px 8px;font-weight:400;background:#cce2d8;
color:#005a30}.govuk-tag--blue{background:#bbd4ea;color:#0c2d4a}
.govuk-tag--orange{background:#fcd6c3;color:#6e3619}.govuk-tag--grey{background:#e5e6e7;
color:#282d30}
.govuk-visually-hidden{position:absolute!important;width:1px!important;height:1px!important;
margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;
white-space:nowrap!important;border:0!important}
.app-figure{margin:0 0 30px}.app-chart{width:100%;height:auto;display:block}
.app-pre{background:#f3f2f1;padding:15px;font-size:14px;overflow:auto;white-space:pre-wrap}
code{font-family:monospace;background:#f3f2f1;padding:0 3px}
"""


def document(title: str, body: str) -> str:
    """A self-contained HTML file: ``body`` (a fragment) under an ``<h1>`` of ``title``."""
    t = html.escape(title)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{t}</title><style>{CSS}</style></head><body><main>"
        f"<h1 class='govuk-heading-l'>{t}</h1>{body}</main></body></html>\n"
    )
