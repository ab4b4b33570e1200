"""Notification mail through a real SMTP server: headers, both bodies, language, one-click unsubscribe,
summaries that mail each notification once, bounces, and a burst grouped into one mail."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from community.models import User
from notifications import mailing
from notifications.models import Frequency, Kind, MailStatus, Notification
from notifications.services import preferences_of, preferences_set
from notifications.texts import text_of
from tests.factories import UserFactory
from tests.notifications.conftest import Tell
from tests.servers import Mailbox

pytestmark = pytest.mark.django_db


def subject(message: EmailMessage) -> str:
    """The Subject header as a reader sees it (unfolded)."""
    return " ".join(str(message["Subject"]).split())


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_mention_is_mailed_at_once_with_both_bodies_a_link_and_one_click_unsubscribe(
    smtp: Mailbox, tell: Tell, bob: User, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tell([bob], kind=Kind.MENTION, actor=alice)
    [message] = smtp.to(bob.email)
    notification = Notification.objects.get(recipient=bob)
    with translation.override("nl"):
        assert subject(message) == f"[Knooppunt] {text_of(notification)}"
    assert message["Content-Language"] == "nl"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe.startswith("http://testserver/notifications/unsubscribe/")
    text, html = bodies(message)
    assert "http://testserver/things/1/" in text and unsubscribe in text
    assert 'href="http://testserver/things/1/"' in html and "Alice Coordinator" in html
    assert notification.emailed_at is not None

    # The mail program's one-click POST: no session, no CSRF token, only the signed link.
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(unsubscribe).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert preferences_of(bob)[Kind.MENTION] == Frequency.NEVER
    assert preferences_of(bob)[Kind.ANSWER] == Frequency.IMMEDIATELY  # only the kind of that mail
    with django_capture_on_commit_callbacks(execute=True):
        tell([bob], kind=Kind.MENTION, actor=alice)
    assert len(smtp.to(bob.email)) == 1


def test_a_forged_unsubscribe_link_changes_nothing(client: Client, bob: User) -> None:
    response = client.post("/notifications/unsubscribe/not-a-token/")
    assert response.status_code == 404
    assert preferences_of(bob)[Kind.MENTION] == Frequency.IMMEDIATELY


def test_each_mail_is_in_its_recipients_language(
    smtp: Mailbox, tell: Tell, bob: User, dilara: User, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=dilara.pk).update(preferred_language="ar")
    User.objects.filter(pk=bob.pk).update(preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        tell([bob, dilara], kind=Kind.MENTION, actor=alice)
    [english], [arabic] = smtp.to(bob.email), smtp.to(dilara.email)
    assert english["Content-Language"] == "en" and arabic["Content-Language"] == "ar"
    assert "mentioned you" in english["Subject"]
    notification = Notification.objects.get(recipient=dilara)
    with translation.override("ar"):
        assert subject(arabic) == f"[Knooppunt] {text_of(notification)}"
    assert arabic["Subject"] != english["Subject"]
    assert 'dir="rtl"' in bodies(arabic)[1]


def test_summaries_mail_each_notification_once_even_when_run_twice(
    smtp: Mailbox, tell: Tell, bob: User, alice: User, dilara: User
) -> None:
    for number in range(3):
        tell([bob, dilara], kind=Kind.STATUS, actor=alice, subject_key=f"thing:{number}", title=f"Ding {number}")
    preferences_set(user=dilara, frequencies={Kind.STATUS: Frequency.WEEKLY})
    tell([bob], kind=Kind.MENTION, actor=alice)  # immediate: not in a summary
    assert mailing.summaries_send(Frequency.DAILY) == 1
    assert mailing.summaries_send(Frequency.DAILY) == 0
    [summary] = smtp.to(bob.email)
    text, html = bodies(summary)
    for number in range(3):
        assert text.count(f"Ding {number}") == 1 and html.count(f"Ding {number}") == 1
    assert "Wachtlijst voor taalles" not in text
    assert summary["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp.to(dilara.email) == []
    assert mailing.summaries_send(Frequency.WEEKLY) == 1
    assert mailing.summaries_send(Frequency.WEEKLY) == 0
    assert len(smtp.to(dilara.email)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_summary_runs_at_once_mail_each_notification_once(
    smtp: Mailbox, tell: Tell, community: Any, alice: User
) -> None:
    from community.models import Membership, Role

    people = UserFactory.create_batch(30)
    Membership.objects.bulk_create([Membership(user=p, community=community, role=Role.MEMBER) for p in people])
    for number in range(5):
        tell(people, kind=Kind.STATUS, actor=alice, subject_key=f"thing:{number}", title=f"Onderwerp {number}")
    sent: list[int] = []

    def run() -> None:
        try:
            sent.append(mailing.summaries_send(Frequency.DAILY))
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)
    assert sum(sent) == 30
    for person in people:
        mails = smtp.to(person.email)
        text = "".join(bodies(m)[0] for m in mails)
        assert all(text.count(f"Onderwerp {number}") == 1 for number in range(5)), text
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_refused_address_does_not_stop_the_others_and_three_in_a_row_switch_mail_off(
    smtp: Mailbox, tell: Tell, bob: User, alice: User, dilara: User, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.refuse.add(bob.email)
    for round_ in range(MailStatus.FAILURES_BEFORE_OFF):
        with django_capture_on_commit_callbacks(execute=True):
            tell([bob, dilara], kind=Kind.MENTION, actor=alice, subject_key=f"thing:{round_}")
        assert len(smtp.to(dilara.email)) == round_ + 1
    status = MailStatus.objects.get(user=bob)
    assert status.hard_failures == 3 and status.disabled_at is not None and "550" in status.last_error
    assert MailStatus.objects.filter(user=dilara).first() is None

    # Mail is off: nothing more is tried, and the next visit says so.
    smtp.refuse.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tell([bob], kind=Kind.MENTION, actor=alice, subject_key="thing:9")
    assert smtp.to(bob.email) == []
    User.objects.filter(pk=bob.pk).update(preferred_language="en")
    client = Client()
    client.force_login(bob)
    assert "could not be delivered several times" in client.get("/").content.decode()
    client.post("/notifications/mail/", {"action": "hide"})
    assert "could not be delivered several times" not in client.get("/").content.decode()
    client.post("/notifications/mail/", {"action": "on"})
    assert MailStatus.objects.get(user=bob).disabled_at is None
    with django_capture_on_commit_callbacks(execute=True):
        tell([bob], kind=Kind.MENTION, actor=alice, subject_key="thing:10")
    assert len(smtp.to(bob.email)) == 1


def test_when_the_mail_server_is_away_nothing_is_lost(
    settings: Any, smtp: Mailbox, tell: Tell, bob: User, alice: User
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    tell([bob], kind=Kind.MENTION, actor=alice)
    assert mailing.mail_due() == 0
    assert Notification.objects.get(recipient=bob).emailed_at is None  # released for the next run
    assert not MailStatus.objects.filter(user=bob).exists()  # not the address's fault
    settings.EMAIL_PORT = port
    assert mailing.mail_due() == 1
    assert len(smtp.to(bob.email)) == 1


def test_a_burst_of_fifty_messages_is_one_mail(
    settings: Any, smtp: Mailbox, tell: Tell, bob: User, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFICATIONS_MAIL_DELAY_SECONDS = 120
    preferences_set(user=bob, frequencies={Kind.MESSAGE: Frequency.IMMEDIATELY})
    for _ in range(50):
        with django_capture_on_commit_callbacks(execute=True):  # each schedules the mail task (run at once here)
            tell([bob], kind=Kind.MESSAGE, actor=alice)
    assert smtp.to(bob.email) == []  # the task waits out the delay in which more messages join
    notification = Notification.objects.get(recipient=bob)
    assert notification.count == 50
    assert mailing.mail_due(now=timezone.now() + timedelta(seconds=121)) == 1
    assert mailing.mail_due(now=timezone.now() + timedelta(seconds=200)) == 0
    [message] = smtp.to(bob.email)
    assert "50" in message["Subject"]
    # The next message after the mail starts a new notification.
    tell([bob], kind=Kind.MESSAGE, actor=alice)
    assert Notification.objects.filter(recipient=bob).count() == 2
