"""Cells of CSV files people open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (after spaces, tabs or line
breaks) is read by Excel and LibreOffice as a formula ("CSV injection", OWASP); setting
names come from imported data, so every export a person opens goes through
:func:`spreadsheet_safe`, which prefixes such text with an apostrophe. Line breaks and tabs
inside a cell are tricks too: Python's ``csv`` module does not quote a cell holding a lone CR
when lines end in LF, so ``"Oak\r=HYPERLINK(...)"`` reached a spreadsheet as a new row
starting with a formula, and a tab splits a cell for a program that reads the file as
tab-separated. So every control character in text becomes a space. Numbers are left as they
are (a negative change stays a number). The area files (``children.csv``, ``settings.csv``)
are data for this program, not exports, and are written exactly.
"""

from __future__ import annotations

import re

__all__ = ["spreadsheet_safe"]

_FORMULA_START = ("=", "+", "-", "@")
# C0 and C1 controls (CR, LF and tab among them), DEL, and the Unicode line separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def spreadsheet_safe(value: object) -> object:
    """``value``, or for text: its control characters (line breaks, tabs) as spaces, and
    ``"'"`` put before it if a spreadsheet would run it as a formula.

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_safe("Oak\\r=1+1"), spreadsheet_safe("\\n=1+1")
    ('Oak =1+1', "' =1+1")
    >>> spreadsheet_safe(-45), spreadsheet_safe("Oak School"), spreadsheet_safe("<10")
    (-45, 'Oak School', '<10')
    """
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub(" ", value)
    if text.lstrip(" \u00a0").startswith(_FORMULA_START):
        return "'" + text
    return text
