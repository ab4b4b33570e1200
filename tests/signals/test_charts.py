"""The SVG charts: readable without colour, and laid out the way the text reads."""

from __future__ import annotations

import re

from django.utils import translation

from signals.charts import LABEL, WIDTH, bar_chart, column_chart

ROWS = [("Wonen", 6), ("Onderwijs", 3)]


def _bars(svg: str) -> list[tuple[float, float]]:
    """(x, width) of each bar."""
    return [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)"', svg)]


def test_bars_start_at_the_labels_and_grow_the_way_the_text_reads() -> None:
    with translation.override("nl"):
        ltr = str(bar_chart("c", "Signalen per thema", ROWS))
    with translation.override("ar"):
        rtl = str(bar_chart("c", "Signalen per thema", ROWS))
    for svg in (ltr, rtl):
        assert 'direction="ltr"' in svg  # coordinates stay physical; the mirroring is in the layout
        assert '<title id="c-title">Signalen per thema</title>' in svg and "Wonen: 6; Onderwijs: 3" in svg
    assert [x for x, _width in _bars(ltr)] == [LABEL, LABEL]  # from the labels on the left, to the right
    assert [x + width for x, width in _bars(rtl)] == [WIDTH - LABEL] * 2  # from the labels on the right, leftwards
    assert 'text-anchor="end" font-size="13">Wonen' in ltr and 'text-anchor="start" font-size="13">Wonen' in rtl


def test_time_runs_the_way_the_text_reads() -> None:
    months = [("10-2026", 1), ("11-2026", 2), ("12-2026", 3)]
    with translation.override("nl"):
        ltr = str(column_chart("t", "Per maand", months))
    with translation.override("ar"):
        rtl = str(column_chart("t", "Per maand", months))
    first, last = (re.search(rf'x="([\d.]+)"[^>]*>{label}<', ltr) for label in ("10-2026", "12-2026"))
    assert first and last and float(first.group(1)) < float(last.group(1))
    first, last = (re.search(rf'x="([\d.]+)"[^>]*>{label}<', rtl) for label in ("10-2026", "12-2026"))
    assert first and last and float(first.group(1)) > float(last.group(1))
