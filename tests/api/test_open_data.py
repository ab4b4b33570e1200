"""Open data: counts only, no cell under 5, nothing recoverable, opted-in communities only, public."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Community, Municipality, Region
from signals import opendata
from signals.models import Answer, Recognition, Signal, Status, Theme
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def published_community(reference_data: None) -> Community:
    return CommunityFactory(region=Region.objects.get(slug="hart-van-brabant"), slug="open-cop", open_data=True)


@pytest.fixture
def closed_community(reference_data: None) -> Community:
    return CommunityFactory(region=Region.objects.get(slug="hart-van-brabant"), slug="closed-cop", open_data=False)


def add(
    community: Community,
    code: str,
    theme: str,
    count: int,
    *,
    recognitions: int = 0,
    escalated: int = 0,
    answered: int = 0,
    title: str = "Geheime titel",
) -> list[Signal]:
    """``count`` signals this month in one cell; the first ones recognised, escalated and answered."""
    author = UserFactory()
    signals = Signal.objects.bulk_create(
        Signal(
            community=community, author=author, title=f"{title} {n}", description="Persoonlijk verhaal.",
            theme=Theme.objects.get(slug=theme), municipality=Municipality.objects.get(cbs_code=code),
            status=Status.ESCALATED if n < escalated else Status.OPEN,
            escalated_at=NOW if n < escalated else None, created_at=NOW,
        )
        for n in range(count)
    )  # fmt: skip
    place = Municipality.objects.get(cbs_code=code)
    people = [UserFactory() for _ in range(recognitions)]
    Recognition.objects.bulk_create(
        Recognition(signal=signals[0], user=person, municipality=place, created_at=NOW) for person in people
    )
    Answer.objects.bulk_create(
        Answer(signal=signal, text="Geheim antwoord", on_behalf_of="SZW", created_at=NOW)
        for signal in signals[:answered]
    )
    return signals


@pytest.fixture
def data(published_community: Community, closed_community: Community) -> None:
    add(published_community, "GM0855", "housing", 7, recognitions=12, escalated=5, answered=2)
    add(published_community, "GM0867", "work", 2, recognitions=1)  # every count small: the row is left out
    add(published_community, "GM0784", "health", 6, escalated=1)
    add(closed_community, "GM0855", "housing", 9, recognitions=9, escalated=9)
    hidden = add(published_community, "GM0855", "housing", 5, title="Verborgen")
    Signal.objects.filter(pk__in=[s.pk for s in hidden]).update(hidden=True)


def test_only_counts_no_text_no_people_no_cell_under_5(data: None) -> None:
    rows = opendata.published()
    month = NOW.astimezone(timezone.get_default_timezone()).strftime("%Y-%m")
    assert rows == [
        {"community": "open-cop", "month": month, "theme": "health", "municipality": "GM0784",
         "signals": 6, "recognitions": None, "escalations": None, "answers": None},
        {"community": "open-cop", "month": month, "theme": "housing", "municipality": "GM0855",
         "signals": 7, "recognitions": 12, "escalations": 5, "answers": None},
    ]  # fmt: skip
    for row in rows:
        assert set(row) == {"community", "month", "theme", "municipality", *opendata.MEASURES}
        assert re.fullmatch(r"\d{4}-\d{2}", row["month"]) and re.fullmatch(r"GM\d{4}", row["municipality"])
        assert all(row[m] is None or (isinstance(row[m], int) and row[m] >= 5) for m in opendata.MEASURES)
    text = opendata.as_csv(rows)
    assert "Geheim" not in text and "Verborgen" not in text and "SZW" not in text
    assert "closed-cop" not in text


def grow(
    community: Community, code: str, theme: str, *, signals: int = 0, recognitions: int = 0, answers: int = 0
) -> None:
    """More of what happened in one cell this month."""
    added = add(community, code, theme, signals) if signals else []
    visible = Signal.objects.filter(community=community, municipality__cbs_code=code, hidden=False)
    target = added[0] if added else visible.first()
    assert target is not None
    place = Municipality.objects.get(cbs_code=code)
    Recognition.objects.bulk_create(
        Recognition(signal=target, user=UserFactory(), municipality=place, created_at=NOW) for _ in range(recognitions)
    )
    Answer.objects.bulk_create(
        Answer(signal=target, text="x", on_behalf_of="y", created_at=NOW) for _ in range(answers)
    )


@pytest.mark.parametrize(
    ("code", "theme", "more"),
    [
        ("GM0867", "work", {"signals": 2, "recognitions": 2}),  # a left-out row: 4 signals, 3 recognitions
        ("GM0784", "health", {"recognitions": 2, "answers": 1}),  # left-out counts of a published row
        ("GM0855", "housing", {"answers": 2}),  # the left-out answers (2 → 4) of a published row
    ],
)
def test_a_left_out_count_cannot_be_worked_out_from_what_is_published(
    data: None, published_community: Community, code: str, theme: str, more: dict[str, int]
) -> None:
    """Whatever a left-out count is (0 to 4), the publication is the same: nothing in it depends on that count."""
    key = ("open-cop", NOW.astimezone(timezone.get_default_timezone()).strftime("%Y-%m"), theme, code)
    before, counts_before = opendata.published(), dict(opendata.cells()[key])
    grow(published_community, code, theme, **more)
    counts_after = opendata.cells()[key]
    changed = [m for m in opendata.MEASURES if counts_after[m] != counts_before[m]]
    assert changed and all(counts_after[m] < opendata.MIN_CELL for m in changed)  # the test changed hidden counts
    assert opendata.published() == before


def test_anyone_can_download_it_as_csv_and_json_cached(data: None) -> None:
    anonymous = APIClient()
    response = anonymous.get("/api/v1/open-data/signals.json")
    assert response.status_code == 200 and len(response.json()) == 2
    assert response["Cache-Control"] == "public, max-age=3600"
    response = anonymous.get("/api/v1/open-data/signals.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["signals"] for row in rows] == ["6", "7"] and rows[0]["recognitions"] == ""
    # Cached: a new signal shows up after the cache expires, not at once.
    Signal.objects.filter(municipality__cbs_code="GM0784").update(created_at=NOW - timedelta(days=400))
    assert len(anonymous.get("/api/v1/open-data/signals.json").json()) == 2


def test_a_community_that_did_not_opt_in_is_absent(data: None, published_community: Community) -> None:
    Community.objects.filter(pk=published_community.pk).update(open_data=False)
    assert opendata.published() == []
