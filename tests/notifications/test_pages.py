"""The notification centre's pages and API: the bell, the list, reading, email choices, unsubscribing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community.models import User
from community.tokens import api_token_create
from notifications.models import Frequency, Kind, Notification
from notifications.services import preferences_of, unsubscribe_token
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.conftest import Tell

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    client = Client()
    client.force_login(user)
    return client


def test_the_bell_shows_the_unread_count(tell: Tell, bob: User, alice: User) -> None:
    client = signed_in(bob)
    assert "data-unread hidden>0 unread" in client.get("/").content.decode()
    tell([bob], actor=alice)
    tell([bob], actor=alice, kind=Kind.STATUS, subject_key="thing:2")
    page = client.get("/").content.decode()
    assert "data-unread>2 unread</span>" in page
    assert 'data-bell="/ws/notifications/"' in page and "js/notifications" in page
    assert "data-bell" not in Client().get("/accounts/login/").content.decode()


def test_the_list_shows_only_my_notifications_and_filters_them(
    tell: Tell, bob: User, alice: User, dilara: User
) -> None:
    tell([bob, dilara], actor=alice, title="Over taalles")
    tell([bob], actor=alice, kind=Kind.STATUS, subject_key="thing:2", title="Over huisvesting")
    Notification.objects.filter(recipient=bob, kind=Kind.STATUS).update(read_at="2026-11-01T10:00Z")
    client = signed_in(bob)
    page = client.get("/notifications/").content.decode()
    assert "Over taalles" in page and "Over huisvesting" in page
    only_unread = client.get("/notifications/?unread=on").content.decode()
    assert "Over taalles" in only_unread and "Over huisvesting" not in only_unread
    statuses = client.get("/notifications/?kind=status").content.decode()
    assert "Over huisvesting" in statuses and "Over taalles" not in statuses
    assert client.get("/notifications/?kind=nonsense&page=x").status_code == 200  # bad filters: ignored


def test_the_list_runs_the_same_number_of_queries_whatever_its_length(
    tell: Tell, bob: User, alice: User, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(bob)
    tell([bob], actor=alice)
    client.get("/notifications/")
    for number in range(25):
        tell([bob], actor=alice, subject_key=f"thing:{number + 2}")
    with django_assert_max_num_queries(7):
        assert client.get("/notifications/").status_code == 200


def test_i_mark_my_own_notifications_read_one_or_all_and_nobody_elses(
    tell: Tell, bob: User, alice: User, dilara: User
) -> None:
    mine = tell([bob], actor=alice)[0]
    tell([bob], actor=alice, subject_key="thing:2")
    theirs = tell([dilara], actor=alice)[0]
    client = signed_in(bob)
    assert client.get(f"/notifications/{mine}/read/").status_code == 405
    assert client.post(f"/notifications/{mine}/read/", {"next": "/notifications/?unread=on"}).url == (
        "/notifications/?unread=on"
    )
    assert Notification.objects.get(pk=mine).read_at is not None
    assert client.post(f"/notifications/{theirs}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs).read_at is None
    assert client.post("/notifications/read-all/", {"next": "https://evil.example/"}).url == "/notifications/"
    assert not Notification.objects.filter(recipient=bob, read_at=None).exists()
    assert Notification.objects.get(pk=theirs).read_at is None
    assert Client().post(f"/notifications/{theirs}/read/").status_code == 302  # to sign in


def test_email_choices_have_defaults_and_are_saved(bob: User) -> None:
    client = signed_in(bob)
    page = client.get("/settings/notifications/").content.decode()
    assert 'name="mention" value="immediately" id="id_mention_0" required checked' in page
    assert 'name="message" value="daily" id="id_message_1" required checked' in page
    choices = {kind.value: Frequency.DAILY.value for kind in Kind} | {"mention": "never", "message": "weekly"}
    assert client.post("/settings/notifications/", choices).status_code == 302
    assert preferences_of(bob)[Kind.MENTION] == Frequency.NEVER
    assert preferences_of(bob)[Kind.MESSAGE] == Frequency.WEEKLY
    assert preferences_of(bob)[Kind.ANSWER] == Frequency.DAILY


def test_a_bad_choice_is_refused_and_nothing_changes(bob: User) -> None:
    client = signed_in(bob)
    choices = {kind.value: "daily" for kind in Kind} | {"mention": "hourly"}
    response = client.post("/settings/notifications/", choices)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert preferences_of(bob)[Kind.MENTION] == Frequency.IMMEDIATELY


def test_a_changed_choice_applies_to_notifications_still_waiting_for_mail(tell: Tell, bob: User, alice: User) -> None:
    tell([bob], actor=alice, kind=Kind.STATUS)
    signed_in(bob).post("/settings/notifications/", {kind.value: "weekly" for kind in Kind})
    assert Notification.objects.get(recipient=bob).email_frequency == Frequency.WEEKLY


def test_the_unsubscribe_page_asks_first_and_needs_no_session(bob: User) -> None:
    token = unsubscribe_token(bob, [Kind.STATUS, Kind.MESSAGE])
    client = Client()
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200 and 'method="post"' in page.content.decode()
    assert preferences_of(bob)[Kind.STATUS] == Frequency.DAILY  # a link scanner's GET changes nothing
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    assert preferences_of(bob)[Kind.STATUS] == preferences_of(bob)[Kind.MESSAGE] == Frequency.NEVER
    assert preferences_of(bob)[Kind.MENTION] == Frequency.IMMEDIATELY
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(f"/notifications/unsubscribe/{tampered}/").status_code == 404


# --- the API ----------------------------------------------------------------------------------


def api(user: User) -> Client:
    _token, key = api_token_create(user=user, name="test")
    return Client(headers={"authorization": f"Bearer {key}", "accept-language": "en"})


def test_the_api_lists_my_notifications_and_marks_them_read(tell: Tell, bob: User, alice: User, dilara: User) -> None:
    mine = tell([bob], actor=alice)[0]
    tell([bob], actor=alice, kind=Kind.STATUS, subject_key="thing:2", detail="escalated")
    theirs = tell([dilara], actor=alice)[0]
    client = api(bob)
    listing = client.get("/api/v1/notifications/").json()
    assert listing["count"] == 2
    first = next(item for item in listing["results"] if item["id"] == mine)
    assert first == {
        "id": mine, "kind": "mention", "text": "Alice Coordinator mentioned you on “Wachtlijst voor taalles”",
        "title": "Wachtlijst voor taalles", "url": "/things/1/", "actor": "Alice Coordinator", "count": 1,
        "created": first["created"], "updated": first["updated"], "read": False,
    }  # fmt: skip
    assert client.get("/api/v1/notifications/?kind=status").json()["count"] == 1
    assert client.get("/api/v1/notifications/?kind=nope").status_code == 400
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400
    read = client.post(f"/api/v1/notifications/{mine}/read/")
    assert read.status_code == 200 and read.json()["read"] is True
    assert client.post(f"/api/v1/notifications/{mine}/read/").status_code == 200  # again: fine
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 1
    assert client.post(f"/api/v1/notifications/{theirs}/read/").status_code == 404
    assert client.post("/api/v1/notifications/999999/read/").status_code == 404
    assert client.post("/api/v1/notifications/read/").json() == {"unread": 0}
    assert Notification.objects.get(pk=theirs).read_at is None
    assert Client().get("/api/v1/notifications/").status_code == 401


@pytest.mark.parametrize("people", [2, 12])
def test_the_live_push_costs_the_same_queries_for_two_recipients_or_twelve(
    tell: Tell, alice: User, people: int, django_capture_on_commit_callbacks: Any
) -> None:
    """Pushing notifications to their recipients' tabs reads them with their community, in one query and
    the unread counts in another, however many were told (it ran one more query per recipient, on the
    socket server's one database thread: docs/performance.md, S3)."""
    recipients = UserFactory.create_batch(people)
    for person in recipients:
        MembershipFactory(user=person, community=alice.memberships.get().community)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(recipients, kind=Kind.MENTION, actor=alice)
    (push,) = [callback for callback in callbacks if callback.__qualname__ == "pushed_after_commit.<locals>.push"]
    with CaptureQueriesContext(connection) as queries:
        push()
    assert len(queries) == 2, [query["sql"] for query in queries]
