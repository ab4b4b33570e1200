"""The coordinator dashboard: a community's signals in figures, for its coordinators and liaisons.

Everything is computed from the signals the person may see (liaisons: from
``reported`` on), filtered like the list, leaving out hidden and merged ones.
The charts are the digest's (``signals.charts``), each with its numbers as a table.
"""

from __future__ import annotations

import csv
import datetime
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from community.models import Community, User
from signals import charts, selectors
from signals.models import CheckBack, Recognition, Signal, Status
from signals.reports import neutralised

MONTHS = 12


def dashboard_signals(user: User, community: Community, lookups: dict[str, Any]) -> QuerySet[Signal]:
    signals = selectors.listed(selectors.signals_visible_to(user)).filter(community=community)
    return selectors.signals_filtered(signals, lookups=lookups)


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for _step in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _median_days(spans: list[datetime.timedelta]) -> float | None:
    return round(statistics.median(span.total_seconds() for span in spans) / 86400, 1) if spans else None


@dataclass
class Figures:
    per_theme: list[tuple[str, int]]
    per_status: list[tuple[str, int]]
    trend: list[tuple[str, int]]
    per_municipality: list[tuple[str, int]]
    days_to_escalation: float | None
    days_to_answer: float | None
    open_check_backs: Sequence[CheckBack]
    total: int

    def charts(self) -> list[charts.Figure]:
        return [
            charts.figure("dash-themes", _("Signals per theme"), self.per_theme),
            charts.figure("dash-statuses", _("Signals per status"), self.per_status),
            charts.figure("dash-trend", _("New signals per month, last 12 months"), self.trend, over_time=True),
            charts.figure("dash-municipalities", _("Recognitions per municipality"), self.per_municipality),
        ]


def figures_of(signals: QuerySet[Signal], community: Community, now: datetime.datetime | None = None) -> Figures:
    now = now or timezone.now()
    rows = list(
        signals.order_by().values(
            "pk", "status", "theme__slug", "created_at", "escalated_at", "theme__name_nl", "theme__name_en",
            "theme__name_ar",
        )
    )  # fmt: skip
    ids = [row["pk"] for row in rows]
    shown = (get_language() or "nl")[:2]
    shown = shown if shown in ("nl", "en", "ar") else "nl"
    column = f"theme__name_{shown}"
    theme_names: Counter[str] = Counter(str(row[column]) for row in rows)  # type: ignore[literal-required]
    per_theme = sorted(theme_names.items(), key=lambda item: (-item[1], item[0]))
    statuses = Counter(row["status"] for row in rows)
    per_status = [(str(status.label), statuses[status]) for status in Status if statuses[status]]

    months = _months_back(now.astimezone(timezone.get_default_timezone()).date(), MONTHS)
    counted = {
        row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]: row["count"]
        for row in signals.order_by()
        .filter(
            created_at__gte=datetime.datetime.combine(
                months[0], datetime.time.min, tzinfo=timezone.get_default_timezone()
            )
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(count=Count("pk"))
    }
    trend = [(month.strftime("%m-%Y"), counted.get(month, 0)) for month in months]

    per_municipality: Counter[str] = Counter()
    region = community.region.name
    for row in (
        Recognition.objects.filter(signal_id__in=ids)
        .values("municipality__name", "user__pseudonymous")
        .annotate(count=Count("pk"))
    ):
        name = (
            _("elsewhere in %(region)s (not named)") % {"region": region}
            if row["user__pseudonymous"]
            else row["municipality__name"]
        )
        per_municipality[name] += row["count"]

    escalations = [row["escalated_at"] - row["created_at"] for row in rows if row["escalated_at"]]
    escalated_at = {row["pk"]: row["escalated_at"] for row in rows if row["escalated_at"]}
    answered = Signal.objects.filter(pk__in=list(escalated_at)).annotate(first_answer=Min("answers__created_at"))
    answers = [
        first - escalated_at[pk] for pk, first in answered.values_list("pk", "first_answer") if first is not None
    ]
    open_check_backs = list(
        CheckBack.objects.filter(signal_id__in=ids, closed_at=None, signal__status=Status.RESOLVED_LOCALLY)
        .select_related("signal")
        .annotate(asked=Count("answers"), answered=Count("answers__answered_at"))
        .order_by("-asked_at")
    )
    return Figures(
        per_theme=per_theme,
        per_status=per_status,
        trend=trend,
        per_municipality=sorted(per_municipality.items(), key=lambda item: (-item[1], item[0])),
        days_to_escalation=_median_days(escalations),
        days_to_answer=_median_days(answers),
        open_check_backs=open_check_backs,
        total=len(rows),
    )


def signals_csv(signals: QuerySet[Signal]) -> str:
    """The filtered list as CSV (formula-like cells neutralised), in the active language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([
        _("Number"), _("Title"), _("Theme"), _("Municipality"), _("Status"), _("Reported"), _("Escalated"),
        _("Recognitions"), _("Municipalities"), _("Organisations"), _("Recognitions by status holders"),
    ])  # fmt: skip
    for signal in signals.select_related("theme", "municipality").order_by("pk"):
        writer.writerow(
            neutralised(cell)
            for cell in (
                signal.pk,
                signal.title,
                signal.theme.name,
                signal.municipality.name,
                signal.get_status_display(),
                signal.created_at.date().isoformat(),
                signal.escalated_at.date().isoformat() if signal.escalated_at else "",
                signal.recognition_count,
                signal.municipality_count,
                signal.organisation_count,
                signal.status_holder_count,
            )  # fmt: skip
        )
    return out.getvalue()
