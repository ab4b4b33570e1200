"""The person's own settings: profile (audited where recognitions depend on it), language, API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from community.models import ApiToken, AuditEntry, Municipality, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # the factories' password


def sign_in_recently(client: Client, user: User) -> None:
    """Signed in, and the password given again just now (allauth's reauthentication)."""
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def test_creating_a_token_asks_for_the_password_again(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.post(reverse("api_token_new"), {"name": "script"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiToken.objects.exists()


def test_settings_need_a_signed_in_person(client: Client) -> None:
    response = client.get(reverse("account_settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_profile_changes_are_saved_and_municipality_changes_logged(
    client: Client, bob: User, tilburg: Municipality
) -> None:
    goirle = Municipality.objects.get(cbs_code="GM0785")
    client.force_login(bob)
    response = client.post(
        reverse("account_settings"),
        {
            "display_name": "Bob de Bouwer",
            "pseudonymous": "on",
            "pseudonym_label": "Bob B.",
            "municipalities": [tilburg.pk, goirle.pk],
            "organisation": bob.organisation_id,
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.display_name, bob.pseudonymous, bob.pseudonym_label, bob.preferred_language) == (
        "Bob de Bouwer",
        True,
        "Bob B.",
        "en",
    )
    assert AuditEntry.objects.get(action="profile.municipalities_changed").data == {
        "before": ["GM0855"],
        "after": ["GM0785", "GM0855"],
    }
    assert response.cookies["django_language"].value == "en"


def test_status_holders_are_not_asked_for_an_organisation(client: Client, dilara: User) -> None:
    client.force_login(dilara)
    html = client.get(reverse("account_settings")).content.decode()
    assert 'name="organisation"' not in html
    assert 'name="pseudonymous" checked' in html or "checked" in html


def test_the_preferred_language_applies_without_a_language_cookie(client: Client) -> None:
    user = UserFactory(preferred_language="ar")
    client.force_login(user)
    assert '<html lang="ar" dir="rtl">' in client.get(reverse("home")).content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en" dir="ltr">' in client.get(reverse("home")).content.decode()


def test_an_api_token_is_shown_once_and_only_its_hash_is_kept(client: Client, bob: User) -> None:
    sign_in_recently(client, bob)
    response = client.post(reverse("api_token_new"), {"name": "Monthly export"})
    assert "no-store" in response["Cache-Control"]
    key = response.context["new_key"]
    assert key.startswith("kp_") and len(key) > 40
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=bob)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    page = client.get(reverse("account_settings")).content.decode()
    assert "Monthly export" in page and key not in page


def test_a_token_can_be_revoked_by_its_owner_only(client: Client, bob: User, charlie: User) -> None:
    sign_in_recently(client, bob)
    client.post(reverse("api_token_new"), {"name": "script"})
    token = ApiToken.objects.get(user=bob)
    client.force_login(charlie)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(bob)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"api_token.created", "api_token.revoked"}


def test_a_token_needs_a_name(client: Client, bob: User) -> None:
    sign_in_recently(client, bob)
    client.post(reverse("api_token_new"), {"name": ""})
    assert not ApiToken.objects.exists()


def test_a_person_has_at_most_ten_active_tokens(client: Client, bob: User) -> None:
    sign_in_recently(client, bob)
    for number in range(11):
        client.post(reverse("api_token_new"), {"name": f"script {number}"})
    assert ApiToken.objects.filter(user=bob, revoked_at=None).count() == 10


def test_changing_the_password_revokes_every_api_token(client: Client, bob: User) -> None:
    sign_in_recently(client, bob)
    client.post(reverse("api_token_new"), {"name": "one"})
    client.post(reverse("api_token_new"), {"name": "two"})
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a brand new long passphrase",
            "password2": "a brand new long passphrase",
        },
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=bob, revoked_at=None).exists()
    assert AuditEntry.objects.filter(action="api_token.revoked_all", actor=bob).exists()
