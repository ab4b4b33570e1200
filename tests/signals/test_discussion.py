"""The discussion: posting (idempotent by client id), formatting, mentions, moderation, flags, broadcasts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from community.models import AuditEntry, Role, User, UserKind
from signals.discussion import (
    EDIT_WINDOW,
    message_delete,
    message_edit,
    message_flag,
    message_post,
    message_set_hidden,
    message_set_key_point,
)
from signals.formatting import render_body
from signals.models import Flag, Follow, Mention, Message, Signal
from signals.privacy import PersonalDataFound
from signals.realtime import signal_group
from signals.services import signal_hide
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db
OnCommit = Callable[..., Any]


def test_bodies_are_escaped_with_links_bold_and_lists() -> None:
    html = str(render_body("Zie https://example.org/a?b=1&c=2 **nu**\n- een\n- <b>twee</b>\n\n<script>x</script>"))
    assert '<a rel="nofollow noopener" href="https://example.org/a?b=1&amp;c=2">' in html
    assert "<strong>nu</strong>" in html and "<ul><li>een</li><li>&lt;b&gt;twee&lt;/b&gt;</li></ul>" in html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert str(render_body('"javascript:alert(1)"')).count("<a") == 0


def test_posting_follows_the_signal_and_a_retry_makes_no_second_message(
    signal: Signal, make_member: MakeMember
) -> None:
    member = make_member("GM0766")
    client_id = uuid.uuid4()
    first, created = message_post(actor=member, signal=signal, body="Ook bij ons.", client_id=client_id)
    again, created_again = message_post(actor=member, signal=signal, body="Ook bij ons.", client_id=client_id)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Message.objects.filter(signal=signal).count() == 1
    assert Follow.objects.filter(user=member, signal=signal).exists()


def test_a_broken_constraint_is_an_error_not_a_retry_when_no_client_id_raced(
    signal: Signal, make_member: MakeMember
) -> None:
    with connection.cursor() as cursor:  # rolls back with the test's transaction
        cursor.execute("ALTER TABLE signals_message ADD CONSTRAINT test_refuses CHECK (body <> 'Derde.')")
    member = make_member("GM0766")
    message_post(actor=member, signal=signal, body="Eerste.")
    message_post(actor=member, signal=signal, body="Tweede.")
    with pytest.raises(IntegrityError):
        message_post(actor=member, signal=signal, body="Derde.")
    with pytest.raises(IntegrityError):
        message_post(actor=member, signal=signal, body="Derde.", client_id=uuid.uuid4())


@pytest.mark.parametrize(("body", "code"), [("   ", "empty"), ("x" * 4001, "too_long")])
def test_empty_and_overlong_messages_are_refused(signal: Signal, make_member: MakeMember, body: str, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        message_post(actor=make_member(), signal=signal, body=body)
    assert error.value.code == code


def test_the_privacy_guard_applies_to_messages(signal: Signal, make_member: MakeMember) -> None:
    with pytest.raises(PersonalDataFound):
        message_post(actor=make_member(), signal=signal, body="Mail me: iemand@example.org")
    assert not Message.objects.exists()


def test_only_participants_post_and_not_on_hidden_signals(
    signal: Signal, make_member: MakeMember, charlie: User
) -> None:
    for person in (make_member(role=Role.LIAISON), charlie):
        with pytest.raises(PermissionDenied):
            message_post(actor=person, signal=signal, body="Hallo")
    signal_hide(actor=make_member(role=Role.MODERATOR), signal=signal, reason="dubbel")
    signal.refresh_from_db()
    with pytest.raises(ValidationError):
        message_post(actor=make_member(), signal=signal, body="Hallo")


def test_mentions_resolve_to_community_members_by_the_name_others_see(signal: Signal, make_member: MakeMember) -> None:
    sanne = make_member(display_name="Sanne Bakker")
    holder = make_member(kind=UserKind.STATUS_HOLDER, display_name="Amal")
    holder.pseudonym_label = "Zonnebloem"
    holder.save()
    message, _ = message_post(
        actor=make_member(), signal=signal, body="@Sanne Bakker en @Zonnebloem, herkennen jullie dit? @Amal"
    )
    assert set(Mention.objects.filter(message=message).values_list("user", flat=True)) == {sanne.pk, holder.pk}


def test_authors_delete_moderators_hide_with_a_reason_and_mark_key_points(
    signal: Signal, make_member: MakeMember
) -> None:
    author, moderator = make_member(), make_member(role=Role.MODERATOR)
    message, _ = message_post(actor=author, signal=signal, body="Een les uit Dongen.")
    with pytest.raises(PermissionDenied):
        message_delete(actor=moderator, message=message)
    with pytest.raises(PermissionDenied):
        message_set_hidden(actor=author, message=message, hidden=True, reason="x")
    with pytest.raises(ValidationError):
        message_set_hidden(actor=moderator, message=message, hidden=True, reason=" ")
    message_set_key_point(actor=moderator, message=message, key_point=True)
    message_flag(actor=make_member(), message=message, reason="Klopt niet")
    message_set_hidden(actor=moderator, message=message, hidden=True, reason="Persoonlijk")
    message.refresh_from_db()
    assert (message.hidden, message.key_point, message.hidden_by) == (True, True, moderator)
    assert AuditEntry.objects.filter(action="message.hidden", reason="Persoonlijk").exists()
    assert not Flag.objects.filter(message=message, handled_at=None).exists()
    message_delete(actor=author, message=message)
    message.refresh_from_db()
    assert message.deleted_at is not None


def test_a_member_flags_a_message_once(signal: Signal, make_member: MakeMember) -> None:
    message, _ = message_post(actor=make_member(), signal=signal, body="Hallo")
    flagger = make_member()
    message_flag(actor=flagger, message=message, reason="spam")
    message_flag(actor=flagger, message=message, reason="spam")
    assert Flag.objects.filter(message=message).count() == 1
    with pytest.raises(PermissionDenied):
        message_flag(actor=make_member(role=Role.LIAISON), message=message)


def test_a_new_message_reaches_the_signals_group_after_commit(
    signal: Signal, make_member: MakeMember, django_capture_on_commit_callbacks: OnCommit
) -> None:
    layer = get_channel_layer()
    member = make_member(kind=UserKind.STATUS_HOLDER)
    client_id = uuid.uuid4()

    def post() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            message_post(actor=member, signal=signal, body="**Ook** hier", client_id=client_id)

    async def listen_while_posting() -> dict[str, Any]:
        channel = await layer.new_channel()
        await layer.group_add(signal_group(signal.pk), channel)
        await sync_to_async(post)()
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    with translation.override("en"):
        event = async_to_sync(listen_while_posting)()
    assert event["type"] == "message.new"
    payload = event["message"]
    assert payload["author"] == {"label": "een statushouder in Hart van Brabant", "kind": "status_holder"}
    assert payload["body_html"] == "<p><strong>Ook</strong> hier</p>"
    assert payload["client_id"] == str(client_id) and f'id="message-{payload["id"]}"' in payload["html"]


def test_the_page_shows_the_discussion_and_posts_without_javascript(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    member = make_member()
    client.force_login(member)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("message_post", args=[signal.pk]), {"body": "Ook in Dongen, al maanden."})
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#message-{message.pk}")
    html = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Ook in Dongen, al maanden." in html
    refused = client.post(reverse("message_post", args=[signal.pk]), {"body": "Bel 06-12345678"})
    assert refused.status_code == 200 and "06-12345678" in refused.content.decode()
    assert Message.objects.count() == 1
    moderator = make_member(role=Role.MODERATOR)
    client.force_login(moderator)
    client.post(reverse("message_action", args=[signal.pk, message.pk]), {"action": "hide", "reason": "Off-topic"})
    message.refresh_from_db()
    assert message.hidden
    client.force_login(make_member())
    assert "Ook in Dongen" not in client.get(reverse("signal_detail", args=[signal.pk])).content.decode()


def test_authors_edit_within_15_minutes_and_nobody_else(signal: Signal, make_member: MakeMember) -> None:
    author, other = make_member("GM0766", display_name="Noor"), make_member("GM0785", display_name="Yonas")
    message, _ = message_post(actor=author, signal=signal, body="Eerst")
    with pytest.raises(PermissionDenied):
        message_edit(actor=other, message=message, body="Van een ander")
    edited = message_edit(actor=author, message=message, body="Later, met @Yonas erbij")
    assert edited.body == "Later, met @Yonas erbij" and edited.edited_at is not None
    assert list(Mention.objects.filter(message=message).values_list("user", flat=True)) == [other.pk]
    with pytest.raises(ValidationError) as empty:
        message_edit(actor=author, message=message, body="   ")
    assert empty.value.code == "empty"
    with pytest.raises(PersonalDataFound):
        message_edit(actor=author, message=message, body="Bel 06-12345678")
    Message.objects.filter(pk=message.pk).update(created_at=message.created_at - EDIT_WINDOW - timedelta(seconds=1))
    with pytest.raises(ValidationError) as late:
        message_edit(actor=author, message=Message.objects.get(pk=message.pk), body="Te laat")
    assert late.value.code == "edit_window_over"
    assert Message.objects.get(pk=message.pk).body == "Later, met @Yonas erbij"


def test_deleted_or_hidden_messages_are_not_edited(signal: Signal, make_member: MakeMember) -> None:
    author, moderator = make_member("GM0766"), make_member(role=Role.MODERATOR)
    gone, _ = message_post(actor=author, signal=signal, body="Weg")
    message_delete(actor=author, message=gone)
    hidden, _ = message_post(actor=author, signal=signal, body="Verborgen")
    message_set_hidden(actor=moderator, message=hidden, hidden=True, reason="Off-topic")
    for message in (gone, hidden):
        with pytest.raises(ValidationError):
            message_edit(actor=author, message=message, body="Toch anders")


def test_the_edit_page_works_without_javascript(client: Client, signal: Signal, make_member: MakeMember) -> None:
    author = make_member("GM0766")
    message, _ = message_post(actor=author, signal=signal, body="Eerst")
    client.force_login(author)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    edit_url = reverse("message_edit", args=[signal.pk, message.pk])
    assert f'href="{edit_url}"' in page
    assert client.get(edit_url).status_code == 200
    refused = client.post(edit_url, {"body": "Bel 06-12345678"})
    assert refused.status_code == 400 and 'name="confirm"' in refused.content.decode()
    done = client.post(edit_url, {"body": "Daarna **beter**"})
    assert done.status_code == 302 and done["Location"].endswith(f"#message-{message.pk}")
    assert "Daarna <strong>beter</strong>" in client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    client.force_login(make_member("GM0785"))
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, {"body": "Overgenomen"}).status_code == 403
    Message.objects.filter(pk=message.pk).update(created_at=message.created_at - EDIT_WINDOW - timedelta(seconds=1))
    client.force_login(author)
    assert f'href="{edit_url}"' not in client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    late = client.post(edit_url, {"body": "Te laat"})
    assert late.status_code == 400 and "15 minutes" in late.content.decode()
