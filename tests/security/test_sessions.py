"""Sessions end when they should: sign-out, deactivation, a new password or second factor; answers that do not
tell whether an address has an account; allauth's limits counted per client address behind the proxy.

Sockets go through the real ASGI application and channel layer (WebsocketCommunicator); pages through the test
client with allauth's own views.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from community.asgi import application
from community.models import AuditEntry, User
from community.services import user_deactivate
from signals.models import Signal
from tests.community.test_accounts import PASSWORD, code_in, totp_now, verified_user
from tests.factories import UserFactory
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


# --- helpers ---------------------------------------------------------------------------------


def signed_in(client: Client) -> bool:
    return bool(client.get(reverse("home")).wsgi_request.user.is_authenticated)


def api_status(client: Client) -> int:
    return client.get("/api/v1/notifications/").status_code


async def open_sockets(cookie: str, signal_id: int) -> list[WebsocketCommunicator]:
    """The discussion socket of a signal and the notification socket, both on the session ``cookie``."""
    sockets = []
    for path in (f"/ws/signals/{signal_id}/", "/ws/notifications/"):
        socket = WebsocketCommunicator(
            application, path, headers=[*HEADERS, (b"cookie", f"sessionid={cookie}".encode())]
        )
        connected, _ = await socket.connect(timeout=10)
        assert connected, path
        if path == "/ws/notifications/":
            assert (await socket.receive_json_from(timeout=5))["type"] == "notification.unread"  # sent on connect
        sockets.append(socket)
    return sockets


def with_cookie(client: Client) -> list[tuple[bytes, bytes]]:
    return [*HEADERS, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def open_bell(cookie: str) -> WebsocketCommunicator:
    """The notification socket on the session ``cookie``, past its first count."""
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[*HEADERS, (b"cookie", f"sessionid={cookie}".encode())]
    )
    connected, _ = await socket.connect(timeout=10)
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "notification.unread"
    return socket


async def close_code(socket: WebsocketCommunicator) -> int:
    """The code the server closes the socket with (skipping the events before it)."""
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


def admin_form_data(client: Client, url: str) -> dict[str, Any]:
    """What the admin change form would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for field in form:
        value, widget = field.value(), field.field.widget
        if field.field.disabled:
            continue
        if hasattr(widget, "widgets"):  # split date and time
            for i, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def deactivate_in_the_admin(person: User) -> Client:
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:community_user_change", args=[person.pk])
    data = admin_form_data(staff, url)
    data.pop("is_active")
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return staff


# --- 1. sign-out -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_both_sockets_close_when_the_person_signs_out(
    signal: Signal,  # noqa: F811
    make_member: MakeMember,  # noqa: F811
    reference_data: None,
) -> None:
    member = await sync_to_async(make_member)("GM0766")
    other = await sync_to_async(make_member)("GM0766")
    client = Client()
    await sync_to_async(client.force_login)(member)
    sockets = await open_sockets(client.cookies["sessionid"].value, signal.pk)
    bystander = Client()
    await sync_to_async(bystander.force_login)(other)
    theirs = await open_sockets(bystander.cookies["sessionid"].value, signal.pk)

    await sync_to_async(client.post)(reverse("account_logout"))  # allauth's sign-out, as the page posts it

    assert [await close_code(socket) for socket in sockets] == [4401, 4401]
    # Someone else's sockets stay open (the notification socket hears nothing at all).
    assert await theirs[1].receive_nothing(timeout=0.3)
    for socket in theirs:
        await socket.disconnect()


# --- 2. deactivation ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_deactivating_in_the_admin_signs_out_every_device_and_closes_the_sockets(
    signal: Signal,  # noqa: F811
    make_member: MakeMember,  # noqa: F811
    reference_data: None,
) -> None:
    member = await sync_to_async(make_member)("GM0766")
    phone, laptop = Client(), Client()
    for device in (phone, laptop):
        await sync_to_async(device.force_login)(member)
    sockets = await open_sockets(laptop.cookies["sessionid"].value, signal.pk)

    staff = await sync_to_async(deactivate_in_the_admin)(member)

    assert [await close_code(socket) for socket in sockets] == [4401, 4401]
    for device in (phone, laptop):
        assert not await sync_to_async(signed_in)(device)
        assert await sync_to_async(api_status)(device) == 401
    entry = await AuditEntry.objects.aget(action="account.deactivated")
    assert (entry.subject_id, entry.reason) == (str(member.pk), "in the admin")

    # Active again: the old sessions stay ended; only a new sign-in lets the person in.
    await User.objects.filter(pk=member.pk).aupdate(is_active=True)
    assert not await sync_to_async(signed_in)(phone)
    refused = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[*HEADERS, (b"cookie", f"sessionid={laptop.cookies['sessionid'].value}".encode())],
    )
    connected, code = await refused.connect(timeout=10)
    assert (connected, code) == (False, 4401)
    assert await sync_to_async(api_status)(staff) == 200  # the staff member's own session is untouched


@pytest.mark.django_db
def test_a_session_of_a_deactivated_person_is_signed_out_on_the_next_page_and_api_request(bob: User) -> None:
    # The guarantee that needs no session bookkeeping: Django's backends refuse an inactive user.
    client = Client()
    client.force_login(bob)
    assert signed_in(client) and api_status(client) == 200
    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert not signed_in(client)
    assert api_status(client) == 401


@pytest.mark.django_db
def test_user_deactivate_is_for_staff_or_the_system_and_is_audited_once(bob: User, charlie: User) -> None:
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=charlie, user=bob)
    assert User.objects.get(pk=bob.pk).is_active
    user_deactivate(actor=None, user=bob, reason="retention")
    user_deactivate(actor=None, user=bob, reason="again")  # already inactive: nothing more happens
    assert not bob.is_active and bob.session_generation == 1
    assert list(AuditEntry.objects.filter(action="account.deactivated").values_list("reason", flat=True)) == [
        "retention"
    ]


# --- 3. a new password or second factor -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_password_change_keeps_this_session_and_ends_the_others_with_their_sockets() -> None:
    person = await sync_to_async(verified_user)("changer@example.org")
    here, elsewhere = Client(), Client()
    for device in (here, elsewhere):
        await sync_to_async(device.post)(reverse("account_login"), {"login": person.email, "password": PASSWORD})
        assert await sync_to_async(signed_in)(device)
    bell = await open_bell(elsewhere.cookies["sessionid"].value)

    response = await sync_to_async(here.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another long passphrase", "password2": "another long passphrase"},
    )

    assert response.status_code == 302
    assert await close_code(bell) == 4401
    assert await sync_to_async(signed_in)(here)
    assert not await sync_to_async(signed_in)(elsewhere)
    # A new socket on the old session is refused; on the session that made the change it is welcome.
    refused = WebsocketCommunicator(application, "/ws/notifications/", headers=with_cookie(elsewhere))
    assert await refused.connect(timeout=10) == (False, 4401)
    await (await open_bell(here.cookies["sessionid"].value)).disconnect()


# Transactional: allauth tells of a new authenticator on commit of its flow, inside the view, as in production.
@pytest.mark.django_db(transaction=True)
def test_adding_a_second_factor_keeps_this_session_and_ends_the_others(client: Client) -> None:
    person = verified_user("second-factor@example.org")
    elsewhere = Client()
    for device in (client, elsewhere):
        device.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    assert client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)}).status_code == 302

    assert signed_in(client)
    assert client.get(reverse("mfa_index")).status_code == 200
    assert not signed_in(elsewhere)


# --- 4. answers that tell nothing about an address ----------------------------------------------------


def _page(client: Client, response: Any, address: str) -> tuple[int, str, str]:
    """Status, where it led, and the page it led to, with the echoed address and the CSRF token taken out."""
    location = response.get("Location", "")
    page = client.get(location) if location else response
    text = page.content.decode().replace(address, "ADDRESS")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', text)
    return response.status_code, location, text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        (
            "account_signup",
            {"display_name": "X", "kind": "professional", "preferred_language": "nl", "password1": PASSWORD},
        ),
        ("account_reset_password", {}),
        ("account_request_login_code", {}),
    ],
)
def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_mail_traffic(
    url_name: str, fields: dict[str, str], mailbox: list[EmailMessage]
) -> None:
    verified_user("known@example.org")
    answers = []
    for address in ("known@example.org", "nobody@example.org"):
        client = Client()
        answers.append(_page(client, client.post(reverse(url_name), {**fields, "email": address}), address))
    assert answers[0] == answers[1]
    assert answers[0][0] == 302
    # Seen from outside, each address gets exactly one mail; only its owner reads which kind.
    assert sorted(m.to[0] for m in mailbox) == ["known@example.org", "nobody@example.org"]
    assert all(len(m.to) == 1 for m in mailbox)


# --- 5. allauth's limits per client address behind the proxy -----------------------------------------------


def _behind_proxy(client_address: str, spoof: str, proxy: str = "10.0.0.2") -> dict[str, str]:
    # The client wrote ``spoof``; the one trusted proxy appended the address it saw.
    return {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": f"{spoof}, {client_address}"}


@pytest.fixture
def one_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip", "request_login_code": "3/m/ip"}


def _refused_for_too_many(response: Any) -> bool:
    """allauth's form error for a limit that was hit (the page answers 200 with the form again)."""
    if response.status_code == 429:
        return True
    form = response.context["form"] if response.context else None
    errors = form.errors.as_data() if form is not None else {}
    return any(error.code == "too_many_login_attempts" for field in errors.values() for error in field)


@pytest.mark.django_db
@pytest.mark.usefixtures("one_proxy")
def test_failed_sign_ins_count_per_client_address_whatever_the_client_writes_in_front() -> None:
    client = Client()
    for i in range(3):
        # Other addresses each time (so the per-address limit is not what stops it), another spoof, another proxy.
        response = client.post(
            reverse("account_login"),
            {"login": f"guess{i}@example.org", "password": "wrong password"},
            **_behind_proxy("203.0.113.9", f"198.51.100.{i}", proxy=f"10.0.0.{i + 2}"),
        )
        assert not _refused_for_too_many(response)
    fourth = client.post(
        reverse("account_login"),
        {"login": "guess9@example.org", "password": "wrong password"},
        **_behind_proxy("203.0.113.9", "192.0.2.77"),
    )
    assert _refused_for_too_many(fourth)
    another_client = Client().post(
        reverse("account_login"),
        {"login": "guess9@example.org", "password": "wrong password"},
        **_behind_proxy("203.0.113.10", "203.0.113.9"),  # pretending to be the limited one changes nothing
    )
    assert not _refused_for_too_many(another_client)


@pytest.mark.django_db
@pytest.mark.usefixtures("one_proxy")
def test_code_requests_count_per_client_address_whatever_the_client_writes_in_front(
    mailbox: list[EmailMessage],
) -> None:
    answers = [
        Client().post(
            reverse("account_request_login_code"),
            {"email": f"someone{i}@example.org"},
            **_behind_proxy("203.0.113.9", f"198.51.100.{i}", proxy=f"10.0.0.{i + 2}"),
        )
        for i in range(4)
    ]
    assert [answer.status_code for answer in answers[:3]] == [302, 302, 302]
    assert _refused_for_too_many(answers[3])
    assert len(mailbox) == 3  # the refused request sent nothing
    other = Client().post(
        reverse("account_request_login_code"),
        {"email": "someone9@example.org"},
        **_behind_proxy("203.0.113.10", "203.0.113.9"),
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_code_from_the_mail_still_signs_in_after_the_limits_are_configured(mailbox: list[EmailMessage]) -> None:
    # The limits above must not break the ordinary path: one request, one code, signed in.
    person = verified_user("coder@example.org")
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": person.email})
    client.post(reverse("account_confirm_login_code"), {"code": code_in(mailbox[0])})
    assert signed_in(client)
    assert EmailAddress.objects.get(user=person).verified
