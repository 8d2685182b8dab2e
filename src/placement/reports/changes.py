"""A scenario's changes in words: the notes :mod:`placement.scenarios.apply` makes (counts of
children in them already controlled by :func:`placement.scenarios.report.safe_note`) as
sentences naming settings, kinds and needs, with no table names or grid references.

A sentence is a tuple of pieces: plain text, and :class:`Code` for keys and values from the
planner's own file (the template shows them as code).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from placement.reports.render import render
from placement.scenarios.plain import KIND_NAMES, kind_name, need_name, phase_name
from placement.scenarios.report import GROWTH, GROWTH_NONE

__all__ = ["Code", "Words", "change_words", "note_words"]


@dataclass(frozen=True, slots=True)
class Code:
    """Keys and values from the planner's own file, shown as code."""

    text: str


Words = tuple[str | Code, ...]

_WHAT = {
    "add_places": "Adding places",
    "close_setting": "Closing settings",
    "redesignate": "Redesignating settings",
    "open_setting": "Opening a setting",
    "cap_fees": "Capping fees",
    "demand_growth": "Demand growth",
}


def _what(w: str) -> str:
    return _WHAT.get(w.split()[0], w.replace("_", " "))


def _group(label: str) -> str:
    """A demand-growth group ("ASD, secondary", "all needs") in words."""
    need, _, phase = label.partition(", ")
    words = "all needs" if need == "all needs" else f"children with {need_name(need)}"
    return words + (f" of {phase_name(phase)} age" if phase else "")


def _selection(desc: str) -> str:
    """A selection's description (placement.scenarios.apply._describe) in words."""
    out = []
    for bit in desc.split(", "):
        if bit.startswith("kind "):
            out.append(" or ".join(kind_name(k) for k in bit[5:].split("/")))
        elif bit.startswith("phase "):
            out.append(f"{phase_name(bit[6:])} phase")
        elif bit.startswith("designated "):
            out.append(f"for {need_name(bit[11:])}")
        else:
            out.append(bit)
    return ", ".join(out)


def _designations(des: str) -> str:
    parts = []
    for bit in des.split(", "):
        code, _, band = bit.partition(" to band ")
        parts.append(f"{need_name(code)} (to need band {band})" if band else need_name(code))
    return " and ".join(parts)


def _added(m: re.Match[str]) -> str:
    what = "general places" if m["need"] is None else f"places for {need_name(m['need'])}"
    return f"{m['verb'].capitalize()} {m['n']} {what} at {m['name']}."


def _policy(m: re.Match[str]) -> Words:
    out: list[str | Code] = ["Policy changed: "]
    for i, p in enumerate(m["x"].split("; ")):
        out += ["; ", Code(p)] if i else [Code(p)]
    return (*out, ".")


_Say = Callable[[re.Match[str], Mapping[str, str]], Words | str]
_NOTE_WORDS: list[tuple[re.Pattern[str], _Say]] = [
    (
        re.compile(r"^AS IF FROM SCRATCH: (?P<x>.*)$"),
        lambda m, _: f"As if from scratch: the {m['x']}.",
    ),
    (
        re.compile(r"^(?P<keys>base\.\w+(?:, base\.\w+)*) ignored: (?P<why>.*)$"),
        lambda m, _: (
            "Not used: ",
            Code(m["keys"]),
            ". The scenario runs on the stored area it was sent to (of its base, only the "
            "seed and whether to place every child from scratch apply).",
        ),
    ),
    (
        re.compile(r"^close_setting: closed (?P<sid>\S+) \((?P<name>.*)\)$"),
        lambda m, _: f"Closed {m['name']}.",
    ),
    (
        re.compile(
            r"^redesignate: (?P<sid>\S+) capacity raised to (?P<cap>\d+) to hold its pools$"
        ),
        lambda m, names: (
            f"The capacity of {names.get(m['sid'], m['sid'])} was raised to {m['cap']} places "
            "to hold its places for each need."
        ),
    ),
    (
        re.compile(r"^redesignate: (?P<sid>\S+) \((?P<name>.*)\) now (?P<des>.*)$"),
        lambda m, _: f"Redesignated {m['name']}: now for {_designations(m['des'])}.",
    ),
    (
        re.compile(
            r"^add_places: (?P<verb>added|removed) (?P<n>\d+) "
            r"(?P<what>general places|(?P<need>\w+) places) at (?P<sid>\S+) \((?P<name>.*)\)$"
        ),
        lambda m, _: _added(m),
    ),
    (
        re.compile(
            r"^open_setting: opened (?P<sid>\S+) \((?P<name>.*)\), (?P<n>\d+) places, "
            r"(?P<kind>\w+), at E\d+ N\d+(?P<where>.*)$"
        ),
        lambda m, _: (
            f"Opened {m['name']}, a {kind_name(m['kind'])} with {m['n']} places{m['where']}."
        ),
    ),
    (
        re.compile(r"^cap_fees: (?P<n>\d+) settings' annual fees capped at (?P<cap>£[\d,]+)$"),
        lambda m, _: (
            f"Capped annual fees at {m['cap']}: "
            f"{m['n']} {'setting' if m['n'] == '1' else 'settings'} had charged more."
        ),
    ),
    (
        GROWTH,
        lambda m, _: (
            f"Demand growth for {_group(m['label'])}: {m['rate']} a year for {m['years']} "
            f"years: {m['a']} children become {m['b']} ({m['d']})."
        ),
    ),
    (GROWTH_NONE, lambda m, _: f"Demand growth for {_group(m['label'])}: no change."),
    (
        re.compile(
            r"^(?P<what>[a-z_]+(?: \S+)?): no setting matched (?P<desc>.*); nothing changed$"
        ),
        lambda m, _: (
            f"{_what(m['what'])}: no setting matched ({_selection(m['desc'])}), so nothing changed."
        ),
    ),
    (
        re.compile(
            r"^(?P<what>[a-z_]+(?: \S+)?): only (?P<n>\d+) settings matched (?P<desc>.*) "
            r"\(asked for (?P<k>\d+)\)$"
        ),
        lambda m, _: (
            f"{_what(m['what'])}: only {m['n']} settings matched ({_selection(m['desc'])}); "
            f"the file asked for {m['k']}."
        ),
    ),
    (re.compile(r"^policy: (?P<x>.*)$"), lambda m, _: _policy(m)),
]


def note_words(note: str, names: Mapping[str, str]) -> Words:
    """A change's note (already :func:`~placement.scenarios.report.safe_note`) in words:
    settings by name (``names``: setting id to name), kinds and needs named."""
    for pat, say in _NOTE_WORDS:
        m = pat.match(note)
        if m:
            words = say(m, names)
            return (words,) if isinstance(words, str) else words
    text = note
    for code, name in KIND_NAMES.items():
        text = text.replace(code, name)
    return (re.sub(r"^([a-z]+_[a-z_]+):", lambda m: _what(m[1]) + ":", text),)


def change_words(note: str, names: Mapping[str, str]) -> str:
    """:func:`note_words` as HTML (the report's own markup for it)."""
    return render("change.html", words=note_words(note, names))
