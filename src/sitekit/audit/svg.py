"""Charts for the reports as static inline SVG: no script, no fonts or files to fetch.

Three shapes cover the fleet summary: stacked bars (results by status per row), a line
over months (compliance trend) and a small spark line for one site.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from sitekit.audit.checks import FAIL, PASS, UNKNOWN, WAIVED

COLOURS = {PASS: "#2e7d32", WAIVED: "#5b7fa6", FAIL: "#c62828", UNKNOWN: "#9e9e9e"}
_ORDER = (PASS, WAIVED, FAIL, UNKNOWN)
_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(  # noqa: S704 - built here; every text in it is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" {_FONT}>'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>")


def legend() -> Markup:
    """The status colours, as a one-line key."""
    body, x = [], 0
    for status in _ORDER:
        body.append(f'<rect x="{x}" y="3" width="10" height="10" fill="{COLOURS[status]}"/>'
                    f'<text x="{x + 14}" y="12">{status}</text>')
        x += 14 + 7 * len(status) + 16
    return _svg(x, 16, "status colours", body)


def stacked_bars(rows: Sequence[tuple[str, dict[str, int]]], label: str,
                 width: int = 640, *, order: Sequence[str] = _ORDER,
                 colours: dict[str, str] | None = None,
                 counted: Sequence[str] = (PASS, WAIVED), label_width: int = 190) -> Markup:
    """One horizontal bar per row, split by status, with the share of the `counted` ones.

    The audit's statuses by default; the rollout draws its sites' states with the same bars.
    """
    colours = colours or COLOURS
    percent_width, height = 48, 16
    bar_width = width - label_width - percent_width
    body = []
    for index, (name, counts) in enumerate(rows):
        y = index * (height + 4)
        total = sum(counts.values())
        body.append(f'<text x="0" y="{y + 12}">{escape(_clip(name, 30))}</text>')
        x = float(label_width)
        for status in order:
            if not total or not counts.get(status):
                continue
            span = bar_width * counts[status] / total
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="{height}" '
                        f'fill="{colours[status]}"><title>{escape(name)}: {counts[status]} '
                        f"{escape(status)}</title></rect>")
            x += span
        share = sum(counts.get(status, 0) for status in counted) / total if total else None
        shown = f"{share:.0%}" if share is not None else "-"
        body.append(f'<text x="{width - 4}" y="{y + 12}" text-anchor="end">{shown}</text>')
    return _svg(width, max(len(rows) * (height + 4), height), label, body)


def trend_line(points: Sequence[tuple[str, float | None]], label: str, width: int = 640,
               height: int = 180) -> Markup:
    """Compliance (0..1) over months, with the months along the bottom."""
    left, right, top, bottom = 40, 12, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    body = []
    for level in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - level)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    'stroke="#ddd"/>'
                    f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{level:.0%}</text>')
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for index, (month, share) in enumerate(points):
        x = left + (index * step if len(points) > 1 else plot_w / 2)
        every = max(1, len(points) // 8)
        if index % every == 0 or index == len(points) - 1:
            body.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
                        f"{escape(month)}</text>")
        if share is None:
            continue
        y = top + plot_h * (1 - share)
        coords.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[PASS]}">'
                    f"<title>{escape(month)}: {share:.1%}</title></circle>")
    if len(coords) > 1:
        body.insert(0, f'<polyline points="{" ".join(coords)}" fill="none" '
                       f'stroke="{COLOURS[PASS]}" stroke-width="2"/>')
    return _svg(width, height, label, body)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
