"""The statutory calendar of a placement and of an EHC plan, from a date (pure: the caller
says what day it is).

- **Phase transfer.** A plan for a child moving between phases must be reviewed and amended by
  15 February of the calendar year of the transfer, and by 31 March for a move from secondary
  school into post-16 (SEND Regulations 2014 reg. 18(1)). The transfer years are Reception
  (from early years), Year 7 and Year 12. A round of placements in the academic year that
  began in September Y places children for September Y+1 (the *entry year*): its deadlines fall
  in Y+1. From 1 September the next entry year's round is under way.
- **Consultation.** The LA consults a setting before naming it; the setting normally has 15
  days to reply (CFA 2014 s.39(2); SEND Code of Practice 9.80): calendar days from the day the
  consultation starts.
- **The 20-week EHC timeline** (SEND Regulations 2014 regs. 4, 5, 10, 13): the decision whether
  to assess within 6 weeks of the request; the draft plan about 16 weeks (so that the parent
  has at least 15 days to comment and the LA can still issue the final plan in time); the final
  plan within 20 weeks of the request.
- **Annual review** within 12 months of the plan being issued or of the last review (reg. 18;
  Code 9.166); the LA's decision within 4 weeks of the review meeting (reg. 20(10)).
- **Appeal.** A family may register an appeal with the First-tier Tribunal (SEND) within 2
  months of the decision letter, or 1 month of a mediation certificate if that is later
  (SEND Regulations 2014 reg. 33); an LA must name a setting a tribunal orders within 5 weeks
  (reg. 44(2)(d)).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

__all__ = [
    "CONSULTATION_DAYS",
    "EhcTimeline",
    "add_months",
    "annual_review_due",
    "appeal_deadline",
    "consultation_due",
    "ehc_timeline",
    "entry_year",
    "phase_transfer_deadline",
    "tribunal_order_due",
]

CONSULTATION_DAYS = 15
COMMENT_DAYS = 15
DECIDE_TO_ASSESS_WEEKS = 6
DRAFT_WEEKS = 16
FINAL_PLAN_WEEKS = 20
TRIBUNAL_ORDER_WEEKS = 5
TRANSFER_YEARS = {0: (2, 15), 7: (2, 15), 12: (3, 31)}  # year of entry -> (month, day)


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus ``months`` calendar months, on the same day or the month's last day."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def entry_year(today: dt.date) -> int:
    """The September that today's round of placements is for: the next September 1 after
    today (from 1 September, the following year's)."""
    return today.year + 1 if today >= dt.date(today.year, 9, 1) else today.year


def phase_transfer_deadline(nc_year: int | None, entry: int) -> dt.date | None:
    """The date by which the plan of a child entering ``nc_year`` in September ``entry`` must
    name the new setting, or None when that year is not a phase transfer."""
    if nc_year is None or nc_year not in TRANSFER_YEARS:
        return None
    month, day = TRANSFER_YEARS[nc_year]
    return dt.date(entry, month, day)


def consultation_due(started: dt.date) -> dt.date:
    """The day a setting's reply is due: 15 calendar days after consultation starts."""
    return started + dt.timedelta(days=CONSULTATION_DAYS)


@dataclass(frozen=True, slots=True)
class EhcTimeline:
    """The 20-week timeline from an assessment request: each milestone's due date."""

    requested: dt.date
    decide_to_assess: dt.date
    draft: dt.date
    comments_close: dt.date
    final_plan: dt.date

    def milestones(self) -> tuple[tuple[str, dt.date], ...]:
        """(name, due date) in order."""
        return (
            ("decide_to_assess", self.decide_to_assess),
            ("draft", self.draft),
            ("comments_close", self.comments_close),
            ("final_plan", self.final_plan),
        )


def ehc_timeline(requested: dt.date, draft_issued: dt.date | None = None) -> EhcTimeline:
    """The statutory timeline of an assessment requested on ``requested``. The comment period
    runs 15 days from the draft actually issued, or from the day it is due."""
    draft = requested + dt.timedelta(weeks=DRAFT_WEEKS)
    return EhcTimeline(
        requested=requested,
        decide_to_assess=requested + dt.timedelta(weeks=DECIDE_TO_ASSESS_WEEKS),
        draft=draft,
        comments_close=(draft_issued or draft) + dt.timedelta(days=COMMENT_DAYS),
        final_plan=requested + dt.timedelta(weeks=FINAL_PLAN_WEEKS),
    )


def annual_review_due(plan_issued: dt.date | None, last_review: dt.date | None) -> dt.date | None:
    """Within 12 months of the plan being issued or of its last review (the later)."""
    start = max((d for d in (plan_issued, last_review) if d is not None), default=None)
    return None if start is None else add_months(start, 12)


def appeal_deadline(decided: dt.date, mediation_certificate: dt.date | None = None) -> dt.date:
    """The last day to register an appeal: 2 months from the decision, or 1 month from a
    mediation certificate if that is later."""
    by = add_months(decided, 2)
    if mediation_certificate is not None:
        by = max(by, add_months(mediation_certificate, 1))
    return by


def tribunal_order_due(ordered: dt.date) -> dt.date:
    """The date by which the LA must name the setting a tribunal ordered (5 weeks)."""
    return ordered + dt.timedelta(weeks=TRIBUNAL_ORDER_WEEKS)
