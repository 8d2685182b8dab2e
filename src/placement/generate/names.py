"""Plausible, unique, deterministic names for synthetic towns and settings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

_TOWN_A = (
    "Ash", "Bar", "Bram", "Brad", "Brook", "Burn", "Carl", "Clay", "Cold", "Dun", "East",
    "Elm", "Fair", "Farn", "Glen", "Hart", "Hay", "Holm", "Kings", "Lang", "Long", "Marl",
    "Mill", "Nether", "New", "North", "Oak", "Pen", "Red", "Salt", "Sand", "South", "Stan",
    "Stock", "Thorn", "Up", "Wal", "Wel", "West", "Whit", "Wick", "Wood",
)  # fmt: skip
_TOWN_B = (
    "bury", "by", "caster", "combe", "den", "field", "ford", "gate", "ham", "hurst", "ley",
    "minster", "mouth", "stead", "stoke", "ton", "well", "wick", "worth", "bridge",
)  # fmt: skip
_STEMS = (
    "Oakfield", "St Mary's", "Holy Trinity", "Meadowbank", "Hillside", "Parkside", "Willowbrook",
    "Beacon", "Orchard", "Greenfield", "Valley", "Northgate", "Southlands", "Cedars", "Elmwood",
    "Harbour", "Priory", "Woodlands", "Brookside", "Castle", "Fairfield", "Highfield",
    "Kingsmead", "Larkrise", "Millbrook", "Moorside", "Riverside", "Rosewood", "Springfield",
    "St John's", "St Peter's", "St Andrew's", "All Saints", "Christ Church", "Westfield",
    "Eastbrook", "Heathfield", "The Hawthorns", "Ashgrove", "Beechwood", "Birchwood", "Chestnut",
    "Foxwood", "Hazelwood", "Lime Tree", "Maple", "Redwood", "Rowan", "Sycamore", "Thornhill",
    "Windmill", "Abbey", "Bridge", "Church Hill", "Glebe", "Grange", "Manor", "Mead",
    "Queen's Park", "King's", "Ridgeway", "Summerfield", "Tudor", "Victoria", "Whitecross",
)  # fmt: skip
_SUFFIX: Mapping[str, tuple[str, ...]] = {
    "primary": ("Primary School", "Primary Academy", "CofE Primary School",
                "Community Primary School", "Catholic Primary School", "Infant and Junior School"),
    "secondary": ("Academy", "School", "High School", "College", "Community College",
                  "Catholic High School", "Church of England Academy"),
    "special": ("School", "Academy", "Special School", "School and College"),
    "nm": ("School", "School and College"),
    "independent": ("House School", "Hall School", "Independent School", "Lodge School",
                    "Park School"),
    "ap": ("Learning Centre", "Pupil Referral Unit", "Education Centre", "Academy"),
    "spi": ("College", "Specialist College"),
    "fe": ("College", "and District College", "Sixth Form College"),
}  # fmt: skip


def town_names(k: int, rng: np.random.Generator) -> tuple[str, ...]:
    """``k`` different made-up town names (``Ashbury``, ``Westford``)."""
    combos = [x + y for x in _TOWN_A for y in _TOWN_B]
    pick = rng.choice(len(combos), size=k, replace=False)
    return tuple(combos[int(i)] for i in pick)


class Namer:
    """Plausible, unique, deterministic names."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def exact(self, base: str, town: str) -> str:
        for name in (base, f"{base}, {town}"):
            if name not in self.used:
                self.used.add(name)
                return name
        return self("nm", town)

    def __call__(self, family: str, town: str) -> str:
        suffixes = _SUFFIX[family]
        for attempt in range(40):
            stem = _STEMS[int(self.rng.integers(len(_STEMS)))]
            suf = suffixes[int(self.rng.integers(len(suffixes)))]
            if family == "fe":
                base = f"{town} {suf}" if attempt == 0 else f"{stem} College"
            else:
                base = f"{stem} {suf}"
            for name in (base, f"{base}, {town}"):
                if name not in self.used:
                    self.used.add(name)
                    return name
        name = f"{town} {suffixes[0]} {len(self.used) + 1}"
        self.used.add(name)
        return name


# first names for synthetic children: common in England and Wales, none tied to a real child
# (a synthetic area's children are made up; an imported SEN2 return has none of its names)
_FIRST_NAMES = {
    "F": (
        "Amelia", "Ava", "Chloe", "Ella", "Emily", "Evie", "Freya", "Grace", "Hannah", "Isla",
        "Ivy", "Jessica", "Lily", "Maya", "Mia", "Olivia", "Poppy", "Rosie", "Ruby", "Sophie",
        "Aisha", "Fatima", "Maryam", "Zara", "Amira", "Layla", "Nia", "Priya", "Sienna", "Willow",
    ),
    "M": (
        "Alfie", "Archie", "Arthur", "Charlie", "Daniel", "Ethan", "Finley", "George", "Harry",
        "Henry", "Isaac", "Jack", "Jacob", "Joshua", "Leo", "Logan", "Max", "Noah", "Oliver",
        "Oscar", "Adam", "Ali", "Ibrahim", "Kai", "Muhammad", "Omar", "Reuben", "Theo", "Yusuf",
        "Zachary",
    ),
}  # fmt: skip


def first_name(child_id: str, sex: str) -> str:
    """A made-up first name for a synthetic child, the same for the same id and sex."""
    names = _FIRST_NAMES.get(sex, _FIRST_NAMES["F"] + _FIRST_NAMES["M"])
    h = int.from_bytes(hashlib.sha256(child_id.encode()).digest()[:4], "big")
    return names[h % len(names)]
