"""The vendored data files (provenance in ``README.md``) and how the package reads them."""

from __future__ import annotations

import csv
import gzip
from importlib import resources

__all__ = ["vendored_rows"]


def vendored_rows(name: str) -> list[dict[str, str]]:
    """The rows of a vendored CSV file (``name.csv``, or gzipped ``name.csv.gz``), each by its
    column names."""
    raw = (resources.files(__name__) / name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return list(csv.DictReader(raw.decode("utf-8").splitlines()))
