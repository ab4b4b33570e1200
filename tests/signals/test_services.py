"""Reporting, editing, recognising, hiding, following and revealing, through the domain functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from community.models import AuditEntry, Community, Municipality, Role, User, UserKind
from community.people import public_name
from signals.models import EventKind, Follow, Recognition, Signal, SignalEvent, Status, Theme
from signals.privacy import PersonalDataFound, find_personal_data
from signals.services import (
    recognition_add,
    recognition_withdraw,
    signal_author_reveal,
    signal_create,
    signal_edit,
    signal_hide,
    signal_restore,
    topics_follow_set,
)
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

TILBURG, DONGEN, GOIRLE, WAALWIJK = "GM0855", "GM0766", "GM0785", "GM0867"


def muni(code: str) -> Municipality:
    return Municipality.objects.get(cbs_code=code)


def counters(signal: Signal) -> tuple[int, int, int, int]:
    signal.refresh_from_db()
    return (
        signal.recognition_count,
        signal.municipality_count,
        signal.organisation_count,
        signal.status_holder_count,
    )


def test_reporting_counts_as_the_first_recognition_and_follows_the_signal(signal: Signal, reporter: User) -> None:
    assert signal.status == Status.OPEN
    assert counters(signal) == (1, 1, 1, 0)
    recognition = Recognition.objects.get(signal=signal)
    assert (recognition.user, recognition.municipality.cbs_code, recognition.organisation.name) == (
        reporter,
        TILBURG,
        "Gemeente Tilburg",
    )
    assert Follow.objects.filter(user=reporter, signal=signal).exists()
    assert list(signal.events.values_list("kind", flat=True)) == [EventKind.CREATED]


@pytest.mark.parametrize("role", [None, Role.LIAISON])
def test_only_participants_report(
    community: Community, housing: Theme, make_member: MakeMember, role: Role | None
) -> None:
    from tests.factories import UserFactory

    user = make_member(role=role) if role else UserFactory()
    with pytest.raises(PermissionDenied):
        signal_create(
            actor=user, community=community, title="t", description="d", theme=housing, municipality=muni(TILBURG)
        )


@pytest.mark.parametrize(
    ("title", "description", "code"),
    [("", "d", "title_required"), ("x" * 141, "d", "title_too_long"), ("t", "  ", "description_required")],
)
def test_bad_reports_are_refused_with_a_reason(
    community: Community, housing: Theme, reporter: User, title: str, description: str, code: str
) -> None:
    with pytest.raises(ValidationError) as error:
        signal_create(
            actor=reporter,
            community=community,
            title=title,
            description=description,
            theme=housing,
            municipality=muni(TILBURG),
        )
    assert error.value.code == code
    assert not Signal.objects.exists()


def test_a_municipality_outside_the_region_is_refused(community: Community, housing: Theme, reporter: User) -> None:
    from tests.factories import MunicipalityFactory

    elsewhere = MunicipalityFactory()
    with pytest.raises(ValidationError) as error:
        signal_create(
            actor=reporter, community=community, title="t", description="d", theme=housing, municipality=elsewhere
        )
    assert error.value.code == "municipality_region"


def test_the_privacy_guard_stops_a_report_until_the_finding_is_removed_or_confirmed(
    community: Community, housing: Theme, reporter: User
) -> None:
    text = "Bel mevrouw op 06-12345678 of de helpdesk op 0800-1234567."
    with pytest.raises(PersonalDataFound) as error:
        signal_create(
            actor=reporter,
            community=community,
            title="Bellen",
            description=text,
            theme=housing,
            municipality=muni(TILBURG),
        )
    assert [f.kind for f in error.value.findings] == ["phone", "phone"]
    assert not Signal.objects.exists()
    helpline = next(f for f in error.value.findings if f.text.startswith("0800"))
    with pytest.raises(PersonalDataFound) as again:  # confirming one finding does not wave the other through
        signal_create(
            actor=reporter, community=community, title="Bellen", description=text, theme=housing,
            municipality=muni(TILBURG), confirmed_findings=frozenset({helpline.key}),
        )  # fmt: skip
    assert [f.text for f in again.value.findings] == ["06-12345678"]
    signal = signal_create(
        actor=reporter, community=community, title="Bellen", description="Bel de helpdesk op 0800-1234567.",
        theme=housing, municipality=muni(TILBURG), confirmed_findings=frozenset({helpline.key}),
    )  # fmt: skip
    assert signal.pk


def test_the_author_edits_within_a_day_moderators_always(
    signal: Signal, reporter: User, make_member: MakeMember, housing: Theme
) -> None:
    fields = {
        "title": "Nieuwe titel",
        "description": signal.description,
        "theme": housing,
        "municipality": muni(TILBURG),
    }
    signal_edit(actor=reporter, signal=signal, **fields)
    assert SignalEvent.objects.filter(signal=signal, kind=EventKind.EDITED, reason="title").exists()
    Signal.objects.filter(pk=signal.pk).update(created_at=signal.created_at - timedelta(hours=25))
    with pytest.raises(PermissionDenied):
        signal_edit(actor=reporter, signal=signal, **{**fields, "title": "Te laat"})
    moderator = make_member(role=Role.MODERATOR)
    signal_edit(actor=moderator, signal=signal, **{**fields, "title": "Door moderator"})
    other = make_member()
    with pytest.raises(PermissionDenied):
        signal_edit(actor=other, signal=signal, **{**fields, "title": "Niet van mij"})
    signal.refresh_from_db()
    assert signal.title == "Door moderator"


def test_recognitions_count_people_municipalities_organisations_and_status_holders(
    signal: Signal, make_member: MakeMember
) -> None:
    recognition_add(actor=make_member(TILBURG, organisation="Gemeente Tilburg"), signal=signal)
    recognition_add(actor=make_member(DONGEN, organisation="COA Gilze"), signal=signal, people_affected=12)
    recognition_add(actor=make_member(GOIRLE, kind=UserKind.STATUS_HOLDER), signal=signal)
    assert counters(signal) == (4, 3, 2, 1)
    holder = Recognition.objects.get(signal=signal, by_status_holder=True)
    assert holder.organisation is None


def test_one_recognition_per_person(signal: Signal, make_member: MakeMember) -> None:
    member = make_member(DONGEN)
    recognition_add(actor=member, signal=signal)
    with pytest.raises(ValidationError) as error:
        recognition_add(actor=member, signal=signal)
    assert error.value.code == "already_recognised"
    assert counters(signal)[0] == 2


def test_a_person_of_several_municipalities_picks_one(signal: Signal, make_member: MakeMember) -> None:
    member = make_member(DONGEN)
    member.municipalities.add(muni(WAALWIJK))
    with pytest.raises(ValidationError) as error:
        recognition_add(actor=member, signal=signal)
    assert error.value.code == "choose_municipality"
    with pytest.raises(ValidationError):
        recognition_add(actor=member, signal=signal, municipality=muni(GOIRLE))
    recognition_add(actor=member, signal=signal, municipality=muni(WAALWIJK))
    assert Recognition.objects.get(signal=signal, user=member).municipality.cbs_code == WAALWIJK


def test_withdrawing_lowers_the_counts_but_the_report_stays(
    signal: Signal, reporter: User, make_member: MakeMember
) -> None:
    member = make_member(DONGEN, organisation="COA Gilze")
    recognition_add(actor=member, signal=signal)
    assert counters(signal) == (2, 2, 2, 0)
    recognition_withdraw(actor=member, signal=signal)
    assert counters(signal) == (1, 1, 1, 0)
    with pytest.raises(ValidationError) as error:
        recognition_withdraw(actor=reporter, signal=signal)
    assert error.value.code == "reporter_recognition"


def test_liaisons_and_outsiders_do_not_recognise(signal: Signal, make_member: MakeMember, charlie: User) -> None:
    for person in (make_member(role=Role.LIAISON), charlie):
        with pytest.raises(PermissionDenied):
            recognition_add(actor=person, signal=signal)


def test_closed_and_hidden_signals_take_no_recognitions(signal: Signal, make_member: MakeMember) -> None:
    moderator = make_member(role=Role.MODERATOR)
    signal_hide(actor=moderator, signal=signal, reason="Dubbel gemeld")
    with pytest.raises(ValidationError):
        recognition_add(actor=make_member(DONGEN), signal=signal)
    signal_restore(actor=moderator, signal=signal, reason="Toch niet dubbel")
    Signal.objects.filter(pk=signal.pk).update(status=Status.CLOSED)
    with pytest.raises(ValidationError) as error:
        recognition_add(actor=make_member(GOIRLE), signal=signal)
    assert error.value.code == "not_recognisable"


def test_hiding_needs_a_moderator_and_a_reason_and_is_on_the_timeline(signal: Signal, make_member: MakeMember) -> None:
    with pytest.raises(PermissionDenied):
        signal_hide(actor=make_member(), signal=signal, reason="x")
    moderator = make_member(role=Role.MODERATOR)
    with pytest.raises(ValidationError):
        signal_hide(actor=moderator, signal=signal, reason=" ")
    signal_hide(actor=moderator, signal=signal, reason="Bevat een naam")
    signal.refresh_from_db()
    assert (signal.hidden, signal.hidden_reason) == (True, "Bevat een naam")
    assert signal.events.filter(kind=EventKind.HIDDEN, actor=moderator).exists()


def test_following_themes_and_municipalities(
    community: Community, housing: Theme, make_member: MakeMember, charlie: User
) -> None:
    member = make_member()
    topics_follow_set(actor=member, community=community, themes=[housing], municipalities=[muni(DONGEN)])
    topics_follow_set(actor=member, community=community, themes=[housing], municipalities=[muni(DONGEN)])
    assert Follow.objects.filter(user=member).count() == 2  # once is enough
    topics_follow_set(actor=member, community=community, themes=[], municipalities=[muni(DONGEN)])
    assert list(Follow.objects.filter(user=member).values_list("municipality__cbs_code", flat=True)) == [DONGEN]
    with pytest.raises(PermissionDenied):
        topics_follow_set(actor=charlie, community=community, themes=[housing], municipalities=[])


def test_pseudonymous_authors_appear_as_kind_and_region(community: Community, make_member: MakeMember) -> None:
    holder = make_member(GOIRLE, kind=UserKind.STATUS_HOLDER, display_name="Amal Haddad")
    assert holder.pseudonymous
    with translation.override("en"):
        assert public_name(holder, community) == "a status holder in Hart van Brabant"
    holder.pseudonym_label = "Zonnebloem"
    assert public_name(holder, community) == "Zonnebloem"
    professional = make_member(display_name="Piet Pro")
    assert public_name(professional, community) == "Piet Pro"


def test_revealing_a_pseudonym_is_for_coordinators_with_a_reason_and_audited(
    community: Community, housing: Theme, make_member: MakeMember, alice: User
) -> None:
    holder = make_member(GOIRLE, kind=UserKind.STATUS_HOLDER)
    signal = signal_create(
        actor=holder, community=community, title="Geen tolk bij de huisarts", description="Er is geen tolk.",
        theme=housing, municipality=muni(GOIRLE),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        signal_author_reveal(actor=make_member(role=Role.MODERATOR), signal=signal, reason="nieuwsgierig")
    with pytest.raises(ValidationError):
        signal_author_reveal(actor=alice, signal=signal, reason="")
    assert signal_author_reveal(actor=alice, signal=signal, reason="Zorgen over veiligheid") == holder
    entry = AuditEntry.objects.get(action="pseudonym.revealed")
    assert (entry.actor, entry.reason, entry.data) == (alice, "Zorgen over veiligheid", {"user_id": holder.pk})


def test_the_guard_sees_what_the_reporter_typed(signal: Signal) -> None:
    assert find_personal_data(signal.description) == []
