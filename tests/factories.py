"""factory_boy factories for the community domain; personas live in conftest.py."""

from __future__ import annotations

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from factory.django import DjangoModelFactory

from community.models import (
    Community,
    Membership,
    Municipality,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    User,
    UserKind,
)


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.Sequence(lambda n: f"region-{n}")


class MunicipalityFactory(DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Municipality {n}")
    cbs_code = factory.Sequence(lambda n: f"GM{9000 + n % 1000:04d}")


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.VLUCHTELINGENWERK


class CommunityFactory(DjangoModelFactory[Community]):
    class Meta:
        model = Community

    region = factory.SubFactory(RegionFactory)
    slug = factory.Sequence(lambda n: f"community-{n}")
    name = factory.Sequence(lambda n: f"Community {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name", locale="nl_NL")
    kind = UserKind.PROFESSIONAL
    password = "correct horse battery staple"

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        # Through the manager, as every real account is made: it applies the
        # status-holder pseudonymity default and hashes the password.
        return model_class.objects.create_user(*args, **kwargs)  # type: ignore[arg-type]

    @factory.post_generation
    def mfa(obj: User, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """``UserFactory(mfa=True)`` enrols a real TOTP authenticator."""
        if create and extracted:
            TOTP.activate(obj, generate_totp_secret())


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Role.MEMBER


def session_key(user: User) -> str:
    """A signed-in session of ``user`` (its cookie value), for clients outside Django's test client."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value
