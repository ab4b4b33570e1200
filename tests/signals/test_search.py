"""Search: Dutch stemming both ways, title above description, typos forgiven; similar signals while typing."""

from __future__ import annotations

import pytest

from community.models import Community, Municipality, User
from signals.models import Signal, Theme
from signals.search import search, similar_signals
from signals.services import signal_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(community: Community, housing: Theme, reporter: User):  # type: ignore[no-untyped-def]
    def make(title: str, description: str) -> Signal:
        return signal_create(
            actor=reporter, community=community, title=title, description=description, theme=housing,
            municipality=Municipality.objects.get(cbs_code="GM0855"),
        )  # fmt: skip

    return make


def titles(signals: object) -> list[str]:
    return [s.title for s in signals]  # type: ignore[attr-defined]


def test_stemming_finds_plural_from_singular_and_back(report) -> None:  # type: ignore[no-untyped-def]
    woningen = report("Te weinig woningen voor alleenstaanden", "Jongeren wachten lang.")
    woning = report("Geen passende woning na de koppeling", "Gezinnen blijven in het azc.")
    report("Taalles te laat gestart", "De lessen beginnen pas na maanden.")
    assert set(titles(search(Signal.objects.all(), "woning"))) == {woningen.title, woning.title}
    assert set(titles(search(Signal.objects.all(), "woningen"))) == {woningen.title, woning.title}


def test_a_title_match_ranks_above_a_description_match(report) -> None:  # type: ignore[no-untyped-def]
    in_description = report("Lange wachttijden bij de gemeente", "Het gaat vooral om schulden bij de zorgverzekering.")
    in_title = report("Schulden door late toeslagen", "Gezinnen komen in de problemen.")
    assert titles(search(Signal.objects.all(), "schulden")) == [in_title.title, in_description.title]


def test_a_typo_still_finds_the_signal(report) -> None:  # type: ignore[no-untyped-def]
    found = report("Wachttijd voor de inburgering is te lang", "Statushouders kunnen niet starten.")
    report("Geen huisarts in de wijk", "Nieuwe inwoners vinden geen praktijk.")
    assert titles(search(Signal.objects.all(), "inburgring")) == [found.title]


def test_an_empty_search_changes_nothing(report) -> None:  # type: ignore[no-untyped-def]
    report("Eén", "Twee")
    assert search(Signal.objects.all(), "  ").count() == 1


def test_similar_signals_while_typing_a_new_report(report) -> None:  # type: ignore[no-untyped-def]
    first = report("Gezinshereniging duurt te lang bij de IND", "Gezinnen zijn jaren gescheiden.")
    report("Fietsles voor vrouwen ontbreekt", "Er is geen aanbod.")
    suggestions = similar_signals(Signal.objects.all(), "gezinshereniging wachttijd", "")
    assert titles(suggestions) == [first.title]
    assert similar_signals(Signal.objects.all(), "", "") == []


@pytest.mark.usefixtures("posting_limits_lifted")
def test_similar_signals_are_at_most_five(report) -> None:  # type: ignore[no-untyped-def]
    for number in range(7):
        report(f"Schuldhulp wachtlijst {number}", "Schulden lopen op.")
    assert len(similar_signals(Signal.objects.all(), "schuldhulp", "schulden")) == 5


def test_without_postgresql_search_still_matches_words_and_forgives_typos(
    report,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr("signals.search._postgres", lambda: False)
    found = report("Wachttijd voor de inburgering is te lang", "Statushouders kunnen niet starten.")
    report("Geen huisarts in de wijk", "Nieuwe inwoners vinden geen praktijk.")
    assert titles(search(Signal.objects.all(), "inburgering")) == [found.title]
    assert titles(search(Signal.objects.all(), "inburgring")) == [found.title]
    assert titles(search(Signal.objects.all(), "tandarts")) == []
    assert titles(similar_signals(Signal.objects.all(), "inburgering", "")) == [found.title]
