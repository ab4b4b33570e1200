"""Open data: per month × theme × municipality, counts of signals, recognitions, escalations and answers.

Only communities whose coordinators opted in; no free text and no people: each
row is a community slug, a month, a theme slug and a CBS municipality code with
four counts. Small numbers are not published: a count under MIN_CELL is left
out (null), a row with every count under MIN_CELL is not published at all, and
there are no totals or margins, so a count that was left out cannot be worked
out from the ones that were published (the publication is the same whatever
the hidden count between 0 and MIN_CELL - 1 is; the tests check exactly that).
Hidden and merged signals are never counted.

Each count is attributed to the signal's theme and municipality, in the month
(Amsterdam time) the thing happened: reported, recognised, escalated, answered.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from signals.models import Answer, Recognition, Signal, Status
from signals.reports import neutralised

MIN_CELL = 5
MEASURES = ("signals", "recognitions", "escalations", "answers")
KEYS = ("community", "month", "theme", "municipality")

Key = tuple[str, str, str, str]


def _published_signals() -> QuerySet[Signal]:
    return Signal.objects.filter(community__open_data=True, hidden=False).exclude(status=Status.MERGED)


def _count(rows: QuerySet[Any], prefix: str, date_field: str) -> dict[Key, int]:
    counted = (
        rows.order_by()
        .annotate(month=TruncMonth(date_field, tzinfo=timezone.get_default_timezone()))
        .values("month", f"{prefix}community__slug", f"{prefix}theme__slug", f"{prefix}municipality__cbs_code")
        .annotate(count=Count("pk"))
    )
    return {
        (
            row[f"{prefix}community__slug"],
            row["month"].strftime("%Y-%m"),
            row[f"{prefix}theme__slug"],
            row[f"{prefix}municipality__cbs_code"],
        ): row["count"]
        for row in counted
    }


def cells() -> dict[Key, dict[str, int]]:
    """Every count, before suppression."""
    signals = _published_signals()
    sources = {
        "signals": _count(signals, "", "created_at"),
        "recognitions": _count(Recognition.objects.filter(signal__in=signals), "signal__", "created_at"),
        "escalations": _count(signals.filter(escalated_at__isnull=False), "", "escalated_at"),
        "answers": _count(Answer.objects.filter(signal__in=signals), "signal__", "created_at"),
    }
    table: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for measure, counts in sources.items():
        for key, count in counts.items():
            table[key][measure] = count
    return table


def published() -> list[dict[str, Any]]:
    """The rows anyone may read: counts under MIN_CELL left out (None), rows with nothing to show left out."""
    rows = []
    for key, counts in sorted(cells().items()):
        shown = {measure: (count if count >= MIN_CELL else None) for measure, count in counts.items()}
        if any(value is not None for value in shown.values()):
            rows.append({**dict(zip(KEYS, key, strict=True)), **shown})
    return rows


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*KEYS, *MEASURES])
    writer.writeheader()
    for row in rows:
        # Slugs may start with "-": every cell goes through the same formula guard as the other CSVs.
        writer.writerow({name: "" if value is None else neutralised(value) for name, value in row.items()})
    return out.getvalue()
