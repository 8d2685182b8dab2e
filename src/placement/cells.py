"""Cells of CSV files people open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by
Excel and LibreOffice as a formula ("CSV injection", OWASP); setting names come from imported
data, so every export a person opens goes through :func:`spreadsheet_safe`, which prefixes
such text with an apostrophe. Numbers are left as they are (a negative change stays a number).
The area files (``children.csv``, ``settings.csv``) are data for this program, not exports,
and are written exactly.
"""

from __future__ import annotations

__all__ = ["spreadsheet_safe"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value``, or for text that a spreadsheet would run as a formula, ``"'" + value``.

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_safe(-45), spreadsheet_safe("Oak School"), spreadsheet_safe("<10")
    (-45, 'Oak School', '<10')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
