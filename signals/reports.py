"""A digest as people read it: one set of templates for the page, the email (HTML and text), the PDF
(WeasyPrint) and the CSV, written in the community's language from the digest's snapshot."""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from community.models import Community
from signals import charts
from signals.models import Digest, Theme

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Report:
    community: Community
    slot: datetime.datetime
    language: str
    signals: list[dict[str, Any]]
    """The snapshots (``signals.digests.snapshot_of``) of the signals in it."""
    figures: dict[str, Any] = field(default_factory=dict)
    held_back: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.community.name}, {self.day.isoformat()}"

    @property
    def day(self) -> datetime.date:
        return timezone.localtime(self.slot).date()

    @property
    def rtl(self) -> bool:
        return self.language in settings.LANGUAGES_BIDI

    def themes(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Signals grouped by theme, in the themes' own order."""
        order = {slug: position for position, slug in enumerate(Theme.objects.values_list("slug", flat=True))}
        grouped: dict[str, list[dict[str, Any]]] = {}
        for signal in sorted(self.signals, key=lambda s: (order.get(s["theme"], 99), -s["figures"]["recognitions"])):
            grouped.setdefault(signal["theme_name"], []).append(signal)
        return list(grouped.items())

    def summary(self) -> dict[str, int]:
        return {
            "signals": len(self.signals),
            "recognitions": sum(s["figures"]["recognitions"] for s in self.signals),
            "status_holders": sum(s["figures"]["status_holders"] for s in self.signals),
            "themes": len({s["theme"] for s in self.signals}),
        }

    def per_theme(self) -> list[tuple[str, int]]:
        return [(name, len(signals)) for name, signals in self.themes()]

    def per_municipality(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for signal in self.signals:
            for name, count in signal["per_municipality"]:
                counts[name] += count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def trend(self) -> list[tuple[str, int]]:
        return [
            (datetime.date.fromisoformat(week).strftime("%d-%m"), count)
            for week, count in self.figures.get("trend", [])
        ]

    def charts(self) -> list[charts.Figure]:
        return [
            charts.figure("themes", _("Signals per theme"), self.per_theme()),
            charts.figure("trend", _("New signals per week, last 12 weeks"), self.trend(), over_time=True),
            charts.figure("municipalities", _("Recognitions per municipality"), self.per_municipality()),
        ]


def report_of(digest: Digest) -> Report:
    """The digest's included signals as they were when it was compiled (or, for an item taken in later, then)."""
    return Report(
        community=digest.community,
        slot=digest.slot,
        language=digest.language,
        signals=[item.snapshot for item in digest.items.filter(held_back=False).order_by("pk")],
        figures=digest.figures,
    )


def _context(report: Report) -> dict[str, Any]:
    return {"report": report, "charts": report.charts(), "summary": report.summary(), "themes": report.themes()}


def render_html(report: Report) -> str:
    """The report as an HTML fragment (the page shows it; the email and the PDF wrap it)."""
    with translation.override(report.language):
        return render_to_string("digests/_report.html", _context(report))


def render_text(report: Report) -> str:
    with translation.override(report.language):
        return render_to_string("digests/report.txt", _context(report))


def render_pdf(report: Report, html: str | None = None) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]  # imported when needed: it loads Pango

    stylesheet = finders.find("css/digest-print.css")
    if not isinstance(stylesheet, str):
        raise FileNotFoundError("static/css/digest-print.css")
    with translation.override(report.language):
        document = render_to_string(
            "digests/pdf.html", {"report": report, "body": SafeString(html or render_html(report))}
        )
    return bytes(
        HTML(string=document, base_url=settings.SITE_URL).write_pdf(stylesheets=[CSS(filename=stylesheet)]) or b""
    )


def neutralised(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(report: Report) -> str:
    with translation.override(report.language):
        header = [
            _("Number"), _("Title"), _("Theme"), _("Municipality"), _("Reported"), _("Escalated"),
            _("Recognitions"), _("Municipalities"), _("Organisations"), _("Recognitions by status holders"),
            _("Description"), _("Why escalated"), _("Link"),
        ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for _theme, signals in report.themes():
        for s in signals:
            figures = s["figures"]
            writer.writerow(
                neutralised(cell)
                for cell in (
                    s["id"],
                    s["title"],
                    s["theme_name"],
                    s["municipality"],
                    s["reported"],
                    s["escalated"],
                    figures["recognitions"],
                    figures["municipalities"],
                    figures["organisations"],
                    figures["status_holders"],
                    s["description"],
                    s["explanation"],
                    s["url"],
                )  # fmt: skip
            )
    return out.getvalue()


def render_final(digest: Digest) -> tuple[str, str, bytes, str]:
    """HTML fragment, plain text, PDF and CSV: rendered once, when the digest is approved."""
    report = report_of(digest)
    html = render_html(report)
    return html, render_text(report), render_pdf(report, html), render_csv(report)
