"""Invariants of the community domain, held by the database as well as the models."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from community.models import Community, Membership, Municipality, Organisation, OrganisationKind, Role, User, UserKind
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_hart_van_brabant_has_its_nine_municipalities_with_cbs_codes() -> None:
    codes = dict(
        Municipality.objects.filter(region__slug="hart-van-brabant").values_list("name", "cbs_code").order_by("name")
    )
    assert codes == {
        "Dongen": "GM0766",
        "Gilze en Rijen": "GM0784",
        "Goirle": "GM0785",
        "Heusden": "GM0797",
        "Hilvarenbeek": "GM0798",
        "Loon op Zand": "GM0809",
        "Oisterwijk": "GM0824",
        "Tilburg": "GM0855",
        "Waalwijk": "GM0867",
    }


def test_status_holders_are_pseudonymous_by_default_and_professionals_not() -> None:
    assert UserFactory(kind=UserKind.STATUS_HOLDER).pseudonymous is True
    assert UserFactory(kind=UserKind.PROFESSIONAL).pseudonymous is False
    assert UserFactory(kind=UserKind.STATUS_HOLDER, pseudonymous=False).pseudonymous is False


def test_email_is_the_login_stored_lower_case_and_unique_whatever_the_case() -> None:
    user = User.objects.create_user("Fatima@Example.ORG", display_name="Fatima")
    assert user.email == "fatima@example.org"
    assert not user.has_usable_password()
    with pytest.raises(ValidationError):
        User.objects.create_user("FATIMA@example.org", display_name="Someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="FATIMA@EXAMPLE.ORG", display_name="Bypassing the manager")


def test_status_holders_have_no_organisation() -> None:
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError):
        UserFactory(kind=UserKind.STATUS_HOLDER, organisation=organisation)
    user = UserFactory(kind=UserKind.STATUS_HOLDER)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(organisation=organisation)


def test_one_membership_per_person_and_community(community: Community, bob: User) -> None:
    with pytest.raises(IntegrityError, match="membership_unique_user_community"), transaction.atomic():
        MembershipFactory(user=bob, community=community, role=Role.MODERATOR)
    assert Membership.objects.get(user=bob, community=community).role == Role.MEMBER


def test_cbs_codes_have_the_gm_format(tilburg: Municipality) -> None:
    with pytest.raises(IntegrityError, match="municipality_cbs_code_format"), transaction.atomic():
        Municipality.objects.create(region=tilburg.region, name="Nowhere", cbs_code="855")


def test_a_municipal_organisation_names_its_municipality(tilburg: Municipality) -> None:
    Organisation.objects.create(name="Gemeente Tilburg", kind=OrganisationKind.MUNICIPALITY, municipality=tilburg)
    with pytest.raises(IntegrityError, match="organisation_municipality_kind_has_municipality"), transaction.atomic():
        Organisation.objects.create(name="Gemeente Nergens", kind=OrganisationKind.MUNICIPALITY)
