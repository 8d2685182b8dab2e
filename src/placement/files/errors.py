"""The one error the file adapters raise: a problem in an input file, pointing at where it is."""

from __future__ import annotations

__all__ = ["InputError", "OutputError"]


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


class OutputError(Exception):
    """A file or folder the results cannot be written to: the output folder is a file, is
    read-only, or a result's name is taken by a folder. Nothing has been written.

    Examples
    --------
    >>> str(OutputError("out/optimised.json", "is a folder, not a file"))
    'out/optimised.json: cannot write: is a folder, not a file'
    """

    def __init__(self, path: object, message: str) -> None:
        super().__init__(str(path), message)
        self.path = str(path)
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: cannot write: {self.message}"
