"""People of every role in one community, from different municipalities and organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from community.models import Community, Municipality, Organisation, OrganisationKind, Role, User, UserKind
from signals.models import Signal, Theme
from signals.services import signal_create
from tests.factories import MembershipFactory, UserFactory

MakeMember = Callable[..., User]


@pytest.fixture
def make_member(community: Community) -> MakeMember:
    """A member (or other role) of ``community`` in a municipality, with an organisation."""

    def make(
        code: str = "GM0855",
        *,
        role: Role = Role.MEMBER,
        organisation: str | None = "VluchtelingenWerk Tilburg",
        kind: UserKind = UserKind.PROFESSIONAL,
        **fields: Any,
    ) -> User:
        org = None
        if organisation and kind == UserKind.PROFESSIONAL:
            org, _ = Organisation.objects.get_or_create(
                name=organisation, defaults={"kind": OrganisationKind.VLUCHTELINGENWERK}
            )
        user = UserFactory(kind=kind, organisation=org, mfa=role in (Role.COORDINATOR, Role.LIAISON), **fields)
        user.municipalities.set([Municipality.objects.get(cbs_code=code)])
        MembershipFactory(user=user, community=community, role=role)
        return user

    return make


@pytest.fixture
def community(reference_data: None) -> Community:
    from community.models import Region
    from tests.factories import CommunityFactory

    return CommunityFactory(region=Region.objects.get(slug="hart-van-brabant"), slug="cop-hvb", name="CoP HvB")


@pytest.fixture
def rule_3_in_3(community: Community) -> Community:
    """An escalation rule of 3 people in 3 municipalities and 2 organisations: the reporter (Tilburg) and two
    more places."""
    community.min_recognitions, community.min_municipalities, community.min_organisations = 3, 3, 2
    community.save()
    return community


@pytest.fixture
def housing(reference_data: None) -> Theme:
    return Theme.objects.get(slug="housing")


@pytest.fixture
def reporter(make_member: MakeMember) -> User:
    return make_member("GM0855", organisation="Gemeente Tilburg", display_name="Rik Reporter")


@pytest.fixture
def signal(reporter: User, community: Community, housing: Theme) -> Signal:
    return signal_create(
        actor=reporter,
        community=community,
        title="Wachtlijst sociale huurwoningen voor grote gezinnen",
        description="Gezinnen met vijf of meer kinderen wachten langer dan twee jaar op een passende woning.",
        theme=housing,
        municipality=Municipality.objects.get(cbs_code="GM0855"),
    )
