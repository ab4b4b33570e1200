"""Signing up and in with django-allauth: verification, password, code, two-factor, no enumeration."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from community.models import Community, Role, User, UserKind
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase"


def code_in(message: EmailMessage) -> str:
    """The one-time code in an allauth mail: a line of its own such as ``LKLG-NVMN``."""
    match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def verified_user(email: str, *, password: str | None = PASSWORD, **fields: Any) -> User:
    user = UserFactory(email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def signed_in_as(client: Client) -> str | None:
    user = client.get(reverse("home")).wsgi_request.user
    return user.email if user.is_authenticated else None


def test_sign_up_verify_then_sign_in_by_password_and_by_code(client: Client, mailbox: list[EmailMessage]) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Noor@Example.org",
            "display_name": "Noor",
            "kind": UserKind.STATUS_HOLDER,
            "preferred_language": "ar",
            "password1": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="noor@example.org")
    assert (user.display_name, user.kind, user.pseudonymous, user.preferred_language) == (
        "Noor",
        UserKind.STATUS_HOLDER,
        True,
        "ar",
    )
    assert signed_in_as(client) is None  # not before the address is verified

    assert len(mailbox) == 1
    response = client.post(reverse("account_email_verification_sent"), {"code": code_in(mailbox[0])})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_as(client) == "noor@example.org"

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": "noor@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == "noor@example.org"

    client.post(reverse("account_logout"))
    mailbox.clear()
    response = client.post(reverse("account_request_login_code"), {"email": "noor@example.org"})
    assert response.status_code == 302
    response = client.post(reverse("account_confirm_login_code"), {"code": code_in(mailbox[0])})
    assert response.status_code == 302
    assert signed_in_as(client) == "noor@example.org"


def test_sign_up_without_a_password_then_sign_in_by_code(client: Client, mailbox: list[EmailMessage]) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": "yonas@example.org",
            "display_name": "Yonas",
            "kind": UserKind.STATUS_HOLDER,
            "preferred_language": "nl",
        },
    )
    assert not User.objects.get(email="yonas@example.org").has_usable_password()
    client.post(reverse("account_email_verification_sent"), {"code": code_in(mailbox[0])})
    assert signed_in_as(client) == "yonas@example.org"


def test_a_used_sign_in_code_cannot_be_used_again(client: Client, mailbox: list[EmailMessage]) -> None:
    verified_user("reuse@example.org")
    client.post(reverse("account_request_login_code"), {"email": "reuse@example.org"})
    code = code_in(mailbox[0])
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert signed_in_as(client) == "reuse@example.org"
    client.post(reverse("account_logout"))

    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed_in_as(client) is None


def test_an_expired_sign_in_code_is_refused(client: Client, mailbox: list[EmailMessage], settings: Any) -> None:
    settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 1
    verified_user("slow@example.org")
    client.post(reverse("account_request_login_code"), {"email": "slow@example.org"})
    time.sleep(1.2)
    client.post(reverse("account_confirm_login_code"), {"code": code_in(mailbox[0])})
    assert signed_in_as(client) is None


def test_a_wrong_code_three_times_ends_the_attempt(client: Client, mailbox: list[EmailMessage]) -> None:
    verified_user("guess@example.org")
    client.post(reverse("account_request_login_code"), {"email": "guess@example.org"})
    for _ in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": "AAAAAA"})
    client.post(reverse("account_confirm_login_code"), {"code": code_in(mailbox[0])})
    assert signed_in_as(client) is None


def test_the_sign_in_page_offers_the_code_before_the_password(client: Client) -> None:
    html = client.get(reverse("account_login")).content.decode()
    assert html.index(reverse("account_request_login_code")) < html.index('name="password"')


def test_a_coordinator_signs_in_with_password_and_totp(client: Client, community: Community) -> None:
    user = verified_user("coordinator@example.org", mfa=True)
    MembershipFactory(user=user, community=community, role=Role.COORDINATOR)
    secret = get_mfa_adapter().decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_as(client) is None
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert signed_in_as(client) is None
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert signed_in_as(client) == user.email


def test_a_coordinator_role_waits_for_mfa_then_works(client: Client, community: Community) -> None:
    user = verified_user("new-coordinator@example.org")
    MembershipFactory(user=user, community=community, role=Role.COORDINATOR)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    members_url = reverse("community_members", args=[community.slug])

    assert client.get(members_url).status_code == 403
    home = client.get(reverse("home")).content.decode()
    assert reverse("mfa_activate_totp") in home  # told why, with the way to fix it

    # Adding a second factor asks for the password once more (allauth's reauthentication).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert client.get(members_url).status_code == 200
    assert reverse("mfa_activate_totp") not in client.get(reverse("home")).content.decode()


def test_sign_up_with_a_taken_address_looks_the_same_as_a_new_one(client: Client, mailbox: list[EmailMessage]) -> None:
    verified_user("taken@example.org")
    fields = {"display_name": "X", "kind": UserKind.PROFESSIONAL, "preferred_language": "nl", "password1": PASSWORD}
    taken = client.post(reverse("account_signup"), {**fields, "email": "taken@example.org"})
    fresh = Client().post(reverse("account_signup"), {**fields, "email": "fresh@example.org"})
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email="taken@example.org").count() == 1
    # The owner of the taken address is told by mail, not the person at the keyboard.
    assert {m.to[0] for m in mailbox} == {"taken@example.org", "fresh@example.org"}


def test_password_reset_answers_alike_for_known_and_unknown_addresses(client: Client) -> None:
    verified_user("known@example.org")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_code_sign_in_answers_alike_for_known_and_unknown_addresses(client: Client) -> None:
    verified_user("known@example.org")
    known = client.post(reverse("account_request_login_code"), {"email": "known@example.org"})
    unknown = Client().post(reverse("account_request_login_code"), {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_a_deactivated_person_cannot_sign_in(client: Client) -> None:
    verified_user("gone@example.org", is_active=False)
    client.post(reverse("account_login"), {"login": "gone@example.org", "password": PASSWORD})
    assert signed_in_as(client) is None


def test_allauth_pages_use_the_project_layout(client: Client) -> None:
    html = client.get(reverse("account_signup")).content.decode()
    assert 'class="skip-link"' in html and 'name="display_name"' in html and 'name="kind"' in html
