"""Who is told what happened on a signal (signals.recipients → notifications.notify)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import Community, Membership, Municipality, Role, User
from notifications.models import Kind, Notification
from signals.discussion import message_edit, message_post
from signals.models import Follow, Signal, Status, Theme
from signals.services import recognition_add, signal_create, signal_follow, signal_hide, signal_merge, topics_follow_set
from signals.workflow import signal_transition
from tests.factories import UserFactory
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


def told(kind: Kind, signal: Signal | None = None) -> set[int]:
    rows = Notification.objects.filter(kind=kind)
    if signal is not None:
        rows = rows.filter(subject_key=f"signal:{signal.pk}")
    return set(rows.values_list("recipient_id", flat=True))


@pytest.fixture
def cast(signal: Signal, make_member: MakeMember, reporter: User) -> dict[str, User]:
    """A recogniser, a participant, a follower and a bystander of ``signal``, besides its reporter."""
    people = {
        "reporter": reporter,
        "recogniser": make_member("GM0766", display_name="Rita Recogniser"),
        "participant": make_member("GM0785", display_name="Paul Participant"),
        "follower": make_member("GM0797", display_name="Fleur Follower"),
        "bystander": make_member("GM0784", display_name="Bas Bystander"),
    }
    recognition_add(actor=people["recogniser"], signal=signal)
    message_post(actor=people["participant"], signal=signal, body="Herkenbaar.")
    signal_follow(actor=people["follower"], signal=signal)
    Notification.objects.all().delete()
    return people


def test_a_message_tells_the_reporter_recognisers_participants_and_followers_not_the_author_nor_bystanders(
    signal: Signal, cast: dict[str, User]
) -> None:
    message_post(actor=cast["recogniser"], signal=signal, body="Bij ons ook.")
    assert told(Kind.MESSAGE) == {cast[n].pk for n in ("reporter", "participant", "follower")}
    notification = Notification.objects.get(recipient=cast["reporter"], kind=Kind.MESSAGE)
    assert notification.actor_label == "Rita Recogniser"
    assert notification.url.startswith(f"/signals/{signal.pk}/?upto=")
    assert notification.title == signal.title


def test_a_mentioned_person_gets_a_mention_instead_of_a_message_notification(
    signal: Signal, cast: dict[str, User]
) -> None:
    message_post(actor=cast["participant"], signal=signal, body="@Fleur Follower en @Bas Bystander, kijk even.")
    assert told(Kind.MENTION) == {cast["follower"].pk, cast["bystander"].pk}
    assert cast["follower"].pk not in told(Kind.MESSAGE)
    assert told(Kind.MESSAGE) == {cast["reporter"].pk, cast["recogniser"].pk}


def test_mentioning_oneself_tells_nobody_and_an_edit_tells_only_the_newly_mentioned(
    signal: Signal, cast: dict[str, User]
) -> None:
    message, _ = message_post(actor=cast["participant"], signal=signal, body="@Paul Participant en @Fleur Follower")
    assert told(Kind.MENTION) == {cast["follower"].pk}
    Notification.objects.all().delete()
    message_edit(actor=cast["participant"], message=message, body="@Fleur Follower en @Bas Bystander")
    assert told(Kind.MENTION) == {cast["bystander"].pk}


def test_people_who_lost_access_are_not_told(signal: Signal, cast: dict[str, User], community: Community) -> None:
    Membership.objects.filter(user=cast["follower"], community=community).delete()
    cast["recogniser"].is_active = False
    cast["recogniser"].save()
    message_post(actor=cast["participant"], signal=signal, body="Nog iemand?")
    assert told(Kind.MESSAGE) == {cast["reporter"].pk}


def test_a_liaison_is_told_only_once_the_signal_is_reported(
    signal: Signal, make_member: MakeMember, cast: dict[str, User]
) -> None:
    liaison = make_member(role=Role.LIAISON)
    Follow.objects.create(user=liaison, community=signal.community, signal=signal)
    message_post(actor=cast["participant"], signal=signal, body="Voor de liaison nog niet zichtbaar.")
    assert liaison.pk not in told(Kind.MESSAGE)
    Signal.objects.filter(pk=signal.pk).update(status=Status.REPORTED, reported_at=signal.created_at)
    signal.refresh_from_db()
    message_post(actor=cast["participant"], signal=signal, body="Nu wel.")
    assert liaison.pk in told(Kind.MESSAGE)


def test_a_hidden_signal_tells_only_moderators(signal: Signal, cast: dict[str, User], make_member: MakeMember) -> None:
    moderator = make_member(role=Role.MODERATOR)
    signal_follow(actor=moderator, signal=signal)
    signal_hide(actor=moderator, signal=signal, reason="Bevat persoonsgegevens")
    signal.refresh_from_db()
    coordinator = make_member(role=Role.COORDINATOR)
    signal_transition(actor=coordinator, signal=signal, to=Status.CLOSED, reason="Dubbel", outcome="no_longer_relevant")
    assert told(Kind.STATUS) == {moderator.pk}


def test_a_status_change_tells_everyone_concerned_but_the_one_who_changed_it(
    signal: Signal, cast: dict[str, User], make_member: MakeMember
) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    signal_follow(actor=coordinator, signal=signal)
    signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason="Landelijk probleem")
    assert told(Kind.ESCALATED) == {cast[n].pk for n in ("reporter", "recogniser", "participant", "follower")}
    notification = Notification.objects.filter(kind=Kind.ESCALATED).first()
    assert notification is not None
    assert notification.detail["nl"] == "Opgeschaald" and notification.detail["en"] == "Escalated"
    assert notification.detail["ar"] and notification.detail["ar"] != "Escalated"


def test_a_new_signal_tells_followers_of_its_theme_or_municipality_once(
    community: Community, make_member: MakeMember, housing: Theme
) -> None:
    tilburg, dongen = Municipality.objects.get(cbs_code="GM0855"), Municipality.objects.get(cbs_code="GM0766")
    by_theme, by_place, by_both, elsewhere = (make_member() for _ in range(4))
    topics_follow_set(actor=by_theme, community=community, themes=[housing], municipalities=[])
    topics_follow_set(actor=by_place, community=community, themes=[], municipalities=[tilburg])
    topics_follow_set(actor=by_both, community=community, themes=[housing], municipalities=[tilburg])
    topics_follow_set(actor=elsewhere, community=community, themes=[], municipalities=[dongen])
    author = make_member()
    topics_follow_set(actor=author, community=community, themes=[housing], municipalities=[])
    signal = signal_create(
        actor=author, community=community, title="Geen woning", description="Lang wachten.", theme=housing,
        municipality=tilburg,
    )  # fmt: skip
    assert told(Kind.NEW_SIGNAL, signal) == {by_theme.pk, by_place.pk, by_both.pk}
    assert Notification.objects.filter(kind=Kind.NEW_SIGNAL, recipient=by_both).count() == 1
    detail = Notification.objects.filter(kind=Kind.NEW_SIGNAL).first().detail  # type: ignore[union-attr]
    assert detail["nl"] == "Wonen · Tilburg" and detail["en"] == "Housing · Tilburg"


def test_a_merge_tells_those_whose_recognition_or_follow_moved(
    signal: Signal, cast: dict[str, User], make_member: MakeMember, community: Community, housing: Theme
) -> None:
    duplicate_reporter = make_member("GM0784")
    duplicate = signal_create(
        actor=duplicate_reporter, community=community, title="Grote gezinnen wachten", description="Zelfde.",
        theme=housing, municipality=Municipality.objects.get(cbs_code="GM0855"),
    )  # fmt: skip
    other = make_member("GM0797")
    recognition_add(actor=other, signal=duplicate)
    moderator = make_member(role=Role.MODERATOR)
    Notification.objects.all().delete()
    signal_merge(actor=moderator, source=duplicate, target=signal, reason="Hetzelfde probleem")
    assert told(Kind.MERGE, signal) == {duplicate_reporter.pk, other.pk}
    merged = Notification.objects.get(kind=Kind.MERGE, recipient=other)
    assert merged.detail == {
        "nl": "Grote gezinnen wachten",
        "en": "Grote gezinnen wachten",
        "ar": "Grote gezinnen wachten",
    }
    assert merged.url == f"/signals/{signal.pk}/"


def test_one_event_for_500_people_runs_a_fixed_number_of_queries(
    signal: Signal, community: Community, reporter: User
) -> None:
    def post_with(extra: int) -> int:
        users = UserFactory.create_batch(extra)
        Membership.objects.bulk_create([Membership(user=u, community=community, role=Role.MEMBER) for u in users])
        Follow.objects.bulk_create([Follow(user=u, community=community, signal=signal) for u in users])
        Notification.objects.update(read_at=signal.created_at)  # each post starts new notifications
        with CaptureQueriesContext(connection) as queries:
            message_post(actor=reporter, signal=signal, body="Voor iedereen")
        return len(queries)

    few = post_with(3)
    many = post_with(497)
    assert few == many, (few, many)
    assert Notification.objects.filter(kind=Kind.MESSAGE).values("recipient").distinct().count() == 500


@pytest.mark.usefixtures("posting_limits_lifted")
def test_fifty_messages_in_a_burst_make_one_notification_per_person(signal: Signal, cast: dict[str, User]) -> None:
    for number in range(50):
        message_post(actor=cast["participant"], signal=signal, body=f"Bericht {number}")
    rows = Notification.objects.filter(recipient=cast["reporter"], kind=Kind.MESSAGE)
    assert rows.count() == 1
    assert rows.get().count == 50
    from django.utils import translation

    from notifications.texts import text_of

    with translation.override("en"):
        assert text_of(rows.get()) == f"50 new messages on “{signal.title}”"
    # Read: the next message starts a new notification.
    rows.update(read_at=signal.created_at)
    message_post(actor=cast["participant"], signal=signal, body="Nog één")
    assert Notification.objects.filter(recipient=cast["reporter"], kind=Kind.MESSAGE, read_at=None).get().count == 1


def test_opening_the_signal_reads_its_notifications(client: Any, signal: Signal, cast: dict[str, User]) -> None:
    message_post(actor=cast["participant"], signal=signal, body="Lees mij")
    client.force_login(cast["reporter"])
    assert Notification.objects.filter(recipient=cast["reporter"], read_at=None).count() == 1
    assert client.get(f"/signals/{signal.pk}/").status_code == 200
    assert Notification.objects.filter(recipient=cast["reporter"], read_at=None).count() == 0
