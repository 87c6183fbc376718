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

import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from sitekit.audit.report import Report

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (they become U+FFFD)."""
    return _NOT_XML.sub("\ufffd", text)


@cache
def environment() -> Environment:
    """The Jinja2 environment of the report templates (package data, autoescaped)."""
    env = Environment(
        loader=PackageLoader("sitekit.audit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )
    env.filters["xml"] = xml_text
    return env


def stream(template: str, context: dict[str, Any]) -> Iterator[str]:
    """A template's output in pieces, as Jinja2 generates it."""
    return environment().get_template(template).generate(context)


def write(chunks: Iterable[str], path: Path) -> None:
    """Write streamed output to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as file:
        file.writelines(chunks)


def _modules() -> dict[str, ModuleType]:
    from sitekit.audit.render import (  # noqa: PLC0415 - the modules import this one
        csvfmt,
        inspection,
        jsonfmt,
        junit,
        maintenance,
        summary,
    )

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


def write_all(report: Report, out: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write every report of a run under `out`, streaming; the paths written."""
    modules, wanted, written = _modules(), set(formats), []
    for name, pattern in PER_FLEET.items():
        if name in wanted:
            path = out / pattern
            write(modules[name].chunks(report), path)
            written.append(path)
    site_formats = [(modules[name], pattern) for name, pattern in PER_SITE.items()
                    if name in wanted]
    if site_formats:
        for site_report in report.iter_sites():
            code = site_report.sites[0].site.code
            for module, pattern in site_formats:
                path = out / pattern.format(code=code)
                write(module.chunks(site_report), path)
                written.append(path)
    return written
