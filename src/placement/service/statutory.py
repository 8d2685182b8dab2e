"""Statutory dates the placement workflow tracks (pure).

- Consultation: the LA must consult a setting before naming it, and the setting normally has
  15 days to reply (CFA 2014 s.39(2); SEND Code of Practice 9.80). Calendar days from the day
  consultation starts.
- Phase transfer: a plan for a child moving between phases must be reviewed and amended by
  15 February of the calendar year of the transfer (SEND Regulations 2014 reg. 18(1)(a)), and by
  31 March for a move from secondary school to post-16 (reg. 18(1)(b)). The transfer years are
  Reception (from early years), Year 7 (primary to secondary) and Year 12 (post-16).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["CONSULTATION_DAYS", "consultation_due", "phase_transfer_deadline"]

CONSULTATION_DAYS = 15


def consultation_due(started: dt.date) -> dt.date:
    return started + dt.timedelta(days=CONSULTATION_DAYS)


def phase_transfer_deadline(nc_year: int, academic_year_start: int) -> dt.date | None:
    """The deadline for a child in ``nc_year`` of the year starting September
    ``academic_year_start``, or None when that year is not a phase transfer."""
    if nc_year in (0, 7):
        return dt.date(academic_year_start, 2, 15)
    if nc_year == 12:
        return dt.date(academic_year_start, 3, 31)
    return None
