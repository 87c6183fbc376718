"""The report renderers: each module's `render(report) -> str`, and `chunks(report)` to stream.

- inspection: per site, problems, assessment, suggestions, changes (HTML, A4):
  sites/<CODE>/inspection.html
- maintenance: per site, the month's maintenance records (HTML, A4):
  sites/<CODE>/maintenance.html
- summary: the fleet by control, site, city, ring, and the trend (HTML, SVG): summary.html
- jsonfmt: everything, for tools (schemas/report.schema.json): results.json
- csvfmt: one row per host and control, for spreadsheets: results.csv
- junit: one test case per host and control, for CI: junit.xml
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from sitekit.audit.render import csvfmt, inspection, jsonfmt, junit, maintenance, summary
from sitekit.audit.report import Report


def stage(chunks: Iterable[str], path: Path) -> Path:
    """Write streamed output to a new temporary file beside `path`; its name.

    `os.replace(staged, path)` then puts it in place at once: a reader sees the old file
    or the new one, never part of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.writelines(chunks)  # no fsync: a killed run, not a power cut, is the risk
        os.chmod(name, 0o644)  # noqa: PTH101 - mkstemp makes it 0600
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write(chunks: Iterable[str], path: Path) -> None:
    """Write streamed output to a file, atomically."""
    stage(chunks, path).replace(path)


def publish(staged: list[tuple[Path, Path]]) -> list[Path]:
    """Put staged files in place (each at once); the paths written."""
    for temporary, path in staged:
        temporary.replace(path)
    return [path for _, path in staged]


def discard(staged: list[tuple[Path, Path]]) -> None:
    """Remove staged files that will not be published."""
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)


def _modules() -> dict[str, ModuleType]:
    return {"inspection": inspection, "maintenance": maintenance, "summary": summary,
            "json": jsonfmt, "csv": csvfmt, "junit": junit}


PER_SITE = {"inspection": "sites/{code}/inspection.html",
            "maintenance": "sites/{code}/maintenance.html"}
PER_FLEET = {"summary": "summary.html", "json": "results.json", "csv": "results.csv",
             "junit": "junit.xml"}
FORMATS = (*PER_SITE, *PER_FLEET)


def renderers() -> dict[str, Callable[[Report], str]]:
    """Every renderer by format name: `render(report) -> str`."""
    return {name: module.render for name, module in _modules().items()}


def stage_all(report: Report, out: Path,
              formats: Iterable[str] = FORMATS) -> list[tuple[Path, Path]]:
    """Render every report of a run to temporary files under `out`: (staged, final) pairs.

    Nothing is in place until `publish`; on an error the files staged so far are removed.
    """
    modules, wanted, staged = _modules(), set(formats), []
    try:
        for name, pattern in PER_FLEET.items():
            if name in wanted:
                path = out / pattern
                staged.append((stage(modules[name].chunks(report), path), path))
        site_formats = [(modules[name], pattern) for name, pattern in PER_SITE.items()
                        if name in wanted]
        if site_formats:
            for site_report in report.iter_sites():
                code = site_report.sites[0].site.code
                for module, pattern in site_formats:
                    path = out / pattern.format(code=code)
                    staged.append((stage(module.chunks(site_report), path), path))
    except BaseException:
        discard(staged)
        raise
    return staged


def write_all(report: Report, out: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write every report of a run under `out`, each file at once; the paths written."""
    return publish(stage_all(report, out, formats))
