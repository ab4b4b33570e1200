"""The coordinator dashboard: figures equal to hand-counted ones, for coordinators and liaisons only."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Community, Municipality, Role, User
from signals import dashboard
from signals.models import (
    Answer,
    CheckBack,
    CheckBackAnswer,
    EventKind,
    Recognition,
    Signal,
    SignalEvent,
    Status,
    Theme,
)
from signals.services import signal_create
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def fixture(
    community: Community, reporter: User, make_member: MakeMember, posting_limits_lifted: None
) -> dict[str, Signal]:
    """Five visible signals with known dates, plus a hidden and a merged one that must not count."""
    housing, work = Theme.objects.get(slug="housing"), Theme.objects.get(slug="work")
    tilburg = Municipality.objects.get(cbs_code="GM0855")

    def report(title: str, theme: Theme, days_ago: int, status: Status, escalated_after: int | None = None) -> Signal:
        signal = signal_create(
            actor=reporter, community=community, title=title, description="x", theme=theme, municipality=tilburg
        )
        created = NOW - days_ago * DAY
        escalated = created + escalated_after * DAY if escalated_after is not None else None
        reported = escalated if status in (Status.REPORTED, Status.ANSWERED) else None
        Signal.objects.filter(pk=signal.pk).update(
            created_at=created, status=status, escalated_at=escalated, reported_at=reported
        )
        signal.refresh_from_db()
        return signal

    signals = {
        "answered": report("Beantwoord", housing, 10, Status.ANSWERED, escalated_after=4),
        "reported": report("Gerapporteerd", housing, 20, Status.REPORTED, escalated_after=8),
        "open": report("=Nog open", work, 5, Status.OPEN),
        "solved": report("Lokaal opgelost", work, 40, Status.RESOLVED_LOCALLY),
        "escalated": report("Opgeschaald", housing, 3, Status.ESCALATED, escalated_after=1),
        "hidden": report("Verborgen", housing, 2, Status.OPEN),
        "merged": report("Samengevoegd", housing, 2, Status.OPEN),
    }
    Signal.objects.filter(pk=signals["hidden"].pk).update(hidden=True)
    Signal.objects.filter(pk=signals["merged"].pk).update(status=Status.MERGED, merged_into=signals["open"])
    Answer.objects.create(
        signal=signals["answered"], text="Antwoord", on_behalf_of="SZW", created_at=NOW - 4 * DAY
    )  # 2 days after the escalation (10 - 4 = 6 days ago)
    waalwijk, gilze = make_member("GM0867"), make_member("GM0784")
    for person in (waalwijk, gilze):
        Recognition.objects.create(
            signal=signals["answered"], user=person, municipality=person.municipalities.get(), organisation=None
        )
    event = SignalEvent.objects.create(
        signal=signals["solved"], kind=EventKind.TRANSITION, to_status=Status.RESOLVED_LOCALLY
    )
    check_back = CheckBack.objects.create(signal=signals["solved"], resolution=event)
    CheckBackAnswer.objects.create(check_back=check_back, user=reporter, still_a_problem=False, answered_at=NOW)
    CheckBackAnswer.objects.create(check_back=check_back, user=waalwijk)
    return signals


def test_the_figures_are_the_hand_counted_ones(
    fixture: dict[str, Signal], community: Community, make_member: MakeMember
) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    figures = dashboard.figures_of(dashboard.dashboard_signals(coordinator, community, {}), community, now=NOW)
    assert figures.total == 5
    assert figures.per_theme == [("Wonen", 3), ("Werk en participatie", 2)]
    assert dict(figures.per_status) == {
        "Open": 1, "Lokaal opgelost": 1, "Opgeschaald": 1, "Gerapporteerd": 1, "Beantwoord": 1,
    }  # fmt: skip
    # Report → escalation: 4, 8 and 1 days; median 4. Escalation → answer: 2 days (one answer).
    assert (figures.days_to_escalation, figures.days_to_answer) == (4.0, 2.0)
    this_month = NOW.astimezone(timezone.get_default_timezone()).date().replace(day=1)
    created = [
        (NOW - days * DAY).astimezone(timezone.get_default_timezone()).date().replace(day=1)
        for days in (10, 20, 5, 40, 3)
    ]
    assert len(figures.trend) == 12 and figures.trend[-1] == (this_month.strftime("%m-%Y"), created.count(this_month))
    assert sum(count for _month, count in figures.trend) == 5
    # Every report is its reporter's recognition in Tilburg; the answered one also Waalwijk and Gilze en Rijen.
    assert dict(figures.per_municipality) == {"Tilburg": 5, "Waalwijk": 1, "Gilze en Rijen": 1}
    [open_check_back] = figures.open_check_backs
    assert (open_check_back.signal, open_check_back.asked, open_check_back.answered) == (fixture["solved"], 2, 1)
    only_housing = dashboard.figures_of(
        dashboard.dashboard_signals(coordinator, community, {"theme": Theme.objects.get(slug="housing")}), community
    )
    assert only_housing.total == 3 and only_housing.per_theme == [("Wonen", 3)]


def test_only_coordinators_and_liaisons_see_it_and_liaisons_only_reported_signals(
    client: Client, fixture: dict[str, Signal], community: Community, make_member: MakeMember, reporter: User
) -> None:
    outsider = make_member()
    outsider.memberships.all().delete()
    for person in (reporter, make_member(role=Role.MODERATOR), outsider):
        client.force_login(person)
        assert client.get(reverse("dashboard")).status_code == 404
        assert client.get(reverse("dashboard_csv")).status_code == 404
    client.force_login(make_member(role=Role.COORDINATOR))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("dashboard")).content.decode()
    assert "5 signals" in page and page.count('role="img"') == 4 and "From report to escalation" in page
    liaison = make_member(role=Role.LIAISON)
    figures = dashboard.figures_of(dashboard.dashboard_signals(liaison, community, {}), community)
    assert figures.total == 2  # reported and answered


def test_the_filtered_list_downloads_as_csv_with_formula_cells_neutralised(
    client: Client, fixture: dict[str, Signal], make_member: MakeMember
) -> None:
    client.force_login(make_member(role=Role.COORDINATOR))
    response = client.get(reverse("dashboard_csv"), {"theme": "work"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Nummer", "Titel"]
    assert sorted(row[1] for row in rows[1:]) == ["'=Nog open", "Lokaal opgelost"]
