"""Problems found in site and fleet files, and how they are reported.

Every problem names the file, the site and the field, and says what to change: an engineer
reading it should not need to open the source to know what to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a site or fleet file."""

    file: str
    line: int | None
    site: str
    field: str
    message: str

    def sort_key(self) -> tuple[str, int, str, str, str]:
        """File, then line (a problem of the whole file first), site, field, message."""
        return (self.file, self.line or 0, self.site, self.field, self.message)

    def __lt__(self, other: object) -> bool:
        # Not dataclass(order=True): that compares None lines with numbers and raises.
        if not isinstance(other, Problem):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = self.field or "(file)"
        return f"{where}: site {self.site}: {field}: {self.message}"


class ProblemsFound(Exception):  # noqa: N818 - reads naturally at the raise site
    """Raised when a fleet has problems; carries all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, with a count first."""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found in the site files:"
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    # os.path, not Path.resolve: no symlink lookups, and this runs once per site file.
    absolute = os.path.abspath(path)  # noqa: PTH100
    cwd = os.getcwd() + os.sep  # noqa: PTH109
    return absolute[len(cwd):] if absolute.startswith(cwd) else absolute
