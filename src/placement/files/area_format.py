"""An area folder: its files and their columns, as :mod:`placement.files.area_reader` reads
them and :mod:`placement.files.area_writer` writes them.

An area directory holds::

    children.csv         one row per child (required)
    settings.csv         one row per setting (required)
    travel_minutes.csv   router journey times, long form: child_id, setting_id, minutes (optional)
    policy.toml          overrides laid over models/*.toml (optional)

The columns are documented in ``docs/data-format.md``.
"""

from __future__ import annotations

__all__ = [
    "AREA_FILES",
    "CHILD_COLUMNS",
    "CHILD_FILE",
    "POLICY_FILE",
    "SETTING_COLUMNS",
    "SETTING_FILE",
    "TRAVEL_COLUMNS",
    "TRAVEL_FILE",
]

CHILD_FILE = "children.csv"
SETTING_FILE = "settings.csv"
TRAVEL_FILE = "travel_minutes.csv"
POLICY_FILE = "policy.toml"
AREA_FILES = (CHILD_FILE, SETTING_FILE, TRAVEL_FILE, POLICY_FILE)

# Column order as written; latitude/longitude are accepted on input instead of easting/northing.
CHILD_COLUMNS: tuple[str, ...] = (
    "child_id",
    "nc_year",
    "date_of_birth",
    "easting",
    "northing",
    "primary_need",
    "need_band",
    "secondary_needs",
    "required_features",
    "transport_eligible",
    "max_journey_min",
    "sex",
    "looked_after",
    "current_setting_id",
    "excluded_setting_ids",
    "sibling_setting_ids",
    "preferences",
    "new_plan",
    "move_requested",
)
SETTING_COLUMNS: tuple[str, ...] = (
    "setting_id",
    "name",
    "kind",
    "easting",
    "northing",
    "low_age",
    "high_age",
    "capacity",
    "roll",
    "entry",
    "designations",
    "pools",
    "features",
    "s41_approved",
    "la_code",
    "in_area",
    "annual_fee_gbp",
    "estimated",
)
TRAVEL_COLUMNS: tuple[str, ...] = ("child_id", "setting_id", "minutes")
