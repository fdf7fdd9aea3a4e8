"""Charts for printed reports as inline SVG: no script, no external reference, text escaped."""

from __future__ import annotations

from html import escape

WIDTH = 640
ROW = 28
LABEL = 230  # px for the family labels
BAR = 330  # px for a 100% bar


def family_bars_svg(families: list[dict], county_means: dict[str, float | None] | None) -> str:
    """One row per family: its share of points as a bar, the county mean share as a thin
    marker, the share as text. ``families``: ``{code, zh, points, max}`` as a scorecard has
    them; ``county_means``: family code → mean points over the round's units."""
    height = ROW * len(families) + 34
    parts = [
        f'<svg class="chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="一级指标得分率 Family shares">'
    ]
    for i, f in enumerate(families):
        y = 8 + i * ROW
        share = (f["points"] or 0) / f["max"] if f["max"] else 0.0
        label = escape(f"{f['code']} {f['zh']}")
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{label}</text>')
        parts.append(
            f'<rect x="{LABEL}" y="{y + 3}" width="{BAR}" height="16" fill="#edf1f7"/>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{BAR * min(share, 1):.1f}" height="16" '
            'fill="#2f6db5"/>'
        )
        mean = (county_means or {}).get(f["code"])
        if mean is not None and f["max"]:
            x = LABEL + BAR * min(mean / f["max"], 1)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 22}" stroke="#d9822b" '
                'stroke-width="3"/>'
            )
        parts.append(
            f'<text x="{LABEL + BAR + 8}" y="{y + 15}" font-size="12">{100 * share:.1f}%</text>'
        )
    legend_y = 8 + len(families) * ROW + 14
    parts.append(
        f'<rect x="{LABEL}" y="{legend_y - 9}" width="12" height="10" fill="#2f6db5"/>'
        f'<text x="{LABEL + 16}" y="{legend_y}" font-size="11">本站 This station</text>'
        f'<line x1="{LABEL + 130}" x2="{LABEL + 130}" y1="{legend_y - 10}" y2="{legend_y + 2}" '
        'stroke="#d9822b" stroke-width="3"/>'
        f'<text x="{LABEL + 138}" y="{legend_y}" font-size="11">本轮均值 Round mean</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
