"""The one error the file adapters raise: a problem in an input file, pointing at where it is."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(Exception):
    """A problem in an input file, located as a text editor would show it.

    Parameters
    ----------
    file
        The file's name as the user knows it (``children.csv``), not a full path.
    line
        1-based line number (the header of a CSV file is line 1), or ``None`` when the problem
        is the file as a whole (missing, empty, unreadable).
    column
        The CSV column at fault, or ``None`` (TOML files name the key in ``message``).
    message
        What is wrong, with a "did you mean" where one helps.

    Examples
    --------
    >>> str(InputError("children.csv", 14, "primary_need", "'ASDD' is not a SEN2 need code"))
    "children.csv:14: column primary_need: 'ASDD' is not a SEN2 need code"
    >>> str(InputError("settings.csv", None, None, "file not found"))
    'settings.csv: file not found'
    """

    def __init__(self, file: str, line: int | None, column: str | None, message: str) -> None:
        super().__init__(file, line, column, message)
        self.file = file
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"column {self.column}: " if self.column else ""
        return f"{where}: {what}{self.message}"
