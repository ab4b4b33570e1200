"""seed_demo: the demo region, community and people of every role; idempotent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from community.demo import PEOPLE
from community.models import Application, Community, Membership, Organisation, OrganisationKind, Role, User
from signals.models import Signal

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "communities": Community.objects.count(),
        "memberships": Membership.objects.count(),
        "authenticators": Authenticator.objects.count(),
        "applications": Application.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_data() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first["users"] == len(PEOPLE)


def test_loading_the_demo_counts_against_nobodys_posting_limit(settings: Any) -> None:
    """The counters live in Redis and outlive a database: a second load into a fresh database within the
    hour (make run after make clean, the tests' worlds) must not be refused as a flood."""
    settings.POSTING_LIMITS = {
        kind: {**limits, "limit": 1, "new": 1} for kind, limits in settings.POSTING_LIMITS.items()
    }
    call_command("seed_demo", stdout=io.StringIO())
    assert Signal.objects.count() >= 40


def test_demo_has_every_role_kind_and_organisation_kind() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    community = Community.objects.get(slug="cop-statushouders-hvb")
    roles = set(Membership.objects.filter(community=community).values_list("role", flat=True))
    assert roles == set(Role)
    assert set(Organisation.objects.values_list("kind", flat=True)) == set(OrganisationKind)
    assert set(User.objects.values_list("kind", flat=True)) == {"professional", "status_holder"}
    assert User.objects.get(email="ahmad@knooppunt.test").pseudonymous
    for membership in Membership.objects.filter(role__in=[Role.COORDINATOR, Role.LIAISON]):
        assert Authenticator.objects.filter(user=membership.user, type="totp").exists()


def test_demo_passwords_exist_only_with_debug(settings: Any) -> None:
    settings.DEBUG = False
    call_command("seed_demo", stdout=io.StringIO())
    assert not any(user.has_usable_password() for user in User.objects.all())


def test_demo_accounts_prints_totp_secrets_and_recovery_codes(settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    assert "marieke@knooppunt.test" in text and "knooppunt-demo" in text
    assert text.count("TOTP secret:") == 2 and text.count("recovery codes:") == 2
    assert User.objects.get(email="marieke@knooppunt.test").check_password("knooppunt-demo")


def test_seed_demo_if_empty_leaves_a_used_database_alone() -> None:
    User.objects.create_user("someone@example.org", display_name="Someone")
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    assert not Community.objects.exists()


def test_demo_signals_cover_themes_municipalities_languages_lessons_and_a_merge() -> None:
    from signals.models import Lesson, Signal, Status

    call_command("seed_demo", stdout=io.StringIO())
    signals = Signal.objects.all()
    assert signals.count() >= 35
    assert signals.values("theme").distinct().count() == 10
    assert signals.values("municipality").distinct().count() == 9
    assert set(signals.values_list("language", flat=True)) == {"nl", "en", "ar"}
    assert Lesson.objects.count() >= 3
    merged = signals.get(status=Status.MERGED)
    assert merged.merged_into is not None and merged.recognition_count == 0
    assert signals.filter(status=Status.ESCALATED).exists()
    assert max(s.municipality_count for s in signals) >= 5
