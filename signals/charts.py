"""Charts as server-rendered SVG that read without colour: every bar carries its label and number,
bars are hatched rather than coloured, and each chart has a title and a description for screen readers.
The pages and reports also give the same numbers as a table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
ROW = 26
LABEL = 250
LABEL_CHARACTERS = 32  # longer labels are shortened in the chart; the description and the table have them whole
PATTERN = (
    '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="3"/></pattern></defs>'
)


def _frame(chart_id: str, title: str, description: str, width: int, height: int, body: str) -> SafeString:
    # direction="ltr": coordinates and text-anchor stay physical on a right-to-left page (an inherited
    # rtl would swap "start" and "end"); the layout is mirrored by hand instead (_mirrored).
    return mark_safe(  # noqa: S308 -- every text inside is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" direction="ltr" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{PATTERN.format(id=chart_id)}{body}</svg>"
    )


def _description(rows: list[tuple[str, int]]) -> str:
    return "; ".join(f"{label}: {value}" for label, value in rows)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def _mirrored() -> bool:
    """Charts read the way the text does: right to left in Arabic."""
    return translation.get_language_bidi()


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> SafeString:
    """Horizontal bars, one row each: the label where a line starts, the hatched bar, the number at its end."""
    top = max((value for _label, value in rows), default=0) or 1
    room = WIDTH - LABEL - 50
    mirrored = _mirrored()
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW + 4
        length = max(round(room * value / top), 1)
        if mirrored:
            label_x, label_anchor, bar_x = WIDTH - LABEL + 8, "start", WIDTH - LABEL - length
            value_x, value_anchor = bar_x - 6, "end"
        else:
            label_x, label_anchor, bar_x = LABEL - 8, "end", LABEL
            value_x, value_anchor = LABEL + length + 6, "start"
        parts.append(
            f'<text x="{label_x}" y="{y + 15}" text-anchor="{label_anchor}" font-size="13">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{bar_x}" y="{y}" width="{length}" height="{ROW - 8}" '
            f'fill="url(#{chart_id}-hatch)" stroke="#000"/>'
            f'<text x="{value_x}" y="{y + 15}" text-anchor="{value_anchor}" font-size="13">{value}</text>'
        )
    return _frame(chart_id, title, _description(rows), WIDTH, max(len(rows), 1) * ROW + 8, "".join(parts))


def column_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> SafeString:
    """Vertical columns over time, each with its number above and its label below; time runs the way the
    text does."""
    height, base = 200, 160
    top = max((value for _label, value in rows), default=0) or 1
    step = (WIDTH - 20) / max(len(rows), 1)
    mirrored = _mirrored()
    parts = [f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#000"/>']
    for index, (label, value) in enumerate(rows):
        x = WIDTH - 10 - (index + 1) * step if mirrored else 10 + index * step
        tall = round((base - 30) * value / top)
        middle = x + step / 2
        parts.append(
            f'<rect x="{x + 4:.1f}" y="{base - tall}" width="{step - 8:.1f}" height="{tall}" '
            f'fill="url(#{chart_id}-hatch)" stroke="#000"/>'
            f'<text x="{middle:.1f}" y="{base - tall - 4}" text-anchor="middle" font-size="12">{value}</text>'
            f'<text x="{middle:.1f}" y="{base + 16}" text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    return _frame(chart_id, title, _description(rows), WIDTH, height, "".join(parts))


@dataclass(frozen=True)
class Figure:
    """A chart with its title and the numbers it shows (the table beside it: templates/signals/_chart.html)."""

    title: str
    svg: SafeString
    rows: list[tuple[str, int]]


def figure(chart_id: str, title: str, rows: list[tuple[str, int]], *, over_time: bool = False) -> Figure:
    draw = column_chart if over_time else bar_chart
    return Figure(title, draw(chart_id, title, rows), rows)
