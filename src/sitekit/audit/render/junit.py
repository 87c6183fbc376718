"""JUnit XML for CI systems: a test suite per site, a test case per host and control.

fail is a <failure>, waived is <skipped> (with the waiver), unknown is an <error>.
"""

from __future__ import annotations

from collections.abc import Iterator

from sitekit.audit.render.jinja import stream
from sitekit.audit.report import Report


def chunks(report: Report) -> Iterator[str]:
    """The document, streamed."""
    counts = report.counts
    return stream("junit.xml.j2", {
        "run": report.run, "sites": report.sites,
        "total": {**counts, "tests": sum(counts.values())},
        "names": {c.id: f"{c.id} {c.title}" for c in report.controls},
        "severity": {c.id: c.severity for c in report.controls},
        "timestamp": report.run.started[:19],
    })


def render(report: Report) -> str:
    """Every result as JUnit XML."""
    return "".join(chunks(report))
